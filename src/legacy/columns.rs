//! The data of a dataset of the Python mlops-lite, parsed straight into typed columns.
//!
//! The Python tool stored each dataset as `json.dumps(df.to_dict("list"))`: one JSON object
//! of columns, `{"name": [value, ...], ...}`, with bare `NaN` tokens (not JSON) for missing
//! floats; early versions stored that text once more as a JSON string. pandas'
//! `orient="columns"` form (`{"name": {"0": value, "1": value}}`, row keys in order) is read too.
//!
//! No JSON tree is built. serde_json's streaming deserializer drives our visitors over the
//! stored bytes twice: the first pass checks everything (JSON syntax, the top-level shape,
//! nested values, column names, the column limit, equal column lengths, the shape the Python
//! tool recorded) and counts, allocating nothing per value; the second pass fills each column,
//! allocated once at its exact length with the type the first pass chose. Bare `NaN` tokens
//! are read as `null` by a reader that rewrites them on the fly (no copy of the text).
//!
//! **Memory bound** (documented in README.md): while one dataset is imported, its memory is the
//! stored JSON (SQLite's copy of the value; plus one decoded copy for the old string-encoded
//! form) and the typed columns: 8 bytes per float, 16 per integer, 1 per boolean, 24 plus the
//! text (one allocation) per string. Every value takes at least 2 bytes of JSON (`1,`), so
//! numeric and boolean columns take at most 8 bytes per byte of JSON (about 1x for floats
//! written with several digits); a text column of one-character values takes up to about 28
//! bytes per byte (24 bytes plus a minimal allocation per 2-byte value). Binding the dataset
//! (statistics, md5, rows written) adds to that: measured end to end, about 2x the JSON for a
//! 100 MB dataset of floats, 14x for 10 MB of one-digit integers and 38x for a 10 MB text
//! column of one-digit values (`1,`), the worst case: README.md states about 40x.
//!
//! Types are chosen as for a JSON dataset file ([`crate::dataset::import`]): a column with a
//! string, or booleans mixed with numbers, is text (numbers and booleans written out as
//! serde_json writes them); booleans alone are booleans; any non-integer number (or integer
//! beyond 64 bits) makes a float column; integers alone are integers; nulls alone are floats.
//! So a legacy dataset gets the same md5 as the same JSON bound with `dataset add`.

use std::cell::RefCell;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::dataset::{check_column_names, other_kinds, Column, Dataset, Values, MAX_COLUMNS};
use crate::error::{Error, Location, Result};

/// Parses the stored data of one dataset; `who` names it in errors, `recorded` is the shape
/// (rows, columns) the Python tool recorded, checked before the columns are allocated.
pub(super) fn parse(
    bytes: &[u8],
    who: &str,
    recorded: (Option<i64>, Option<i64>),
) -> Result<Dataset> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'"') {
        let decoded: String = serde_json::from_slice(bytes).map_err(|e| {
            Error::input(
                who,
                Location::default(),
                format!("its data is a JSON string that does not parse: {e}"),
            )
        })?;
        return parse_columns(decoded.as_bytes(), who, recorded);
    }
    parse_columns(bytes, who, recorded)
}

