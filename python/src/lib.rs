//! `mlops_lite._core`: the Python door of mlops-lite (PyO3). It converts and calls, nothing
//! else: numpy arrays and Python strings become the core's columns ([`Values`],
//! [`Columns`]), each method calls one [`Registry`] method, and results go back as numpy
//! arrays (data) or JSON text (reports and listings, which `mlops_lite/__init__.py` turns
//! into dicts and DataFrames). Registry rules, SQL, maths and messages are the core's.
//!
//! Every core error is raised as `MlopsLiteError` with the core's message and a `kind`
//! attribute ([`mlops_lite::ErrorKind::name`]: `input`, `not_found`, ...). Mistakes of the
//! Python caller that the core never sees (a column of the wrong Python type) are raised the
//! same way, with kind `input` or `invalid_argument`.

use std::borrow::Cow;
use std::path::PathBuf;

use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::{Column, Dataset, Values};
use mlops_lite::pipeline::batch::BatchOut;
use mlops_lite::records::{Columns, Records};
use mlops_lite::{Error, ErrorKind, LogQuery, Registry, SpecInput, TrainRequest};
use numpy::{IntoPyArray, PyArray1, PyArrayMethods, PyReadonlyArray1};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyList, PyString, PyTuple};
use serde::Serialize;

create_exception!(
    _core,
    MlopsLiteError,
    PyException,
    "An error of mlops-lite: the core's message, and `kind` (input, invalid_argument, \
     not_found, not_a_registry, newer_format, corrupt, database, io, connection, altered, \
     older_format, busy)."
);

/// The core's error as `MlopsLiteError`, with its kind.
fn core_err(py: Python<'_>, e: Error) -> PyErr {
    raise(py, e.kind(), e.to_string())
}

fn raise(py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
    let err = MlopsLiteError::new_err(message);
    // An exception instance takes attributes; setting one cannot fail short of memory.
    let _ = err.value(py).setattr("kind", kind.name());
    err
}

fn input(py: Python<'_>, message: String) -> PyErr {
    raise(py, ErrorKind::Input, message)
}

fn json<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| {
        raise(
            py,
            ErrorKind::InvalidArgument,
            format!("cannot convert the result: {e}"),
        )
    })
}

/// A registry: a SQLite file (created when missing) or a `postgres://` URL.
#[pyclass(unsendable, name = "Registry", module = "mlops_lite._core")]
struct PyRegistry {
    inner: Registry,
}

/// One column as the Python layer hands it over: `(name, kind, values, mask)`, kind one of
/// `int` (int64 array), `float` (float64 array, NaN is null), `bool` (bool array), `str`
/// (a list of str or None); `mask` (bool array, True = null) for `int` and `bool`.
type PyColumn<'py> = (String, String, Bound<'py, PyAny>, Option<Bound<'py, PyAny>>);

fn array<'py, T: numpy::Element>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    name: &str,
    what: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    values.extract::<PyReadonlyArray1<'py, T>>().map_err(|_| {
        input(
            py,
            format!("column {name:?}: expected a 1-d {what} numpy array"),
        )
    })
}

fn with_mask<T: Copy>(
    py: Python<'_>,
    values: &[T],
    mask: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Vec<Option<T>>> {
    let Some(mask) = mask else {
        return Ok(values.iter().map(|&v| Some(v)).collect());
    };
    let mask = array::<bool>(py, mask, name, "bool mask")?;
    let mask = mask.as_array();
    if mask.len() != values.len() {
        return Err(input(
            py,
            format!(
                "column {name:?}: {} mask values for {} values",
                mask.len(),
                values.len()
            ),
        ));
    }
    Ok(values
        .iter()
        .zip(mask.iter())
        .map(|(&v, &null)| (!null).then_some(v))
        .collect())
}

fn contiguous<'a, T: numpy::Element>(
    py: Python<'_>,
    a: &'a PyReadonlyArray1<'_, T>,
    name: &str,
) -> PyResult<&'a [T]> {
    a.as_slice().map_err(|_| {
        input(
            py,
            format!("column {name:?}: the array is not contiguous (np.ascontiguousarray)"),
        )
    })
}

