//! The WebAssembly bindings (wasm32 only): one `Registry` class for JavaScript.
//!
//! Each method checks and converts its JS arguments, calls [`crate::Registry`] once, and
//! converts the result to plain JSON-compatible objects; no SQL and no maths here. Every
//! error reaches JS as an `Error` carrying the core's message, and since the core never
//! panics on bad input, the same `Registry` keeps working after any error. TypeScript types
//! of every argument and result are declared below (`TS_TYPES`) and checked by `tsc` in the
//! npm package's tests; optional parameters are declared optional here
//! (`unchecked_optional_param_type`). The JS glue it imports is a file of the package,
//! `npm/src/glue.js`.

use js_sys::{Array, Float64Array, Uint32Array, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::dataset::export::write_json;
use crate::dataset::import::{Format, Input};
use crate::error::Error;
use crate::predict::MAX_BATCH_RECORDS;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One version of a dataset. */
export interface DatasetEntry {
  id: number; name: string; version: number; size_cols: number; size_rows: number;
  description: string; created_at: string; md5: string; data_table: string;
}
/** Column summary of a dataset (`datasetInfo`). */
export interface ColumnInfo {
  column_name: string; original_dtype: string; converted_dtype: "Int64" | "Float64" | "boolean" | "string";
  null_count: number; unique_count: number; min_value_num: number | null; max_value_num: number | null;
  mean: number | null; std: number | null;
}
/** A cell value of a dataset or record. */
export type Value = number | string | boolean | null;
/** A dataset's rows (`pullDataset`). */
export interface PulledDataset { dataset: DatasetEntry; rows: Record<string, Value>[]; }
/** The result of `bindDataset`: `created` is false when identical content was already bound. */
export interface BoundDataset { dataset: DatasetEntry; created: boolean; }
export interface BindOptions { description?: string; format?: "csv" | "json"; label?: string; }
/** Held-out metrics. */
export interface Metrics {
  n_train: number; n_test: number; accuracy?: number; log_loss?: number; macro_f1?: number;
  rmse?: number; mae?: number; r2?: number;
}
/** One version of a model. */
export interface ModelEntry {
  id: number; name: string; version: number; dataset_registry_id: number; estimator_class: string;
  estimator_type: "classifier" | "regressor"; description: string; metrics: Metrics;
  created_at: string; target: string; artifact_md5: string;
}
export interface BoundModel { model: ModelEntry; created: boolean; }
export interface Feature { name: string; dtype: "Int64" | "Float64" | "boolean" | "string"; }
/** A preprocessing step of a training spec. */
export type Step =
  | { step: "simple_imputer"; strategy: "mean" | "median" | "most_frequent" | "constant"; fill_value?: number | string }
  | { step: "standard_scaler" } | { step: "min_max_scaler" } | { step: "one_hot_encoder" } | { step: "ordinal_encoder" };
export interface Transformer { name: string; columns: string[]; steps?: Step[]; }
/** An estimator and its hyper-parameters, e.g. `{estimator: "logistic_regression", alpha: 1}`. */
export type Estimator = { estimator: string; [hyperParameter: string]: unknown };
/** What `trainModel` trains: a dataset reference, a model name, and a training spec. */
export interface TrainOptions {
  dataset: string; name: string; description?: string; target: string; features?: string[];
  transformers?: Transformer[]; estimator?: string | Estimator; test_size?: number; seed?: number;
}
export interface ModelInfo {
  model: ModelEntry; signature: Feature[]; target: string; classes: string[]; metrics: Metrics;
  spec: object; dataset: DatasetEntry; artifact_format: number; mlops_lite_version: string;
  smartcore_version: string; versions: ModelEntry[];
}
/** A record to predict: feature values by name, and an optional reference id. */
export type PredictRecord = { reference_id?: string | number | null; [feature: string]: Value | undefined };
/** A prediction: class probabilities by label and the label, or the regression value. */
export interface Prediction {
  reference_id: string | null; results: Record<string, number> | number; label?: string;
}
export interface PredictOptions { log?: boolean; format?: "json" | "csv"; label?: string; }
/** One failed check of `verify`. */
export interface Problem { check: string; item: string; detail: string; }
/** The report of `verify`. */
export interface VerifyReport {
  datasets: number; datasets_ok: number; models: number; models_ok: number;
  predictions: number; predictions_ok: number; predictions_identical: number;
  max_abs_diff: number; tolerance: number; lineage: number; lineage_ok: number; problems: Problem[]; problems_not_listed: number;
}
/** The report of `reproduce`. */
export interface ReproduceReport {
  model: string; stored_md5: string; reproduced_md5: string; identical: boolean;
  stored_metrics: Metrics; reproduced_metrics: Metrics; differences: string[];
}
export interface LogFilter { model?: string; referenceId?: string; since?: string; until?: string; limit?: number; }
export interface LogRecord {
  call_id: number; position: number; created_at: string; model_id: number; model_name: string;
  model_version: number; reference_id: string | null; inputs: Value[]; outputs: number[] | number;
}
"#;

/// The message of a thrown JS value.
fn describe(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

// The package's JS glue (npm/src/glue.js; conversion only): packs plain records into one
// Float64Array, and builds the predictions' JS objects from flat arrays in one call (one
// crossing per batch instead of several per record, and no JSON text to parse).
#[wasm_bindgen(module = "/npm/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = stringifyRecords, catch)]
    fn stringify_records(records: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = packRecords)]
    fn pack_records(records: &JsValue, names: JsValue, kinds: Uint8Array) -> JsValue;

    #[wasm_bindgen(js_name = buildPredictions)]
    fn build_predictions(
        ref_text: JsValue,
        ref_null: Uint8Array,
        classes: JsValue,
        values: Float64Array,
        labels: Uint32Array,
    ) -> JsValue;
}

