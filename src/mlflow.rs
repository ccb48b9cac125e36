//! MLflow's scoring protocol (`POST /invocations` of `mlflow models serve`): its request
//! payloads read into the JSON records every door predicts, and its answer written.
//!
//! Payloads (one top-level key, as MLflow 2 accepts them):
//! - `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}` (pandas' `split`
//!   orientation; `index` is ignored);
//! - `{"dataframe_records": [{...}, ...]}`;
//! - `{"instances": [...]}` and `{"inputs": [...]}`: records as objects, or rows as arrays in
//!   the model's signature order; `inputs` also takes one object of columns
//!   (`{"inputs": {"feature": [values...]}}`).
//!
//! The answer is `{"predictions": [...]}`: the predicted labels of a classifier (numbers or
//! booleans when its target was, as scikit-learn's `predict` gives them), a regressor's
//! values. Errors name the payload's key and the row (`dataframe_split.data[3]`) and are
//! [`Error::Input`] like every other bad record.

use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};
use crate::pipeline::{Output, Pipeline};
use crate::predict::Predictions;

/// How errors name the request body.
const SOURCE: &str = "<request body>";

fn bad(message: String) -> Error {
    Error::Input {
        source: SOURCE.into(),
        location: Location::default(),
        message,
    }
}

/// The JSON records (an array of objects) that an MLflow payload holds, for
/// [`crate::records::Records::json`]; `pipeline` gives the feature order of rows sent as
/// arrays.
pub fn records_json(payload: &[u8], pipeline: &Pipeline) -> Result<Vec<u8>> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| {
        bad(format!(
            "not JSON ({e}); send an MLflow payload: dataframe_split, dataframe_records, \
             instances or inputs"
        ))
    })?;
    let Value::Object(top) = value else {
        return Err(bad(
            "the payload must be a JSON object with one key: dataframe_split, \
             dataframe_records, instances or inputs"
                .into(),
        ));
    };
    if top.len() != 1 {
        let keys: Vec<&String> = top.keys().collect();
        return Err(bad(format!(
            "the payload must have exactly one key (dataframe_split, dataframe_records, \
             instances or inputs); it has {keys:?}"
        )));
    }
    let (key, body) = top.into_iter().next().expect("one key");
    let names: Vec<&str> = pipeline.signature.iter().map(|f| f.name.as_str()).collect();
    let records = match key.as_str() {
        "dataframe_split" => split(body)?,
        "dataframe_records" => rows("dataframe_records", body, &names)?,
        "instances" => rows("instances", body, &names)?,
        "inputs" => match body {
            Value::Object(columns) => columns_to_records(columns, "inputs.")?,
            other => rows("inputs", other, &names)?,
        },
        other => {
            return Err(bad(format!(
                "unknown payload key {other:?}; MLflow's are dataframe_split, \
                 dataframe_records, instances and inputs"
            )))
        }
    };
    Ok(serde_json::to_vec(&Value::Array(records)).expect("JSON values serialize"))
}

/// `{"columns": [...], "data": [[...]]}` into records.
fn split(body: Value) -> Result<Vec<Value>> {
    let Value::Object(mut split) = body else {
        return Err(bad(
            "dataframe_split must be an object with \"columns\" and \"data\"".into(),
        ));
    };
    let columns = match split.remove("columns") {
        Some(Value::Array(c)) => c
            .into_iter()
            .enumerate()
            .map(|(i, c)| match c {
                Value::String(s) => Ok(s),
                other => Err(bad(format!(
                    "dataframe_split.columns[{i}] is {other}, not a column name"
                ))),
            })
            .collect::<Result<Vec<String>>>()?,
        _ => {
            return Err(bad(
                "dataframe_split.columns is missing or not an array of names".into(),
            ))
        }
    };
    let Some(Value::Array(data)) = split.remove("data") else {
        return Err(bad(
            "dataframe_split.data is missing or not an array of rows".into(),
        ));
    };
    data.into_iter()
        .enumerate()
        .map(|(i, row)| zip_row(&format!("dataframe_split.data[{i}]"), &columns, row))
        .collect()
}

/// A row given as an array, named by `columns`.
fn zip_row<S: AsRef<str>>(at: &str, columns: &[S], row: Value) -> Result<Value> {
    let Value::Array(values) = row else {
        return Err(bad(format!("{at} is not an array of values")));
    };
    if values.len() != columns.len() {
        return Err(bad(format!(
            "{at} has {} values for {} columns",
            values.len(),
            columns.len()
        )));
    }
    Ok(Value::Object(
        columns
            .iter()
            .map(|c| c.as_ref().to_string())
            .zip(values)
            .collect(),
    ))
}

