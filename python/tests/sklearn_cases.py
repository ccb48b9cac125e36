"""The scikit-learn cases bind_model is held to (issue 15 item 3): four datasets (iris,
breast cancer, diabetes, and a mixed numeric/string one with missing values) and a fitted
pipeline per supported estimator. Shared by test_sklearn.py and make_sklearn_fixture.py."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pandas as pd
from sklearn import ensemble, linear_model, naive_bayes, neighbors, tree
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

TOLERANCE = 1e-12


def iris() -> Tuple[pd.DataFrame, str]:
    b = load_iris(as_frame=True)
    df = b.frame.copy()
    df["target"] = b.target_names[b.target].astype(object)
    return df, "target"


def breast_cancer() -> Tuple[pd.DataFrame, str]:
    return load_breast_cancer(as_frame=True).frame, "target"


def diabetes() -> Tuple[pd.DataFrame, str]:
    return load_diabetes(as_frame=True).frame, "target"


def mixed() -> Tuple[pd.DataFrame, str]:
    """Numbers and strings with missing values in both, a binary string target."""
    rng = np.random.default_rng(7)
    n = 400
    age = rng.normal(40, 12, n)
    income = rng.lognormal(10, 0.5, n)
    city = rng.choice(["berlin", "lima", "oslo", "pune"], n).astype(object)
    plan = rng.choice(["basic", "pro"], n).astype(object)
    score = 0.05 * (age - 40) + (city == "oslo") * 1.5 - (plan == "basic") * 1.0 + rng.normal(0, 1, n)
    age[rng.random(n) < 0.1] = np.nan
    income[rng.random(n) < 0.1] = np.nan
    city[rng.random(n) < 0.1] = None
    df = pd.DataFrame({"age": age, "income": income, "city": city, "plan": plan})
    df["churn"] = np.where(score > 0, "yes", "no").astype(object)
    return df, "churn"


def mixed_regression() -> Tuple[pd.DataFrame, str]:
    df, _ = mixed()
    rng = np.random.default_rng(8)
    df = df.drop(columns=["churn"])
    df["spend"] = rng.normal(100, 20, len(df)) + np.where(df["plan"] == "pro", 30.0, 0.0)
    return df, "spend"


def numeric(est: Any) -> Callable[[List[str]], Any]:
    return lambda cols: make_pipeline(StandardScaler(), est)


def mixed_pipeline(est: Any, encoder: str = "onehot", impute_numbers: bool = True) -> Callable[[List[str]], Any]:
    def build(cols: List[str]) -> Any:
        num = ["age", "income"]
        cat = ["city", "plan"]
        enc: Any = (OneHotEncoder(handle_unknown="ignore", sparse_output=False) if encoder == "onehot"
                    else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
        num_steps: List[Any] = [SimpleImputer(strategy="median"), MinMaxScaler()] if impute_numbers else [MinMaxScaler()]
        ct = ColumnTransformer([
            ("num", make_pipeline(*num_steps), num),
            ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="unknown"), enc), cat),
        ])
        return Pipeline([("prep", ct), ("model", est)])
    return build


CLASSIFIERS: Dict[str, Callable[[], Any]] = {
    "logistic_regression": lambda: linear_model.LogisticRegression(max_iter=5000),
    "decision_tree": lambda: tree.DecisionTreeClassifier(random_state=0),
    "random_forest": lambda: ensemble.RandomForestClassifier(n_estimators=20, random_state=0),
    "extra_trees": lambda: ensemble.ExtraTreesClassifier(n_estimators=20, max_depth=8, random_state=0),
    "knn": lambda: neighbors.KNeighborsClassifier(n_neighbors=5, weights="distance"),
    "knn_uniform": lambda: neighbors.KNeighborsClassifier(n_neighbors=4),
    "gaussian_nb": lambda: naive_bayes.GaussianNB(),
    "gradient_boosting": lambda: ensemble.GradientBoostingClassifier(n_estimators=30, random_state=0),
    "hist_gradient_boosting": lambda: ensemble.HistGradientBoostingClassifier(max_iter=30, random_state=0),
}

REGRESSORS: Dict[str, Callable[[], Any]] = {
    "linear_regression": lambda: linear_model.LinearRegression(),
    "ridge": lambda: linear_model.Ridge(alpha=0.5),
    "lasso": lambda: linear_model.Lasso(alpha=0.1),
    "elastic_net": lambda: linear_model.ElasticNet(alpha=0.1, l1_ratio=0.3),
    "decision_tree": lambda: tree.DecisionTreeRegressor(random_state=0, max_depth=6),
    "random_forest": lambda: ensemble.RandomForestRegressor(n_estimators=20, max_depth=7, random_state=0),
    "extra_trees": lambda: ensemble.ExtraTreesRegressor(n_estimators=20, max_depth=7, random_state=0),
    "knn": lambda: neighbors.KNeighborsRegressor(n_neighbors=5, weights="distance"),
    "gradient_boosting": lambda: ensemble.GradientBoostingRegressor(n_estimators=30, random_state=0),
    "hist_gradient_boosting": lambda: ensemble.HistGradientBoostingRegressor(max_iter=30, random_state=0),
}


def knn_ties(model: Any, X: pd.DataFrame) -> np.ndarray:
    """Rows whose k-th and (k+1)-th nearest training points are at the same distance: there
    scikit-learn's choice among them is unspecified (ours takes the lower index)."""
    est = model.steps[-1][1] if isinstance(model, Pipeline) else model
    Xt = model[:-1].transform(X) if isinstance(model, Pipeline) and len(model.steps) > 1 else X
    k = est.n_neighbors
    if k >= est.n_samples_fit_:
        return np.zeros(len(X), dtype=bool)
    d, _ = est.kneighbors(Xt, n_neighbors=k + 1)
    return np.isclose(d[:, k - 1], d[:, k], rtol=1e-12, atol=1e-12)
