//! Importing registries of the Python mlops-lite (issue 7, item 4), through the API and the
//! CLI, with `tests/data/legacy-python-a5c890b.db`: a registry written by the Python tool
//! (statespace/mlops-lite at a5c890b) after its README workflow on iris. It holds 1 dataset
//! (iris, 150 rows, the target as class names), 1 pickled model (testmodel@1,
//! LogisticRegression) and 1 logged call of 2 records (8 input values, 6 output values).
//!
//! Every test works on a copy of the fixture and checks that the copy is never changed: same
//! bytes, same mtime, no `-wal`, `-shm` or `-journal` file beside it. Bad input (missing file,
//! not SQLite, not a Python registry, a view or virtual table in its place, a malformed
//! dataset, a damaged value, a name we refuse) fails with a message naming the Python table,
//! id and name and saying what to do, and leaves the target registry as it was; a new target
//! file is not left behind, not even by a killed import (issue 11). Rows that cannot be
//! imported (shared ids, dangling log rows) are left out and reported exactly; `--rename` and
//! `--skip` get past names we refuse. Also here: the migration of a format-2 registry to
//! format 3.

use std::path::{Path, PathBuf};
use std::process::Command;

use mlops_lite::dataset::import::{self, Format, Input};
use mlops_lite::dataset::{Column, Dataset, Values};
use mlops_lite::legacy::{self, DatasetOutcome, LegacyCounts, PythonCounts};
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::store::{MIGRATIONS, SCHEMA_VERSION};
use mlops_lite::{ErrorKind, Registry};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_mlops-lite");

/// md5 of the bundled iris sample: the legacy iris must have exactly this content.
const IRIS_MD5: &str = "1691b6054247506429b07bc1fa364ee3";
/// md5 of the fixture's pickle (2364 bytes).
const PICKLE_MD5: &str = "2c8f5127cce25cab3fe55af01f842758";

const FOUND: PythonCounts = PythonCounts {
    datasets: 1,
    deployables: 1,
    executions: 1,
    execution_items: 2,
    request_items: 8,
    response_items: 6,
};

const AFTER: LegacyCounts = LegacyCounts {
    datasets: 1,
    legacy_models: 1,
    legacy_calls: 1,
    legacy_records: 2,
    legacy_input_values: 8,
    legacy_output_values: 6,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy-python-a5c890b.db")
}

/// A copy of the fixture, `old.db` in `dir`.
fn copy_fixture(dir: &Path) -> PathBuf {
    let old = dir.join("old.db");
    std::fs::copy(fixture(), &old).unwrap();
    old
}

/// A copy of the fixture changed by `sql` (run with rusqlite, rollback journal: nothing is
/// left beside the file).
fn edited_copy(dir: &Path, sql: &str) -> PathBuf {
    let old = copy_fixture(dir);
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    old
}

/// What must not change about the legacy file: its bytes, its mtime, and the files beside it
/// whose names start with its name.
#[derive(Debug, PartialEq)]
struct FileState {
    bytes: Vec<u8>,
    mtime: std::time::SystemTime,
    siblings: Vec<String>,
}

fn file_state(path: &Path) -> FileState {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut siblings: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&name))
        .collect();
    siblings.sort();
    FileState {
        bytes: std::fs::read(path).unwrap(),
        mtime: std::fs::metadata(path).unwrap().modified().unwrap(),
        siblings,
    }
}

fn iris_csv() -> Dataset {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iris.csv");
    import::read(Input::Path(&path), Format::Csv, &mut |_, _| {}).unwrap()
}

fn small(name: &str) -> Dataset {
    Dataset::new(vec![Column::new(
        name,
        Values::Integer(vec![Some(1), Some(2)]),
    )])
    .unwrap()
}

