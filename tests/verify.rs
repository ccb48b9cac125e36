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
         models:      1 of 1 load with a matching md5, a readable format and columns that agree with it\n\
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

/// A demo registry's bytes, made once per test binary run (the CLI trains a model).
fn demo_bytes() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let db = demo(dir.path());
            // One file, no -wal beside it.
            let mut reg = Registry::open(&db).unwrap();
            reg.to_bytes().unwrap()
        })
        .clone()
}

/// A fresh copy of the demo registry, forged with `sql` as an attacker with `sqlite3` would
/// (foreign keys and CHECK constraints off), then verified.
fn forged(sql: &str) -> mlops_lite::verify::VerifyReport {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("forged.db");
    std::fs::write(&db, demo_bytes()).unwrap();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON")
            .unwrap();
        c.execute_batch(sql).unwrap();
    }
    let mut reg = Registry::open(&db).unwrap();
    reg.verify(1e-12).unwrap()
}

/// Like [`forged`], for a forgery that opening refuses (the schema no longer matches the
/// rows that describe it): the error, which must say the file was altered.
fn refused(sql: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("forged.db");
    std::fs::write(&db, demo_bytes()).unwrap();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON")
            .unwrap();
        c.execute_batch(sql).unwrap();
    }
    let Err(e) = Registry::open(&db) else {
        panic!("{sql}: the forged file was opened");
    };
    assert_eq!(e.kind(), mlops_lite::ErrorKind::Altered, "{sql}: {e}");
    e.to_string()
}

/// The problems as lines, for messages.
fn lines(r: &mlops_lite::verify::VerifyReport) -> String {
    r.problems
        .iter()
        .map(|p| format!("{} | {} | {}\n", p.check, p.item, p.detail))
        .collect()
}

/// Asserts one problem of `check` on `item` whose detail contains every one of `needles`.
fn assert_problem(r: &mlops_lite::verify::VerifyReport, check: &str, item: &str, needles: &[&str]) {
    assert!(
        r.problems.iter().any(|p| p.check == check
            && p.item == item
            && needles.iter().all(|n| p.detail.contains(n))),
        "no {check} problem on {item:?} containing {needles:?}:\n{}",
        lines(r)
    );
}

#[test]
fn the_untouched_demo_copy_is_clean() {
    // The forging harness itself leaves a clean registry clean (so each forged test below
    // fails for its forgery, not for the harness).
    let r = forged("SELECT 1");
    assert!(r.is_clean(), "{}", lines(&r));
    assert_eq!((r.models, r.models_ok, r.predictions_ok), (1, 1, 2));
}

#[test]
fn every_forged_model_column_is_named_with_both_values() {
    const M: &str = "model testmodel@1 (id 1)";
    let cases: &[(&str, &[&str])] = &[
        (
            "UPDATE models SET estimator_class = 'RandomForestClassifier'",
            &[
                "estimator_class:",
                "\"RandomForestClassifier\"",
                "\"LogisticRegression\"",
            ],
        ),
        (
            "UPDATE models SET estimator_type = 'regressor'",
            &["estimator_type:", "\"regressor\"", "\"classifier\""],
        ),
        (
            "UPDATE models SET target = 'species'",
            &["target:", "\"species\"", "\"target\""],
        ),
        (
            "UPDATE models SET metrics = replace(metrics, '0.9473684210526315', '0.9999')",
            &["metrics:", "0.9999", "0.9473684210526315"],
        ),
        (
            "UPDATE models SET metrics = 'not json'",
            &["metrics:", "\"not json\""],
        ),
        (
            "UPDATE models SET classes = '[\"a\",\"b\",\"c\"]'",
            &["classes:", "[\\\"a\\\",\\\"b\\\",\\\"c\\\"]", "setosa"],
        ),
        (
            "UPDATE models SET signature = '[]'",
            &["signature:", "\"[]\"", "sepal length (cm)"],
        ),
        (
            "UPDATE models SET artifact_format = 7",
            &["artifact_format:", "says 7 ", "says 1"],
        ),
        (
            "UPDATE models SET mlops_lite_version = '9.9.9'",
            &["mlops_lite_version:", "\"9.9.9\"", "\"0.1.0\""],
        ),
        (
            "UPDATE models SET smartcore_version = '0.0.1'",
            &["smartcore_version:", "\"0.0.1\"", "\"0.7.0\""],
        ),
    ];
    for (sql, needles) in cases {
        let r = forged(sql);
        assert_eq!(r.models_ok, 0, "{sql}: {}", lines(&r));
        assert_problem(&r, "model", M, needles);
    }
    // A model pointed at another training dataset: lineage names both md5s.
    let r = forged(
        "INSERT INTO datasets (id, name, version, size_rows, size_cols, md5, data_table) \
         SELECT 2, 'other', 1, 1, 1, '0123456789abcdef0123456789abcdef', 'data_2';
         CREATE TABLE \"data_2\" (\"x\" INTEGER); INSERT INTO data_2 VALUES (1);
         INSERT INTO dataset_columns VALUES (2, 0, 'x', 'int64', 'Int64', 0, 1, 1, 1, 1, NULL);
         UPDATE models SET dataset_id = 2",
    );
    assert_problem(
        &r,
        "lineage",
        M,
        &[
            "training dataset (id 2) has md5 0123456789abcdef0123456789abcdef",
            "the artifact records 1691b6054247506429b07bc1fa364ee3",
        ],
    );
    // ... and the log, whose calls name the model's real training dataset, says so too.
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &[
            "dataset_id: the call names dataset 1",
            "trained on dataset 2",
        ],
    );
}

