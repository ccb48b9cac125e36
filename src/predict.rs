//! Predictions out: the result of one call in columns ([`Predictions`]) and the forms it is
//! written in: a JSON array (pretty, as the CLI prints it, or compact, as the wasm build hands
//! it to `JSON.parse`), JSON lines, CSV, and the JSON of one record's inputs and outputs as
//! the prediction log stores them. Records come in through [`crate::records`].
//!
//! Every writer formats numbers in `ryu`'s shortest round-trip form (the log's JSON through
//! `records::push_number`: `zmij`'s faster digits, written as `ryu` writes them) and
//! writes straight into one buffer: no value per record is built, which is what lets the CLI
//! print hundreds of thousands of predictions a second. Text that came from a file or a
//! caller (reference ids, class labels) is escaped for JSON and for terminals (DEL, C1 and
//! bidi controls as `\uXXXX`), and written as CSV for people (formula-like cells neutralised).

use serde::Serialize;

use crate::dataset::export::{json_escape_controls, write_people_record, Cell};
use crate::error::Result;
use crate::pipeline::batch::BatchOut;
use crate::pipeline::{Output, Pipeline};
use crate::records::{push_number, Batch, Records};

pub use crate::records::{BATCH_CELLS_BASE, BATCH_CELLS_PER_BYTE, MAX_BATCH_RECORDS};

/// The predictions of one call, in columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// One per record, or empty when no record has one: read them with
    /// [`Predictions::reference_id`].
    pub reference_ids: Vec<Option<String>>,
    /// The model's outputs.
    pub outputs: BatchOut,
}

/// One prediction, as returned and as logged.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The record's `reference_id`, if it had one.
    pub reference_id: Option<String>,
    /// The model output.
    pub output: Output,
}

/// Predicts records with a pipeline, outside any registry (nothing is logged): the records
/// are read against its signature and run as one batch.
pub fn predict(pipeline: &Pipeline, records: Records<'_>) -> Result<Predictions> {
    let mut batch = records.into_batch(pipeline)?;
    let outputs = run(pipeline, &batch)?;
    Ok(Predictions {
        reference_ids: batch.take_reference_ids(),
        outputs,
    })
}

/// Runs a batch through a pipeline; a record that cannot be predicted is an error locating it.
pub fn run(pipeline: &Pipeline, batch: &Batch<'_>) -> Result<BatchOut> {
    pipeline
        .predict_batch(&batch.view())
        .map_err(|e| batch.row_error(pipeline, e))
}

/// How predictions are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// A JSON array, one field per line (the CLI's default).
    Json,
    /// A compact JSON array on one line.
    JsonCompact,
    /// One compact JSON object per line.
    JsonLines,
    /// CSV for people: `reference_id`, `label` and one `proba_<class>` column per class (or
    /// `reference_id`, `value` for a regressor).
    Csv,
}

impl Predictions {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// Record `i`'s reference id, if it was given one.
    pub fn reference_id(&self, i: usize) -> Option<&str> {
        self.reference_ids.get(i).and_then(|r| r.as_deref())
    }