fn sql_count(reg: &Registry, table: &str) -> i64 {
    reg.connection()
        .unwrap()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn imports_datasets_models_and_log_and_never_touches_the_python_file() {
    let dir = tempfile::tempdir().unwrap();
    let old = copy_fixture(dir.path());
    let untouched = file_state(&old);
    let mut reg = Registry::open(dir.path().join("new.db")).unwrap();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();

    assert_eq!(r.found, FOUND);
    assert_eq!(r.before, LegacyCounts::default());
    assert_eq!(r.after, AFTER);
    assert_eq!(
        (r.calls_imported, r.calls_already_there, r.records_imported),
        (1, 0, 2)
    );

    // The dataset: same name and version, and exactly the content of data/iris.csv.
    assert_eq!(r.datasets.len(), 1);
    let d = &r.datasets[0];
    assert_eq!(
        (d.legacy_id, d.legacy_version, d.outcome),
        (1, 1, DatasetOutcome::Imported)
    );
    assert_eq!(
        (
            d.dataset.name.as_str(),
            d.dataset.version,
            d.dataset.md5.as_str()
        ),
        ("iris", 1, IRIS_MD5)
    );
    let (entry, data) = reg.pull_dataset("iris@1").unwrap();
    assert_eq!((entry.size_rows, entry.size_cols), (150, 5));
    let csv = iris_csv();
    assert_eq!(data, csv);
    let mut floats = 0;
    for (a, b) in data.columns().iter().zip(csv.columns()) {
        assert_eq!(a.name, b.name);
        match (&a.values, &b.values) {
            (Values::Float(x), Values::Float(y)) => {
                let xb: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
                let yb: Vec<u64> = y.iter().map(|v| v.to_bits()).collect();
                assert_eq!(xb, yb, "column {}", a.name);
                floats += x.len();
            }
            (Values::String(x), Values::String(y)) => {
                // The legacy target holds the class names, not numbers.
                assert_eq!(a.name, "target");
                assert_eq!(x, y);
                assert_eq!(x[0].as_deref(), Some("setosa"));
                assert_eq!(x[149].as_deref(), Some("virginica"));
            }
            other => panic!("column {}: {other:?}", a.name),
        }
    }
    assert_eq!(floats, 600);
    // ... and every number is bit for bit the one the Python tool wrote in its JSON.
    let raw: String =
        rusqlite::Connection::open_with_flags(&old, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap()
            .query_row("SELECT data FROM dataset_registry WHERE id = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
    let raw: serde_json::Map<String, Value> = serde_json::from_str(&raw).unwrap();
    for c in data.columns() {
        let json = raw[&c.name].as_array().unwrap();
        if let Values::Float(x) = &c.values {
            for (v, j) in x.iter().zip(json) {
                assert_eq!(v.to_bits(), j.as_f64().unwrap().to_bits());
            }
        }
    }

    // The model: listed, not runnable, not a model `predict` can use.
    assert!(reg.list_models().unwrap().is_empty());
    assert_eq!(
        reg.model("testmodel").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let models = legacy::list_legacy_models(&reg).unwrap();
    assert_eq!(models.len(), 1);
    let m = &models[0];
    assert_eq!(r.models[0].model, *m);
    assert!(r.models[0].created);
    assert_eq!(
        (
            m.name.as_str(),
            m.version,
            m.dataset.as_deref(),
            m.target.as_str()
        ),
        ("testmodel", 1, Some("iris@1"), "target")
    );
    assert_eq!(
        (m.estimator_class.as_str(), m.estimator_type.as_str()),
        ("LogisticRegression", "classifier")
    );
    assert_eq!((m.pickle_bytes, m.pickle_md5.as_str()), (2364, PICKLE_MD5));
    assert!(!m.runnable);
    assert_eq!(m.target_mapping, Value::Null);
    assert_eq!(
        m.variables,
        json!({"sepal length (cm)": "float", "sepal width (cm)": "float",
               "petal length (cm)": "float", "petal width (cm)": "float"})
    );
    assert_eq!(m.created_at.as_deref(), Some("2026-11-26 15:45:10.190648"));
    assert_eq!(m.dataset_id, Some(entry.id));

    // The log, with plain SQL.
    let c = reg.connection().unwrap();
    let call: (i64, String, i64, i64) = c
        .query_row(
            "SELECT c.id, c.created_at, c.n_records, m.id FROM legacy_prediction_calls c \
             JOIN legacy_models m ON m.id = c.legacy_model_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(call, (1, "2026-11-26 15:45:10.215599".into(), 2, m.id));
    let mut stmt = c
        .prepare(
            "SELECT position, reference_id, inputs, outputs FROM legacy_prediction_records \
             ORDER BY call_id, position",
        )
        .unwrap();
    let records: Vec<(i64, Option<String>, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(stmt);
    assert_eq!(records.len(), 2);
    assert_eq!((records[0].0, records[0].1.as_deref()), (0, None));
    assert_eq!(
        (records[1].0, records[1].1.as_deref()),
        (1, Some("some_external_id"))
    );
    assert_eq!(
        records[0].2,
        r#"{"sepal length (cm)":2,"petal length (cm)":1,"petal width (cm)":1,"sepal width (cm)":1}"#
    );
    assert_eq!(
        records[1].2,
        r#"{"sepal length (cm)":1,"petal length (cm)":2,"petal width (cm)":1,"sepal width (cm)":1}"#
    );
    // Outputs: the very floats the Python tool logged, keyed by class name.
    let python =
        rusqlite::Connection::open_with_flags(&old, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = python
        .prepare("SELECT execution_items_id, classname, out_value FROM response_items ORDER BY id")
        .unwrap();
    let logged: Vec<(i64, String, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(logged.len(), 6);
    for (item, class, value) in &logged {
        let outputs: Value = serde_json::from_str(&records[*item as usize - 1].3).unwrap();
        assert_eq!(outputs[class].as_f64().unwrap().to_bits(), value.to_bits());
    }
    let p: f64 = c
        .query_row(
            "SELECT json_extract(outputs, '$.setosa') FROM legacy_prediction_records \
             WHERE reference_id = 'some_external_id'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(p.to_bits(), logged[3].2.to_bits());
    drop(stmt);
    drop(python);

    // Where each dataset came from.
    let origin: (i64, i64, String, String) = c
        .query_row(
            "SELECT dataset_id, legacy_id, legacy_hash, created_at FROM legacy_datasets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        origin,
        (
            entry.id,
            1,
            "85514bf268dc3876086e52853169b1bf".into(),
            "2026-11-26 15:45:10.053566".into()
        )
    );

    // The imported dataset is an ordinary one: a model trains on it.
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "retrained", "").unwrap();
    drop(reg);
    assert_eq!(file_state(&old), untouched);
}

#[test]
fn importing_twice_writes_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let old = copy_fixture(dir.path());
    let untouched = file_state(&old);
    let mut reg = Registry::open_in_memory().unwrap();
    legacy::import_legacy(&old, &mut reg).unwrap();
    let bytes = reg.to_bytes().unwrap();
    let again = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!((again.before, again.after), (AFTER, AFTER));
    assert_eq!(again.datasets[0].outcome, DatasetOutcome::AlreadyThere);
    assert_eq!(again.datasets[0].dataset.version, 1);
    assert!(!again.models[0].created);
    assert_eq!(
        (
            again.calls_imported,
            again.calls_already_there,
            again.records_imported
        ),
        (0, 1, 0)
    );
    assert_eq!(reg.to_bytes().unwrap(), bytes);
    assert_eq!(file_state(&old), untouched);
}

#[test]
fn content_already_bound_is_reused_and_a_taken_version_becomes_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let old = copy_fixture(dir.path());

    // The bundled iris is the same content: reused, and the legacy model links to it.
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = mlops_lite::dataset::samples::sample("iris").unwrap();
    reg.bind_dataset(&small("x"), "other", "").unwrap();
    let bound = reg.bind_dataset(&iris, "iris", "").unwrap();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(r.datasets[0].outcome, DatasetOutcome::AlreadyThere);
    assert_eq!(r.datasets[0].dataset, bound.dataset);
    assert_eq!(
        (r.before.datasets, r.after.datasets, r.after.legacy_models),
        (2, 2, 1)
    );
    assert_eq!(r.models[0].model.dataset_id, Some(bound.dataset.id));

    // iris@1 holds other content here: the legacy iris becomes iris@2, and says so.
    let mut reg = Registry::open_in_memory().unwrap();
    reg.bind_dataset(&small("x"), "iris", "").unwrap();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    let d = &r.datasets[0];
    assert_eq!(d.outcome, DatasetOutcome::ImportedAsNextVersion);
    assert_eq!((d.legacy_version, d.dataset.version), (1, 2));
    assert_eq!(r.models[0].model.dataset.as_deref(), Some("iris@2"));
    assert_eq!(reg.pull_dataset("iris@2").unwrap().1.md5(), IRIS_MD5);

    // Version gaps are kept: Python's iris@3 stays iris@3.
    let dir2 = tempfile::tempdir().unwrap();
    let gap = edited_copy(dir2.path(), "UPDATE dataset_registry SET version = 3");
    let mut reg = Registry::open_in_memory().unwrap();
    let r = legacy::import_legacy(&gap, &mut reg).unwrap();
    assert_eq!(r.datasets[0].outcome, DatasetOutcome::Imported);
    assert_eq!(reg.dataset("iris").unwrap().version, 3);
    assert!(reg.dataset("iris@1").is_err());
}

/// A target with something in it, to check that failed imports leave it exactly as it was.
fn busy_target() -> Registry {
    let mut reg = Registry::open_in_memory().unwrap();
    reg.bind_dataset(&small("x"), "mine", "").unwrap();
    reg
}

fn assert_unchanged(reg: &mut Registry, bytes: &[u8]) {
    assert_eq!(reg.to_bytes().unwrap(), bytes);
    assert_eq!(reg.list_datasets().unwrap().len(), 1);
    assert_eq!(sql_count(reg, "legacy_models"), 0);
}

#[test]
fn a_malformed_dataset_names_it_and_rolls_everything_back() {
    let dir = tempfile::tempdir().unwrap();
    // A second dataset (after the good iris, so that iris was already written when it
    // fails), whose JSON has a stray comma.
    let old = edited_copy(
        dir.path(),
        "INSERT INTO dataset_registry (id, name, version, description, data, size_cols, size_rows, hash, created_at)
           SELECT 2, 'flowers', 1, '', replace(data, '4.9, 4.7', '4.9,, 4.7'), size_cols, size_rows, 'h2', created_at
           FROM dataset_registry WHERE id = 1;",
    );
    let untouched = file_state(&old);
    let mut reg = busy_target();
    let bytes = reg.to_bytes().unwrap();
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input, "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "{}: dataset_registry id 2 (\"flowers\" version 1): line 1: invalid JSON: ",
            old.display()
        )),
        "{msg}"
    );
    assert_unchanged(&mut reg, &bytes);
    assert_eq!(file_state(&old), untouched);

    // The iris row itself corrupted: not JSON at all.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        "UPDATE dataset_registry SET data = '{\"x\": [1, 2' WHERE id = 1",
    );
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert!(
        e.to_string()
            .contains("dataset_registry id 1 (\"iris\" version 1): line 1: invalid JSON"),
        "{e}"
    );
    assert_unchanged(&mut reg, &bytes);

    // Valid JSON but not the recorded shape.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(dir.path(), "UPDATE dataset_registry SET size_rows = 151");
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert!(
        e.to_string().contains(
            "dataset_registry id 1 (\"iris\" version 1): its data has 150 rows but the Python \
             registry recorded 151"
        ),
        "{e}"
    );
    assert_unchanged(&mut reg, &bytes);
}

#[test]
fn a_value_of_the_wrong_type_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(dir.path(), "UPDATE dataset_registry SET version = 'one'");
    let mut reg = busy_target();
    let bytes = reg.to_bytes().unwrap();
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert_eq!(
        e.to_string(),
        format!(
            "{} is damaged: dataset_registry id 1: column version holds Text, expected an \
             integer; nothing was imported: fix the value with sqlite3 and import again; \
             restore it from a copy (mlops-lite did not change it)",
            old.display()
        )
    );
    assert_unchanged(&mut reg, &bytes);

    // Version 0: named, with the --skip that gets past it (which works).
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(dir.path(), "UPDATE dataset_registry SET version = 0");
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(
        e.to_string().contains(
            "dataset_registry id 1 (\"iris\" version 0): versions start at 1; leave it out with \
             --skip iris@0, or fix its version with sqlite3; nothing was imported"
        ),
        "{e}"
    );
    assert_unchanged(&mut reg, &bytes);
    let options = legacy::LegacyOptions {
        skip: vec!["iris@0".into()],
        ..Default::default()
    };
    let r = legacy::import_legacy_with(&old, &mut reg, &options).unwrap();
    assert_eq!(r.skipped[0].reason, "left out as asked (--skip iris@0)");
}

/// Recreates `table` of a copy without its primary key, so that rows can share an id (as
/// in a file someone altered).
fn without_primary_key(table: &str) -> String {
    format!(
        "PRAGMA foreign_keys = OFF; CREATE TABLE t_copy AS SELECT * FROM {table}; \
         DROP TABLE {table}; ALTER TABLE t_copy RENAME TO {table};"
    )
}

fn skipped(r: &legacy::LegacyReport) -> Vec<(String, i64, String, String)> {
    r.skipped
        .iter()
        .map(|k| (k.table.clone(), k.id, k.what.clone(), k.reason.clone()))
        .collect()
}

fn row(table: &str, id: i64, what: &str, reason: &str) -> (String, i64, String, String) {
    (table.into(), id, what.into(), reason.into())
}

#[test]
fn log_rows_that_cannot_be_imported_are_left_out_and_reported() {
    // A call whose model is not in the file, a record whose call is not, values whose record
    // is not.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        "PRAGMA foreign_keys = OFF;
         UPDATE model_execution_log SET deployable_id = 9;
         INSERT INTO execution_items (id, execution_log_id, reference_id) VALUES (10, 77, 'r');
         INSERT INTO request_items (id, execution_items_id, varname, in_value) VALUES (100, 10, 'x', '1');
         INSERT INTO response_items (id, execution_items_id, classname, out_value) VALUES (100, 10, 'a', 0.5);
         INSERT INTO request_items (id, execution_items_id, varname, in_value) VALUES (101, 555, 'x', '1');",
    );
    let untouched = file_state(&old);
    let mut reg = busy_target();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(
        skipped(&r),
        [
            row(
                "model_execution_log",
                1,
                "",
                "it refers to deployable_registry id 9, which is not in the file; left out with \
                 it: 2 records, 8 input values, 6 output values"
            ),
            row(
                "execution_items",
                10,
                "",
                "it refers to model_execution_log id 77, which is not in the file; left out \
                 with it: 1 input value, 1 output value"
            ),
            row(
                "request_items",
                101,
                "",
                "it refers to execution_items id 555, which is not in the file"
            ),
        ]
    );
    // Everything else is imported.
    assert_eq!(
        (
            r.after.datasets,
            r.after.legacy_models,
            r.after.legacy_calls
        ),
        (2, 1, 0)
    );
    assert_eq!(r.datasets[0].dataset.md5, IRIS_MD5);
    assert_eq!(file_state(&old), untouched);

    // The command line lists them, and --json has them.
    let out = cli_ok(dir.path(), &["import-legacy", "old.db", "--db", "new.db"]);
    assert!(
        out.contains(
            "prediction log: 0 calls with 0 records imported, 0 calls already here
left out: 3 rows of the Python file (the counts below include them):
- model_execution_log id 1: it refers to deployable_registry id 9, which is not in the file; left out with it: 2 records, 8 input values, 6 output values
- execution_items id 10: it refers to model_execution_log id 77, which is not in the file; left out with it: 1 input value, 1 output value
- request_items id 101: it refers to execution_items id 555, which is not in the file

| what "
        ),
        "{out}"
    );
    let json: Value = serde_json::from_str(&cli_ok(
        dir.path(),
        &["--json", "import-legacy", "old.db", "--db", "j.db"],
    ))
    .unwrap();
    assert_eq!(
        json["skipped"][2],
        json!({"table": "request_items", "id": 101, "what": "",
               "reason": "it refers to execution_items id 555, which is not in the file"})
    );
}

#[test]
fn rows_sharing_an_id_are_all_left_out_and_reported() {
    let shared = |t: &str| {
        format!(
            "2 rows of {t} have this id, so what refers to it is ambiguous (the Python tool \
             never writes that: the file was altered); all 2 are left out: give each its own \
             id with sqlite3 and import again"
        )
    };
    // Two datasets with id 1: neither is imported (never one silently), the model trained
    // on "id 1" is listed without a dataset.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        &format!(
            "{} INSERT INTO dataset_registry SELECT 1, 'flowers', 1, description, data, size_cols, \
             size_rows, 'h2', created_at FROM dataset_registry;",
            without_primary_key("dataset_registry")
        ),
    );
    let mut reg = busy_target();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(
        skipped(&r),
        [
            row(
                "dataset_registry",
                1,
                "\"iris\" version 1",
                &shared("dataset_registry")
            ),
            row(
                "dataset_registry",
                1,
                "\"flowers\" version 1",
                &shared("dataset_registry")
            ),
        ]
    );
    assert!(r.datasets.is_empty());
    assert_eq!(r.after.datasets, 1);
    assert_eq!(r.models[0].model.dataset_id, None);
    assert_eq!((r.calls_imported, r.records_imported), (1, 2));

    // Two models with id 1: both left out, and the call that refers to id 1 with them.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        &format!(
            "{} INSERT INTO deployable_registry SELECT 1, dataset_registry_id, 'other', version, \
             target, target_mapping, description, estimator_type, estimator_class, deployable, \
             variables, 'h2', created_at FROM deployable_registry;",
            without_primary_key("deployable_registry")
        ),
    );
    let mut reg = busy_target();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(
        skipped(&r),
        [
            row(
                "deployable_registry",
                1,
                "\"testmodel\" version 1",
                &shared("deployable_registry")
            ),
            row(
                "deployable_registry",
                1,
                "\"other\" version 1",
                &shared("deployable_registry")
            ),
            row(
                "model_execution_log",
                1,
                "",
                "its model (deployable_registry id 1) was left out; left out with it: 2 \
                 records, 8 input values, 6 output values"
            ),
        ]
    );
    assert_eq!(
        (
            r.after.datasets,
            r.after.legacy_models,
            r.after.legacy_calls
        ),
        (2, 0, 0)
    );

    // Two records with id 1: their values cannot be told apart; the call keeps the others.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        &format!(
            "{} UPDATE execution_items SET id = 1; UPDATE request_items SET execution_items_id = 1;
             UPDATE response_items SET execution_items_id = 1;",
            without_primary_key("execution_items")
        ),
    );
    let mut reg = busy_target();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(
        skipped(&r),
        [row(
            "execution_items",
            1,
            "",
            &format!(
                "{}; left out with it: 8 input values, 6 output values",
                shared("execution_items")
            )
        )]
    );
    assert_eq!((r.calls_imported, r.records_imported), (1, 0));
}