/// A list of text values: str, or None / NaN for null (pandas' object columns hold NaN).
fn strings(py: Python<'_>, values: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<Option<String>>> {
    let list = values
        .cast::<PyList>()
        .map_err(|_| input(py, format!("column {name:?}: expected a list of strings")))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        if item.is_none() {
            out.push(None);
        } else if let Ok(s) = item.cast::<PyString>() {
            out.push(Some(s.to_cow()?.into_owned()));
        } else if item.cast::<PyFloat>().is_ok_and(|f| f.value().is_nan()) {
            out.push(None);
        } else {
            let type_name = item.get_type().name()?.to_string();
            return Err(input(
                py,
                format!(
                    "column {name:?}, row {i}: a {type_name} ({}) in a text column; a text \
                     column holds str or None (convert the column, e.g. df[col].astype(str))",
                    item.repr()?
                ),
            ));
        }
    }
    Ok(out)
}

/// A numpy array with its null mask (True = null) as optional values.
fn masked<T: numpy::Element + Copy>(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    mask: Option<&Bound<'_, PyAny>>,
    name: &str,
    what: &str,
) -> PyResult<Vec<Option<T>>> {
    let a = array::<T>(py, values, name, what)?;
    with_mask(py, contiguous(py, &a, name)?, mask, name)
}

fn dataset_column(py: Python<'_>, col: &PyColumn<'_>) -> PyResult<Column> {
    let (name, kind, values, mask) = col;
    let values = match kind.as_str() {
        "int" => Values::Integer(masked::<i64>(py, values, mask.as_ref(), name, "int64")?),
        "float" => {
            let a = array::<f64>(py, values, name, "float64")?;
            Values::Float(contiguous(py, &a, name)?.to_vec())
        }
        "bool" => Values::Boolean(masked::<bool>(py, values, mask.as_ref(), name, "bool")?),
        "str" => Values::String(strings(py, values, name)?),
        other => {
            return Err(raise(
                py,
                ErrorKind::InvalidArgument,
                format!("column {name:?}: unknown kind {other:?} (int, float, bool, str)"),
            ))
        }
    };
    Ok(Column::new(name.clone(), values))
}

/// Predictions as `(reference_ids or None, outputs, labels or None, classes)`: a
/// classifier's probabilities as an (n, classes) float64 array, the predicted class indices
/// (uint32) and the class names; a regressor's values as a float64 array, None, and [].
fn predictions<'py>(
    py: Python<'py>,
    p: mlops_lite::predict::Predictions,
    classes: &[String],
) -> PyResult<Bound<'py, PyTuple>> {
    let classes = PyList::new(py, classes)?.into_any();
    let ids: Option<Vec<Option<String>>> = (!p.reference_ids.is_empty()).then_some(p.reference_ids);
    let ids = ids.into_pyobject(py)?.into_any();
    match p.outputs {
        BatchOut::Classes {
            n_classes,
            proba,
            labels,
        } => {
            let n = labels.len();
            let proba = proba.into_pyarray(py).reshape([n, n_classes])?.into_any();
            let labels = labels.into_pyarray(py).into_any();
            PyTuple::new(py, [ids, proba, labels, classes])
        }
        BatchOut::Values(v) => {
            let values = v.into_pyarray(py).into_any();
            PyTuple::new(py, [ids, values, py.None().into_bound(py), classes])
        }
    }
}

/// Predictions in the Python tool's shape, one dict per record: `{"reference_id": ...,
/// "results": {class: probability, ...}, "label": class}`, or `"results": value` for a
/// regressor. Built here rather than in Python: about twice as fast for 10,000 records.
fn prediction_records<'py>(
    py: Python<'py>,
    p: &mlops_lite::predict::Predictions,
    classes: &[String],
) -> PyResult<Bound<'py, PyAny>> {
    let keys: Vec<Bound<'py, PyString>> = classes.iter().map(|c| PyString::new(py, c)).collect();
    let (k_ref, k_results, k_label) = (
        intern!(py, "reference_id"),
        intern!(py, "results"),
        intern!(py, "label"),
    );
    let n = p.len();
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        let d = PyDict::new(py);
        d.set_item(k_ref, p.reference_id(i))?;
        match &p.outputs {
            BatchOut::Classes {
                n_classes,
                proba,
                labels,
            } => {
                let results = PyDict::new(py);
                for (key, v) in keys.iter().zip(&proba[i * n_classes..(i + 1) * n_classes]) {
                    results.set_item(key, *v)?;
                }
                d.set_item(k_results, results)?;
                d.set_item(k_label, &keys[labels[i] as usize])?;
            }
            BatchOut::Values(v) => d.set_item(k_results, v[i])?,
        }
        records.push(d);
    }
    Ok(PyList::new(py, records)?.into_any())
}

