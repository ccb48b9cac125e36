#!/usr/bin/env python3
"""onnxruntime and scikit-learn on the README's iris pipeline, for the side-by-side table of
`bash scripts/bench-predict.sh` (issue 13, item 3), which runs this in the same run as
`cargo bench --bench predict` inside a virtualenv (target/bench-venv) with pinned versions.

Measure (prints one JSON object to stdout, progress on stderr):
    python scripts/bench-compare.py [--n 1000000] [--records-cache FILE.npy]
                                    [--check-records records.json] [--quick]
Table (what the driver prints: every `cargo bench` line, then the comparison in markdown):
    python scripts/bench-compare.py --table CARGO_BENCH_OUTPUT.txt COMPARE.json

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
are done before timing; batch figures are the best of several rounds, single records the
median of many calls.
"""
import argparse
import json
import os
import platform
import re
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


def best_rate(fn, n, rounds):
    """Records/s of the fastest of `rounds` calls of fn() on n records (one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return n / best


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
    rounds_big, rounds_small, calls = (2, 3, 200) if args.quick else (5, 20, args.calls)

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
        ort_out[label] = {
            "batch_1m_records_per_s": best_rate(lambda: s.run(outputs, big), n, rounds_big),
            "batch_10k_records_per_s": best_rate(lambda: s.run(outputs, small_feed), small, rounds_small),
            "one_record_us_median": 1e6 * median_time(lambda: s.run(outputs, one_feed), calls),
        }
    ort_out["default_threads_means"] = "intra_op_num_threads left at 0: onnxruntime chooses"
    out["onnxruntime"] = ort_out

    log("scikit-learn predict_proba")
    sk_calls = max(calls // 2, 200) if not args.quick else 100
    out["sklearn"] = {
        "numpy_1m_records_per_s": best_rate(lambda: by_pos.predict_proba(x), n, min(rounds_big, 3)),
        "numpy_10k_records_per_s": best_rate(lambda: by_pos.predict_proba(x_small), small, rounds_small),
        "dataframe_10k_records_per_s": best_rate(lambda: by_name.predict_proba(df_small), small, rounds_small),
        "one_record_ms_median_numpy": 1e3 * median_time(lambda: by_pos.predict_proba(one), sk_calls),
        "one_record_ms_median_dataframe": 1e3 * median_time(lambda: by_name.predict_proba(df_one), sk_calls),
        "one_record_calls": sk_calls,
    }

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


# ---------------------------------------------------------------- table

# "label: 12345 unit rest", the label possibly holding colons ("wasm: open a 9 MB ...: 80 ms").
LINE = re.compile(r"^(?P<label>\S.*?):\s+(?P<num>[0-9][0-9.]*)\s*(?P<rest>.*)$")


def fmt_rate(v):
    return f"{v / 1e6:.2f}M records/s"


ORT_VARIANTS = [
    ("1_thread", "tensor [N,4] float32, labels + probabilities, 1 thread"),
    ("default_threads", "tensor [N,4] float32, labels + probabilities, default threads"),
    ("proba_only_1_thread", "tensor [N,4] float32, probabilities only, 1 thread"),
    ("named_inputs_1_thread", "4 named [N,1] inputs, labels + probabilities, 1 thread"),
]


def table(cargo_path, compare_path):
    with open(cargo_path) as f:
        cargo = f.read().splitlines()
    with open(compare_path) as f:
        c = json.load(f)
    o, sk = c["onnxruntime"], c["sklearn"]
    variants = [(k, what) for k, what in ORT_VARIANTS if k in o]
    big = "1M" if c["records"] == 1_000_000 else f"{c['records']:,}"
    same_rate = o["1_thread"]["batch_1m_records_per_s"]
    same_one = o["1_thread"]["one_record_us_median"]
    best_rate_, best_rate_what = max(
        (o[k][f], f"{big if f.startswith('batch_1m') else '10k'} records, {what}")
        for k, what in variants
        for f in ("batch_1m_records_per_s", "batch_10k_records_per_s")
    )
    best_one, best_one_what = min((o[k]["one_record_us_median"], what) for k, what in variants)

    def ratio(r):
        return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"

    def vs_ort(value, unit):
        """(vs onnxruntime's 1M batch / one record on 1 thread, vs its best in this run)."""
        if unit.startswith("records/s"):
            return ratio(value / same_rate), ratio(value / best_rate_)
        if unit.startswith("us median"):
            return ratio(same_one / value), ratio(best_one / value)
        return "", ""

    rows = []
    for line in cargo:
        m = LINE.match(line.strip())
        if not m:
            continue
        label, num, rest = m["label"], float(m["num"]), m["rest"]
        side = "mlops-lite npm (Node)" if label.startswith(("wasm", "npm")) else "mlops-lite native"
        unit = rest.split(" (")[0].split(",")[0].strip()
        if unit.startswith("records/s"):
            figure = fmt_rate(num) + rest[len("records/s"):]
        else:
            figure = f"{num:g} {rest}"
        rows.append((side, label, figure, *vs_ort(num, unit)))

    for key, what in variants:
        r = o[key]
        rows.append(("onnxruntime", f"{big} records, {what}", fmt_rate(r["batch_1m_records_per_s"]),
                     *vs_ort(r["batch_1m_records_per_s"], "records/s")))
        rows.append(("onnxruntime", f"10k records, {what}", fmt_rate(r["batch_10k_records_per_s"]),
                     *vs_ort(r["batch_10k_records_per_s"], "records/s")))
        rows.append(("onnxruntime", f"one record, {what}", f"{r['one_record_us_median']:.1f} us median",
                     *vs_ort(r["one_record_us_median"], "us median")))
    for what, key in [(f"{big} rows, numpy", "numpy_1m_records_per_s"),
                      ("10k rows, numpy", "numpy_10k_records_per_s"),
                      ("10k rows, DataFrame", "dataframe_10k_records_per_s")]:
        rows.append(("scikit-learn", f"predict_proba, {what}", fmt_rate(sk[key]), *vs_ort(sk[key], "records/s")))
    for what, key in [("numpy", "one_record_ms_median_numpy"), ("DataFrame", "one_record_ms_median_dataframe")]:
        rows.append(("scikit-learn", f"predict_proba, one record, {what}", f"{sk[key]:.3f} ms median",
                     *vs_ort(1e3 * sk[key], "us median")))

    v = c["versions"]
    print()
    print("Same run, iris pipeline; above 1x is faster than onnxruntime. 'vs onnxruntime 1M': a rate over")
    print(f"onnxruntime's {big}-record batch on 1 thread ({fmt_rate(same_rate)}), or its one-record time on")
    print(f"1 thread ({same_one:.1f} us) over a one-record time. 'vs its best': over the fastest onnxruntime")
    print(f"batch of this run ({fmt_rate(best_rate_)}: {best_rate_what}) or one record")
    print(f"({best_one:.1f} us: {best_one_what}).")
    print()
    print("| who | what | figure | vs onnxruntime 1M | vs its best |")
    print("|---|---|---|---:|---:|")
    for side, label, figure, same, best in rows:
        print(f"| {side} | {label} | {figure.replace('|', '/')} | {same} | {best} |")
    print()
    print(f"Versions: Python {v['python']}, numpy {v['numpy']}, pandas {v['pandas']}, "
          f"scikit-learn {v['scikit-learn']}, onnxruntime {v['onnxruntime']}, "
          f"skl2onnx {v['skl2onnx']}, onnx {v['onnx']}; {c['cpus']} CPUs.")
    a = c["agreement_10k"]
    print(f"onnxruntime (float32) vs scikit-learn (float64) on 10k records: max |proba diff| "
          f"{a['max_abs_proba_diff_onnxruntime_vs_sklearn']:.1e}, {a['labels_differ']} labels differ.")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1_000_000, help="records in the large batch")
    p.add_argument("--calls", type=int, default=5000, help="calls for the one-record medians")
    p.add_argument("--records-cache", help=".npy file holding the records (written if missing)")
    p.add_argument("--check-records", help="JSON records written by cargo bench to compare with")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default: skl2onnx's)")
    p.add_argument("--quick", action="store_true", help="few rounds (a smoke run)")
    p.add_argument("--table", nargs=2, metavar=("CARGO_OUTPUT", "COMPARE_JSON"),
                   help="print the markdown comparison instead of measuring")
    args = p.parse_args()
    if args.table:
        table(*args.table)
    else:
        measure(args)


if __name__ == "__main__":
    main()