fn parse_columns(bytes: &[u8], who: &str, recorded: (Option<i64>, Option<i64>)) -> Result<Dataset> {
    let ctx = Ctx {
        who,
        problem: RefCell::new(None),
    };
    // Pass 1: check and count.
    let mut scan = Scan::default();
    run(bytes, &ctx, &mut scan)?;
    let names: Vec<&str> = scan.columns.iter().map(|c| c.name.as_str()).collect();
    if names.is_empty() {
        return Err(Error::input(
            who,
            Location::default(),
            "its data has no columns (an empty JSON object); a dataset needs at least one",
        ));
    }
    check_column_names(names.iter().copied(), who)?;
    let rows = scan.columns.first().map_or(0, |c| c.rows);
    if let Some(c) = scan.columns.iter().find(|c| c.rows != rows) {
        return Err(Error::input(
            who,
            Location {
                column: Some(c.name.clone()),
                ..Default::default()
            },
            format!(
                "has {} values but column {:?} has {rows}; all columns need the same length, \
                 the file is damaged",
                c.rows, names[0]
            ),
        ));
    }
    let shape = (rows as i64, scan.columns.len() as i64);
    for (what, recorded, actual) in [
        ("rows", recorded.0, shape.0),
        ("columns", recorded.1, shape.1),
    ] {
        if let Some(r) = recorded.filter(|r| *r != actual) {
            return Err(Error::input(
                who,
                Location::default(),
                format!(
                    "its data has {actual} {what} but the Python registry recorded {r}; the \
                     file is damaged"
                ),
            ));
        }
    }

    // Pass 2: fill columns allocated at their exact length (counted, not read from the file).
    let rows = usize::try_from(rows).map_err(|_| too_large(who))?;
    let mut fill = Fill {
        columns: scan
            .columns
            .iter()
            .map(|c| (c.name.clone(), Builder::new(c.kind(), rows)))
            .collect(),
    };
    run(bytes, &ctx, &mut fill)?;
    let columns = fill
        .columns
        .into_iter()
        .map(|(name, b)| Column::new(name, b.finish()))
        .collect();
    Dataset::with_source(columns, who)
}

fn too_large(who: &str) -> Error {
    Error::input(
        who,
        Location::default(),
        "its data has more rows than this machine can address",
    )
}

/// One pass over the bytes: bare `NaN` tokens are read as `null` (through a rewriting reader
/// only when the text has any).
fn run(bytes: &[u8], ctx: &Ctx<'_>, pass: &mut dyn Pass) -> Result<()> {
    let seed = Top { ctx, pass };
    let result = if bytes.windows(3).any(|w| w == b"NaN") {
        let reader = std::io::BufReader::with_capacity(64 * 1024, NanAsNull::new(bytes));
        let mut de = serde_json::Deserializer::from_reader(reader);
        seed.deserialize(&mut de).and_then(|()| de.end())
    } else {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        seed.deserialize(&mut de).and_then(|()| de.end())
    };
    result.map_err(|e| match ctx.problem.borrow_mut().take() {
        Some(problem) => problem,
        None => Error::input(
            ctx.who,
            Location {
                line: Some(e.line() as u64),
                ..Default::default()
            },
            format!("invalid JSON: {e}"),
        ),
    })
}

/// Where the errors found by the visitors go (serde's errors carry text only).
struct Ctx<'a> {
    who: &'a str,
    problem: RefCell<Option<Error>>,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&self, location: Location, message: impl Into<String>) -> E {
        *self.problem.borrow_mut() = Some(Error::input(self.who, location, message));
        E::custom("stopped")
    }
}

/// One JSON value of a column.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'a str),
}

/// A pass: where each column's cells go.
trait Pass {
    /// Column number `index` (from 0), named `name`, starts. `Err` is the reason to stop.
    fn column(&mut self, index: usize, name: String) -> std::result::Result<&mut dyn Sink, String>;
}

