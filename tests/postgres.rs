//! What only the PostgreSQL backend and `copy` face: bad URLs, unreachable servers, refused
//! credentials, schemas holding other tables, newer formats, connections dropped in the middle
//! of a bind or a copy (through a proxy that cuts the TCP stream), and copies between SQLite
//! and PostgreSQL in both directions. Uses the PostgreSQL on 127.0.0.1:5432 (database `test`,
//! trust auth); each test works in its own schema, dropped afterwards.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::targets::{self, pg_admin, pg_base, unique_schema, Snapshot, Target};
use mlops_lite::copy::{copy, Selection};
use mlops_lite::dataset::{samples, Column, Dataset, Values};
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::store::LogFilter;
use mlops_lite::{ErrorKind, Registry};

use common::BIN;

const RECORDS: &str = r#"[
  {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2},
  {"reference_id": "r2", "sepal length (cm)": 7.7, "sepal width (cm)": 3.0, "petal length (cm)": 6.1, "petal width (cm)": 2.3}
]"#;

/// Everything the registry at `db` holds.
fn snapshot(db: &str) -> Snapshot {
    targets::snapshot(&Registry::open_existing(db).unwrap())
}

/// The tables of a schema, straight from the catalog.
fn tables(schema: &str) -> Vec<String> {
    pg_admin()
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
            &[&schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A registry with iris, the default model and two logged predictions.
fn populated(db: &str) -> Registry {
    let mut reg = Registry::open(db).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    reg.predict("m", RECORDS.as_bytes(), true).unwrap();
    reg
}

/// `rows` x 4 random-ish floats.
fn big(rows: usize, salt: f64) -> Dataset {
    let cols = (0..4)
        .map(|c| {
            let v = (0..rows)
                .map(|r| ((r * 7 + c * 13) % 1000) as f64 / 7.0 + salt)
                .collect();
            Column::new(format!("x{c}"), Values::Float(v))
        })
        .collect();
    Dataset::new(cols).unwrap()
}

/// A TCP proxy to the PostgreSQL server that cuts both directions once `limit` bytes (both
/// ways together) went through: a connection dropped in the middle of an operation.
fn cutting_proxy(limit: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let upstream = TcpStream::connect("127.0.0.1:5432").unwrap();
            let seen = Arc::new(AtomicUsize::new(0));
            let pipe = |mut from: TcpStream, mut to: TcpStream, seen: Arc<AtomicUsize>| {
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if seen.fetch_add(n, Ordering::SeqCst) + n > limit {
                            break;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = from.shutdown(Shutdown::Both);
                    let _ = to.shutdown(Shutdown::Both);
                });
            };
            pipe(
                client.try_clone().unwrap(),
                upstream.try_clone().unwrap(),
                seen.clone(),
            );
            pipe(upstream, client, seen);
        }
    });
    port
}

fn proxied_url(port: u16, schema: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/test?schema={schema}")
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(args)
        .env_remove("MLOPS_LITE_DB")
        .output()
        .unwrap()
}

/// Asserts a clean one-line CLI failure (common::Run::fails) containing every needle;
/// returns stderr.
fn cli_fails(args: &[&str], needles: &[&str]) -> String {
    let stderr = common::mlops(&std::env::temp_dir(), args).fails();
    for n in needles {
        assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr}");
    }
    stderr
}

