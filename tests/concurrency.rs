//! Many writers on one SQLite registry file (the SQLite half of issue 6): 8 processes binding
//! datasets and models under the same names at once get distinct consecutive versions with
//! no error, and 8 processes logging predictions at once lose no record. Writers serialise
//! on `BEGIN IMMEDIATE` with a busy timeout; the file is in WAL mode.

use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_mlops-lite");

fn spawn(db: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_ok(children: Vec<Child>) {
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn query(db: &Path, sql: &str) -> Vec<i64> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c.prepare(sql).unwrap();
    let rows = s.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn eight_processes_bind_versions_and_log_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["dataset", "add", "--sample", "iris"])
        .output()
        .unwrap();
    assert!(out.status.success());

    // 8 different CSVs under one name, at once.
    let files: Vec<String> = (0..8)
        .map(|i| {
            let p = dir.path().join(format!("d{i}.csv"));
            std::fs::write(&p, format!("x,y\n{i},1\n2,{i}\n")).unwrap();
            p.display().to_string()
        })
        .collect();
    let children = files
        .iter()
        .map(|f| spawn(&db, &["dataset", "add", f, "--name", "shared"]))
        .collect();
    wait_ok(children);
    assert_eq!(
        query(
            &db,
            "SELECT version FROM datasets WHERE name = 'shared' ORDER BY version"
        ),
        (1..=8).collect::<Vec<_>>()
    );

    // 8 trainings with other seeds under one model name, at once.
    let seeds: Vec<String> = (0..8).map(|i| i.to_string()).collect();
    let children = seeds
        .iter()
        .map(|s| {
            spawn(
                &db,
                &[
                    "model",
                    "train",
                    "--dataset",
                    "iris",
                    "--target",
                    "target",
                    "--name",
                    "m",
                    "--seed",
                    s,
                ],
            )
        })
        .collect();
    wait_ok(children);
    let versions = query(
        &db,
        "SELECT version FROM models WHERE name = 'm' ORDER BY version",
    );
    assert_eq!(
        versions,
        (1..=8).collect::<Vec<_>>(),
        "distinct consecutive model versions"
    );

    // 8 processes logging 25 calls of 4 records each, at once.
    let records = dir.path().join("r.json");
    std::fs::write(
        &records,
        r#"[{"sepal length (cm)": 5.1}, {"sepal width (cm)": 3.0}, {"petal length (cm)": 4.2}, {"petal width (cm)": 1.3}]"#,
    )
    .unwrap();
    let script = format!(
        "for i in $(seq 25); do {BIN} --db '{}' predict --model m@1 '{}' --log > /dev/null || exit 1; done",
        db.display(),
        records.display()
    );
    let children = (0..8)
        .map(|_| {
            Command::new("sh")
                .arg("-c")
                .arg(&script)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    wait_ok(children);
    assert_eq!(
        query(&db, "SELECT count(*) FROM prediction_calls"),
        vec![200]
    );
    assert_eq!(
        query(&db, "SELECT count(*) FROM prediction_records"),
        vec![800]
    );
}
