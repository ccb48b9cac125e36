//! Offline checks of a shared registry: `verify` re-hashes every dataset and recomputes its
//! column metadata, re-hashes and loads every model, replays every logged prediction through
//! its model version and compares the outputs, and checks every model's lineage;
//! `reproduce` retrains a model from its embedded dataset and stored spec and compares the
//! artifacts. Both report what differs, naming the row.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;

use crate::error::Result;
use crate::pipeline::preprocess::{RowInput, Scratch};
use crate::pipeline::{self, Lineage, Output, Pipeline};
use crate::registry::{md5_hex, Registry};
use crate::store::LogFilter;

/// One failed check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Which check: `dataset`, `columns`, `model`, `prediction`, `lineage`.
    pub check: String,
    /// What failed, e.g. `dataset iris@1 (id 1, table data_1)` or `prediction call 3 position 0`.
    pub item: String,
    /// What is wrong.
    pub detail: String,
}

/// The result of [`Registry::verify`].
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct VerifyReport {
    /// Datasets checked, and how many matched their md5 and column metadata.
    pub datasets: u64,
    /// Datasets that passed.
    pub datasets_ok: u64,
    /// Models checked (artifact md5, format, loadable).
    pub models: u64,
    /// Models that passed.
    pub models_ok: u64,
    /// Logged prediction records replayed.
    pub predictions: u64,
    /// Replayed records whose outputs were reproduced (bit for bit, or within `tolerance`).
    pub predictions_ok: u64,
    /// Replayed records reproduced bit for bit.
    pub predictions_identical: u64,
    /// The largest absolute difference between a logged and a replayed output.
    pub max_abs_diff: f64,
    /// The tolerance a difference must stay within to count as reproduced.
    pub tolerance: f64,
    /// Loadable models whose training dataset was checked.
    pub lineage: u64,
    /// Lineages that passed.
    pub lineage_ok: u64,
    /// Every failed check.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when every check passed.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The result of [`Registry::reproduce`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReproduceReport {
    /// `name@version` of the model.
    pub model: String,
    /// md5 of the stored artifact.
    pub stored_md5: String,
    /// md5 of the artifact trained again.
    pub reproduced_md5: String,
    /// True when the two artifacts are the same bytes.
    pub identical: bool,
    /// The stored held-out metrics.
    pub stored_metrics: pipeline::metrics::Metrics,
    /// The metrics of the retrained model.
    pub reproduced_metrics: pipeline::metrics::Metrics,
    /// The top-level artifact fields that differ (empty when identical).
    pub differences: Vec<String>,
}

/// The default tolerance of `verify`: outputs replayed by another build (native against
/// WebAssembly) may differ in the last bits of a probability.
pub const DEFAULT_TOLERANCE: f64 = 1e-12;

