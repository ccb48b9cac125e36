//! What the CLI shows: every text it prints for people (tables through [`table::Table`],
//! one-line results, reports) and the writers that put text, JSON and data on standard output
//! safely for a terminal ([`write_out`], [`print_json`], [`write_data`]). Functions here take
//! the core's values and return or write text; they open no registry and decide nothing.

use std::io::{IsTerminal, Write};
use std::path::Path;

use mlops_lite::dataset::ColumnInfo;
use mlops_lite::pipeline::Pipeline;
use mlops_lite::store::LogRecord;
use mlops_lite::{Bound, BoundModel, DatasetEntry, Error, ModelEntry, ModelInfo, ModelSplit};

use super::table;

/// `--json`: `value` as JSON; otherwise `text(value)` for people.
pub fn show<T: serde::Serialize>(
    out: &mut dyn Write,
    json: bool,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> Result<(), Error> {
    if json {
        print_json(out, value)
    } else {
        write_out(out, &text(value))
    }
}

/// `--json` output: the same JSON value, with no raw control character (see
/// [`table::json_terminal_safe`]).
pub fn print_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> Result<(), Error> {
    write_raw(out, &json_text(value)?)
}

/// The text [`print_json`] writes (`log export --format json` writes it to a file too).
pub fn json_text<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidArgument(format!("cannot write JSON: {e}")))?;
    Ok(format!("{}\n", table::json_terminal_safe(&text)))
}

/// Text for people (tables, reports): every control character but newline and tab, from
/// whatever stored text it quotes, is shown escaped ([`table::terminal_safe`]).
pub fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    write_raw(out, &table::terminal_safe(text, true))
}

/// Data asked for (`dataset pull`, `log export`) on standard output: exact bytes for a pipe
/// or a file, but shown like text for people ([`write_out`]) when it is a terminal.
pub fn write_data(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    if std::io::stdout().is_terminal() {
        write_out(out, &String::from_utf8_lossy(bytes))
    } else {
        out.write_all(bytes).map_err(|e| Error::io("<stdout>", e))
    }
}

/// Text written exactly (JSON made safe by [`print_json`]).
fn write_raw(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))
}

/// What `dataset add` did.
pub fn bound_text(bound: &Bound) -> String {
    let d = &bound.dataset;
    if bound.created {
        format!(
            "bound {}@{} (id {}): {} rows x {} columns, md5 {}, table {}\n",
            d.name, d.version, d.id, d.size_rows, d.size_cols, d.md5, d.data_table
        )
    } else {
        format!(
            "{}@{} (id {}) already holds this content (md5 {}); nothing was written\n",
            d.name, d.version, d.id, d.md5
        )
    }
}

pub fn datasets_table(list: &[DatasetEntry]) -> String {
    let mut t = table::Table::new(&[
        ("id", true),
        ("name", false),
        ("version", true),
        ("size_cols", true),
        ("size_rows", true),
        ("description", false),
        ("created_at", false),
    ]);
    for d in list {
        t.row(vec![
            d.id.to_string(),
            d.name.clone(),
            d.version.to_string(),
            d.size_cols.to_string(),
            d.size_rows.to_string(),
            d.description.clone(),
            d.created_at.clone(),
        ]);
    }
    t.render()
}

pub fn info_table(info: &[ColumnInfo]) -> String {
    let mut t = table::Table::new(&[
        ("column_name", false),
        ("original_dtype", false),
        ("converted_dtype", false),
        ("null_count", true),
        ("unique_count", true),
        ("min_value_num", true),
        ("max_value_num", true),
        ("mean", true),
        ("std", true),
    ]);
    for c in info {
        t.row(vec![
            c.column_name.clone(),
            c.original_dtype.clone(),
            c.converted_dtype.clone(),
            c.null_count.to_string(),
            c.unique_count.to_string(),
            table::num(c.min_value_num),
            table::num(c.max_value_num),
            table::num(c.mean),
            table::num(c.std),
        ]);
    }
    t.render()
}