/// The answer of a predict call: records (see [`prediction_records`]) or arrays (see
/// [`predictions`]).
fn answer<'py>(
    py: Python<'py>,
    p: mlops_lite::predict::Predictions,
    classes: &[String],
    records: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if records {
        prediction_records(py, &p, classes)
    } else {
        Ok(predictions(py, p, classes)?.into_any())
    }
}

/// Optional values as a numpy array (`fill` where null) and a bool mask (True = null).
fn split_nulls<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    v: &[Option<T>],
    fill: T,
) -> (Bound<'py, PyAny>, Bound<'py, PyAny>) {
    let values: Vec<T> = v.iter().map(|x| x.unwrap_or(fill)).collect();
    let mask: Vec<bool> = v.iter().map(Option::is_none).collect();
    (
        values.into_pyarray(py).into_any(),
        mask.into_pyarray(py).into_any(),
    )
}

impl PyRegistry {
    /// Binds CSV or JSON from a file or bytes; the bind as JSON.
    fn bind_input(
        &mut self,
        py: Python<'_>,
        input: Input<'_>,
        format: Format,
        name: &str,
        description: &str,
    ) -> PyResult<String> {
        let bound = self
            .inner
            .bind_dataset_from(input, format, name, description, &mut |_, _| {})
            .map_err(|e| core_err(py, e))?;
        json(py, &bound)
    }
}

#[pymethods]
impl PyRegistry {
    /// Opens (or creates) the registry at `db`: a file path or a `postgres://` URL.
    #[new]
    fn new(py: Python<'_>, db: PathBuf) -> PyResult<Self> {
        let inner = Registry::open(&db).map_err(|e| core_err(py, e))?;
        Ok(PyRegistry { inner })
    }

    /// How messages name this registry.
    fn label(&self) -> String {
        self.inner.label().to_string()
    }

    /// Binds columns (see `PyColumn`) as a dataset version; returns the bind's JSON.
    fn bind_columns(
        &mut self,
        py: Python<'_>,
        name: &str,
        description: &str,
        columns: Vec<PyColumn<'_>>,
    ) -> PyResult<String> {
        let columns = columns
            .iter()
            .map(|c| dataset_column(py, c))
            .collect::<PyResult<Vec<_>>>()?;
        let data = Dataset::new(columns).map_err(|e| core_err(py, e))?;
        let bound = self
            .inner
            .bind_dataset(&data, name, description)
            .map_err(|e| core_err(py, e))?;
        json(py, &bound)
    }

    /// Binds a CSV or JSON file (`format`: "csv", "json", or None to go by its extension).
    #[pyo3(signature = (path, name, description, format=None))]
    fn bind_file(
        &mut self,
        py: Python<'_>,
        path: PathBuf,
        name: &str,
        description: &str,
        format: Option<&str>,
    ) -> PyResult<String> {
        let format = match format {
            Some(f) => Format::parse(f).map_err(|e| core_err(py, e))?,
            None => Format::from_path(&path).ok_or_else(|| {
                raise(
                    py,
                    ErrorKind::InvalidArgument,
                    format!(
                        "{}: cannot tell CSV from JSON by the extension; pass format=\"csv\" or \"json\"",
                        path.display()
                    ),
                )
            })?,
        };
        self.bind_input(py, Input::Path(&path), format, name, description)
    }

    /// Binds JSON or CSV text (records made by the Python layer) labelled `label` in errors.
    fn bind_bytes(
        &mut self,
        py: Python<'_>,
        data: &[u8],
        format: &str,
        label: &str,
        name: &str,
        description: &str,
    ) -> PyResult<String> {
        let format = Format::parse(format).map_err(|e| core_err(py, e))?;
        let input = Input::Bytes { bytes: data, label };
        self.bind_input(py, input, format, name, description)
    }

