//! Reading datasets from CSV and JSON, from a file or from bytes, with type inference.
//!
//! **Nulls.** These cells are null (pandas' default `na_values`): the empty cell, `NA`, `N/A`,
//! `n/a`, `NaN`, `nan`, `-NaN`, `-nan`, `null`, `NULL`, `None`, `<NA>`, `#N/A`, `#NA`. In JSON,
//! `null` and a bare `NaN` token (as pandas writes) are null.
//!
//! **Types.** Each column gets the narrowest type that holds all of its non-null values:
//! integer (fits i64) ⊂ float (finite f64); boolean (`true`/`false` in any of the cases
//! `true`, `True`, `TRUE`) only when every value is a boolean. Any other mix (numbers with
//! words, numbers with booleans) makes a string column that keeps every value's original
//! text, so nothing is lost. A column with only nulls is a float column. Infinite numbers are
//! refused (name the line and column). In JSON, strings stay strings even when they look
//! like numbers.
//!
//! Reading is one pass in the usual case; a column that turns out to be mixed after numbers
//! were already parsed is read again for its original text.
//!
//! **Bounds, checked while reading.** At most [`MAX_COLUMNS`](super::MAX_COLUMNS) columns: a
//! CSV header with more is refused before any row is read; in JSON the key that would make
//! column 1901 (distinct keys over all records, or columns of an object of columns) stops
//! the reading, naming its record. An array of JSON records makes at most
//! [`max_json_cells`] cells (1,000,000 + 4 per byte of input; rows × columns, the keys a
//! record leaves out being nulls), checked after each record. JSON is read straight into
//! columns (no tree of values), keeping only the cells that are present, so memory stays a
//! small multiple of the input.
//!
//! **Refused rather than guessed.** A key twice in one JSON record, a column twice in an
//! object of columns, a row label twice in a pandas column object (`{"0": v, "1": v}`), and
//! column objects whose row labels differ (pandas would align them by label and fill the
//! gaps with nulls: here no value moves silently). Column objects with the same labels are
//! put in label order. New column names (CSV headers, JSON keys) with a control character
//! (C0 including tab and newline, DEL, C1) are refused, naming the column and its position.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{check_column_names, Column, Dataset, Values};
use crate::error::{Error, Location, Result};

/// A file format of dataset input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// JSON: an array of records, or an object of columns.
    Json,
}

impl Format {
    /// The format named by a file extension (`.csv`, `.json`), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Parses `csv` or `json`.
    pub fn parse(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(Error::InvalidArgument(format!(
                "unknown format {name:?}; use csv or json"
            ))),
        }
    }

    /// `csv` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// Where dataset input comes from.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A file, streamed.
    Path(&'a Path),
    /// Bytes in memory, with a label for messages (e.g. the uploaded file's name).
    Bytes {
        /// The content.
        bytes: &'a [u8],
        /// How messages name it.
        label: &'a str,
    },
}

impl Input<'_> {
    /// How messages name this input.
    pub fn label(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes { label, .. } => label.to_string(),
        }
    }

    fn open(&self) -> Result<(Box<dyn Read + '_>, u64)> {
        match self {
            Input::Path(p) => {
                let f = File::open(p).map_err(|e| Error::io(p.display(), e))?;
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                Ok((Box::new(f), len))
            }
            Input::Bytes { bytes, .. } => Ok((Box::new(*bytes), bytes.len() as u64)),
        }
    }

    /// The bytes from `offset` to the end.
    fn tail(&self, offset: u64) -> Result<Vec<u8>> {
        match self {
            Input::Path(p) => {
                let mut f = File::open(p).map_err(|e| Error::io(p.display(), e))?;
                f.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io(p.display(), e))?;
                let mut out = Vec::new();
                f.read_to_end(&mut out)
                    .map_err(|e| Error::io(p.display(), e))?;
                Ok(out)
            }
            Input::Bytes { bytes, .. } => Ok(bytes[(offset as usize).min(bytes.len())..].to_vec()),
        }
    }

    fn read_all(&self) -> Result<Cow<'_, [u8]>> {
        match self {
            Input::Path(p) => std::fs::read(p)
                .map(Cow::Owned)
                .map_err(|e| Error::io(p.display(), e)),
            Input::Bytes { bytes, .. } => Ok(Cow::Borrowed(bytes)),
        }
    }
}

/// Progress of a long read: bytes done out of total.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Reads a dataset in `format` from `input`, calling `progress(done, total)` now and then.
pub fn read(input: Input<'_>, format: Format, progress: Progress<'_>) -> Result<Dataset> {
    match format {
        Format::Csv => read_csv(input, progress),
        Format::Json => read_json(input),
    }
}

use super::is_null_token;

#[inline]
fn parse_bool(field: &[u8]) -> Option<bool> {
    match field {
        b"true" | b"True" | b"TRUE" => Some(true),
        b"false" | b"False" | b"FALSE" => Some(false),
        _ => None,
    }
}

/// Numbers are parsed by the standard library (the same rules in every build, so a file
/// gets the same types and md5 natively and in WebAssembly).
#[inline]
fn parse_int(field: &[u8]) -> Option<i64> {
    std::str::from_utf8(field).ok()?.parse::<i64>().ok()
}