/// Takes the cells of one column, in row order. `Err` is the reason to stop.
trait Sink {
    fn cell(&mut self, cell: Cell<'_>) -> std::result::Result<(), String>;
    /// The number of cells taken so far.
    fn rows(&self) -> u64;
}

// --- pass 1 -----------------------------------------------------------------------------------

#[derive(Default)]
struct Scan {
    columns: Vec<ColumnScan>,
}

#[derive(Default)]
struct ColumnScan {
    name: String,
    rows: u64,
    ints: bool,
    floats: bool,
    bools: bool,
    strings: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Float,
    Integer,
    Boolean,
    Text,
}

impl ColumnScan {
    /// The type of the column, by the rules of JSON dataset files.
    fn kind(&self) -> Kind {
        if self.strings || (self.bools && (self.ints || self.floats)) {
            Kind::Text
        } else if self.bools {
            Kind::Boolean
        } else if self.floats || !self.ints {
            Kind::Float
        } else {
            Kind::Integer
        }
    }
}

impl Pass for Scan {
    fn column(&mut self, index: usize, name: String) -> std::result::Result<&mut dyn Sink, String> {
        if index >= MAX_COLUMNS {
            return Err(format!(
                "its data has more than {MAX_COLUMNS} columns; mlops-lite stores at most \
                 {MAX_COLUMNS}"
            ));
        }
        self.columns.push(ColumnScan {
            name,
            ..Default::default()
        });
        match self.columns.last_mut() {
            Some(c) => Ok(c),
            None => Err("internal: no column".into()),
        }
    }
}

impl Sink for ColumnScan {
    fn cell(&mut self, cell: Cell<'_>) -> std::result::Result<(), String> {
        match cell {
            Cell::Null => {}
            Cell::Bool(_) => self.bools = true,
            Cell::I64(_) => self.ints = true,
            Cell::U64(u) if i64::try_from(u).is_ok() => self.ints = true,
            Cell::U64(_) => self.floats = true,
            Cell::F64(x) if x.is_finite() => self.floats = true,
            Cell::F64(_) => {
                return Err("number out of range; mlops-lite stores finite 64-bit floats".into())
            }
            Cell::Str(_) => self.strings = true,
        }
        self.rows += 1;
        Ok(())
    }

