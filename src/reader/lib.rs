//! Reading records into columns: the [`Builder`] every text source of mlops-lite's
//! `records` module fills (JSON, CSV, logged rows), and the JSON records reader
//! ([`read_json`]), a `serde` visitor over `serde_json` that types each value by the model's
//! signature as it is read, with no intermediate `Value`.
//!
//! A crate of its own only so that the size-optimised WebAssembly build can compile this
//! reader for speed (Cargo.toml's `[profile.wasm-release.package.mlops-lite-reader]`):
//! opt-level is set per crate, and serde_json's generic parser is compiled where it is
//! instantiated, here. mlops-lite is its only user; its errors say what is wrong and where
//! ([`JsonProblem`]), and mlops-lite turns them into its own error type.

use std::fmt;

mod fast;
#[cfg(test)]
mod tests;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// The most records one call may carry.
pub const MAX_BATCH_RECORDS: usize = 1_000_000;

/// Cells (records x features) a batch read from text may hold whatever its input: a record
/// that leaves every feature out (`{}`) still takes one cell per feature, so the input's size
/// alone does not bound the batch's memory.
pub const BATCH_CELLS_BASE: usize = 1_000_000;

/// Cells a batch read from text may hold per byte of input, on top of [`BATCH_CELLS_BASE`]:
/// memory stays within about 8 bytes per cell (more for string features), so a batch costs
/// at most about 32 bytes per input byte plus 8 MB.
pub const BATCH_CELLS_PER_BYTE: usize = 4;

/// The kind a signature feature takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A number (null: NaN).
    Number,
    /// A boolean, read as 1 or 0 (null: NaN).
    Boolean,
    /// Text.
    String,
}

impl Kind {
    /// What a value of this kind may be, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Number => "a number or null",
            Kind::Boolean => "true, false or null",
            Kind::String => "a string or null",
        }
    }
}

/// A batch being read record by record (JSON, CSV, logged rows): one column per feature.
pub struct Builder {
    kinds: Vec<Kind>,
    numbers: Vec<Vec<f64>>,
    strings: Vec<Vec<Option<String>>>,
    reference_ids: Vec<Option<String>>,
    any_reference: bool,
    len: usize,
    max_cells: usize,
}

impl Builder {
    /// A builder for features of `kinds`, with room reserved for `expect` records (at most
    /// [`MAX_BATCH_RECORDS`]), refusing more than `max_cells` cells.
    pub fn new(kinds: Vec<Kind>, expect: usize, max_cells: usize) -> Builder {
        let expect = expect.min(MAX_BATCH_RECORDS);
        let per_column = expect.min(max_cells / kinds.len().max(1));
        Builder {
            numbers: kinds
                .iter()
                .map(|k| match k {
                    Kind::String => Vec::new(),
                    _ => Vec::with_capacity(per_column),
                })
                .collect(),
            strings: kinds.iter().map(|_| Vec::new()).collect(),
            kinds,
            reference_ids: Vec::new(),
            any_reference: false,
            len: 0,
            max_cells,
        }
    }

    /// Back to no records, keeping the memory reserved.
    pub fn reset(&mut self) {
        self.numbers.iter_mut().for_each(Vec::clear);
        self.strings.iter_mut().for_each(Vec::clear);
        self.reference_ids.clear();
        self.any_reference = false;
        self.len = 0;
    }

    /// Room for one more record, or the message saying why not.
    pub fn check_room(&self) -> std::result::Result<(), String> {
        if self.len == MAX_BATCH_RECORDS {
            return Err(format!(
                "more than {MAX_BATCH_RECORDS} records in one batch; split it"
            ));
        }
        let cells = (self.len + 1).saturating_mul(self.kinds.len().max(1));
        if cells > self.max_cells {
            return Err(format!(
                "{} records of {} features make more than {} cells ({BATCH_CELLS_BASE} plus \
                 {BATCH_CELLS_PER_BYTE} per byte of input); send the records in smaller batches",
                self.len + 1,
                self.kinds.len(),
                self.max_cells
            ));
        }
        Ok(())
    }