#[test]
fn every_forged_column_statistic_is_named() {
    const C: &str = "dataset iris@1 (id 1, table data_1), column \"sepal width (cm)\"";
    let w = "WHERE dataset_id = 1 AND position = 1";
    let cases: Vec<(String, &[&str])> = vec![
        (
            format!("UPDATE dataset_columns SET null_count = 3 {w}"),
            &["null_count: stored 3, recomputed 0"],
        ),
        (
            format!("UPDATE dataset_columns SET unique_count = 99 {w}"),
            &["unique_count: stored 99, recomputed 23"],
        ),
        (
            format!("UPDATE dataset_columns SET min_value_num = 0.5 {w}"),
            &["min_value_num: stored 0.5, recomputed 2.0"],
        ),
        (
            format!("UPDATE dataset_columns SET max_value_num = NULL {w}"),
            &["max_value_num: stored NULL, recomputed 4.4"],
        ),
        (
            format!("UPDATE dataset_columns SET mean = 3.5 {w}"),
            &["mean: stored 3.5, recomputed 3.057"],
        ),
        (
            format!("UPDATE dataset_columns SET std = 0.1 {w}"),
            &["std: stored 0.1, recomputed 0.435"],
        ),
        (
            format!("UPDATE dataset_columns SET original_dtype = 'object' {w}"),
            &["original_dtype: stored \"object\", recomputed \"float64\""],
        ),
    ];
    for (sql, needles) in &cases {
        let r = forged(sql);
        assert_eq!(r.datasets_ok, 0, "{sql}: {}", lines(&r));
        assert_problem(&r, "columns", C, needles);
    }
    // A forged stored type no longer matches the data table's declared column: the file is
    // refused when opened, naming the table.
    let e = refused(&format!(
        "UPDATE dataset_columns SET converted_dtype = 'string' {w}"
    ));
    assert!(
        e.contains(
            "table \"data_1\" (dataset \"iris\"@1 (id 1)) does not have the columns its dataset \
             records in dataset_columns: a column's type, constraint or default differs"
        ),
        "{e}"
    );
}

#[test]
fn a_forged_shape_or_row_hash_is_named() {
    const D: &str = "dataset iris@1 (id 1, table data_1)";
    let r = forged("UPDATE datasets SET size_cols = 9");
    assert_problem(
        &r,
        "dataset",
        D,
        &["size_cols: the row says 9, the md5-checked rows give 5"],
    );
    let r = forged("UPDATE dataset_row_hashes SET xxh3 = 42 WHERE block = 3");
    assert_problem(&r, "dataset", D, &["dataset_row_hashes:", "do not match"]);
    let r = forged("DELETE FROM dataset_row_hashes WHERE block = 149");
    assert_problem(
        &r,
        "dataset",
        D,
        &["dataset_row_hashes:", "the 149 stored row hashes"],
    );
    // A row that names another table: refused when opened.
    let e = refused("UPDATE datasets SET data_table = 'data_7'");
    assert!(
        e.contains(
            "dataset \"iris\"@1 (id 1): its data_table names table \"data_7\" where \"data_1\" should be"
        ),
        "{e}"
    );
}

