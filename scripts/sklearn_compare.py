#!/usr/bin/env python3
"""Sanity comparison with scikit-learn (issue 3): the default mlops-lite pipeline against
scikit-learn's LogisticRegression pipeline (median imputer + standard scaler in a
ColumnTransformer, then LogisticRegression()) on the same train/test split.

Usage: python3 scripts/sklearn_compare.py PATH/TO/mlops-lite
Needs scikit-learn and pandas (pip install scikit-learn pandas). Exits 1 when a held-out
accuracy differs by more than 2 points.

The split is mlops-lite's: a Fisher-Yates shuffle driven by splitmix64(seed), the first
ceil(test_size * n) shuffled rows held out (src/pipeline/mod.rs, `split`), re-implemented
here so both sides see exactly the same rows.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

MASK = (1 << 64) - 1


def splitmix64(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def split(n, test_size, seed):
    n_test = min(math.ceil(test_size * n), n)
    idx = list(range(n))
    rng = splitmix64(seed)
    for i in range(n - 1, 0, -1):
        j = next(rng) % (i + 1)
        idx[i], idx[j] = idx[j], idx[i]
    return sorted(idx[n_test:]), sorted(idx[:n_test])


def main():
    binary = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rows = []
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "compare.db")
        for name in ["iris", "breast_cancer"]:
            subprocess.run([binary, "--db", db, "dataset", "add", "--sample", name], check=True, capture_output=True)
            out = subprocess.run(
                [binary, "--db", db, "--json", "model", "train", "--dataset", name, "--target", "target",
                 "--name", name + "-lr", "--seed", "42", "--test-size", "0.25"],
                check=True, capture_output=True, text=True).stdout
            ours = json.loads(out)["model"]["metrics"]["accuracy"]

            df = pd.read_csv(os.path.join(root, "data", name + ".csv"))
            train, test = split(len(df), 0.25, 42)
            X, y = df.drop(columns=["target"]), df["target"]
            num = [c for c in X.columns if X[c].dtype.kind in "fi"]
            pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num)])
            model = make_pipeline(pre, LogisticRegression(max_iter=1000))
            model.fit(X.iloc[train], y.iloc[train])
            theirs = float((model.predict(X.iloc[test]) == y.iloc[test]).mean())
            diff = abs(ours - theirs) * 100
            worst = max(worst, diff)
            rows.append((name, len(train), len(test), ours, theirs, diff))
    print("| dataset | train rows | test rows | mlops-lite accuracy | scikit-learn accuracy | difference (points) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, ntr, nte, a, b, d in rows:
        print(f"| {name} | {ntr} | {nte} | {a:.4f} | {b:.4f} | {d:.2f} |")
    if worst > 2.0:
        print(f"FAIL: a held-out accuracy differs by {worst:.2f} points (> 2)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
