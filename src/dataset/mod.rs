//! Datasets in memory: typed columns, the canonical md5, and column statistics.
//!
//! A [`Dataset`] is what gets bound to and pulled from a registry. It owns its data as typed
//! columns ([`Values`]); the store module turns it into a typed SQL table and back. Parsing
//! lives in [`import`], writing CSV/JSON in [`export`], the bundled samples in [`samples`].
//!
//! The md5 of a dataset is computed over the canonical encoding described in `docs/FORMAT.md`
//! ([`Dataset::md5`]); it depends on column names and order, types and values only, never on
//! the file the data came from, its formatting, or the dataset's name.

/// Implements the scalar `visit_*` methods of a serde visitor by calling `self.other(kind)`
/// ("a boolean", "a number", "a string", "null"): the JSON readers of datasets (here and
/// in `crate::legacy`) refuse those kinds where they want an object or an array.
macro_rules! other_kinds {
    ($value:ty) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<$value, E> {
            self.other("a boolean")
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<$value, E> {
            self.other("a number")
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<$value, E> {
            self.other("a number")
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<$value, E> {
            self.other("a number")
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<$value, E> {
            self.other("a string")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<$value, E> {
            self.other("null")
        }
    };
}
pub(crate) use other_kinds;

pub mod export;
pub mod fingerprint;
pub mod import;
pub mod samples;

/// The cells that are null in CSV, wherever CSV is read (a bound dataset, a batch of
/// records to predict): pandas' default `na_values`. Listed in docs/FORMAT.md.
pub const NULL_TOKENS: &[&str] = &[
    "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "null", "NULL", "None", "<NA>", "#N/A",
    "#NA",
];

/// Whether a CSV cell is one of the [`NULL_TOKENS`].
#[inline]
pub fn is_null_token(field: &[u8]) -> bool {
    field.len() <= 4 && NULL_TOKENS.iter().any(|t| t.as_bytes() == field)
}

use md5::{Digest, Md5};
use serde::Serialize;

use crate::error::{Error, Result};

/// The type a column is stored with. Names follow pandas' `convert_dtypes()`, like the
/// `converted_dtype` column of the Python tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DType {
    /// 64-bit signed integers (`Int64`, SQL `INTEGER`).
    Integer,
    /// 64-bit floats (`Float64`, SQL `REAL`).
    Float,
    /// Booleans (`boolean`, SQL `BOOLEAN` holding 0 or 1).
    Boolean,
    /// UTF-8 text (`string`, SQL `TEXT`).
    String,
}

impl DType {
    /// The converted dtype name (`Int64`, `Float64`, `boolean`, `string`).
    pub fn name(self) -> &'static str {
        match self {
            DType::Integer => "Int64",
            DType::Float => "Float64",
            DType::Boolean => "boolean",
            DType::String => "string",
        }
    }

    /// Parses a converted dtype name.
    pub fn from_name(name: &str) -> Option<DType> {
        Some(match name {
            "Int64" => DType::Integer,
            "Float64" => DType::Float,
            "boolean" => DType::Boolean,
            "string" => DType::String,
            _ => return None,
        })
    }

    /// The declared SQL type of the column in a dataset's data table.
    pub fn sql_type(self) -> &'static str {
        match self {
            DType::Integer => "INTEGER",
            DType::Float => "REAL",
            DType::Boolean => "BOOLEAN",
            DType::String => "TEXT",
        }
    }

    fn tag(self) -> u8 {
        match self {
            DType::Integer => 1,
            DType::Float => 2,
            DType::Boolean => 3,
            DType::String => 4,
        }
    }
}

/// The values of one column. A null is `None`, or NaN in a float column (NaN is not a value
/// mlops-lite stores: it always means "missing"). Equality compares floats bit for bit, with
/// every NaN equal to every NaN (both are null).
#[derive(Debug, Clone)]
pub enum Values {
    /// Integers.
    Integer(Vec<Option<i64>>),
    /// Floats; NaN is null. Negative zero is stored as zero.
    Float(Vec<f64>),
    /// Booleans.
    Boolean(Vec<Option<bool>>),
    /// Text.
    String(Vec<Option<String>>),
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        match (self, other) {
            (Values::Integer(a), Values::Integer(b)) => a == b,
            (Values::Float(a), Values::Float(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits())
            }
            (Values::Boolean(a), Values::Boolean(b)) => a == b,
            (Values::String(a), Values::String(b)) => a == b,
            _ => false,
        }
    }
}

