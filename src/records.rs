//! Records in: the one road every caller's records take to a pipeline.
//!
//! A [`Records`] value is what a door hands to [`crate::Registry::predict`]: JSON bytes, CSV
//! bytes, columns (`name -> numbers / booleans / strings`, as a Rust caller, a JS typed array
//! or a numpy array provides them), or logged input rows (what `verify` replays). Each is
//! turned once, against the model's signature, into a [`Batch`]: one column per signature
//! feature, which the pipeline runs through [`crate::pipeline::batch`].
//!
//! Rules shared by every source:
//! - a record may carry a `reference_id` (text, or a JSON integer as text), never fed to the
//!   model; every other field must be a feature of the model, named once;
//! - a missing field is null; null is filled by the pipeline's imputer, else it is an error
//!   naming the record and feature (columns are the exception: a missing column is an error,
//!   since a whole column left out is a mistake, not a missing value; NaN in a column is null);
//! - numbers must be finite; booleans are `true`/`false`; string features take text;
//! - in CSV, cells are typed by the signature (a string feature or a reference id of digits
//!   stays text) and the [`crate::dataset::NULL_TOKENS`] are null, as in a bound dataset;
//! - at most [`MAX_BATCH_RECORDS`] records and a bounded number of cells per call.
//!
//! Errors are [`Error::Input`] with the record index, the field and, where the source has
//! them, the line (CSV, JSON) and column (JSON), built where the problem is found.

use std::borrow::Cow;

use crate::dataset::is_null_token;
use crate::error::{Error, Location, Result};
use crate::pipeline::batch::{BatchIn, ColumnIn};
use crate::pipeline::{Pipeline, RowError};

use crate::json_records::read_json;
use mlops_lite_reader::{Builder, Kind};
pub use mlops_lite_reader::{BATCH_CELLS_BASE, BATCH_CELLS_PER_BYTE, MAX_BATCH_RECORDS};

/// Records to predict, from any source. See the module documentation for the rules.
#[derive(Debug, Clone)]
pub enum Records<'a> {
    /// A JSON array of objects keyed by feature name. `label` names the source in errors
    /// (a file name, `<stdin>`); `None` when the text was made by a door from values (JS
    /// objects), so its lines and columns mean nothing to the caller and are left out.
    Json {
        /// The JSON text.
        bytes: &'a [u8],
        /// The source's name, shown in errors with line and column.
        label: Option<&'a str>,
    },
    /// CSV text with a header of feature names (and optionally `reference_id`).
    Csv {
        /// The CSV text.
        bytes: &'a [u8],
        /// The source's name, shown in errors with the line.
        label: &'a str,
    },
    /// Columns by feature name.
    Columns(Columns<'a>),
    /// Logged input rows: each a JSON array of values in signature order, as the prediction
    /// log stores them.
    Logged(&'a [&'a str]),
}

impl<'a> Records<'a> {
    /// JSON records whose errors name `label` with line and column.
    pub fn json(bytes: &'a [u8], label: &'a str) -> Self {
        Records::Json {
            bytes,
            label: Some(label),
        }
    }

    /// CSV records whose errors name `label` with the line.
    pub fn csv(bytes: &'a [u8], label: &'a str) -> Self {
        Records::Csv { bytes, label }
    }
}

impl<'a> From<&'a [u8]> for Records<'a> {
    /// JSON bytes (errors are labelled `<json>`).
    fn from(bytes: &'a [u8]) -> Self {
        Records::json(bytes, "<json>")
    }
}

impl<'a> From<&'a Vec<u8>> for Records<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Records::from(bytes.as_slice())
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Records<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Records::from(bytes.as_slice())
    }
}

impl<'a> From<&'a str> for Records<'a> {
    fn from(text: &'a str) -> Self {
        Records::from(text.as_bytes())
    }
}

impl<'a> From<Columns<'a>> for Records<'a> {
    fn from(columns: Columns<'a>) -> Self {
        Records::Columns(columns)
    }
}

