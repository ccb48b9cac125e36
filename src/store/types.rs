//! The rows both backends return and take: what [`super::Db`] and [`super::Tx`] hand to the
//! rest of the crate ([`DatasetEntry`], [`ModelEntry`], [`LogRecord`], [`LoggedCall`],
//! [`Cell`], ...) and what they are given to write ([`NewDataset`], [`NewModel`],
//! [`LogFilter`]). No SQL runs here: besides the types, only the steps that [`super::sqlite`]
//! and [`super::pg`] take identically around their queries (the column order both select
//! rows in, checking a log filter's times, grouping logged records into calls, and turning
//! read columns into a [`Dataset`] or a damage report).

use serde::Serialize;

use crate::dataset::{Column, ColumnInfo, DType, Dataset, Values};
use crate::error::{Error, Result};

/// A row of the `datasets` table: one version of one dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetEntry {
    /// Registry id, unique across names and versions.
    pub id: i64,
    /// Dataset name.
    pub name: String,
    /// Version under that name, from 1.
    pub version: i64,
    /// Number of columns.
    pub size_cols: i64,
    /// Number of rows.
    pub size_rows: i64,
    /// Free text.
    pub description: String,
    /// When it was bound, UTC, `YYYY-MM-DD HH:MM:SS`.
    pub created_at: String,
    /// md5 of the canonical encoding of the content.
    pub md5: String,
    /// The table that holds the rows, readable with plain SQL.
    pub data_table: String,
}

pub(crate) const DATASET_COLUMNS: &str =
    "id, name, version, size_cols, size_rows, description, created_at, md5, data_table";

/// What a new dataset row needs besides the data.
pub struct NewDataset<'a> {
    /// Dataset name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// md5 of the canonical encoding.
    pub md5: &'a str,
    /// `csv`, `json`, or `None` for data built in code.
    pub source_format: Option<&'a str>,
    /// Fingerprint of the raw source bytes, for the fast re-bind check.
    pub source_fingerprint: Option<&'a str>,
    /// When it was bound (kept by `copy`); `None` for now.
    pub created_at: Option<&'a str>,
}

/// A damaged dataset: the message names it and its table.
pub(crate) fn damaged(label: &str, entry: &DatasetEntry, reason: String) -> Error {
    Error::Corrupt {
        path: label.to_string(),
        reason: format!(
            "dataset {}@{} (table {}): {reason}",
            entry.name, entry.version, entry.data_table
        ),
    }
}

/// The dtypes of a dataset's stored columns, and empty columns of those types to read into
/// (on either backend).
pub(crate) fn empty_columns(
    entry: &DatasetEntry,
    label: &str,
    infos: &[ColumnInfo],
) -> Result<(Vec<DType>, Vec<Values>)> {
    // The recorded row count is a claim from the file: it sizes no allocation beyond a fixed
    // budget of cells. The columns grow with the rows actually read (bounded by the file), and
    // `finish_dataset` then checks the claim.
    const PREALLOC_CELLS: usize = 1 << 20;
    let rows = usize::try_from(entry.size_rows)
        .unwrap_or(0)
        .min(PREALLOC_CELLS / infos.len().max(1));
    let mut types = Vec::with_capacity(infos.len());
    for c in infos {
        types.push(DType::from_name(&c.converted_dtype).ok_or_else(|| {
            let reason = format!(
                "column {:?} has unknown dtype {:?}",
                c.column_name, c.converted_dtype
            );
            damaged(label, entry, reason)
        })?);
    }
    let cols = types
        .iter()
        .map(|t| match t {
            DType::Integer => Values::Integer(Vec::with_capacity(rows)),
            DType::Float => Values::Float(Vec::with_capacity(rows)),
            DType::Boolean => Values::Boolean(Vec::with_capacity(rows)),
            DType::String => Values::String(Vec::with_capacity(rows)),
        })
        .collect();
    Ok((types, cols))
}

/// The dataset read back: `read` rows must be the recorded count.
pub(crate) fn finish_dataset(
    entry: &DatasetEntry,
    label: &str,
    infos: Vec<ColumnInfo>,
    cols: Vec<Values>,
    read: usize,
) -> Result<Dataset> {
    if read as i64 != entry.size_rows {
        let reason = format!(
            "it has {read} rows but the registry recorded {}",
            entry.size_rows
        );
        return Err(damaged(label, entry, reason));
    }
    let columns: Vec<Column> = infos
        .into_iter()
        .zip(cols)
        .map(|(i, v)| Column::new(i.column_name, v))
        .collect();
    Dataset::new(columns).map_err(|e| damaged(label, entry, e.to_string()))
}