impl Values {
    /// The values of rows `start..end` (clamped to the column).
    pub fn range(&self, start: usize, end: usize) -> Values {
        let end = end.min(self.len());
        let start = start.min(end);
        match self {
            Values::Integer(v) => Values::Integer(v[start..end].to_vec()),
            Values::Float(v) => Values::Float(v[start..end].to_vec()),
            Values::Boolean(v) => Values::Boolean(v[start..end].to_vec()),
            Values::String(v) => Values::String(v[start..end].to_vec()),
        }
    }

    /// The column's type.
    pub fn dtype(&self) -> DType {
        match self {
            Values::Integer(_) => DType::Integer,
            Values::Float(_) => DType::Float,
            Values::Boolean(_) => DType::Boolean,
            Values::String(_) => DType::String,
        }
    }

    /// The number of values, nulls included.
    pub fn len(&self) -> usize {
        match self {
            Values::Integer(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Boolean(v) => v.len(),
            Values::String(v) => v.len(),
        }
    }

    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when row `i` is null.
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Values::Integer(v) => v[i].is_none(),
            Values::Float(v) => v[i].is_nan(),
            Values::Boolean(v) => v[i].is_none(),
            Values::String(v) => v[i].is_none(),
        }
    }

    /// The number of nulls.
    pub fn null_count(&self) -> usize {
        match self {
            Values::Integer(v) => v.iter().filter(|x| x.is_none()).count(),
            Values::Float(v) => v.iter().filter(|x| x.is_nan()).count(),
            Values::Boolean(v) => v.iter().filter(|x| x.is_none()).count(),
            Values::String(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }
}

/// One named, typed column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column name, unique in its dataset (ignoring ASCII case, as SQL does).
    pub name: String,
    /// The values.
    pub values: Values,
}

impl Column {
    /// A column from a name and values.
    pub fn new(name: impl Into<String>, values: Values) -> Column {
        Column {
            name: name.into(),
            values,
        }
    }

    /// The dtype pandas' `read_csv` would give this column (`int64`, `float64`, `bool`,
    /// `object`): integers or booleans with nulls become `float64` / `object` there.
    pub fn original_dtype(&self) -> &'static str {
        let has_nulls = self.values.null_count() > 0;
        match self.values.dtype() {
            DType::Integer if has_nulls => "float64",
            DType::Integer => "int64",
            DType::Float => "float64",
            DType::Boolean if has_nulls => "object",
            DType::Boolean => "bool",
            DType::String => "object",
        }
    }
}

/// A table of typed columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    columns: Vec<Column>,
    rows: usize,
}

/// The per-column summary returned by `info()`: the Python tool's columns plus mean and std.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnInfo {
    /// Column name.
    pub column_name: String,
    /// The dtype pandas would have read (`int64`, `float64`, `bool`, `object`).
    pub original_dtype: String,
    /// The stored dtype (`Int64`, `Float64`, `boolean`, `string`).
    pub converted_dtype: String,
    /// Number of nulls.
    pub null_count: u64,
    /// Number of distinct non-null values.
    pub unique_count: u64,
    /// Smallest value (numbers and booleans only).
    pub min_value_num: Option<f64>,
    /// Largest value (numbers and booleans only).
    pub max_value_num: Option<f64>,
    /// Mean (numbers and booleans only).
    pub mean: Option<f64>,
    /// Sample standard deviation, ddof = 1 like pandas (numbers and booleans, 2+ values).
    pub std: Option<f64>,
}

