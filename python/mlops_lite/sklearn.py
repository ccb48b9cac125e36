"""Reading a fitted scikit-learn pipeline out as data, for ``MlopsLite.bind_model``.

The fitted numbers (coefficients, tree nodes, scaler statistics, categories) are read from
the scikit-learn objects into mlops-lite's artifact format (JSON data, never a pickle), so
the model runs with mlops-lite's own code in every build (native, npm, the page). The Rust
core checks the result against the dataset it is bound to (``src/fitted.rs``) and validates
it as it validates every artifact read from a file.

Only what is listed in ``SUPPORTED`` is read; anything else (another estimator, a custom
transformer, a FunctionTransformer, an unfitted object, options whose predictions we would
not reproduce) raises ``MlopsLiteError`` (kind ``invalid_argument``) before anything is
written, with the list of what is supported. Each conversion reproduces scikit-learn's own
arithmetic where it matters for the bits: trees compare float32-rounded values (as
scikit-learn's trees do), boosted trees start from scikit-learn's baseline and add leaf
values in iteration order, leaf class fractions are normalised as ``predict_proba`` does.

scikit-learn is imported lazily: it is not a dependency of the package.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._core import MlopsLiteError

SUPPORTED = (
    "Pipeline, ColumnTransformer (remainder drop or passthrough), SimpleImputer, "
    "StandardScaler, MinMaxScaler, OneHotEncoder (handle_unknown ignore or error), "
    "OrdinalEncoder; LogisticRegression, LinearRegression, Ridge, Lasso, ElasticNet, "
    "DecisionTreeClassifier/Regressor, RandomForestClassifier/Regressor, "
    "ExtraTreesClassifier/Regressor, KNeighborsClassifier/Regressor, GaussianNB, "
    "GradientBoostingClassifier/Regressor, HistGradientBoostingClassifier/Regressor"
)


def _refuse(message: str) -> MlopsLiteError:
    e = MlopsLiteError(f"{message}. bind_model supports: {SUPPORTED}")
    e.kind = "invalid_argument"
    return e


def _floats(values: Any) -> List[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _label(value: Any) -> str:
    """A class label as mlops-lite writes the target's values (``3``, ``true``, ``setosa``)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _check_fitted(obj: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(obj)
    except NotFittedError:
        raise _refuse(f"{type(obj).__name__} is not fitted: fit it before bind_model") from None
    except TypeError as e:
        raise _refuse(f"{type(obj).__name__} is not a scikit-learn estimator ({e})") from None


# --- transformers --------------------------------------------------------------------------

