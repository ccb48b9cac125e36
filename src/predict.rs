//! Prediction records: schema-driven parsing of JSON records into a batch, running a
//! pipeline over the batch, and the JSON forms of inputs and outputs (for results and for
//! the prediction log).
//!
//! Records are JSON objects keyed by feature name, with an optional `reference_id` that is
//! never fed to the model. They are parsed straight into typed buffers by a deserializer
//! built from the model's signature (no intermediate `serde_json::Value`), which is what
//! makes a batch of 10,000 records take milliseconds. Validation: an unknown field, a value
//! of the wrong type, or a non-finite number is an error naming the record index and field;
//! a missing field is null (filled by the pipeline's imputer, else an error).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::pipeline::batch::{BatchIn, BatchOut, ColumnIn};
use crate::pipeline::{Output, Pipeline};

/// The most records one call may carry.
pub const MAX_BATCH_RECORDS: usize = 1_000_000;

/// Cells (records x features) a batch may hold whatever its input: a record that leaves
/// every feature out (`{}`) still takes one cell per feature, so the input's size alone does
/// not bound the batch's memory.
pub const BATCH_CELLS_BASE: usize = 1_000_000;

/// Cells a batch may hold per byte of input, on top of [`BATCH_CELLS_BASE`]: memory stays
/// within about 8 bytes per cell (more for string features), so a batch costs at most about
/// 32 bytes per input byte plus 8 MB.
pub const BATCH_CELLS_PER_BYTE: usize = 4;

/// Parsed records, row-major over the model's signature.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Number of records.
    pub len: usize,
    /// `len * n_features` numbers (NaN for null or for string features).
    pub numbers: Vec<f64>,
    /// `len * n_features` strings (None for null or for numeric features); empty when the
    /// model has no string feature.
    pub strings: Vec<Option<String>>,
    /// Whether a feature is a string feature.
    pub is_string: Vec<bool>,
    /// Whether a feature is boolean (written back as true/false in the log).
    pub is_bool: Vec<bool>,
    /// Reference ids, one per record.
    pub reference_ids: Vec<Option<String>>,
}

/// One prediction, as returned and as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The record's `reference_id`, if it had one.
    pub reference_id: Option<String>,
    /// The model output.
    pub output: Output,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Boolean,
    String,
}

struct Ctx<'s> {
    names: &'s [String],
    kinds: &'s [Kind],
    batch: &'s mut Batch,
    /// Which features were set in the current record.
    set: Vec<bool>,
    /// The most cells (records x features) this batch may hold.
    max_cells: usize,
}

/// Parses a JSON array of records against a model's signature.
pub fn parse_records(json: &[u8], pipeline: &Pipeline) -> Result<Batch> {
    // A compact iris record is ~110 bytes: reserve for that many, to avoid regrowing.
    let expect = json.len() / 64 + 1;
    let mut de = serde_json::Deserializer::from_slice(json);
    let max_cells =
        BATCH_CELLS_BASE.saturating_add(json.len().saturating_mul(BATCH_CELLS_PER_BYTE));
    let batch = parse_records_from(&mut de, pipeline, expect, max_cells)
        .and_then(|b| de.end().map(|()| b))
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Data => Error::InvalidArgument(e.to_string()),
            _ => Error::InvalidArgument(format!("the records are not valid JSON: {e}")),
        })?;
    Ok(batch)
}

/// Parses records from any serde deserializer (the wasm build reads JS arrays directly,
/// where a NaN is still a NaN); `expect` is a capacity hint; a batch of more than `max_cells`
/// cells (records x features) is refused while it is read.
pub fn parse_records_from<'de, D: de::Deserializer<'de>>(
    deserializer: D,
    pipeline: &Pipeline,
    expect: usize,
    max_cells: usize,
) -> std::result::Result<Batch, D::Error> {
    let names: Vec<String> = pipeline.signature.iter().map(|f| f.name.clone()).collect();
    let kinds: Vec<Kind> = pipeline
        .signature
        .iter()
        .map(|f| match f.dtype.as_str() {
            "string" => Kind::String,
            "boolean" => Kind::Boolean,
            _ => Kind::Number,
        })
        .collect();
    let mut batch = Batch {
        is_string: kinds.iter().map(|k| *k == Kind::String).collect(),
        is_bool: kinds.iter().map(|k| *k == Kind::Boolean).collect(),
        ..Default::default()
    };
    let mut ctx = Ctx {
        names: &names,
        kinds: &kinds,
        batch: &mut batch,
        set: vec![false; names.len()],
        max_cells,
    };
    let expect = expect.min(MAX_BATCH_RECORDS);
    ctx.batch
        .numbers
        .reserve(expect.saturating_mul(names.len()).min(max_cells));
    ctx.batch.reference_ids.reserve(expect);
    RecordsSeed(&mut ctx).deserialize(deserializer)?;
    Ok(batch)
}