    /// Starts a record: every feature null, no reference id.
    pub fn push_record(&mut self) {
        for (j, k) in self.kinds.iter().enumerate() {
            match k {
                Kind::String => self.strings[j].push(None),
                _ => self.numbers[j].push(f64::NAN),
            }
        }
        self.reference_ids.push(None);
        self.len += 1;
    }

    /// Sets feature `j` of the current record.
    pub fn set_number(&mut self, j: usize, x: f64) {
        if let Some(slot) = self.numbers[j].last_mut() {
            *slot = x;
        }
    }

    /// Sets string feature `j` of the current record.
    pub fn set_string(&mut self, j: usize, s: String) {
        if let Some(slot) = self.strings[j].last_mut() {
            *slot = Some(s);
        }
    }

    /// Sets the current record's reference id.
    pub fn set_reference(&mut self, r: Option<String>) {
        self.any_reference |= r.is_some();
        if let Some(slot) = self.reference_ids.last_mut() {
            *slot = r;
        }
    }

    /// Records read so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no record was read.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kind of feature `j`.
    pub fn kind(&self, j: usize) -> Kind {
        self.kinds[j]
    }

    /// What was read: per feature its kind and its numbers (numbers and booleans, NaN for
    /// null) or strings; the reference ids, one per record or none when no record has one.
    pub fn into_parts(self) -> Parts {
        Parts {
            len: self.len,
            columns: self
                .kinds
                .into_iter()
                .zip(self.numbers.into_iter().zip(self.strings))
                .collect(),
            reference_ids: if self.any_reference {
                self.reference_ids
            } else {
                Vec::new()
            },
        }
    }
}

/// What a [`Builder`] read.
pub struct Parts {
    /// Records.
    pub len: usize,
    /// Per feature: its kind, its numbers (empty for a string feature) and its strings
    /// (empty for a number or boolean feature).
    #[allow(clippy::type_complexity)]
    pub columns: Vec<(Kind, (Vec<f64>, Vec<Option<String>>))>,
    /// One per record, or empty when no record has one.
    pub reference_ids: Vec<Option<String>>,
}

// ---------------------------------------------------------------------------------------
// JSON

/// A problem found while reading JSON records: its record and field where it is in one, its
/// line and column in the text (1-based; 0 when serde_json gives none), and the message.
#[derive(Debug)]
pub struct JsonProblem {
    /// The record (0-based), when the problem is in one.
    pub index: Option<usize>,
    /// The field, when the problem is in one.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
    /// Line of the text (1-based), 0 when unknown.
    pub line: u64,
    /// Column of the line (1-based).
    pub column: u32,
}

/// Reads a JSON array of records (objects keyed by the names of `names`, plus an optional
/// `reference_id`) into `builder`, whose kinds are those of `names`. See the rules in
/// mlops-lite's `records` module.
pub fn read_json(bytes: &[u8], names: &[&str], builder: &mut Builder) -> Result<(), JsonProblem> {
    if fast::read(bytes, names, builder) {
        return Ok(());
    }
    builder.reset();
    read_json_serde(bytes, names, builder)
}

/// [`read_json`] by the serde reader alone (what the fast path falls back to; the tests and
/// the bench compare the two).
pub fn read_json_serde(
    bytes: &[u8],
    names: &[&str],
    builder: &mut Builder,
) -> Result<(), JsonProblem> {
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut ctx = Ctx {
        names,
        builder,
        set: vec![false; names.len()],
        problem: &mut problem,
    };
    let result = RecordsSeed(&mut ctx)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let Err(e) = result else {
        return Ok(());
    };
    let (line, column) = (e.line() as u64, e.column() as u32);
    Err(match problem {
        Some(p) => JsonProblem { line, column, ..p },
        None => {
            let mut m = e.to_string();
            // serde_json's own messages end with the position, given separately here.
            if let Some(i) = m.rfind(" at line ") {
                m.truncate(i);
            }
            let message = match e.classify() {
                serde_json::error::Category::Data => m,
                _ => format!("the records are not valid JSON: {m}"),
            };
            JsonProblem {
                index: None,
                field: None,
                message,
                line,
                column,
            }
        }
    })
}