fn metrics_text(m: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(obj) = m.as_object() {
        for (k, v) in obj {
            if k == "n_train" || k == "n_test" {
                continue;
            }
            parts.push(format!("{k}={}", table::num(v.as_f64())));
        }
    }
    parts.join(" ")
}

pub fn bound_model_text(bound: &BoundModel, pipeline: &Pipeline) -> String {
    let m = &bound.model;
    if bound.created {
        format!(
            "bound model {}@{} (id {}): {} {} on {}@{}, held-out {} ({} of {} rows), md5 {}\n",
            m.name,
            m.version,
            m.id,
            m.estimator_class,
            m.estimator_type,
            pipeline.dataset.name,
            pipeline.dataset.version,
            metrics_text(&m.metrics),
            pipeline.metrics.n_test,
            pipeline.metrics.n_test + pipeline.metrics.n_train,
            m.artifact_md5
        )
    } else {
        format!(
            "model {}@{} (id {}) already holds this artifact (md5 {}); nothing was written\n",
            m.name, m.version, m.id, m.artifact_md5
        )
    }
}

pub fn models_table(list: &[ModelEntry]) -> String {
    let mut t = table::Table::new(&[
        ("id", true),
        ("name", false),
        ("version", true),
        ("dataset_registry_id", true),
        ("estimator_class", false),
        ("estimator_type", false),
        ("description", false),
        ("metrics", false),
        ("created_at", false),
    ]);
    for m in list {
        t.row(vec![
            m.id.to_string(),
            m.name.clone(),
            m.version.to_string(),
            m.dataset_registry_id.to_string(),
            m.estimator_class.clone(),
            m.estimator_type.clone(),
            m.description.clone(),
            metrics_text(&m.metrics),
            m.created_at.clone(),
        ]);
    }
    t.render()
}

pub fn model_info_text(info: &ModelInfo) -> String {
    let (entry, dataset, versions) = (&info.model, &info.dataset, &info.versions);
    let mut s = format!(
        "model {}@{} (id {}): {} {}, target {:?}{}\n",
        entry.name,
        entry.version,
        entry.id,
        entry.estimator_class,
        entry.estimator_type,
        info.target,
        if info.classes.is_empty() {
            String::new()
        } else {
            format!(", classes {}", info.classes.join(", "))
        }
    );
    match (&info.spec, &info.fitted_by) {
        (Some(spec), _) => {
            s += &format!(
                "trained on dataset {}@{} (id {}, md5 {}), {} rows, {} held out (test_size {}, seed {})\n",
                dataset.name,
                dataset.version,
                dataset.id,
                dataset.md5,
                info.metrics.n_train + info.metrics.n_test,
                info.metrics.n_test,
                spec.test_size,
                spec.seed
            );
            s += &format!("metrics: {}\n", metrics_text(&entry.metrics));
            s += &format!(
                "artifact: md5 {}, format {}, written by mlops-lite {} with smartcore {}\n\nsignature:\n",
                entry.artifact_md5,
                info.artifact_format,
                info.mlops_lite_version,
                info.smartcore_version
            );
        }
        (None, by) => {
            let by = by.as_ref().map_or("another library".to_string(), |b| {
                format!("{} {}", b.library, b.version)
            });
            s += &format!(
                "fitted by {by} outside mlops-lite on dataset {}@{} (id {}, md5 {}); its split is \
                 not known, so it has no held-out metrics and cannot be reproduced\n",
                dataset.name, dataset.version, dataset.id, dataset.md5
            );
            s += &format!(
                "artifact: md5 {}, format {}, written by mlops-lite {}\n\nsignature:\n",
                entry.artifact_md5, info.artifact_format, info.mlops_lite_version
            );
        }
    }
    let mut t = table::Table::new(&[
        ("feature", false),
        ("dtype", false),
        ("transformer", false),
        ("steps", false),
    ]);
    let groups = &info.transformers;
    for f in &info.signature {
        let g = groups.iter().find(|g| g.columns.contains(&f.name));
        t.row(vec![
            f.name.clone(),
            f.dtype.clone(),
            g.map(|g| g.name.clone()).unwrap_or_default(),
            g.map(|g| g.steps.join(" -> ")).unwrap_or_default(),
        ]);
    }
    s += &t.render();
    s += "\nversions:\n";
    s += &models_table(versions);
    s
}

