#!/usr/bin/env python3
"""onnxruntime and scikit-learn on the README's iris pipeline, for the side-by-side table of
`bash scripts/bench-report.sh` (issues 13 and 14), which runs this in the same run as
`cargo bench --bench predict` inside a virtualenv (target/bench-venv) with pinned versions,
and makes the table with scripts/bench-report.py.

Measure (prints one JSON object to stdout, progress on stderr):
    python scripts/bench-compare.py [--n 1000000] [--records-cache FILE.npy]
                                    [--check-records records.json] [--quick]

The pipeline is the one mlops-lite trains by default on data/iris.csv (src/pipeline/mod.rs
`default_groups`, estimator defaults in src/pipeline/estimator.rs): a ColumnTransformer with
SimpleImputer(strategy="median") then StandardScaler over the 4 numeric features, then
LogisticRegression with C = 1/alpha = 1 (multinomial, L-BFGS). It is fitted on all 150 rows
rather than on mlops-lite's 75% split: prediction time does not depend on which rows fitted
the coefficients. It is exported with skl2onnx twice: one float32 tensor input of shape
[N, 4] (the fast way), and one [N, 1] input per named column (how a record's fields map);
both with zipmap disabled, so probabilities come back as a [N, 3] tensor next to the labels.
Timed asking for labels and probabilities (what mlops-lite returns), and, as onnxruntime's
fastest case, for the probabilities alone. The table gives each figure against onnxruntime's
1M batch on 1 thread, and against onnxruntime's best batch / one-record figure of the run.

The records are the ones our bench uses (benches/support/data.rs `records()`): xorshift64
from seed 0x2545F4914F6CDD1D, 4 draws per record mapped to the iris ranges and rounded to
one decimal (half away from zero, as Rust's f64::round). The 1,000,000 x 4 matrix is made
here in numpy (the xorshift sequence by GF(2) jump-ahead, no Python loop) and, with
--check-records, compared value for value with the JSON that `cargo bench` wrote, so both
sides see the same numbers. Conversions (f64 -> float32 for onnxruntime, numpy -> DataFrame)
are done before timing; batch figures are the median of several rounds (and, in
`..._best`, the best round), single records the median of many calls.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
RANGES = [(4.3, 7.9), (2.0, 4.4), (1.0, 6.9), (0.1, 2.5)]
SEED = 0x2545_F491_4F6C_DD1D


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the records


def _apply(np, cols, v):
    """Applies the GF(2) 64x64 matrix whose column k is cols[k] to every uint64 in v: per
    byte of v, a 256-entry table of the XOR of the columns its set bits select."""
    out = np.zeros_like(v)
    byte = np.arange(256, dtype=np.uint64)
    for b in range(8):
        table = np.zeros(256, dtype=np.uint64)
        for k in range(8):
            table ^= ((byte >> np.uint64(k)) & np.uint64(1)) * cols[8 * b + k]
        out ^= table[(v >> np.uint64(8 * b)) & np.uint64(255)]
    return out


def _step(np, v):
    v = v ^ (v << np.uint64(13))
    v = v ^ (v >> np.uint64(7))
    return v ^ (v << np.uint64(17))


def xorshift_states(np, seed, count):
    """The first `count` states of benches/support/rng.rs `Rng(seed)` (each draw steps first,
    then reads the state), made by doubling: states[m:2m] = T^m states[0:m]."""
    basis = np.uint64(1) << np.arange(64, dtype=np.uint64)
    power = _step(np, basis)  # T as its columns; squared each round to T^m
    states = _step(np, np.array([seed], dtype=np.uint64))
    while len(states) < count:
        states = np.concatenate([states, _apply(np, power, states)])
        power = _apply(np, power, power)
    return states[:count]


def make_records(np, n):
    """n x 4 float64 matrix, the values of benches/support/data.rs `records(n)`."""
    draws = (xorshift_states(np, SEED, 4 * n) >> np.uint64(11)).astype(np.float64)
    r = (draws / float(1 << 53)).reshape(n, 4)
    x = np.empty_like(r)
    for c, (lo, hi) in enumerate(RANGES):
        t = (lo + r[:, c] * (hi - lo)) * 10.0
        f = np.floor(t)
        # Rust's round: half away from zero (values are positive; t - f is exact here).
        x[:, c] = (f + (t - f >= 0.5)) / 10.0
    return x


def check_records(x, path):
    """Compares x with the JSON records the cargo bench wrote (the first len(those) rows)."""
    with open(path) as f:
        recs = json.load(f)
    for i, rec in enumerate(recs):
        row = [rec[name] for name in FEATURES]
        if list(map(float, row)) != list(x[i]):
            raise SystemExit(f"{path}: record {i} is {row}, this script made {list(x[i])}")
    return len(recs)


# ---------------------------------------------------------------- timing


def rates(fn, n, rounds):
    """Records/s of the median and of the fastest of `rounds` calls of fn() on n records
    (after one warm-up call)."""
    fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times), n / min(times)


def put_rates(out, key, fn, n, rounds):
    """out[key] = the median round's records/s, out[key + "_best"] = the best round's."""
    out[key], out[key + "_best"] = rates(fn, n, rounds)


def median_time(fn, calls):
    """Median seconds of one call of fn() over `calls` calls (after 50 warm-up calls)."""
    for _ in range(50):
        fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---------------------------------------------------------------- measure


def measure(args):
    import numpy as np
    import onnxruntime as ort
    import pandas as pd
    import skl2onnx
    import sklearn
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    n = args.n
    small = min(10_000, n)
    rounds_big, rounds_small, calls = (2, 3, 200) if args.quick else (7, 20, args.calls)

    t = time.perf_counter()
    if args.records_cache and os.path.exists(args.records_cache):
        x = np.load(args.records_cache)
        if x.shape != (n, 4):
            x = None
    else:
        x = None
    if x is None:
        x = make_records(np, n)
        if args.records_cache:
            os.makedirs(os.path.dirname(os.path.abspath(args.records_cache)), exist_ok=True)
            np.save(args.records_cache, x)
    log(f"records: {n} x 4 in {time.perf_counter() - t:.1f} s")
    checked = check_records(x, args.check_records) if args.check_records else 0
    if checked:
        log(f"records: the first {checked} equal {args.check_records}")

    def pipeline(columns):
        pre = ColumnTransformer(
            [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), columns)]
        )
        return make_pipeline(pre, LogisticRegression(C=1.0, max_iter=1000))

    iris = pd.read_csv(os.path.join(root, "data", "iris.csv"))
    xy, y = iris[FEATURES], iris["target"]
    # Same pipeline twice: by column position for numpy arrays and the tensor export, by
    # column name for DataFrames and the named-inputs export. Same rows, same coefficients.
    by_pos = pipeline([0, 1, 2, 3]).fit(xy.to_numpy(), y)
    by_name = pipeline(FEATURES).fit(xy, y)

    tensor = convert_sklearn(
        by_pos,
        initial_types=[("input", FloatTensorType([None, 4]))],
        options={id(by_pos[-1]): {"zipmap": False}},
        target_opset=args.opset,
    )
    named = convert_sklearn(
        by_name,
        initial_types=[(name, FloatTensorType([None, 1])) for name in FEATURES],
        options={id(by_name[-1]): {"zipmap": False}},
        target_opset=args.opset,
    )

    def session(model, threads):
        so = ort.SessionOptions()
        if threads:
            so.intra_op_num_threads = threads
        return ort.InferenceSession(
            model.SerializeToString(), so, providers=["CPUExecutionProvider"]
        )

    x32 = x.astype(np.float32)
    x32_small = np.ascontiguousarray(x32[:small])
    one32 = np.ascontiguousarray(x32[:1])
    x_small = np.ascontiguousarray(x[:small])
    one = np.ascontiguousarray(x[:1])
    df_small = pd.DataFrame(x_small, columns=FEATURES)
    df_one = pd.DataFrame(one, columns=FEATURES)

    # skl2onnx renames the inputs ("sepal length (cm)" -> "sepal_length__cm_"), in order.
    named_inputs = [i.name for i in session(named, 1).get_inputs()]

    def named_feed(a):
        return {name: np.ascontiguousarray(a[:, [i]]) for i, name in enumerate(named_inputs)}

    named_small, named_one, named_big = named_feed(x32_small), named_feed(one32), named_feed(x32)

    out = {
        "records": n,
        "records_checked_against": args.check_records and {"file": args.check_records, "records": checked},
        "pipeline": "ColumnTransformer[SimpleImputer(median) + StandardScaler] over 4 features, "
        "LogisticRegression(C=1, max_iter=1000), fitted on all 150 rows of data/iris.csv",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "onnxruntime": ort.__version__,
            "skl2onnx": skl2onnx.__version__,
            "onnx": __import__("onnx").__version__,
            "opset": {d.domain or "ai.onnx": d.version for d in tensor.opset_import},
        },
        "cpus": os.cpu_count(),
        "rounds": {"batch_1m": rounds_big, "batch_10k": rounds_small, "one_record_calls": calls},
    }

    ort_out = {}
    tensor_feeds = ({"input": x32}, {"input": x32_small}, {"input": one32})
    named_feeds = (named_big, named_small, named_one)
    for label, model, threads, proba_only, feeds in [
        ("1_thread", tensor, 1, False, tensor_feeds),
        ("default_threads", tensor, 0, False, tensor_feeds),
        ("proba_only_1_thread", tensor, 1, True, tensor_feeds),
        ("named_inputs_1_thread", named, 1, False, named_feeds),
    ]:
        s = session(model, threads)
        # Both outputs (label, probabilities) as mlops-lite returns both; or probabilities alone.
        outputs = [s.get_outputs()[1].name] if proba_only else None
        big, small_feed, one_feed = feeds
        log(f"onnxruntime {label}")
        r = ort_out[label] = {}
        put_rates(r, "batch_1m_records_per_s", lambda: s.run(outputs, big), n, rounds_big)
        put_rates(r, "batch_10k_records_per_s", lambda: s.run(outputs, small_feed), small, rounds_small)
        r["one_record_us_median"] = 1e6 * median_time(lambda: s.run(outputs, one_feed), calls)
    ort_out["default_threads_means"] = "intra_op_num_threads left at 0: onnxruntime chooses"
    out["onnxruntime"] = ort_out

    log("scikit-learn predict_proba")
    sk_calls = max(calls // 2, 200) if not args.quick else 100
    sk = out["sklearn"] = {}
    put_rates(sk, "numpy_1m_records_per_s", lambda: by_pos.predict_proba(x), n, min(rounds_big, 3))
    put_rates(sk, "numpy_10k_records_per_s", lambda: by_pos.predict_proba(x_small), small, rounds_small)
    put_rates(sk, "dataframe_10k_records_per_s", lambda: by_name.predict_proba(df_small), small, rounds_small)
    sk["one_record_ms_median_numpy"] = 1e3 * median_time(lambda: by_pos.predict_proba(one), sk_calls)
    sk["one_record_ms_median_dataframe"] = 1e3 * median_time(lambda: by_name.predict_proba(df_one), sk_calls)
    sk["one_record_calls"] = sk_calls

    # Same answers? onnxruntime computes in float32, scikit-learn in float64.
    s = session(tensor, 1)
    labels, proba = s.run(None, {"input": x32_small})
    ref = by_pos.predict_proba(x_small)
    out["agreement_10k"] = {
        "max_abs_proba_diff_onnxruntime_vs_sklearn": float(np.abs(proba - ref).max()),
        "labels_differ": int((np.asarray(labels) != by_pos.classes_[ref.argmax(axis=1)]).sum()),
        "named_inputs_max_abs_diff_vs_tensor": float(
            np.abs(session(named, 1).run(None, named_small)[1] - proba).max()
        ),
    }
    print(json.dumps(out, indent=1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="records in the large batch")
    p.add_argument("--calls", type=int, default=5000, help="calls for the one-record medians")
    p.add_argument("--records-cache", help=".npy file holding the records (written if missing)")
    p.add_argument("--check-records", help="JSON records written by cargo bench to compare with")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: skl2onnx's)")
    p.add_argument("--quick", action="store_true", help="few rounds (a smoke run)")
    measure(p.parse_args())


if __name__ == "__main__":
    main()