#[inline]
fn parse_float(field: &[u8]) -> Option<f64> {
    // std accepts "inf"/"NaN" spellings; NaN spellings were taken as nulls before.
    std::str::from_utf8(field).ok()?.parse::<f64>().ok()
}

/// A column being built while reading CSV.
enum Builder {
    /// Only nulls so far (this many).
    Nulls(usize),
    Int(Vec<Option<i64>>),
    Float(Vec<f64>),
    Bool(Vec<Option<bool>>),
    Str(Vec<Option<String>>),
    /// Mixed after typed values were parsed: re-read as text in a second pass.
    Redo,
}

struct CsvCtx<'a> {
    label: &'a str,
    input: Input<'a>,
}

impl CsvCtx<'_> {
    /// The 1-based line where the record at `pos` starts. The csv crate records a record's
    /// start before it consumes the `\n` of a preceding `\r\n`, so in CRLF files its line is
    /// one low and its byte offset points at that `\n`: correct for it (errors only).
    fn line(&self, pos: &csv::Position) -> u64 {
        let at_newline = match self.input {
            Input::Bytes { bytes, .. } => bytes.get(pos.byte() as usize) == Some(&b'\n'),
            Input::Path(p) => (|| {
                let mut f = File::open(p).ok()?;
                f.seek(SeekFrom::Start(pos.byte())).ok()?;
                let mut b = [0u8; 1];
                f.read_exact(&mut b).ok()?;
                Some(b[0] == b'\n')
            })()
            .unwrap_or(false),
        };
        pos.line() + at_newline as u64
    }

    fn err(&self, line: u64, column: Option<&str>, message: impl Into<String>) -> Error {
        Error::input(
            self.label,
            Location {
                line: Some(line),
                record: None,
                column: column.map(str::to_string),
                ..Default::default()
            },
            message,
        )
    }

    fn text(&self, field: &[u8], pos: &csv::Position, column: &str) -> Result<String> {
        match std::str::from_utf8(field) {
            Ok(s) => Ok(s.to_string()),
            Err(e) => Err(self.err(
                self.line(pos),
                Some(column),
                format!(
                    "invalid UTF-8 (byte 0x{:02x} at offset {} of the field); save the file as UTF-8",
                    field[e.valid_up_to()],
                    e.valid_up_to()
                ),
            )),
        }
    }

    fn float(&self, x: f64, pos: &csv::Position, column: &str) -> Result<f64> {
        if x.is_finite() {
            Ok(x)
        } else {
            Err(self.err(
                self.line(pos),
                Some(column),
                "infinite value; mlops-lite stores finite numbers only: replace it or leave the cell empty",
            ))
        }
    }
}

impl Builder {
    #[inline]
    fn push(
        &mut self,
        field: &[u8],
        pos: &csv::Position,
        column: &str,
        ctx: &CsvCtx,
    ) -> Result<()> {
        if is_null_token(field) {
            match self {
                Builder::Nulls(n) => *n += 1,
                Builder::Int(v) => v.push(None),
                Builder::Float(v) => v.push(f64::NAN),
                Builder::Bool(v) => v.push(None),
                Builder::Str(v) => v.push(None),
                Builder::Redo => {}
            }
            return Ok(());
        }
        match self {
            Builder::Float(v) => {
                if let Some(x) = parse_float(field) {
                    v.push(ctx.float(x, pos, column)?);
                } else {
                    *self = Builder::Redo;
                }
            }
            Builder::Int(v) => {
                if let Some(x) = parse_int(field) {
                    v.push(Some(x));
                } else if let Some(x) = parse_float(field) {
                    let x = ctx.float(x, pos, column)?;
                    let mut f: Vec<f64> =
                        v.iter().map(|o| o.map_or(f64::NAN, |i| i as f64)).collect();
                    f.push(x);
                    *self = Builder::Float(f);
                } else {
                    *self = Builder::Redo;
                }
            }
            Builder::Bool(v) => match parse_bool(field) {
                Some(b) => v.push(Some(b)),
                None => *self = Builder::Redo,
            },
            Builder::Str(v) => v.push(Some(ctx.text(field, pos, column)?)),
            Builder::Redo => {}
            Builder::Nulls(n) => {
                let n = *n;
                *self = if let Some(x) = parse_int(field) {
                    let mut v = vec![None; n];
                    v.push(Some(x));
                    Builder::Int(v)
                } else if let Some(x) = parse_float(field) {
                    let mut v = vec![f64::NAN; n];
                    v.push(ctx.float(x, pos, column)?);
                    Builder::Float(v)
                } else if let Some(b) = parse_bool(field) {
                    let mut v = vec![None; n];
                    v.push(Some(b));
                    Builder::Bool(v)
                } else {
                    let mut v = vec![None; n];
                    v.push(Some(ctx.text(field, pos, column)?));
                    Builder::Str(v)
                };
            }
        }
        Ok(())
    }