pub fn model_split_text(split: &ModelSplit) -> String {
    let rows = |part: &[usize]| {
        part.iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "model {}@{} (id {}) on dataset {}@{} (id {}): test_size {}, seed {}; rows from 0, in \
         the dataset's order\ntest ({} rows): {}\ntrain ({} rows): {}\n",
        split.model.name,
        split.model.version,
        split.model.id,
        split.dataset.name,
        split.dataset.version,
        split.dataset.id,
        split.test_size,
        split.seed,
        split.rows.test.len(),
        rows(&split.rows.test),
        split.rows.train.len(),
        rows(&split.rows.train)
    )
}

pub fn legacy_models_table(list: &[mlops_lite::legacy::LegacyModelEntry]) -> String {
    let mut t = table::Table::new(&[
        ("legacy_id", true),
        ("name", false),
        ("version", true),
        ("dataset", false),
        ("target", false),
        ("estimator_class", false),
        ("estimator_type", false),
        ("description", false),
        ("pickle_bytes", true),
        ("pickle_md5", false),
        ("created_at", false),
        ("status", false),
    ]);
    for m in list {
        t.row(vec![
            m.id.to_string(),
            m.name.clone(),
            m.version.to_string(),
            m.dataset.clone().unwrap_or_default(),
            m.target.clone(),
            m.estimator_class.clone(),
            m.estimator_type.clone(),
            m.description.clone(),
            m.pickle_bytes.to_string(),
            m.pickle_md5.clone(),
            m.created_at.clone().unwrap_or_default(),
            "not runnable (Python pickle)".into(),
        ]);
    }
    format!(
        "legacy models, imported from the Python mlops-lite (never loaded: retrain them with `model train`):\n{}",
        t.render()
    )
}

pub fn log_table(records: &[LogRecord]) -> String {
    let mut t = table::Table::new(&[
        ("call_id", true),
        ("position", true),
        ("created_at", false),
        ("model", false),
        ("reference_id", false),
        ("inputs", false),
        ("outputs", false),
    ]);
    for r in records {
        t.row(vec![
            r.call_id.to_string(),
            r.position.to_string(),
            r.created_at.clone(),
            format!("{}@{}", r.model_name, r.model_version),
            r.reference_id.clone().unwrap_or_default(),
            r.inputs.to_string(),
            r.outputs.to_string(),
        ]);
    }
    t.render()
}

pub fn verify_text(r: &mlops_lite::verify::VerifyReport) -> String {
    let mut s = format!(
        "datasets:    {} of {} match their md5 and column metadata\n\
         models:      {} of {} load with a matching md5, a readable format and columns that agree with it\n\
         lineage:     {} of {} models have their training dataset with the recorded md5\n\
         predictions: {} of {} logged records reproduced ({} bit for bit; largest difference {:e}, tolerance {:e})\n",
        r.datasets_ok,
        r.datasets,
        r.models_ok,
        r.models,
        r.lineage_ok,
        r.lineage,
        r.predictions_ok,
        r.predictions,
        r.predictions_identical,
        r.max_abs_diff,
        r.tolerance
    );
    if r.problems.is_empty() {
        s += "everything reproduced\n";
    } else {
        let mut t = table::Table::new(&[("check", false), ("item", false), ("problem", false)]);
        for p in &r.problems {
            t.row(vec![p.check.clone(), p.item.clone(), p.detail.clone()]);
        }
        s += &t.render();
    }
    s
}

