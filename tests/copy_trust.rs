//! `copy` does not trust its source: a source file forged as an attacker with `sqlite3` would
//! (model columns, column statistics, fingerprints, rows, artifacts, the log) is either
//! refused with an error naming the item, leaving the target as it was, or copied with every
//! derived column computed again from the md5-checked rows and artifact. Each test body runs
//! with the target on a SQLite file and on a PostgreSQL schema.

mod common;

use common::targets::{snapshot, Backend, Target};
use mlops_lite::copy::{copy, Selection};
use mlops_lite::dataset::samples;
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::Registry;

const RECORDS: &str = r#"[
  {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2},
  {"reference_id": "r2", "sepal length (cm)": 6.7, "sepal width (cm)": 3.0, "petal length (cm)": 5.2, "petal width (cm)": 2.3}
]"#;

/// A genuine source registry file (iris bound from CSV bytes, so it has a fingerprint; a
/// model; a logged call of two records), then forged with `sql` (foreign keys and CHECK
/// constraints off, as `sqlite3` allows).
fn forged_source(dir: &std::path::Path, sql: &str) -> Registry {
    let path = dir.join("source.db");
    {
        let mut reg = Registry::open(&path).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        let mut csv = Vec::new();
        mlops_lite::dataset::export::write_csv(&iris, &mut csv).unwrap();
        reg.bind_dataset_from(
            mlops_lite::dataset::import::Input::Bytes {
                bytes: &csv,
                label: "iris.csv",
            },
            mlops_lite::dataset::import::Format::Csv,
            "iris",
            "",
            &mut |_, _| {},
        )
        .unwrap();
        let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
        reg.bind_model(&p, "m", "").unwrap();
        reg.predict("m", RECORDS.as_bytes(), true).unwrap();
    }
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON")
        .unwrap();
    c.execute_batch(sql).unwrap();
    drop(c);
    Registry::open(&path).unwrap()
}

fn whole_with_log() -> Selection {
    Selection {
        with_log: true,
        ..Default::default()
    }
}

/// A stored text cell of the target, read with plain SQL on either backend.
fn target_text(t: &Target, sql: &str) -> Option<String> {
    match t.backend {
        Backend::Sqlite => rusqlite::Connection::open(&t.db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap(),
        Backend::Postgres => {
            let mut c = common::targets::pg_admin();
            c.batch_execute(&format!("SET search_path TO \"{}\"", t.schema().unwrap()))
                .unwrap();
            c.query_one(sql, &[]).unwrap().get(0)
        }
    }
}

/// Runs SQL on the target as an attacker with a database client would.
fn target_exec(t: &Target, sql: &str) {
    match t.backend {
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(&t.db).unwrap();
            c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            c.execute_batch(sql).unwrap();
        }
        Backend::Postgres => {
            let mut c = common::targets::pg_admin();
            c.batch_execute(&format!(
                "SET search_path TO \"{}\"; {sql}",
                t.schema().unwrap()
            ))
            .unwrap();
        }
    }
}

fn verify_names_forged_columns_on_either_backend(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(dir.path(), "SELECT 1");
    let mut target = Registry::open(&t.db).unwrap();
    copy(&mut source, &mut target, &whole_with_log()).unwrap();
    drop(target);
    target_exec(
        t,
        "UPDATE models SET estimator_class = 'KNeighborsClassifier', metrics = '{\"accuracy\":1.0}';
         UPDATE dataset_columns SET unique_count = 1 WHERE position = 0;
         DELETE FROM prediction_records WHERE position = 1",
    );
    let mut target = Registry::open(&t.db).unwrap();
    let r = target.verify(1e-12).unwrap();
    let text: String = r
        .problems
        .iter()
        .map(|p| format!("{} | {} | {}\n", p.check, p.item, p.detail))
        .collect();
    for needle in [
        "model | model m@1 (id 1) | estimator_class: the column says \"KNeighborsClassifier\" but the md5-checked artifact says \"LogisticRegression\"",
        "model | model m@1 (id 1) | metrics: the column says \"{\\\"accuracy\\\":1.0}\"",
        "columns | dataset iris@1 (id 1, table data_1), column \"sepal length (cm)\" | unique_count: stored 1, recomputed 35",
        "log | prediction call 1 | n_records: the call says 2 records, the log holds 1",
    ] {
        assert!(text.contains(needle), "{needle}\nnot in:\n{text}");
    }
}

fn forged_model_columns_are_rebuilt_from_the_artifact(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(
        dir.path(),
        "UPDATE models SET estimator_class = 'RandomForestClassifier', estimator_type = 'regressor', \
         target = 'species', metrics = '{\"accuracy\":1.0}', classes = '[\"a\"]', signature = '[]', \
         artifact_format = 9, mlops_lite_version = '6.6.6', smartcore_version = '0.0.0'",
    );
    // The source's listing shows the forgery; its verify names it.
    assert_eq!(
        source.model("m").unwrap().estimator_class,
        "RandomForestClassifier"
    );
    assert!(!source.verify(1e-12).unwrap().is_clean());

    let mut target = Registry::open(&t.db).unwrap();
    let report = copy(&mut source, &mut target, &whole_with_log()).unwrap();
    assert_eq!((report.models.len(), report.md5s_verified), (1, 2));
    let m = target.model("m").unwrap();
    assert_eq!(
        (
            m.estimator_class.as_str(),
            m.estimator_type.as_str(),
            m.target.as_str()
        ),
        ("LogisticRegression", "classifier", "target")
    );
    let info = target.model_info("m").unwrap();
    assert_eq!(m.metrics, serde_json::to_value(&info.metrics).unwrap());
    assert_eq!(
        target_text(t, "SELECT classes FROM models").unwrap(),
        "[\"setosa\",\"versicolor\",\"virginica\"]"
    );
    assert!(target_text(t, "SELECT signature FROM models")
        .unwrap()
        .contains("sepal length (cm)"));
    assert_eq!(
        target_text(t, "SELECT mlops_lite_version FROM models").unwrap(),
        info.mlops_lite_version
    );
    // Everything in the target verifies, the log included.
    let v = target.verify(1e-12).unwrap();
    assert!(v.is_clean(), "{:?}", v.problems);
    assert_eq!((v.models_ok, v.predictions_ok), (1, 2));
}