/// A row of the `models` table: one version of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    /// Registry id.
    pub id: i64,
    /// Model name.
    pub name: String,
    /// Version under that name, from 1.
    pub version: i64,
    /// The training dataset's id (`datasets.id`).
    pub dataset_registry_id: i64,
    /// Estimator class, e.g. `LogisticRegression`.
    pub estimator_class: String,
    /// `classifier` or `regressor`.
    pub estimator_type: String,
    /// Free text.
    pub description: String,
    /// Held-out metrics (JSON object).
    pub metrics: serde_json::Value,
    /// When it was bound, UTC.
    pub created_at: String,
    /// Target column.
    pub target: String,
    /// md5 of the artifact bytes.
    pub artifact_md5: String,
}

pub(crate) const MODEL_COLUMNS: &str = "id, name, version, dataset_id, estimator_class, estimator_type, description, metrics, created_at, target, artifact_md5";

/// What a new model row needs.
pub struct NewModel<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Training dataset id.
    pub dataset_id: i64,
    /// Target column.
    pub target: &'a str,
    /// Estimator class.
    pub estimator_class: &'a str,
    /// `classifier` or `regressor`.
    pub estimator_type: &'a str,
    /// Metrics JSON.
    pub metrics: &'a str,
    /// Signature JSON.
    pub signature: &'a str,
    /// Classes JSON.
    pub classes: &'a str,
    /// The artifact bytes.
    pub artifact: &'a [u8],
    /// Their md5.
    pub artifact_md5: &'a str,
    /// Artifact format version.
    pub artifact_format: u32,
    /// Writer version.
    pub mlops_lite_version: &'a str,
    /// smartcore version.
    pub smartcore_version: &'a str,
    /// The version to write (kept by `copy`); `None` for the next one.
    pub version: Option<i64>,
    /// When it was bound (kept by `copy`); `None` for now.
    pub created_at: Option<&'a str>,
}

/// One logged prediction record, with its call's model and time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRecord {
    /// The call id.
    pub call_id: i64,
    /// Position in the call's batch.
    pub position: i64,
    /// When the call was logged, UTC with milliseconds.
    pub created_at: String,
    /// Model id.
    pub model_id: i64,
    /// Model name.
    pub model_name: String,
    /// Model version.
    pub model_version: i64,
    /// The record's reference id.
    pub reference_id: Option<String>,
    /// Inputs, a JSON array in signature order.
    pub inputs: serde_json::Value,
    /// Outputs: probabilities in class order, or the value.
    pub outputs: serde_json::Value,
}

/// A filter over the prediction log.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this model id.
    pub model_id: Option<i64>,
    /// Only this reference id.
    pub reference_id: Option<String>,
    /// Only calls at or after this time (`YYYY-MM-DD[ HH:MM:SS]`, UTC).
    pub since: Option<String>,
    /// Only calls before this time.
    pub until: Option<String>,
    /// At most this many records (newest first when set).
    pub limit: Option<i64>,
    /// Skip this many of the newest records first (a page, with `limit`).
    pub offset: Option<i64>,
}

/// Checks a time bound of a log filter: `YYYY-MM-DD`, optionally followed by ` HH:MM`,
/// ` HH:MM:SS` or ` HH:MM:SS.mmm` (UTC; `T` may replace the space).
pub fn check_time(text: &str) -> Result<String> {
    let t = text.trim().replacen('T', " ", 1);
    let shape_ok = {
        let b = t.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
        let date = b.len() >= 10
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10);
        // Bytes, not characters: the text may hold any character where a digit belongs.
        let rest = &b[10.min(b.len())..];
        let time_ok = match rest.len() {
            0 => true,
            6 => rest[0] == b' ' && digits(11..13) && b[13] == b':' && digits(14..16),
            9 | 13 => {
                rest[0] == b' '
                    && digits(11..13)
                    && b[13] == b':'
                    && digits(14..16)
                    && b[16] == b':'
                    && digits(17..19)
                    && (rest.len() == 9 || (b[19] == b'.' && digits(20..23)))
            }
            _ => false,
        };
        date && time_ok
    };
    let month_day_ok = shape_ok && {
        let m: u32 = t[5..7].parse().unwrap_or(0);
        let d: u32 = t[8..10].parse().unwrap_or(0);
        (1..=12).contains(&m) && (1..=31).contains(&d)
    };
    if !month_day_ok {
        return Err(Error::InvalidArgument(format!(
            "{text:?} is not a time; use UTC YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"
        )));
    }
    Ok(t)
}

/// Every stored field of a model version, as stored (what `copy` carries over).
#[derive(Debug, Clone)]
pub struct ModelRow {
    /// The model's row.
    pub entry: ModelEntry,
    /// Metrics JSON, as stored.
    pub metrics: String,
    /// Signature JSON, as stored.
    pub signature: String,
    /// Classes JSON, as stored.
    pub classes: String,
    /// The artifact bytes.
    pub artifact: Vec<u8>,
    /// Artifact format version.
    pub artifact_format: i64,
    /// Writer version.
    pub mlops_lite_version: String,
    /// smartcore version.
    pub smartcore_version: String,
}

