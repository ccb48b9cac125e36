//! Importing registries of the Python mlops-lite (`mlops-lite import-legacy OLD.db`).
//!
//! The Python tool kept everything in one SQLite file too, in other tables:
//! `dataset_registry` (each dataset's data as column-oriented JSON, with bare `NaN` tokens for
//! missing values), `deployable_registry` (each model as a Python **pickle**), and its
//! prediction log (`model_execution_log`, `execution_items`, `request_items`,
//! `response_items`). [`import_legacy`] reads such a file strictly read-only and brings it
//! into a registry of this mlops-lite, in one transaction:
//!
//! - each dataset becomes an ordinary dataset under the same name and version, parsed like a
//!   JSON file (bit for bit; the shape is checked against the recorded one). Content already
//!   bound under that name (same md5) is reused and nothing is written; when that
//!   `name@version` already holds other content, the dataset is bound as the name's next
//!   version and the report says so. `legacy_datasets` records where each came from;
//! - each model is **listed** in `legacy_models` with its metadata, and the length and md5 of
//!   its pickle. The pickle is never unpickled, parsed, run or stored: these models are not
//!   runnable, and `predict` cannot use them (retrain with `mlops-lite model train`);
//! - each logged call becomes a row of `legacy_prediction_calls`, each logged record a row of
//!   `legacy_prediction_records` with its inputs and outputs as JSON objects
//!   (`{"varname": value}`, `{"classname": value}`), readable with plain SQL.
//!
//! Importing the same file again writes nothing: datasets are recognised by md5, models by
//! name, version and pickle md5, calls by model, Python id and time. Any error (a malformed
//! dataset, a damaged file) rolls the whole import back and names what is wrong.
//!
//! ```no_run
//! use mlops_lite::{legacy, Registry};
//!
//! let mut reg = Registry::open("mlops-lite.db")?;
//! let report = legacy::import_legacy("sqlite/mlops-lite.db".as_ref(), &mut reg)?;
//! println!("{} datasets, {} legacy models", report.after.datasets, report.after.legacy_models);
//! # Ok::<(), mlops_lite::Error>(())
//! ```

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::Value;

use crate::dataset::import::{self, Format, Input};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::registry::{check_name, Registry};
use crate::store::{self, DatasetEntry, NewDataset, PythonDataset, PythonRegistry};

pub use crate::store::{LegacyCounts, LegacyModelEntry, PythonCounts};

/// What happened to one dataset of the Python registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetOutcome {
    /// Bound under its name and version.
    Imported,
    /// Its `name@version` already held other content: bound as the name's next version.
    ImportedAsNextVersion,
    /// The same content (md5) was already bound under its name: nothing was written.
    AlreadyThere,
}

/// One dataset of the Python registry and the dataset that holds it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedDataset {
    /// Its id in the Python registry.
    pub legacy_id: i64,
    /// Its version in the Python registry.
    pub legacy_version: i64,
    /// The dataset of this registry that holds its content.
    pub dataset: DatasetEntry,
    /// What the import did.
    pub outcome: DatasetOutcome,
}

/// One model of the Python registry, as listed in `legacy_models`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedModel {
    /// The `legacy_models` row.
    pub model: LegacyModelEntry,
    /// False when it was already listed (a repeated import).
    pub created: bool,
}

/// What [`import_legacy`] found and did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyReport {
    /// The Python registry file.
    pub source: String,
    /// The registry imported into.
    pub target: String,
    /// Row counts of the Python registry's tables.
    pub found: PythonCounts,
    /// Counts of the target before the import.
    pub before: LegacyCounts,
    /// Counts of the target after the import.
    pub after: LegacyCounts,
    /// Every dataset of the Python registry, in id order.
    pub datasets: Vec<ImportedDataset>,
    /// Every model of the Python registry, in id order (never runnable).
    pub models: Vec<ImportedModel>,
    /// Logged calls written by this import.
    pub calls_imported: i64,
    /// Logged calls that were already imported.
    pub calls_already_there: i64,
    /// Logged records written by this import.
    pub records_imported: i64,
}

/// Checks that `old` is a registry of the Python mlops-lite and counts its rows, without
/// changing it (the CLI calls this before it opens or creates the target).
pub fn inspect_legacy(old: &Path) -> Result<PythonCounts> {
    store::open_python_registry(old)?.counts()
}

/// Why `import-legacy` does not write into a PostgreSQL registry, and what to do instead.
#[cfg(not(target_arch = "wasm32"))]
pub fn not_on_postgres(target: &str, old: &Path) -> crate::Error {
    let target = crate::store::pg::redact(target);
    crate::Error::InvalidArgument(format!(
        "import-legacy writes into a registry file, not into PostgreSQL ({target}): import into \
         a file, then copy it: `mlops-lite import-legacy {old} --db imported.db` and \
         `mlops-lite copy --from imported.db --to '{target}'` (the legacy_* tables stay in \
         the file)",
        old = old.display()
    ))
}