#[test]
fn malformed_urls_are_refused_before_connecting() {
    for (url, needle) in [
        (
            "postgres://postgres@127.0.0.1:notaport/test",
            "malformed PostgreSQL URL",
        ),
        ("postgres:///test", "names no host"),
        (
            "postgres://postgres@127.0.0.1/test?schema=a;b",
            "plain PostgreSQL name",
        ),
        (
            "postgres://postgres@127.0.0.1/test?nonsense=1",
            "malformed PostgreSQL URL",
        ),
    ] {
        let e = Registry::open(url).err().expect(url);
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{url}: {e}");
        assert!(e.to_string().contains(needle), "{url}: {e}");
        cli_fails(&["--db", url, "dataset", "list"], &[needle]);
    }
    // The password never shows in messages.
    let e = Registry::open("postgres://bob:s3cret@127.0.0.1:notaport/test")
        .err()
        .unwrap();
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

#[test]
fn unreachable_server_and_refused_credentials_say_what_to_do() {
    // Nothing listens on port 1.
    let e = Registry::open("postgres://postgres@127.0.0.1:1/test")
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.to_string().contains("not reachable"), "{e}");
    assert!(e.to_string().contains("service postgresql start"), "{e}");
    cli_fails(
        &[
            "--db",
            "postgres://postgres@127.0.0.1:1/test",
            "dataset",
            "add",
            "--sample",
            "iris",
        ],
        &[
            "cannot connect to postgres://postgres@127.0.0.1:1/test",
            "not reachable",
        ],
    );
    pg_admin();
    let e = Registry::open(format!(
        "postgres://no_such_role_mlops:pw@127.0.0.1:5432/test?schema={}",
        unique_schema("cred")
    ))
    .err()
    .unwrap();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(e.to_string().contains("no_such_role_mlops"), "{e}");
    assert!(!e.to_string().contains(":pw@"), "{e}");
    let e = Registry::open("postgres://postgres@127.0.0.1:5432/no_such_database_mlops")
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Connection, "{e}");
    assert!(
        e.to_string().contains("createdb no_such_database_mlops"),
        "{e}"
    );
}

#[test]
fn a_schema_holding_other_tables_is_left_alone() {
    let schema = unique_schema("other");
    let mut admin = pg_admin();
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.customers (id int); \
             INSERT INTO {schema}.customers VALUES (1)"
        ))
        .unwrap();
    let url = format!("{}?schema={schema}", pg_base());
    let e = Registry::open(&url).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::NotARegistry, "{e}");
    assert!(
        e.to_string().contains("holds other objects (customers)"),
        "{e}"
    );
    cli_fails(
        &["--db", &url, "dataset", "add", "--sample", "iris"],
        &["holds other objects (customers)", "?schema=NAME"],
    );
    assert_eq!(tables(&schema), ["customers"]);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn a_newer_format_is_refused_and_left_as_it_was() {
    let t = Target::postgres();
    populated(&t.db);
    let schema = t.schema().unwrap();
    let before = snapshot(&t.db);
    pg_admin()
        .execute(
            &format!("UPDATE {schema}.mlops_meta SET value = '99' WHERE key = 'format_version'"),
            &[],
        )
        .unwrap();
    let e = Registry::open(&t.db).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::NewerFormat, "{e}");
    assert!(e.to_string().contains("registry format 99"), "{e}");
    cli_fails(
        &["--db", &t.db, "dataset", "list"],
        &["format 99", "upgrade mlops-lite"],
    );
    pg_admin()
        .execute(
            &format!("UPDATE {schema}.mlops_meta SET value = '4' WHERE key = 'format_version'"),
            &[],
        )
        .unwrap();
    assert_eq!(snapshot(&t.db), before);
}

#[test]
fn open_existing_on_an_empty_schema_writes_nothing() {
    let schema = unique_schema("empty");
    let url = format!("{}?schema={schema}", pg_base());
    cli_fails(
        &["--db", &url, "dataset", "list"],
        &["holds no registry yet"],
    );
    assert!(tables(&schema).is_empty());
    let _ = pg_admin().batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
}

#[test]
fn nul_characters_are_refused_with_the_row_and_column() {
    let t = Target::postgres();
    let mut reg = populated(&t.db);
    let before = snapshot(&t.db);
    let data = Dataset::new(vec![Column::new(
        "s",
        Values::String(vec![Some("ok".into()), Some("a\0b".into())]),
    )])
    .unwrap();
    let e = reg.bind_dataset(&data, "nul", "").unwrap_err();
    assert!(e.to_string().contains("row 2, column \"s\""), "{e}");
    assert!(e.to_string().contains("NUL"), "{e}");
    assert_eq!(snapshot(&t.db), before);
}