/// At most this many row hashes are kept per dataset (see [`Dataset::row_hashes`]).
pub const MAX_ROW_BLOCKS: usize = 4096;

/// Appends row `r` of a column in the canonical cell encoding (see `docs/FORMAT.md`).
fn encode_cell(values: &Values, r: usize, buf: &mut Vec<u8>) {
    match values {
        Values::Integer(v) => match v[r] {
            None => buf.push(0),
            Some(x) => {
                buf.push(1);
                buf.extend_from_slice(&x.to_le_bytes());
            }
        },
        Values::Float(v) => {
            if v[r].is_nan() {
                buf.push(0);
            } else {
                buf.push(1);
                buf.extend_from_slice(&v[r].to_bits().to_le_bytes());
            }
        }
        Values::Boolean(v) => match v[r] {
            None => buf.push(0),
            Some(b) => buf.extend_from_slice(&[1, b as u8]),
        },
        Values::String(v) => match &v[r] {
            None => buf.push(0),
            Some(s) => {
                buf.push(1);
                buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                buf.extend_from_slice(s.as_bytes());
            }
        },
    }
}

/// The largest number of columns a dataset may have (SQLite's default column limit is 2000).
pub const MAX_COLUMNS: usize = 1900;

impl Dataset {
    /// Builds a dataset, checking that columns have equal lengths, non-empty names that are
    /// unique ignoring ASCII case, finite floats, and at least one column and one row.
    /// Canonicalises: negative zero becomes zero, a column of nulls only becomes a float
    /// column.
    pub fn new(columns: Vec<Column>) -> Result<Dataset> {
        Self::with_source(columns, "<data>")
    }

