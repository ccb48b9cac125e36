//! Issue 11, deliverables 1 and 7: opening a registry is a check, not a trust. A file altered
//! with `sqlite3` (triggers, views, unknown tables, indexes or columns, a dataset row that
//! points at another table) is refused by every command with an error naming the object,
//! nothing stored in it runs, and the file is left byte for byte as it was; commands that only
//! read never write (no journal-mode switch, no migration); a writer that cannot get the lock
//! says who holds it and computes nothing.

mod common;

use std::path::Path;

use common::{db_state, Tmp, BIN};
use mlops_lite::{ErrorKind, Registry};

/// A registry with iris, a model and one logged call.
fn registry() -> Tmp {
    let t = Tmp::with_iris_lr();
    let records = t.write("r.json", r#"[{"sepal length (cm)": 5.1}]"#);
    t.ok(&["predict", "--model", "iris-lr", &records, "--log"]);
    t
}

/// A registry of format 1 (datasets only), as written by an earlier mlops-lite.
fn format1() -> Tmp {
    let t = Tmp::new();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/registry-format1.db"
        ),
        &t.db,
    )
    .unwrap();
    t
}

/// What an attacker does with `sqlite3`: plain SQL on the file, outside mlops-lite.
fn attack(db: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(db).expect("open with rusqlite");
    conn.execute_batch(sql).expect("the attacker's SQL runs");
}

/// Every command that opens a file, read-only and writing ones.
fn every_command(t: &Tmp) -> Vec<Vec<String>> {
    let records = t.write("r2.json", r#"[{"sepal length (cm)": 6.1}]"#);
    let csv = t.write("d.csv", "a,b\n1,2\n");
    let copy = t.path("copy.db").display().to_string();
    let pulled = t.path("pulled.csv").display().to_string();
    [
        vec!["dataset", "list"],
        vec!["dataset", "info", "iris"],
        vec!["dataset", "pull", "iris", "--out", &pulled],
        vec!["dataset", "add", &csv, "--name", "d"],
        vec!["model", "list"],
        vec!["model", "info", "iris-lr"],
        vec![
            "model",
            "train",
            "--dataset",
            "iris",
            "--target",
            "target",
            "--name",
            "m2",
        ],
        vec!["predict", "--model", "iris-lr", &records],
        vec!["predict", "--model", "iris-lr", &records, "--log"],
        vec!["log", "list"],
        vec!["log", "export", "--format", "csv"],
        vec!["verify"],
        vec!["reproduce", "iris-lr"],
        vec!["migrate"],
        vec!["copy", "--from", &t.db(), "--to", &copy],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(String::from).collect())
    .collect()
}

/// Runs every command on the altered registry: each fails cleanly naming `object`, the file
/// is unchanged, and the canary table (written by the attacker's SQL if it ever ran) is empty.
fn refused_everywhere(t: &Tmp, object: &str) {
    let before = db_state(&t.db);
    for args in every_command(t) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = t.fails(&args);
        assert!(
            err.contains("was altered outside mlops-lite") && err.contains(object),
            "`{}` should refuse the file naming {object}: {err}",
            args.join(" ")
        );
        assert_eq!(
            db_state(&t.db),
            before,
            "`{}` changed the file",
            args.join(" ")
        );
    }
    assert!(!t.path("copy.db").exists(), "copy left a target behind");
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let canary: i64 = conn
        .query_row("SELECT count(*) FROM canary", [], |r| r.get(0))
        .unwrap_or(0);
    assert_eq!(canary, 0, "SQL stored in the file ran");
}

#[test]
fn a_trigger_is_refused_and_never_runs() {
    let t = registry();
    attack(
        &t.db,
        "CREATE TABLE canary (x); \
         CREATE TRIGGER wipe AFTER INSERT ON prediction_records BEGIN \
           DELETE FROM prediction_records WHERE call_id < NEW.call_id; INSERT INTO canary VALUES (1); END;",
    );
    refused_everywhere(&t, "trigger \"wipe\"");
}