/// One input column.
#[derive(Debug, Clone)]
pub enum Column<'a> {
    /// Numbers: NaN is null (the imputer fills it); infinities are refused. Also accepted for
    /// a boolean feature when every value is 0, 1 or NaN.
    Numbers(Cow<'a, [f64]>),
    /// Booleans (`None` is null), for a boolean feature.
    Booleans(Cow<'a, [Option<bool>]>),
    /// Text (`None` is null), for a string feature.
    Strings(Cow<'a, [Option<String>]>),
}

impl Column<'_> {
    fn len(&self) -> usize {
        match self {
            Column::Numbers(v) => v.len(),
            Column::Booleans(v) => v.len(),
            Column::Strings(v) => v.len(),
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Column::Numbers(_) => "numbers",
            Column::Booleans(_) => "booleans",
            Column::Strings(_) => "strings",
        }
    }
}

/// Records in columns: one per feature of the model, all of the same length, and optionally
/// a reference id per record. Built with [`Columns::new`] and the `numbers`, `booleans`,
/// `strings` and `reference_ids` methods; numbers are borrowed, not copied.
#[derive(Debug, Clone, Default)]
pub struct Columns<'a> {
    /// Columns by feature name, in any order.
    pub columns: Vec<(Cow<'a, str>, Column<'a>)>,
    /// One reference id per record, or none at all.
    pub reference_ids: Option<Vec<Option<String>>>,
}

impl<'a> Columns<'a> {
    /// No columns yet.
    pub fn new() -> Self {
        Columns::default()
    }

    /// Adds a numeric (or boolean as 0/1) column.
    pub fn numbers(mut self, name: impl Into<Cow<'a, str>>, v: impl Into<Cow<'a, [f64]>>) -> Self {
        self.columns.push((name.into(), Column::Numbers(v.into())));
        self
    }

    /// Adds a boolean column.
    pub fn booleans(
        mut self,
        name: impl Into<Cow<'a, str>>,
        v: impl Into<Cow<'a, [Option<bool>]>>,
    ) -> Self {
        self.columns.push((name.into(), Column::Booleans(v.into())));
        self
    }

    /// Adds a string column.
    pub fn strings(
        mut self,
        name: impl Into<Cow<'a, str>>,
        v: impl Into<Cow<'a, [Option<String>]>>,
    ) -> Self {
        self.columns.push((name.into(), Column::Strings(v.into())));
        self
    }

    /// Sets the reference ids, one per record.
    pub fn reference_ids(mut self, ids: Vec<Option<String>>) -> Self {
        self.reference_ids = Some(ids);
        self
    }

    /// The same columns, borrowed from these (no copy of their values; the reference ids,
    /// if any, are copied).
    pub fn borrowed(&self) -> Columns<'_> {
        Columns {
            columns: self
                .columns
                .iter()
                .map(|(name, c)| {
                    let c = match c {
                        Column::Numbers(v) => Column::Numbers(Cow::Borrowed(&v[..])),
                        Column::Booleans(v) => Column::Booleans(Cow::Borrowed(&v[..])),
                        Column::Strings(v) => Column::Strings(Cow::Borrowed(&v[..])),
                    };
                    (Cow::Borrowed(&name[..]), c)
                })
                .collect(),
            reference_ids: self.reference_ids.clone(),
        }
    }
}

/// A batch column, in signature order.
#[derive(Debug, Clone)]
enum BatchColumn<'a> {
    Numbers(Cow<'a, [f64]>),
    Strings(Cow<'a, [Option<String>]>),
}

/// Records ready to run: one column per signature feature (see the module documentation).
#[derive(Debug, Clone)]
pub struct Batch<'a> {
    len: usize,
    columns: Vec<BatchColumn<'a>>,
    is_bool: Vec<bool>,
    /// One per record, or empty when no record has one.
    reference_ids: Vec<Option<String>>,
    /// For CSV, the line each record starts on; else empty.
    lines: Vec<u64>,
    /// The source's name for errors found after reading (a null with no imputer).
    label: String,
}

