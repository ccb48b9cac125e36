"""mlops-lite from Python: the same registry, file format and core as the CLI.

A registry is one SQLite file (``mlops-lite.db`` by default) or a ``postgres://`` URL. It holds
versioned datasets, versioned model pipelines (stored as data, never as pickles) and a log of
every prediction. The vocabulary is the Python tool's::

    from mlops_lite import MlopsLite
    client = MlopsLite("mlops-lite.db")
    client.bind_dataset(df, "iris", "Iris plants")
    client.train_model("iris", "iris-lr", target="target")
    client.predict("iris-lr", records, log=True)

Everything here converts between pandas / numpy / Python values and the Rust core
(``mlops_lite._core``), which holds every rule: data crosses as numpy arrays, one per column,
and every error is an :class:`MlopsLiteError` with the core's message and a ``kind``.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, Union, cast, overload

import numpy as np
import pandas as pd

from ._core import MlopsLiteError
from ._core import Registry as _Registry
from ._core import __version__

__all__ = ["MlopsLite", "MlopsLiteError", "__version__"]

PathLike = Union[str, "os.PathLike[str]"]
Records = Union[pd.DataFrame, Sequence[Mapping[str, Any]], Mapping[str, Any]]


def _error(kind: str, message: str) -> MlopsLiteError:
    err = MlopsLiteError(message)
    err.kind = kind
    return err


def _text_values(series: pd.Series) -> List[Any]:
    # Every null pandas knows (None, NaN, pd.NA) becomes None; the core checks the rest is str.
    return cast(List[Any], series.to_numpy(dtype=object, na_value=None).tolist())


def _column(name: Any, series: pd.Series, numbers_as_float: bool) -> Tuple[str, str, Any, Any]:
    """One DataFrame column as the core takes it: (name, kind, values, null mask or None)."""
    if not isinstance(name, str):
        raise _error(
            "input",
            f"column {name!r}: column names must be strings (df.columns = df.columns.astype(str))",
        )
    dtype = series.dtype
    types = pd.api.types
    nulls = series.isna().to_numpy()
    if types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=bool, na_value=False)
        return name, "bool", np.ascontiguousarray(values), nulls if nulls.any() else None
    if types.is_integer_dtype(dtype) and not numbers_as_float:
        if types.is_unsigned_integer_dtype(dtype) and len(series) and series.max() > np.iinfo(np.int64).max:
            raise _error(
                "input",
                f"column {name!r}: unsigned integers above {np.iinfo(np.int64).max} do not fit "
                "the int64 mlops-lite stores; convert the column (e.g. to float or str)",
            )
        values = series.to_numpy(dtype=np.int64, na_value=0)
        return name, "int", np.ascontiguousarray(values), nulls if nulls.any() else None
    if types.is_integer_dtype(dtype) or types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return name, "float", np.ascontiguousarray(values), None
    if types.is_string_dtype(dtype) or types.is_object_dtype(dtype):
        return name, "str", _text_values(series), None
    raise _error(
        "input",
        f"column {name!r} has dtype {dtype}, which mlops-lite cannot store: it stores integer, "
        "float, boolean and text columns (numpy's and pandas' nullable ones alike); convert it "
        f"(e.g. df[{name!r}].astype(str)) or drop it",
    )


def _frame_columns(df: pd.DataFrame, numbers_as_float: bool) -> List[Tuple[str, str, Any, Any]]:
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()][0]
        raise _error("input", f"column {dup!r} appears more than once; name each column once")
    return [_column(name, df[name], numbers_as_float) for name in df.columns]


def _with_index(df: pd.DataFrame) -> pd.DataFrame:
    """The DataFrame with a named index (``df.set_index("id")``) turned back into columns,
    as ``df.reset_index()`` does: a named index is data. An unnamed one (0, 1, 2, ... or the
    row labels left by filtering or slicing) is row positions and is left out."""
    if any(name is not None for name in df.index.names):
        return df.reset_index()
    return df


def _object(text: str) -> Dict[str, Any]:
    """A report or entry the core sent as JSON text."""
    return cast(Dict[str, Any], json.loads(text))


def _frame(rows: List[Dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()


def _pulled_column(dtype: str, values: Any, mask: Any) -> Any:
    if dtype == "Int64":
        return pd.arrays.IntegerArray(values, mask) if mask.any() else values
    if dtype == "boolean":
        return pd.arrays.BooleanArray(values, mask) if mask.any() else values
    if dtype == "string":
        return pd.Series(values, dtype=None if any(v is not None for v in values) else object)
    return values


class MlopsLite:
    """A client of one registry: a SQLite file (created when missing) or a ``postgres://`` URL.

    Every method raises :class:`MlopsLiteError` (with ``kind``) on failure, and a method that
    fails writes nothing.
    """

    def __init__(self, db: PathLike = "mlops-lite.db") -> None:
        self._reg = _Registry(os.fspath(db))

    def __repr__(self) -> str:
        return f"MlopsLite({self._reg.label()!r})"

    # ---- datasets -------------------------------------------------------------------------

    def bind_dataset(
        self,
        data: Union[pd.DataFrame, PathLike, Sequence[Mapping[str, Any]]],
        name: str,
        description: str = "",
    ) -> Dict[str, Any]:
        """Binds ``data`` as a version of dataset ``name``.

        ``data`` is a DataFrame (int, float, bool and text columns, numpy's or pandas'
        nullable dtypes; any other dtype is refused, naming the column; a named index, as
        ``df.set_index("id")`` makes, is kept as columns first, an unnamed one is row positions
        and left out), the path of a CSV or JSON file, or a list of records (dicts). Identical content already bound under
        ``name`` returns that version and writes nothing; other content is the next version.
        Returns ``{"dataset": {...}, "created": bool}``.
        """
        if isinstance(data, pd.DataFrame):
            out = self._reg.bind_columns(name, description, _frame_columns(_with_index(data), False))
        elif isinstance(data, (str, os.PathLike)):
            out = self._reg.bind_file(os.fspath(data), name, description)
        elif isinstance(data, (list, tuple)):
            text = json.dumps(list(data), allow_nan=True).encode()
            out = self._reg.bind_bytes(text, "json", "<records>", name, description)
        else:
            raise _error(
                "invalid_argument",
                f"bind_dataset takes a DataFrame, a file path or a list of records, not {type(data).__name__}",
            )
        return _object(out)

    def list_datasets(self) -> pd.DataFrame:
        """Every dataset version, one row each (id, name, version, md5, size, ...)."""
        return _frame(json.loads(self._reg.list_datasets()))

    def info(self, ref: str) -> pd.DataFrame:
        """The column summaries of dataset ``ref`` (``id``, ``name`` or ``name@version``)."""
        return _frame(json.loads(self._reg.info(ref)))

    def pull_dataset(self, ref: str) -> pd.DataFrame:
        """Dataset ``ref``'s rows as bound (md5-checked), as a DataFrame.

        Integer columns come back as int64 (pandas' nullable Int64 when they hold nulls),
        floats as float64 (NaN for null), booleans as bool (nullable boolean with nulls), and
        text as pandas' default text dtype (None or NaN for null, as pandas makes them).
        """
        _, columns = self._reg.pull_dataset(ref)
        return pd.DataFrame({name: _pulled_column(dtype, v, m) for name, dtype, v, m in columns})

    # ---- models ---------------------------------------------------------------------------

    def train_model(
        self,
        dataset: str,
        name: str,
        target: Optional[str] = None,
        estimator: Optional[str] = None,
        *,
        description: str = "",
        test_size: Optional[float] = None,
        seed: Optional[int] = None,
        **params: Any,
    ) -> Dict[str, Any]:
        """Trains a pipeline on dataset ``dataset`` and binds it as a version of model ``name``.

        ``estimator`` is one of the core's estimators (``logistic_regression`` by default;
        ``mlops-lite model train --help`` lists them), ``params`` its hyper-parameters;
        ``test_size`` (default 0.25) rows are held out for metrics, split with ``seed``
        (default 42). An identical artifact already bound writes nothing.
        Returns ``{"model": {...}, "created": bool}``.
        """
        options: Dict[str, Any] = {"dataset": dataset, "name": name, "description": description}
        if target is not None:
            options["target"] = target
        if estimator is not None:
            options["estimator"] = {"estimator": estimator, **params} if params else estimator
        elif params:
            raise _error("invalid_argument", "hyper-parameters need an estimator: train_model(..., estimator=NAME, ...)")
        if test_size is not None:
            options["test_size"] = test_size
        if seed is not None:
            options["seed"] = seed
        return _object(self._reg.train_model(json.dumps(options)))

    def bind_model(
        self,
        pipeline: Any,
        dataset: str,
        name: str,
        description: str = "",
        target: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Binds a fitted scikit-learn pipeline or estimator as a version of model ``name``,
        on dataset ``dataset`` (the rows it was fitted on came from it).

        The fitted numbers are read out of the scikit-learn objects into mlops-lite's artifact
        format (data, never a pickle: see ``mlops_lite.sklearn.SUPPORTED`` for what is read),
        so the model predicts with mlops-lite's code everywhere, equal to scikit-learn's
        ``predict_proba`` / ``predict``. Fit it on a DataFrame of the dataset's columns: its
        feature names must be columns of the dataset, and ``target`` (by default the one
        column of the dataset that is not a feature) holds its classes. The model records that
        scikit-learn (and which version) fitted it; it has no held-out metrics and
        ``reproduce`` cannot retrain it. Anything unsupported or inconsistent raises
        ``MlopsLiteError`` before anything is written. An identical artifact already bound
        writes nothing. Returns ``{"model": {...}, "created": bool}``.
        """
        from .sklearn import fitted_pipeline

        fitted = fitted_pipeline(pipeline, target)
        return _object(self._reg.bind_fitted(fitted, dataset, name, description))

    def list_models(self) -> pd.DataFrame:
        """Every model version, one row each (id, name, version, estimator, metrics, ...)."""
        return _frame(json.loads(self._reg.list_models()))

    def model_info(self, ref: str) -> Dict[str, Any]:
        """Model ``ref``'s signature, classes, metrics, lineage, spec and versions."""
        return _object(self._reg.model_info(ref))

    # ---- predictions ----------------------------------------------------------------------

    @overload
    def predict(
        self, model_ref: str, records: Records, log: bool = ..., output: Literal["records"] = ...
    ) -> List[Dict[str, Any]]: ...

    @overload
    def predict(self, model_ref: str, records: Records, log: bool = ..., *, output: Literal["frame"]) -> pd.DataFrame: ...

    @overload
    def predict(self, model_ref: str, records: Records, log: bool, output: Literal["frame"]) -> pd.DataFrame: ...

    def predict(
        self,
        model_ref: str,
        records: Records,
        log: bool = False,
        output: str = "records",
    ) -> Union[List[Dict[str, Any]], pd.DataFrame]:
        """Predicts ``records`` with model ``model_ref`` (``name``, ``name@version`` or id).

        ``records`` is a DataFrame (one column per feature, numbers as float64; an optional
        ``reference_id`` column or index; any other index is ignored) or a list of dicts (the CLI's JSON records). With ``log``,
        the call and every record are written to the prediction log in one transaction. A bad
        record fails the whole batch, naming it, and logs nothing.

        ``output="records"`` returns the Python tool's shape, one dict per record:
        ``{"reference_id": ..., "results": {class: probability, ...}, "label": class}``
        (a regressor: ``"results": value``). ``output="frame"`` returns a DataFrame with the
        columns of ``mlops-lite predict --output csv`` (``reference_id``, ``label``,
        ``proba_<class>`` per class; a regressor: ``reference_id``, ``value``), without a
        Python object per record.
        """
        if output not in ("records", "frame"):
            raise _error("invalid_argument", f'output must be "records" or "frame", not {output!r}')
        if isinstance(records, pd.DataFrame):
            ids = None
            frame = records
            if records.index.names == ["reference_id"]:  # df.set_index("reference_id")
                frame = records.reset_index()
            if "reference_id" in frame.columns:
                ids = [None if v is None else str(v) for v in _text_values(frame["reference_id"])]
                frame = frame.drop(columns=["reference_id"])
            columns = _frame_columns(frame, True)
            result = self._reg.predict_columns(model_ref, columns, ids, log, output == "records")
        elif isinstance(records, (list, tuple, dict)):
            batch = [records] if isinstance(records, dict) else list(records)
            text = json.dumps(batch, allow_nan=True).encode()
            result = self._reg.predict_json(model_ref, text, log, output == "records")
        else:
            raise _error(
                "invalid_argument",
                f"predict takes a DataFrame or a list of records (dicts), not {type(records).__name__}",
            )
        if output == "records":
            return cast(List[Dict[str, Any]], result)
        return _frame_out(cast(Tuple[Any, Any, Any, List[str]], result))

    def log(
        self,
        model: Optional[str] = None,
        reference_id: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> pd.DataFrame:
        """Logged prediction records, oldest first, one row each (as ``mlops-lite log list``):
        filtered by model, reference id, UTC time (``YYYY-MM-DD[ HH:MM:SS]``) or the newest
        ``limit``."""
        return _frame(json.loads(self._reg.log(model, reference_id, since, until, limit)))

    # ---- checks and copies ----------------------------------------------------------------

    def verify(self, tolerance: Optional[float] = None) -> Dict[str, Any]:
        """Checks the registry offline (datasets re-hashed, models loaded, every logged
        prediction replayed); problems are listed in the report's ``problems``."""
        return _object(self._reg.verify(tolerance))

    def reproduce(self, model_ref: str) -> Dict[str, Any]:
        """Retrains model ``model_ref`` from its stored dataset and spec (seed included) and
        compares the new artifact with the stored one (``identical``, both md5s)."""
        return _object(self._reg.reproduce(model_ref))

    def copy(
        self,
        to: PathLike,
        datasets: Iterable[str] = (),
        models: Iterable[str] = (),
        with_log: bool = False,
    ) -> Dict[str, Any]:
        """Copies datasets and models (everything when both are empty; a model brings its
        dataset) into the registry ``to`` (a file, created when missing, or a
        ``postgres://`` URL), with their prediction log when ``with_log``."""
        return _object(self._reg.copy_to(os.fspath(to), list(datasets), list(models), with_log))


    # ---- the Python tool's files ----------------------------------------------------------

    def import_legacy(
        self,
        old_db: PathLike,
        rename: Mapping[str, str] = {},
        skip: Iterable[str] = (),
        unpickle_trusted: bool = False,
    ) -> Dict[str, Any]:
        """Imports a registry file of the Python mlops-lite into this registry, in one
        transaction, as ``mlops-lite import-legacy`` does: its datasets (values bit for bit)
        and its prediction log. ``old_db`` is opened read-only and never changed. Its models
        are Python pickles: they are never unpickled, only listed (``list_legacy_models()``)
        as not runnable. ``rename`` maps names the Python tool allowed and this one refuses
        to new names; ``skip`` leaves out ``NAME`` or ``NAME@VERSION``.

        ``unpickle_trusted=True`` also converts the pickled pipelines into runnable models.
        WARNING: unpickling runs code stored in the file; a hostile file can do anything your
        user can. Pass it only for a file you trust (one you or your team wrote with the
        Python tool). Each pickle (its md5 checked against the import) is unpickled, read as
        ``bind_model`` reads a fitted pipeline, and bound as a version of the model's name on
        its imported dataset; one that cannot be converted stays listed as not runnable, with
        the reason. The report's ``converted`` lists each outcome, and a ``warning`` says that
        pickles were unpickled (also issued as a Python warning).
        """
        report = self._import_legacy(old_db, rename, skip)
        if unpickle_trusted:
            report["converted"] = self._convert_legacy(old_db, report["models"])
            report["warning"] = (
                f"unpickle_trusted=True: the pickles of {os.fspath(old_db)} were unpickled, which "
                "runs code stored in that file; do this only for files you trust"
            )
            warnings.warn(report["warning"], stacklevel=2)
        return report

    def _import_legacy(self, old_db: PathLike, rename: Mapping[str, str], skip: Iterable[str]) -> Dict[str, Any]:
        pairs = [f"{old}={new}" for old, new in dict(rename).items()]
        return _object(self._reg.import_legacy(os.fspath(old_db), pairs, list(skip)))

    def _convert_legacy(self, old_db: PathLike, models: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Unpickles and binds each imported legacy model (see ``import_legacy``)."""
        import hashlib
        import sqlite3

        from .sklearn import fitted_pipeline, unpickle_trusted

        uri = "file:" + os.path.abspath(os.fspath(old_db)) + "?mode=ro&immutable=1"
        out: List[Dict[str, Any]] = []
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as old:
            for m in models:
                legacy = m["model"]
                entry: Dict[str, Any] = {"legacy_name": m["legacy_name"], "legacy_id": legacy["legacy_id"]}
                try:
                    row = old.execute(
                        "SELECT deployable FROM deployable_registry WHERE id = ?", (legacy["legacy_id"],)
                    ).fetchone()
                    data = bytes(row[0]) if row else b""
                    if hashlib.md5(data).hexdigest() != legacy["pickle_md5"]:
                        raise _error("corrupt", f"the pickle of legacy model {legacy['legacy_id']} changed since the import")
                    obj, version = unpickle_trusted(data)
                    mapping = legacy.get("target_mapping")
                    labels = None
                    if isinstance(mapping, dict) and mapping:
                        labels = {str(int(v)) if isinstance(v, (int, float)) else str(v): str(k) for k, v in mapping.items()}
                    fitted = fitted_pipeline(obj, legacy["target"], version, labels)
                    bound = _object(self._reg.bind_fitted(fitted, legacy["dataset"], legacy["name"], legacy["description"]))
                    entry["model"] = bound["model"]
                    entry["created"] = bound["created"]
                except Exception as e:  # noqa: BLE001 - any failure leaves the model not runnable
                    entry["not_runnable"] = str(e)
                out.append(entry)
        return out

    def list_legacy_models(self) -> pd.DataFrame:
        """Models of the Python tool listed by ``import_legacy``: metadata and the pickle's
        length and md5; never runnable."""
        return _frame(json.loads(self._reg.list_legacy_models()))


def _frame_out(result: Tuple[Any, Any, Any, List[str]]) -> pd.DataFrame:
    # The columns of `mlops-lite predict --output csv`: reference_id, label, proba_<class>
    # (a regressor: reference_id, value), so no class name can collide with another column.
    ids, values, labels, classes = result
    n = len(values)
    data: Dict[str, Any] = {"reference_id": ids if ids is not None else [None] * n}
    if labels is None:
        data["value"] = values
    else:
        data["label"] = np.asarray(classes, dtype=object)[labels] if n else np.array([], dtype=object)
        for k, c in enumerate(classes):
            data[f"proba_{c}"] = values[:, k]
    return pd.DataFrame(data)