/// One logged prediction call with its records, as stored (what `copy --with-log` carries).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedCall {
    /// When it was logged.
    pub created_at: String,
    /// Number of records.
    pub n_records: i64,
    /// Latency of the call, microseconds.
    pub latency_us: i64,
    /// Its records, by position.
    pub records: Vec<LoggedRecord>,
}

/// One logged record, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRecord {
    /// Position in the batch.
    pub position: i64,
    /// Reference id.
    pub reference_id: Option<String>,
    /// Inputs JSON text.
    pub inputs: String,
    /// Outputs JSON text.
    pub outputs: String,
}

/// Adds a joined (call, record) row to `calls`, grouped by call id (rows come ordered by it).
pub(crate) fn push_logged(
    calls: &mut Vec<(i64, LoggedCall)>,
    id: i64,
    call: LoggedCall,
    record: LoggedRecord,
) {
    if calls.last().map(|(i, _)| *i) != Some(id) {
        calls.push((id, call));
    }
    if let Some((_, c)) = calls.last_mut() {
        c.records.push(record);
    }
}

// ---------------------------------------------------------------------------------------------
// The `legacy_*` tables (SQLite registries only): what an import of a registry of the Python
// mlops-lite wrote.
// ---------------------------------------------------------------------------------------------

/// Counts of a registry, before and after an import of a Python registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LegacyCounts {
    /// Rows of `datasets`.
    pub datasets: i64,
    /// Rows of `legacy_models`.
    pub legacy_models: i64,
    /// Rows of `legacy_prediction_calls`.
    pub legacy_calls: i64,
    /// Rows of `legacy_prediction_records`.
    pub legacy_records: i64,
    /// Input values over all legacy records (keys of their `inputs` objects).
    pub legacy_input_values: i64,
    /// Output values over all legacy records (keys of their `outputs` objects).
    pub legacy_output_values: i64,
}

/// A row of `legacy_models`: a model of the Python mlops-lite, listed, never runnable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyModelEntry {
    /// Its id in `legacy_models` (not a model id: `predict` cannot use it).
    pub id: i64,
    /// Name, as in the Python registry.
    pub name: String,
    /// Version, as in the Python registry.
    pub version: i64,
    /// The training dataset (`datasets.id`), if it was in the Python file.
    pub dataset_id: Option<i64>,
    /// That dataset as `name@version`.
    pub dataset: Option<String>,
    /// Target column.
    pub target: String,
    /// The Python tool's target mapping (JSON), or null.
    pub target_mapping: serde_json::Value,
    /// Input variables and their Python types (JSON object).
    pub variables: serde_json::Value,
    /// E.g. `LogisticRegression`.
    pub estimator_class: String,
    /// E.g. `classifier`.
    pub estimator_type: String,
    /// Description.
    pub description: String,
    /// As written by the Python tool (no time zone), or null for older files.
    pub created_at: Option<String>,
    /// Byte length of the Python pickle (not stored).
    pub pickle_bytes: i64,
    /// md5 of the pickle bytes.
    pub pickle_md5: String,
    /// Always false: a pickle is never loaded or run.
    pub runnable: bool,
    /// Its id in the Python registry.
    pub legacy_id: i64,
}

// ---------------------------------------------------------------------------------------------
// Cells as stored, whatever their column's declared type (`verify`).
// ---------------------------------------------------------------------------------------------

/// One stored cell as the database holds it. SQLite keeps any type in any column, so a file
/// edited with `sqlite3` can hold text where a number belongs: `verify` reads cells this way
/// and reports such a cell instead of stopping on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer (a PostgreSQL boolean reads as 0 or 1).
    Integer(i64),
    /// A float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Text that is not valid UTF-8.
    BadText(Vec<u8>),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Cell {
    /// The cell's storage type, as messages name it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Integer(_) => "an integer",
            Cell::Real(_) => "a float",
            Cell::Text(_) => "text",
            Cell::BadText(_) => "text that is not UTF-8",
            Cell::Blob(_) => "a blob",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_time;

    #[test]
    fn times_are_checked_by_bytes_never_sliced_inside_a_character() {
        assert_eq!(check_time("2026-11-27").unwrap(), "2026-11-27");
        assert_eq!(
            check_time("2026-11-27T10:05:01.123").unwrap(),
            "2026-11-27 10:05:01.123"
        );
        // A multi-byte character where byte 10 falls (a forged created_at, or --since).
        for bad in [
            "aaaaaaaaa€",
            "2026-11-2€",
            "2026-11-27 1€:00",
            "€€€€€€€€€€€€€",
        ] {
            let e = check_time(bad).expect_err("refused");
            assert!(e.to_string().contains("is not a time"), "{bad}: {e}");
        }
    }
}