#[test]
fn a_connection_dropped_in_the_middle_of_a_bind_writes_nothing() {
    let t = Target::postgres();
    populated(&t.db);
    let schema = t.schema().unwrap().to_string();
    let before = snapshot(&t.db);
    let tables_before = tables(&schema);
    // 200,000 x 4 floats is ~12 MB of COPY data: cut after 2 MB.
    let port = cutting_proxy(2 << 20);
    let mut reg = Registry::open(proxied_url(port, &schema)).unwrap();
    let e = reg.bind_dataset(&big(200_000, 0.5), "big", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Database, "{e}");
    assert!(
        e.to_string().contains("connection to PostgreSQL was lost"),
        "{e}"
    );
    assert!(e.to_string().contains("nothing of it was written"), "{e}");
    drop(reg);
    assert_eq!(snapshot(&t.db), before);
    assert_eq!(tables(&schema), tables_before, "no half-made data table");
    // The registry still works.
    let mut reg = Registry::open(&t.db).unwrap();
    assert!(reg.bind_dataset(&big(10, 0.5), "big", "").unwrap().created);
}

#[test]
fn copy_moves_models_between_backends_both_ways() {
    let pg = Target::postgres();
    let mut source = populated(&pg.db);
    // A second model version, a second dataset that no model uses, more log.
    let p = source
        .train_model("iris", &TrainSpec::new("target").seed(3))
        .unwrap();
    source.bind_model(&p, "m", "seed 3").unwrap();
    source.bind_dataset(&big(50, 1.0), "other", "").unwrap();
    source.predict("m@2", RECORDS.as_bytes(), true).unwrap();

    // PostgreSQL -> file: one model with its training dataset and its log.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portable.db").display().to_string();
    let mut target = Registry::open(&file).unwrap();
    let sel = Selection {
        models: vec!["m@1".into()],
        with_log: true,
        ..Default::default()
    };
    let report = copy(&mut source, &mut target, &sel).unwrap();
    assert_eq!(report.datasets.len(), 1);
    assert_eq!(report.models.len(), 1);
    assert_eq!((report.calls_written, report.records_written), (1, 2));
    assert_eq!(report.md5s_verified, 2);
    let (m, _, d) = target.pull_model("m@1").unwrap();
    let (sm, _, sd) = source.pull_model("m@1").unwrap();
    assert_eq!(
        (m.artifact_md5, m.version, m.created_at),
        (sm.artifact_md5, 1, sm.created_at)
    );
    assert_eq!((d.name, d.version, d.md5), (sd.name, sd.version, sd.md5));
    assert!(target.verify(0.0).unwrap().is_clean());
    // The same predictions, bit for bit, from the copy.
    let (_, _, a) = source.predict("m@1", RECORDS.as_bytes(), false).unwrap();
    let (_, _, b) = target.predict("m@1", RECORDS.as_bytes(), false).unwrap();
    assert_eq!(format!("{:?}", a.outputs), format!("{:?}", b.outputs));
    // Again: nothing new is written.
    let again = copy(&mut source, &mut target, &sel).unwrap();
    assert!(again
        .datasets
        .iter()
        .chain(&again.models)
        .all(|i| !i.written));
    assert_eq!((again.calls_written, again.calls_already_there), (0, 1));

    // The whole registry, file -> a new PostgreSQL schema -> a new file.
    let whole = Selection {
        with_log: true,
        ..Default::default()
    };
    let mut file_target = target;
    copy(&mut source, &mut file_target, &whole).unwrap();
    assert_eq!(file_target.list_models().unwrap().len(), 2);
    assert_eq!(file_target.list_datasets().unwrap().len(), 2);
    let pg2 = Target::postgres();
    let mut back = Registry::open(&pg2.db).unwrap();
    copy(&mut file_target, &mut back, &whole).unwrap();
    let strip = |s: Snapshot| {
        (
            s.datasets
                .into_iter()
                .map(|d| (d.name, d.version, d.md5, d.created_at))
                .collect::<Vec<_>>(),
            s.models
                .into_iter()
                .map(|m| (m.name, m.version, m.artifact_md5, m.created_at))
                .collect::<Vec<_>>(),
            s.log
                .into_iter()
                .map(|r| {
                    (
                        r.created_at,
                        r.position,
                        r.reference_id,
                        r.inputs,
                        r.outputs,
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(strip(snapshot(&pg2.db)), strip(snapshot(&pg.db)));
    let v = back.verify(0.0).unwrap();
    assert!(v.is_clean(), "{:?}", v.problems);
    assert_eq!(v.predictions_identical, 4);
}

#[test]
fn copy_conflicts_and_cut_connections_leave_the_target_as_it_was() {
    // The target already holds iris@1 with other content: refused, nothing written.
    let pg = Target::postgres();
    let mut target = Registry::open(&pg.db).unwrap();
    target
        .bind_dataset(&big(20, 2.0), "iris", "not iris")
        .unwrap();
    let before = snapshot(&pg.db);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("src.db").display().to_string();
    let mut source = populated(&file);
    source.bind_dataset(&big(200_000, 3.0), "big", "").unwrap();
    let e = copy(&mut source, &mut target, &Selection::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("already holds iris@1 with other content"),
        "{e}"
    );
    assert_eq!(snapshot(&pg.db), before);

    // A connection cut in the middle of the copy: the target is as it was.
    let pg2 = Target::postgres();
    let mut t2 = Registry::open(&pg2.db).unwrap();
    t2.bind_dataset(&big(20, 4.0), "kept", "").unwrap();
    drop(t2);
    let schema = pg2.schema().unwrap().to_string();
    let before = snapshot(&pg2.db);
    let tables_before = tables(&schema);
    let port = cutting_proxy(3 << 20);
    let url = proxied_url(port, &schema);
    let out = cli(&["copy", "--from", &file, "--to", &url, "--with-log"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("connection to PostgreSQL was lost"),
        "{stderr}"
    );
    assert_eq!(snapshot(&pg2.db), before);
    assert_eq!(tables(&schema), tables_before);

    // The source side cut (PostgreSQL -> a new file): no file is left behind.
    let port = cutting_proxy(1 << 20);
    let big_pg = Target::postgres();
    Registry::open(&big_pg.db)
        .unwrap()
        .bind_dataset(&big(200_000, 5.0), "big", "")
        .unwrap();
    let new_file = dir.path().join("new.db");
    let out = cli(&[
        "copy",
        "--from",
        &proxied_url(port, big_pg.schema().unwrap()),
        "--to",
        new_file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("connection to PostgreSQL was lost"),
        "{stderr}"
    );
    assert!(
        !new_file.exists(),
        "a failed copy into a new file leaves no file"
    );
}

#[test]
fn copy_from_the_cli_names_what_it_did() {
    let pg = Target::postgres();
    populated(&pg.db);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.db");
    let f = file.to_str().unwrap();
    let out = cli(&[
        "copy",
        "--from",
        &pg.db,
        "--to",
        f,
        "--model",
        "m",
        "--with-log",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("dataset iris@1 (md5 1691b6054247506429b07bc1fa364ee3): written"),
        "{stdout}"
    );
    assert!(
        stdout.contains("model m@1 (md5 933bb2a0affe8b7bc2099a9dbf313930): written"),
        "{stdout}"
    );
    assert!(
        stdout.contains("log: 1 calls (2 records) written"),
        "{stdout}"
    );
    let verify = cli(&["--db", f, "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // --dataset alone copies that dataset version, no model and no log.
    let only = dir.path().join("only-data.db");
    let o = only.to_str().unwrap();
    let out = cli(&[
        "copy",
        "--from",
        &pg.db,
        "--to",
        o,
        "--dataset",
        "iris@1",
        "--with-log",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = Registry::open_existing(o).unwrap();
    assert_eq!(copied.list_datasets().unwrap().len(), 1);
    assert!(copied.list_models().unwrap().is_empty());
    assert!(copied.log(&LogFilter::default()).unwrap().is_empty());
    cli_fails(&["copy", "--from", f, "--to", f], &["same registry"]);
    cli_fails(
        &["copy", "--from", &pg.db, "--to", f, "--model", "nope"],
        &["model \"nope\" is not in"],
    );
    cli_fails(
        &[
            "copy",
            "--from",
            dir.path().join("missing.db").to_str().unwrap(),
            "--to",
            &pg.db,
        ],
        &["does not exist"],
    );
}

#[test]
fn import_legacy_into_postgres_says_how_and_writes_nothing() {
    let schema = unique_schema("legacy");
    let url = format!("{}?schema={schema}", pg_base());
    let old = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/legacy-python-a5c890b.db"
    );
    cli_fails(
        &["--db", &url, "import-legacy", old],
        &[
            "import into a file, then copy it",
            "mlops-lite copy --from imported.db",
        ],
    );
    assert!(tables(&schema).is_empty(), "no schema or table was made");
}

#[test]
fn the_demo_runs_on_postgres_and_points_to_psql() {
    let t = Target::postgres();
    let out = cli(&["--db", &t.db, "demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("some_external_id"), "{stdout}");
    assert!(stdout.contains("psql 'postgres://"), "{stdout}");
    let reg = Registry::open_existing(&t.db).unwrap();
    assert_eq!(reg.log(&LogFilter::default()).unwrap().len(), 2);
}

#[test]
fn model_list_as_a_table_works_on_postgres() {
    // It lists models imported from the Python tool too, which only a SQLite file holds:
    // on PostgreSQL that list is empty, not an error after the table was printed.
    let t = Target::postgres();
    drop(populated(&t.db));
    let out = cli(&["--db", &t.db, "model", "list"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| m "), "{stdout}");
}

#[test]
fn a_bind_that_loses_a_race_for_its_version_retries_with_the_next() {
    let t = Target::postgres();
    let mut first = Registry::open(&t.db).unwrap();
    first.bind_dataset(&big(5, 8.0), "y", "").unwrap();
    drop(first);
    let schema = t.schema().unwrap().to_string();
    // Another writer (not taking mlops-lite's lock) holds x@1 uncommitted: our bind computes
    // version 1 too, waits on the unique index, fails when the other commits, and retries.
    let mut other = pg_admin();
    other
        .batch_execute(&format!(
            "BEGIN; INSERT INTO {schema}.datasets (name, version, size_rows, size_cols, md5, data_table) \
             VALUES ('x', 1, 1, 1, repeat('0', 32), 'data_999')"
        ))
        .unwrap();
    let xid: String = other
        .query_one(
            "SELECT backend_xid::text FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    let db = t.db.clone();
    let binder = std::thread::spawn(move || {
        let mut reg = Registry::open(&db).unwrap();
        reg.bind_dataset(&big(5, 9.0), "x", "").unwrap()
    });
    // The other writer commits only once our bind waits on its row (its insert blocked on
    // the other transaction's lock), so the retry is what the test exercises, however late
    // the thread starts. Bounded: a bind that never waits fails the test.
    let mut admin = pg_admin();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' \
                 AND NOT granted AND transactionid::text = $1",
                &[&xid],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            !binder.is_finished(),
            "the bind finished without waiting on the other writer's uncommitted x@1"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the bind did not wait on the other writer's row within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    other.batch_execute("COMMIT").unwrap();
    let bound = binder.join().unwrap();
    assert_eq!((bound.dataset.version, bound.created), (2, true));
}

#[test]
fn values_changed_behind_its_back_are_found_and_named() {
    let t = Target::postgres();
    let mut reg = populated(&t.db);
    let schema = t.schema().unwrap();
    let table = reg.dataset("iris").unwrap().data_table;
    let mut admin = pg_admin();
    admin
        .execute(
            &format!("UPDATE {schema}.{table} SET \"petal width (cm)\" = 0.3 WHERE mlops_row = 11"),
            &[],
        )
        .unwrap();
    let e = reg.pull_dataset("iris").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains("no longer matches its md5"), "{e}");
    let report = reg.verify(0.0).unwrap();
    assert!(!report.is_clean());
    let text = format!("{:?}", report.problems);
    assert!(text.contains("changed: row 12"), "{text}");
    admin
        .execute(
            &format!("DELETE FROM {schema}.{table} WHERE mlops_row = 5"),
            &[],
        )
        .unwrap();
    let e = reg.pull_dataset("iris").unwrap_err();
    assert!(
        e.to_string()
            .contains("it has 149 rows but the registry recorded 150"),
        "{e}"
    );
}

fn schema_exists(schema: &str) -> bool {
    pg_admin()
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .unwrap()
        .is_some()
}

#[test]
fn a_failed_first_write_leaves_no_schema_and_reads_write_nothing() {
    // A bad file on a new schema: nothing is created, as for a new file.
    let schema = unique_schema("first");
    let url = format!("{}?schema={schema}", pg_base());
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ragged.csv");
    std::fs::write(&bad, "a,b\n1,2\n3\n").unwrap();
    cli_fails(
        &[
            "--db",
            &url,
            "dataset",
            "add",
            bad.to_str().unwrap(),
            "--name",
            "r",
        ],
        &["ragged.csv", "line 3"],
    );
    assert!(!schema_exists(&schema));

    // Reading a registry that was never written: empty, and still nothing created.
    let mut reg = Registry::open(&url).unwrap();
    assert!(reg.list_datasets().unwrap().is_empty());
    assert!(reg.list_models().unwrap().is_empty());
    assert!(reg.log(&LogFilter::default()).unwrap().is_empty());
    assert_eq!(reg.dataset("iris").unwrap_err().kind(), ErrorKind::NotFound);
    assert!(!schema_exists(&schema));
    // The first write creates it, and the statements prepared before still work.
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    assert!(schema_exists(&schema));
    assert_eq!(reg.list_datasets().unwrap().len(), 1);
    assert_eq!(snapshot(&url).datasets, reg.list_datasets().unwrap());
    drop(reg);
    pg_admin()
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();

    // A connection cut during the first bind: no schema either.
    let schema = unique_schema("firstcut");
    let port = cutting_proxy(2 << 20);
    let mut reg = Registry::open(proxied_url(port, &schema)).unwrap();
    let e = reg.bind_dataset(&big(200_000, 6.0), "big", "").unwrap_err();
    assert!(
        e.to_string().contains("connection to PostgreSQL was lost"),
        "{e}"
    );
    drop(reg);
    assert!(!schema_exists(&schema));
}

#[test]
fn copy_keeps_every_logged_call_even_identical_ones() {
    // Three calls logged in the same millisecond with the same latency, two of them with the
    // same records: all three are copied, and a second copy adds none.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("calls.db").display().to_string();
    let mut source = populated(&file);
    source.predict("m", RECORDS.as_bytes(), true).unwrap();
    let other = r#"[{"sepal length (cm)": 6.0, "sepal width (cm)": 2.2, "petal length (cm)": 5.0, "petal width (cm)": 1.5}]"#;
    source.predict("m", other.as_bytes(), true).unwrap();
    source
        .connection()
        .unwrap()
        .execute_batch(
            "UPDATE prediction_calls SET created_at = '2026-01-02 03:04:05.678', latency_us = 42",
        )
        .unwrap();
    let pg = Target::postgres();
    let mut target = Registry::open(&pg.db).unwrap();
    let sel = Selection {
        with_log: true,
        ..Default::default()
    };
    let first = copy(&mut source, &mut target, &sel).unwrap();
    assert_eq!((first.calls_written, first.records_written), (3, 5));
    let again = copy(&mut source, &mut target, &sel).unwrap();
    assert_eq!((again.calls_written, again.calls_already_there), (0, 3));
    let strip = |s: Snapshot| {
        s.log
            .into_iter()
            .map(|r| {
                (
                    r.created_at,
                    r.position,
                    r.reference_id,
                    r.inputs,
                    r.outputs,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(snapshot(&pg.db)), strip(snapshot(&file)));
}

/// Issue 11: a PostgreSQL schema holding our tables is checked like a file: a trigger, rule,
/// policy, view, function, type or unknown table in it is refused, naming the object, and
/// nothing of it runs; a schema holding only a view or a function is not "empty".
#[test]
fn an_altered_registry_schema_is_refused_naming_the_object() {
    for (attack, object) in [
        (
            "CREATE FUNCTION {s}.wipe() RETURNS trigger LANGUAGE plpgsql AS \
             $$BEGIN DELETE FROM {s}.prediction_records; RETURN NEW; END$$; \
             CREATE TRIGGER wipe AFTER INSERT ON {s}.prediction_calls \
             FOR EACH ROW EXECUTE FUNCTION {s}.wipe()",
            "trigger \"wipe on prediction_calls\"",
        ),
        (
            "CREATE RULE hide AS ON INSERT TO {s}.models DO INSTEAD NOTHING",
            "rule \"hide on models\"",
        ),
        (
            "ALTER TABLE {s}.models ENABLE ROW LEVEL SECURITY",
            "table \"models\" has row-level security enabled",
        ),
        ("CREATE VIEW {s}.v AS SELECT 1 AS x", "view \"v\""),
        (
            "CREATE FUNCTION {s}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "function \"f\"",
        ),
        ("CREATE TYPE {s}.mood AS ENUM ('a')", "type \"mood\""),
        ("CREATE TABLE {s}.extra (x int)", "table \"extra\""),
        ("CREATE SEQUENCE {s}.counter", "sequence \"counter\""),
    ] {
        let schema = unique_schema("altered");
        let url = format!("{}?schema={schema}", pg_base());
        let mut reg = Registry::open(&url).unwrap();
        let (_, iris) = mlops_lite::dataset::samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        drop(reg);
        let mut admin = pg_admin();
        admin
            .batch_execute(&attack.replace("{s}", &schema))
            .unwrap();
        for open in [Registry::open(&url), Registry::open_read_only(&url)] {
            let e = open.err().expect("refused");
            assert_eq!(e.kind(), ErrorKind::Altered, "{e}");
            assert!(
                e.to_string().contains("was altered outside mlops-lite")
                    && e.to_string().contains(object),
                "{attack}: {e}"
            );
        }
        cli_fails(&["--db", &url, "dataset", "list"], &[object]);
        admin
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .unwrap();
    }
    // A schema holding only a view is not empty: the registry is not created beside it.
    let schema = unique_schema("onlyview");
    let mut admin = pg_admin();
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE VIEW {schema}.v AS SELECT 1 AS x"
        ))
        .unwrap();
    let url = format!("{}?schema={schema}", pg_base());
    cli_fails(
        &["--db", &url, "dataset", "add", "--sample", "iris"],
        &["holds other objects (v)"],
    );
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

/// Issue 11: read-only commands on PostgreSQL run in read-only transactions.
#[test]
fn read_only_opens_cannot_write_on_postgres() {
    let schema = unique_schema("ro");
    let url = format!("{}?schema={schema}", pg_base());
    let mut reg = Registry::open(&url).unwrap();
    let (_, iris) = mlops_lite::dataset::samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    drop(reg);
    let mut ro = Registry::open_read_only(&url).unwrap();
    assert_eq!(ro.list_datasets().unwrap().len(), 1);
    let Err(e) = ro.bind_dataset(&iris, "other", "") else {
        panic!("a write through a read-only open succeeded");
    };
    assert!(e.to_string().contains("read-only transaction"), "{e}");
    pg_admin()
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