struct Ctx<'c, 's> {
    names: &'s [&'s str],
    builder: &'c mut Builder,
    /// Which features were set in the current record.
    set: Vec<bool>,
    /// The problem found, with its record and field (the serde error carries the position).
    problem: &'c mut Option<JsonProblem>,
}

impl Ctx<'_, '_> {
    #[cold]
    #[inline(never)]
    fn fail<E: de::Error>(&mut self, index: Option<usize>, field: Option<&str>, m: String) -> E {
        let e = E::custom(&m);
        *self.problem = Some(JsonProblem {
            index,
            field: field.map(str::to_string),
            message: m,
            line: 0,
            column: 0,
        });
        e
    }
}

struct RecordsSeed<'a, 'c, 's>(&'a mut Ctx<'c, 's>);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records (objects keyed by feature name)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        loop {
            let index = self.0.builder.len;
            if let Err(m) = self.0.builder.check_room() {
                if index == MAX_BATCH_RECORDS {
                    // One more record would be too many; only a closing bracket may follow.
                    return match seq.next_element::<de::IgnoredAny>()? {
                        None => Ok(()),
                        Some(_) => Err(self.0.fail(None, None, m)),
                    };
                }
                return Err(self.0.fail(Some(index), None, m));
            }
            if seq
                .next_element_seed(RecordSeed { ctx: self.0, index })?
                .is_none()
            {
                return Ok(());
            }
        }
    }
}

struct RecordSeed<'a, 'c, 's> {
    ctx: &'a mut Ctx<'c, 's>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        // `any`, not `map`: a record that is not an object reaches this visitor, which names it.
        d.deserialize_any(self)
    }
}

macro_rules! not_a_record {
    ($($method:ident: $t:ty),*) => {$(
        fn $method<E: de::Error>(self, _: $t) -> std::result::Result<(), E> {
            Err(self.not_an_object())
        }
    )*};
}

impl RecordSeed<'_, '_, '_> {
    #[cold]
    #[inline(never)]
    fn not_an_object<E: de::Error>(self) -> E {
        self.ctx.fail(
            Some(self.index),
            None,
            "not an object keyed by feature name".to_string(),
        )
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object keyed by feature name")
    }
    not_a_record!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(self.not_an_object())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(self.not_an_object())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let ctx = self.ctx;
        let i = self.index;
        ctx.builder.push_record();
        ctx.set.iter_mut().for_each(|s| *s = false);
        let mut reference_set = false;
        while let Some(key) = map.next_key_seed(KeySeed { ctx, index: i })? {
            match key {
                Key::Reference => {
                    if reference_set {
                        return Err(twice(ctx, i, "reference_id"));
                    }
                    reference_set = true;
                    let key = Key::Reference;
                    match map.next_value_seed(ValueSeed { ctx, index: i, key })? {
                        Val::String(r) => ctx.builder.set_reference(Some(r)),
                        _ => ctx.builder.set_reference(None),
                    }
                }
                Key::Feature(f) => {
                    if ctx.set[f] {
                        let name = ctx.names[f];
                        return Err(twice(ctx, i, name));
                    }
                    ctx.set[f] = true;
                    let key = Key::Feature(f);
                    match map.next_value_seed(ValueSeed { ctx, index: i, key })? {
                        Val::Null => {}
                        Val::Number(x) => ctx.builder.set_number(f, x),
                        Val::String(s) => ctx.builder.set_string(f, s),
                    }
                }
            }
        }
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn twice<E: de::Error>(ctx: &mut Ctx, index: usize, name: &str) -> E {
    ctx.fail(
        Some(index),
        None,
        format!("field {name:?} appears twice; a record may name each field once: remove one"),
    )
}