    /// A dataset's entry (JSON) and columns: `(name, dtype, values, mask)` with dtype
    /// `Int64` (int64 array and a bool mask, True = null), `Float64` (float64, NaN = null),
    /// `boolean` (bool array and mask) or `string` (a list of str or None).
    fn pull_dataset<'py>(
        &self,
        py: Python<'py>,
        reference: &str,
    ) -> PyResult<(String, Vec<Bound<'py, PyTuple>>)> {
        let (entry, data) = self
            .inner
            .pull_dataset(reference)
            .map_err(|e| core_err(py, e))?;
        let mut out = Vec::with_capacity(data.columns().len());
        for c in data.columns() {
            let name = c.name.as_str().into_pyobject(py)?.into_any();
            let dtype = c.values.dtype().name().into_pyobject(py)?.into_any();
            let none = py.None().into_bound(py);
            let (values, mask) = match &c.values {
                Values::Integer(v) => split_nulls(py, v, 0),
                Values::Float(v) => (PyArray1::from_slice(py, v).into_any(), none),
                Values::Boolean(v) => split_nulls(py, v, false),
                Values::String(v) => (
                    PyList::new(py, v.iter().map(|s| s.as_deref()))?.into_any(),
                    none,
                ),
            };
            out.push(PyTuple::new(py, [name, dtype, values, mask])?);
        }
        Ok((json(py, &entry)?, out))
    }

    /// Every dataset version (JSON).
    fn list_datasets(&self, py: Python<'_>) -> PyResult<String> {
        json(
            py,
            &self.inner.list_datasets().map_err(|e| core_err(py, e))?,
        )
    }

    /// A dataset's column summaries (JSON).
    fn info(&self, py: Python<'_>, reference: &str) -> PyResult<String> {
        json(
            py,
            &self.inner.info(reference).map_err(|e| core_err(py, e))?,
        )
    }

    /// Every model version (JSON).
    fn list_models(&self, py: Python<'_>) -> PyResult<String> {
        json(py, &self.inner.list_models().map_err(|e| core_err(py, e))?)
    }

    /// A model's signature, classes, metrics, lineage and versions (JSON).
    fn model_info(&mut self, py: Python<'_>, reference: &str) -> PyResult<String> {
        json(
            py,
            &self
                .inner
                .model_info(reference)
                .map_err(|e| core_err(py, e))?,
        )
    }

    /// Trains and binds a model; `options` is the JSON object of `TrainOptions` (dataset,
    /// name, description, target, estimator and its hyper-parameters, test_size, seed).
    fn train_model(&mut self, py: Python<'_>, options: &str) -> PyResult<String> {
        let bad = |m: String| raise(py, ErrorKind::InvalidArgument, m);
        let value: serde_json::Value =
            serde_json::from_str(options).map_err(|e| bad(format!("train_model options: {e}")))?;
        let serde_json::Value::Object(mut map) = value else {
            return Err(bad("train_model options must be an object".into()));
        };
        let mut take = |key: &str| -> PyResult<Option<String>> {
            match map.remove(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(bad(format!(
                    "train_model: {key} must be a string, got {other}"
                ))),
            }
        };
        let dataset = take("dataset")?.ok_or_else(|| bad("train_model needs a dataset".into()))?;
        let name = take("name")?.ok_or_else(|| bad("train_model needs a name".into()))?;
        let description = take("description")?.unwrap_or_default();
        let request = TrainRequest {
            dataset,
            name,
            description,
            spec: Some(SpecInput::Fields(map)),
            ..Default::default()
        };
        let (bound, _) = self
            .inner
            .train_and_bind(&request)
            .map_err(|e| core_err(py, e))?;
        json(py, &bound)
    }

    /// Binds a pipeline fitted by another library (`fitted`: the JSON `mlops_lite.sklearn`
    /// writes, read by the core's `fitted` module) on `dataset`; returns the bind's JSON.
    fn bind_fitted(
        &mut self,
        py: Python<'_>,
        fitted: &str,
        dataset: &str,
        name: &str,
        description: &str,
    ) -> PyResult<String> {
        let fitted =
            mlops_lite::fitted::FittedElsewhere::from_json(fitted).map_err(|e| core_err(py, e))?;
        let (bound, _) = self
            .inner
            .bind_fitted(fitted, dataset, name, description)
            .map_err(|e| core_err(py, e))?;
        json(py, &bound)
    }

    /// Predicts columns: `columns` as for `bind_columns` but `int` columns come as float64
    /// (`float`), and `reference_ids` one per record or None. Answers records (`records`)
    /// or arrays: see [`answer`].
    #[pyo3(signature = (model, columns, reference_ids, log, records))]
    fn predict_columns<'py>(
        &mut self,
        py: Python<'py>,
        model: &str,
        columns: Vec<PyColumn<'py>>,
        reference_ids: Option<Bound<'py, PyAny>>,
        log: bool,
        records: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut arrays = Vec::with_capacity(columns.len());
        for (name, kind, values, _) in &columns {
            if kind == "float" {
                arrays.push(Some(array::<f64>(py, values, name, "float64")?));
            } else {
                arrays.push(None);
            }
        }
        let mut cols = Columns::new();
        for ((name, kind, values, mask), a) in columns.iter().zip(&arrays) {
            cols = match (kind.as_str(), a) {
                ("float", Some(a)) => {
                    cols.numbers(Cow::Owned(name.clone()), contiguous(py, a, name)?)
                }
                ("bool", _) => {
                    let v = masked::<bool>(py, values, mask.as_ref(), name, "bool")?;
                    cols.booleans(Cow::Owned(name.clone()), v)
                }
                ("str", _) => cols.strings(Cow::Owned(name.clone()), strings(py, values, name)?),
                (other, _) => {
                    return Err(raise(
                        py,
                        ErrorKind::InvalidArgument,
                        format!("column {name:?}: unknown kind {other:?} (float, bool, str)"),
                    ))
                }
            };
        }
        if let Some(ids) = &reference_ids {
            cols = cols.reference_ids(strings(py, ids, "reference_id")?);
        }
        let (_, pipeline, p) = self
            .inner
            .predict(model, Records::Columns(cols), log)
            .map_err(|e| core_err(py, e))?;
        answer(py, p, &pipeline.classes, records)
    }

    /// Predicts JSON records (an array of objects) that the Python layer made from dicts:
    /// errors name the record and field, not a line and column of that text. Answers
    /// records or arrays: see [`answer`].
    fn predict_json<'py>(
        &mut self,
        py: Python<'py>,
        model: &str,
        text: &[u8],
        log: bool,
        records: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = Records::Json {
            bytes: text,
            label: None,
        };
        let (_, pipeline, p) = self
            .inner
            .predict(model, input, log)
            .map_err(|e| core_err(py, e))?;
        answer(py, p, &pipeline.classes, records)
    }

    /// Logged prediction records (JSON), filtered as `mlops-lite log list` filters.
    #[pyo3(signature = (model=None, reference_id=None, since=None, until=None, limit=None))]
    fn log(
        &self,
        py: Python<'_>,
        model: Option<String>,
        reference_id: Option<String>,
        since: Option<String>,
        until: Option<String>,
        limit: Option<i64>,
    ) -> PyResult<String> {
        let query = LogQuery {
            model,
            reference_id,
            since,
            until,
            limit,
            offset: None,
        };
        json(
            py,
            &self.inner.log_for(&query).map_err(|e| core_err(py, e))?,
        )
    }

    /// Checks the registry offline (JSON report); `tolerance` defaults to the core's.
    #[pyo3(signature = (tolerance=None))]
    fn verify(&mut self, py: Python<'_>, tolerance: Option<f64>) -> PyResult<String> {
        let tolerance = tolerance.unwrap_or(mlops_lite::verify::DEFAULT_TOLERANCE);
        json(
            py,
            &self.inner.verify(tolerance).map_err(|e| core_err(py, e))?,
        )
    }

    /// Retrains a model from its stored dataset and spec and compares artifacts (JSON).
    fn reproduce(&mut self, py: Python<'_>, model: &str) -> PyResult<String> {
        json(
            py,
            &self.inner.reproduce(model).map_err(|e| core_err(py, e))?,
        )
    }

    /// Imports a registry file of the Python mlops-lite (opened read-only) in one
    /// transaction, as `mlops-lite import-legacy` does: datasets and the log; its pickles are
    /// listed as legacy models, never loaded. JSON report.
    fn import_legacy(
        &mut self,
        py: Python<'_>,
        old: PathBuf,
        rename: Vec<String>,
        skip: Vec<String>,
    ) -> PyResult<String> {
        let options = mlops_lite::legacy::LegacyOptions { rename, skip };
        let report = mlops_lite::legacy::import_legacy_with(&old, &mut self.inner, &options)
            .map_err(|e| core_err(py, e))?;
        json(py, &report)
    }

    /// The Python tool's models listed by `import_legacy` (JSON): never runnable.
    fn list_legacy_models(&self, py: Python<'_>) -> PyResult<String> {
        let models =
            mlops_lite::legacy::list_legacy_models(&self.inner).map_err(|e| core_err(py, e))?;
        json(py, &models)
    }

    /// Copies datasets and models (all when both lists are empty) into the registry at
    /// `to` (a file, created when missing, or a postgres:// URL); JSON report.
    fn copy_to(
        &mut self,
        py: Python<'_>,
        to: PathBuf,
        datasets: Vec<String>,
        models: Vec<String>,
        with_log: bool,
    ) -> PyResult<String> {
        let selection = mlops_lite::copy::Selection {
            datasets,
            models,
            with_log,
        };
        let report = mlops_lite::copy::copy_to(&mut self.inner, &to, &selection)
            .map_err(|e| core_err(py, e))?;
        json(py, &report)
    }
}

/// The native module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRegistry>()?;
    m.add("MlopsLiteError", m.py().get_type::<MlopsLiteError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
