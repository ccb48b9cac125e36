//! Importing registries of the Python mlops-lite (`mlops-lite import-legacy OLD.db`).
//!
//! The Python tool kept everything in one SQLite file too, in other tables:
//! `dataset_registry` (each dataset's data as column-oriented JSON, with bare `NaN` tokens for
//! missing values), `deployable_registry` (each model as a Python **pickle**), and its
//! prediction log (`model_execution_log`, `execution_items`, `request_items`,
//! `response_items`). [`import_legacy`] reads such a file strictly read-only and brings it
//! into a registry of this mlops-lite, in one transaction:
//!
//! - each dataset becomes an ordinary dataset under the same name and version, its JSON
//!   parsed straight into typed columns (`src/legacy/columns.rs`: streaming, no JSON tree; the same
//!   types and md5 as a JSON file; the shape is checked against the recorded one). Datasets
//!   are read one at a time: memory is the largest dataset's stored JSON plus its typed
//!   columns (8 bytes per float, 16 per integer, 24 plus the text per string): about 2x the
//!   JSON for floats (measured: a 100 MB dataset of floats imports in 207 MB peak RSS, 909 MB
//!   before), 14x for one-digit integers, at worst about 40x for a text column of
//!   one-character values (measured 377 MB for 10 MB of JSON). Content already
//!   bound under that name (same md5) is reused and nothing is written; when that
//!   `name@version` already holds other content, the dataset is bound as the name's next
//!   version and the report says so. `legacy_datasets` records where each came from;
//! - each model is **listed** in `legacy_models` with its metadata, and the length and md5 of
//!   its pickle. The pickle is never unpickled, parsed, run or stored: these models are not
//!   runnable, and `predict` cannot use them (retrain with `mlops-lite model train`);
//! - each logged call becomes a row of `legacy_prediction_calls`, each logged record a row of
//!   `legacy_prediction_records` with its inputs and outputs as JSON objects
//!   (`{"varname": value}`, `{"classname": value}`), readable with plain SQL. The log is
//!   streamed: the calls are read first (a few dozen bytes each), then records and values in
//!   three ordered reads merged one record at a time (measured: 43 MB peak RSS for 200,000
//!   records in a 53 MB file, 244 MB before).
//!
//! Names this registry refuses ([`check_name`]) stop the import with a message that names the
//! Python table, id and name and says to use [`LegacyOptions`]: `--rename OLD=NEW` imports
//! under another name, `--skip NAME[@VERSION]` leaves it out. Rows that cannot be imported
//! are left out and listed in [`LegacyReport::skipped`] with their table, id and reason:
//! rows that share an id (all of them: what refers to that id is ambiguous), log rows whose
//! call, record or model is not in the file (or was left out), and what `--skip` names.
//!
//! Importing the same file again writes nothing: datasets are recognised by md5, models by
//! name, version and pickle md5, calls by model, Python id and time. Any error (a malformed
//! dataset, a damaged file) rolls the whole import back and names what is wrong. The file is
//! opened read-only with SQLite's defensive settings ([`crate::store::legacy_reader`]).

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
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::registry::{check_name, Registry};
use crate::store::legacy_reader::LostRow;
use crate::store::{
    self, DatasetEntry, NewDataset, PythonDataset, PythonDeployable, PythonRegistry, Tx,
};

pub use crate::store::{LegacyCounts, LegacyModelEntry, PythonCounts, Skipped};

mod columns;

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
    /// Its name in the Python registry (the dataset's name differs after `--rename`).
    pub legacy_name: String,
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
    /// Its name in the Python registry (the listed name differs after `--rename`).
    pub legacy_name: String,
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
    /// Every dataset of the Python registry that was imported, in id order.
    pub datasets: Vec<ImportedDataset>,
    /// Every model of the Python registry that was listed, in id order (never runnable).
    pub models: Vec<ImportedModel>,
    /// Logged calls written by this import.
    pub calls_imported: i64,
    /// Logged calls that were already imported.
    pub calls_already_there: i64,
    /// Logged records written by this import.
    pub records_imported: i64,
    /// Every row of the Python file that was left out, with its table, id and reason.
    pub skipped: Vec<Skipped>,
}

/// Choices for names: `--rename OLD=NEW` and `--skip NAME` (or `NAME@VERSION`), as given on
/// the command line; they apply to datasets and models alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyOptions {
    /// `OLD=NEW`: import what is named `OLD` in the Python file under the name `NEW`.
    pub rename: Vec<String>,
    /// `NAME` or `NAME@VERSION`: leave it out (reported as skipped).
    pub skip: Vec<String>,
}