#[test]
fn names_we_refuse_say_to_rename_or_skip_and_both_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = edited_copy(
        d,
        "UPDATE dataset_registry SET name = 'iris@home'; UPDATE deployable_registry SET name = '2024';",
    );
    let untouched = file_state(&old);
    let opts = |rename: &[&str], skip: &[&str]| legacy::LegacyOptions {
        rename: rename.iter().map(|s| s.to_string()).collect(),
        skip: skip.iter().map(|s| s.to_string()).collect(),
    };
    let mut reg = busy_target();
    let bytes = reg.to_bytes().unwrap();
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        e.to_string(),
        format!(
            "{}: dataset_registry id 1 (\"iris@home\" version 1): invalid name \"iris@home\": it \
             contains '@', which separates name and version in references; choose another \
             name; import it under another name with --rename iris@home=NEW, or leave it out \
             with --skip iris@home; nothing was imported",
            old.display()
        )
    );
    assert_unchanged(&mut reg, &bytes);
    let e =
        legacy::import_legacy_with(&old, &mut reg, &opts(&["iris@home=iris"], &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: deployable_registry id 1 (\"2024\" version 1): invalid name \"2024\": it is only \
             digits, which would read as an id; choose another name; import it under another \
             name with --rename 2024=NEW, or leave it out with --skip 2024; nothing was imported",
            old.display()
        )
    );
    assert_unchanged(&mut reg, &bytes);

    // Renamed: the dataset and the model under their new names, the report keeps the old.
    let r = legacy::import_legacy_with(
        &old,
        &mut reg,
        &opts(&["iris@home=iris", "2024=model-2024"], &[]),
    )
    .unwrap();
    assert!(r.skipped.is_empty());
    assert_eq!(
        (
            r.datasets[0].legacy_name.as_str(),
            r.datasets[0].dataset.name.as_str()
        ),
        ("iris@home", "iris")
    );
    assert_eq!(r.datasets[0].dataset.md5, IRIS_MD5);
    assert_eq!(
        (
            r.models[0].legacy_name.as_str(),
            r.models[0].model.name.as_str()
        ),
        ("2024", "model-2024")
    );
    assert_eq!(r.models[0].model.dataset.as_deref(), Some("iris@1"));
    assert_eq!(r.calls_imported, 1);

    // Skipped: reported, and the log of a skipped model with it.
    let mut reg = busy_target();
    let r =
        legacy::import_legacy_with(&old, &mut reg, &opts(&[], &["iris@home@1", "2024"])).unwrap();
    assert_eq!(
        skipped(&r),
        [
            row(
                "dataset_registry",
                1,
                "\"iris@home\" version 1",
                "left out as asked (--skip iris@home@1)"
            ),
            row(
                "deployable_registry",
                1,
                "\"2024\" version 1",
                "left out as asked (--skip 2024)"
            ),
            row(
                "model_execution_log",
                1,
                "",
                "its model (deployable_registry id 1) was left out; left out with it: 2 \
                 records, 8 input values, 6 output values"
            ),
        ]
    );
    assert_eq!((r.after.datasets, r.after.legacy_models), (1, 0));

    // Options that match nothing, or a new name we refuse, are refused before anything.
    let mut reg = busy_target();
    for (rename, skip, expected) in [
        (
            &["nothere=x"][..],
            &[][..],
            "--rename \"nothere=x\": no dataset or model has the name before '='; write \
             --rename OLD=NEW with OLD a name in OLD.DB (its datasets and models are named \
             \"2024\", \"iris@home\")",
        ),
        (
            &["iris@home"],
            &[],
            "--rename \"iris@home\": there is no '='",
        ),
        (
            &["iris@home=a@b"],
            &[],
            "--rename \"iris@home=a@b\": invalid name \"a@b\": it contains '@'",
        ),
        (
            &["2024=a", "2024=b"],
            &[],
            "--rename names \"2024\" twice; give one new name",
        ),
        (
            &[],
            &["iris"],
            "--skip \"iris\": no dataset or model of OLD.DB has this name (or NAME@VERSION); its \
             datasets and models are named \"2024\", \"iris@home\"",
        ),
    ] {
        let e = legacy::import_legacy_with(&old, &mut reg, &opts(rename, skip)).unwrap_err();
        let msg = e.to_string().replace(&old.display().to_string(), "OLD.DB");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{msg}");
        assert!(msg.starts_with(expected), "{msg}");
        assert_eq!(reg.list_datasets().unwrap().len(), 1);
    }

    // The command line: the hint works as written, the output says what was renamed.
    let err = cli_fails(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert!(
        err.contains("--rename iris@home=NEW, or leave it out with --skip iris@home"),
        "{err}"
    );
    assert!(cli_fails(
        d,
        &[
            "import-legacy",
            "old.db",
            "--db",
            "new.db",
            "--skip",
            "nothere"
        ]
    )
    .contains("--skip \"nothere\": no dataset or model of old.db has this name"));
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        1,
        "no target, no temporary file"
    );
    let out = cli_ok(
        d,
        &[
            "import-legacy",
            "old.db",
            "--db",
            "new.db",
            "--rename",
            "iris@home=iris",
            "--rename",
            "2024=model-2024",
        ],
    );
    assert!(
        out.contains(&format!(
            "dataset iris@home@1 (Python id 1, imported as iris): bound iris@1 (id 1): 150 rows \
             x 5 columns, md5 {IRIS_MD5}, table data_1
model 2024@1 (Python id 1, imported as model-2024): listed as legacy model 1 on iris@1; not \
             runnable"
        )),
        "{out}"
    );
    assert_eq!(file_state(&old), untouched);
}