/// An array of records (objects) or rows (arrays in signature order).
fn rows(key: &str, body: Value, names: &[&str]) -> Result<Vec<Value>> {
    let Value::Array(items) = body else {
        return Err(bad(format!(
            "{key} must be an array of records (objects) or rows (arrays)"
        )));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(_) => Ok(item),
            Value::Array(_) => zip_row(&format!("{key}[{i}]"), names, item),
            other => Err(bad(format!(
                "{key}[{i}] is {other}, not a record (object) or a row (array)"
            ))),
        })
        .collect()
}

/// `{"feature": [values...], ...}` (columns of equal length) into records.
/// `what` names a column in errors (`inputs.` + name).
fn columns_to_records(columns: Map<String, Value>, what: &str) -> Result<Vec<Value>> {
    let mut len = None;
    let mut cols = Vec::with_capacity(columns.len());
    for (name, values) in columns {
        let Value::Array(values) = values else {
            return Err(bad(format!(
                "{what}{name} must be an array of values (one per record)"
            )));
        };
        match len {
            None => len = Some(values.len()),
            Some(n) if n != values.len() => {
                return Err(bad(format!(
                    "{what}{name} has {} values; the columns before it have {n}",
                    values.len()
                )))
            }
            _ => {}
        }
        cols.push((name, values.into_iter()));
    }
    let n = len.unwrap_or(0);
    Ok((0..n)
        .map(|_| {
            Value::Object(
                cols.iter_mut()
                    .map(|(name, values)| (name.clone(), values.next().expect("equal lengths")))
                    .collect(),
            )
        })
        .collect())
}

/// Records sent as columns, `{"feature": [values...], ..., "reference_id": [...]}` (arrays
/// of one length), as JSON records for [`crate::records::Records::json`]: what
/// `POST /api/models/{ref}/predict` takes besides records and CSV. Errors name the column.
pub fn columns_json(payload: &[u8]) -> Result<Vec<u8>> {
    let columns = match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(columns)) => columns,
        Ok(_) => return Err(bad("columns must be one JSON object of arrays".into())),
        Err(e) => return Err(bad(format!("not JSON ({e})"))),
    };
    let records = columns_to_records(columns, "column ")?;
    Ok(serde_json::to_vec(&Value::Array(records)).expect("JSON values serialize"))
}

