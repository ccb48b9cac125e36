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

mod interop;

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use interop::{invalid, js_error, options_value, string_arg, to_js};

use crate::dataset::export::write_json;
use crate::dataset::import::{Format, Input};

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
  spec: object | null; fitted_by: { library: string; version: string } | null;
  transformers: { name: string; columns: string[]; steps: string[] }[];
  dataset: DatasetEntry; artifact_format: number; mlops_lite_version: string;
  smartcore_version: string; versions: ModelEntry[];
}
/** A record to predict: feature values by name, and an optional reference id. */
export type PredictRecord = { reference_id?: string | number | null; [feature: string]: Value | undefined };
/** A prediction: class probabilities by label and the label, or the regression value. */
export interface Prediction {
  reference_id: string | null; results: Record<string, number> | number; label?: string;
}
export interface PredictOptions { log?: boolean; format?: "json" | "csv"; label?: string; output?: "records"; }
/** Records in columns: one per feature (NaN or null is null), and optionally reference ids. */
export interface PredictColumns {
  columns: { reference_id?: (string | number | null)[] } & {
    [feature: string]: Float64Array | ArrayLike<number> | (number | boolean | string | null)[] | undefined;
  };
}
/** Options asking for the predictions as columns. */
export interface PredictColumnsOptions { log?: boolean; format?: "json" | "csv"; label?: string; output: "columns"; }
/**
 * Predictions as columns: per class a Float64Array of probabilities, each record's class index
 * (`label_index`, as the native `Predictions` hold it) and the labels. `label` and
 * `reference_id` are made on first read.
 */
export interface PredictionColumns {
  reference_id: (string | null)[];
  results: Record<string, Float64Array> | Float64Array;
  label_index?: Uint32Array;
  label?: string[];
}
export interface Registry {
  predict(modelRef: string, records: PredictRecord[] | string | Uint8Array | PredictColumns, options: PredictColumnsOptions): PredictionColumns;
}
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
    /// How errors about CSV or JSON text name the input.
    label: Option<String>,
    /// "columns": the predictions as columns (a Float64Array per class) instead of records.
    output: Option<String>,
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
        offset: None,
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
        let value = interop::json_from_js(&options, "trainModel options")?;
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

    /// Predicts records with a model: an array of objects keyed by feature name, their JSON
    /// text (a string or UTF-8 bytes), CSV text with `{format: "csv"}`, or `{columns: {feature:
    /// Float64Array or array, ...}}`. `{log: true}` writes them to the prediction log;
    /// `{output: "columns"}` returns the predictions as columns. A bad record fails the whole
    /// batch, which then logs nothing.
    #[wasm_bindgen(unchecked_return_type = "Prediction[]")]
    pub fn predict(
        &mut self,
        #[wasm_bindgen(js_name = modelRef, unchecked_param_type = "string")] model_ref: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "PredictRecord[] | string | Uint8Array | PredictColumns"
        )]
        records: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PredictOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let model_ref = string_arg(&model_ref, "the model reference")?;
        let opts: PredictOptions = options_value(&options, "predict options")?;
        let as_columns = match opts.output.as_deref() {
            None | Some("records") => false,
            Some("columns") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "predict options: output must be \"records\" or \"columns\", not {other:?}"
                )))
            }
        };
        let (entry, pipeline) = self.inner.resolve_model(&model_ref).map_err(js_error)?;
        let csv = match opts.format.as_deref() {
            Some(f) => Format::parse(f).map_err(js_error)? == Format::Csv,
            None => false,
        };
        let log = opts.log.unwrap_or(false);
        let (records, js_ids) = if csv {
            let label = opts.label.as_deref().unwrap_or("<csv>");
            (interop::csv_records(&records, label)?, None)
        } else {
            let label = opts.label.as_deref().unwrap_or("<json>");
            interop::records_from_js(&records, &pipeline, label, log)?
        };
        let predictions = self
            .inner
            .predict_with_model(&entry, &pipeline, records.records(), log)
            .map_err(js_error)?;
        interop::predictions_to_js(&predictions, &pipeline.classes, as_columns, js_ids)
    }

    /// Checks the registry offline (datasets re-hashed, models loaded, every logged
    /// prediction replayed, lineage); problems are listed in the report.
    #[wasm_bindgen(unchecked_return_type = "VerifyReport")]
    pub fn verify(&mut self, tolerance: Option<f64>) -> Result<JsValue, JsError> {
        let t = tolerance.unwrap_or(crate::verify::DEFAULT_TOLERANCE);
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
