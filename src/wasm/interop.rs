//! JS <-> Rust value conversions of the WebAssembly bindings (`super`): arguments in
//! (strings, option objects, records in every shape the package takes), results out (plain
//! objects through serde, predictions as row objects or as columns of typed arrays). The JS
//! half is `npm/src/glue.js`, a file of the package. Conversion only: what the records mean
//! is decided by the core ([`crate::records`]), which words every error.

use std::borrow::Cow;

use js_sys::{Array, Float64Array, Object, Uint32Array, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::pipeline::batch::BatchOut;
use crate::pipeline::Pipeline;
use crate::predict::{Predictions, MAX_BATCH_RECORDS};
use crate::records::{Column, Columns, Records};

// The package's JS glue (npm/src/glue.js; conversion only): packs plain records into
// columns, types plain-array columns, and builds the predictions' JS objects from flat arrays
// in one call (one crossing per batch instead of several per record, and no JSON to parse).
#[wasm_bindgen(module = "/npm/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = stringifyRecords, catch)]
    fn stringify_records(records: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = encodeUtf8Into)]
    fn encode_utf8_into(text: &JsValue, from: u32, into: &Uint8Array) -> Array;

    #[wasm_bindgen(js_name = packRecords)]
    fn pack_records(records: &JsValue, names: JsValue, kinds: Uint8Array) -> JsValue;

    #[wasm_bindgen(js_name = columnFromArray, catch)]
    fn column_from_array(values: &JsValue, name: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = buildPredictions)]
    fn build_predictions(
        n: usize,
        ref_text: JsValue,
        ref_null: Uint8Array,
        classes: JsValue,
        values: Float64Array,
        labels: Uint32Array,
        as_columns: bool,
    ) -> JsValue;
}

/// A JS exception's message.
pub fn describe(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// The core's error as a JS `Error` with its message.
pub fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A JS `Error` with `message`.
pub fn invalid(message: impl Into<String>) -> JsError {
    JsError::new(&message.into())
}

/// A result as a plain JS value: its JSON text, parsed by `JSON.parse` (one crossing, and
/// no second serializer of every result type in the .wasm).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let text = serde_json::to_string(value)
        .map_err(|e| invalid(format!("cannot convert the result to JS: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|e| invalid(describe(&e)))
}

/// A JS value as JSON, through `JSON.stringify`: `undefined` and function properties are
/// left out, NaN and infinities are null, as JSON has them; a BigInt or a cycle is an error
/// naming `what`.
pub fn json_from_js(value: &JsValue, what: &str) -> Result<serde_json::Value, JsError> {
    let text =
        js_sys::JSON::stringify(value).map_err(|e| invalid(format!("{what}: {}", describe(&e))))?;
    serde_json::from_str(&String::from(text)).map_err(|e| invalid(format!("{what}: {e}")))
}

/// A string argument, or an error naming `what`.
pub fn string_arg(value: &JsValue, what: &str) -> Result<String, JsError> {
    value.as_string().ok_or_else(|| {
        invalid(format!(
            "{what} must be a string, got {}",
            value.js_typeof().as_string().unwrap_or_default()
        ))
    })
}

/// An options object (absent, undefined or null: the defaults); unknown keys and wrongly
/// typed options are errors naming them.
pub fn options_value<T: serde::de::DeserializeOwned + Default>(
    value: &Option<JsValue>,
    what: &str,
) -> Result<T, JsError> {
    let Some(value) = value.as_ref().filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(T::default());
    };
    if !value.is_object() || Array::is_array(value) {
        return Err(invalid(format!("{what} must be an object")));
    }
    // Through serde_json::Value, so that unknown keys are refused (deny_unknown_fields) and a
    // wrongly typed option is named.
    let json = json_from_js(value, what)?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        invalid(format!("{what}: {path}: {}", e.into_inner()))
    })
}

/// Records converted from JS, owning what [`Records`] borrows.
pub enum JsRecords {
    /// JSON text and how errors name it; no name when it was made here from JS objects (its
    /// lines and columns mean nothing to the caller, so they are left out).
    Json {
        text: Vec<u8>,
        label: Option<String>,
    },
    /// CSV text and how errors name it.
    Csv { text: Vec<u8>, label: String },
    /// Columns.
    Columns(Columns<'static>),
}

impl JsRecords {
    /// The records, for [`crate::Registry::predict_with_model`].
    pub fn records(&self) -> Records<'_> {
        match self {
            JsRecords::Json { text, label } => Records::Json {
                bytes: text,
                label: label.as_deref(),
            },
            JsRecords::Csv { text, label } => Records::csv(text, label),
            JsRecords::Columns(c) => Records::Columns(c.borrowed()),
        }
    }
}