    /// Record `i`'s prediction (allocates its probabilities), or None past the end.
    pub fn get(&self, i: usize) -> Option<Prediction> {
        if i >= self.len() {
            return None;
        }
        Some(Prediction {
            reference_id: self.reference_id(i).map(str::to_owned),
            output: match &self.outputs {
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
    }

    /// Every prediction, one value per record.
    pub fn to_vec(&self) -> Vec<Prediction> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }

    /// The JSON of record `i`'s output, as logged: the probabilities array in class order,
    /// or the value.
    pub fn outputs_json(&self, i: usize, buf: &mut String) {
        outputs_json(&self.outputs, i, buf)
    }

    /// Writes the predictions in `format`, given the model's classes (empty for a
    /// regressor), appending to `out`. JSON forms end with a newline.
    pub fn write(&self, format: OutputFormat, classes: &[String], out: &mut Vec<u8>) {
        if format == OutputFormat::Csv {
            return self.write_csv(classes, out);
        }
        let keys: Vec<String> = classes.iter().map(|c| json_string(c)).collect();
        let mut ryu = ryu::Buffer::new();
        let (open, sep, close, pretty) = match format {
            OutputFormat::Json if self.is_empty() => ("[", "", "]\n", false),
            OutputFormat::Json => ("[\n", ",\n", "\n]\n", true),
            OutputFormat::JsonCompact => ("[", ",", "]", false),
            _ => ("", "\n", "\n", false),
        };
        if format == OutputFormat::JsonLines && self.is_empty() {
            return;
        }
        out.reserve(self.len() * (60 + 30 * classes.len()));
        out.extend_from_slice(open.as_bytes());
        // Pretty-printing as serde_json's `to_string_pretty` does, two spaces per level.
        let (nl1, nl2, colon) = if pretty {
            ("\n    ", "\n      ", ": ")
        } else {
            ("", "", ":")
        };
        for i in 0..self.len() {
            if i > 0 {
                out.extend_from_slice(sep.as_bytes());
            }
            if pretty {
                out.extend_from_slice(b"  {");
            } else {
                out.push(b'{');
            }
            out.extend_from_slice(nl1.as_bytes());
            out.extend_from_slice(b"\"reference_id\"");
            out.extend_from_slice(colon.as_bytes());
            match self.reference_id(i) {
                Some(r) => out.extend_from_slice(json_string(r).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
            out.extend_from_slice(nl1.as_bytes());
            out.extend_from_slice(b"\"results\"");
            out.extend_from_slice(colon.as_bytes());
            match &self.outputs {
                BatchOut::Classes {
                    n_classes,
                    proba,
                    labels,
                } => {
                    out.push(b'{');
                    let row = &proba[i * n_classes..(i + 1) * n_classes];
                    for (k, (key, x)) in keys.iter().zip(row).enumerate() {
                        if k > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(nl2.as_bytes());
                        out.extend_from_slice(key.as_bytes());
                        out.extend_from_slice(colon.as_bytes());
                        out.extend_from_slice(ryu.format(*x).as_bytes());
                    }
                    if pretty {
                        out.extend_from_slice(b"\n    }");
                    } else {
                        out.push(b'}');
                    }
                    out.push(b',');
                    out.extend_from_slice(nl1.as_bytes());
                    out.extend_from_slice(b"\"label\"");
                    out.extend_from_slice(colon.as_bytes());
                    out.extend_from_slice(keys[labels[i] as usize].as_bytes());
                }
                BatchOut::Values(v) => out.extend_from_slice(ryu.format(v[i]).as_bytes()),
            }
            if pretty {
                out.extend_from_slice(b"\n  }");
            } else {
                out.push(b'}');
            }
        }
        out.extend_from_slice(close.as_bytes());
    }

    fn write_csv(&self, classes: &[String], out: &mut Vec<u8>) {
        let mut ryu = ryu::Buffer::new();
        match &self.outputs {
            BatchOut::Classes {
                n_classes,
                proba,
                labels,
            } => {
                let header: Vec<String> = ["reference_id".to_string(), "label".to_string()]
                    .into_iter()
                    .chain(classes.iter().map(|c| format!("proba_{c}")))
                    .collect();
                let cells: Vec<Cell> = header.iter().map(|h| Cell::Text(h)).collect();
                write_people_record(out, &cells);
                let mut numbers: Vec<String> = vec![String::new(); *n_classes];
                for i in 0..self.len() {
                    for (s, x) in numbers
                        .iter_mut()
                        .zip(&proba[i * n_classes..(i + 1) * n_classes])
                    {
                        s.clear();
                        s.push_str(ryu.format(*x));
                    }
                    let mut cells = Vec::with_capacity(2 + n_classes);
                    cells.push(Cell::Text(self.reference_id(i).unwrap_or("")));
                    cells.push(Cell::Text(&classes[labels[i] as usize]));
                    cells.extend(numbers.iter().map(|s| Cell::Number(s)));
                    write_people_record(out, &cells);
                }
            }
            BatchOut::Values(v) => {
                write_people_record(out, &[Cell::Text("reference_id"), Cell::Text("value")]);
                for (i, x) in v.iter().enumerate() {
                    let r = self.reference_id(i).unwrap_or("");
                    write_people_record(out, &[Cell::Text(r), Cell::Number(ryu.format(*x))]);
                }
            }
        }
    }
}

/// The JSON of record `i`'s output, as logged: the probabilities array in class order, or
/// the value.
pub fn outputs_json(outputs: &BatchOut, i: usize, buf: &mut String) {
    let mut numbers = zmij::Buffer::new();
    buf.clear();
    match outputs {
        BatchOut::Classes {
            n_classes, proba, ..
        } => {
            buf.push('[');
            for (k, p) in proba[i * n_classes..(i + 1) * n_classes].iter().enumerate() {
                if k > 0 {
                    buf.push(',');
                }
                push_number(buf, &mut numbers, *p);
            }
            buf.push(']');
        }
        BatchOut::Values(v) => push_number(buf, &mut numbers, v[i]),
    }
}

/// `s` as a JSON string, safe on a terminal.
fn json_string(s: &str) -> String {
    let json = serde_json::to_string(s).expect("strings serialize");
    json_escape_controls(&json).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Predictions, Vec<String>) {
        let classes = vec!["a\"b".to_string(), "c\u{202e}".to_string()];
        let preds = Predictions {
            reference_ids: vec![Some("r\n1".into()), None],
            outputs: BatchOut::Classes {
                n_classes: 2,
                proba: vec![0.25, 0.75, 1.0, 5.545564421906914e-7],
                labels: vec![1, 0],
            },
        };
        (preds, classes)
    }

    fn slow(preds: &Predictions, classes: &[String]) -> Vec<PredictionJson> {
        preds.to_vec().iter().map(|p| p.to_json(classes)).collect()
    }

    #[test]
    fn every_json_form_equals_the_serde_form() {
        for (preds, classes) in [
            sample(),
            (
                Predictions {
                    reference_ids: vec![None, Some("7".into())],
                    outputs: BatchOut::Values(vec![-1.5e-7, 12.0]),
                },
                vec![],
            ),
        ] {
            let want = slow(&preds, &classes);
            // Pretty: byte for byte what serde_json writes (made terminal-safe).
            let mut out = Vec::new();
            preds.write(OutputFormat::Json, &classes, &mut out);
            let serde_pretty = serde_json::to_string_pretty(&want).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{}\n", json_escape_controls(&serde_pretty))
            );
            let mut out = Vec::new();
            preds.write(OutputFormat::JsonCompact, &classes, &mut out);
            let fast: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(fast, serde_json::to_value(&want).unwrap());
            let mut out = Vec::new();
            preds.write(OutputFormat::JsonLines, &classes, &mut out);
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(
                serde_json::Value::Array(lines),
                serde_json::to_value(&want).unwrap()
            );
        }
    }

    #[test]
    fn empty_predictions_are_an_empty_array() {
        let p = Predictions {
            reference_ids: vec![],
            outputs: BatchOut::Values(vec![]),
        };
        let mut out = Vec::new();
        p.write(OutputFormat::Json, &[], &mut out);
        assert_eq!(out, b"[]\n");
        out.clear();
        p.write(OutputFormat::JsonLines, &[], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn csv_names_the_classes_and_neutralises_formulas() {
        let p = Predictions {
            reference_ids: vec![Some("=cmd()".into()), None],
            outputs: BatchOut::Classes {
                n_classes: 2,
                proba: vec![0.25, 0.75, 1.0, 0.0],
                labels: vec![1, 0],
            },
        };
        let mut out = Vec::new();
        p.write(OutputFormat::Csv, &["x".into(), "@y".into()], &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "reference_id,label,proba_x,proba_@y\n\"'=cmd()\",\"'@y\",0.25,0.75\n,x,1.0,0.0\n"
        );
    }
}