fn js_error(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

fn invalid(message: impl Into<String>) -> JsError {
    JsError::new(&message.into())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| invalid(format!("cannot convert the result to JS: {e}")))
}

fn string_arg(value: &JsValue, what: &str) -> Result<String, JsError> {
    value.as_string().ok_or_else(|| {
        invalid(format!(
            "{what} must be a string, got {}",
            value.js_typeof().as_string().unwrap_or_default()
        ))
    })
}

fn options_value<T: serde::de::DeserializeOwned + Default>(
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
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value.clone()).map_err(|e| {
        let text = e.to_string();
        invalid(format!(
            "{what}: {}",
            text.strip_prefix("Error: ").unwrap_or(&text)
        ))
    })?;
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().to_string();
        invalid(format!("{what}: {path}: {}", e.into_inner()))
    })
}

/// Removes serde_json's " at line L column C" from an error about records that were JS
/// objects: the position is in an internal JSON text, meaningless to the caller.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

/// A registry in memory: open one from a file's bytes, use it, export it back.
#[wasm_bindgen(js_name = Registry)]
pub struct JsRegistry {
    inner: crate::Registry,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BindOptions {
    description: Option<String>,
    format: Option<String>,
    label: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PredictOptions {
    log: Option<bool>,
    /// "csv": the records are CSV text (a header of feature names, optionally reference_id),
    /// typed by the model's signature as the CLI does.
    format: Option<String>,
    /// How CSV errors name the input.
    label: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsLogFilter {
    model: Option<String>,
    reference_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<i64>,
}

/// A JS log filter as the core's query.
fn log_query(filter: &Option<JsValue>) -> Result<crate::LogQuery, JsError> {
    let f: JsLogFilter = options_value(filter, "log filter")?;
    Ok(crate::LogQuery {
        model: f.model,
        reference_id: f.reference_id,
        since: f.since,
        until: f.until,
        limit: f.limit,
    })
}

#[wasm_bindgen(js_class = Registry)]
impl JsRegistry {
    /// A new, empty registry.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<JsRegistry, JsError> {
        Ok(JsRegistry {
            inner: crate::Registry::open_in_memory().map_err(js_error)?,
        })
    }

    /// Opens a registry from the bytes of a `.db` file (a `Uint8Array` or `ArrayBuffer`).
    pub fn open(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
    ) -> Result<JsRegistry, JsError> {
        let bytes = if bytes.is_instance_of::<Uint8Array>() {
            Uint8Array::from(bytes).to_vec()
        } else if bytes.is_instance_of::<js_sys::ArrayBuffer>() {
            Uint8Array::new(&bytes).to_vec()
        } else {
            return Err(invalid(
                "Registry.open takes the bytes of a .db file as a Uint8Array or ArrayBuffer",
            ));
        };
        Ok(JsRegistry {
            inner: crate::Registry::from_bytes(&bytes).map_err(js_error)?,
        })
    }

    /// The whole registry as the bytes of a `.db` file, which the native CLI, sql.js and
    /// any SQLite open.
    pub fn export(&mut self) -> Result<Uint8Array, JsError> {
        let bytes = self.inner.to_bytes().map_err(js_error)?;
        Ok(Uint8Array::from(&bytes[..]))
    }

    /// Every dataset version.
    #[wasm_bindgen(js_name = listDatasets, unchecked_return_type = "DatasetEntry[]")]
    pub fn list_datasets(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.list_datasets().map_err(js_error)?)
    }

    /// Column summaries of a dataset (`id`, `name` or `name@version`).
    #[wasm_bindgen(js_name = datasetInfo, unchecked_return_type = "ColumnInfo[]")]
    pub fn dataset_info(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] reference: JsValue,
    ) -> Result<JsValue, JsError> {
        let reference = string_arg(&reference, "the dataset reference")?;
        to_js(&self.inner.info(&reference).map_err(js_error)?)
    }