#[test]
fn a_trigger_that_deletes_the_new_row_is_refused() {
    let t = registry();
    attack(
        &t.db,
        "CREATE TABLE canary (x); \
         CREATE TRIGGER gone AFTER INSERT ON datasets BEGIN DELETE FROM datasets WHERE id = NEW.id; END;",
    );
    refused_everywhere(&t, "trigger \"gone\"");
}

#[test]
fn a_view_where_a_data_table_should_be_is_refused() {
    let t = registry();
    attack(
        &t.db,
        "CREATE TABLE canary (x); DROP TABLE data_1; \
         CREATE VIEW data_1 AS SELECT 1 AS x;",
    );
    refused_everywhere(&t, "view \"data_1\"");
}

#[test]
fn unknown_tables_indexes_and_columns_are_refused() {
    for (sql, object) in [
        (
            "CREATE TABLE canary (x); CREATE TABLE extra (x)",
            "table \"extra\"",
        ),
        (
            "CREATE TABLE canary (x); CREATE INDEX by_name ON models (lower(name))",
            "index \"by_name\"",
        ),
        (
            "CREATE TABLE canary (x); ALTER TABLE models ADD COLUMN note TEXT",
            "table \"models\" is not defined as registry format 4 defines it: unknown column \"note\"",
        ),
        (
            "CREATE TABLE canary (x); ALTER TABLE data_1 ADD COLUMN extra REAL",
            "table \"data_1\" (dataset \"iris\"@1 (id 1)) does not have the columns its dataset \
             records in dataset_columns: unknown column \"extra\"",
        ),
        (
            "CREATE VIRTUAL TABLE canary USING fts5(x)",
            "virtual table \"canary\"",
        ),
    ] {
        let t = registry();
        attack(&t.db, sql);
        let err = t.fails(&["dataset", "list"]);
        assert!(
            err.contains("was altered outside mlops-lite") && err.contains(object),
            "{sql}: {err}"
        );
    }
}

#[test]
fn a_dataset_row_pointing_at_another_table_is_refused() {
    let t = registry();
    attack(
        &t.db,
        "CREATE TABLE canary (x); UPDATE datasets SET data_table = 'models' WHERE id = 1",
    );
    refused_everywhere(
        &t,
        "dataset \"iris\"@1 (id 1): its data_table names table \"models\" where \"data_1\" should be",
    );
}

#[test]
fn bytes_with_a_trigger_are_refused_like_files() {
    let t = registry();
    attack(
        &t.db,
        "CREATE TRIGGER t AFTER INSERT ON models BEGIN SELECT 1; END;",
    );
    // The npm package and the page open bytes: the same check.
    let bytes = std::fs::read(&t.db).unwrap();
    let e = Registry::from_bytes(&bytes).err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::Altered);
    assert!(
        e.to_string()
            .contains("<bytes> was altered outside mlops-lite and is not opened: trigger \"t\""),
        "{e}"
    );
}

#[test]
fn read_only_commands_never_switch_a_rollback_journal_file_to_wal() {
    let t = registry();
    attack(&t.db, "PRAGMA journal_mode = DELETE");
    let header = |db: &Path| std::fs::read(db).unwrap()[18..20].to_vec();
    assert_eq!(header(&t.db), [1, 1]);
    let before = db_state(&t.db);
    for args in every_command(&t) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let writes = matches!(
            args[..],
            ["dataset", "add", ..] | ["model", "train", ..] | ["copy", ..]
        ) || args.contains(&"--log");
        if writes {
            continue;
        }
        let _ = t.run(&args);
        assert_eq!(
            db_state(&t.db),
            before,
            "`{}` changed the file",
            args.join(" ")
        );
    }
    assert_eq!(header(&t.db), [1, 1]);
}