struct RecordsSeed<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records (objects keyed by feature name)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        loop {
            let index = self.0.batch.len;
            if index == MAX_BATCH_RECORDS {
                // One more record would be too many; only a closing bracket may follow.
                return match seq.next_element::<de::IgnoredAny>()? {
                    None => Ok(()),
                    Some(_) => Err(de::Error::custom(format!(
                        "more than {MAX_BATCH_RECORDS} records in one batch; split it"
                    ))),
                };
            }
            let cells = (index + 1).saturating_mul(self.0.names.len().max(1));
            if cells > self.0.max_cells {
                return Err(de::Error::custom(format!(
                    "records[{index}]: {} records of {} features make more than {} cells \
                     ({BATCH_CELLS_BASE} plus {BATCH_CELLS_PER_BYTE} per byte of input); send \
                     the records in smaller batches",
                    index + 1,
                    self.0.names.len(),
                    self.0.max_cells
                )));
            }
            if seq
                .next_element_seed(RecordSeed { ctx: self.0, index })?
                .is_none()
            {
                return Ok(());
            }
            self.0.batch.len += 1;
        }
    }
}

struct RecordSeed<'c, 's> {
    ctx: &'c mut Ctx<'s>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "records[{}] to be an object keyed by feature name",
            self.index
        )
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let ctx = self.ctx;
        let n = ctx.names.len();
        let i = self.index;
        ctx.batch.numbers.resize((i + 1) * n, f64::NAN);
        let has_strings = ctx.kinds.contains(&Kind::String);
        if has_strings {
            ctx.batch.strings.resize((i + 1) * n, None);
        }
        ctx.batch.reference_ids.push(None);
        ctx.set.iter_mut().for_each(|s| *s = false);
        let mut reference_set = false;
        while let Some(key) = map.next_key_seed(KeySeed {
            names: ctx.names,
            index: i,
        })? {
            match key {
                Key::Reference => {
                    if reference_set {
                        return Err(de::Error::custom(format!(
                            "records[{i}] has field \"reference_id\" twice; a record may name \
                             each field once: remove one"
                        )));
                    }
                    reference_set = true;
                    let r = map.next_value_seed(RefSeed { index: i })?;
                    ctx.batch.reference_ids[i] = r;
                }
                Key::Feature(f) => {
                    if ctx.set[f] {
                        return Err(de::Error::custom(format!(
                            "records[{i}] has field {:?} twice; a record may name each field \
                             once: remove one",
                            ctx.names[f]
                        )));
                    }
                    ctx.set[f] = true;
                    let v = map.next_value_seed(ValueSeed {
                        kind: ctx.kinds[f],
                        index: i,
                        name: &ctx.names[f],
                    })?;
                    match v {
                        Val::Null => {}
                        Val::Number(x) => ctx.batch.numbers[i * n + f] = x,
                        Val::String(s) => ctx.batch.strings[i * n + f] = Some(s),
                    }
                }
            }
        }
        Ok(())
    }
}

enum Key {
    Reference,
    Feature(usize),
}