    /// A dataset's rows, exactly as bound (md5-checked).
    #[wasm_bindgen(js_name = pullDataset, unchecked_return_type = "PulledDataset")]
    pub fn pull_dataset(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] reference: JsValue,
    ) -> Result<JsValue, JsError> {
        let reference = string_arg(&reference, "the dataset reference")?;
        let (entry, data) = self.inner.pull_dataset(&reference).map_err(js_error)?;
        let mut json = Vec::new();
        write_json(&data, &mut json).map_err(js_error)?;
        let rows = js_sys::JSON::parse(&String::from_utf8_lossy(&json))
            .map_err(|_| invalid("cannot convert the rows to JS"))?;
        let out = js_sys::Object::new();
        js_sys::Reflect::set(&out, &"dataset".into(), &to_js(&entry)?)
            .map_err(|_| invalid("cannot build the result"))?;
        js_sys::Reflect::set(&out, &"rows".into(), &rows)
            .map_err(|_| invalid("cannot build the result"))?;
        Ok(out.into())
    }

    /// Binds CSV or JSON (a string or bytes) as a dataset version under `name`.
    #[wasm_bindgen(js_name = bindDataset, unchecked_return_type = "BoundDataset")]
    pub fn bind_dataset(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] data: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BindOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let name = string_arg(&name, "the dataset name")?;
        let opts: BindOptions = options_value(&options, "bindDataset options")?;
        let bytes = if let Some(text) = data.as_string() {
            text.into_bytes()
        } else if data.is_instance_of::<Uint8Array>() {
            Uint8Array::from(data).to_vec()
        } else {
            return Err(invalid(
                "bindDataset takes the data as a string or a Uint8Array",
            ));
        };
        let format = match opts.format.as_deref() {
            Some(f) => Format::parse(f).map_err(js_error)?,
            None => match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') | Some(b'{') => Format::Json,
                _ => Format::Csv,
            },
        };
        let label = opts
            .label
            .unwrap_or_else(|| format!("<{} data>", format.name()));
        let bound = self
            .inner
            .bind_dataset_from(
                Input::Bytes {
                    bytes: &bytes,
                    label: &label,
                },
                format,
                &name,
                opts.description.as_deref().unwrap_or(""),
                &mut |_, _| {},
            )
            .map_err(js_error)?;
        to_js(&bound)
    }

    /// Every model version.
    #[wasm_bindgen(js_name = listModels, unchecked_return_type = "ModelEntry[]")]
    pub fn list_models(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.list_models().map_err(js_error)?)
    }

    /// A model's signature, classes, metrics, lineage and versions.
    #[wasm_bindgen(js_name = modelInfo, unchecked_return_type = "ModelInfo")]
    pub fn model_info(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] reference: JsValue,
    ) -> Result<JsValue, JsError> {
        let reference = string_arg(&reference, "the model reference")?;
        to_js(&self.inner.model_info(&reference).map_err(js_error)?)
    }

    /// Trains a pipeline on a dataset of this registry and binds it as a model version.
    #[wasm_bindgen(js_name = trainModel, unchecked_return_type = "BoundModel")]
    pub fn train_model(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TrainOptions")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        if !options.is_object() {
            return Err(invalid(
                "trainModel takes an object: {dataset, name, target, ...}",
            ));
        }
        let value: serde_json::Value = serde_wasm_bindgen::from_value(options)
            .map_err(|e| invalid(format!("trainModel options: {e}")))?;
        let serde_json::Value::Object(mut map) = value else {
            return Err(invalid(
                "trainModel takes an object: {dataset, name, target, ...}",
            ));
        };
        let mut take = |key: &str| -> Result<Option<String>, JsError> {
            match map.remove(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(other) => Err(invalid(format!(
                    "trainModel option {key} must be a string, got {other}"
                ))),
            }
        };
        let dataset = take("dataset")?
            .ok_or_else(|| invalid("trainModel needs `dataset` (a dataset reference)"))?;
        let name =
            take("name")?.ok_or_else(|| invalid("trainModel needs `name` (the model name)"))?;
        let description = take("description")?.unwrap_or_default();
        let request = crate::TrainRequest {
            dataset,
            name,
            description,
            spec: Some(crate::SpecInput::Fields(map)),
            ..Default::default()
        };
        let (bound, _) = self.inner.train_and_bind(&request).map_err(js_error)?;
        to_js(&bound)
    }

    /// Predicts an array of records (or their JSON text, as a string or UTF-8 bytes) with a
    /// model; `{log: true}` writes them to the prediction log. A bad record fails the whole
    /// batch, which then logs nothing.
    #[wasm_bindgen(unchecked_return_type = "Prediction[]")]
    pub fn predict(
        &mut self,
        #[wasm_bindgen(js_name = modelRef, unchecked_param_type = "string")] model_ref: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PredictRecord[] | string | Uint8Array")]
        records: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PredictOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let model_ref = string_arg(&model_ref, "the model reference")?;
        let opts: PredictOptions = options_value(&options, "predict options")?;
        // Records arrive as an array of objects, or as JSON text (a string or UTF-8 bytes:
        // the fast path for batches read from a file or the network).
        if let Some(format) = opts.format.as_deref() {
            if Format::parse(format).map_err(js_error)? == Format::Csv {
                return self.predict_csv(&model_ref, &records, &opts);
            }
        }
        if let Some(fast) = self.predict_packed(&model_ref, &records, opts.log.unwrap_or(false))? {
            return Ok(fast);
        }
        let text: Vec<u8> = if let Some(s) = records.as_string() {
            s.into_bytes()
        } else if records.is_instance_of::<Uint8Array>() {
            Uint8Array::from(records.clone()).to_vec()
        } else if Array::is_array(&records) {
            let len = Array::from(&records).length() as usize;
            if len > MAX_BATCH_RECORDS {
                return Err(invalid(format!(
                    "{len} records in one batch; at most {MAX_BATCH_RECORDS}: split it"
                )));
            }
            // JSON.stringify (native speed in the JS engine), then the same schema-driven
            // parser as natively; reading the objects property by property through
            // serde-wasm-bindgen was 11x slower than native. JSON has no NaN or Infinity,
            // so the replacer marks them as strings the parser reports as non-finite.
            // (A module function, not `new Function`: no eval, so a strict CSP allows it.)
            let text = stringify_records(&records).map_err(|e| {
                invalid(format!("records cannot be read as JSON: {}", describe(&e)))
            })?;
            text.as_string().unwrap_or_default().into_bytes()
        } else {
            return Err(invalid(
                "records must be an array of objects keyed by feature name (or their JSON text)",
            ));
        };
        let from_objects = Array::is_array(&records);
        let (_, pipeline, predictions) = self
            .inner
            .predict(&model_ref, &text, opts.log.unwrap_or(false))
            .map_err(|e| {
                if from_objects {
                    invalid(without_position(&e.to_string()))
                } else {
                    js_error(e)
                }
            })?;
        predictions_to_js(&predictions, &pipeline.classes)
    }

    /// Checks the registry offline (datasets re-hashed, models loaded, every logged
    /// prediction replayed, lineage); problems are listed in the report.
    #[wasm_bindgen(unchecked_return_type = "VerifyReport")]
    pub fn verify(&mut self, tolerance: Option<f64>) -> Result<JsValue, JsError> {
        let t = tolerance.unwrap_or(crate::verify::DEFAULT_TOLERANCE);
        if t.is_nan() || t < 0.0 {
            return Err(invalid("the tolerance must be a number, 0 or more"));
        }
        to_js(&self.inner.verify(t).map_err(js_error)?)
    }

    /// Retrains a model from its embedded dataset and stored spec and compares artifacts.
    #[wasm_bindgen(unchecked_return_type = "ReproduceReport")]
    pub fn reproduce(
        &mut self,
        #[wasm_bindgen(js_name = modelRef, unchecked_param_type = "string")] model_ref: JsValue,
    ) -> Result<JsValue, JsError> {
        let model_ref = string_arg(&model_ref, "the model reference")?;
        to_js(&self.inner.reproduce(&model_ref).map_err(js_error)?)
    }

    /// Logged prediction records, oldest first, filtered by model, reference id or time.
    #[wasm_bindgen(unchecked_return_type = "LogRecord[]")]
    pub fn log(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LogFilter")] filter: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let query = log_query(&filter)?;
        to_js(&self.inner.log_for(&query).map_err(js_error)?)
    }

    /// The filtered log as CSV, as `mlops-lite log export` writes it (formula-like text
    /// cells neutralised for spreadsheets).
    #[wasm_bindgen(js_name = logCsv)]
    pub fn log_csv(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LogFilter")] filter: Option<JsValue>,
    ) -> Result<String, JsError> {
        let query = log_query(&filter)?;
        let records = self.inner.log_for(&query).map_err(js_error)?;
        Ok(crate::log::to_csv(&records))
    }
}