#[test]
fn a_view_or_virtual_table_in_place_of_a_python_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let view = edited_copy(
        dir.path(),
        "PRAGMA foreign_keys = OFF; ALTER TABLE dataset_registry RENAME TO dr; \
         CREATE VIEW dataset_registry AS SELECT * FROM dr;",
    );
    let e = legacy::inspect_legacy(&view).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotARegistry);
    assert!(
        e.to_string().contains("it has no dataset_registry table"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let virt = edited_copy(
        dir.path(),
        "PRAGMA foreign_keys = OFF; DROP TABLE dataset_registry; \
         CREATE VIRTUAL TABLE dataset_registry USING fts5(id, name, version, data, hash);",
    );
    let untouched = file_state(&virt);
    let mut reg = busy_target();
    let bytes = reg.to_bytes().unwrap();
    let e = legacy::import_legacy(&virt, &mut reg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotARegistry);
    assert_eq!(
        e.to_string(),
        format!(
            "{} is not an mlops-lite registry: its table dataset_registry is a virtual table \
             (its rows would be computed by code, not read from the file); the Python \
             mlops-lite never writes one, so the file was altered and nothing is imported from it",
            virt.display()
        )
    );
    assert_unchanged(&mut reg, &bytes);
    assert_eq!(file_state(&virt), untouched);
}

#[test]
fn files_that_are_not_python_registries_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(p("data.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(p("empty.db"), "").unwrap();
    rusqlite::Connection::open(p("app.db"))
        .unwrap()
        .execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        .unwrap();
    Registry::open(p("ours.db"))
        .unwrap()
        .bind_dataset(&small("x"), "x", "")
        .unwrap();
    let no_data = edited_copy(
        &{
            let d = p("sub");
            std::fs::create_dir(&d).unwrap();
            d
        },
        "ALTER TABLE dataset_registry RENAME COLUMN data TO payload",
    );
    let cases: Vec<(PathBuf, ErrorKind, String)> = vec![
        (
            p("missing.db"),
            ErrorKind::NotFound,
            format!("{} does not exist", p("missing.db").display()),
        ),
        (
            p("data.csv"),
            ErrorKind::NotARegistry,
            "it is not a SQLite database (its first bytes are not \"SQLite format 3\")".into(),
        ),
        (
            p("empty.db"),
            ErrorKind::NotARegistry,
            "it is empty, so it is not a registry of the Python mlops-lite".into(),
        ),
        (
            p("app.db"),
            ErrorKind::NotARegistry,
            "it has no dataset_registry table, so it is not a registry of the Python \
             mlops-lite either (its tables: customers); import-legacy reads only those"
                .into(),
        ),
        (
            p("ours.db"),
            ErrorKind::NotARegistry,
            format!("it is already a registry of this mlops-lite (format {SCHEMA_VERSION})"),
        ),
        (
            no_data.clone(),
            ErrorKind::NotARegistry,
            "its table dataset_registry has no column \"data\"".into(),
        ),
        (
            dir.path().to_path_buf(),
            ErrorKind::InvalidArgument,
            "is a directory".into(),
        ),
    ];
    let mut reg = busy_target();
    let bytes = reg.to_bytes().unwrap();
    for (path, kind, text) in cases {
        let before = std::fs::read(&path).ok();
        let e = legacy::import_legacy(&path, &mut reg).unwrap_err();
        assert_eq!(e.kind(), kind, "{}: {e}", path.display());
        assert!(e.to_string().contains(&text), "{}: {e}", path.display());
        assert_eq!(legacy::inspect_legacy(&path).unwrap_err().kind(), kind);
        assert_unchanged(&mut reg, &bytes);
        assert_eq!(std::fs::read(&path).ok(), before, "{}", path.display());
    }
    assert!(!p("missing.db").exists());
}

#[test]
fn a_python_file_with_a_wal_beside_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = copy_fixture(dir.path());
    std::fs::write(dir.path().join("old.db-wal"), b"frames").unwrap();
    let mut reg = busy_target();
    let e = legacy::import_legacy(&old, &mut reg).unwrap_err();
    assert!(e.to_string().contains("has a -wal file beside it"), "{e}");
    assert_eq!(
        std::fs::read(dir.path().join("old.db-wal")).unwrap(),
        b"frames"
    );
}

#[test]
fn older_python_files_without_created_at_and_other_json_encodings_import() {
    // Files written before the Python tool had created_at columns.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        "ALTER TABLE dataset_registry DROP COLUMN created_at;
         ALTER TABLE deployable_registry DROP COLUMN created_at;",
    );
    let mut reg = Registry::open_in_memory().unwrap();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!((r.found, r.after), (FOUND, AFTER));
    assert_eq!(r.datasets[0].dataset.md5, IRIS_MD5);
    assert_eq!(r.models[0].model.created_at, None);
    let created: Option<String> = reg
        .connection()
        .unwrap()
        .query_row("SELECT created_at FROM legacy_datasets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(created, None);

    // Early versions stored json.dumps(data) in the JSON column: a JSON string of JSON.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        "UPDATE dataset_registry SET data = json_quote(data)",
    );
    let mut reg = Registry::open_in_memory().unwrap();
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(r.datasets[0].dataset.md5, IRIS_MD5);

    // Bare NaN tokens (json.dumps of a float NaN) are nulls.
    let dir = tempfile::tempdir().unwrap();
    let old = edited_copy(
        dir.path(),
        "UPDATE dataset_registry SET data = replace(data, '[5.1, 4.9', '[NaN, 4.9')",
    );
    let mut reg = Registry::open_in_memory().unwrap();
    legacy::import_legacy(&old, &mut reg).unwrap();
    let info = reg.info("iris").unwrap();
    assert_eq!(
        (info[0].column_name.as_str(), info[0].null_count),
        ("sepal length (cm)", 1)
    );
    let (_, data) = reg.pull_dataset("iris").unwrap();
    let Values::Float(x) = &data.columns()[0].values else {
        panic!("a float column")
    };
    assert!(x[0].is_nan());
    assert_eq!(x[1], 4.9);
}