def _step(obj: Any, where: str) -> List[Dict[str, Any]]:
    """The fitted steps (mlops-lite's JSON) of one scikit-learn transformer."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

    name = type(obj).__name__
    if isinstance(obj, (Pipeline, ColumnTransformer)):
        raise _refuse(f"{where}: a nested {name} is not supported")
    from sklearn.preprocessing import FunctionTransformer

    if type(obj) is FunctionTransformer and obj.func is None and obj.inverse_func is None:
        return []  # the identity (what a fitted remainder="passthrough" becomes)
    _check_fitted(obj)
    if type(obj) is SimpleImputer:
        if not _is_missing(obj.missing_values):
            raise _refuse(f"{where}: SimpleImputer(missing_values={obj.missing_values!r}); only NaN/None")
        if obj.add_indicator:
            raise _refuse(f"{where}: SimpleImputer(add_indicator=True)")
        stats = list(obj.statistics_)
        if obj.strategy != "constant" and any(_is_missing(s) for s in stats):
            raise _refuse(f"{where}: SimpleImputer has a column with no values in training (statistics NaN)")
        if all(isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, (bool, np.bool_))
               for s in stats):
            return [{"step": "impute_numbers", "fill": _floats(stats)}]
        if all(isinstance(s, str) for s in stats):
            return [{"step": "impute_strings", "fill": stats}]
        raise _refuse(f"{where}: SimpleImputer fill values {stats!r} mix numbers and strings")
    if type(obj) is StandardScaler:
        n = int(obj.n_features_in_)
        mean = _floats(obj.mean_) if obj.with_mean else [0.0] * n
        scale = _floats(obj.scale_) if obj.with_std else [1.0] * n
        return [{"step": "standard_scaler", "mean": mean, "scale": scale}]
    if type(obj) is MinMaxScaler:
        if obj.clip:
            raise _refuse(f"{where}: MinMaxScaler(clip=True)")
        return [{"step": "multiply_add", "scale": _floats(obj.scale_), "offset": _floats(obj.min_)}]
    if type(obj) in (OneHotEncoder, OrdinalEncoder):
        cats = []
        for i, c in enumerate(obj.categories_):
            values = list(c)
            if any(_is_missing(v) for v in values):
                raise _refuse(f"{where}: {name} saw missing values as a category of column {i}; "
                              "put a SimpleImputer before it")
            if not all(isinstance(v, str) for v in values):
                raise _refuse(f"{where}: {name} on column {i} has non-string categories; "
                              "encode string columns only")
            if values != sorted(values):
                raise _refuse(f"{where}: {name} categories of column {i} are not sorted; "
                              "use categories='auto'")
            cats.append(values)
        if type(obj) is OneHotEncoder:
            if obj.drop is not None:
                raise _refuse(f"{where}: OneHotEncoder(drop={obj.drop!r}); only drop=None")
            if obj.handle_unknown not in ("ignore", "error"):
                raise _refuse(f"{where}: OneHotEncoder(handle_unknown={obj.handle_unknown!r})")
            if getattr(obj, "infrequent_categories_", None) is not None and any(
                    x is not None for x in obj.infrequent_categories_):
                raise _refuse(f"{where}: OneHotEncoder with infrequent categories")
            step: Dict[str, Any] = {"step": "one_hot_encoder", "categories": cats}
            if obj.handle_unknown == "error":
                step["error_on_unknown"] = True
            return [step]
        if obj.handle_unknown == "error":
            unknown: Any = "error"
        else:
            v = obj.unknown_value
            unknown = "nan" if _is_missing(v) else {"value": float(v)}
        if getattr(obj, "infrequent_categories_", None) is not None and any(
                x is not None for x in obj.infrequent_categories_):
            raise _refuse(f"{where}: OrdinalEncoder with infrequent categories")
        return [{"step": "ordinal_encoder", "categories": cats, "unknown": unknown}]
    raise _refuse(f"{where}: {name} is not supported")


def _width(steps: Sequence[Dict[str, Any]], n_in: int) -> int:
    if steps and steps[-1]["step"] == "one_hot_encoder":
        return sum(len(c) for c in steps[-1]["categories"])
    return n_in


def _slice_elementwise(step: Dict[str, Any], lo: int, hi: int) -> Dict[str, Any]:
    """A per-column step cut to columns ``lo..hi`` (a step after a ColumnTransformer)."""
    out: Dict[str, Any] = {"step": step["step"]}
    for k, v in step.items():
        if k != "step":
            out[k] = v[lo:hi]
    return out


def _groups(transformers: Sequence[Any], features: List[str]) -> List[Dict[str, Any]]:
    """Groups (mlops-lite's FittedGroup JSON) from the transformer steps of a Pipeline, all of
    them before the estimator: a ColumnTransformer first or none, then per-column steps."""
    from sklearn.compose import ColumnTransformer

    rest = list(transformers)
    groups: List[Dict[str, Any]] = []
    if rest and isinstance(rest[0][1], ColumnTransformer):
        ct_name, ct = rest.pop(0)
        _check_fitted(ct)
        names = list(ct.feature_names_in_) if hasattr(ct, "feature_names_in_") else None
        if names is None:
            raise _refuse("the ColumnTransformer was fitted without column names: fit the pipeline on a DataFrame")
        if ct.sparse_output_:
            raise _refuse("the ColumnTransformer's output is sparse: set sparse_threshold=0")
        indices = ct._transformer_to_input_indices
        for gname, trans, _cols in ct.transformers_:
            if isinstance(trans, str) and trans == "drop":
                continue
            idx = [int(i) for i in indices.get(gname, [])]
            if not idx:
                continue
            columns = [features.index(names[i]) for i in idx]
            where = f"{ct_name}[{gname!r}]"
            if isinstance(trans, str) and trans == "passthrough":
                steps: List[Dict[str, Any]] = []
            else:
                from sklearn.pipeline import Pipeline

                parts = [s for _, s in trans.steps] if isinstance(trans, Pipeline) else [trans]
                steps = []
                for i, p in enumerate(parts):
                    if isinstance(p, str) and p == "passthrough":
                        continue
                    steps += _step(p, f"{where} step {i}")
            strings = bool(steps) and steps[0]["step"] in ("impute_strings", "one_hot_encoder", "ordinal_encoder")
            groups.append({"name": str(gname), "columns": columns, "input": "strings" if strings else "numbers",
                           "steps": steps})
    else:
        # No ColumnTransformer: one group of every feature through the steps, in order.
        steps = []
        for sname, obj in rest:
            if not (obj is None or (isinstance(obj, str) and obj == "passthrough")):
                steps += _step(obj, f"step {sname!r}")
        strings = bool(steps) and steps[0]["step"] in ("impute_strings", "one_hot_encoder", "ordinal_encoder")
        return [{"name": "all", "columns": list(range(len(features))),
                 "input": "strings" if strings else "numbers", "steps": steps}]
    # Per-column steps after the ColumnTransformer apply to each group's slice of its output.
    for sname, obj in rest:
        if isinstance(obj, str) and obj == "passthrough" or obj is None:
            continue
        [step] = _step(obj, f"step {sname!r}")
        if step["step"] in ("one_hot_encoder", "ordinal_encoder", "impute_strings"):
            raise _refuse(f"step {sname!r}: an encoder after the ColumnTransformer is not supported; "
                          "put it inside the ColumnTransformer")
        lo = 0
        for g in groups:
            w = _width(g["steps"], len(g["columns"]))
            g["steps"].append(_slice_elementwise(step, lo, lo + w))
            lo += w
    return groups


# --- estimators ----------------------------------------------------------------------------

def _preorder(children_left: Any, children_right: Any) -> List[int]:
    """Node ids in preorder (so every child comes after its parent)."""
    order: List[int] = []
    stack = [0]
    while stack:
        i = stack.pop()
        order.append(i)
        if children_left[i] >= 0 and children_right[i] >= 0 and children_left[i] != children_right[i]:
            stack.append(int(children_right[i]))
            stack.append(int(children_left[i]))
    return order


def _tree(left: Any, right: Any, feature: Any, threshold: Any, values: np.ndarray,
          missing_left: Optional[Any], is_leaf: Any) -> Dict[str, Any]:
    """mlops-lite's Tree JSON: nodes renumbered in preorder, leaves with 0 children."""
    order = _preorder(np.where(is_leaf, -1, left), np.where(is_leaf, -1, right))
    new = {old: i for i, old in enumerate(order)}
    out: Dict[str, Any] = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}
    miss: List[bool] = []
    for old in order:
        if is_leaf[old]:
            out["feature"].append(0)
            out["threshold"].append(0.0)
            out["left"].append(0)
            out["right"].append(0)
            miss.append(False)
        else:
            out["feature"].append(int(feature[old]))
            t = float(threshold[old])
            out["threshold"].append("inf" if t == float("inf") else "-inf" if t == float("-inf") else t)
            out["left"].append(new[int(left[old])])
            out["right"].append(new[int(right[old])])
            miss.append(bool(missing_left[old]) if missing_left is not None else False)
        out["value"].extend(float(v) for v in values[old])
    if missing_left is not None:
        out["missing_left"] = miss
    return out