/// The models imported from Python registries (not runnable), by id.
pub fn list_legacy_models(registry: &Registry) -> Result<Vec<LegacyModelEntry>> {
    store::list_legacy_models(registry.connection()?)
}

/// Imports the Python registry `old` into `registry` in one transaction (see the module
/// docs); `old` is opened read-only and never changed. On error nothing is written.
pub fn import_legacy(old: &Path, registry: &mut Registry) -> Result<LegacyReport> {
    let src = store::open_python_registry(old)?;
    let found = src.counts()?;
    let target = registry.label().to_string();
    #[cfg(not(target_arch = "wasm32"))]
    if registry.is_postgres() {
        return Err(not_on_postgres(&target, old));
    }
    let tx = Transaction::new_unchecked(registry.connection()?, TransactionBehavior::Immediate)?;
    let before = store::legacy_counts(&tx)?;

    // Datasets: legacy id -> dataset id here.
    let mut datasets = Vec::new();
    let mut dataset_ids: HashMap<i64, i64> = HashMap::new();
    for id in src.dataset_ids()? {
        let d = src.dataset(id)?;
        let imported = import_dataset(&tx, &src, &d)?;
        dataset_ids.insert(d.id, imported.dataset.id);
        datasets.push(imported);
    }

    // Models: listed, never runnable. Python id -> legacy_models id.
    let mut models = Vec::new();
    let mut model_ids: HashMap<i64, i64> = HashMap::new();
    for m in src.deployables()? {
        let (model, created) =
            match store::find_legacy_model(&tx, &m.name, m.version, &m.pickle_md5)? {
                Some(existing) => (existing, false),
                None => {
                    let mapping = m.target_mapping.as_deref().map(json_text);
                    let variables = json_text(&m.variables);
                    let dataset_id = dataset_ids.get(&m.dataset_id).copied();
                    let entry = store::insert_legacy_model(
                        &tx,
                        &m,
                        dataset_id,
                        mapping.as_deref(),
                        &variables,
                    )?;
                    (entry, true)
                }
            };
        model_ids.insert(m.id, model.id);
        models.push(ImportedModel { model, created });
    }

    // The prediction log.
    let (mut calls_imported, mut calls_already_there, mut records_imported) = (0, 0, 0);
    for call in src.executions()? {
        let model = *model_ids
            .get(&call.deployable_id)
            .ok_or_else(|| Error::Corrupt {
                path: src.label().to_string(),
                reason: format!(
                "model_execution_log id {} refers to deployable_registry id {}, which is not in \
                 the file",
                call.id, call.deployable_id
            ),
            })?;
        let time = call.request_time.as_deref();
        if store::find_legacy_call(&tx, model, call.id, time)?.is_some() {
            calls_already_there += 1;
            continue;
        }
        let records: Vec<(Option<String>, String, String)> =
            call.records
                .iter()
                .map(|r| {
                    let inputs = object(r.inputs.iter().map(|(k, v)| (k.clone(), json_value(v))));
                    let outputs = object(r.outputs.iter().map(|(k, v)| {
                        (k.clone().unwrap_or_else(|| "value".into()), json_value(v))
                    }));
                    (r.reference_id.clone(), inputs, outputs)
                })
                .collect();
        let n = call.request_size.unwrap_or(records.len() as i64);
        store::insert_legacy_call(&tx, model, call.id, time, n, &records)?;
        calls_imported += 1;
        records_imported += records.len() as i64;
    }

    let after = store::legacy_counts(&tx)?;
    tx.commit()?;
    Ok(LegacyReport {
        source: src.label().to_string(),
        target,
        found,
        before,
        after,
        datasets,
        models,
        calls_imported,
        calls_already_there,
        records_imported,
    })
}