#[test]
fn forged_names_and_times_are_named_escaped() {
    let r = forged("UPDATE datasets SET name = 'ir' || char(27) || ']0;pwned' || char(7) || 'is'");
    assert_problem(
        &r,
        "dataset",
        "dataset \"ir\\u{1b}]0;pwned\\u{7}is\"@1 (id 1, table data_1)",
        &["name: invalid name", "control character"],
    );
    assert!(
        !lines(&r).contains('\u{1b}'),
        "an escape character reached the report: {}",
        lines(&r)
    );
    let r = forged("UPDATE models SET name = '42'");
    assert_problem(
        &r,
        "model",
        "model \"42\"@1 (id 1)",
        &["name: invalid name \"42\": it is only digits"],
    );
    let r = forged("UPDATE models SET created_at = 'yesterday'");
    assert_problem(
        &r,
        "model",
        "model testmodel@1 (id 1)",
        &["created_at: it is not a time"],
    );
    let r = forged("UPDATE prediction_calls SET created_at = '2026-13-45'");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["created_at: it is not a time"],
    );
}

#[test]
fn an_incomplete_or_orphaned_log_is_named() {
    // A deleted record: the call's count no longer matches.
    let r = forged("DELETE FROM prediction_records WHERE position = 1");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["n_records: the call says 2 records, the log holds 1"],
    );
    // A forged count.
    let r = forged("UPDATE prediction_calls SET n_records = 5");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["n_records: the call says 5 records, the log holds 2"],
    );
    // A gap in the positions.
    let r = forged("UPDATE prediction_records SET position = 4 WHERE position = 1");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["position: record 1 of the call has position 4"],
    );
    // Records whose call was deleted.
    let r = forged("DELETE FROM prediction_calls");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["2 prediction_records name call 1, which is not in prediction_calls"],
    );
    // A call pointing to a model (or a dataset) that is not there.
    let r = forged("UPDATE prediction_calls SET model_id = 42");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["model_id: model 42 is not in the registry"],
    );
    let r = forged("UPDATE prediction_calls SET dataset_id = 43");
    assert_problem(
        &r,
        "log",
        "prediction call 1",
        &["dataset_id: dataset 43 is not in the registry"],
    );
    // A logged number replaced by null (NaN) is a difference, never a match.
    let r = forged("UPDATE prediction_records SET outputs = '[null,0.40353803943839495,0.00035606336781195537]' WHERE position = 0");
    assert_eq!(r.predictions_ok, 1, "{}", lines(&r));
    assert_problem(
        &r,
        "prediction",
        "prediction call 1 position 0 (model testmodel@1)",
        &["difference inf"],
    );
    assert!(r.max_abs_diff.is_infinite());
    // The same with NaN as the log writes a non-finite output (ryu's form, not JSON).
    let r = forged("UPDATE prediction_records SET outputs = '[NaN,0.40353803943839495,0.00035606336781195537]' WHERE position = 0");
    assert_eq!(r.predictions_ok, 1, "{}", lines(&r));
    assert_problem(
        &r,
        "prediction",
        "prediction call 1 position 0 (model testmodel@1)",
        &["logged outputs \"[NaN,", "difference inf"],
    );
}