#[test]
fn a_format_2_registry_migrates_to_the_current_format_and_keeps_models_and_log() {
    // A real registry with a dataset, a model and a logged prediction, taken back to format 2
    // (format 3 only adds the legacy_* tables, format 4 the row hashes); its schema is then
    // exactly what the format 1 and 2 migrations make.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        let mut reg = Registry::open(&path).unwrap();
        let (_, iris) = mlops_lite::dataset::samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
        reg.bind_model(&p, "m", "").unwrap();
        reg.predict(
            "m",
            br#"[{"sepal length (cm)": 5.1, "reference_id": "r1"}]"#,
            true,
        )
        .unwrap();
    }
    let schema = |c: &rusqlite::Connection| -> Vec<String> {
        let mut s = c
            .prepare(
                "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'data\\_%' \
                 ESCAPE '\\' ORDER BY rowid",
            )
            .unwrap();
        let rows = s.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP TABLE legacy_prediction_records; DROP TABLE legacy_prediction_calls;
             DROP TABLE legacy_models; DROP TABLE legacy_datasets; DROP TABLE dataset_row_hashes;
             PRAGMA user_version = 2;
             PRAGMA journal_mode = DELETE;",
        )
        .unwrap();
        let v2 = rusqlite::Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..2] {
            v2.execute_batch(sql).unwrap();
        }
        assert_eq!(schema(&c), schema(&v2), "the file is exactly format 2");
    }

    let mut reg = Registry::open(&path).unwrap();
    let v: i64 = reg
        .connection()
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    assert_eq!(reg.pull_dataset("iris").unwrap().0.md5, IRIS_MD5);
    assert_eq!(reg.list_models().unwrap().len(), 1);
    let log = reg.log(&Default::default()).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].reference_id.as_deref(), Some("r1"));
    reg.predict("m", br#"[{"sepal length (cm)": 6.0}]"#, true)
        .unwrap();
    // The new tables are there and work.
    let dir2 = tempfile::tempdir().unwrap();
    let old = copy_fixture(dir2.path());
    let r = legacy::import_legacy(&old, &mut reg).unwrap();
    assert_eq!(r.datasets[0].outcome, DatasetOutcome::AlreadyThere);
    assert_eq!(r.after.legacy_models, 1);
    drop(reg);
    let reg = Registry::open(&path).unwrap();
    assert_eq!(reg.log(&Default::default()).unwrap().len(), 2);
    assert_eq!(legacy::list_legacy_models(&reg).unwrap().len(), 1);
    // Bound before format 4: no row hashes, and verify says so when its rows change.
    reg.connection().unwrap()
        .execute_batch("PRAGMA foreign_keys = OFF; UPDATE data_1 SET \"sepal width (cm)\" = 3.6 WHERE rowid = 7")
        .unwrap();
    let mut reg = reg;
    let r = reg.verify(1e-12).unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| p.detail.contains("bound before format 4")),
        "{:?}",
        r.problems
    );
}