fn kinds(pipeline: &Pipeline) -> Vec<Kind> {
    pipeline
        .signature
        .iter()
        .map(|f| match f.dtype.as_str() {
            "string" => Kind::String,
            "boolean" => Kind::Boolean,
            _ => Kind::Number,
        })
        .collect()
}

fn feature_list(pipeline: &Pipeline) -> String {
    pipeline
        .signature
        .iter()
        .map(|f| format!("{:?}", f.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An input error at record `index` (and `field`), in `label`.
fn at(label: &str, index: Option<usize>, field: Option<&str>, message: String) -> Error {
    Error::Input {
        source: label.to_string(),
        location: Location {
            index: index.map(|i| i as u32),
            column: field.map(str::to_string),
            ..Default::default()
        },
        message,
    }
}

impl<'a> Records<'a> {
    /// Reads the records against `pipeline`'s signature into a batch. Any bad record fails
    /// the whole batch with an [`Error::Input`] that locates it.
    pub fn into_batch(self, pipeline: &Pipeline) -> Result<Batch<'a>> {
        match self {
            Records::Json { bytes, label } => json_batch(bytes, label, pipeline),
            Records::Csv { bytes, label } => csv_batch(bytes, label, pipeline),
            Records::Columns(columns) => columns_batch(columns, pipeline),
            Records::Logged(rows) => logged_batch(rows, pipeline),
        }
    }
}

impl<'a> Batch<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The reference id of record `i`.
    pub fn reference_id(&self, i: usize) -> Option<&str> {
        self.reference_ids.get(i).and_then(|r| r.as_deref())
    }

    /// Takes the reference ids out: one per record, or none at all when no record has one
    /// (a million records without ids need no million `None`s).
    pub fn take_reference_ids(&mut self) -> Vec<Option<String>> {
        std::mem::take(&mut self.reference_ids)
    }

    /// The columns as the pipeline runs them.
    pub fn view(&self) -> BatchIn<'_> {
        BatchIn {
            len: self.len,
            columns: self
                .columns
                .iter()
                .map(|c| match c {
                    BatchColumn::Numbers(v) => ColumnIn::Numbers(v),
                    BatchColumn::Strings(v) => ColumnIn::Strings(v),
                })
                .collect(),
        }
    }

    /// The error for a record the pipeline could not predict, located like a reading error.
    pub fn row_error(&self, pipeline: &Pipeline, e: RowError) -> Error {
        let field = pipeline.signature.get(e.feature).map(|f| f.name.clone());
        Error::Input {
            source: self.label.clone(),
            location: Location {
                line: self.lines.get(e.record).copied(),
                index: Some(e.record as u32),
                column: field,
                ..Default::default()
            },
            message: e.message,
        }
    }

    /// The JSON array of record `i`'s inputs in signature order, as logged.
    pub fn inputs_json(&self, i: usize, buf: &mut String) {
        let mut numbers = zmij::Buffer::new();
        buf.clear();
        buf.push('[');
        for (j, c) in self.columns.iter().enumerate() {
            if j > 0 {
                buf.push(',');
            }
            match c {
                BatchColumn::Strings(v) => match &v[i] {
                    Some(s) => push_json_string(buf, s),
                    None => buf.push_str("null"),
                },
                BatchColumn::Numbers(v) => {
                    let x = v[i];
                    if x.is_nan() {
                        buf.push_str("null");
                    } else if self.is_bool[j] {
                        buf.push_str(if x != 0.0 { "true" } else { "false" });
                    } else {
                        push_number(buf, &mut numbers, x);
                    }
                }
            }
        }
        buf.push(']');
    }
}