/// [`LegacyOptions`] checked against the names in the file.
struct Names {
    rename: HashMap<String, String>,
    /// (name, version or any, the argument as given).
    skip: Vec<(String, Option<i64>, String)>,
}

impl Names {
    fn check(options: &LegacyOptions, src: &PythonRegistry) -> Result<Names> {
        let names = src.names()?;
        let known = |n: &str| names.binary_search_by(|x| x.as_str().cmp(n)).is_ok();
        let listed = || {
            let shown: Vec<String> = names
                .iter()
                .take(10)
                .map(|n| match n.char_indices().nth(60) {
                    Some((i, _)) => format!("{:?}...", &n[..i]),
                    None => format!("{n:?}"),
                })
                .collect();
            format!(
                "its datasets and models are named {}{}",
                shown.join(", "),
                if names.len() > 10 { ", ..." } else { "" }
            )
        };
        let mut rename = HashMap::new();
        for arg in &options.rename {
            // OLD may hold '=' too: split where OLD is a name of the file.
            let split = arg
                .match_indices('=')
                .map(|(i, _)| (&arg[..i], &arg[i + 1..]))
                .find(|(old, _)| known(old));
            let Some((old, new)) = split else {
                return Err(Error::InvalidArgument(format!(
                    "--rename {arg:?}: {}; write --rename OLD=NEW with OLD a name in {} ({})",
                    if arg.contains('=') {
                        "no dataset or model has the name before '='"
                    } else {
                        "there is no '='"
                    },
                    src.label(),
                    listed()
                )));
            };
            check_name(new)
                .map_err(|e| Error::InvalidArgument(format!("--rename {arg:?}: {e}")))?;
            if rename.insert(old.to_string(), new.to_string()).is_some() {
                return Err(Error::InvalidArgument(format!(
                    "--rename names {old:?} twice; give one new name"
                )));
            }
        }
        let mut skip = Vec::new();
        for arg in &options.skip {
            let entry = if known(arg) {
                (arg.clone(), None)
            } else {
                match arg.rsplit_once('@') {
                    Some((name, v)) if known(name) && v.parse::<i64>().is_ok() => {
                        (name.to_string(), v.parse().ok())
                    }
                    _ => {
                        return Err(Error::InvalidArgument(format!(
                            "--skip {arg:?}: no dataset or model of {} has this name (or \
                             NAME@VERSION); {}",
                            src.label(),
                            listed()
                        )))
                    }
                }
            };
            skip.push((entry.0, entry.1, arg.clone()));
        }
        Ok(Names { rename, skip })
    }

    /// The `--skip` argument that leaves out `name@version`, if any.
    fn skipped(&self, name: &str, version: i64) -> Option<&str> {
        self.skip
            .iter()
            .find(|(n, v, _)| n == name && v.is_none_or(|v| v == version))
            .map(|(_, _, arg)| arg.as_str())
    }

    /// The name to import `name` under, checked: a name we refuse says how to get past it.
    fn target<'n>(&'n self, name: &'n str, who: &str) -> Result<&'n str> {
        let target = self.rename.get(name).map_or(name, String::as_str);
        check_name(target).map_err(|e| {
            Error::InvalidArgument(format!(
                "{who}: {e}; import it under another name with --rename {old}=NEW, or leave it \
                 out with --skip {old}; nothing was imported",
                old = shell_word(name)
            ))
        })?;
        Ok(target)
    }
}