// ---------------------------------------------------------------------------------------------
// The command line.
// ---------------------------------------------------------------------------------------------

/// Runs the binary in `dir` with `args`; returns (exit code, stdout, stderr).
fn cli(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .env_remove("MLOPS_LITE_DB")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cli_ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = cli(dir, args);
    assert!(
        code == Some(0) && err.is_empty(),
        "{args:?}: {code:?}\n{out}\n{err}"
    );
    out
}

/// One `error: ...` line on stderr, nothing on stdout, exit 1.
fn cli_fails(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = cli(dir, args);
    assert!(
        code == Some(1) && out.is_empty() && err.starts_with("error: ") && err.lines().count() == 1,
        "{args:?}: {code:?}\n{out}\n{err}"
    );
    err
}

const COUNTS_AFTER: &str = "\
| what                  | in the Python file | before | after |
|:----------------------|-------------------:|-------:|------:|
| datasets              |                  1 |      0 |     1 |
| models (not runnable) |                  1 |      0 |     1 |
| logged calls          |                  1 |      0 |     1 |
| logged records        |                  2 |      0 |     2 |
| logged input values   |                  8 |      0 |     8 |
| logged output values  |                  6 |      0 |     6 |
";

const COUNTS_AGAIN: &str = "\
| what                  | in the Python file | before | after |
|:----------------------|-------------------:|-------:|------:|
| datasets              |                  1 |      1 |     1 |
| models (not runnable) |                  1 |      1 |     1 |
| logged calls          |                  1 |      1 |     1 |
| logged records        |                  2 |      2 |     2 |
| logged input values   |                  8 |      8 |     8 |
| logged output values  |                  6 |      6 |     6 |
";