/// Appends `x` in `ryu`'s shortest round-trip form (`5.1`, `1.0`, `1e16`, `1e-7`, `NaN`,
/// `inf`), the form the prediction log has always stored. Formatted by `zmij`, which finds
/// the same digits faster and writes them the same way except for a positive exponent
/// (`1e+16`), whose `+` is dropped here. Tests compare it with `ryu`.
pub(crate) fn push_number(buf: &mut String, numbers: &mut zmij::Buffer, x: f64) {
    let s = numbers.format(x);
    // Both write an exponent from 1e16 up only; below 1e15 (or NaN) there is no `+`.
    if x.is_nan() || x.abs() < 1e15 {
        buf.push_str(s);
        return;
    }
    match s.as_bytes().iter().position(|&b| b == b'+') {
        None => buf.push_str(s),
        Some(k) => {
            buf.push_str(&s[..k]);
            buf.push_str(&s[k + 1..]);
        }
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it: `\"`, `\\`,
/// `\b \t \n \f \r`, other control characters below U+0020 as `\u00xx` (lower-case
/// hex); everything else as it is.
pub(crate) fn push_json_string(buf: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.reserve(s.len() + 2);
    buf.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so `start..i` lies on character boundaries.
        buf.push_str(&s[start..i]);
        if escape.is_empty() {
            buf.push_str("\\u00");
            buf.push(HEX[(b >> 4) as usize] as char);
            buf.push(HEX[(b & 0xf) as usize] as char);
        } else {
            buf.push_str(escape);
        }
        start = i + 1;
    }
    buf.push_str(&s[start..]);
    buf.push('"');
}

/// The batch a [`Builder`] read, `lines` the line each record starts on (CSV) or empty.
fn finish<'a>(builder: Builder, lines: Vec<u64>, label: &str) -> Batch<'a> {
    let parts = builder.into_parts();
    let is_bool = parts
        .columns
        .iter()
        .map(|(k, _)| *k == Kind::Boolean)
        .collect();
    let columns = parts
        .columns
        .into_iter()
        .map(|(k, (n, s))| match k {
            Kind::String => BatchColumn::Strings(Cow::Owned(s)),
            _ => BatchColumn::Numbers(Cow::Owned(n)),
        })
        .collect();
    Batch {
        len: parts.len,
        columns,
        is_bool,
        reference_ids: parts.reference_ids,
        lines,
        label: label.to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// JSON

fn json_batch<'a>(bytes: &[u8], label: Option<&str>, pipeline: &Pipeline) -> Result<Batch<'a>> {
    // A compact iris record is ~110 bytes: reserve for that many, to avoid regrowing.
    let expect = bytes.len() / 64 + 1;
    let max_cells =
        BATCH_CELLS_BASE.saturating_add(bytes.len().saturating_mul(BATCH_CELLS_PER_BYTE));
    let mut builder = Builder::new(kinds(pipeline), expect, max_cells);
    let names: Vec<&str> = pipeline.signature.iter().map(|f| f.name.as_str()).collect();
    if let Err(p) = read_json(bytes, &names, &mut builder) {
        return Err(Error::Input {
            source: label.unwrap_or("").to_string(),
            location: Location {
                line: label.and((p.line > 0).then_some(p.line)),
                char: label.and((p.line > 0).then_some(p.column)),
                index: p.index.map(|i| i as u32),
                column: p.field,
                ..Default::default()
            },
            message: p.message,
        });
    }
    Ok(finish(builder, Vec::new(), label.unwrap_or("")))
}

// ---------------------------------------------------------------------------------------
// CSV

fn csv_batch<'a>(bytes: &[u8], label: &str, pipeline: &Pipeline) -> Result<Batch<'a>> {
    let at_line =
        |line: u64, index: Option<usize>, field: Option<&str>, message: String| Error::Input {
            source: label.to_string(),
            location: Location {
                line: Some(line),
                index: index.map(|i| i as u32),
                column: field.map(str::to_string),
                ..Default::default()
            },
            message,
        };
    let csv_error = |e: csv::Error| {
        let line = e.position().map(|p| p.line());
        Error::Input {
            source: label.to_string(),
            location: Location {
                line,
                ..Default::default()
            },
            message: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!(
                    "found {len} fields where the header has {expected_len}; every line needs \
                     one cell per column"
                ),
                csv::ErrorKind::Utf8 { .. } => {
                    "is not valid UTF-8; save the file as UTF-8".to_string()
                }
                _ => e.to_string(),
            },
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = rdr.headers().map_err(csv_error)?.clone();
    // The header is checked before any row is read: every column is a feature or
    // `reference_id`, once.
    let kinds = kinds(pipeline);
    // For each CSV column, the signature feature it fills (None: the reference id).
    let mut targets: Vec<Option<usize>> = Vec::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        if let Some(first) = header.iter().take(j).position(|earlier| earlier == h) {
            return Err(at_line(
                1,
                None,
                None,
                format!(
                    "columns {} and {} are both named {h:?}; each field may appear once: \
                     remove one",
                    first + 1,
                    j + 1
                ),
            ));
        }
        if h == "reference_id" {
            targets.push(None);
            continue;
        }
        match pipeline.signature.iter().position(|f| f.name == h) {
            Some(f) => targets.push(Some(f)),
            None => {
                return Err(at_line(
                    1,
                    None,
                    None,
                    format!(
                        "column {} {h:?} is not a feature of the model; the model's features \
                         are {} (and reference_id): remove or rename the column",
                        j + 1,
                        feature_list(pipeline)
                    ),
                ))
            }
        }
    }
    let max_cells =
        BATCH_CELLS_BASE.saturating_add(bytes.len().saturating_mul(BATCH_CELLS_PER_BYTE));
    let mut builder = Builder::new(kinds.clone(), bytes.len() / 32 + 1, max_cells);
    let mut lines = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let index = builder.len();
        if !rdr.read_record(&mut rec).map_err(csv_error)? {
            break;
        }
        // The csv crate records a row's start before the `\n` of a preceding `\r\n`.
        let line = rec.position().map_or(0, |p| {
            p.line() + (bytes.get(p.byte() as usize) == Some(&b'\n')) as u64
        });
        if let Err(m) = builder.check_room() {
            return Err(at_line(line, Some(index), None, m));
        }
        lines.push(line);
        builder.push_record();
        for (cell, target) in rec.iter().zip(&targets) {
            if is_null_token(cell.as_bytes()) {
                continue;
            }
            let Some(f) = *target else {
                builder.set_reference(Some(cell.to_string()));
                continue;
            };
            let name = pipeline.signature[f].name.as_str();
            let wrong = || {
                at_line(
                    line,
                    Some(index),
                    Some(name),
                    format!(
                        "expected {}, found the string {cell:?}",
                        kinds[f].expected()
                    ),
                )
            };
            match kinds[f] {
                Kind::String => builder.set_string(f, cell.to_string()),
                Kind::Boolean => match cell {
                    "true" | "True" | "TRUE" | "1" => builder.set_number(f, 1.0),
                    "false" | "False" | "FALSE" | "0" => builder.set_number(f, 0.0),
                    _ => return Err(wrong()),
                },
                Kind::Number => match cell.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => builder.set_number(f, x),
                    Ok(x) => {
                        return Err(at_line(
                            line,
                            Some(index),
                            Some(name),
                            format!("{x} is not a finite number"),
                        ))
                    }
                    Err(_) => return Err(wrong()),
                },
            }
        }
    }
    Ok(finish(builder, lines, label))
}

// ---------------------------------------------------------------------------------------
// Columns

fn columns_batch<'a>(input: Columns<'a>, pipeline: &Pipeline) -> Result<Batch<'a>> {
    const LABEL: &str = "";
    let kinds = kinds(pipeline);
    let n = pipeline.signature.len();
    let mut slots: Vec<Option<Column<'a>>> = vec![None; n];
    let mut len = None::<(usize, String)>;
    for (name, column) in input.columns {
        let Some(f) = pipeline.signature.iter().position(|s| s.name == name) else {
            return Err(at(
                LABEL,
                None,
                Some(&name),
                format!(
                    "is not a feature of the model; the model's features are {}",
                    feature_list(pipeline)
                ),
            ));
        };
        if slots[f].is_some() {
            return Err(at(
                LABEL,
                None,
                Some(&name),
                "is given twice; give each column once".into(),
            ));
        }
        match &len {
            None => len = Some((column.len(), name.to_string())),
            Some((l, first)) if *l != column.len() => {
                return Err(at(
                    LABEL,
                    None,
                    Some(&name),
                    format!(
                        "has {} values but column {first:?} has {l}; every column needs one \
                         value per record",
                        column.len()
                    ),
                ))
            }
            _ => {}
        }
        slots[f] = Some(column);
    }
    let len = len.map_or(0, |(l, _)| l);
    if let Some(ids) = &input.reference_ids {
        if ids.len() != len {
            return Err(at(
                LABEL,
                None,
                Some("reference_id"),
                format!("has {} values for {len} records", ids.len()),
            ));
        }
    }
    if len > MAX_BATCH_RECORDS {
        return Err(at(
            LABEL,
            None,
            None,
            format!("{len} records: more than {MAX_BATCH_RECORDS} in one batch; split it"),
        ));
    }
    let mut columns = Vec::with_capacity(n);
    for (f, slot) in slots.into_iter().enumerate() {
        let name = pipeline.signature[f].name.as_str();
        let Some(column) = slot else {
            return Err(at(
                LABEL,
                None,
                Some(name),
                "is missing: give every feature of the model as a column (NaN or null values \
                 are filled by the imputer)"
                    .into(),
            ));
        };
        let wrong = |what: &str| {
            at(
                LABEL,
                None,
                Some(name),
                format!(
                    "is a column of {what}, but the feature takes {}",
                    match kinds[f] {
                        Kind::Number => "numbers",
                        Kind::Boolean => "booleans (or numbers 0 and 1)",
                        Kind::String => "strings",
                    }
                ),
            )
        };
        columns.push(match (kinds[f], column) {
            (Kind::Number, Column::Numbers(v)) => {
                // The vectorised check first; the search only where it found one.
                let first = || v.iter().position(|x| x.is_infinite());
                if let Some(i) = mlops_lite_kernels::any_infinite(&v).then(first).flatten() {
                    return Err(at(
                        LABEL,
                        Some(i),
                        Some(name),
                        format!("{} is not a finite number", v[i]),
                    ));
                }
                BatchColumn::Numbers(v)
            }
            (Kind::Boolean, Column::Numbers(v)) => {
                if let Some(i) = v
                    .iter()
                    .position(|x| !(*x == 0.0 || *x == 1.0 || x.is_nan()))
                {
                    return Err(at(
                        LABEL,
                        Some(i),
                        Some(name),
                        format!("{} is not a boolean (0, 1, or NaN for null)", v[i]),
                    ));
                }
                BatchColumn::Numbers(v)
            }
            (Kind::Boolean, Column::Booleans(v)) => BatchColumn::Numbers(Cow::Owned(
                v.iter()
                    .map(|b| b.map_or(f64::NAN, |b| b as u8 as f64))
                    .collect(),
            )),
            (Kind::String, Column::Strings(v)) => BatchColumn::Strings(v),
            (_, c) => return Err(wrong(c.what())),
        });
    }
    Ok(Batch {
        len,
        columns,
        is_bool: kinds.iter().map(|k| *k == Kind::Boolean).collect(),
        reference_ids: input.reference_ids.unwrap_or_default(),
        lines: Vec::new(),
        label: LABEL.into(),
    })
}

