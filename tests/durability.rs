//! A logged prediction that has returned survives a kill -9 of the process: a child
//! process (this test binary, re-run with an environment variable) logs predictions in a
//! loop and reports each one that returned; the parent kills it with SIGKILL mid-loop and
//! finds every reported record in the file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::Registry;

const CHILD_ENV: &str = "MLOPS_LITE_DURABILITY_CHILD_DB";

/// In the child: log predictions forever, printing the count after each returned call.
#[test]
fn child_logger() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // only does something when started by the parent test
    };
    let mut reg = Registry::open(&path).unwrap();
    let rec = br#"[{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}]"#;
    for i in 1.. {
        reg.predict("m", rec, true).unwrap();
        println!("logged {i}");
    }
}

#[test]
fn returned_logged_predictions_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.db");
    {
        let mut reg = Registry::open(&path).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
        reg.bind_model(&p, "m", "").unwrap();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_logger",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut reported = 0i64;
    while reported < 3000 {
        let line = lines.next().expect("the child stopped early").unwrap();
        if let Some(n) = line.strip_prefix("logged ") {
            reported = n.parse().unwrap();
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no checkpoint, no clean close
    child.wait().unwrap();
    let reg = Registry::open(&path).unwrap();
    let logged: i64 = reg
        .connection()
        .unwrap()
        .query_row("SELECT count(*) FROM prediction_records", [], |r| r.get(0))
        .unwrap();
    assert!(
        logged >= reported,
        "{reported} predictions returned, {logged} in the log after kill -9"
    );
}

/// `PRAGMA synchronous` of the registry's own connection, read with plain SQL.
fn synchronous(reg: &Registry) -> i64 {
    reg.connection()
        .unwrap()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap()
}

/// The durability option reaches SQLite: `synchronous` is FULL (2) after
/// `open_with_durability(.., Full)`, still after writes and logged predictions, and NORMAL
/// (1) with the default open and `Durability::Normal` (the setting belongs to a connection:
/// the file does not keep it). The journal stays WAL either way.
#[test]
fn durability_option_sets_the_synchronous_pragma_in_effect() {
    use mlops_lite::Durability;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let journal = |reg: &Registry| -> String {
        reg.connection()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    };
    {
        let mut reg = Registry::open_with_durability(&path, Durability::Full).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
        reg.bind_model(&p, "m", "").unwrap();
        let rec = br#"[{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}]"#;
        reg.predict("m", rec, true).unwrap();
        assert_eq!(synchronous(&reg), 2, "FULL after writes");
        assert_eq!(reg.durability().unwrap(), Some(Durability::Full));
        assert_eq!(journal(&reg), "wal");
    }
    let reg = Registry::open(&path).unwrap();
    assert_eq!(synchronous(&reg), 1, "a plain open is NORMAL");
    assert_eq!(reg.durability().unwrap(), Some(Durability::Normal));
    assert_eq!(journal(&reg), "wal");
    drop(reg);
    let reg = Registry::open_with_durability(&path, Durability::Normal).unwrap();
    assert_eq!(synchronous(&reg), 1);
    assert_eq!(
        reg.log(&mlops_lite::store::LogFilter::default())
            .unwrap()
            .len(),
        1
    );
    // In memory, no commit reaches a disk: no durability to report.
    assert_eq!(
        Registry::open_in_memory().unwrap().durability().unwrap(),
        None
    );
}

/// `normal` and `full` (what `--durability` takes) parse in any case; anything else is a
/// named error.
#[test]
fn durability_names_parse() {
    use mlops_lite::{Durability, ErrorKind};
    assert_eq!("normal".parse::<Durability>().unwrap(), Durability::Normal);
    assert_eq!("FULL".parse::<Durability>().unwrap(), Durability::Full);
    assert_eq!(Durability::default(), Durability::Normal);
    assert_eq!(Durability::Full.to_string(), "full");
    let e = "off".parse::<Durability>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("\"off\""), "{e}");
}

/// On PostgreSQL, `Full` sets `synchronous_commit=on` for the session even where the
/// connection's default is `off` (here set through the URL's `options`), and a plain open
/// keeps the connection's default.
#[test]
fn durability_option_on_postgres_overrides_synchronous_commit_off() {
    use mlops_lite::Durability;
    let base = std::env::var("MLOPS_LITE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("t_durability_{}", std::process::id());
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}schema={schema}&options=-c%20synchronous_commit%3Doff");
    let drop_schema = || {
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
    };
    let plain = Registry::open(&url).unwrap();
    assert_eq!(plain.durability().unwrap(), Some(Durability::Normal));
    drop(plain);
    let mut full = Registry::open_with_durability(&url, Durability::Full).unwrap();
    assert_eq!(full.durability().unwrap(), Some(Durability::Full));
    let (_, iris) = samples::sample("iris").unwrap();
    full.bind_dataset(&iris, "iris", "").unwrap();
    assert_eq!(full.durability().unwrap(), Some(Durability::Full));
    drop(full);
    drop_schema();
}