#[test]
fn cli_imports_reports_counts_and_lists_the_models_as_not_runnable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = copy_fixture(d);
    let untouched = file_state(&old);
    let out = cli_ok(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert_eq!(
        out,
        format!(
            "imported old.db (a registry of the Python mlops-lite, opened read-only) into new.db in one transaction
dataset iris@1 (Python id 1): bound iris@1 (id 1): 150 rows x 5 columns, md5 {IRIS_MD5}, table data_1
model testmodel@1 (Python id 1): listed as legacy model 1 on iris@1; not runnable (Python pickle of 2364 bytes, md5 {PICKLE_MD5}, never loaded)
prediction log: 1 call with 2 records imported, 0 calls already here

{COUNTS_AFTER}
The log is plain SQL: sqlite3 new.db 'SELECT * FROM legacy_prediction_records'
"
        )
    );
    let again = cli_ok(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert_eq!(
        again,
        format!(
            "imported old.db (a registry of the Python mlops-lite, opened read-only) into new.db in one transaction
dataset iris@1 (Python id 1): already here as iris@1 (id 1, md5 {IRIS_MD5}); nothing was written
model testmodel@1 (Python id 1): already listed as legacy model 1; nothing was written
prediction log: 0 calls with 0 records imported, 1 call already here

{COUNTS_AGAIN}
The log is plain SQL: sqlite3 new.db 'SELECT * FROM legacy_prediction_records'
"
        )
    );
    assert_eq!(
        cli_ok(d, &["--db", "new.db", "model", "list"]),
        "\
|  id | name | version | dataset_registry_id | estimator_class | estimator_type | description | metrics | created_at |
|----:|:-----|--------:|--------------------:|:----------------|:---------------|:------------|:--------|:-----------|

legacy models, imported from the Python mlops-lite (never loaded: retrain them with `model train`):
| legacy_id | name      | version | dataset | target | estimator_class    | estimator_type | description | pickle_bytes | pickle_md5                       | created_at                 | status                       |
|----------:|:----------|--------:|:--------|:-------|:-------------------|:---------------|:------------|-------------:|:---------------------------------|:---------------------------|:-----------------------------|
|         1 | testmodel |       1 | iris@1  | target | LogisticRegression | classifier     |             |         2364 | 2c8f5127cce25cab3fe55af01f842758 | 2026-11-26 15:45:10.190648 | not runnable (Python pickle) |
"
    );
    // `model list --json` stays the list of runnable models.
    assert_eq!(
        cli_ok(d, &["--db", "new.db", "--json", "model", "list"]),
        "[]\n"
    );
    assert!(cli_fails(
        d,
        &["--db", "new.db", "predict", "--model", "testmodel", "-"]
    )
    .contains("model \"testmodel\" is not in new.db"));
    assert_eq!(
        cli_ok(d, &["--db", "new.db", "dataset", "pull", "iris@1"]),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iris.csv"))
            .unwrap()
    );
    // JSON report.
    let json: Value = serde_json::from_str(&cli_ok(
        d,
        &["--json", "import-legacy", "old.db", "--db", "j.db"],
    ))
    .unwrap();
    assert_eq!(json["found"]["execution_items"], 2);
    assert_eq!(json["after"]["legacy_records"], 2);
    assert_eq!(json["datasets"][0]["outcome"], "imported");
    assert_eq!(json["models"][0]["model"]["runnable"], false);
    assert_eq!(file_state(&old), untouched);
}

#[test]
fn cli_opening_a_python_registry_directly_suggests_import_legacy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = copy_fixture(d);
    let untouched = file_state(&old);
    for args in [
        &["--db", "old.db", "dataset", "list"][..],
        &["--db", "old.db", "dataset", "add", "--sample", "iris"],
        &["--db", "old.db", "model", "list"],
    ] {
        assert_eq!(
            cli_fails(d, args),
            "error: old.db is not an mlops-lite registry: it is a registry of the Python \
             mlops-lite (it has a dataset_registry table) and was not changed; import it into a \
             new registry with `mlops-lite import-legacy old.db --db NEW.db`\n",
            "{args:?}"
        );
    }
    // Importing a file into itself is refused the same way, before anything is written.
    assert!(cli_fails(d, &["import-legacy", "old.db", "--db", "old.db"])
        .contains("import-legacy old.db --db NEW.db"));
    assert_eq!(file_state(&old), untouched);
}