/// Text given as a string or UTF-8 bytes. A string is encoded by the JS engine's
/// `TextEncoder.encodeInto` straight into wasm memory (wasm-bindgen's `as_string` copies ASCII
/// one character at a time in JS: a JSON string of 10,000 records took a third longer to
/// predict than its bytes).
fn text_of(value: &JsValue) -> Option<Vec<u8>> {
    if value.is_string() {
        Some(utf8_of(value))
    } else if value.is_instance_of::<Uint8Array>() {
        Some(Uint8Array::from(value.clone()).to_vec())
    } else {
        None
    }
}

/// A JS string's UTF-8 bytes (a lone surrogate becomes U+FFFD, as wasm-bindgen does): room
/// for one byte per UTF-16 unit first (all of ASCII), then, if the rest did not fit, three per
/// unit left, which always does.
fn utf8_of(text: &JsValue) -> Vec<u8> {
    let units = text.unchecked_ref::<js_sys::JsString>().length() as usize;
    let mut buf: Vec<u8> = Vec::with_capacity(units);
    let mut read = 0;
    loop {
        let spare = buf.capacity() - buf.len();
        // SAFETY: the view covers the vector's spare capacity, and nothing allocates in wasm
        // memory (which could move or grow it) between its making and its use by the call.
        let into = unsafe { Uint8Array::view_mut_raw(buf.as_mut_ptr().add(buf.len()), spare) };
        let done = encode_utf8_into(text, read as u32, &into);
        let (r, w) = (done.get(0).as_f64(), done.get(1).as_f64());
        let (r, w) = (r.unwrap_or(0.0) as usize, w.unwrap_or(0.0) as usize);
        // SAFETY: encodeInto wrote `w` bytes (<= `spare`) of UTF-8 at the old length.
        unsafe { buf.set_len(buf.len() + w.min(spare)) };
        read += r;
        if read >= units || (r == 0 && spare >= 3 * (units - read)) {
            return buf;
        }
        buf.reserve(3 * (units - read));
    }
}

/// CSV records: text (a string or UTF-8 bytes) named `label` in errors.
pub fn csv_records(value: &JsValue, label: &str) -> Result<JsRecords, JsError> {
    let text = text_of(value).ok_or_else(|| {
        invalid("with format \"csv\", records must be CSV text (a string or UTF-8 bytes)")
    })?;
    Ok(JsRecords::Csv {
        text,
        label: label.to_string(),
    })
}

/// Reference ids left on the JS side: those of records packed by `packRecords`, when the
/// call does not log them (the core needs them only to log). The predictions take them back
/// as they are, instead of a round trip through Rust strings.
pub struct JsIds {
    text: JsValue,
    null: JsValue,
}

/// Records as the package takes them: an array of objects (packed into columns when they are
/// plain numeric records, else as JSON text), JSON text (a string or UTF-8 bytes), or
/// `{columns: {name: Float64Array | array, ...}}`. JSON text is named `label` in errors.
/// Unless `log`, packed records' reference ids stay in JS ([`JsIds`]).
pub fn records_from_js(
    value: &JsValue,
    pipeline: &Pipeline,
    label: &str,
    log: bool,
) -> Result<(JsRecords, Option<JsIds>), JsError> {
    if let Some(text) = text_of(value) {
        let text = JsRecords::Json {
            text,
            label: Some(label.to_string()),
        };
        return Ok((text, None));
    }
    if Array::is_array(value) {
        let len = Array::from(value).length() as usize;
        if len > MAX_BATCH_RECORDS {
            return Err(invalid(format!(
                "{len} records in one batch; at most {MAX_BATCH_RECORDS}: split it"
            )));
        }
        if let Some((columns, ids)) = packed(value, pipeline, len, log)? {
            return Ok((JsRecords::Columns(columns), ids));
        }
        // JSON.stringify (native speed in the JS engine), then the same schema-driven parser
        // as natively; reading the objects property by property through serde-wasm-bindgen
        // was 11x slower than native. JSON has no NaN or Infinity, so the replacer marks them
        // as strings the parser reports as non-finite. (A module function, not `new
        // Function`: no eval, so a strict CSP allows it.)
        let text = stringify_records(value)
            .map_err(|e| invalid(format!("records cannot be read as JSON: {}", describe(&e))))?;
        if !text.is_string() {
            return Err(invalid("records cannot be read as JSON"));
        }
        let text = JsRecords::Json {
            text: utf8_of(&text),
            label: None,
        };
        return Ok((text, None));
    }
    if value.is_object() {
        let columns = js_sys::Reflect::get(value, &"columns".into()).unwrap_or(JsValue::UNDEFINED);
        if columns.is_object() && !Array::is_array(&columns) {
            return Ok((JsRecords::Columns(columns_from_js(&columns)?), None));
        }
    }
    Err(invalid(
        "records must be an array of objects keyed by feature name, their JSON text, or \
         {columns: {feature: Float64Array or array, ...}}",
    ))
}