    fn finish(self) -> Values {
        match self {
            Builder::Nulls(n) => Values::Float(vec![f64::NAN; n]),
            Builder::Int(v) => Values::Integer(v),
            Builder::Float(v) => Values::Float(v),
            Builder::Bool(v) => Values::Boolean(v),
            Builder::Str(v) => Values::String(v),
            Builder::Redo => unreachable!("redo columns are replaced before finishing"),
        }
    }
}

fn csv_reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .buffer_capacity(1 << 16)
        .from_reader(r)
}

fn csv_error(ctx: &CsvCtx, e: csv::Error, header_len: usize) -> Error {
    let label = ctx.label;
    let line = e.position().map(|p| ctx.line(p));
    match e.into_kind() {
        csv::ErrorKind::UnequalLengths { pos, len, .. } => Error::input(
            label,
            Location {
                line: pos.as_ref().map(|p| ctx.line(p)).or(line),
                ..Default::default()
            },
            format!(
                "this row has {len} field{} but the header has {header_len}; every row needs one \
                 field per column (quote fields that contain commas)",
                if len == 1 { "" } else { "s" }
            ),
        ),
        csv::ErrorKind::Io(e) => Error::io(label, e),
        other => Error::input(
            label,
            Location {
                line,
                ..Default::default()
            },
            format!("{other:?}"),
        ),
    }
}

/// True when CSV text starting at a record boundary ends inside a quoted field.
fn ends_inside_quotes(tail: &[u8]) -> bool {
    #[derive(PartialEq)]
    enum S {
        Start,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::Start;
    for &b in tail {
        s = match s {
            S::Start => match b {
                b'"' => S::Quoted,
                b',' | b'\n' | b'\r' => S::Start,
                _ => S::Unquoted,
            },
            S::Unquoted => match b {
                b',' | b'\n' | b'\r' => S::Start,
                _ => S::Unquoted,
            },
            S::Quoted => match b {
                b'"' => S::QuoteInQuoted,
                _ => S::Quoted,
            },
            S::QuoteInQuoted => match b {
                b'"' => S::Quoted,
                b',' | b'\n' | b'\r' => S::Start,
                _ => S::Unquoted,
            },
        };
    }
    s == S::Quoted
}

fn read_csv(input: Input<'_>, progress: Progress<'_>) -> Result<Dataset> {
    let label = input.label();
    let ctx = CsvCtx {
        label: &label,
        input,
    };
    let (reader, total) = input.open()?;
    let mut rdr = csv_reader(reader);
    let mut record = csv::ByteRecord::new();

    // Header.
    let has_header = rdr
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(&ctx, e, 0))?;
    let header_is_blank =
        !has_header || (record.len() == 1 && record[0].iter().all(|b| b.is_ascii_whitespace()));
    if header_is_blank {
        return Err(Error::input(
            &label,
            Location::default(),
            "the file is empty; a CSV dataset needs a header line with column names, then rows",
        ));
    }
    if record.len() > super::MAX_COLUMNS {
        return Err(ctx.err(
            1,
            None,
            format!(
                "the header has {} columns; mlops-lite stores at most {}: drop or merge columns",
                record.len(),
                super::MAX_COLUMNS
            ),
        ));
    }
    let mut names = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        let field = if i == 0 {
            field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field).map_err(|e| {
            ctx.err(
                1,
                None,
                format!(
                    "column {} name is not valid UTF-8 (byte 0x{:02x}); save the file as UTF-8",
                    i + 1,
                    field[e.valid_up_to()]
                ),
            )
        })?;
        names.push(name.to_string());
    }
    let mut last_record_start = record.position().map_or(0, |p| p.byte());
    if let Err(Error::Input { message, .. }) =
        check_column_names(names.iter().map(String::as_str), &label)
    {
        if ends_inside_quotes(&input.tail(last_record_start)?) {
            return Err(unterminated(&ctx, None));
        }
        return Err(ctx.err(1, None, message));
    }
    for (i, name) in names.iter().enumerate() {
        if let Some(problem) = control_in_name(name, i + 1) {
            if ends_inside_quotes(&input.tail(last_record_start)?) {
                return Err(unterminated(&ctx, None));
            }
            return Err(ctx.err(1, Some(name), problem));
        }
    }
    let ncols = names.len();
    let mut builders: Vec<Builder> = (0..ncols).map(|_| Builder::Nulls(0)).collect();
    let mut last_pos: Option<csv::Position> = None;
    let mut rows: u64 = 0;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let err = csv_error(&ctx, e, ncols);
                if ends_inside_quotes(&input.tail(last_record_start)?) {
                    return Err(unterminated(&ctx, last_pos.as_ref()));
                }
                return Err(err);
            }
        }
        let pos = record
            .position()
            .expect("csv records carry a position")
            .clone();
        last_pos = Some(pos.clone());
        last_record_start = pos.byte();
        for (b, (field, name)) in builders.iter_mut().zip(record.iter().zip(&names)) {
            b.push(field, &pos, name, &ctx)?;
        }
        rows += 1;
        if rows.is_multiple_of(65536) {
            progress(pos.byte(), total);
        }
    }
    if ends_inside_quotes(&input.tail(last_record_start)?) {
        return Err(unterminated(&ctx, last_pos.as_ref()));
    }
    progress(total, total);
    if rows == 0 {
        return Err(ctx.err(
            1,
            None,
            "there is a header but no data rows; a dataset needs at least one row",
        ));
    }

    // Mixed columns: read again, keeping their original text.
    let redo: Vec<usize> = (0..ncols)
        .filter(|&i| matches!(builders[i], Builder::Redo))
        .collect();
    if !redo.is_empty() {
        let (reader, _) = input.open()?;
        let mut rdr = csv_reader(reader);
        let mut texts: Vec<Vec<Option<String>>> =
            vec![Vec::with_capacity(rows as usize); redo.len()];
        rdr.read_byte_record(&mut record)
            .map_err(|e| csv_error(&ctx, e, ncols))?;
        while rdr
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&ctx, e, ncols))?
        {
            let pos = record
                .position()
                .expect("csv records carry a position")
                .clone();
            for (t, &i) in texts.iter_mut().zip(&redo) {
                // The file may have changed since the first pass: never index blindly.
                let Some(field) = record.get(i) else {
                    return Err(changed_while_reading(&ctx));
                };
                t.push(if is_null_token(field) {
                    None
                } else {
                    Some(ctx.text(field, &pos, &names[i])?)
                });
            }
        }
        if texts.first().is_some_and(|t| t.len() != rows as usize) {
            return Err(changed_while_reading(&ctx));
        }
        for (t, &i) in texts.into_iter().zip(&redo) {
            builders[i] = Builder::Str(t);
        }
    }
    let columns = names
        .into_iter()
        .zip(builders)
        .map(|(name, b)| Column::new(name, b.finish()))
        .collect();
    Dataset::with_source(columns, &label)
}

