"""Writes the fixture that holds every build to scikit-learn's numbers (issue 15 item 3):
``tests/data/sklearn-fitted.db``, a registry with a model bound by ``bind_model`` from a
fitted scikit-learn pipeline per supported estimator (classifiers on iris and on a mixed
numeric/string dataset with missing values, regressors on diabetes and on the mixed one),
and ``tests/data/sklearn-expected.json``, scikit-learn's own ``predict_proba`` / ``predict``
on the held-out rows of each (the records as the CLI reads them, the expected numbers).

The native build (tests/sklearn_fixture.rs), the npm package (npm/test/sklearn.test.mjs) and
the page (www/test/sklearn.test.mjs) each predict those records from the file and must be
within 1e-12 of them; test_sklearn.py checks that this script still writes the committed
models (same artifact md5s, same expected numbers), so the fixture cannot go stale.

    target/python-venv/bin/python python/tests/make_sklearn_fixture.py [OUT_DIR]
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pandas as pd
import sklearn
from sklearn import neighbors

from mlops_lite import MlopsLite

from sklearn_cases import (
    CLASSIFIERS,
    REGRESSORS,
    breast_cancer,
    diabetes,
    iris,
    knn_ties,
    mixed,
    mixed_pipeline,
    mixed_regression,
    numeric,
)

REPO = Path(__file__).resolve().parents[2]

DATASETS: Dict[str, Callable[[], Tuple[pd.DataFrame, str]]] = {
    "iris": iris,
    "breast_cancer": breast_cancer,
    "mixed": mixed,
    "diabetes": diabetes,
    "mixed_regression": mixed_regression,
}


def cases() -> List[Tuple[str, str, Callable[[List[str]], Any]]]:
    out: List[Tuple[str, str, Callable[[List[str]], Any]]] = []
    for est in sorted(CLASSIFIERS):
        out.append((f"iris-{est}", "iris", numeric(CLASSIFIERS[est]())))
        out.append((f"breast_cancer-{est}", "breast_cancer", numeric(CLASSIFIERS[est]())))
        out.append((f"mixed-{est}", "mixed", mixed_pipeline(CLASSIFIERS[est]())))
    for est in sorted(REGRESSORS):
        out.append((f"diabetes-{est}", "diabetes", numeric(REGRESSORS[est]())))
        out.append((f"mixed-{est}-regressor", "mixed_regression", mixed_pipeline(REGRESSORS[est]())))
    for est in ("hist_gradient_boosting", "decision_tree", "random_forest"):
        out.append((f"nan-{est}", "mixed", mixed_pipeline(CLASSIFIERS[est](), "ordinal", impute_numbers=False)))
    return out


def records(df: pd.DataFrame, rows: List[int]) -> List[Dict[str, Any]]:
    out = []
    for i in rows:
        rec: Dict[str, Any] = {"reference_id": str(i)}
        for c, v in df.iloc[i].items():
            missing = v is None or (isinstance(v, float) and np.isnan(v))
            rec[str(c)] = None if missing else (float(v) if isinstance(v, (int, float, np.number)) else v)
        out.append(rec)
    return out


def build(out_dir: Path) -> Dict[str, Any]:
    db = out_dir / "sklearn-fitted.db"
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    client = MlopsLite(db)
    expected: Dict[str, Any] = {"sklearn_version": sklearn.__version__, "datasets": {}, "models": []}
    frames = {name: make() for name, make in DATASETS.items()}
    for name, (df, target) in frames.items():
        client.bind_dataset(df, name, f"scikit-learn fixture: {name}")
        held_out = [i for i in range(len(df)) if i % 4 == 0]
        expected["datasets"][name] = {"records": records(df.drop(columns=[target]), held_out)}
    for model_name, dataset, make in cases():
        df, target = frames[dataset]
        features = [c for c in df.columns if c != target]
        train = np.arange(len(df)) % 4 != 0
        model = make(features)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(df[features][train], df[target][train])
        client.bind_model(model, dataset, model_name, target=target)
        X = df[features][~train]
        keep = np.ones(len(X), dtype=bool)
        if isinstance(model.steps[-1][1], (neighbors.KNeighborsClassifier, neighbors.KNeighborsRegressor)):
            keep = ~knn_ties(model, X)
        entry: Dict[str, Any] = {"name": model_name, "dataset": dataset,
                                 "rows": [int(i) for i in np.flatnonzero(keep)]}
        if hasattr(model, "predict_proba"):
            entry["classes"] = [str(c) for c in model.classes_]
            entry["proba"] = [[float(p) for p in row] for row in model.predict_proba(X)[keep]]
        else:
            entry["values"] = [float(v) for v in model.predict(X)[keep]]
        expected["models"].append(entry)
    del client
    (out_dir / "sklearn-expected.json").write_text(json.dumps(expected, indent=None) + "\n")
    return expected


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "tests" / "data"
    e = build(out)
    print(f"wrote {out}/sklearn-fitted.db and sklearn-expected.json: {len(e['models'])} models, "
          f"scikit-learn {e['sklearn_version']}")