fn forged_statistics_and_fingerprints_are_not_carried(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(
        dir.path(),
        "UPDATE dataset_columns SET null_count = 7, mean = 99.5 WHERE position = 0;
         UPDATE datasets SET source_fingerprint = 'xxh3-128:00000000000000000000000000000000:csv:p1'",
    );
    let mut target = Registry::open(&t.db).unwrap();
    copy(&mut source, &mut target, &Selection::default()).unwrap();
    let col = &target.info("iris").unwrap()[0];
    assert_eq!(col.null_count, 0);
    assert!((col.mean.unwrap() - 5.843333).abs() < 1e-5, "{col:?}");
    assert_eq!(
        target_text(t, "SELECT source_fingerprint FROM datasets"),
        None,
        "a source fingerprint was carried into the target"
    );
    assert!(target.verify(1e-12).unwrap().is_clean());
}

fn a_source_whose_rows_do_not_match_their_md5_is_refused(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(
        dir.path(),
        "UPDATE data_1 SET \"sepal width (cm)\" = 3.7 WHERE rowid = 3",
    );
    let mut target = Registry::open(&t.db).unwrap();
    let before = snapshot(&target);
    for sel in [
        Selection::default(),
        Selection {
            datasets: vec!["iris".into()],
            ..Default::default()
        },
    ] {
        let e = copy(&mut source, &mut target, &sel)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot copy dataset \"iris\"@1 from"), "{e}");
        assert!(e.contains("no longer matches its md5"), "{e}");
        assert!(e.contains("nothing was copied"), "{e}");
        assert_eq!(snapshot(&target), before);
    }
}

fn a_source_whose_artifact_does_not_match_its_md5_is_refused(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(
        dir.path(),
        "UPDATE models SET artifact = CAST(replace(CAST(artifact AS TEXT), '\"target\"', '\"targex\"') AS BLOB)",
    );
    let mut target = Registry::open(&t.db).unwrap();
    let before = snapshot(&target);
    let e = copy(&mut source, &mut target, &whole_with_log())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot copy model \"m\"@1 from"), "{e}");
    assert!(e.contains("its artifact no longer matches its md5"), "{e}");
    assert_eq!(snapshot(&target), before);
}

fn an_incomplete_source_log_is_refused(t: &Target) {
    let dir = tempfile::tempdir().unwrap();
    let mut source = forged_source(
        dir.path(),
        "DELETE FROM prediction_records WHERE position = 1",
    );
    let mut target = Registry::open(&t.db).unwrap();
    let before = snapshot(&target);
    let e = copy(&mut source, &mut target, &whole_with_log())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot copy model \"m\"@1 from"), "{e}");
    assert!(
        e.contains("is incomplete (n_records says 2, it has 1 records at positions 0)"),
        "{e}"
    );
    assert_eq!(snapshot(&target), before);
    // Without the log, the model and its dataset copy.
    let r = copy(&mut source, &mut target, &Selection::default()).unwrap();
    assert_eq!((r.models.len(), r.calls_written), (1, 0));
}

fn forged_times_names_and_log_json_are_refused(t: &Target) {
    let cases: &[(&str, &Selection, &[&str])] = &[
        (
            "UPDATE models SET created_at = 'yesterday'",
            &Selection {
                with_log: false,
                datasets: Vec::new(),
                models: Vec::new(),
            },
            &[
                "cannot copy model \"m\"@1 from",
                "its created_at \"yesterday\" is not a time",
            ],
        ),
        (
            "UPDATE datasets SET name = 'ir' || char(10) || 'is'",
            &Selection {
                with_log: false,
                datasets: Vec::new(),
                models: Vec::new(),
            },
            &[
                "cannot copy dataset \"ir\\nis\"@1 from",
                "control character",
            ],
        ),
        (
            "UPDATE prediction_records SET outputs = '[0.5,' WHERE position = 1",
            &Selection {
                with_log: true,
                datasets: Vec::new(),
                models: Vec::new(),
            },
            &[
                "cannot copy model \"m\"@1 from",
                "the outputs of record 1 of its call logged at",
                "are not JSON",
            ],
        ),
    ];
    for (sql, sel, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut source = forged_source(dir.path(), sql);
        let mut target = Registry::open(&t.db).unwrap();
        let before = snapshot(&target);
        let e = copy(&mut source, &mut target, sel).unwrap_err().to_string();
        for n in *needles {
            assert!(e.contains(n), "{sql}: {n:?} not in {e}");
        }
        assert_eq!(snapshot(&target), before, "{sql}");
    }
}

on_both_backends!(
    forged_times_names_and_log_json_are_refused,
    verify_names_forged_columns_on_either_backend,
    forged_model_columns_are_rebuilt_from_the_artifact,
    forged_statistics_and_fingerprints_are_not_carried,
    a_source_whose_rows_do_not_match_their_md5_is_refused,
    a_source_whose_artifact_does_not_match_its_md5_is_refused,
    an_incomplete_source_log_is_refused,
);
