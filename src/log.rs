//! The prediction log as every door asks for it: a [`LogQuery`] names the model by reference
//! (an id, a name or name@version), which [`crate::Registry::log_for`] resolves into a
//! [`LogFilter`] before reading; [`to_csv`] writes the records as the CSV for people that
//! `mlops-lite log export` and the page's "Export CSV" give. Reading the log is
//! [`crate::store`]'s; this file holds no SQL.

use crate::dataset::export::{write_people_record, Cell};
use crate::store::{LogFilter, LogRecord};

/// Which logged records to read; every field narrows the answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogQuery {
    /// Only this model: an id, a name (its latest version) or name@version.
    pub model: Option<String>,
    /// Only this reference id.
    pub reference_id: Option<String>,
    /// Only calls at or after this UTC time (`YYYY-MM-DD[ HH:MM:SS]`).
    pub since: Option<String>,
    /// Only calls before this UTC time.
    pub until: Option<String>,
    /// Only the newest N records.
    pub limit: Option<i64>,
    /// Skip the newest N records first (with `limit`: a page, counted back from the newest).
    pub offset: Option<i64>,
}

impl LogQuery {
    /// The store's filter, with the model already resolved to its id.
    pub(crate) fn filter(&self, model_id: Option<i64>) -> LogFilter {
        LogFilter {
            model_id,
            reference_id: self.reference_id.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// The records as CSV for people: a header, then one line per record; inputs and outputs
/// as JSON text; formula-like text cells neutralised, numbers kept (see
/// [`crate::dataset::export`]).
pub fn to_csv(records: &[LogRecord]) -> String {
    let mut out = Vec::new();
    let header = [
        "call_id",
        "position",
        "created_at",
        "model",
        "model_version",
        "reference_id",
        "inputs",
        "outputs",
    ];
    write_people_record(&mut out, &header.map(Cell::Text));
    for r in records {
        let (call, position, version) = (
            r.call_id.to_string(),
            r.position.to_string(),
            r.model_version.to_string(),
        );
        let (inputs, outputs) = (r.inputs.to_string(), r.outputs.to_string());
        write_people_record(
            &mut out,
            &[
                Cell::Number(&call),
                Cell::Number(&position),
                Cell::Text(&r.created_at),
                Cell::Text(&r.model_name),
                Cell::Number(&version),
                Cell::Text(r.reference_id.as_deref().unwrap_or("")),
                Cell::Text(&inputs),
                Cell::Text(&outputs),
            ],
        );
    }
    String::from_utf8(out).expect("CSV of UTF-8 strings")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_numbers_and_neutralises_formula_text() {
        let record = LogRecord {
            call_id: 3,
            position: 0,
            created_at: "2026-01-02 03:04:05.678".into(),
            model_id: 1,
            model_name: "=1+2".into(),
            model_version: 2,
            reference_id: Some("-x, y".into()),
            inputs: serde_json::json!([6.3, null]),
            outputs: serde_json::json!([0.25, 0.75]),
        };
        assert_eq!(
            to_csv(&[record]),
            "call_id,position,created_at,model,model_version,reference_id,inputs,outputs\n\
             3,0,2026-01-02 03:04:05.678,\"'=1+2\",2,\"'-x, y\",\"[6.3,null]\",\"[0.25,0.75]\"\n"
        );
        assert_eq!(
            to_csv(&[]),
            "call_id,position,created_at,model,model_version,reference_id,inputs,outputs\n"
        );
    }
}
