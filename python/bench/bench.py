"""The Python package's speed (issue 15, item 5), side by side in one process with what a
Python user would do instead: pandas' own SQLite writer and reader, and scikit-learn's
predict_proba on the same DataFrame.

    bash scripts/bench-python.sh [--rounds N] [--rows N]   (builds the package, then runs this)

Prints human lines and `FIGURE key value unit` lines (the format of the Rust benches). Each
figure is the median of its rounds; ranges are min-max over the rounds. Timings use
time.perf_counter; the machine is shared, so run it on a quiet one (the load average before
and after is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, List

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from mlops_lite import MlopsLite

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]


def figure(key: str, value: float, unit: str) -> None:
    print(f"FIGURE {key} {value:.6g} {unit}", flush=True)


def timed(fn: Callable[[], object], rounds: int) -> List[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def describe(times: List[float]) -> str:
    return f"median {statistics.median(times):.3f} s ({min(times):.3f}-{max(times):.3f}, {len(times)} rounds)"


def rate(n: int, times: List[float]) -> float:
    return n / statistics.median(times)


def iris_frame() -> pd.DataFrame:
    bunch = load_iris(as_frame=True)
    df = bunch.frame.copy()
    df["target"] = bunch.target_names[bunch.target].astype(object)
    return df


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each batch figure")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the bind DataFrame")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    work = Path(tempfile.mkdtemp(prefix="mlops-lite-pybench-"))

    # ---- bind and pull: 1M x 10 floats --------------------------------------------------
    rng = np.random.default_rng(0)
    big = pd.DataFrame((rng.random((args.rows, 10)) - 0.5) * 1000, columns=[f"x{i}" for i in range(10)])
    binds, pulls, pandas_writes, pandas_reads = [], [], [], []
    for r in range(args.rounds):
        db = work / f"bind-{r}.db"
        client = MlopsLite(db)
        binds += timed(lambda: client.bind_dataset(big, "floats"), 1)
        pulls += timed(lambda: client.pull_dataset("floats"), 1)
        del client
        plain = work / f"pandas-{r}.db"
        with sqlite3.connect(plain) as con:
            pandas_writes += timed(lambda: big.to_sql("floats", con, index=False, chunksize=100_000), 1)
            pandas_reads += timed(lambda: pd.read_sql("SELECT * FROM floats", con), 1)
        for p in (db, plain):
            p.unlink()
    back = MlopsLite(work / "check.db")
    back.bind_dataset(big, "floats")
    assert back.pull_dataset("floats").equals(big), "pull_dataset changed the values"
    print(f"bind {args.rows:,} x 10 floats from a DataFrame: {describe(binds)}; pandas to_sql: {describe(pandas_writes)}")
    print(f"pull_dataset of it: {describe(pulls)}; pandas read_sql: {describe(pandas_reads)}")
    figure("py.bind_1m", statistics.median(binds), "s")
    figure("py.pull_1m", statistics.median(pulls), "s")
    figure("py.pandas_to_sql_1m", statistics.median(pandas_writes), "s")
    figure("py.pandas_read_sql_1m", statistics.median(pandas_reads), "s")

    # ---- predict: iris, 10,000 records ---------------------------------------------------
    client = MlopsLite(work / "predict.db")
    iris = iris_frame()
    client.bind_dataset(iris, "iris")
    client.train_model("iris", "iris-lr", target="target")
    reps = -(-10_000 // len(iris))
    frame = pd.concat([iris[FEATURES]] * reps, ignore_index=True).head(10_000)
    records = json.loads(frame.to_json(orient="records"))
    sk = Pipeline(
        [
            ("pre", ColumnTransformer([("num", Pipeline([("imp", SimpleImputer(strategy="median")), ("sc", StandardScaler())]), FEATURES)])),
            ("lr", LogisticRegression(max_iter=1000)),
        ]
    ).fit(iris[FEATURES], iris["target"])
    rounds = args.rounds * 4
    n = len(frame)
    cases = {
        "py.predict_10k_frame_out": lambda: client.predict("iris-lr", frame, output="frame"),
        "py.predict_10k_records_out": lambda: client.predict("iris-lr", frame),
        "py.predict_10k_from_dicts": lambda: client.predict("iris-lr", records),
        "py.predict_10k_frame_out_logged": lambda: client.predict("iris-lr", frame, log=True, output="frame"),
        "py.sklearn_predict_proba_10k": lambda: sk.predict_proba(frame),
    }
    for key, fn in cases.items():
        fn()  # warm
        t = timed(fn, rounds)
        print(f"{key}: {rate(n, t) / 1e6:.2f}M records/s ({n / max(t) / 1e6:.2f}-{n / min(t) / 1e6:.2f})")
        figure(key, rate(n, t), "records/s")
    ours = client.predict("iris-lr", frame, output="frame")
    theirs = sk.predict_proba(frame)
    proba_columns = ["proba_" + c for c in sk.classes_]
    largest = np.abs(ours[proba_columns].to_numpy() - theirs).max()
    print(f"largest |mlops-lite - scikit-learn| probability on these records: {largest:.2e} (different fits: ours is smartcore's)")

    # ---- one record with log -------------------------------------------------------------
    one = [records[0]]
    one_frame = frame.head(1)
    for key, fn in {
        "py.one_logged_dict": lambda: client.predict("iris-lr", one, log=True),
        "py.one_logged_frame": lambda: client.predict("iris-lr", one_frame, log=True),
        "py.one_unlogged_dict": lambda: client.predict("iris-lr", one),
        "py.sklearn_one_predict_proba": lambda: sk.predict_proba(one_frame),
    }.items():
        for _ in range(50):
            fn()
        t = sorted(timed(fn, 2000))
        med, p95 = t[len(t) // 2], t[int(len(t) * 0.95)]
        print(f"{key}: median {med * 1e6:.1f} us, p95 {p95 * 1e6:.1f} us (2,000 calls)")
        figure(f"{key}.median", med * 1e6, "us")
        figure(f"{key}.p95", p95 * 1e6, "us")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