def _sk_tree(est: Any, classifier: bool, scale: float = 1.0) -> Dict[str, Any]:
    t = est.tree_
    if t.n_outputs != 1:
        raise _refuse(f"{type(est).__name__} with {t.n_outputs} outputs")
    is_leaf = t.children_left == -1
    if classifier:
        v = t.value[:, 0, :].copy()
        normalizer = v.sum(axis=1)[:, np.newaxis]
        normalizer[normalizer == 0.0] = 1.0
        v /= normalizer
    else:
        v = t.value[:, 0, :1].copy()
        if scale != 1.0:
            v = scale * v
    missing = getattr(t, "missing_go_to_left", None)
    return _tree(t.children_left, t.children_right, t.feature, t.threshold, v, missing, is_leaf)


def _hist_tree(predictor: Any) -> Dict[str, Any]:
    nodes = predictor.nodes
    if nodes["is_categorical"].any():
        raise _refuse("HistGradientBoosting with categorical features")
    return _tree(nodes["left"], nodes["right"], nodes["feature_idx"], nodes["num_threshold"],
                 nodes["value"].reshape(-1, 1), nodes["missing_go_to_left"], nodes["is_leaf"].astype(bool))


def _estimator(est: Any) -> Tuple[Dict[str, Any], List[str]]:
    """mlops-lite's Fitted JSON of a scikit-learn estimator, and its class labels."""
    from sklearn import ensemble, linear_model, naive_bayes, neighbors, tree

    name = type(est).__name__
    _check_fitted(est)
    n = int(est.n_features_in_)
    classes = [_label(c) for c in est.classes_] if hasattr(est, "classes_") else []
    if hasattr(est, "n_outputs_") and est.n_outputs_ != 1:
        raise _refuse(f"{name} with {est.n_outputs_} outputs")
    kind = type(est)
    if kind is linear_model.LogisticRegression:
        coef = np.asarray(est.coef_)
        return {"logistic_regression": {"n_features": n, "n_classes": len(classes),
                                        "coef": _floats(coef), "intercept": _floats(est.intercept_)}}, classes
    if kind in (linear_model.LinearRegression, linear_model.Ridge, linear_model.Lasso, linear_model.ElasticNet):
        coef = np.asarray(est.coef_)
        if coef.ndim != 1:
            raise _refuse(f"{name} with several targets")
        key = {"LinearRegression": "linear_regression", "Ridge": "ridge", "Lasso": "lasso",
               "ElasticNet": "elastic_net"}[name]
        return {key: {"coef": _floats(coef), "intercept": float(est.intercept_)}}, classes
    if kind in (tree.DecisionTreeClassifier, tree.DecisionTreeRegressor):
        clf = kind is tree.DecisionTreeClassifier
        key = "decision_tree_classifier" if clf else "decision_tree_regressor"
        return {key: {"n_features": n, "n_classes": len(classes) if clf else 0,
                      "trees": [_sk_tree(est, clf)], "f32_inputs": True}}, classes
    forests = {ensemble.RandomForestClassifier: "random_forest_classifier",
               ensemble.RandomForestRegressor: "random_forest_regressor",
               ensemble.ExtraTreesClassifier: "extra_trees_classifier",
               ensemble.ExtraTreesRegressor: "extra_trees_regressor"}
    if kind in forests:
        clf = kind in (ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier)
        return {forests[kind]: {"n_features": n, "n_classes": len(classes) if clf else 0,
                                "trees": [_sk_tree(e, clf) for e in est.estimators_],
                                "f32_inputs": True}}, classes
    if kind in (neighbors.KNeighborsClassifier, neighbors.KNeighborsRegressor):
        if est.effective_metric_ != "euclidean" or est.weights not in ("uniform", "distance"):
            raise _refuse(f"{name}(metric={est.effective_metric_!r}, weights={est.weights!r}); "
                          "only the euclidean metric with uniform or distance weights")
        clf = kind is neighbors.KNeighborsClassifier
        y = np.asarray(est._y, dtype=np.float64)
        if y.ndim != 1:
            raise _refuse(f"{name} with several targets")
        key = "knn_classifier" if clf else "knn_regressor"
        return {key: {"n_features": n, "n_classes": len(classes) if clf else 0, "k": int(est.n_neighbors),
                      "weights": est.weights, "points": _floats(est._fit_X), "targets": _floats(y)}}, classes
    if kind is naive_bayes.GaussianNB:
        return {"gaussian_nb": {"n_features": n, "priors": _floats(est.class_prior_),
                                "means": _floats(est.theta_), "variances": _floats(est.var_)}}, classes
    if kind in (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor):
        from sklearn.ensemble._gb import _init_raw_predictions

        clf = kind is ensemble.GradientBoostingClassifier
        loss = type(est._loss).__name__
        if clf and loss not in ("HalfBinomialLoss", "HalfMultinomialLoss"):
            raise _refuse(f"{name}(loss={est.loss!r}); only log_loss")
        if est.init_ == "zero":
            baseline = [0.0] * est.n_trees_per_iteration_
        elif type(est.init_).__name__ in ("DummyClassifier", "DummyRegressor"):
            x0 = np.zeros((1, n), dtype=np.float32)
            baseline = _floats(_init_raw_predictions(x0, est.init_, est._loss, clf)[0])
        else:
            raise _refuse(f"{name} with init={type(est.init_).__name__}")
        trees = [_sk_tree(t, False, est.learning_rate) for stage in est.estimators_ for t in stage]
        for t in trees:
            t.pop("missing_left", None)  # predict_stages sends NaN right (NaN <= t is false)
        key = "gradient_boosting_classifier" if clf else "gradient_boosting_regressor"
        return {key: {"n_features": n, "n_classes": len(classes) if clf else 0, "baseline": baseline,
                      "trees": trees, "f32_inputs": True}}, classes
    if kind in (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor):
        clf = kind is ensemble.HistGradientBoostingClassifier
        if getattr(est, "_preprocessor", None) is not None or (
                est.is_categorical_ is not None and np.any(est.is_categorical_)):
            raise _refuse(f"{name} with categorical features")
        link = type(est._loss.link).__name__
        if link not in (("LogitLink", "MultinomialLogit") if clf else ("IdentityLink",)):
            raise _refuse(f"{name}(loss={est.loss!r}) (its link is {link}): only "
                          + ("log_loss" if clf else "losses without a link function"))
        trees = [_hist_tree(p) for it in est._predictors for p in it]
        key = "hist_gradient_boosting_classifier" if clf else "hist_gradient_boosting_regressor"
        return {key: {"n_features": n, "n_classes": len(classes) if clf else 0,
                      "baseline": _floats(est._baseline_prediction), "trees": trees}}, classes
    raise _refuse(f"the estimator {name} is not supported")