impl Registry {
    /// Checks the whole registry offline; see the module docs. Problems are listed in the
    /// report, not returned as errors: only a registry that cannot be read at all errors.
    pub fn verify(&mut self, tolerance: f64) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            tolerance,
            ..Default::default()
        };
        let problem = |report: &mut VerifyReport, check: &str, item: String, detail: String| {
            report.problems.push(Problem {
                check: check.into(),
                item,
                detail,
            })
        };

        // Datasets: content against its md5, then the column metadata recomputed.
        for d in self.list_datasets()? {
            report.datasets += 1;
            let item = format!(
                "dataset {}@{} (id {}, table {})",
                d.name, d.version, d.id, d.data_table
            );
            let data = match self.db().read_dataset(&d, self.label()) {
                Ok(data) => data,
                Err(e) => {
                    problem(&mut report, "dataset", item, e.to_string());
                    continue;
                }
            };
            let md5 = data.md5();
            if md5 != d.md5 {
                let rows = self.differing_rows(d.id, &data)?;
                problem(
                    &mut report,
                    "dataset",
                    item,
                    format!(
                        "its rows no longer match its md5 (stored {}, content {md5}){rows}",
                        d.md5
                    ),
                );
                continue;
            }
            let stored = self.db().column_infos(d.id)?;
            let fresh = data.column_info();
            let mut ok = true;
            for (s, f) in stored.iter().zip(&fresh) {
                if serde_json::to_value(s).ok() != serde_json::to_value(f).ok() {
                    ok = false;
                    problem(
                        &mut report,
                        "columns",
                        format!("{item}, column {:?}", s.column_name),
                        format!(
                            "stored metadata {} differs from the recomputed {}",
                            serde_json::to_string(s).unwrap_or_default(),
                            serde_json::to_string(f).unwrap_or_default()
                        ),
                    );
                }
            }
            if stored.len() != fresh.len() {
                ok = false;
                problem(
                    &mut report,
                    "columns",
                    item,
                    "the column metadata lists another number of columns".into(),
                );
            }
            report.datasets_ok += ok as u64;
        }

        // Models: artifact md5, format and consistency (loading checks them); lineage.
        let mut pipelines: BTreeMap<i64, Rc<Pipeline>> = BTreeMap::new();
        for m in self.list_models()? {
            report.models += 1;
            let item = format!("model {}@{} (id {})", m.name, m.version, m.id);
            match self.pull_model(&m.id.to_string()) {
                Ok((_, p, _)) => {
                    report.models_ok += 1;
                    report.lineage += 1;
                    report.lineage_ok += 1;
                    pipelines.insert(m.id, p);
                }
                // The artifact loaded but its training dataset is missing or changed.
                Err(e) if e.to_string().contains("training dataset") => {
                    report.models_ok += 1;
                    report.lineage += 1;
                    problem(&mut report, "lineage", item, e.to_string());
                }
                Err(e) => problem(&mut report, "model", item, e.to_string()),
            }
        }

        // The log: every record replayed through its model version.
        let log = self.log(&LogFilter::default())?;
        let mut scratch = Scratch::default();
        let (mut feats, mut proba) = (Vec::new(), Vec::new());
        for r in &log {
            report.predictions += 1;
            let item = format!(
                "prediction call {} position {} (model {}@{})",
                r.call_id, r.position, r.model_name, r.model_version
            );
            let Some(p) = pipelines.get(&r.model_id) else {
                problem(
                    &mut report,
                    "prediction",
                    item,
                    "its model could not be loaded; see the model problem".into(),
                );
                continue;
            };
            let replayed = match replay(p, &r.inputs, &mut scratch, &mut feats, &mut proba) {
                Ok(o) => o,
                Err(e) => {
                    problem(
                        &mut report,
                        "prediction",
                        item,
                        format!("its inputs cannot be replayed: {e}"),
                    );
                    continue;
                }
            };
            let logged: Vec<f64> = match &r.outputs {
                serde_json::Value::Array(a) => {
                    a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect()
                }
                v => vec![v.as_f64().unwrap_or(f64::NAN)],
            };
            let fresh: Vec<f64> = match &replayed {
                Output::Classes { proba, .. } => proba.clone(),
                Output::Value(v) => vec![*v],
            };
            if logged.len() != fresh.len() {
                problem(
                    &mut report,
                    "prediction",
                    item,
                    format!(
                        "logged {} outputs, the model gives {}",
                        logged.len(),
                        fresh.len()
                    ),
                );
                continue;
            }
            let diff = logged
                .iter()
                .zip(&fresh)
                .map(|(a, b)| {
                    if a.is_nan() {
                        f64::INFINITY
                    } else {
                        (a - b).abs()
                    }
                })
                .fold(0.0, f64::max);
            report.max_abs_diff = report.max_abs_diff.max(diff);
            if logged
                .iter()
                .zip(&fresh)
                .all(|(a, b)| a.to_bits() == b.to_bits())
            {
                report.predictions_identical += 1;
                report.predictions_ok += 1;
            } else if diff <= tolerance {
                report.predictions_ok += 1;
            } else {
                problem(
                    &mut report,
                    "prediction",
                    item,
                    format!(
                        "logged outputs {} but the model gives {} (difference {diff:e}, tolerance {tolerance:e})",
                        r.outputs,
                        serde_json::to_string(&fresh).unwrap_or_default()
                    ),
                );
            }
        }
        Ok(report)
    }

    /// For a dataset whose content md5 changed: the rows whose stored row hashes (when the
    /// registry has them) no longer match, as text for the report.
    fn differing_rows(&self, dataset_id: i64, data: &crate::dataset::Dataset) -> Result<String> {
        let Some((size, stored)) = self.db().row_hashes(dataset_id)? else {
            return Ok(
                "; it was bound before format 4, without row hashes, so the rows cannot be named"
                    .into(),
            );
        };
        let (fresh_size, fresh) = data.row_hashes();
        if fresh_size != size || fresh.len() != stored.len() {
            return Ok("; its row hashes do not match its shape".into());
        }
        let rows: Vec<String> = stored
            .iter()
            .zip(&fresh)
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| {
                let (first, last) = (i * size + 1, ((i + 1) * size).min(data.rows()));
                if first == last {
                    format!("row {first}")
                } else {
                    format!("rows {first}-{last}")
                }
            })
            .collect();
        Ok(if rows.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = rows.iter().take(10).map(String::as_str).collect();
            format!(
                "; changed: {}{}",
                shown.join(", "),
                if rows.len() > 10 {
                    format!(" and {} more", rows.len() - 10)
                } else {
                    String::new()
                }
            )
        })
    }

    /// Retrains a model from its embedded training dataset and stored spec (seed included)
    /// and compares the new artifact with the stored one.
    pub fn reproduce(&mut self, model_ref: &str) -> Result<ReproduceReport> {
        let (entry, stored, dataset) = self.pull_model(model_ref)?;
        let (_, data) = self.pull_dataset(&dataset.id.to_string())?;
        let again = pipeline::train(
            &data,
            &stored.spec,
            Lineage {
                name: stored.dataset.name.clone(),
                version: stored.dataset.version,
                md5: stored.dataset.md5.clone(),
            },
        )?;
        let a = stored.to_artifact();
        let b = again.to_artifact();
        let mut differences = Vec::new();
        if a != b {
            let va: serde_json::Value = serde_json::from_slice(&a).unwrap_or_default();
            let vb: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
            if let (Some(oa), Some(ob)) = (va.as_object(), vb.as_object()) {
                for (k, x) in oa {
                    if ob.get(k) != Some(x) {
                        differences.push(k.clone());
                    }
                }
            }
        }
        Ok(ReproduceReport {
            model: format!("{}@{}", entry.name, entry.version),
            stored_md5: entry.artifact_md5.clone(),
            reproduced_md5: md5_hex(&b),
            identical: a == b,
            stored_metrics: stored.metrics.clone(),
            reproduced_metrics: again.metrics.clone(),
            differences,
        })
    }
}