// ---------------------------------------------------------------------------------------
// Logged rows

fn logged_batch<'a>(rows: &[&str], pipeline: &Pipeline) -> Result<Batch<'a>> {
    const LABEL: &str = "";
    let n = pipeline.signature.len();
    let total: usize = rows.iter().map(|r| r.len()).sum();
    let max_cells = BATCH_CELLS_BASE.saturating_add(total.saturating_mul(BATCH_CELLS_PER_BYTE));
    let mut builder = Builder::new(kinds(pipeline), rows.len(), max_cells);
    for (i, row) in rows.iter().enumerate() {
        builder
            .check_room()
            .map_err(|m| at(LABEL, Some(i), None, m))?;
        let values: Vec<serde_json::Value> = serde_json::from_str(row).map_err(|e| {
            at(
                LABEL,
                Some(i),
                None,
                format!("the inputs are not a JSON array ({e})"),
            )
        })?;
        if values.len() != n {
            return Err(at(
                LABEL,
                Some(i),
                None,
                format!("{} inputs for {n} features", values.len()),
            ));
        }
        builder.push_record();
        for (j, (v, f)) in values.iter().zip(&pipeline.signature).enumerate() {
            let kind = builder.kind(j);
            match (v, kind) {
                (serde_json::Value::Null, _) => {}
                (serde_json::Value::String(s), Kind::String) => builder.set_string(j, s.clone()),
                (serde_json::Value::Bool(b), Kind::Boolean | Kind::Number) => {
                    builder.set_number(j, *b as u8 as f64)
                }
                (serde_json::Value::Number(x), Kind::Boolean | Kind::Number) => {
                    builder.set_number(j, x.as_f64().unwrap_or(f64::NAN))
                }
                (other, _) => {
                    return Err(at(
                        LABEL,
                        Some(i),
                        Some(&f.name),
                        format!("value {other} does not fit the feature ({})", f.dtype),
                    ))
                }
            }
        }
    }
    Ok(finish(builder, Vec::new(), LABEL))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(x: f64) -> String {
        let mut buf = String::from("[");
        push_number(&mut buf, &mut zmij::Buffer::new(), x);
        buf.split_off(1)
    }

    /// A xorshift generator: the same values on every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn numbers_are_written_as_ryu_writes_them() {
        let mut ryu = ryu::Buffer::new();
        let mut check = |x: f64| assert_eq!(number(x), ryu.format(x), "{:#x}", x.to_bits());
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            5.1,
            0.1 + 0.2,
            1e-5,
            1e-6,
            1e-7,
            123456.789,
            9_007_199_254_740_993.0,
            9_999_999_999_999_998.0,
            1e15,
            1e16,
            -1e16,
            1.5e16,
            1e17,
            1e22,
            1e23,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            -5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            check(x);
        }
        // Every power of ten and its neighbours (where the form switches to an exponent).
        for e in -325..=308 {
            let p: f64 = format!("1e{e}").parse().unwrap();
            for x in [p, -p] {
                for d in [-2i64, -1, 0, 1, 2] {
                    check(f64::from_bits(x.to_bits().wrapping_add(d as u64)));
                }
            }
        }
        // Any bits, and short decimals (what inputs mostly are).
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200_000 {
            check(f64::from_bits(next(&mut state)));
            let digits = (next(&mut state) % 1_000_000) as f64;
            check(digits / 10f64.powi((next(&mut state) % 8) as i32));
            check(digits * 10f64.powi((next(&mut state) % 20) as i32));
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let check = |s: &str| {
            let mut buf = String::from("[");
            push_json_string(&mut buf, s);
            assert_eq!(&buf[1..], serde_json::to_string(s).unwrap(), "{s:?}");
        };
        for c in (0u32..0x80).chain([0x7f, 0x80, 0x9f, 0xa0, 0x2028, 0x2029, 0x202e, 0xfeff]) {
            let c = char::from_u32(c).unwrap();
            check(&c.to_string());
            check(&format!("a{c}b{c}{c}é"));
        }
        for s in [
            "",
            "plain",
            "\"quoted\" \\back\\slash\\",
            "tab\there\nnew\rline\u{8}\u{c}\u{0}\u{1f}",
            "ünïcödé 😀 𝄞 \u{10ffff}",
            "\u{1b}[31mred\u{1b}[0m",
            "</script>",
        ] {
            check(s);
        }
        // Random strings over a pool of hard characters.
        let pool: Vec<char> = "a\"\\\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}é€😀\u{2028}"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let len = (next(&mut state) % 12) as usize;
            let s: String = (0..len)
                .map(|_| pool[(next(&mut state) % pool.len() as u64) as usize])
                .collect();
            check(&s);
        }
    }
}
