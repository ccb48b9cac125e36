//! JSON records read by serde: the reader that decides and words every error of JSON input
//! (its record, field, line and column), behind the fast path of `mlops_lite_reader::fast`,
//! which takes the common records and leaves everything else here. A `serde` visitor over
//! `serde_json` that types each value by the model's signature as it is read, with no
//! intermediate `Value`. Compiled with the rest of the crate (at opt-level "z" in the wasm
//! build): it runs for what the fast path does not take, mostly errors.

use std::fmt;

use mlops_lite_reader::{fast, Builder, Kind, MAX_BATCH_RECORDS};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

#[cfg(test)]
mod tests;

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

/// [`read_json`] by the serde reader alone (what the fast path falls back to; the tests
/// compare the two).
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
            let index = self.0.builder.len();
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
            Key::Feature(f) => self.ctx.builder.kind(f).expected(),
        };
        self.fail(format!("expected {expected}, found {found}"))
    }
    fn number<E: de::Error>(self, x: f64, found: &str) -> std::result::Result<Val, E> {
        match self.key {
            Key::Reference => Ok(Val::String(x.to_string())),
            Key::Feature(f) => match self.ctx.builder.kind(f) {
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
            Key::Feature(j) => self.ctx.builder.kind(j).expected(),
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
            Key::Feature(f) if self.ctx.builder.kind(f) == Kind::Boolean => {
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
        match self.ctx.builder.kind(f) {
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