def fitted_pipeline(obj: Any, target: Optional[str] = None, version: Optional[str] = None,
                    class_labels: Optional[Dict[str, str]] = None) -> str:
    """The JSON mlops-lite's core reads (``src/fitted.rs``) for a fitted scikit-learn
    pipeline or estimator. Raises ``MlopsLiteError`` for anything not supported.

    ``version`` is the scikit-learn version that fitted it (default: the one running);
    ``class_labels`` maps the estimator's class labels to the target's values (the Python
    tool's ``target_mapping``, inverted)."""
    import sklearn
    from sklearn.pipeline import Pipeline

    if isinstance(obj, Pipeline):
        steps = [(n, s) for n, s in obj.steps if not (s is None or (isinstance(s, str) and s == "passthrough"))]
        if not steps:
            raise _refuse("the Pipeline has no steps")
        transformers, (_, est) = steps[:-1], steps[-1]
    else:
        transformers, est = [], obj
    if not hasattr(obj, "fit"):
        raise _refuse(f"{type(obj).__name__} is not a scikit-learn estimator")
    _check_fitted(obj)
    names = getattr(obj, "feature_names_in_", None)
    if names is None:
        raise _refuse("the pipeline was fitted without column names: fit it on a DataFrame of the "
                      "dataset's columns, so mlops-lite can match its features to the dataset")
    features = [str(c) for c in names]
    estimator, classes = _estimator(est)
    if class_labels is not None:
        missing = [c for c in classes if c not in class_labels]
        if missing:
            raise _refuse(f"the classes {missing} are not in the target mapping")
        classes = [class_labels[c] for c in classes]
    groups = _groups(transformers, features)
    # A feature read by no group (a dropped column) is not part of the signature.
    used = sorted({c for g in groups for c in g["columns"]})
    remap = {old: new for new, old in enumerate(used)}
    for g in groups:
        g["columns"] = [remap[c] for c in g["columns"]]
    return json.dumps({
        "fitted_by": {"library": "scikit-learn", "version": version or sklearn.__version__},
        "features": [features[i] for i in used],
        "target": target,
        "classes": classes,
        "transformers": groups,
        "estimator": estimator,
    }, allow_nan=False)


def unpickle_trusted(data: bytes) -> Tuple[Any, str]:
    """Unpickles a pipeline the Python mlops-lite stored: THIS RUNS CODE FROM THE BYTES, so
    only for a file the user said they trust. Returns the object and the scikit-learn version
    that pickled it (from scikit-learn's version warning; else the running one)."""
    import pickle
    import warnings as w

    import sklearn
    from sklearn.exceptions import InconsistentVersionWarning

    with w.catch_warnings(record=True) as caught:
        w.simplefilter("always", InconsistentVersionWarning)
        obj = pickle.loads(data)  # noqa: S301 - the caller passed unpickle_trusted=True
    versions = [str(c.message.original_sklearn_version) for c in caught
                if isinstance(c.message, InconsistentVersionWarning)]
    return obj, versions[0] if versions else sklearn.__version__