#[derive(Clone, Copy)]
enum Key {
    Reference,
    Feature(usize),
}

struct KeySeed<'a, 'c, 's> {
    ctx: &'a mut Ctx<'c, 's>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_, '_> {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_, '_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> std::result::Result<Key, E> {
        if k == "reference_id" {
            return Ok(Key::Reference);
        }
        match self.ctx.names.iter().position(|n| *n == k) {
            Some(f) => Ok(Key::Feature(f)),
            None => Err(unknown_field(self.ctx, self.index, k)),
        }
    }
}

#[cold]
#[inline(never)]
fn unknown_field<E: de::Error>(ctx: &mut Ctx, index: usize, k: &str) -> E {
    let list = ctx
        .names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    ctx.fail(
        Some(index),
        None,
        format!("unknown field {k:?}; the model's features are {list}"),
    )
}

/// A field's value: a feature's (typed by its kind) or the reference id's. One seed for
/// both, so serde_json's `deserialize_any` is instantiated once.
struct ValueSeed<'a, 'c, 's> {
    ctx: &'a mut Ctx<'c, 's>,
    index: usize,
    key: Key,
}

enum Val {
    Null,
    Number(f64),
    String(String),
}

impl ValueSeed<'_, '_, '_> {
    #[cold]
    #[inline(never)]
    fn fail<E: de::Error>(self, message: String) -> E {
        let name = match self.key {
            Key::Reference => "reference_id",
            Key::Feature(f) => self.ctx.names[f],
        };
        self.ctx.fail(Some(self.index), Some(name), message)
    }
    #[cold]
    #[inline(never)]
    fn wrong<E: de::Error>(self, found: &str) -> E {
        let expected = match self.key {
            Key::Reference => "a string, a number or null",
            Key::Feature(f) => self.ctx.builder.kinds[f].expected(),
        };
        self.fail(format!("expected {expected}, found {found}"))
    }
    fn number<E: de::Error>(self, x: f64, found: &str) -> std::result::Result<Val, E> {
        match self.key {
            Key::Reference => Ok(Val::String(x.to_string())),
            Key::Feature(f) => match self.ctx.builder.kinds[f] {
                Kind::Number if x.is_finite() => Ok(Val::Number(x)),
                Kind::Number => Err(self.fail(format!("{x} is not a finite number"))),
                _ => Err(self.wrong(found)),
            },
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = Val;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, '_> {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self.key {
            Key::Reference => "a string, a number or null",
            Key::Feature(j) => self.ctx.builder.kinds[j].expected(),
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Val, E> {
        self.number(v, "a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Val, E> {
        match self.key {
            Key::Reference => Ok(Val::String(v.to_string())),
            Key::Feature(_) => self.number(v as f64, "a number"),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Val, E> {
        match self.key {
            Key::Reference => Ok(Val::String(v.to_string())),
            Key::Feature(_) => self.number(v as f64, "a number"),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Val, E> {
        match self.key {
            Key::Feature(f) if self.ctx.builder.kinds[f] == Kind::Boolean => {
                Ok(Val::Number(v as u8 as f64))
            }
            _ => Err(self.wrong("a boolean")),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Val, E> {
        let Key::Feature(f) = self.key else {
            return Ok(Val::String(v.to_string()));
        };
        // The wasm build marks JS NaN and Infinity, which JSON cannot carry, as "\0NaN" etc.
        if let Some(js @ ("NaN" | "Infinity" | "-Infinity")) = v.strip_prefix('\0') {
            return Err(self.fail(format!("{js} is not a finite number")));
        }
        match self.ctx.builder.kinds[f] {
            Kind::String => Ok(Val::String(v.to_string())),
            _ => Err(self.wrong(&format!("the string {v:?}"))),
        }
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Val, E> {
        Ok(Val::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> std::result::Result<Val, A::Error> {
        Err(self.wrong("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> std::result::Result<Val, A::Error> {
        Err(self.wrong("an object"))
    }
}