#[test]
fn a_wrong_typed_cell_is_a_named_problem_never_a_stop() {
    let cases: &[(&str, &str, &str)] = &[
        (
            // (A TEXT column turns a number into text: a blob keeps another type.)
            "UPDATE models SET estimator_class = x'4c52'",
            "table models, row id 1, column estimator_class",
            "holds a blob (2 bytes) where text belongs",
        ),
        (
            "UPDATE models SET artifact_format = 'one'",
            "table models, row id 1, column artifact_format",
            "holds text (\"one\") where an integer belongs",
        ),
        (
            "UPDATE models SET metrics = x'00ff'",
            "table models, row id 1, column metrics",
            "holds a blob (2 bytes) where text belongs",
        ),
        (
            "UPDATE datasets SET size_rows = 'many'",
            "table datasets, row id 1, column size_rows",
            "holds text (\"many\") where an integer belongs",
        ),
        (
            "UPDATE dataset_columns SET mean = 'x' WHERE position = 0",
            "table dataset_columns, row dataset_id 1, position 0, column mean",
            "holds text (\"x\") where a number or NULL belongs",
        ),
        (
            "UPDATE prediction_calls SET n_records = 'two'",
            "table prediction_calls, row id 1, column n_records",
            "holds text (\"two\") where an integer belongs",
        ),
        (
            "UPDATE prediction_records SET inputs = x'5b5d' WHERE position = 1",
            "table prediction_records, row call_id 1, position 1, column inputs",
            "holds a blob (2 bytes) where text belongs",
        ),
        (
            "UPDATE prediction_records SET reference_id = x'37' WHERE position = 1",
            "table prediction_records, row call_id 1, position 1, column reference_id",
            "holds a blob (1 bytes) where text or NULL belongs",
        ),
        (
            "UPDATE dataset_row_hashes SET xxh3 = 'h' WHERE block = 0",
            "table dataset_row_hashes, row dataset_id 1, block 0, column xxh3",
            "holds text (\"h\") where an integer belongs",
        ),
    ];
    for (sql, item, detail) in cases {
        let r = forged(sql);
        assert_problem(&r, "cell", item, &[detail, "altered outside mlops-lite"]);
    }
    // A wrong-typed cell in a data table is located by row and column too.
    let r = forged("UPDATE data_1 SET \"petal length (cm)\" = x'01' WHERE rowid = 4");
    assert!(
        lines(&r).contains("row 4, column \"petal length (cm)\": found Blob in a Float64 column"),
        "{}",
        lines(&r)
    );
}

#[test]
fn log_list_explains_a_wrong_typed_cell() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("forged.db");
    std::fs::write(&db, demo_bytes()).unwrap();
    tamper(&db, "UPDATE prediction_calls SET created_at = x'3132'");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["log", "list"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("holds Blob where another type belongs"),
        "{err}"
    );
    assert!(err.contains("altered outside mlops-lite"), "{err}");
    assert!(err.contains("mlops-lite verify"), "{err}");
    // verify names it.
    let (code, out, _) = verify_cli(&db);
    assert_eq!(code, 1);
    assert!(
        out.contains("table prediction_calls, row id 1, column created_at"),
        "{out}"
    );
}

#[test]
fn a_forged_source_fingerprint_never_passes_other_rows_off_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let genuine = dir.path().join("genuine.csv");
    let other = dir.path().join("other.csv");
    std::fs::write(&genuine, "x,y\n1,a\n2,b\n").unwrap();
    std::fs::write(&other, "x,y\n9,z\n").unwrap();
    let add = |file: &Path, name: &str| {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(&db)
            .args(["dataset", "add"])
            .arg(file)
            .args(["--name", name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // "d" holds other rows; "g" was bound from the genuine file. The attacker copies g's
    // fingerprint onto d.
    add(&other, "d");
    add(&genuine, "g");
    tamper(
        &db,
        "UPDATE datasets SET source_fingerprint = (SELECT source_fingerprint FROM datasets WHERE name = 'g') WHERE name = 'd'",
    );
    let out = add(&genuine, "d");
    assert!(!out.contains("already holds this content"), "{out}");
    let reg = Registry::open(&db).unwrap();
    let (entry, data) = reg.pull_dataset("d").unwrap();
    assert_eq!(
        entry.version, 2,
        "the genuine file was bound as a new version"
    );
    let (_, g) = reg.pull_dataset("g").unwrap();
    assert_eq!(data, g);
    // Re-adding the genuine file now finds its content by md5, honestly.
    drop(reg);
    let out = add(&genuine, "d");
    assert!(
        out.contains("d@2") && out.contains("already holds this content"),
        "{out}"
    );
}

#[test]
fn the_report_lists_a_bounded_number_of_problems_and_counts_the_rest() {
    // 10,051 orphaned records, each under its own missing call: one problem each.
    let r = forged(
        "WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n WHERE i < 10150) \
         INSERT INTO prediction_records SELECT i, 0, NULL, '[]', '[]' FROM n",
    );
    let max = mlops_lite::verify::MAX_PROBLEMS;
    assert_eq!(r.problems.len(), max + 1);
    assert_eq!(r.problems_not_listed, 10_051 - max as u64);
    let last = r.problems.last().unwrap();
    assert_eq!(
        (last.check.as_str(), last.item.as_str()),
        ("report", "verify")
    );
    assert!(
        last.detail
            .contains("51 more problems were found and not listed (the first 10000 are)"),
        "{}",
        last.detail
    );
    // The genuine log still replays.
    assert_eq!((r.predictions, r.predictions_ok), (2, 2));
}