/// The fast path for arrays of plain numeric records (see `packRecords`): every signature
/// feature as a column (NaN where a record leaves it out), and the reference ids left in JS
/// unless `log`; `None` when the batch needs the JSON path.
fn packed(
    value: &JsValue,
    pipeline: &Pipeline,
    n: usize,
    log: bool,
) -> Result<Option<(Columns<'static>, Option<JsIds>)>, JsError> {
    let names: Vec<&str> = pipeline.signature.iter().map(|f| f.name.as_str()).collect();
    let kinds: Vec<u8> = pipeline
        .signature
        .iter()
        .map(|f| match f.dtype.as_str() {
            "string" => 2,
            "boolean" => 1,
            _ => 0,
        })
        .collect();
    let packed = pack_records(value, to_js(&names)?, Uint8Array::from(&kinds[..]));
    if packed.is_null() || packed.is_undefined() {
        return Ok(None);
    }
    let get =
        |key: &str| js_sys::Reflect::get(&packed, &key.into()).map_err(|e| invalid(describe(&e)));
    let numbers = Float64Array::from(get("nums")?);
    let mut columns = Columns::new();
    for (j, name) in names.iter().enumerate() {
        let (start, end) = ((j * n) as u32, ((j + 1) * n) as u32);
        columns = columns.numbers(name.to_string(), numbers.subarray(start, end).to_vec());
    }
    // Reference ids: none (refText undefined), left in JS, or read for the log.
    let text = get("refText")?;
    if text.is_undefined() {
        return Ok(Some((columns, None)));
    }
    let null = get("refNull")?;
    if !log {
        return Ok(Some((columns, Some(JsIds { text, null }))));
    }
    let ref_text = text.as_string().unwrap_or_default();
    let mut parts = ref_text.split('\u{1f}');
    let reference_ids: Vec<Option<String>> = Uint8Array::from(null)
        .to_vec()
        .iter()
        .map(|&null| {
            let part = parts.next().unwrap_or("");
            (null == 0).then(|| part.to_string())
        })
        .collect();
    Ok(Some((columns.reference_ids(reference_ids), None)))
}

/// An array of strings and nulls (`undefined` is null too).
fn strings_from_js(values: &JsValue, name: &str) -> Result<Vec<Option<String>>, JsError> {
    Array::from(values)
        .iter()
        .enumerate()
        .map(|(i, v)| match v.as_string() {
            Some(s) => Ok(Some(s)),
            None if v.is_null() || v.is_undefined() => Ok(None),
            None => Err(invalid(format!(
                "columns[{name:?}][{i}] must be a string or null, got {}",
                v.js_typeof().as_string().unwrap_or_default()
            ))),
        })
        .collect()
}

/// `{name: Float64Array | typed array | array, ..., reference_id?: array}` as columns.
fn columns_from_js(value: &JsValue) -> Result<Columns<'static>, JsError> {
    let mut columns = Columns::new();
    for entry in Object::entries(&Object::from(value.clone())).iter() {
        let pair = Array::from(&entry);
        let name = pair.get(0).as_string().unwrap_or_default();
        let v = pair.get(1);
        if name == "reference_id" {
            columns = columns.reference_ids(reference_ids(&v)?);
            continue;
        }
        if v.is_instance_of::<Float64Array>() {
            columns = columns.numbers(name, Float64Array::from(v).to_vec());
        } else if js_sys::ArrayBuffer::is_view(&v) && !v.is_instance_of::<js_sys::DataView>() {
            // Another typed array: its numbers, converted by JS.
            columns = columns.numbers(name, Float64Array::new(&v).to_vec());
        } else if Array::is_array(&v) {
            let typed = column_from_array(&v, &name).map_err(|e| invalid(describe(&e)))?;
            let kind = js_sys::Reflect::get(&typed, &"kind".into())
                .ok()
                .and_then(|k| k.as_f64())
                .unwrap_or(-1.0);
            let values = js_sys::Reflect::get(&typed, &"values".into())
                .map_err(|e| invalid(describe(&e)))?;
            let column = match kind as i32 {
                0 => Column::Numbers(Cow::Owned(Float64Array::from(values).to_vec())),
                1 => Column::Booleans(Cow::Owned(
                    Uint8Array::from(values)
                        .to_vec()
                        .into_iter()
                        .map(|b| (b < 2).then_some(b == 1))
                        .collect(),
                )),
                _ => Column::Strings(Cow::Owned(strings_from_js(&values, &name)?)),
            };
            columns.columns.push((Cow::Owned(name), column));
        } else {
            return Err(invalid(format!(
                "columns[{name:?}] must be a Float64Array (or another typed array) or an array \
                 of numbers, booleans or strings"
            )));
        }
    }
    Ok(columns)
}