/// Runs a logged inputs array (values in signature order) through a pipeline.
fn replay(
    p: &Pipeline,
    inputs: &serde_json::Value,
    scratch: &mut Scratch,
    feats: &mut Vec<f64>,
    proba: &mut Vec<f64>,
) -> std::result::Result<Output, String> {
    let values = inputs.as_array().ok_or("the inputs are not a JSON array")?;
    if values.len() != p.signature.len() {
        return Err(format!(
            "{} inputs for {} features",
            values.len(),
            p.signature.len()
        ));
    }
    let mut numbers = vec![f64::NAN; values.len()];
    let mut strings: Vec<Option<&str>> = vec![None; values.len()];
    for (j, (v, f)) in values.iter().zip(&p.signature).enumerate() {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) if f.is_string() => strings[j] = Some(s),
            serde_json::Value::Bool(b) if !f.is_string() => numbers[j] = *b as u8 as f64,
            serde_json::Value::Number(n) if !f.is_string() => {
                numbers[j] = n.as_f64().unwrap_or(f64::NAN)
            }
            other => {
                return Err(format!(
                    "value {other} does not fit feature {:?} ({})",
                    f.name, f.dtype
                ))
            }
        }
    }
    p.predict_row(
        &RowInput {
            numbers: &numbers,
            strings: &strings,
        },
        scratch,
        feats,
        proba,
    )
    .map_err(|e| format!("feature {:?} {}", p.signature[e.feature].name, e.message))
}