    /// Like [`Dataset::new`], naming `source` in error messages.
    pub(crate) fn with_source(mut columns: Vec<Column>, source: &str) -> Result<Dataset> {
        if columns.is_empty() {
            return Err(Error::input(
                source,
                Default::default(),
                "no columns: the data needs at least one named column",
            ));
        }
        if columns.len() > MAX_COLUMNS {
            return Err(Error::input(
                source,
                Default::default(),
                format!(
                    "{} columns; mlops-lite stores at most {MAX_COLUMNS}",
                    columns.len()
                ),
            ));
        }
        check_column_names(columns.iter().map(|c| c.name.as_str()), source)?;
        let rows = columns[0].values.len();
        for c in &columns {
            if c.values.len() != rows {
                return Err(Error::input(
                    source,
                    crate::error::Location {
                        column: Some(c.name.clone()),
                        ..Default::default()
                    },
                    format!(
                        "has {} values but column {:?} has {rows}; all columns need the same length",
                        c.values.len(),
                        columns[0].name
                    ),
                ));
            }
        }
        if rows == 0 {
            return Err(Error::input(
                source,
                Default::default(),
                "no data rows (only column names); a dataset needs at least one row",
            ));
        }
        for c in &mut columns {
            // A column of nulls only has no type to keep: it is always a float column (as in
            // pandas), so that every way of writing it gives the same md5.
            if c.values.null_count() == rows && c.values.dtype() != DType::Float {
                c.values = Values::Float(vec![f64::NAN; rows]);
            }
            if let Values::Float(v) = &mut c.values {
                for x in v.iter_mut() {
                    if *x == 0.0 {
                        *x = 0.0; // negative zero becomes zero: SQLite cannot keep its sign
                    } else if x.is_infinite() {
                        return Err(Error::input(
                            source,
                            crate::error::Location {
                                column: Some(c.name.clone()),
                                ..Default::default()
                            },
                            "contains an infinite value; mlops-lite stores finite numbers only: \
                             replace it or leave the cell empty",
                        ));
                    }
                }
            }
        }
        Ok(Dataset { columns, rows })
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Rows `offset..offset + limit` (fewer at the end; none past it), same columns.
    pub fn rows_range(&self, offset: usize, limit: usize) -> Dataset {
        let start = offset.min(self.rows);
        let end = start.saturating_add(limit).min(self.rows);
        Dataset {
            columns: self
                .columns
                .iter()
                .map(|c| Column::new(c.name.clone(), c.values.range(start, end)))
                .collect(),
            rows: end - start,
        }
    }

    /// The md5 (lowercase hex) of the canonical encoding (see `docs/FORMAT.md`).
    pub fn md5(&self) -> String {
        let mut h = HashWriter::new();
        h.put(b"mlops-lite/dataset/v1\0");
        h.put(&(self.columns.len() as u64).to_le_bytes());
        h.put(&(self.rows as u64).to_le_bytes());
        for c in &self.columns {
            h.put(&(c.name.len() as u64).to_le_bytes());
            h.put(c.name.as_bytes());
            h.put(&[c.values.dtype().tag()]);
        }
        for c in &self.columns {
            match &c.values {
                Values::Integer(v) => {
                    for x in v {
                        match x {
                            None => h.put(&[0]),
                            Some(x) => {
                                h.put(&[1]);
                                h.put(&x.to_le_bytes());
                            }
                        }
                    }
                }
                Values::Float(v) => {
                    for x in v {
                        if x.is_nan() {
                            h.put(&[0]);
                        } else {
                            h.put(&[1]);
                            h.put(&x.to_bits().to_le_bytes());
                        }
                    }
                }
                Values::Boolean(v) => {
                    for x in v {
                        match x {
                            None => h.put(&[0]),
                            Some(b) => h.put(&[1, *b as u8]),
                        }
                    }
                }
                Values::String(v) => {
                    for x in v {
                        match x {
                            None => h.put(&[0]),
                            Some(s) => {
                                h.put(&[1]);
                                h.put(&(s.len() as u64).to_le_bytes());
                                h.put(s.as_bytes());
                            }
                        }
                    }
                }
            }
        }
        h.finish()
    }

    /// Hashes of blocks of rows, so that `verify` can name the rows that changed: one
    /// xxh3-64 per block of `block_size` consecutive rows, over the rows' cells in the
    /// canonical cell encoding (row by row, column by column). The block size is 1 up to
    /// 4,096 rows, then grows so that there are at most 4,096 blocks.
    pub fn row_hashes(&self) -> (usize, Vec<u64>) {
        let block = self.rows.div_ceil(MAX_ROW_BLOCKS).max(1);
        let mut out = Vec::with_capacity(self.rows.div_ceil(block));
        let mut buf: Vec<u8> = Vec::with_capacity(256);
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for r in 0..self.rows {
            buf.clear();
            for c in &self.columns {
                encode_cell(&c.values, r, &mut buf);
            }
            h.update(&buf);
            if (r + 1) % block == 0 || r + 1 == self.rows {
                out.push(h.digest());
                h.reset();
            }
        }
        (block, out)
    }

    /// Column statistics, as stored in the registry and shown by `info()`.
    pub fn column_info(&self) -> Vec<ColumnInfo> {
        self.columns.iter().map(column_info).collect()
    }
}

/// Checks column names: non-empty, no NUL, unique ignoring ASCII case (SQL column names are
/// case-insensitive, so `A` and `a` cannot both be columns of one table).
pub(crate) fn check_column_names<'a>(
    names: impl Iterator<Item = &'a str>,
    source: &str,
) -> Result<()> {
    let mut seen: std::collections::BTreeMap<String, (usize, &str)> = Default::default();
    for (i, name) in names.enumerate() {
        let loc = crate::error::Location {
            line: None,
            record: None,
            column: None,
            ..Default::default()
        };
        if name.trim().is_empty() {
            return Err(Error::input(
                source,
                loc,
                format!(
                    "column {} has an empty name; give every column a name in the header",
                    i + 1
                ),
            ));
        }
        if name.contains('\0') {
            return Err(Error::input(
                source,
                loc,
                format!("column {} name contains a NUL character; rename it", i + 1),
            ));
        }
        if let Some((j, first)) = seen.insert(name.to_ascii_lowercase(), (i, name)) {
            let same = if first == name {
                String::new()
            } else {
                format!(" ({first:?} and {name:?} differ only in case, which SQL ignores)")
            };
            return Err(Error::input(
                source,
                loc,
                format!(
                    "columns {} and {} are both named {name:?}{same}; column names must be unique",
                    j + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Feeds md5 through a buffer: many tiny `update` calls are slower than few large ones.
struct HashWriter {
    md5: Md5,
    buf: Vec<u8>,
}

impl HashWriter {
    fn new() -> Self {
        HashWriter {
            md5: Md5::new(),
            buf: Vec::with_capacity(1 << 16),
        }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > self.buf.capacity() {
            self.md5.update(&self.buf);
            self.buf.clear();
            if bytes.len() > self.buf.capacity() {
                self.md5.update(bytes);
                return;
            }
        }
        self.buf.extend_from_slice(bytes);
    }

    fn finish(mut self) -> String {
        self.md5.update(&self.buf);
        let digest = self.md5.finalize();
        let mut out = String::with_capacity(32);
        for b in digest {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

fn numeric_summary(
    values: impl Iterator<Item = f64> + Clone,
) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    let mut n = 0usize;
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    for x in values.clone() {
        n += 1;
        sum += x;
        min = min.min(x);
        max = max.max(x);
    }
    if n == 0 {
        return (None, None, None, None);
    }
    let mean = sum / n as f64;
    let std = if n > 1 {
        let ss: f64 = values.map(|x| (x - mean) * (x - mean)).sum();
        Some((ss / (n - 1) as f64).sqrt())
    } else {
        None
    };
    (Some(min), Some(max), Some(mean), std)
}

fn column_info(c: &Column) -> ColumnInfo {
    let (unique, (min, max, mean, std)) = match &c.values {
        Values::Integer(v) => {
            let mut u: Vec<i64> = v.iter().flatten().copied().collect();
            u.sort_unstable();
            u.dedup();
            (
                u.len(),
                numeric_summary(v.iter().flatten().map(|&x| x as f64)),
            )
        }
        Values::Float(v) => {
            let mut u: Vec<u64> = v
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| x.to_bits())
                .collect();
            u.sort_unstable();
            u.dedup();
            (
                u.len(),
                numeric_summary(v.iter().copied().filter(|x| !x.is_nan())),
            )
        }
        Values::Boolean(v) => {
            let t = v.contains(&Some(true)) as usize;
            let f = v.contains(&Some(false)) as usize;
            (
                t + f,
                numeric_summary(v.iter().flatten().map(|&b| b as u8 as f64)),
            )
        }
        Values::String(v) => {
            let mut u: Vec<&str> = v.iter().flatten().map(|s| s.as_str()).collect();
            u.sort_unstable();
            u.dedup();
            (u.len(), (None, None, None, None))
        }
    };
    ColumnInfo {
        column_name: c.name.clone(),
        original_dtype: c.original_dtype().to_string(),
        converted_dtype: c.values.dtype().name().to_string(),
        null_count: c.values.null_count() as u64,
        unique_count: unique as u64,
        min_value_num: min,
        max_value_num: max,
        mean,
        std,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(cols: Vec<Column>) -> Dataset {
        Dataset::new(cols).unwrap()
    }

    #[test]
    fn md5_depends_on_names_order_types_and_values() {
        let a = ds(vec![
            Column::new("x", Values::Integer(vec![Some(1), None])),
            Column::new("y", Values::String(vec![Some("a".into()), None])),
        ]);
        let renamed = ds(vec![
            Column::new("X", Values::Integer(vec![Some(1), None])),
            Column::new("y", Values::String(vec![Some("a".into()), None])),
        ]);
        let reordered = ds(vec![
            Column::new("y", Values::String(vec![Some("a".into()), None])),
            Column::new("x", Values::Integer(vec![Some(1), None])),
        ]);
        let retyped = ds(vec![
            Column::new("x", Values::Float(vec![1.0, f64::NAN])),
            Column::new("y", Values::String(vec![Some("a".into()), None])),
        ]);
        let null_vs_empty = ds(vec![
            Column::new("x", Values::Integer(vec![Some(1), None])),
            Column::new(
                "y",
                Values::String(vec![Some("a".into()), Some(String::new())]),
            ),
        ]);
        let all = [&a, &renamed, &reordered, &retyped, &null_vs_empty];
        for (i, p) in all.iter().enumerate() {
            for q in &all[i + 1..] {
                assert_ne!(p.md5(), q.md5());
            }
        }
        assert_eq!(a.md5(), a.clone().md5());
        assert_eq!(a.md5().len(), 32);
    }

    #[test]
    fn md5_of_known_content_is_stable() {
        // Pins the canonical encoding: changing it silently would break every stored md5.
        let d = ds(vec![Column::new("a", Values::Integer(vec![Some(1)]))]);
        let mut bytes = b"mlops-lite/dataset/v1\0".to_vec();
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(b"a");
        bytes.push(1);
        bytes.push(1);
        bytes.extend(1i64.to_le_bytes());
        let expect = format!("{:x}", Md5::digest(&bytes));
        assert_eq!(d.md5(), expect);
    }

    #[test]
    fn negative_zero_is_stored_as_zero_and_infinity_refused() {
        let d = ds(vec![Column::new("f", Values::Float(vec![-0.0]))]);
        let Values::Float(v) = &d.columns()[0].values else {
            panic!()
        };
        assert_eq!(v[0].to_bits(), 0.0f64.to_bits());
        let e =
            Dataset::new(vec![Column::new("f", Values::Float(vec![f64::INFINITY]))]).unwrap_err();
        assert!(e.to_string().contains("infinite"), "{e}");
    }

    #[test]
    fn names_must_be_unique_ignoring_case_and_non_empty() {
        let e = Dataset::new(vec![
            Column::new("a", Values::Integer(vec![Some(1)])),
            Column::new("A", Values::Integer(vec![Some(1)])),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("columns 1 and 2"), "{e}");
        let e = Dataset::new(vec![Column::new(" ", Values::Integer(vec![Some(1)]))]).unwrap_err();
        assert!(e.to_string().contains("empty name"), "{e}");
    }

    #[test]
    fn info_matches_pandas_conventions() {
        let d = ds(vec![
            Column::new("i", Values::Integer(vec![Some(1), Some(3), None, Some(3)])),
            Column::new(
                "b",
                Values::Boolean(vec![Some(true), Some(false), Some(true), Some(true)]),
            ),
            Column::new(
                "s",
                Values::String(vec![
                    Some("x".into()),
                    None,
                    Some("y".into()),
                    Some("x".into()),
                ]),
            ),
        ]);
        let info = d.column_info();
        assert_eq!(info[0].original_dtype, "float64");
        assert_eq!(info[0].converted_dtype, "Int64");
        assert_eq!(info[0].null_count, 1);
        assert_eq!(info[0].unique_count, 2);
        assert_eq!(info[0].min_value_num, Some(1.0));
        assert_eq!(info[0].max_value_num, Some(3.0));
        assert!((info[0].mean.unwrap() - 7.0 / 3.0).abs() < 1e-12);
        // sample std of 1, 3, 3: sqrt(((4/3)^2 + 2 (2/3)^2) / 2)
        assert!((info[0].std.unwrap() - (4.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(info[1].original_dtype, "bool");
        assert_eq!(info[1].unique_count, 2);
        assert_eq!(info[2].original_dtype, "object");
        assert_eq!(info[2].unique_count, 2);
        assert_eq!(info[2].min_value_num, None);
    }
}