#[test]
fn cli_bad_input_leaves_no_new_registry_and_an_existing_one_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), "a,b\n1,2\n").unwrap();
    let broken = edited_copy(
        d,
        "UPDATE dataset_registry SET data = replace(data, '4.9, 4.7', '4.9,, 4.7')",
    );
    assert_eq!(
        cli_fails(d, &["import-legacy", "missing.db", "--db", "new.db"]),
        "error: missing.db does not exist; pass the path of a registry file written by the \
         Python mlops-lite (by default sqlite/mlops-lite.db in its workspace)\n"
    );
    assert_eq!(
        cli_fails(d, &["import-legacy", "data.csv", "--db", "new.db"]),
        "error: data.csv is not an mlops-lite registry: it is not a SQLite database (its first \
         bytes are not \"SQLite format 3\")\n"
    );
    let err = cli_fails(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert!(
        err.starts_with(
            "error: old.db: dataset_registry id 1 (\"iris\" version 1): line 1: invalid JSON: "
        ),
        "{err}"
    );
    assert!(!d.join("new.db").exists(), "no registry is left behind");

    // An existing registry: byte for byte unchanged, nothing left beside it.
    cli_ok(
        d,
        &["--db", "mine.db", "dataset", "add", "--sample", "iris"],
    );
    let mine = file_state(&d.join("mine.db"));
    cli_fails(d, &["import-legacy", "old.db", "--db", "mine.db"]);
    cli_fails(d, &["import-legacy", "data.csv", "--db", "mine.db"]);
    let mut now = file_state(&d.join("mine.db"));
    now.mtime = mine.mtime;
    assert_eq!(now.bytes, mine.bytes);
    assert_eq!(now.siblings, mine.siblings);
    assert_eq!(file_state(&broken).siblings, ["old.db"]);
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn cli_a_failure_mid_import_leaves_no_target_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The second dataset is malformed: iris was already written (into the temporary file)
    // when the import fails.
    edited_copy(
        d,
        "INSERT INTO dataset_registry (id, name, version, description, data, size_cols, size_rows, hash, created_at)
           SELECT 2, 'flowers', 1, '', replace(data, '4.9, 4.7', '4.9,, 4.7'), size_cols, size_rows, 'h2', created_at
           FROM dataset_registry WHERE id = 1;",
    );
    let err = cli_fails(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert!(
        err.starts_with(
            "error: old.db: dataset_registry id 2 (\"flowers\" version 1): line 1: invalid JSON: "
        ) && err.ends_with(
            "; nothing was imported: to import the rest of the file, leave this dataset out \
             with --skip flowers@1\n"
        ),
        "{err}"
    );
    assert_eq!(listing(d), ["old.db"]);
    // As the message says: with --skip the rest is imported, and the skip is reported.
    let out = cli_ok(
        d,
        &[
            "import-legacy",
            "old.db",
            "--db",
            "new.db",
            "--skip",
            "flowers@1",
        ],
    );
    assert!(
        out.contains(
            "left out: 1 row of the Python file (the counts below include them):
- dataset_registry id 2 (\"flowers\" version 1): left out as asked (--skip flowers@1)
"
        ),
        "{out}"
    );
    assert_eq!(listing(d), ["new.db", "old.db"]);
}

#[test]
fn cli_a_temporary_file_left_by_a_killed_import_is_removed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_fixture(d);
    // No process has this id (Linux pids stay below 2^22).
    let stale = "new.db.import-legacy-999999999.tmp";
    for f in [
        stale,
        &format!("{stale}-wal"),
        "other.db.import-legacy-999999999.tmp",
    ] {
        std::fs::write(d.join(f), b"half an import").unwrap();
    }
    cli_ok(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert_eq!(
        listing(d),
        ["new.db", "old.db", "other.db.import-legacy-999999999.tmp"]
    );
}

/// kill -9 in the middle of an import into a new file: no target file; the temporary file
/// left behind is named after the target and removed by the next import.
#[cfg(unix)]
#[test]
fn cli_a_killed_import_leaves_no_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A dataset of about 30 MB of JSON, so that the import takes a while.
    let old = copy_fixture(d);
    {
        let rows = 600_000;
        let col: Vec<String> = (0..rows).map(|i| format!("{}.{:05}", i % 97, i)).collect();
        let col = col.join(", ");
        let data = format!("{{\"a\": [{col}], \"b\": [{col}], \"c\": [{col}], \"e\": [{col}]}}");
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute(
            "INSERT INTO dataset_registry (id, name, version, description, data, size_cols, \
             size_rows, hash, created_at) VALUES (2, 'big', 1, '', ?1, 4, ?2, 'hb', '')",
            rusqlite::params![data, rows],
        )
        .unwrap();
    }
    let mut child = Command::new(BIN)
        .current_dir(d)
        .env_remove("MLOPS_LITE_DB")
        .args(["import-legacy", "old.db", "--db", "new.db"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp = format!("new.db.import-legacy-{}.tmp", child.id());
    // Wait (bounded) until the import has created its temporary file, then kill it.
    let mut seen = false;
    for _ in 0..60_000 {
        if d.join(&tmp).exists() {
            seen = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen, "the import never created {tmp}: {:?}", listing(d));
    assert!(!d.join("new.db").exists(), "{:?}", listing(d));
    assert!(listing(d)
        .iter()
        .all(|f| f == "old.db" || f.starts_with(&tmp)));
    // The next import removes what the killed one left and writes the target.
    cli_ok(
        d,
        &["import-legacy", "old.db", "--db", "new.db", "--skip", "big"],
    );
    assert_eq!(listing(d), ["new.db", "old.db"]);
}

#[test]
fn cli_names_with_control_characters_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    edited_copy(
        d,
        "UPDATE dataset_registry SET name = 'ir' || char(27) || ']0;pwned' || char(7) || 'is'",
    );
    let err = cli_fails(d, &["import-legacy", "old.db", "--db", "new.db"]);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(
        err.contains(
            "invalid name \"ir\\u{1b}]0;pwned\\u{7}is\": it contains a control character; \
             choose another name; import it under another name with --rename \
             \"ir\\u{1b}]0;pwned\\u{7}is\"=NEW, or leave it out with --skip \
             \"ir\\u{1b}]0;pwned\\u{7}is\""
        ),
        "{err}"
    );
    assert_eq!(listing(d), ["old.db"]);
    let out = cli_ok(
        d,
        &[
            "import-legacy",
            "old.db",
            "--db",
            "new.db",
            "--rename",
            "ir\u{1b}]0;pwned\u{7}is=iris",
        ],
    );
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(
        out.contains(
            "dataset ir\\u{1b}]0;pwned\\u{7}is@1 (Python id 1, imported as iris): bound iris@1"
        ),
        "{out}"
    );
}
