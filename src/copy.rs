//! `copy`: datasets, models and their logs from one registry into another, across backends
//! (a SQLite file and PostgreSQL, in both directions).
//!
//! Ids may change; names, versions, md5s, descriptions, creation times and lineage are kept.
//! Everything is written in one transaction on the target, and before it commits every copied
//! dataset is read back and re-hashed and every artifact re-hashed: a copy that fails, or is
//! interrupted (a lost connection, a killed process), leaves the target exactly as it was.
//! What is already in the target under the same name, version and md5 is not written again,
//! so a copy can be repeated (a logged call counts as there when an equal one is, time,
//! latency and every record alike); the same name and version with other content is refused.
//! The `legacy_*` tables of imported Python registries are not copied (their models are not
//! runnable; their datasets are ordinary datasets and are).
//!
//! The source is not trusted: every dataset is read and re-hashed and every artifact
//! re-hashed and loaded (format, consistency, lineage) before anything is written, and an item
//! whose rows or artifact no longer match its md5, whose name is not valid, or (with the log)
//! whose logged call is incomplete is refused with an error naming it. Only the content and
//! what a person wrote (name, version, description, creation time, the log's records) come
//! from the source: everything derived (shape, column statistics, row hashes; a model's
//! target, estimator class and type, metrics, signature, classes, artifact format and writer
//! versions) is computed again from the checked rows and artifact, and source fingerprints
//! are not carried (they describe bytes the target never saw).

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::pipeline::Pipeline;
use crate::registry::Registry;
use crate::store::{DatasetEntry, LoggedCall, ModelEntry, NewDataset, NewModel};

/// What to copy. Empty `datasets` and `models` copy the whole registry.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Dataset references (`id`, `name`, `name@version`).
    pub datasets: Vec<String>,
    /// Model references; each brings its training dataset.
    pub models: Vec<String>,
    /// Also copy the prediction log of the copied models.
    pub with_log: bool,
}

/// One dataset or model version and what the copy did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopiedItem {
    /// Name.
    pub name: String,
    /// Version (the same in both registries).
    pub version: i64,
    /// md5 of the content (datasets) or artifact (models), recomputed in the target.
    pub md5: String,
    /// Its id in the source.
    pub from_id: i64,
    /// Its id in the target.
    pub to_id: i64,
    /// False when the target already held it (same name, version and md5).
    pub written: bool,
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// The source registry.
    pub from: String,
    /// The target registry.
    pub to: String,
    /// Dataset versions, by source id.
    pub datasets: Vec<CopiedItem>,
    /// Model versions, by source id.
    pub models: Vec<CopiedItem>,
    /// Logged calls written.
    pub calls_written: u64,
    /// Logged records written.
    pub records_written: u64,
    /// Logged calls the target already held.
    pub calls_already_there: u64,
    /// md5s recomputed in the target and matched before the commit.
    pub md5s_verified: u64,
}

/// The error for a source item that cannot be copied: it names the item and the source.
fn refuse(from: &str, what: &str, name: &str, version: i64, e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!(
        "cannot copy {what} {name:?}@{version} from {from}: {e}; nothing was copied \
         (`mlops-lite verify` on the source lists every problem)"
    ))
}

/// A source item's name and creation time must be ones this registry writes.
fn check_item(name: &str, created_at: &str) -> Result<()> {
    crate::registry::check_name(name)?;
    crate::store::check_time(created_at)
        .map(|_| ())
        .map_err(|_| Error::InvalidArgument(format!("its created_at {created_at:?} is not a time")))
}

/// A source's logged call: a time, and records whose inputs and outputs are JSON.
fn check_call(call: &LoggedCall) -> Result<()> {
    if crate::store::check_time(&call.created_at).is_err() {
        return Err(Error::InvalidArgument(format!(
            "a logged call's created_at {:?} is not a time",
            call.created_at
        )));
    }
    for r in &call.records {
        // Outputs are numbers as the log writes them (a non-finite one as `NaN` or `inf`).
        let inputs_ok = serde_json::from_str::<serde::de::IgnoredAny>(&r.inputs).is_ok();
        let outputs_ok = crate::verify::logged_outputs(&r.outputs).is_ok();
        for (what, ok) in [("inputs", inputs_ok), ("outputs", outputs_ok)] {
            if !ok {
                return Err(Error::InvalidArgument(format!(
                    "the {what} of record {} of its call logged at {} are not JSON",
                    r.position, call.created_at
                )));
            }
        }
    }
    Ok(())
}