/// The predictions as JS objects: flat arrays cross once, `buildPredictions` makes the
/// objects.
fn predictions_to_js(
    predictions: &[crate::predict::Prediction],
    classes: &[String],
) -> Result<JsValue, JsError> {
    let mut values = Vec::with_capacity(predictions.len() * classes.len().max(1));
    let mut labels = Vec::with_capacity(predictions.len());
    for p in predictions {
        match &p.output {
            crate::pipeline::Output::Classes { proba, label } => {
                values.extend_from_slice(proba);
                labels.push(*label as u32);
            }
            crate::pipeline::Output::Value(v) => values.push(*v),
        }
    }
    // Reference ids cross as one string joined by U+001F (unit separator) plus a null
    // mask: one crossing for the batch.
    let mut ref_text = String::new();
    let mut ref_null = Vec::with_capacity(predictions.len());
    for (i, p) in predictions.iter().enumerate() {
        if i > 0 {
            ref_text.push('\u{1f}');
        }
        ref_text.push_str(p.reference_id.as_deref().unwrap_or(""));
        ref_null.push(p.reference_id.is_none() as u8);
    }
    let ref_text = if ref_text.contains('\u{1f}')
        && predictions.iter().any(|p| {
            p.reference_id
                .as_deref()
                .is_some_and(|r| r.contains('\u{1f}'))
        }) {
        // A reference id holds the separator itself: send them as a JSON array instead.
        let refs: Vec<&str> = predictions
            .iter()
            .map(|p| p.reference_id.as_deref().unwrap_or(""))
            .collect();
        js_sys::JSON::parse(&serde_json::to_string(&refs).map_err(|e| invalid(e.to_string()))?)
            .map_err(|e| invalid(describe(&e)))?
    } else {
        JsValue::from_str(&ref_text)
    };
    Ok(build_predictions(
        ref_text,
        Uint8Array::from(&ref_null[..]),
        to_js(&classes.to_vec())?,
        Float64Array::from(&values[..]),
        Uint32Array::from(&labels[..]),
    ))
}