/// `{"predictions": [...]}` for MLflow clients.
pub fn predictions_json(predictions: &Predictions, pipeline: &Pipeline) -> Vec<u8> {
    let label = |k: usize| -> Value {
        let text = pipeline.classes.get(k).cloned().unwrap_or_default();
        match pipeline.target_dtype.to_ascii_lowercase().as_str() {
            "int64" | "integer" => text.parse::<i64>().map(Value::from).unwrap_or(text.into()),
            "boolean" | "bool" => match text.as_str() {
                "true" | "True" => Value::Bool(true),
                "false" | "False" => Value::Bool(false),
                _ => text.into(),
            },
            _ => text.into(),
        }
    };
    let values: Vec<Value> = (0..predictions.len())
        .filter_map(|i| predictions.get(i))
        .map(|p| match p.output {
            Output::Classes { label: k, .. } => label(k),
            Output::Value(v) => serde_json::Number::from_f64(v)
                .map(Value::Number)
                .unwrap_or(Value::Null),
        })
        .collect();
    let mut out = Map::new();
    out.insert("predictions".into(), Value::Array(values));
    serde_json::to_vec(&Value::Object(out)).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::samples;
    use crate::records::Records;
    use crate::{Registry, TrainRequest};
    use std::rc::Rc;

    /// A model of two features, `a` and `b` (a regressor of `t`).
    fn two_features() -> (Registry, Rc<Pipeline>) {
        let mut reg = Registry::open_in_memory().unwrap();
        let csv = b"a,b,t\n1,2,3.1\n2,1,3.2\n3,3,6.1\n4,1,5.2\n5,2,7.1\n6,4,9.9\n7,1,8.2\n8,3,11.1\n9,2,11.2\n10,5,15.3\n";
        let input = crate::dataset::import::Input::Bytes {
            bytes: csv,
            label: "t.csv",
        };
        let data = crate::dataset::import::read(
            input,
            crate::dataset::import::Format::Csv,
            &mut |_, _| {},
        )
        .unwrap();
        reg.bind_dataset(&data, "d", "").unwrap();
        let request = TrainRequest {
            dataset: "d".into(),
            name: "m".into(),
            target: Some("t".into()),
            ..TrainRequest::default()
        };
        reg.train_and_bind(&request).unwrap();
        let (_, p) = reg.resolve_model("m").unwrap();
        (reg, p)
    }

    #[test]
    fn every_payload_shape_gives_the_same_records() {
        let (_, p) = two_features();
        let want: Value = serde_json::json!([{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]);
        for payload in [
            r#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 2.0], [3.0, 4.0]], "index": [0, 1]}}"#,
            r#"{"dataframe_records": [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]}"#,
            r#"{"instances": [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]}"#,
            r#"{"instances": [[1.0, 2.0], [3.0, 4.0]]}"#,
            r#"{"inputs": [[1.0, 2.0], [3.0, 4.0]]}"#,
            r#"{"inputs": {"a": [1.0, 3.0], "b": [2.0, 4.0]}}"#,
        ] {
            let got: Value =
                serde_json::from_slice(&records_json(payload.as_bytes(), &p).unwrap()).unwrap();
            assert_eq!(got, want, "{payload}");
        }
    }

    #[test]
    fn answers_hold_labels_or_values() {
        let (_, p) = two_features();
        let records = records_json(br#"{"inputs": [[1, 2], [4, 1]]}"#, &p).unwrap();
        let predictions = crate::predict::predict(&p, Records::json(&records, "x")).unwrap();
        let got: Value = serde_json::from_slice(&predictions_json(&predictions, &p)).unwrap();
        let values = got["predictions"].as_array().unwrap();
        assert_eq!(values.len(), 2);
        assert!(values.iter().all(Value::is_f64), "{got}");

        let mut reg = Registry::open_in_memory().unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let request = TrainRequest {
            dataset: "iris".into(),
            name: "iris".into(),
            target: Some("target".into()),
            ..TrainRequest::default()
        };
        reg.train_and_bind(&request).unwrap();
        let (_, p) = reg.resolve_model("iris").unwrap();
        let records = records_json(br#"{"instances": [[5.1, 3.5, 1.4, 0.2]]}"#, &p).unwrap();
        let predictions = crate::predict::predict(&p, Records::json(&records, "x")).unwrap();
        let got: Value = serde_json::from_slice(&predictions_json(&predictions, &p)).unwrap();
        assert_eq!(got, serde_json::json!({"predictions": ["setosa"]}));
    }

    #[test]
    fn columns_are_records() {
        let got: Value = serde_json::from_slice(
            &columns_json(br#"{"a": [1, 3], "b": [2, null], "reference_id": ["x", "y"]}"#).unwrap(),
        )
        .unwrap();
        assert_eq!(
            got,
            serde_json::json!([{"a": 1, "b": 2, "reference_id": "x"}, {"a": 3, "b": null, "reference_id": "y"}])
        );
        for (payload, says) in [
            (
                &br#"{"a": [1], "b": [1, 2]}"#[..],
                "column b has 2 values; the columns before it have 1",
            ),
            (br#"{"a": 1}"#, "column a must be an array"),
            (b"[1]", "one JSON object of arrays"),
            (b"{", "not JSON"),
        ] {
            let text = columns_json(payload).unwrap_err().to_string();
            assert!(text.contains(says), "{text}");
        }
    }

    #[test]
    fn bad_payloads_name_the_key_and_row() {
        let (_, p) = two_features();
        for (payload, says) in [
            ("[]", "JSON object with one key"),
            ("{}", "exactly one key"),
            (r#"{"a": 1, "b": 2}"#, "exactly one key"),
            (r#"{"records": []}"#, "unknown payload key \"records\""),
            (
                r#"{"dataframe_split": {"data": []}}"#,
                "dataframe_split.columns",
            ),
            (
                r#"{"dataframe_split": {"columns": ["a"]}}"#,
                "dataframe_split.data",
            ),
            (
                r#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}"#,
                "dataframe_split.data[1] has 1 values for 2 columns",
            ),
            (r#"{"instances": [{"a": 1}, 7]}"#, "instances[1] is 7"),
            (
                r#"{"instances": [[1, 2, 3]]}"#,
                "instances[0] has 3 values for 2 columns",
            ),
            (
                r#"{"inputs": {"a": [1, 2], "b": [1]}}"#,
                "inputs.b has 1 values",
            ),
            (r#"{"inputs": {"a": 1}}"#, "inputs.a must be an array"),
            ("{", "not JSON"),
        ] {
            let err = records_json(payload.as_bytes(), &p).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(says), "{payload}: {text}");
            assert!(text.contains("<request body>"), "{text}");
        }
    }
}