/// `s` quoted for a POSIX shell when it needs it (with control characters escaped, as Rust
/// writes them, so that no message carries them raw).
fn shell_word(s: &str) -> String {
    if s.chars().any(char::is_control) {
        format!("{s:?}")
    } else if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/+%@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Checks that `old` is a registry of the Python mlops-lite and counts its rows, without
/// changing it (the CLI calls this before it opens or creates the target).
pub fn inspect_legacy(old: &Path) -> Result<PythonCounts> {
    store::open_python_registry(old)?.counts()
}

/// Checks `options` against the names in the Python registry `old` (the CLI calls this
/// before it creates the target).
pub fn check_options(old: &Path, options: &LegacyOptions) -> Result<()> {
    Names::check(options, &store::open_python_registry(old)?).map(|_| ())
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
    registry.db().list_legacy_models()
}

/// Imports the Python registry `old` into `registry` in one transaction (see the module
/// docs); `old` is opened read-only and never changed. On error nothing is written.
pub fn import_legacy(old: &Path, registry: &mut Registry) -> Result<LegacyReport> {
    import_legacy_with(old, registry, &LegacyOptions::default())
}

/// [`import_legacy`] with `--rename` and `--skip` choices.
pub fn import_legacy_with(
    old: &Path,
    registry: &mut Registry,
    options: &LegacyOptions,
) -> Result<LegacyReport> {
    let src = store::open_python_registry(old)?;
    let found = src.counts()?;
    let names = Names::check(options, &src)?;
    let target = registry.label().to_string();
    #[cfg(not(target_arch = "wasm32"))]
    if registry.is_postgres() {
        return Err(not_on_postgres(&target, old));
    }
    let mut tx = registry.db_mut().begin()?;
    let before = tx.legacy_counts()?;
    let mut skipped = Vec::new();

    // Datasets, one at a time: legacy id -> dataset id here.
    let mut datasets = Vec::new();
    let mut dataset_ids: HashMap<i64, i64> = HashMap::new();
    let id_counts = src.dataset_id_counts()?;
    let t = "dataset_registry";
    src.for_each_dataset(|d, data| {
        let what = format!("{:?} version {}", d.name, d.version);
        let skip = |reason: String| Skipped {
            table: t.into(),
            id: d.id,
            what: what.clone(),
            reason,
        };
        if let Some(&n) = id_counts.get(&d.id).filter(|n| **n > 1) {
            skipped.push(skip(store::legacy_reader::shared_id(t, n)));
        } else if let Some(arg) = names.skipped(&d.name, d.version) {
            skipped.push(skip(format!("left out as asked (--skip {arg})")));
        } else {
            let imported = import_dataset(&mut tx, &src, &names, &d, data)?;
            dataset_ids.insert(d.id, imported.dataset.id);
            datasets.push(imported);
        }
        Ok(())
    })?;

    // Models: listed, never runnable. Python id -> legacy_models id.
    let mut models = Vec::new();
    let mut model_ids: HashMap<i64, i64> = HashMap::new();
    let mut lost_models: HashMap<i64, String> = HashMap::new();
    let deployables = src.deployables()?;
    let mut model_id_counts: HashMap<i64, usize> = HashMap::new();
    for m in &deployables {
        *model_id_counts.entry(m.id).or_insert(0) += 1;
    }
    let t = "deployable_registry";
    for m in deployables {
        let what = format!("{:?} version {}", m.name, m.version);
        let reason = if let Some(&n) = model_id_counts.get(&m.id).filter(|n| **n > 1) {
            Some(store::legacy_reader::shared_id(t, n))
        } else {
            names
                .skipped(&m.name, m.version)
                .map(|arg| format!("left out as asked (--skip {arg})"))
        };
        if let Some(reason) = reason {
            lost_models.insert(
                m.id,
                format!("its model (deployable_registry id {}) was left out", m.id),
            );
            skipped.push(Skipped {
                table: t.into(),
                id: m.id,
                what,
                reason,
            });
            continue;
        }
        let who = format!("{}: deployable_registry id {} ({what})", src.label(), m.id);
        let name = names.target(&m.name, &who)?.to_string();
        let (model, created) = match tx.find_legacy_model(&name, m.version, &m.pickle_md5)? {
            Some(existing) => (existing, false),
            None => {
                let mapping = m.target_mapping.as_deref().map(json_text);
                let variables = json_text(&m.variables);
                let dataset_id = dataset_ids.get(&m.dataset_id).copied();
                let renamed = PythonDeployable { name, ..m.clone() };
                let entry =
                    tx.insert_legacy_model(&renamed, dataset_id, mapping.as_deref(), &variables)?;
                (entry, true)
            }
        };
        model_ids.insert(m.id, model.id);
        models.push(ImportedModel {
            legacy_name: m.name,
            model,
            created,
        });
    }

    // The prediction log: the calls first, then their records streamed into them.
    enum Call {
        New(i64),
        AlreadyThere,
        Lost(usize),
    }
    let log = src.log()?;
    let (mut calls_imported, mut calls_already_there, mut records_imported) = (0, 0, 0);
    let mut lost_calls = Vec::new();
    let mut call_ids: HashMap<i64, Call> = HashMap::new();
    for call in &log.calls {
        let Some(&model) = model_ids.get(&call.deployable_id) else {
            let reason = lost_models
                .get(&call.deployable_id)
                .cloned()
                .unwrap_or_else(|| store::legacy_reader::missing(t, call.deployable_id));
            call_ids.insert(call.id, Call::Lost(lost_calls.len()));
            lost_calls.push(LostRow::new("model_execution_log", call.id, reason));
            continue;
        };
        let time = call.request_time.as_deref();
        if tx.find_legacy_call(model, call.id, time)?.is_some() {
            calls_already_there += 1;
            call_ids.insert(call.id, Call::AlreadyThere);
            continue;
        }
        let n = call.request_size.unwrap_or(call.records as i64);
        let id = tx.insert_legacy_call(model, call.id, time, n, &[])?;
        call_ids.insert(call.id, Call::New(id));
        calls_imported += 1;
    }
    let lost_log = src.for_each_record(&log, |call, position, r| {
        match call_ids.get(&call) {
            Some(Call::New(id)) => {
                let inputs = object(r.inputs.iter().map(|(k, v)| (k.clone(), json_value(v))));
                let outputs =
                    object(r.outputs.iter().map(|(k, v)| {
                        (k.clone().unwrap_or_else(|| "value".into()), json_value(v))
                    }));
                tx.insert_legacy_record(
                    *id,
                    position as i64,
                    r.reference_id.as_deref(),
                    &inputs,
                    &outputs,
                )?;
                records_imported += 1;
            }
            Some(Call::Lost(i)) => {
                if let Some(lost) = lost_calls.get_mut(*i) {
                    lost.records += 1;
                    lost.inputs += r.inputs.len() as u64;
                    lost.outputs += r.outputs.len() as u64;
                }
            }
            Some(Call::AlreadyThere) | None => {}
        }
        Ok(())
    })?;
    // In table order: datasets, models, calls, then the log rows found by the reader.
    skipped.extend(lost_calls.into_iter().map(LostRow::finish));
    skipped.extend(lost_log);

    let after = tx.legacy_counts()?;
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
        skipped,
    })
}