/// The second pass over a file (for mixed columns) found other rows than the first.
fn changed_while_reading(ctx: &CsvCtx) -> Error {
    Error::input(
        ctx.label,
        Location::default(),
        "the file changed while it was being read; add it again once it is complete",
    )
}

fn unterminated(ctx: &CsvCtx, pos: Option<&csv::Position>) -> Error {
    ctx.err(
        pos.map_or(1, |p| ctx.line(p)),
        None,
        "a quoted field starting in this record is never closed; add the closing '\"' \
         (a '\"' inside a quoted field is written '\"\"')",
    )
}

/// Replaces bare `NaN` tokens outside JSON strings by `null` (pandas writes them).
fn replace_bare_nan(bytes: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut in_str = false;
    let mut escaped = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b'N' && bytes[i..].starts_with(b"NaN") {
            let o = out.get_or_insert_with(|| bytes[..i].to_vec());
            o.extend_from_slice(b"null");
            i += 3;
            continue;
        }
        if let Some(o) = &mut out {
            o.push(b);
        }
        i += 1;
    }
    match out {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(bytes),
    }
}

/// The most cells (rows × columns, nulls included) an array of JSON records may make, before
/// the allowance that grows with the input: see [`max_json_cells`].
pub const JSON_CELLS_BASE: u64 = 1_000_000;

/// Cells an array of JSON records may make per byte of input, above [`JSON_CELLS_BASE`].
pub const JSON_CELLS_PER_BYTE: u64 = 4;

/// The most cells an array of JSON records of `bytes` bytes may make. A key left out of a
/// record is a null cell that costs memory but no input, so without this bound a small file
/// (one record with many keys, then many empty records `{}`) would make a huge table.
pub fn max_json_cells(bytes: u64) -> u64 {
    JSON_CELLS_BASE.saturating_add(JSON_CELLS_PER_BYTE.saturating_mul(bytes))
}

/// Checks the names of new columns (CSV headers, JSON keys) for control characters (C0,
/// DEL, C1): names are shown in terminals, where such characters are commands. Stored names
/// are not checked here: a registry written elsewhere is read as it is and shown escaped.
/// `position` is the 1-based column number.
pub(crate) fn control_in_name(name: &str, position: usize) -> Option<String> {
    let c = name.chars().find(|c| c.is_control())?;
    Some(format!(
        "column {position} name contains the control character U+{:04X}; control characters \
         are not allowed in column names (they act on terminals): rename the column",
        c as u32
    ))
}

/// Checks the column names of a dataset about to be bound (one built through the API rather
/// than read from a file) for control characters, like [`control_in_name`].
pub(crate) fn check_new_column_names(data: &Dataset, source: &str) -> Result<()> {
    for (i, c) in data.columns().iter().enumerate() {
        if let Some(problem) = control_in_name(&c.name, i + 1) {
            return Err(Error::input(
                source,
                Location {
                    column: Some(c.name.clone()),
                    ..Default::default()
                },
                problem,
            ));
        }
    }
    Ok(())
}