/// Copies `selection` from `from` into the registry at `to` (a file, created when missing,
/// or a `postgres://` URL). A file created here is removed again when the copy fails: a
/// failed copy leaves no half-made registry behind.
#[cfg(not(target_arch = "wasm32"))]
pub fn copy_to(
    from: &mut Registry,
    to: &std::path::Path,
    selection: &Selection,
) -> Result<CopyReport> {
    let existed = to.exists();
    let report = Registry::open(to).and_then(|mut target| copy(from, &mut target, selection));
    if report.is_err() && !existed {
        crate::store::remove_db_files(to);
    }
    report
}

/// Copies `selection` from `from` into `to`; see the module docs.
pub fn copy(from: &mut Registry, to: &mut Registry, selection: &Selection) -> Result<CopyReport> {
    // What to copy, by source id (so versions go in in their order).
    let mut datasets: BTreeMap<i64, DatasetEntry> = BTreeMap::new();
    let mut models: BTreeMap<i64, ModelEntry> = BTreeMap::new();
    if selection.datasets.is_empty() && selection.models.is_empty() {
        datasets.extend(from.list_datasets()?.into_iter().map(|d| (d.id, d)));
        models.extend(from.list_models()?.into_iter().map(|m| (m.id, m)));
    } else {
        for r in &selection.datasets {
            let d = from.dataset(r)?;
            datasets.insert(d.id, d);
        }
        for r in &selection.models {
            let m = from.model(r)?;
            models.insert(m.id, m);
        }
    }
    // Each model brings its training dataset; each is checked first: the artifact's md5,
    // its format and consistency (loading), its lineage. Every derived column of the copy is
    // written from the loaded artifact, never from the source's columns.
    let mut pipelines: BTreeMap<i64, (Rc<Pipeline>, DatasetEntry)> = BTreeMap::new();
    for m in models.values() {
        let (_, p, d) = from
            .pull_model(&m.id.to_string())
            .map_err(|e| refuse(from.label(), "model", &m.name, m.version, e))?;
        datasets.insert(d.id, d.clone());
        pipelines.insert(m.id, (p, d));
    }
    let from_label = from.label().to_string();
    let to_label = to.label().to_string();
    let source = &*from;
    let conflict = |what: &str, name: &str, version: i64, theirs: &str, ours: &str| {
        Error::InvalidArgument(format!(
            "cannot copy {what} {name}@{version}: {to_label} already holds {name}@{version} with \
             other content (md5 {theirs}; the copy's is {ours}); nothing was copied. Copy into \
             another registry, or leave that {what} out"
        ))
    };

    to.db_mut().write(|tx| {
        let mut report = CopyReport {
            from: from_label.clone(),
            to: to_label.clone(),
            datasets: Vec::new(),
            models: Vec::new(),
            calls_written: 0,
            records_written: 0,
            calls_already_there: 0,
            md5s_verified: 0,
        };
        let mut dataset_ids: BTreeMap<i64, i64> = BTreeMap::new();
        for d in datasets.values() {
            check_item(&d.name, &d.created_at)
                .map_err(|e| refuse(&from_label, "dataset", &d.name, d.version, e))?;
            // The source's rows are read and re-hashed first: a source whose rows no longer
            // match their md5 is refused, even when the target already holds that md5.
            let (_, data) = source
                .pull_dataset(&d.id.to_string())
                .map_err(|e| refuse(&from_label, "dataset", &d.name, d.version, e))?;
            tx.lock_name("dataset", &d.name)?;
            let (to_id, written) = match tx.dataset_by_name(&d.name, Some(d.version))? {
                Some(there) if there.md5 == d.md5 => (there.id, false),
                Some(there) => {
                    return Err(conflict("dataset", &d.name, d.version, &there.md5, &d.md5))
                }
                None => {
                    // Everything derived (shape, column statistics, row hashes) is computed
                    // again from the rows by the insert; the source's fingerprint is not
                    // carried: it described bytes the target never saw.
                    let new = NewDataset {
                        name: &d.name,
                        description: &d.description,
                        md5: &d.md5,
                        source_format: None,
                        source_fingerprint: None,
                        created_at: Some(&d.created_at),
                    };
                    let entry = tx.insert_dataset(&new, &data, Some(d.version))?;
                    drop(data);
                    // Read back and re-hash before the commit.
                    let back = tx.read_dataset(&entry, &to_label)?;
                    let md5 = back.md5();
                    if md5 != d.md5 {
                        return Err(Error::Corrupt {
                            path: to_label.clone(),
                            reason: format!(
                                "dataset {}@{} read back with md5 {md5} instead of {}; the copy \
                                 was rolled back",
                                d.name, d.version, d.md5
                            ),
                        });
                    }
                    report.md5s_verified += 1;
                    (entry.id, true)
                }
            };
            dataset_ids.insert(d.id, to_id);
            report.datasets.push(CopiedItem {
                name: d.name.clone(),
                version: d.version,
                md5: d.md5.clone(),
                from_id: d.id,
                to_id,
                written,
            });
        }
        for m in models.values() {
            check_item(&m.name, &m.created_at)
                .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?;
            let Some((p, trained_on)) = pipelines.get(&m.id) else {
                continue; // Every selected model was loaded above.
            };
            let artifact = source
                .db()
                .model_artifact(m.id)
                .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?;
            let artifact_md5 = crate::registry::md5_hex(&artifact);
            if artifact_md5 != m.artifact_md5 {
                return Err(refuse(
                    &from_label,
                    "model",
                    &m.name,
                    m.version,
                    format!(
                        "its artifact no longer matches its md5 (stored {}, content {artifact_md5})",
                        m.artifact_md5
                    ),
                ));
            }
            let Some(&to_dataset) = dataset_ids.get(&trained_on.id) else {
                return Err(refuse(
                    &from_label,
                    "model",
                    &m.name,
                    m.version,
                    format!("its training dataset (id {}) was not copied", trained_on.id),
                ));
            };
            tx.lock_name("model", &m.name)?;
            let (to_id, written) = match tx.model_by_name(&m.name, Some(m.version))? {
                Some(there) if there.artifact_md5 == artifact_md5 => (there.id, false),
                Some(there) => {
                    return Err(conflict(
                        "model",
                        &m.name,
                        m.version,
                        &there.artifact_md5,
                        &artifact_md5,
                    ))
                }
                None => {
                    let (metrics, signature, classes) = (
                        serde_json::to_string(&p.metrics)
                            .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?,
                        serde_json::to_string(&p.signature)
                            .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?,
                        serde_json::to_string(&p.classes)
                            .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?,
                    );
                    let new = NewModel {
                        name: &m.name,
                        description: &m.description,
                        dataset_id: to_dataset,
                        target: &p.target,
                        estimator_class: &p.estimator_class,
                        estimator_type: &p.estimator_type,
                        metrics: &metrics,
                        signature: &signature,
                        classes: &classes,
                        artifact: &artifact,
                        artifact_md5: &artifact_md5,
                        artifact_format: p.artifact_format,
                        mlops_lite_version: &p.mlops_lite_version,
                        smartcore_version: &p.smartcore_version,
                        version: Some(m.version),
                        created_at: Some(&m.created_at),
                    };
                    let entry = tx.insert_model(&new)?;
                    let md5 = crate::registry::md5_hex(&tx.model_artifact(entry.id)?);
                    if md5 != artifact_md5 {
                        return Err(Error::Corrupt {
                            path: to_label.clone(),
                            reason: format!(
                                "model {}@{}'s artifact read back with md5 {md5} instead of {}; \
                                 the copy was rolled back",
                                m.name, m.version, artifact_md5
                            ),
                        });
                    }
                    report.md5s_verified += 1;
                    (entry.id, true)
                }
            };
            if selection.with_log {
                // A call already in the target is one equal in everything (time, size,
                // latency, every record): each one there stands for one call of the source.
                let mut there: HashMap<(String, i64, i64), Vec<Option<LoggedCall>>> =
                    HashMap::new();
                for call in tx.logged_calls(to_id)? {
                    let key = (call.created_at.clone(), call.n_records, call.latency_us);
                    there.entry(key).or_default().push(Some(call));
                }
                for call in source.db().logged_calls(m.id)? {
                    // A call whose records were deleted, added or renumbered is refused:
                    // the copy would carry the forgery (`verify` on the source names it).
                    let complete = call.n_records == call.records.len() as i64
                        && call.records.iter().enumerate().all(|(i, r)| r.position == i as i64);
                    check_call(&call)
                        .map_err(|e| refuse(&from_label, "model", &m.name, m.version, e))?;
                    if !complete {
                        return Err(refuse(
                            &from_label,
                            "model",
                            &m.name,
                            m.version,
                            format!(
                                "its logged call of {} is incomplete (n_records says {}, it has {} \
                                 records at positions {}); run `mlops-lite verify` on the source, \
                                 or copy without --with-log",
                                call.created_at,
                                call.n_records,
                                call.records.len(),
                                call.records.iter().map(|r| r.position.to_string()).take(10).collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    }
                    let key = (call.created_at.clone(), call.n_records, call.latency_us);
                    let same = there
                        .get_mut(&key)
                        .and_then(|calls| calls.iter_mut().find(|c| c.as_ref() == Some(&call)));
                    if let Some(slot) = same {
                        *slot = None;
                        report.calls_already_there += 1;
                    } else {
                        tx.insert_logged_call(to_id, to_dataset, &call)?;
                        report.calls_written += 1;
                        report.records_written += call.records.len() as u64;
                    }
                }
            }
            report.models.push(CopiedItem {
                name: m.name.clone(),
                version: m.version,
                md5: m.artifact_md5.clone(),
                from_id: m.id,
                to_id,
                written,
            });
        }
        Ok(report)
    })
}