    fn rows(&self) -> u64 {
        self.rows
    }
}

// --- pass 2 -----------------------------------------------------------------------------------

struct Fill {
    columns: Vec<(String, Builder)>,
}

enum Builder {
    Float(Vec<f64>),
    Integer(Vec<Option<i64>>),
    Boolean(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Builder {
    fn new(kind: Kind, rows: usize) -> Builder {
        match kind {
            Kind::Float => Builder::Float(Vec::with_capacity(rows)),
            Kind::Integer => Builder::Integer(Vec::with_capacity(rows)),
            Kind::Boolean => Builder::Boolean(Vec::with_capacity(rows)),
            Kind::Text => Builder::Text(Vec::with_capacity(rows)),
        }
    }

    fn finish(self) -> Values {
        match self {
            Builder::Float(v) => Values::Float(v),
            Builder::Integer(v) => Values::Integer(v),
            Builder::Boolean(v) => Values::Boolean(v),
            Builder::Text(v) => Values::String(v),
        }
    }
}

/// A number or boolean written out as in a text column of a JSON dataset file.
fn text(cell: Cell<'_>) -> Option<String> {
    match cell {
        Cell::Null => None,
        Cell::Bool(b) => Some(b.to_string()),
        Cell::I64(i) => Some(i.to_string()),
        Cell::U64(u) => Some(u.to_string()),
        Cell::F64(x) => Some(
            serde_json::Number::from_f64(x)
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
        Cell::Str(s) => Some(s.to_string()),
    }
}

impl Pass for Fill {
    fn column(&mut self, index: usize, name: String) -> std::result::Result<&mut dyn Sink, String> {
        match self.columns.get_mut(index) {
            Some((n, b)) if *n == name => Ok(b),
            _ => Err("its data changed while it was read".into()),
        }
    }
}

impl Sink for Builder {
    fn cell(&mut self, cell: Cell<'_>) -> std::result::Result<(), String> {
        let ok = match (self, cell) {
            (Builder::Text(v), c) => {
                v.push(text(c));
                true
            }
            (Builder::Float(v), Cell::Null) => {
                v.push(f64::NAN);
                true
            }
            (Builder::Float(v), Cell::I64(i)) => {
                v.push(i as f64);
                true
            }
            (Builder::Float(v), Cell::U64(u)) => {
                v.push(u as f64);
                true
            }
            (Builder::Float(v), Cell::F64(x)) => {
                v.push(x);
                true
            }
            (Builder::Integer(v), Cell::Null) => {
                v.push(None);
                true
            }
            (Builder::Integer(v), Cell::I64(i)) => {
                v.push(Some(i));
                true
            }
            (Builder::Integer(v), Cell::U64(u)) => match i64::try_from(u) {
                Ok(i) => {
                    v.push(Some(i));
                    true
                }
                Err(_) => false,
            },
            (Builder::Boolean(v), Cell::Null) => {
                v.push(None);
                true
            }
            (Builder::Boolean(v), Cell::Bool(b)) => {
                v.push(Some(b));
                true
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err("its data changed while it was read".into())
        }
    }

    fn rows(&self) -> u64 {
        (match self {
            Builder::Float(v) => v.len(),
            Builder::Integer(v) => v.len(),
            Builder::Boolean(v) => v.len(),
            Builder::Text(v) => v.len(),
        }) as u64
    }
}

// --- the visitors -----------------------------------------------------------------------------

/// The top level: an object of columns.
struct Top<'p, 'a> {
    ctx: &'p Ctx<'a>,
    pass: &'p mut dyn Pass,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Top<'_, '_> {
    fn other<E: de::Error>(self, kind: &str) -> std::result::Result<(), E> {
        Err(self.wrong(kind))
    }

    fn wrong<E: de::Error>(&self, kind: &str) -> E {
        self.ctx.fail(
            Location::default(),
            format!(
                "its data is {kind} at the top level; the Python mlops-lite wrote an object of \
                 columns ({{\"name\": [values]}}), so the file is damaged"
            ),
        )
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object of columns")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let mut index = 0;
        while let Some(name) = map.next_key::<String>()? {
            let sink = match self.pass.column(index, name.clone()) {
                Ok(sink) => sink,
                Err(reason) => return Err(self.ctx.fail(Location::default(), reason)),
            };
            map.next_value_seed(ColumnSeed {
                ctx: self.ctx,
                name: &name,
                sink,
            })?;
            index += 1;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.wrong("an array"))
    }
    other_kinds!(());
}

/// One column: an array of values, or an object keyed by row numbers in order.
struct ColumnSeed<'p, 'a> {
    ctx: &'p Ctx<'a>,
    name: &'p str,
    sink: &'p mut dyn Sink,
}

impl ColumnSeed<'_, '_> {
    fn location(&self, record: Option<u64>) -> Location {
        Location {
            record,
            column: Some(self.name.to_string()),
            ..Default::default()
        }
    }

    fn other<E: de::Error>(self, kind: &str) -> std::result::Result<(), E> {
        Err(self.wrong(kind))
    }

    fn wrong<E: de::Error>(&self, kind: &str) -> E {
        self.ctx.fail(
            self.location(None),
            format!(
                "is {kind}, expected an array of values (column-oriented JSON); the file is damaged"
            ),
        )
    }

    fn cell(&mut self, record: u64) -> CellSeed<'_, '_> {
        CellSeed {
            ctx: self.ctx,
            name: self.name,
            record,
            sink: &mut *self.sink,
        }
    }
}

impl<'de> DeserializeSeed<'de> for ColumnSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ColumnSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of values")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> std::result::Result<(), A::Error> {
        loop {
            let record = self.sink.rows() + 1;
            if seq.next_element_seed(self.cell(record))?.is_none() {
                return Ok(());
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> std::result::Result<(), A::Error> {
        loop {
            let record = self.sink.rows() + 1;
            let expected = record - 1;
            let key = map.next_key_seed(RowKey {
                ctx: self.ctx,
                expected,
                location: self.location(Some(record)),
            })?;
            if key.is_none() {
                return Ok(());
            }
            map.next_value_seed(self.cell(record))?;
        }
    }
    other_kinds!(());
}

/// The key of row `expected` (from 0) in pandas' `orient="columns"` form: `"0"`, `"1"`, ...
struct RowKey<'p, 'a> {
    ctx: &'p Ctx<'a>,
    expected: u64,
    location: Location,
}

impl<'de> DeserializeSeed<'de> for RowKey<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RowKey<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row number")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> std::result::Result<(), E> {
        if key.parse::<u64>().ok() == Some(self.expected) && !key.starts_with('+') {
            return Ok(());
        }
        Err(self.ctx.fail(
            self.location,
            format!(
                "is an object with key {key:?} where row key \"{}\" was expected; the Python \
                 mlops-lite wrote arrays of values (or objects keyed by row numbers in order)",
                self.expected
            ),
        ))
    }
}

/// One value: a number, string, boolean or null (never an array or object), handed to the
/// sink while the deserializer lends it (strings are not copied in the first pass).
struct CellSeed<'p, 'a> {
    ctx: &'p Ctx<'a>,
    name: &'p str,
    record: u64,
    sink: &'p mut dyn Sink,
}

impl CellSeed<'_, '_> {
    fn location(&self) -> Location {
        Location {
            record: Some(self.record),
            column: Some(self.name.to_string()),
            ..Default::default()
        }
    }

    fn take<E: de::Error>(self, cell: Cell<'_>) -> std::result::Result<(), E> {
        match self.sink.cell(cell) {
            Ok(()) => Ok(()),
            Err(reason) => Err(self.ctx.fail(self.location(), reason)),
        }
    }

    fn nested<E: de::Error>(self, kind: &str) -> E {
        self.ctx.fail(
            self.location(),
            format!(
                "is {kind}; values must be numbers, strings, booleans or null (the file is \
                 damaged)"
            ),
        )
    }
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        self.take(Cell::Null)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        self.take(Cell::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<(), E> {
        self.take(Cell::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> std::result::Result<(), E> {
        self.take(Cell::I64(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> std::result::Result<(), E> {
        self.take(Cell::U64(u))
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> std::result::Result<(), E> {
        self.take(Cell::F64(x))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<(), E> {
        self.take(Cell::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.nested("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.nested("an object"))
    }
}

// --- bare NaN -----------------------------------------------------------------------------------

/// Reads JSON text with every bare `NaN` token (outside strings) rewritten as `null`.
struct NanAsNull<'a> {
    src: &'a [u8],
    pos: usize,
    in_string: bool,
    escaped: bool,
    pending: &'static [u8],
}

impl<'a> NanAsNull<'a> {
    fn new(src: &'a [u8]) -> Self {
        NanAsNull {
            src,
            pos: 0,
            in_string: false,
            escaped: false,
            pending: b"",
        }
    }
}

impl Read for NanAsNull<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while let Some(slot) = buf.get_mut(n) {
            if let Some((&b, rest)) = self.pending.split_first() {
                *slot = b;
                self.pending = rest;
                n += 1;
                continue;
            }
            let Some(&b) = self.src.get(self.pos) else {
                break;
            };
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            } else if b == b'N'
                && self
                    .src
                    .get(self.pos..)
                    .is_some_and(|s| s.starts_with(b"NaN"))
            {
                self.pos += 3;
                self.pending = b"null";
                continue;
            }
            *slot = b;
            self.pos += 1;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Dataset {
        parse(text.as_bytes(), "t", (None, None)).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse(text.as_bytes(), "t", (None, None))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_same_columns_as_a_json_dataset_file() {
        for text in [
            r#"{"f": [1.5, NaN, 2], "i": [1, null, 3], "b": [true, null, false], "s": ["x", 1, 2.0]}"#,
            r#"{"m": [true, 1, null], "n": [null, null, null], "u": [18446744073709551615, 1, 2]}"#,
            r#"{"a": {"0": 1, "1": 2}, "b": {"0": "NaN", "1": "y"}}"#,
            r#""{\"x\": [1, 2, NaN]}""#,
            r#"{"big": [-9223372036854775808, 9223372036854775807], "z": [-0.0, 1e-300]}"#,
        ] {
            let ours = parse_ok(text);
            let file = crate::dataset::import::read(
                crate::dataset::import::Input::Bytes {
                    bytes: text.as_bytes(),
                    label: "t",
                },
                crate::dataset::import::Format::Json,
                &mut |_, _| {},
            );
            // The string-encoded form is ours only.
            if text.starts_with('"') {
                assert_eq!(ours.md5(), parse_ok(r#"{"x": [1, 2, NaN]}"#).md5());
                continue;
            }
            let file = file.unwrap();
            assert_eq!(ours, file, "{text}");
            assert_eq!(ours.md5(), file.md5(), "{text}");
        }
        let d = parse_ok(r#"{"s": ["x", 1, 2.0, true, null]}"#);
        assert_eq!(
            d.columns()[0].values,
            Values::String(vec![
                Some("x".into()),
                Some("1".into()),
                Some("2.0".into()),
                Some("true".into()),
                None
            ])
        );
    }

    #[test]
    fn bad_data_is_named_and_located() {
        for (text, expected) in [
            (r#"[{"a": 1}]"#, "t: its data is an array at the top level; the Python mlops-lite wrote an object of columns"),
            (r#"{"a": [1, [2]]}"#, "t: record 2, column \"a\": is an array; values must be numbers"),
            (r#"{"a": [1, {"x": 2}]}"#, "t: record 2, column \"a\": is an object; values must be"),
            (r#"{"a": 5}"#, "t: column \"a\": is a number, expected an array of values"),
            (r#"{"a": [1, 2], "b": [1]}"#, "t: column \"b\": has 1 values but column \"a\" has 2"),
            (r#"{"a": {"0": 1, "2": 2}}"#, "t: record 2, column \"a\": is an object with key \"2\" where row key \"1\" was expected"),
            (r#"{"a": [1, 2],}"#, "t: line 1: invalid JSON: "),
            (r#"{"a": [1, 2]} x"#, "t: line 1: invalid JSON: trailing characters"),
            (r#"{"a": [1e999]}"#, "t: line 1: invalid JSON: number out of range"),
            (r#"{}"#, "t: its data has no columns"),
            (r#"{"a": [1], "A": [2]}"#, "\"A\""),
            (r#"{"a": [1, NaNa]}"#, "t: line 1: invalid JSON: "),
        ] {
            let e = parse_err(text);
            assert!(e.starts_with(expected) || (expected.starts_with('"') && e.contains(expected)), "{text}: {e}");
        }
        let many: Vec<String> = (0..=MAX_COLUMNS)
            .map(|i| format!("\"c{i}\": [1]"))
            .collect();
        let e = parse_err(&format!("{{{}}}", many.join(",")));
        assert!(e.contains("more than 1900 columns"), "{e}");
        let e = parse(br#"{"a": [1, 2]}"#, "t", (Some(3), Some(1))).unwrap_err();
        assert!(
            e.to_string()
                .contains("its data has 2 rows but the Python registry recorded 3"),
            "{e}"
        );
    }

    #[test]
    fn bare_nan_is_rewritten_outside_strings_only() {
        let mut out = String::new();
        NanAsNull::new(br#"{"NaN": [NaN, "a\"NaN", NaN]}"#)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, r#"{"NaN": [null, "a\"NaN", null]}"#);
        // Through a 1-byte buffer (as serde_json reads) the result is the same.
        let mut r = NanAsNull::new(b"[NaN,NaN]");
        let mut one = [0u8; 1];
        let mut bytes = Vec::new();
        while r.read(&mut one).unwrap() == 1 {
            bytes.push(one[0]);
        }
        assert_eq!(bytes, b"[null,null]");
    }
}
