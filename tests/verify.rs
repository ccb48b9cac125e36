//! `verify` and `reproduce` on the README's demo registry: clean, then with one byte of a
//! dataset row, a model blob or a logged output changed, each reported by row.

use std::path::Path;
use std::process::Command;

use mlops_lite::Registry;

const BIN: &str = env!("CARGO_BIN_EXE_mlops-lite");

fn demo(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("demo.db");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .arg("demo")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn tamper(db: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    c.execute_batch(sql).unwrap();
}

fn verify_cli(db: &Path) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .arg("verify")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_demo_registry_verifies_and_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let (code, out, err) = verify_cli(&db);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "datasets:    1 of 1 match their md5 and column metadata\n\
         models:      1 of 1 load with a matching md5 and a readable format\n\
         lineage:     1 of 1 models have their training dataset with the recorded md5\n\
         predictions: 2 of 2 logged records reproduced (2 bit for bit; largest difference 0e0, tolerance 1e-12)\n\
         everything reproduced\n"
    );
    let mut reg = Registry::open(&db).unwrap();
    let r = reg.reproduce("testmodel").unwrap();
    assert!(r.identical, "{r:?}");
    assert_eq!(r.stored_md5, r.reproduced_md5);
    assert_eq!(r.stored_metrics, r.reproduced_metrics);
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["reproduce", "testmodel"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(": identical\n"));
}

#[test]
fn a_changed_dataset_value_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    tamper(
        &db,
        "UPDATE data_1 SET \"sepal width (cm)\" = 3.6 WHERE rowid = 7",
    );
    let (code, out, err) = verify_cli(&db);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("datasets:    0 of 1"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("| dataset "))
        .expect("a dataset problem");
    assert!(
        line.contains("| dataset iris@1 (id 1, table data_1) "),
        "{line}"
    );
    assert!(
        line.contains(
            "| its rows no longer match its md5 (stored 1691b6054247506429b07bc1fa364ee3"
        ),
        "{line}"
    );
    // The model trained on it no longer has a sound training dataset either.
    assert!(
        out.contains("its training dataset (id 1) failed its checks"),
        "{out}"
    );
    assert!(err.contains("2 check(s) failed"), "{err}");
    // A value of the wrong type is located by row and column.
    tamper(
        &db,
        "UPDATE data_1 SET \"sepal width (cm)\" = 'wide' WHERE rowid = 9",
    );
    let (_, out, _) = verify_cli(&db);
    assert!(
        out.contains("row 9, column \"sepal width (cm)\": found Text in a Float64 column"),
        "{out}"
    );
}

#[test]
fn a_changed_model_blob_is_reported_and_its_log_not_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let mut blob: Vec<u8> = c
            .query_row("SELECT artifact FROM models", [], |r| r.get(0))
            .unwrap();
        let k = blob.len() / 3;
        blob[k] ^= 1;
        c.execute("UPDATE models SET artifact = ?1", [blob])
            .unwrap();
    }
    let (code, out, _) = verify_cli(&db);
    assert_eq!(code, 1);
    assert!(
        out.lines()
            .any(|l| l.starts_with("| model ") && l.contains("| model testmodel@1 (id 1) ")),
        "{out}"
    );
    assert!(
        out.contains("its artifact no longer matches its md5"),
        "{out}"
    );
    assert!(
        out.lines().any(
            |l| l.contains("prediction call 1 position 0 (model testmodel@1)")
                && l.contains("its model could not be loaded")
        ),
        "{out}"
    );
}

#[test]
fn a_changed_logged_output_is_reported_by_call_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    tamper(&db, "UPDATE prediction_records SET outputs = replace(outputs, '0.59', '0.58') WHERE position = 0");
    let mut reg = Registry::open(&db).unwrap();
    let r = reg.verify(1e-12).unwrap();
    assert_eq!((r.predictions, r.predictions_ok), (2, 1));
    assert_eq!(r.problems.len(), 1);
    assert_eq!(
        r.problems[0].item,
        "prediction call 1 position 0 (model testmodel@1)"
    );
    assert!((r.max_abs_diff - 0.01).abs() < 1e-9, "{}", r.max_abs_diff);
    // Within a loose tolerance it counts as reproduced, and the difference is still reported.
    let loose = reg.verify(0.1).unwrap();
    assert!(loose.is_clean());
    assert_eq!(loose.predictions_identical, 1);
    // Inputs that no longer fit the model are named too.
    tamper(
        &db,
        "UPDATE prediction_records SET inputs = '[\"x\",1,1,1]' WHERE position = 1",
    );
    let r = Registry::open(&db).unwrap().verify(1e-12).unwrap();
    assert!(
        r.problems.iter().any(
            |p| p.item == "prediction call 1 position 1 (model testmodel@1)"
                && p.detail.contains("cannot be replayed")
        ),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_missing_training_dataset_breaks_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    tamper(
        &db,
        "UPDATE datasets SET md5 = '00000000000000000000000000000000' WHERE id = 1",
    );
    let r = Registry::open(&db).unwrap().verify(1e-12).unwrap();
    assert_eq!((r.lineage, r.lineage_ok), (1, 0));
    assert!(
        r.problems
            .iter()
            .any(|p| p.check == "lineage" && p.item == "model testmodel@1 (id 1)"),
        "{:?}",
        r.problems
    );
    assert!(
        r.problems.iter().any(|p| p.check == "dataset"),
        "{:?}",
        r.problems
    );
}