impl JsRegistry {
    /// `predict` of CSV text: records typed by the signature, errors naming the CSV line.
    fn predict_csv(
        &mut self,
        model_ref: &str,
        records: &JsValue,
        opts: &PredictOptions,
    ) -> Result<JsValue, JsError> {
        let bytes = if let Some(s) = records.as_string() {
            s.into_bytes()
        } else if records.is_instance_of::<Uint8Array>() {
            Uint8Array::from(records.clone()).to_vec()
        } else {
            return Err(invalid(
                "with format \"csv\", records must be CSV text (a string or UTF-8 bytes)",
            ));
        };
        let label = opts.label.as_deref().unwrap_or("<csv>");
        let (_, pipeline, _) = self.inner.pull_model(model_ref).map_err(js_error)?;
        let csv = crate::predict::records_from_csv(&bytes, label, &pipeline).map_err(js_error)?;
        let (_, pipeline, predictions) = self
            .inner
            .predict(model_ref, &csv.json, opts.log.unwrap_or(false))
            .map_err(|e| js_error(csv.locate(e)))?;
        predictions_to_js(&predictions, &pipeline.classes)
    }

    /// The fast path of `predict` for arrays of plain numeric records (see `packRecords`):
    /// `None` when the batch needs the JSON path.
    fn predict_packed(
        &mut self,
        model_ref: &str,
        records: &JsValue,
        log: bool,
    ) -> Result<Option<JsValue>, JsError> {
        if !Array::is_array(records) {
            return Ok(None);
        }
        let n = Array::from(records).length() as usize;
        if n > MAX_BATCH_RECORDS {
            return Err(invalid(format!(
                "{n} records in one batch; at most {MAX_BATCH_RECORDS}: split it"
            )));
        }
        let (_, pipeline, _) = self.inner.pull_model(model_ref).map_err(js_error)?;
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
        let packed = pack_records(records, to_js(&names)?, Uint8Array::from(&kinds[..]));
        if packed.is_null() || packed.is_undefined() {
            return Ok(None);
        }
        let get = |key: &str| {
            js_sys::Reflect::get(&packed, &key.into()).map_err(|e| invalid(describe(&e)))
        };
        let numbers = Float64Array::from(get("nums")?).to_vec();
        let ref_text = get("refText")?.as_string().unwrap_or_default();
        let ref_null = Uint8Array::from(get("refNull")?).to_vec();
        let mut parts = ref_text.split('\u{1f}');
        let reference_ids = ref_null
            .iter()
            .map(|&null| {
                let part = parts.next().unwrap_or("");
                (null == 0).then(|| part.to_string())
            })
            .collect();
        let batch = crate::predict::Batch {
            len: n,
            numbers,
            strings: Vec::new(),
            is_string: kinds.iter().map(|k| *k == 2).collect(),
            is_bool: kinds.iter().map(|k| *k == 1).collect(),
            reference_ids,
        };
        let (_, pipeline, predictions) = self
            .inner
            .predict_with(model_ref, log, |_| Ok(batch))
            .map_err(|e| invalid(without_position(&e.to_string())))?;
        predictions_to_js(&predictions, &pipeline.classes).map(Some)
    }
}