/// Binds one Python dataset: same name and version when free, else the next version; the
/// same content under that name is reused.
fn import_dataset(
    tx: &Transaction<'_>,
    src: &PythonRegistry,
    d: &PythonDataset,
) -> Result<ImportedDataset> {
    let who = format!(
        "{}: dataset_registry id {} ({:?} version {})",
        src.label(),
        d.id,
        d.name,
        d.version
    );
    check_name(&d.name).map_err(|e| Error::InvalidArgument(format!("{who}: {e}")))?;
    if d.version < 1 {
        return Err(Error::Corrupt {
            path: src.label().to_string(),
            reason: format!("{who}: versions start at 1"),
        });
    }
    let data = parse_data(d, &who)?;
    let md5 = data.md5();
    let new = NewDataset {
        name: &d.name,
        description: &d.description,
        md5: &md5,
        source_format: Some("json"),
        source_fingerprint: None,
        created_at: None,
    };
    let (dataset, outcome) = if let Some(existing) = store::find_dataset_by_md5(tx, &d.name, &md5)?
    {
        (existing, DatasetOutcome::AlreadyThere)
    } else if store::dataset_by_name(tx, &d.name, Some(d.version))?.is_none() {
        let entry =
            store::insert_dataset_version(tx, &new, &data, || data.column_info(), d.version)?;
        (entry, DatasetOutcome::Imported)
    } else {
        let entry = store::insert_dataset(tx, &new, &data, || data.column_info())?;
        (entry, DatasetOutcome::ImportedAsNextVersion)
    };
    store::record_legacy_dataset(tx, dataset.id, d)?;
    Ok(ImportedDataset {
        legacy_id: d.id,
        legacy_version: d.version,
        dataset,
        outcome,
    })
}

/// Parses a Python dataset's JSON (column-oriented, bare `NaN` for null; early versions of the
/// Python tool stored it once more encoded as a JSON string) and checks its recorded shape.
fn parse_data(d: &PythonDataset, who: &str) -> Result<Dataset> {
    let decoded: String;
    let first = d.data.iter().find(|b| !b.is_ascii_whitespace());
    let bytes: &[u8] = if first == Some(&b'"') {
        decoded = serde_json::from_slice(&d.data).map_err(|e| {
            Error::input(
                who,
                Default::default(),
                format!("its data is a JSON string that does not parse: {e}"),
            )
        })?;
        decoded.as_bytes()
    } else {
        &d.data
    };
    let data = import::read(
        Input::Bytes { bytes, label: who },
        Format::Json,
        &mut |_, _| {},
    )?;
    let shape = (data.rows() as i64, data.columns().len() as i64);
    for (what, recorded, actual) in [
        ("rows", d.size_rows, shape.0),
        ("columns", d.size_cols, shape.1),
    ] {
        if let Some(r) = recorded.filter(|r| *r != actual) {
            return Err(Error::input(
                who,
                Default::default(),
                format!(
                    "its data has {actual} {what} but the Python registry recorded {r}; the \
                     file is damaged, nothing was imported"
                ),
            ));
        }
    }
    Ok(data)
}

/// Text that is JSON stays as is; anything else is stored as a JSON string.
fn json_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(_) => text.to_string(),
        Err(_) => Value::String(text.to_string()).to_string(),
    }
}

/// A logged value as JSON. The Python tool stored inputs as text (`str(value)`): text that is
/// exactly a JSON number becomes that number; other text (`None`, `nan`, words) stays a
/// string. Non-finite floats become null.
fn json_value(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::from(*i),
        SqlValue::Real(x) => serde_json::Number::from_f64(*x)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        SqlValue::Text(t) => match serde_json::from_str::<Value>(t) {
            Ok(n @ Value::Number(_)) if t.trim() == t => n,
            _ => Value::String(t.clone()),
        },
        SqlValue::Blob(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A JSON object of the pairs, in order; a repeated key gets `#2`, `#3`, ... appended so
/// that no value is lost.
fn object(pairs: impl Iterator<Item = (String, Value)>) -> String {
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        let mut key = k.clone();
        let mut n = 2;
        while map.contains_key(&key) {
            key = format!("{k}#{n}");
            n += 1;
        }
        map.insert(key, v);
    }
    Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_values_become_json_without_loss() {
        let t = |s: &str| json_value(&SqlValue::Text(s.into()));
        assert_eq!(t("2"), Value::from(2));
        assert_eq!(t("5.1"), Value::from(5.1));
        assert_eq!(t("1e-05"), Value::from(1e-5));
        for s in ["None", "nan", "007", " 2", "True", "", "inf"] {
            assert_eq!(t(s), Value::String(s.into()), "{s:?}");
        }
        assert_eq!(json_value(&SqlValue::Real(f64::NAN)), Value::Null);
        assert_eq!(json_value(&SqlValue::Real(0.1)), Value::from(0.1));
        assert_eq!(
            object(
                [("a", 1), ("a", 2), ("b", 3), ("a", 4)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Value::from(v)))
            ),
            r#"{"a":1,"a#2":2,"b":3,"a#3":4}"#
        );
    }

    #[test]
    fn json_text_keeps_json_and_quotes_the_rest() {
        assert_eq!(json_text(r#"{"x": "float"}"#), r#"{"x": "float"}"#);
        assert_eq!(json_text("not json"), r#""not json""#);
    }
}