pub fn reproduce_text(r: &mlops_lite::verify::ReproduceReport) -> String {
    let m = |x: &mlops_lite::pipeline::metrics::Metrics| {
        metrics_text(&serde_json::to_value(x).unwrap_or_default())
    };
    format!(
        "model {}: stored artifact md5 {}, retrained {}: {}\nstored metrics:     {}\nretrained metrics:  {}\n",
        r.model,
        r.stored_md5,
        r.reproduced_md5,
        if r.identical {
            "identical".to_string()
        } else {
            format!("DIFFERENT ({})", r.differences.join(", "))
        },
        m(&r.stored_metrics),
        m(&r.reproduced_metrics)
    )
}

/// What `copy` did, one line per dataset and model version.
pub fn copy_report_text(r: &mlops_lite::copy::CopyReport) -> String {
    let mut s = format!("copied from {} to {}\n", r.from, r.to);
    let items = r
        .datasets
        .iter()
        .map(|i| ("dataset", i))
        .chain(r.models.iter().map(|i| ("model", i)));
    for (what, i) in items {
        let done = if i.written {
            "written"
        } else {
            "already there"
        };
        s.push_str(&format!(
            "{what} {}@{} (md5 {}): {done}, id {} -> {}\n",
            i.name, i.version, i.md5, i.from_id, i.to_id
        ));
    }
    s.push_str(&format!(
        "log: {} calls ({} records) written, {} already there\n",
        r.calls_written, r.records_written, r.calls_already_there
    ));
    s.push_str(&format!(
        "verified: {} md5s recomputed in the target matched before the commit\n",
        r.md5s_verified
    ));
    s
}

pub fn legacy_report_text(r: &mlops_lite::legacy::LegacyReport) -> String {
    use mlops_lite::legacy::DatasetOutcome;
    let mut s = format!(
        "imported {} (a registry of the Python mlops-lite, opened read-only) into {} in one transaction\n",
        r.source, r.target
    );
    let renamed = |old: &str, new: &str| {
        if old == new {
            String::new()
        } else {
            format!(", imported as {new}")
        }
    };
    // Names from the Python file are shown with control characters escaped.
    let shown = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    for d in &r.datasets {
        let e = &d.dataset;
        let from = format!(
            "dataset {}@{} (Python id {}{})",
            shown(&d.legacy_name),
            d.legacy_version,
            d.legacy_id,
            renamed(&d.legacy_name, &e.name)
        );
        s += &match d.outcome {
            DatasetOutcome::AlreadyThere => format!(
                "{from}: already here as {}@{} (id {}, md5 {}); nothing was written\n",
                e.name, e.version, e.id, e.md5
            ),
            outcome => format!(
                "{from}: {}bound {}@{} (id {}): {} rows x {} columns, md5 {}, table {}\n",
                if outcome == DatasetOutcome::ImportedAsNextVersion {
                    format!(
                        "{}@{} holds other content here, so ",
                        e.name, d.legacy_version
                    )
                } else {
                    String::new()
                },
                e.name,
                e.version,
                e.id,
                e.size_rows,
                e.size_cols,
                e.md5,
                e.data_table
            ),
        };
    }
    for m in &r.models {
        let e = &m.model;
        let from = format!(
            "model {}@{} (Python id {}{})",
            shown(&m.legacy_name),
            e.version,
            e.legacy_id,
            renamed(&m.legacy_name, &e.name)
        );
        s += &if m.created {
            format!(
                "{from}: listed as legacy model {}{}; not runnable (Python pickle of {} bytes, md5 {}, never loaded)\n",
                e.id,
                e.dataset.as_ref().map(|d| format!(" on {d}")).unwrap_or_default(),
                e.pickle_bytes,
                e.pickle_md5
            )
        } else {
            format!(
                "{from}: already listed as legacy model {}; nothing was written\n",
                e.id
            )
        };
    }
    let n = |k: i64, what: &str| format!("{k} {what}{}", if k == 1 { "" } else { "s" });
    s += &format!(
        "prediction log: {} with {} imported, {} already here\n\n",
        n(r.calls_imported, "call"),
        n(r.records_imported, "record"),
        n(r.calls_already_there, "call")
    );
    if !r.skipped.is_empty() {
        s.pop();
        s += &format!(
            "left out: {} of the Python file (the counts below include them):\n",
            n(r.skipped.len() as i64, "row")
        );
        for k in &r.skipped {
            let what = if k.what.is_empty() {
                String::new()
            } else {
                format!(" ({})", k.what)
            };
            s += &format!("- {} id {}{what}: {}\n", k.table, k.id, k.reason);
        }
        s.push('\n');
    }
    let mut t = table::Table::new(&[
        ("what", false),
        ("in the Python file", true),
        ("before", true),
        ("after", true),
    ]);
    let (f, b, a) = (&r.found, &r.before, &r.after);
    for (what, found, before, after) in [
        ("datasets", f.datasets, b.datasets, a.datasets),
        (
            "models (not runnable)",
            f.deployables,
            b.legacy_models,
            a.legacy_models,
        ),
        ("logged calls", f.executions, b.legacy_calls, a.legacy_calls),
        (
            "logged records",
            f.execution_items,
            b.legacy_records,
            a.legacy_records,
        ),
        (
            "logged input values",
            f.request_items,
            b.legacy_input_values,
            a.legacy_input_values,
        ),
        (
            "logged output values",
            f.response_items,
            b.legacy_output_values,
            a.legacy_output_values,
        ),
    ] {
        t.row(vec![
            what.into(),
            found.to_string(),
            before.to_string(),
            after.to_string(),
        ]);
    }
    s += &t.render();
    if r.after.legacy_calls > 0 {
        s += &format!(
            "\nThe log is plain SQL: sqlite3 {} 'SELECT * FROM legacy_prediction_records'\n",
            r.target
        );
    }
    s
}