/// One JSON cell as read, before its column's type is known.
enum Cell {
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX` (read as a float, like serde_json's `as_f64`).
    Big(u64),
    Float(f64),
    Str(String),
}

/// A column being read from JSON: its non-null cells with their row numbers.
struct JsonColumn {
    name: String,
    cells: Vec<(usize, Cell)>,
    /// Records form: the last record (1-based) that set this column, to refuse a key twice.
    last_record: usize,
    /// Columns form: the row labels of an object column (`{"0": v, ...}`), in order; `None`
    /// for an array column (labels 0, 1, ...).
    index: Option<Vec<u64>>,
    /// Columns form: the number of values.
    len: usize,
}

/// The state of reading a JSON dataset: columns so far, and the first error met (serde's
/// errors carry text only; ours carry a location).
struct JsonCtx<'a> {
    label: &'a str,
    columns: Vec<JsonColumn>,
    by_name: std::collections::HashMap<String, usize>,
    /// Records form: the records read so far.
    rows: usize,
    /// Whether the top level is an array of records (else an object of columns).
    records: bool,
    max_cells: u64,
    error: Option<Error>,
}

impl JsonCtx<'_> {
    /// Records the error and returns serde's stand-in for it.
    fn fail<E: serde::de::Error>(
        &mut self,
        record: Option<usize>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> E {
        self.error = Some(Error::input(
            self.label,
            Location {
                line: None,
                record: record.map(|r| r as u64),
                column: column.map(str::to_string),
                ..Default::default()
            },
            message,
        ));
        E::custom("mlops-lite: see the recorded error")
    }

    /// A new column named `name` (records form: first seen in `record`), with its limits.
    fn new_column<E: serde::de::Error>(
        &mut self,
        name: &str,
        record: Option<usize>,
    ) -> Result<usize, E> {
        let position = self.columns.len() + 1;
        if position > super::MAX_COLUMNS {
            return Err(self.fail(
                record,
                Some(name),
                format!(
                    "this key would be column {position}; mlops-lite stores at most {} columns \
                     (distinct keys over all records): drop or merge columns",
                    super::MAX_COLUMNS
                ),
            ));
        }
        if let Some(problem) = control_in_name(name, position) {
            return Err(self.fail(record, Some(name), problem));
        }
        self.by_name.insert(name.to_string(), self.columns.len());
        self.columns.push(JsonColumn {
            name: name.to_string(),
            cells: Vec::new(),
            last_record: 0,
            index: None,
            len: 0,
        });
        Ok(self.columns.len() - 1)
    }
}

/// The top level: an array of records or an object of columns.
struct TopSeed<'c, 'a>(&'c mut JsonCtx<'a>);

impl TopSeed<'_, '_> {
    fn other<E: serde::de::Error>(self, kind: &str) -> Result<(), E> {
        Err(self.0.fail(
            None,
            None,
            format!(
                "the top level is {kind}; expected an array of records or an object of columns"
            ),
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of records or an object of columns")
    }
    other_kinds!(());
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.0;
        ctx.records = true;
        loop {
            let record = ctx.rows + 1;
            if seq.next_element_seed(RecordSeed { ctx, record })?.is_none() {
                return Ok(());
            }
            ctx.rows = record;
            let cells = (record as u64).saturating_mul(ctx.columns.len() as u64);
            if cells > ctx.max_cells {
                return Err(ctx.fail(
                    Some(record),
                    None,
                    format!(
                        "{record} records × {} columns make {cells} cells (keys a record leaves \
                         out are nulls), more than the {} a JSON file of this size may make: \
                         write the missing values as null, or split the data",
                        ctx.columns.len(),
                        ctx.max_cells
                    ),
                ));
            }
        }
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        while let Some(name) = map.next_key::<String>()? {
            if let Some(&c) = ctx.by_name.get(&name) {
                let position = c + 1;
                return Err(ctx.fail(
                    None,
                    Some(&name),
                    format!(
                        "this key appears twice in the object of columns (column {position}); \
                         each column may appear once: remove or rename one"
                    ),
                ));
            }
            let c = ctx.new_column(&name, None)?;
            map.next_value_seed(ColumnSeed { ctx, column: c })?;
        }
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// One record of an array of records.
struct RecordSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
    record: usize,
}

impl RecordSeed<'_, '_> {
    fn other<E: serde::de::Error>(self, kind: &str) -> Result<(), E> {
        Err(self.ctx.fail(
            Some(self.record),
            None,
            format!("is {kind}, expected an object of field: value"),
        ))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of field: value")
    }
    other_kinds!(());
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.other("an array")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let record = self.record;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let c = match ctx.by_name.get(key.as_ref()) {
                Some(&c) => c,
                None => ctx.new_column(&key, Some(record))?,
            };
            if ctx.columns[c].last_record == record {
                return Err(ctx.fail(
                    Some(record),
                    Some(&key),
                    "this key appears twice in the record; each field may appear once in a \
                     record: remove one of them",
                ));
            }
            ctx.columns[c].last_record = record;
            let cell = map.next_value_seed(CellSeed {
                ctx,
                record,
                column: c,
            })?;
            if let Some(cell) = cell {
                ctx.columns[c].cells.push((record - 1, cell));
            }
        }
        Ok(())
    }
}

/// A key, borrowed from the input when it has no escapes.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// One value of a column: `None` for null. Nested arrays and objects are refused.
struct CellSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
    /// 1-based record (records form) or row (columns form).
    record: usize,
    column: usize,
}

impl CellSeed<'_, '_> {
    fn nested<E: serde::de::Error>(self, kind: &str) -> Result<Option<Cell>, E> {
        let name = self.ctx.columns[self.column].name.clone();
        Err(self.ctx.fail(
            Some(self.record),
            Some(&name),
            format!(
                "is {kind}; values must be numbers, strings, booleans or null (flatten nested data)"
            ),
        ))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for CellSeed<'_, '_> {
    type Value = Option<Cell>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Cell>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CellSeed<'_, '_> {
    type Value = Option<Cell>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Option<Cell>, E> {
        Ok(Some(Cell::Bool(v)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<Cell>, E> {
        Ok(Some(Cell::Int(v)))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<Cell>, E> {
        Ok(Some(match i64::try_from(v) {
            Ok(i) => Cell::Int(i),
            Err(_) => Cell::Big(v),
        }))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Option<Cell>, E> {
        if v.is_finite() {
            return Ok(Some(Cell::Float(v)));
        }
        let name = self.ctx.columns[self.column].name.clone();
        Err(self.ctx.fail(
            Some(self.record),
            Some(&name),
            "number out of range; mlops-lite stores finite 64-bit floats",
        ))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<Cell>, E> {
        Ok(Some(Cell::Str(v.to_string())))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Option<Cell>, E> {
        Ok(Some(Cell::Str(v)))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Cell>, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<Cell>, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Option<Cell>, A::Error> {
        self.nested("an array")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Option<Cell>, A::Error> {
        self.nested("an object")
    }
}

/// The value of one key of an object of columns: an array, or an object keyed by row label.
struct ColumnSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
    column: usize,
}

impl ColumnSeed<'_, '_> {
    fn other<E: serde::de::Error>(self, kind: &str) -> Result<(), E> {
        let name = self.ctx.columns[self.column].name.clone();
        Err(self.ctx.fail(
            None,
            Some(&name),
            format!("is {kind}, expected an array of values (column-oriented JSON)"),
        ))
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ColumnSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ColumnSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of values, or an object keyed by row numbers")
    }
    other_kinds!(());
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (ctx, c) = (self.ctx, self.column);
        let mut row = 0;
        while let Some(cell) = seq.next_element_seed(CellSeed {
            ctx,
            record: row + 1,
            column: c,
        })? {
            if let Some(cell) = cell {
                ctx.columns[c].cells.push((row, cell));
            }
            row += 1;
        }
        // Nulls are not stored: the length counts them.
        ctx.columns[c].len = row;
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // pandas' `orient="columns"`: `{"0": v, "1": v}`. Cells are kept with their label and
        // put in label order at the end (labels need not be 0..n, but every column must have
        // the same labels).
        let (ctx, c) = (self.ctx, self.column);
        let mut labelled: Vec<(u64, Option<Cell>)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let Ok(label) = key.parse::<u64>() else {
                let name = ctx.columns[c].name.clone();
                return Err(ctx.fail(
                    None,
                    Some(&name),
                    format!(
                        "is an object with key {key:?}; expected an array, or an object keyed \
                         by row numbers"
                    ),
                ));
            };
            let cell = map.next_value_seed(CellSeed {
                ctx,
                record: labelled.len() + 1,
                column: c,
            })?;
            labelled.push((label, cell));
        }
        labelled.sort_by_key(|p| p.0);
        if let Some(w) = labelled.windows(2).find(|w| w[0].0 == w[1].0) {
            let name = ctx.columns[c].name.clone();
            return Err(ctx.fail(
                None,
                Some(&name),
                format!(
                    "row {} appears twice in this column's object; each row label may appear \
                     once: remove one",
                    w[0].0
                ),
            ));
        }
        let column = &mut ctx.columns[c];
        column.len = labelled.len();
        let mut index = Vec::with_capacity(labelled.len());
        for (row, (label, cell)) in labelled.into_iter().enumerate() {
            index.push(label);
            if let Some(cell) = cell {
                column.cells.push((row, cell));
            }
        }
        column.index = Some(index);
        Ok(())
    }
}

/// Columns form: every column must have the same rows (refused otherwise, where pandas would
/// align the columns by label and fill the gaps with nulls: a value never moves silently).
fn check_same_rows(columns: &[JsonColumn], label: &str) -> Result<usize> {
    let Some(first) = columns.first() else {
        return Ok(0);
    };
    for c in &columns[1..] {
        if c.len != first.len {
            return Err(Error::input(
                label,
                Location {
                    column: Some(c.name.clone()),
                    ..Default::default()
                },
                format!(
                    "has {} values but column {:?} has {}; all columns need the same length",
                    c.len, first.name, first.len
                ),
            ));
        }
        let labels = |col: &JsonColumn, i: usize| match &col.index {
            Some(ix) => ix[i],
            None => i as u64,
        };
        if let Some(i) = (0..c.len).find(|&i| labels(c, i) != labels(first, i)) {
            let (mine, theirs) = (labels(c, i), labels(first, i));
            // Both label lists are sorted: the smaller label is the one the other lacks.
            let (has, lacks, row) = if mine < theirs {
                (&c.name, &first.name, mine)
            } else {
                (&first.name, &c.name, theirs)
            };
            return Err(Error::input(
                label,
                Location {
                    column: Some(c.name.clone()),
                    ..Default::default()
                },
                format!(
                    "its row labels differ from column {:?}'s: column {has:?} has row {row} and \
                     column {lacks:?} does not; every column must have the same rows (write \
                     missing values as null; mlops-lite does not align columns by label)",
                    first.name
                ),
            ));
        }
    }
    Ok(first.len)
}

fn read_json(input: Input<'_>) -> Result<Dataset> {
    let label = input.label();
    let raw = input.read_all()?;
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::input(
            &label,
            Location::default(),
            "the file is empty; a JSON dataset is an array of records or an object of columns",
        ));
    }
    let text = replace_bare_nan(&raw);
    let mut ctx = JsonCtx {
        label: &label,
        columns: Vec::new(),
        by_name: Default::default(),
        rows: 0,
        records: false,
        max_cells: max_json_cells(raw.len() as u64),
        error: None,
    };
    let mut de = serde_json::Deserializer::from_slice(&text);
    let parsed =
        serde::de::DeserializeSeed::deserialize(TopSeed(&mut ctx), &mut de).and_then(|()| de.end());
    if let Some(e) = ctx.error.take() {
        return Err(e);
    }
    parsed.map_err(|e| {
        Error::input(
            &label,
            Location {
                line: Some(e.line() as u64),
                ..Default::default()
            },
            format!("invalid JSON: {e}"),
        )
    })?;
    let rows = if ctx.records {
        ctx.rows
    } else {
        check_same_rows(&ctx.columns, &label)?
    };
    let names = ctx.columns.iter().map(|c| c.name.as_str());
    check_column_names(names, &label)?;
    let mut columns = Vec::with_capacity(ctx.columns.len());
    for c in ctx.columns {
        let values = json_column(c.cells, rows);
        columns.push(Column::new(c.name, values));
    }
    Dataset::with_source(columns, &label)
}

/// The typed values of a column of `rows` rows from its non-null cells: the narrowest type
/// that holds them all (see the module notes); a string column keeps each number's JSON text.
fn json_column(cells: Vec<(usize, Cell)>, rows: usize) -> Values {
    let (mut ints, mut floats, mut bools, mut strings) = (false, false, false, false);
    for (_, cell) in &cells {
        match cell {
            Cell::Bool(_) => bools = true,
            Cell::Int(_) => ints = true,
            Cell::Big(_) | Cell::Float(_) => floats = true,
            Cell::Str(_) => strings = true,
        }
    }
    if strings || (bools && (ints || floats)) {
        let mut v: Vec<Option<String>> = vec![None; rows];
        for (r, cell) in cells {
            v[r] = Some(match cell {
                Cell::Str(s) => s,
                Cell::Bool(b) => b.to_string(),
                Cell::Int(i) => i.to_string(),
                Cell::Big(u) => u.to_string(),
                Cell::Float(x) => {
                    serde_json::Number::from_f64(x).map_or_else(|| x.to_string(), |n| n.to_string())
                }
            });
        }
        Values::String(v)
    } else if bools {
        let mut v = vec![None; rows];
        for (r, cell) in cells {
            if let Cell::Bool(b) = cell {
                v[r] = Some(b);
            }
        }
        Values::Boolean(v)
    } else if floats || !ints {
        let mut v = vec![f64::NAN; rows];
        for (r, cell) in cells {
            v[r] = match cell {
                Cell::Int(i) => i as f64,
                Cell::Big(u) => u as f64,
                Cell::Float(x) => x,
                Cell::Bool(_) | Cell::Str(_) => f64::NAN,
            };
        }
        Values::Float(v)
    } else {
        let mut v = vec![None; rows];
        for (r, cell) in cells {
            if let Cell::Int(i) = cell {
                v[r] = Some(i);
            }
        }
        Values::Integer(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Dataset> {
        read(
            Input::Bytes {
                bytes: text.as_bytes(),
                label: "t.csv",
            },
            Format::Csv,
            &mut |_, _| {},
        )
    }

    fn json(text: &str) -> Result<Dataset> {
        read(
            Input::Bytes {
                bytes: text.as_bytes(),
                label: "t.json",
            },
            Format::Json,
            &mut |_, _| {},
        )
    }

    #[test]
    fn infers_types_with_nulls() {
        let d = csv("i,f,b,s,n\n1,1.5,true,x,\nNA,2,False,,NA\n3,NaN,TRUE,y,null\n").unwrap();
        assert_eq!(d.rows(), 3);
        let c = d.columns();
        assert_eq!(c[0].values, Values::Integer(vec![Some(1), None, Some(3)]));
        let Values::Float(f) = &c[1].values else {
            panic!("{:?}", c[1])
        };
        assert_eq!((f[0], f[1]), (1.5, 2.0));
        assert!(f[2].is_nan());
        assert_eq!(
            c[2].values,
            Values::Boolean(vec![Some(true), Some(false), Some(true)])
        );
        assert_eq!(
            c[3].values,
            Values::String(vec![Some("x".into()), None, Some("y".into())])
        );
        let Values::Float(n) = &c[4].values else {
            panic!()
        };
        assert!(n.iter().all(|x| x.is_nan()));
    }

    #[test]
    fn mixed_columns_become_strings_with_original_text() {
        let d = csv("a,b,c\n007,1,true\n1.50,x,1\n").unwrap();
        // a: ints then a float -> float column
        let Values::Float(a) = &d.columns()[0].values else {
            panic!()
        };
        assert_eq!(a, &vec![7.0, 1.5]);
        // b: an int then a word -> strings, original text kept
        assert_eq!(
            d.columns()[1].values,
            Values::String(vec![Some("1".into()), Some("x".into())])
        );
        // c: a boolean then a number -> strings
        assert_eq!(
            d.columns()[2].values,
            Values::String(vec![Some("true".into()), Some("1".into())])
        );
    }

    #[test]
    fn ragged_row_names_the_line() {
        let e = csv("a,b\n1,2\n3,4,5\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: line 3: this row has 3 fields but the header has 2; every row needs one field \
             per column (quote fields that contain commas)"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let e = read(
            Input::Bytes {
                bytes: b"a,name\n1,ok\n2,b\xffd\n",
                label: "t.csv",
            },
            Format::Csv,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.csv: line 3, column \"name\": invalid UTF-8"),
            "{e}"
        );
    }

    #[test]
    fn unterminated_quote_is_reported() {
        let e = csv("a,b\n1,2\n3,\"four\n5,6\n").unwrap_err();
        assert!(
            e.to_string().starts_with("t.csv: line 3: a quoted field"),
            "{e}"
        );
        let e = csv("a,b\n1,\"x\"\"y").unwrap_err();
        assert!(e.to_string().contains("never closed"), "{e}");
        // a closed quoted field with an escaped quote is fine
        let d = csv("a,b\n1,\"x\"\"y\"\n").unwrap();
        assert_eq!(
            d.columns()[1].values,
            Values::String(vec![Some("x\"y".into())])
        );
    }

    #[test]
    fn empty_header_only_duplicate_and_empty_names() {
        assert!(csv("")
            .unwrap_err()
            .to_string()
            .contains("the file is empty"));
        assert!(csv("\n\n")
            .unwrap_err()
            .to_string()
            .contains("the file is empty"));
        let e = csv("a,b\n").unwrap_err();
        assert!(e.to_string().contains("no data rows"), "{e}");
        let e = csv("a,b,a\n1,2,3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: line 1: columns 1 and 3 are both named \"a\"; column names must be unique"
        );
        let e = csv("a,,c\n1,2,3\n").unwrap_err();
        assert!(e.to_string().contains("column 2 has an empty name"), "{e}");
    }

    #[test]
    fn infinity_is_refused_with_location() {
        let e = csv("a\n1\ninf\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.csv: line 3, column \"a\": infinite"),
            "{e}"
        );
    }

    #[test]
    fn bom_is_stripped() {
        let d = csv("\u{feff}a,b\n1,2\n").unwrap();
        assert_eq!(d.columns()[0].name, "a");
    }

    #[test]
    fn json_records_and_columns_agree() {
        let r = json(r#"[{"a": 1, "b": "x", "c": 1.5}, {"a": null, "c": 2, "d": true}]"#).unwrap();
        let c = json(r#"{"a": [1, null], "b": ["x", null], "c": [1.5, 2], "d": [null, true]}"#)
            .unwrap();
        assert_eq!(r, c);
        assert_eq!(r.md5(), c.md5());
        let p = json(r#"{"a": {"1": null, "0": 1}, "b": {"0": "x", "1": null}, "c": {"0": 1.5, "1": 2}, "d": {"0": null, "1": true}}"#).unwrap();
        assert_eq!(r, p);
    }

    #[test]
    fn json_bare_nan_is_null_and_strings_stay_strings() {
        let d = json(r#"{"x": [1.5, NaN], "s": ["NaN", "5"]}"#).unwrap();
        let Values::Float(x) = &d.columns()[0].values else {
            panic!()
        };
        assert!(x[1].is_nan());
        assert_eq!(
            d.columns()[1].values,
            Values::String(vec![Some("NaN".into()), Some("5".into())])
        );
    }

    #[test]
    fn json_errors_locate_the_problem() {
        let e = json("[{\"a\": 1},\n 2]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.json: record 2: is a number, expected an object of field: value"
        );
        let e = json("[{\"a\": [1]}]").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.json: record 1, column \"a\": is an array"),
            "{e}"
        );
        let e = json("[{\"a\": 1},\n").unwrap_err();
        assert!(
            e.to_string().starts_with("t.json: line 2: invalid JSON"),
            "{e}"
        );
        let e = json(r#"{"a": [1, 2], "b": [1]}"#).unwrap_err();
        assert!(e.to_string().contains("column \"b\": has 1 values"), "{e}");
        assert!(json("  ").unwrap_err().to_string().contains("empty"));
        assert!(json("[]").unwrap_err().to_string().contains("no columns"));
    }
}