#[test]
fn an_older_format_is_upgraded_only_by_a_command_that_writes() {
    let t = format1();
    let before = db_state(&t.db);
    let err = t.fails(&["dataset", "list"]);
    assert!(
        err.contains("uses registry format 1; this command only reads")
            && err.contains(&format!("mlops-lite --db {} migrate", t.db())),
        "{err}"
    );
    assert_eq!(
        db_state(&t.db),
        before,
        "a read-only command migrated the file"
    );
    assert_eq!(
        t.ok(&["migrate"]),
        format!(
            "upgraded {} from registry format 1 to {} in one transaction\n",
            t.db(),
            mlops_lite::store::SCHEMA_VERSION
        )
    );
    assert!(t.ok(&["dataset", "list"]).contains("d'<b>"));
    let again = db_state(&t.db);
    assert!(t.ok(&["migrate"]).contains("is already registry format"));
    assert_eq!(db_state(&t.db), again);
}

#[test]
fn an_empty_file_is_not_a_registry_for_reading() {
    let t = Tmp::new();
    std::fs::write(&t.db, b"").unwrap();
    let err = t.fails(&["model", "list"]);
    assert!(
        err.contains("it is empty") && err.contains("dataset add"),
        "{err}"
    );
    assert_eq!(std::fs::read(&t.db).unwrap(), b"");
}

#[test]
fn a_forged_row_count_sizes_no_allocation() {
    for rows in ["9223372036854775807", "-5", "4611686018427387904"] {
        let t = registry();
        attack(
            &t.db,
            &format!(
                "PRAGMA ignore_check_constraints = ON; UPDATE datasets SET size_rows = {rows}"
            ),
        );
        for args in [
            vec!["dataset", "pull", "iris"],
            vec![
                "model",
                "train",
                "--dataset",
                "iris",
                "--target",
                "target",
                "--name",
                "x",
            ],
            vec!["reproduce", "iris-lr"],
        ] {
            let err = t.fails(&args);
            assert!(
                err.contains("is damaged")
                    && err.contains(&format!("the registry recorded {rows}")),
                "{rows} {args:?}: {err}"
            );
        }
        let v = t.run(&["verify"]);
        assert_eq!(v.code, Some(1), "{}", v.stderr);
        assert!(!v.stderr.contains("panicked"), "{}", v.stderr);
    }
}

#[test]
fn a_writer_that_cannot_get_the_lock_names_the_holder_and_computes_nothing() {
    let t = registry();
    let records = t.write("r3.json", r#"[{"sepal length (cm)": 7.1}]"#);
    let holder = rusqlite::Connection::open(&t.db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let run = t.run(&["predict", "--model", "iris-lr", &records, "--log"]);
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(
        run.stdout.is_empty(),
        "predictions were printed: {}",
        run.stdout
    );
    let err = run.fails();
    let me = format!("pid {}", std::process::id());
    assert!(
        err.contains("is locked by another writer (waited 10 s)")
            && err.contains(&me)
            && err.contains("nothing was computed or written: run the command again"),
        "{err}"
    );
    assert_eq!(common::count(&t.db, "prediction_records"), 1);
    let _ = BIN;
}

#[test]
fn a_file_holding_only_a_view_is_not_empty() {
    let t = Tmp::new();
    attack(&t.db, "CREATE VIEW v AS SELECT 1 AS x");
    let before = db_state(&t.db);
    let err = t.fails(&["dataset", "add", "--sample", "iris"]);
    assert!(
        err.contains("was altered outside mlops-lite")
            && err.contains("view \"v\" is in a file that holds no registry yet"),
        "{err}"
    );
    assert_eq!(db_state(&t.db), before);
}

#[test]
fn copy_reads_an_older_format_without_upgrading_its_source() {
    let t = format1();
    let before = db_state(&t.db);
    let to = t.path("new.db");
    let out = t.ok(&["copy", "--from", &t.db(), "--to", &common::s(&to)]);
    assert!(out.contains("d'<b>"), "{out}");
    assert_eq!(db_state(&t.db), before, "copy upgraded its source");
    let listed = t.run_on(&to, &["dataset", "list"]).ok();
    assert!(
        listed.contains("d'<b>") && listed.contains("iris"),
        "{listed}"
    );
}