/// Binds one Python dataset: same name and version when free, else the next version; the
/// same content under that name is reused.
fn import_dataset(
    tx: &mut Tx<'_>,
    src: &PythonRegistry,
    names: &Names,
    d: &PythonDataset,
    bytes: &[u8],
) -> Result<ImportedDataset> {
    let who = format!(
        "{}: dataset_registry id {} ({:?} version {})",
        src.label(),
        d.id,
        d.name,
        d.version
    );
    let name = names.target(&d.name, &who)?;
    if d.version < 1 {
        return Err(Error::Corrupt {
            path: src.label().to_string(),
            reason: format!(
                "{who}: versions start at 1; leave it out with --skip {}, or fix its version with \
                 sqlite3; nothing was imported",
                shell_word(&format!("{}@{}", d.name, d.version))
            ),
        });
    }
    let data = columns::parse(bytes, &who, (d.size_rows, d.size_cols)).map_err(|e| match e {
        Error::Input {
            source,
            location,
            message,
        } => Error::Input {
            source,
            location,
            message: format!(
                "{message}; nothing was imported: to import the rest of the file, leave this \
                 dataset out with --skip {}",
                shell_word(&format!("{}@{}", d.name, d.version))
            ),
        },
        e => e,
    })?;
    let md5 = data.md5();
    let new = NewDataset {
        name,
        description: &d.description,
        md5: &md5,
        source_format: Some("json"),
        source_fingerprint: None,
        created_at: None,
    };
    let (dataset, outcome) = if let Some(existing) = tx.find_dataset_by_md5(name, &md5)? {
        (existing, DatasetOutcome::AlreadyThere)
    } else if tx.dataset_by_name(name, Some(d.version))?.is_none() {
        let entry = tx.insert_dataset(&new, &data, Some(d.version))?;
        (entry, DatasetOutcome::Imported)
    } else {
        let entry = tx.insert_dataset(&new, &data, None)?;
        (entry, DatasetOutcome::ImportedAsNextVersion)
    };
    tx.record_legacy_dataset(dataset.id, d)?;
    Ok(ImportedDataset {
        legacy_id: d.id,
        legacy_name: d.name.clone(),
        legacy_version: d.version,
        dataset,
        outcome,
    })
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