struct KeySeed<'s> {
    names: &'s [String],
    index: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, k: &str) -> std::result::Result<Key, E> {
        if k == "reference_id" {
            return Ok(Key::Reference);
        }
        match self.names.iter().position(|n| n == k) {
            Some(f) => Ok(Key::Feature(f)),
            None => Err(E::custom(format!(
                "records[{}] has unknown field {k:?}; the model's features are {}",
                self.index,
                self.names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

struct RefSeed {
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RefSeed {
    type Value = Option<String>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RefSeed {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "records[{}].reference_id to be a string, a number or null",
            self.index
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Option<String>, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Option<String>, E> {
        Ok(None)
    }
}

enum Val {
    Null,
    Number(f64),
    String(String),
}

struct ValueSeed<'s> {
    kind: Kind,
    index: usize,
    name: &'s str,
}

impl ValueSeed<'_> {
    fn wrong<E: de::Error>(&self, found: &str) -> E {
        E::custom(format!(
            "records[{}] field {:?}: expected {}, found {found}",
            self.index,
            self.name,
            match self.kind {
                Kind::Number => "a number or null",
                Kind::Boolean => "true, false or null",
                Kind::String => "a string or null",
            }
        ))
    }
    fn number<E: de::Error>(self, x: f64, found: &str) -> std::result::Result<Val, E> {
        match self.kind {
            Kind::Number if x.is_finite() => Ok(Val::Number(x)),
            Kind::Number => Err(E::custom(format!(
                "records[{}] field {:?}: {x} is not a finite number",
                self.index, self.name
            ))),
            _ => Err(self.wrong(found)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Val;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Val;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "a value for records[{}] field {:?}",
            self.index, self.name
        )
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Val, E> {
        self.number(v, "a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Val, E> {
        self.number(v as f64, "a number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Val, E> {
        self.number(v as f64, "a number")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Val, E> {
        match self.kind {
            Kind::Boolean => Ok(Val::Number(v as u8 as f64)),
            _ => Err(self.wrong("a boolean")),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Val, E> {
        // The wasm build marks JS NaN and Infinity, which JSON cannot carry, as "\0NaN" etc.
        if let Some(js @ ("NaN" | "Infinity" | "-Infinity")) = v.strip_prefix('\0') {
            return Err(E::custom(format!(
                "records[{}] field {:?}: {js} is not a finite number",
                self.index, self.name
            )));
        }
        match self.kind {
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

/// Runs `pipeline` over every record of `batch`. Any record error fails the whole batch,
/// naming the record index and field.
pub fn run(pipeline: &Pipeline, batch: &Batch) -> Result<Vec<Prediction>> {
    let n = pipeline.signature.len();
    let len = batch.len;
    // Row-major to columns (the layout the pipeline runs).
    let mut numbers = vec![f64::NAN; n * len];
    let mut strings: Vec<Vec<Option<String>>> = Vec::new();
    for j in 0..n {
        for i in 0..len {
            numbers[j * len + i] = batch.numbers[i * n + j];
        }
    }
    if !batch.strings.is_empty() {
        strings = (0..n)
            .map(|j| (0..len).map(|i| batch.strings[i * n + j].clone()).collect())
            .collect();
    }
    let columns = (0..n)
        .map(|j| {
            if batch.is_string[j] {
                ColumnIn::Strings(&strings[j])
            } else {
                ColumnIn::Numbers(&numbers[j * len..(j + 1) * len])
            }
        })
        .collect();
    let out = pipeline
        .predict_batch(&BatchIn { len, columns })
        .map_err(|e| {
            Error::InvalidArgument(format!(
                "records[{}] field {:?} {}",
                e.record, pipeline.signature[e.feature].name, e.message
            ))
        })?;
    Ok((0..len)
        .map(|i| Prediction {
            reference_id: batch.reference_ids[i].clone(),
            output: match &out {
                BatchOut::Classes {
                    n_classes,
                    proba,
                    labels,
                } => Output::Classes {
                    proba: proba[i * n_classes..(i + 1) * n_classes].to_vec(),
                    label: labels[i] as usize,
                },
                BatchOut::Values(v) => Output::Value(v[i]),
            },
        })
        .collect())
}

/// The JSON array of record `i`'s inputs in signature order, as logged.
pub fn inputs_json(batch: &Batch, i: usize, buf: &mut String) {
    let n = batch.is_string.len();
    let mut ryu = ryu::Buffer::new();
    buf.clear();
    buf.push('[');
    for j in 0..n {
        if j > 0 {
            buf.push(',');
        }
        if batch.is_string[j] {
            match &batch.strings[i * n + j] {
                Some(s) => buf.push_str(&serde_json::to_string(s).expect("strings serialize")),
                None => buf.push_str("null"),
            }
        } else {
            let x = batch.numbers[i * n + j];
            if x.is_nan() {
                buf.push_str("null");
            } else if batch.is_bool[j] {
                buf.push_str(if x != 0.0 { "true" } else { "false" });
            } else {
                buf.push_str(ryu.format_finite(x));
            }
        }
    }
    buf.push(']');
}

/// The JSON of an output, as logged: the probabilities array in class order, or the value.
pub fn outputs_json(output: &Output, buf: &mut String) {
    let mut ryu = ryu::Buffer::new();
    buf.clear();
    match output {
        Output::Classes { proba, .. } => {
            buf.push('[');
            for (k, p) in proba.iter().enumerate() {
                if k > 0 {
                    buf.push(',');
                }
                buf.push_str(ryu.format(*p));
            }
            buf.push(']');
        }
        Output::Value(v) => buf.push_str(ryu.format(*v)),
    }
}

/// A prediction in the Python tool's shape, plus the predicted label for classifiers:
/// `{"reference_id": ..., "results": {"setosa": 0.77, ...}, "label": "setosa"}` or
/// `{"reference_id": ..., "results": 12.3}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PredictionJson {
    /// The record's reference id.
    pub reference_id: Option<String>,
    /// Class probabilities by label (in class order), or the regression value.
    pub results: serde_json::Value,
    /// The predicted class (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Prediction {
    /// The JSON form, given the model's classes.
    pub fn to_json(&self, classes: &[String]) -> PredictionJson {
        match &self.output {
            Output::Classes { proba, label } => PredictionJson {
                reference_id: self.reference_id.clone(),
                results: serde_json::Value::Object(
                    classes
                        .iter()
                        .zip(proba)
                        .map(|(c, p)| (c.clone(), serde_json::json!(p)))
                        .collect(),
                ),
                label: Some(classes[*label].clone()),
            },
            Output::Value(v) => PredictionJson {
                reference_id: self.reference_id.clone(),
                results: serde_json::json!(v),
                label: None,
            },
        }
    }
}

/// Converts CSV records (a header of feature names, optionally `reference_id`) to the JSON
/// records [`parse_records`] takes, typing each cell by the model's signature: string
/// features and `reference_id` stay text, numeric features become numbers, boolean features
/// `true`/`false`; empty cells and the usual null tokens are null. A cell that is not a
/// number in a numeric column is passed on as text, so the error names its record and field.
///
/// The header is checked first: a column that is not a feature (or `reference_id`), or a
/// column named twice, is refused naming line 1 and the column. Null cells are left out of
/// the JSON, so its size is bounded by the CSV's: at most 6 bytes per CSV byte (JSON
/// escapes) plus one feature name per non-null cell.
pub fn records_from_csv(csv: &[u8], label: &str, pipeline: &Pipeline) -> Result<CsvRecords> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let mut lines = Vec::new();
    let header = rdr
        .headers()
        .map_err(|e| Error::InvalidArgument(format!("{label}: {e}")))?
        .clone();
    // The header is checked before any row is read: every column is a feature or
    // `reference_id`, once. So the JSON below repeats only the model's own names.
    let mut kinds: Vec<&str> = Vec::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        if let Some(first) = header.iter().take(j).position(|earlier| earlier == h) {
            return Err(Error::InvalidArgument(format!(
                "{label}: line 1: columns {} and {} are both named {h:?}; each field may \
                 appear once: remove one",
                first + 1,
                j + 1
            )));
        }
        kinds.push(if h == "reference_id" {
            "reference_id"
        } else {
            match pipeline.signature.iter().find(|f| f.name == h) {
                Some(f) => f.dtype.as_str(),
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "{label}: line 1: column {} {h:?} is not a feature of the model; the \
                         model's features are {} (and reference_id): remove or rename the column",
                        j + 1,
                        pipeline
                            .signature
                            .iter()
                            .map(|f| format!("{:?}", f.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
            }
        });
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| serde_json::to_string(h).expect("strings serialize"))
        .collect();
    let mut out = String::from("[");
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::InvalidArgument(format!("{label}: {e}")))?;
        // The csv crate records a row's start before the `\n` of a preceding `\r\n`.
        let line = rec.position().map_or(0, |p| {
            p.line() + (csv.get(p.byte() as usize) == Some(&b'\n')) as u64
        });
        lines.push(line);
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        for (j, (cell, name)) in rec.iter().zip(&names).enumerate() {
            let null = matches!(
                cell,
                "" | "NA" | "N/A" | "NaN" | "nan" | "null" | "NULL" | "None"
            );
            if null {
                // A missing field is null: a null cell costs no output.
                continue;
            }
            let kind = kinds.get(j).copied().unwrap_or("string");
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(name);
            out.push(':');
            let text = serde_json::to_string(cell).expect("strings serialize");
            let value = match kind {
                "string" | "reference_id" => text,
                "boolean" => match cell {
                    "true" | "True" | "TRUE" | "1" => "true".into(),
                    "false" | "False" | "FALSE" | "0" => "false".into(),
                    _ => text,
                },
                _ => match cell.trim().parse::<f64>() {
                    Ok(x) if x.is_finite() => serde_json::to_string(&x).expect("finite"),
                    _ => text,
                },
            };
            out.push_str(&value);
        }
        out.push('}');
    }
    out.push(']');
    Ok(CsvRecords {
        json: out.into_bytes(),
        lines,
    })
}

/// CSV records as JSON, with the CSV line of each record (see [`records_from_csv`]).
#[derive(Debug, Clone)]
pub struct CsvRecords {
    /// The records as a JSON array.
    pub json: Vec<u8>,
    /// The 1-based line each record starts on.
    pub lines: Vec<u64>,
}

impl CsvRecords {
    /// Rewords an error about these records for the CSV they came from: without the
    /// position in the internal JSON text, and with the CSV line of the record it names
    /// (`records[2] field "x": ... (line 4 of the CSV)`).
    pub fn locate(&self, e: Error) -> Error {
        let Error::InvalidArgument(message) = e else {
            return e;
        };
        let mut message = match message.rfind(" at line ") {
            Some(i) if message[i..].contains(" column ") => message[..i].to_string(),
            _ => message,
        };
        let index = message
            .strip_prefix("records[")
            .and_then(|rest| rest.split(']').next())
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(line) = index.and_then(|i| self.lines.get(i)) {
            message.push_str(&format!(" (line {line} of the CSV)"));
        }
        Error::InvalidArgument(message)
    }
}

/// Predictions as one compact JSON array, in the shape of [`PredictionJson`], written
/// without building intermediate values (the wasm build hands this string to `JSON.parse`,
/// one crossing instead of several per record).
pub fn predictions_json(predictions: &[Prediction], classes: &[String]) -> String {
    let keys: Vec<String> = classes
        .iter()
        .map(|c| serde_json::to_string(c).expect("strings serialize"))
        .collect();
    let mut ryu = ryu::Buffer::new();
    let mut out = String::with_capacity(predictions.len() * (40 + 28 * classes.len()));
    out.push('[');
    for (i, p) in predictions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"reference_id\":");
        match &p.reference_id {
            Some(r) => out.push_str(&serde_json::to_string(r).expect("strings serialize")),
            None => out.push_str("null"),
        }
        out.push_str(",\"results\":");
        match &p.output {
            Output::Classes { proba, label } => {
                out.push('{');
                for (k, (key, x)) in keys.iter().zip(proba).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(key);
                    out.push(':');
                    out.push_str(ryu.format(*x));
                }
                out.push_str("},\"label\":");
                out.push_str(&keys[*label]);
            }
            Output::Value(v) => out.push_str(ryu.format(*v)),
        }
        out.push('}');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_json_equals_the_serde_form() {
        let classes = vec!["a\"b".to_string(), "c".to_string()];
        let preds = vec![
            Prediction {
                reference_id: Some("r\n1".into()),
                output: Output::Classes {
                    proba: vec![0.25, 0.75],
                    label: 1,
                },
            },
            Prediction {
                reference_id: None,
                output: Output::Classes {
                    proba: vec![1.0, 0.0],
                    label: 0,
                },
            },
        ];
        let fast: serde_json::Value =
            serde_json::from_str(&predictions_json(&preds, &classes)).unwrap();
        let slow = serde_json::to_value(
            preds
                .iter()
                .map(|p| p.to_json(&classes))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(fast, slow);
        let reg = vec![Prediction {
            reference_id: None,
            output: Output::Value(-1.5e-7),
        }];
        let fast: serde_json::Value = serde_json::from_str(&predictions_json(&reg, &[])).unwrap();
        assert_eq!(
            fast,
            serde_json::to_value(vec![reg[0].to_json(&[])]).unwrap()
        );
    }
}
