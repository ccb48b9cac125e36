# Type stubs of the native module (python/src/lib.rs). Reports and listings cross as JSON
# text, data as numpy arrays; mlops_lite/__init__.py is the public API over these.
from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

class MlopsLiteError(Exception):
    """An error of mlops-lite: the core's message, and `kind` (input, invalid_argument,
    not_found, not_a_registry, newer_format, corrupt, database, io, connection, altered,
    older_format, busy)."""

    kind: str

# (name, kind "int" | "float" | "bool" | "str", values, null mask or None)
_Column = Tuple[str, str, Any, Optional[npt.NDArray[np.bool_]]]
# (reference ids or None, probabilities (n, classes) or values (n,), class indices or None, classes)
_Predictions = Tuple[
    Optional[List[Optional[str]]],
    npt.NDArray[np.float64],
    Optional[npt.NDArray[np.uint32]],
    List[str],
]

class Registry:
    """A registry: a SQLite file (created when missing) or a postgres:// URL."""

    def __init__(self, db: Union[str, PathLike[str]]) -> None: ...
    def label(self) -> str:
        """How messages name this registry."""
    def bind_columns(self, name: str, description: str, columns: Sequence[_Column]) -> str:
        """Binds columns as a dataset version; the bind as JSON."""
    def bind_file(
        self, path: Union[str, PathLike[str]], name: str, description: str, format: Optional[str] = None
    ) -> str:
        """Binds a CSV or JSON file; the bind as JSON."""
    def bind_bytes(self, data: bytes, format: str, label: str, name: str, description: str) -> str:
        """Binds CSV or JSON text labelled `label` in errors; the bind as JSON."""
    def pull_dataset(self, reference: str) -> Tuple[str, List[Tuple[str, str, Any, Any]]]:
        """The dataset entry (JSON) and its columns: (name, dtype, values, mask or None)."""
    def list_datasets(self) -> str:
        """Every dataset version (JSON)."""
    def info(self, reference: str) -> str:
        """Column summaries of a dataset (JSON)."""
    def list_models(self) -> str:
        """Every model version (JSON)."""
    def model_info(self, reference: str) -> str:
        """A model's signature, classes, metrics, lineage and versions (JSON)."""
    def train_model(self, options: str) -> str:
        """Trains and binds a model from the JSON object `options`; the bind as JSON."""
    def bind_fitted(self, fitted: str, dataset: str, name: str, description: str) -> str:
        """Binds a pipeline fitted elsewhere (`mlops_lite.sklearn`'s JSON); the bind as JSON."""
    def predict_columns(
        self,
        model: str,
        columns: Sequence[_Column],
        reference_ids: Optional[Sequence[Optional[str]]],
        log: bool,
        records: bool,
    ) -> Union[_Predictions, List[Dict[str, Any]]]:
        """Predicts columns (numbers as float64): one dict per record (`records`), or arrays."""
    def predict_json(
        self, model: str, text: bytes, log: bool, records: bool
    ) -> Union[_Predictions, List[Dict[str, Any]]]:
        """Predicts JSON records made from dicts (errors name record and field)."""
    def log(
        self,
        model: Optional[str] = None,
        reference_id: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> str:
        """Logged prediction records (JSON)."""
    def verify(self, tolerance: Optional[float] = None) -> str:
        """The offline check's report (JSON)."""
    def reproduce(self, model: str) -> str:
        """Retrains a model and compares artifacts (JSON)."""
    def import_legacy(
        self, old: Union[str, PathLike[str]], rename: List[str], skip: List[str]
    ) -> str:
        """Imports a Python mlops-lite file: datasets and log (JSON report)."""
    def list_legacy_models(self) -> str:
        """The Python tool's models listed by an import (JSON)."""
    def copy_to(
        self, to: Union[str, PathLike[str]], datasets: List[str], models: List[str], with_log: bool
    ) -> str:
        """Copies datasets and models into another registry (JSON report)."""