/// What `migrate` did: `upgraded` holds the formats found and written, `None` when the file
/// was already of this build's format.
pub fn migrate_text(db: &Path, upgraded: Option<(i64, i64)>) -> String {
    match upgraded {
        None => format!(
            "{} is already registry format {}; nothing was written\n",
            db.display(),
            mlops_lite::store::SCHEMA_VERSION
        ),
        Some((found, supported)) => format!(
            "upgraded {} from registry format {found} to {supported} in one transaction\n",
            db.display()
        ),
    }
}

/// The demo's tables, as the Python tool's README shows them, before its predictions.
pub fn demo_tables(
    datasets: &[DatasetEntry],
    info: &[ColumnInfo],
    models: &[ModelEntry],
) -> String {
    format!(
        "\n$ mlops-lite dataset list\n{}\n$ mlops-lite dataset info iris\n{}\n$ mlops-lite model list\n{}\n$ mlops-lite predict --model testmodel --log  (the Python README's two records)\n",
        datasets_table(datasets),
        info_table(info),
        models_table(models),
    )
}

/// The demo's end: the last two log records, and how to read the tables with plain SQL: the
/// sqlite3 shell, or psql for PostgreSQL (whose URL psql takes once mlops-lite's own `schema`
/// parameter became a search_path option).
pub fn demo_sql_text(db: &Path, data_table: &str, log: &[LogRecord]) -> String {
    let (client, target, rows) = match db.to_str().filter(|d| mlops_lite::store::pg::is_url(d)) {
        Some(url) => {
            let (base, schema) = url.split_once("?schema=").unwrap_or((url, "public"));
            (
                "psql",
                format!("'{base}?options=-csearch_path%3D{schema}' -c"),
                format!("{data_table} ORDER BY mlops_row"),
            )
        }
        None => ("sqlite3", db.display().to_string(), data_table.to_string()),
    };
    format!(
        "\n$ mlops-lite log list --limit 2\n{}\nThe rows are plain SQL: {client} {target} 'SELECT * FROM {rows} LIMIT 5'\n\
         and the log too:        {client} {target} 'SELECT reference_id, inputs, outputs FROM prediction_records'\n",
        log_table(log),
    )
}