/// Reference ids given as an array of strings, safe integers or nulls.
fn reference_ids(v: &JsValue) -> Result<Vec<Option<String>>, JsError> {
    if !Array::is_array(v) {
        return Err(invalid(
            "columns.reference_id must be an array of strings, integers or nulls",
        ));
    }
    Array::from(v)
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if x.is_null() || x.is_undefined() {
                Ok(None)
            } else if let Some(s) = x.as_string() {
                Ok(Some(s))
            } else if let Some(n) = x.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15) {
                Ok(Some(format!("{}", n as i64)))
            } else {
                Err(invalid(format!(
                    "columns.reference_id[{i}] must be a string, an integer or null"
                )))
            }
        })
        .collect()
}

/// The probabilities of `n` records by record (`k` per record) as one JS array class by
/// class (each class one contiguous view), gathered a block of records at a time into a small
/// buffer copied out, rather than transposed whole in wasm memory first.
fn class_major(proba: &[f64], n: usize, k: usize) -> Result<Float64Array, JsError> {
    const BLOCK: usize = 8192;
    let total = u32::try_from(n.saturating_mul(k)).map_err(|_| {
        invalid(format!(
            "{n} records of {k} classes are too many for one array"
        ))
    })?;
    let out = Float64Array::new_with_length(total);
    let mut buf = vec![0.0; BLOCK.min(n)];
    for c in 0..k {
        for start in (0..n).step_by(BLOCK) {
            let m = BLOCK.min(n - start);
            let col = &mut buf[..m];
            mlops_lite_kernels::gather_class(&proba[start * k..(start + m) * k], c, k, col);
            let at = (c * n + start) as u32;
            out.subarray(at, at + m as u32).copy_from(col);
        }
    }
    Ok(out)
}

/// The predictions as JS: row objects (`{reference_id, results, label}` each) or, with
/// `as_columns`, `{reference_id: [...], results: {class: Float64Array}, label: [...]}`. Flat
/// arrays cross once; the glue builds the objects.
pub fn predictions_to_js(
    predictions: &Predictions,
    classes: &[String],
    as_columns: bool,
    js_ids: Option<JsIds>,
) -> Result<JsValue, JsError> {
    let n = predictions.len();
    let (values, labels): (Float64Array, &[u32]) = match &predictions.outputs {
        BatchOut::Classes {
            n_classes,
            proba,
            labels,
        } if as_columns => (class_major(proba, n, *n_classes)?, labels),
        BatchOut::Classes { proba, labels, .. } => (Float64Array::from(&proba[..]), labels),
        BatchOut::Values(v) => (Float64Array::from(&v[..]), &[]),
    };
    // Reference ids cross as one string joined by U+001F (unit separator) plus a null mask:
    // one crossing for the batch; nothing at all when no record has one.
    let ids = &predictions.reference_ids;
    let (ref_text, ref_null) = if let Some(JsIds { text, null }) = js_ids {
        (text, Uint8Array::from(null))
    } else if ids.iter().all(Option::is_none) {
        (JsValue::UNDEFINED, Uint8Array::new_with_length(0))
    } else {
        let ref_null: Vec<u8> = ids.iter().map(|r| r.is_none() as u8).collect();
        let refs: Vec<&str> = ids.iter().map(|r| r.as_deref().unwrap_or("")).collect();
        let text = if refs.iter().any(|r| r.contains('\u{1f}')) {
            // A reference id holds the separator itself: send them as a JSON array instead.
            js_sys::JSON::parse(&serde_json::to_string(&refs).map_err(|e| invalid(e.to_string()))?)
                .map_err(|e| invalid(describe(&e)))?
        } else {
            JsValue::from_str(&refs.join("\u{1f}"))
        };
        (text, Uint8Array::from(&ref_null[..]))
    };
    Ok(build_predictions(
        n,
        ref_text,
        ref_null,
        to_js(&classes.to_vec())?,
        values,
        Uint32Array::from(labels),
        as_columns,
    ))
}
