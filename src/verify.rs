//! Offline checks of a shared registry: `verify` re-hashes every dataset and recomputes its
//! shape, column metadata and row hashes, re-hashes and loads every model and compares every
//! column a listing shows with what the md5-checked artifact says, checks the log's
//! completeness (record counts, positions, orphaned records, calls whose model or dataset is
//! missing), replays every logged prediction through its model version and compares the
//! outputs (a NaN against a number is a difference), and checks every model's lineage. Every
//! cell it reads is read as stored and type-checked, so a cell of the wrong type (SQLite keeps
//! any type in any column) is a problem naming table, row and column, never a stop.
//! `reproduce` retrains a model from its embedded dataset and stored spec and compares the
//! artifacts. Both report what differs, naming the row and the field.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::pipeline::batch::BatchOut;
use crate::pipeline::{self, Lineage, Pipeline};
use crate::registry::{md5_hex, Registry};
use crate::store::Cell;

/// A name for a message: as it is when it is a valid name, else escaped.
fn shown_name(name: &str) -> String {
    if crate::registry::check_name(name).is_ok() {
        name.to_string()
    } else {
        shown(name)
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Which check: `dataset`, `columns`, `model`, `lineage`, `log` (the log's completeness),
    /// `prediction` (a replayed record), `cell` (a stored cell of the wrong type).
    pub check: String,
    /// What failed, e.g. `dataset iris@1 (id 1, table data_1)` or `prediction call 3 position 0`.
    pub item: String,
    /// What is wrong.
    pub detail: String,
}

/// The result of [`Registry::verify`].
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct VerifyReport {
    /// Datasets checked, and how many matched their md5 and column metadata.
    pub datasets: u64,
    /// Datasets that passed.
    pub datasets_ok: u64,
    /// Models checked (artifact md5, format, loadable).
    pub models: u64,
    /// Models that passed.
    pub models_ok: u64,
    /// Logged prediction records replayed.
    pub predictions: u64,
    /// Replayed records whose outputs were reproduced (bit for bit, or within `tolerance`).
    pub predictions_ok: u64,
    /// Replayed records reproduced bit for bit.
    pub predictions_identical: u64,
    /// The largest absolute difference between a logged and a replayed output.
    pub max_abs_diff: f64,
    /// The tolerance a difference must stay within to count as reproduced.
    pub tolerance: f64,
    /// Loadable models whose training dataset was checked.
    pub lineage: u64,
    /// Lineages that passed.
    pub lineage_ok: u64,
    /// Every failed check, up to [`MAX_PROBLEMS`] (then one more problem says how many were
    /// not listed).
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_PROBLEMS`], counted and not listed (a forged file could
    /// otherwise make the report many times larger than itself).
    pub problems_not_listed: u64,
}

/// At most this many problems are listed in a [`VerifyReport`]; more are counted.
pub const MAX_PROBLEMS: usize = 10_000;

impl VerifyReport {
    /// Lists a problem, or counts it once [`MAX_PROBLEMS`] are listed.
    fn add(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.problems_not_listed += 1;
        }
    }

    /// True when every check passed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The result of [`Registry::reproduce`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReproduceReport {
    /// `name@version` of the model.
    pub model: String,
    /// md5 of the stored artifact.
    pub stored_md5: String,
    /// md5 of the artifact trained again.
    pub reproduced_md5: String,
    /// True when the two artifacts are the same bytes.
    pub identical: bool,
    /// The stored held-out metrics.
    pub stored_metrics: pipeline::metrics::Metrics,
    /// The metrics of the retrained model.
    pub reproduced_metrics: pipeline::metrics::Metrics,
    /// The top-level artifact fields that differ (empty when identical).
    pub differences: Vec<String>,
}

/// The default tolerance of `verify`: outputs replayed by another build (native against
/// WebAssembly) may differ in the last bits of a probability.
pub const DEFAULT_TOLERANCE: f64 = 1e-12;

/// The `SELECT`s verify reads (the same text on SQLite and PostgreSQL), and the column
/// names of each, for messages.
const DATASETS_SQL: &str = "SELECT id, name, version, size_cols, size_rows, description, \
    created_at, md5, data_table FROM datasets ORDER BY id";
const DATASETS_COLS: &[&str] = &[
    "id",
    "name",
    "version",
    "size_cols",
    "size_rows",
    "description",
    "created_at",
    "md5",
    "data_table",
];
const COLUMNS_SQL: &str = "SELECT position, column_name, original_dtype, converted_dtype, \
    null_count, unique_count, min_value_num, max_value_num, mean, std FROM dataset_columns \
    WHERE dataset_id = $1 ORDER BY position";
const COLUMNS_COLS: &[&str] = &[
    "position",
    "column_name",
    "original_dtype",
    "converted_dtype",
    "null_count",
    "unique_count",
    "min_value_num",
    "max_value_num",
    "mean",
    "std",
];
const HASHES_SQL: &str = "SELECT block, block_size, xxh3 FROM dataset_row_hashes \
    WHERE dataset_id = $1 ORDER BY block";
const HASHES_COLS: &[&str] = &["block", "block_size", "xxh3"];
const MODEL_IDS_SQL: &str = "SELECT id FROM models ORDER BY id";
const MODEL_SQL: &str = "SELECT id, name, version, dataset_id, target, estimator_class, \
    estimator_type, description, metrics, signature, classes, artifact, artifact_md5, \
    artifact_format, mlops_lite_version, smartcore_version, created_at FROM models WHERE id = $1";
const MODEL_COLS: &[&str] = &[
    "id",
    "name",
    "version",
    "dataset_id",
    "target",
    "estimator_class",
    "estimator_type",
    "description",
    "metrics",
    "signature",
    "classes",
    "artifact",
    "artifact_md5",
    "artifact_format",
    "mlops_lite_version",
    "smartcore_version",
    "created_at",
];
const CALLS_SQL: &str = "SELECT id, model_id, dataset_id, created_at, n_records, latency_us \
    FROM prediction_calls ORDER BY id";
const CALLS_COLS: &[&str] = &[
    "id",
    "model_id",
    "dataset_id",
    "created_at",
    "n_records",
    "latency_us",
];
const RECORDS_SQL: &str = "SELECT call_id, position, reference_id, inputs, outputs \
    FROM prediction_records ORDER BY call_id, position";
const RECORDS_COLS: &[&str] = &["call_id", "position", "reference_id", "inputs", "outputs"];

/// At most this many characters of a stored value are quoted in a problem.
const SHOWN_CHARS: usize = 120;

/// A stored value for a message: Rust-escaped (control characters never reach a terminal)
/// and cut to [`SHOWN_CHARS`].
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(SHOWN_CHARS).collect();
    if cut.len() < text.len() {
        format!("{cut:?}...")
    } else {
        format!("{cut:?}")
    }
}

fn shown_cell(c: &Cell) -> String {
    match c {
        Cell::Null => "NULL".into(),
        Cell::Integer(v) => v.to_string(),
        Cell::Real(v) => format!("{v:?}"),
        Cell::Text(t) => shown(t),
        Cell::BadText(b) | Cell::Blob(b) => format!("{} bytes", b.len()),
    }
}

/// The cells of one stored row, read with their types checked: each cell of the wrong type
/// becomes a `cell` problem naming table, row and column, and reads as `None`.
struct RowCells<'a> {
    table: &'static str,
    row: String,
    names: &'static [&'static str],
    cells: &'a [Cell],
    problems: Vec<Problem>,
}

impl<'a> RowCells<'a> {
    fn new(
        table: &'static str,
        row: String,
        names: &'static [&'static str],
        cells: &'a [Cell],
    ) -> Self {
        RowCells {
            table,
            row,
            names,
            cells,
            problems: Vec::new(),
        }
    }

    fn wrong(&mut self, i: usize, want: &str) {
        let cell = self.cells.get(i).unwrap_or(&Cell::Null);
        self.problems.push(Problem {
            check: "cell".into(),
            item: format!(
                "table {}, row {}, column {}",
                self.table,
                self.row,
                self.names.get(i).copied().unwrap_or("?")
            ),
            detail: format!(
                "holds {} ({}) where {want} belongs: the file was altered outside mlops-lite",
                cell.type_name(),
                shown_cell(cell)
            ),
        });
    }

    fn int(&mut self, i: usize) -> Option<i64> {
        match self.cells.get(i) {
            Some(Cell::Integer(v)) => Some(*v),
            _ => {
                self.wrong(i, "an integer");
                None
            }
        }
    }

    fn text(&mut self, i: usize) -> Option<String> {
        match self.cells.get(i) {
            Some(Cell::Text(t)) => Some(t.clone()),
            _ => {
                self.wrong(i, "text");
                None
            }
        }
    }

    fn opt_text(&mut self, i: usize) -> Option<Option<String>> {
        match self.cells.get(i) {
            Some(Cell::Null) => Some(None),
            Some(Cell::Text(t)) => Some(Some(t.clone())),
            _ => {
                self.wrong(i, "text or NULL");
                None
            }
        }
    }

    /// A float column: SQLite may hand back an integral float as an integer.
    fn opt_real(&mut self, i: usize) -> Option<Option<f64>> {
        match self.cells.get(i) {
            Some(Cell::Null) => Some(None),
            Some(Cell::Real(v)) => Some(Some(*v)),
            Some(Cell::Integer(v)) => Some(Some(*v as f64)),
            _ => {
                self.wrong(i, "a number or NULL");
                None
            }
        }
    }

    fn blob(&mut self, i: usize) -> Option<&'a [u8]> {
        let cells = self.cells;
        match cells.get(i) {
            Some(Cell::Blob(b)) => Some(b),
            _ => {
                self.wrong(i, "a blob");
                None
            }
        }
    }

    /// Moves the problems into the report; true when there were none.
    fn finish(self, report: &mut VerifyReport) -> bool {
        let clean = self.problems.is_empty();
        for p in self.problems {
            report.add(p);
        }
        clean
    }
}

/// What verify learned about a dataset, for the lineage and log checks.
struct CheckedDataset {
    md5: String,
    ok: bool,
}

/// What verify learned about a model, for the lineage and log checks.
struct CheckedModel {
    name: String,
    version: i64,
    dataset_id: i64,
    pipeline: Option<Rc<Pipeline>>,
}

/// Two floats are the same stored value (`None` is SQL `NULL`), bit for bit.
fn same_float(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits() || (x == 0.0 && y == 0.0),
        (None, None) => true,
        _ => false,
    }
}

fn float_text(v: Option<f64>) -> String {
    v.map_or("NULL".into(), |x| format!("{x:?}"))
}

/// How far a replayed output is from the logged one: 0 when equal (two NaNs are equal: the
/// log has no number, and neither does the replay), infinite when only one is NaN.
fn output_diff(logged: f64, fresh: f64) -> f64 {
    if logged == fresh || (logged.is_nan() && fresh.is_nan()) {
        0.0
    } else if logged.is_nan() || fresh.is_nan() {
        f64::INFINITY
    } else {
        (logged - fresh).abs()
    }
}

/// Bit for bit the same output (any NaN matches any NaN).
fn output_identical(logged: f64, fresh: f64) -> bool {
    logged.to_bits() == fresh.to_bits() || (logged.is_nan() && fresh.is_nan())
}

/// A logged outputs JSON value as numbers (`null` is a missing number, NaN).
fn logged_numbers(v: &serde_json::Value) -> std::result::Result<Vec<f64>, String> {
    let one = |x: &serde_json::Value| match x {
        serde_json::Value::Null => Ok(f64::NAN),
        serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a float")),
        other => Err(format!("{} is not a number", shown(&other.to_string()))),
    };
    match v {
        serde_json::Value::Array(a) => a.iter().map(one).collect(),
        x => Ok(vec![one(x)?]),
    }
}

/// A logged outputs text as numbers. The log writes each output in ryu's shortest form, which
/// for a non-finite output is `NaN`, `inf` or `-inf` (not JSON): those are read too.
pub(crate) fn logged_outputs(text: &str) -> std::result::Result<Vec<f64>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => logged_numbers(&v),
        Err(e) => {
            let t = text.trim();
            let inner = t
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .unwrap_or(t);
            inner
                .split(',')
                .map(|x| match x.trim() {
                    "NaN" => Ok(f64::NAN),
                    "inf" => Ok(f64::INFINITY),
                    "-inf" => Ok(f64::NEG_INFINITY),
                    "null" => Ok(f64::NAN),
                    x => serde_json::from_str::<f64>(x).map_err(|_| ()),
                })
                .collect::<std::result::Result<Vec<f64>, ()>>()
                .map_err(|_| format!("{} is not JSON ({e})", shown(text)))
        }
    }
}

impl Registry {
    /// Checks the whole registry offline; see the module docs. Every cell verify reads is
    /// read as stored and type-checked, so a cell of the wrong type is a problem in the
    /// report, never a stop. Problems are listed in the report, not returned as errors: only
    /// a registry that cannot be read at all errors.
    ///
    /// What is checked, beyond the md5s: every column of `models` that a listing shows
    /// (target, estimator class and type, metrics, signature, classes, artifact format,
    /// writer versions, training dataset) against what the md5-checked artifact says; every
    /// field of `dataset_columns` and the shape in `datasets` against the rows; the row
    /// hashes; the log's completeness (each call's `n_records` against its records,
    /// positions `0..n`, records without a call, calls whose model or dataset is missing).
    /// Source fingerprints cannot be recomputed without the source: `dataset add` trusts
    /// only its own machine's seals of the same bytes, name and md5
    /// ([`crate::dataset::fingerprint`]), so they are not checked here.
    pub fn verify(&mut self, tolerance: f64) -> Result<VerifyReport> {
        if tolerance.is_nan() || tolerance < 0.0 {
            return Err(Error::InvalidArgument(format!(
                "the tolerance must be a number, 0 or more, not {tolerance}"
            )));
        }
        let mut report = VerifyReport {
            tolerance,
            ..Default::default()
        };
        let datasets = self.verify_datasets(&mut report)?;
        let models = self.verify_models(&mut report, &datasets)?;
        self.verify_log(&mut report, &datasets, &models)?;
        if report.problems_not_listed > 0 {
            report.problems.push(Problem {
                check: "report".into(),
                item: "verify".into(),
                detail: format!(
                    "{} more problems were found and not listed (the first {MAX_PROBLEMS} are)",
                    report.problems_not_listed
                ),
            });
        }
        Ok(report)
    }

    /// Datasets: the `datasets` row's cells, content against its md5, the shape, the column
    /// metadata and the row hashes recomputed.
    fn verify_datasets(
        &mut self,
        report: &mut VerifyReport,
    ) -> Result<BTreeMap<i64, CheckedDataset>> {
        let mut checked = BTreeMap::new();
        let rows = self.db().scan_cells(DATASETS_SQL, &[])?;
        for (k, cells) in rows.iter().enumerate() {
            report.datasets += 1;
            let row_label = match cells.first() {
                Some(Cell::Integer(id)) => format!("id {id}"),
                _ => format!("{}", k + 1),
            };
            let mut c = RowCells::new("datasets", row_label, DATASETS_COLS, cells);
            let fields = (
                c.int(0),
                c.text(1),
                c.int(2),
                c.int(3),
                c.int(4),
                c.text(5),
                c.text(6),
                c.text(7),
                c.text(8),
            );
            let clean = c.finish(report);
            if let (Some(id), false) = (fields.0, clean) {
                // Known but unreadable: what names it (models, calls) sees it failed.
                checked.insert(
                    id,
                    CheckedDataset {
                        md5: fields.7.clone().unwrap_or_default(),
                        ok: false,
                    },
                );
            }
            let (
                Some(id),
                Some(name),
                Some(version),
                Some(size_cols),
                Some(size_rows),
                Some(description),
                Some(created_at),
                Some(md5),
                Some(data_table),
            ) = fields
            else {
                continue;
            };
            let entry = crate::store::DatasetEntry {
                id,
                name,
                version,
                size_cols,
                size_rows,
                description,
                created_at,
                md5,
                data_table,
            };
            let ok = clean && self.verify_dataset(report, &entry)?;
            report.datasets_ok += ok as u64;
            checked.insert(
                entry.id,
                CheckedDataset {
                    md5: entry.md5.clone(),
                    ok,
                },
            );
        }
        Ok(checked)
    }

    /// One dataset whose row was read; true when it passed.
    fn verify_dataset(
        &mut self,
        report: &mut VerifyReport,
        d: &crate::store::DatasetEntry,
    ) -> Result<bool> {
        let item = format!(
            "dataset {}@{} (id {}, table {})",
            shown_name(&d.name),
            d.version,
            d.id,
            d.data_table
        );
        let before = report.problems.len();
        let problem = |report: &mut VerifyReport, check: &str, item: String, detail: String| {
            report.add(Problem {
                check: check.into(),
                item,
                detail,
            });
        };
        if let Err(e) = crate::registry::check_name(&d.name) {
            problem(report, "dataset", item.clone(), format!("name: {e}"));
        }
        if d.data_table != format!("data_{}", d.id) {
            problem(
                report,
                "dataset",
                item.clone(),
                format!(
                    "data_table: the row names {} but dataset {} keeps its rows in data_{}",
                    shown(&d.data_table),
                    d.id,
                    d.id
                ),
            );
        }
        if crate::store::check_time(&d.created_at).is_err() {
            problem(
                report,
                "dataset",
                item.clone(),
                format!("created_at: {} is not a time", shown(&d.created_at)),
            );
        }
        // The column metadata's cells first: reading the rows depends on them.
        let mut stored = Vec::new();
        for (k, cells) in self
            .db()
            .scan_cells(COLUMNS_SQL, &[d.id])?
            .iter()
            .enumerate()
        {
            let mut c = RowCells::new(
                "dataset_columns",
                format!("dataset_id {}, position {k}", d.id),
                COLUMNS_COLS,
                cells,
            );
            let position = c.int(0);
            let texts = [c.text(1), c.text(2), c.text(3)];
            let counts = [c.int(4), c.int(5)];
            let reals = [c.opt_real(6), c.opt_real(7), c.opt_real(8), c.opt_real(9)];
            c.finish(report);
            stored.push((position, texts, counts, reals));
        }
        let data = match self.db().read_dataset(d, self.label()) {
            Ok(data) => data,
            Err(e) => {
                problem(report, "dataset", item, e.to_string());
                return Ok(false);
            }
        };
        let md5 = data.md5();
        if md5 != d.md5 {
            let rows = self.differing_rows(d.id, &data)?;
            problem(
                report,
                "dataset",
                item,
                format!(
                    "its rows no longer match its md5 (stored {}, content {md5}){rows}",
                    d.md5
                ),
            );
            return Ok(false);
        }
        for (field, stored, fresh) in [
            ("size_rows", d.size_rows, data.rows() as i64),
            ("size_cols", d.size_cols, data.columns().len() as i64),
        ] {
            if stored != fresh {
                problem(
                    report,
                    "dataset",
                    item.clone(),
                    format!("{field}: the row says {stored}, the md5-checked rows give {fresh}"),
                );
            }
        }

        // The column metadata, every field of every column.
        let fresh = data.column_info();
        if stored.len() != fresh.len() {
            problem(
                report,
                "columns",
                item.clone(),
                format!(
                    "dataset_columns lists {} columns, the rows have {}",
                    stored.len(),
                    fresh.len()
                ),
            );
        }
        for (k, ((position, texts, counts, reals), f)) in stored.into_iter().zip(&fresh).enumerate()
        {
            let citem = format!("{item}, column {}", shown(&f.column_name));
            let mut diffs = Vec::new();
            if let Some(p) = position.filter(|p| *p != k as i64) {
                diffs.push(format!("position: stored {p}, expected {k}"));
            }
            let fresh_texts = [&f.column_name, &f.original_dtype, &f.converted_dtype];
            for ((name, s), fr) in COLUMNS_COLS[1..4].iter().zip(&texts).zip(fresh_texts) {
                if let Some(s) = s.as_ref().filter(|s| *s != fr) {
                    diffs.push(format!(
                        "{name}: stored {}, recomputed {}",
                        shown(s),
                        shown(fr)
                    ));
                }
            }
            let fresh_counts = [f.null_count, f.unique_count];
            for ((name, s), fr) in COLUMNS_COLS[4..6].iter().zip(counts).zip(fresh_counts) {
                if let Some(s) = s.filter(|s| u64::try_from(*s).ok() != Some(fr)) {
                    diffs.push(format!("{name}: stored {s}, recomputed {fr}"));
                }
            }
            let fresh_reals = [f.min_value_num, f.max_value_num, f.mean, f.std];
            for ((name, s), fr) in COLUMNS_COLS[6..].iter().zip(reals).zip(fresh_reals) {
                if let Some(s) = s.filter(|s| !same_float(*s, fr)) {
                    diffs.push(format!(
                        "{name}: stored {}, recomputed {}",
                        float_text(s),
                        float_text(fr)
                    ));
                }
            }
            for detail in diffs {
                problem(report, "columns", citem.clone(), detail);
            }
        }

        // The row hashes (format 4 on) name changed rows later: they must match the rows.
        let hashes = self.db().scan_cells(HASHES_SQL, &[d.id])?;
        if !hashes.is_empty() {
            let (size, fresh) = data.row_hashes();
            let mut stored = Vec::with_capacity(hashes.len().min(fresh.len()));
            let mut readable = true;
            for (k, cells) in hashes.iter().enumerate() {
                let mut c = RowCells::new(
                    "dataset_row_hashes",
                    format!("dataset_id {}, block {k}", d.id),
                    HASHES_COLS,
                    cells,
                );
                let row = (c.int(0), c.int(1), c.int(2));
                readable &= c.finish(report);
                if let (Some(b), Some(s), Some(h)) = row {
                    stored.push((b, s, h as u64));
                }
            }
            let same = readable
                && stored.len() == fresh.len()
                && stored
                    .iter()
                    .zip(&fresh)
                    .enumerate()
                    .all(|(k, ((b, s, h), f))| *b == k as i64 && *s == size as i64 && h == f);
            if !same {
                problem(
                    report,
                    "dataset",
                    item.clone(),
                    format!(
                        "dataset_row_hashes: the {} stored row hashes do not match the md5-checked rows ({} blocks of {size})",
                        hashes.len(),
                        fresh.len()
                    ),
                );
            }
        }
        Ok(report.problems.len() == before)
    }

    /// Models: the row's cells, the artifact against its md5, loaded and checked, and every
    /// column a listing shows against what the artifact says; lineage.
    fn verify_models(
        &mut self,
        report: &mut VerifyReport,
        datasets: &BTreeMap<i64, CheckedDataset>,
    ) -> Result<BTreeMap<i64, CheckedModel>> {
        let mut checked = BTreeMap::new();
        let ids = self.db().scan_cells(MODEL_IDS_SQL, &[])?;
        for id in ids {
            let Some(Cell::Integer(id)) = id.first().cloned() else {
                continue; // SQLite ids (INTEGER PRIMARY KEY) are always integers.
            };
            report.models += 1;
            let rows = self.db().scan_cells(MODEL_SQL, &[id])?;
            let Some(cells) = rows.first() else { continue };
            let mut c = RowCells::new("models", format!("id {id}"), MODEL_COLS, cells);
            let name = c.text(1);
            let version = c.int(2);
            let dataset_id = c.int(3);
            let texts = [c.text(4), c.text(5), c.text(6)];
            let description = c.text(7);
            let jsons = [c.text(8), c.text(9), c.text(10)];
            let artifact = c.blob(11);
            let artifact_md5 = c.text(12);
            let artifact_format = c.int(13);
            let versions = [c.text(14), c.text(15)];
            let created_at = c.text(16);
            let mut ok = c.finish(report);
            let item = format!(
                "model {}@{} (id {id})",
                name.as_deref().map_or("?".into(), shown_name),
                version.map_or("?".into(), |v| v.to_string())
            );
            let problem = |report: &mut VerifyReport, check: &str, detail: String| {
                report.add(Problem {
                    check: check.into(),
                    item: item.clone(),
                    detail,
                });
            };
            if let Some(Err(e)) = name.as_deref().map(crate::registry::check_name) {
                ok = false;
                problem(report, "model", format!("name: {e}"));
            }
            if created_at.is_some_and(|t| crate::store::check_time(&t).is_err()) {
                ok = false;
                problem(report, "model", "created_at: it is not a time".into());
            }
            let _ = description;
            let (Some(artifact), Some(artifact_md5)) = (artifact, artifact_md5) else {
                checked.insert(
                    id,
                    CheckedModel {
                        name: name.unwrap_or_default(),
                        version: version.unwrap_or_default(),
                        dataset_id: dataset_id.unwrap_or_default(),
                        pipeline: None,
                    },
                );
                continue;
            };
            let md5 = md5_hex(artifact);
            let loaded = if md5 != artifact_md5 {
                Err(format!(
                    "its artifact no longer matches its md5 (stored {}, content {md5}); it was not loaded",
                    shown(&artifact_md5)
                ))
            } else {
                Pipeline::from_artifact(artifact).map_err(|e| e.to_string())
            };
            let p = match loaded {
                Ok(p) => Rc::new(p),
                Err(e) => {
                    problem(report, "model", e);
                    checked.insert(
                        id,
                        CheckedModel {
                            name: name.unwrap_or_default(),
                            version: version.unwrap_or_default(),
                            dataset_id: dataset_id.unwrap_or_default(),
                            pipeline: None,
                        },
                    );
                    continue;
                }
            };

            // Every derived column against the artifact.
            let mut mismatch =
                |report: &mut VerifyReport, field: &str, col: String, art: String| {
                    ok = false;
                    problem(
                        report,
                        "model",
                        format!(
                        "{field}: the column says {col} but the md5-checked artifact says {art}"
                    ),
                    );
                };
            let art_texts = [&p.target, &p.estimator_class, &p.estimator_type];
            for ((field, col), art) in MODEL_COLS[4..7].iter().zip(&texts).zip(art_texts) {
                if let Some(col) = col.as_ref().filter(|c| *c != art) {
                    mismatch(report, field, shown(col), shown(art));
                }
            }
            let art_jsons = [
                serde_json::to_string(&p.metrics).unwrap_or_default(),
                serde_json::to_string(&p.signature).unwrap_or_default(),
                serde_json::to_string(&p.classes).unwrap_or_default(),
            ];
            for ((field, col), art) in MODEL_COLS[8..11].iter().zip(&jsons).zip(&art_jsons) {
                let Some(col) = col else { continue };
                let parsed = serde_json::from_str::<serde_json::Value>(col).ok();
                if parsed.is_none() || parsed != serde_json::from_str(art).ok() {
                    mismatch(report, field, shown(col), shown(art));
                }
            }
            if let Some(f) = artifact_format.filter(|f| *f != i64::from(p.artifact_format)) {
                mismatch(
                    report,
                    "artifact_format",
                    f.to_string(),
                    p.artifact_format.to_string(),
                );
            }
            let art_versions = [&p.mlops_lite_version, &p.smartcore_version];
            for ((field, col), art) in MODEL_COLS[14..16].iter().zip(&versions).zip(art_versions) {
                if let Some(col) = col.as_ref().filter(|c| *c != art) {
                    mismatch(report, field, shown(col), shown(art));
                }
            }
            report.models_ok += ok as u64;

            // Lineage: the training dataset the row names holds what the artifact records.
            if let Some(did) = dataset_id {
                report.lineage += 1;
                let lineage = match datasets.get(&did) {
                    None => Err(format!(
                        "its training dataset (id {did}, md5 {}) is missing",
                        p.dataset.md5
                    )),
                    Some(d) if d.md5 != p.dataset.md5 => Err(format!(
                        "its training dataset (id {did}) has md5 {}, the artifact records {} ({}@{})",
                        d.md5,
                        p.dataset.md5,
                        shown_name(&p.dataset.name),
                        p.dataset.version
                    )),
                    Some(d) if !d.ok => Err(format!(
                        "its training dataset (id {did}) failed its checks; see the dataset problems"
                    )),
                    Some(_) => Ok(()),
                };
                match lineage {
                    Ok(()) => report.lineage_ok += 1,
                    Err(e) => problem(report, "lineage", e),
                }
            }
            checked.insert(
                id,
                CheckedModel {
                    name: name.unwrap_or_default(),
                    version: version.unwrap_or_default(),
                    dataset_id: dataset_id.unwrap_or_default(),
                    pipeline: Some(p),
                },
            );
        }
        Ok(checked)
    }

    /// The log: its completeness (calls against records), then every record replayed
    /// through its model version.
    fn verify_log(
        &mut self,
        report: &mut VerifyReport,
        datasets: &BTreeMap<i64, CheckedDataset>,
        models: &BTreeMap<i64, CheckedModel>,
    ) -> Result<()> {
        let problem = |report: &mut VerifyReport, check: &str, item: String, detail: String| {
            report.add(Problem {
                check: check.into(),
                item,
                detail,
            })
        };
        // Calls: id -> (model id, n_records), when readable.
        let mut calls: BTreeMap<i64, (Option<i64>, Option<i64>)> = BTreeMap::new();
        for cells in self.db().scan_cells(CALLS_SQL, &[])? {
            let Some(Cell::Integer(id)) = cells.first().cloned() else {
                continue;
            };
            let mut c = RowCells::new("prediction_calls", format!("id {id}"), CALLS_COLS, &cells);
            let (model_id, dataset_id, created_at, n_records, latency) =
                (c.int(1), c.int(2), c.text(3), c.int(4), c.int(5));
            c.finish(report);
            let item = format!("prediction call {id}");
            if let Some(m) = model_id {
                match models.get(&m) {
                    None => problem(
                        report,
                        "log",
                        item.clone(),
                        format!("model_id: model {m} is not in the registry"),
                    ),
                    Some(model) => {
                        if let Some(d) = dataset_id.filter(|d| *d != model.dataset_id) {
                            problem(
                                report,
                                "log",
                                item.clone(),
                                format!(
                                    "dataset_id: the call names dataset {d}, its model {}@{} was trained on dataset {}",
                                    shown_name(&model.name),
                                    model.version,
                                    model.dataset_id
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(d) = dataset_id.filter(|d| !datasets.contains_key(d)) {
                problem(
                    report,
                    "log",
                    item.clone(),
                    format!("dataset_id: dataset {d} is not in the registry"),
                );
            }
            if created_at.is_some_and(|t| crate::store::check_time(&t).is_err()) {
                problem(
                    report,
                    "log",
                    item.clone(),
                    "created_at: it is not a time".into(),
                );
            }
            if let Some(l) = latency.filter(|l| *l < 0) {
                problem(
                    report,
                    "log",
                    item.clone(),
                    format!("latency_us: {l} is negative"),
                );
            }
            calls.insert(id, (model_id, n_records));
        }

        // Records, grouped by call (they come ordered by call, then position).
        let mut seen: BTreeMap<i64, i64> = BTreeMap::new();
        let mut orphans: BTreeMap<i64, u64> = BTreeMap::new();
        let mut bad_positions: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        // Streamed: memory holds one record at a time, whatever the log holds.
        self.db().scan_cells_each(RECORDS_SQL, &[], |cells| {
            let cells = &cells;
            let (call_id, position) = match (cells.first(), cells.get(1)) {
                (Some(Cell::Integer(c)), Some(Cell::Integer(p))) => (*c, *p),
                _ => {
                    let mut c =
                        RowCells::new("prediction_records", "?".into(), RECORDS_COLS, cells);
                    c.int(0);
                    c.int(1);
                    c.finish(report);
                    return Ok(());
                }
            };
            let Some((model_id, _)) = calls.get(&call_id) else {
                *orphans.entry(call_id).or_default() += 1;
                return Ok(());
            };
            let expected = seen.entry(call_id).or_default();
            if position != *expected {
                bad_positions
                    .entry(call_id)
                    .or_insert((*expected, position));
            }
            *expected += 1;
            let mut c = RowCells::new(
                "prediction_records",
                format!("call_id {call_id}, position {position}"),
                RECORDS_COLS,
                cells,
            );
            let (_reference, inputs, outputs) = (c.opt_text(2), c.text(3), c.text(4));
            c.finish(report);
            let Some(model) = model_id.and_then(|m| models.get(&m)) else {
                return Ok(()); // The call's problem says why.
            };
            report.predictions += 1;
            let item = format!(
                "prediction call {call_id} position {position} (model {}@{})",
                shown_name(&model.name),
                model.version
            );
            let Some(p) = &model.pipeline else {
                problem(
                    report,
                    "prediction",
                    item,
                    "its model could not be loaded; see the model problem".into(),
                );
                return Ok(());
            };
            let (Some(inputs), Some(outputs)) = (inputs, outputs) else {
                return Ok(()); // The cell problem says why.
            };
            // The logged row goes the way every record goes: `Records` into a batch of one.
            let replayed = crate::records::Records::Logged(&[inputs.as_str()])
                .into_batch(p)
                .and_then(|batch| {
                    p.predict_batch(&batch.view())
                        .map_err(|e| batch.row_error(p, e))
                });
            let replayed = match replayed {
                Ok(o) => o,
                Err(e) => {
                    problem(
                        report,
                        "prediction",
                        item,
                        format!("its inputs cannot be replayed: {e}"),
                    );
                    return Ok(());
                }
            };
            let logged = logged_outputs(&outputs);
            let logged = match logged {
                Ok(l) => l,
                Err(e) => {
                    problem(report, "prediction", item, format!("outputs: {e}"));
                    return Ok(());
                }
            };
            let fresh: Vec<f64> = match replayed {
                BatchOut::Classes { proba, .. } => proba,
                BatchOut::Values(v) => v,
            };
            if logged.len() != fresh.len() {
                problem(
                    report,
                    "prediction",
                    item,
                    format!(
                        "logged {} outputs, the model gives {}",
                        logged.len(),
                        fresh.len()
                    ),
                );
                return Ok(());
            }
            let diff = logged
                .iter()
                .zip(&fresh)
                .map(|(a, b)| output_diff(*a, *b))
                .fold(0.0, f64::max);
            report.max_abs_diff = report.max_abs_diff.max(diff);
            if logged
                .iter()
                .zip(&fresh)
                .all(|(a, b)| output_identical(*a, *b))
            {
                report.predictions_identical += 1;
                report.predictions_ok += 1;
            } else if diff <= report.tolerance {
                report.predictions_ok += 1;
            } else {
                let tolerance = report.tolerance;
                problem(
                    report,
                    "prediction",
                    item,
                    format!(
                        "logged outputs {} but the model gives {} (difference {diff:e}, tolerance {tolerance:e})",
                        shown(&outputs),
                        serde_json::to_string(&fresh).unwrap_or_default()
                    ),
                );
            }
            Ok(())
        })?;

        // Completeness: each call holds exactly n_records records, at positions 0..n.
        for (id, (_, n_records)) in &calls {
            let item = format!("prediction call {id}");
            let found = seen.get(id).copied().unwrap_or(0);
            if let Some(n) = n_records.filter(|n| *n != found) {
                problem(
                    report,
                    "log",
                    item.clone(),
                    format!(
                        "n_records: the call says {n} records, the log holds {found} (records were deleted or added)"
                    ),
                );
            }
            if let Some((want, got)) = bad_positions.get(id) {
                problem(
                    report,
                    "log",
                    item,
                    format!("position: record {want} of the call has position {got}; positions must run 0, 1, ... without gaps"),
                );
            }
        }
        for (call, n) in orphans {
            problem(
                report,
                "log",
                format!("prediction call {call}"),
                format!("{n} prediction_records name call {call}, which is not in prediction_calls (orphaned records)"),
            );
        }
        Ok(())
    }

    /// For a dataset whose content md5 changed: the rows whose stored row hashes (when the
    /// registry has them) no longer match, as text for the report.
    fn differing_rows(&self, dataset_id: i64, data: &crate::dataset::Dataset) -> Result<String> {
        let Some((size, stored)) = self.db().row_hashes(dataset_id)? else {
            return Ok(
                "; it was bound before format 4, without row hashes, so the rows cannot be named"
                    .into(),
            );
        };
        let (fresh_size, fresh) = data.row_hashes();
        if fresh_size != size || fresh.len() != stored.len() {
            return Ok("; its row hashes do not match its shape".into());
        }
        let rows: Vec<String> = stored
            .iter()
            .zip(&fresh)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| {
                let (first, last) = (i * size + 1, ((i + 1) * size).min(data.rows()));
                if first == last {
                    format!("row {first}")
                } else {
                    format!("rows {first}-{last}")
                }
            })
            .collect();
        Ok(if rows.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = rows.iter().take(10).map(String::as_str).collect();
            format!(
                "; changed: {}{}",
                shown.join(", "),
                if rows.len() > 10 {
                    format!(" and {} more", rows.len() - 10)
                } else {
                    String::new()
                }
            )
        })
    }

    /// Retrains a model from its embedded training dataset and stored spec (seed included)
    /// and compares the new artifact with the stored one.
    pub fn reproduce(&mut self, model_ref: &str) -> Result<ReproduceReport> {
        let (entry, stored, dataset) = self.pull_model(model_ref)?;
        let (_, data) = self.pull_dataset(&dataset.id.to_string())?;
        let again = pipeline::train(
            &data,
            stored.trained_spec()?,
            Lineage {
                name: stored.dataset.name.clone(),
                version: stored.dataset.version,
                md5: stored.dataset.md5.clone(),
            },
        )?;
        let a = stored.to_artifact();
        let b = again.to_artifact();
        let mut differences = Vec::new();
        if a != b {
            let va: serde_json::Value = serde_json::from_slice(&a).unwrap_or_default();
            let vb: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
            if let (Some(oa), Some(ob)) = (va.as_object(), vb.as_object()) {
                for (k, x) in oa {
                    if ob.get(k) != Some(x) {
                        differences.push(k.clone());
                    }
                }
            }
        }
        Ok(ReproduceReport {
            model: format!("{}@{}", entry.name, entry.version),
            stored_md5: entry.artifact_md5.clone(),
            reproduced_md5: md5_hex(&b),
            identical: a == b,
            stored_metrics: stored.metrics.clone(),
            reproduced_metrics: again.metrics.clone(),
            differences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_against_a_number_is_a_difference_never_a_match() {
        // Replayed NaN against a logged number, and the reverse.
        for (logged, fresh) in [(0.5, f64::NAN), (f64::NAN, 0.5), (f64::NAN, f64::INFINITY)] {
            assert_eq!(
                output_diff(logged, fresh),
                f64::INFINITY,
                "{logged} {fresh}"
            );
            assert!(!output_identical(logged, fresh), "{logged} {fresh}");
            assert!(output_diff(logged, fresh) > 1e300);
        }
        // Two missing numbers agree; equal infinities agree; others differ by their distance.
        assert_eq!(output_diff(f64::NAN, -f64::NAN), 0.0);
        assert!(output_identical(f64::NAN, f64::NAN));
        assert_eq!(output_diff(f64::INFINITY, f64::INFINITY), 0.0);
        assert_eq!(output_diff(f64::INFINITY, f64::NEG_INFINITY), f64::INFINITY);
        assert_eq!(output_diff(0.25, 0.5), 0.25);
        assert!(!output_identical(0.0, -0.0));
    }

    #[test]
    fn non_finite_outputs_as_the_log_writes_them_are_read() {
        let v = logged_outputs("[NaN,0.5,inf,-inf]").unwrap();
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], &[0.5, f64::INFINITY, f64::NEG_INFINITY]);
        assert!(logged_outputs("NaN").unwrap()[0].is_nan());
        assert_eq!(logged_outputs("[0.25]").unwrap(), vec![0.25]);
        for bad in ["[0.5,", "[nan]", "[\"x\"]", "", "[1,,2]"] {
            let e = logged_outputs(bad).unwrap_err();
            assert!(e.contains("is not"), "{bad}: {e}");
        }
        // A replayed NaN against a logged NaN matches; against a number it differs.
        assert_eq!(
            output_diff(logged_outputs("[NaN]").unwrap()[0], f64::NAN),
            0.0
        );
        assert_eq!(
            output_diff(logged_outputs("[0.1]").unwrap()[0], f64::NAN),
            f64::INFINITY
        );
    }

    #[test]
    fn logged_outputs_must_be_numbers() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(logged_numbers(&v("[0.5,1]")).unwrap(), vec![0.5, 1.0]);
        assert!(logged_numbers(&v("[null]")).unwrap()[0].is_nan());
        assert!(logged_numbers(&v("3")).unwrap() == vec![3.0]);
        let e = logged_numbers(&v("[\"0.5\"]")).unwrap_err();
        assert!(e.contains("\"\\\"0.5\\\"\" is not a number"), "{e}");
        assert!(logged_numbers(&v("{\"a\":1}")).is_err());
    }

    #[test]
    fn stored_values_in_messages_are_escaped_and_cut() {
        assert_eq!(shown("a\u{1b}]0;x\u{7}"), "\"a\\u{1b}]0;x\\u{7}\"");
        let long = "x".repeat(500);
        assert_eq!(shown(&long).len(), SHOWN_CHARS + 2 + 3);
        assert_eq!(shown_name("iris"), "iris");
        assert_eq!(shown_name("a\u{1b}b"), "\"a\\u{1b}b\"");
    }
}
