//! Many writers on one registry, on both backends: 8 processes binding datasets and models
//! under the same names at once get distinct consecutive versions with no error, and 8
//! processes logging predictions at once lose no record. On SQLite writers serialise on
//! `BEGIN IMMEDIATE` with a busy timeout (the file is in WAL mode); on PostgreSQL on an
//! advisory lock per name, with `UNIQUE (name, version)` and a retry behind it.

mod common;

use common::targets::Target;
use mlops_lite::store::LogFilter;
use mlops_lite::Registry;
use std::process::{Child, Command, Stdio};

use common::BIN;

fn spawn(db: &str, args: &[&str]) -> Child {
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

fn eight_processes_bind_versions_and_log_without_loss(t: &Target) {
    let db = t.db.as_str();
    let dir = t.dir();
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["dataset", "add", "--sample", "iris"])
        .output()
        .unwrap();
    assert!(out.status.success());

    // 8 different CSVs under one name, at once.
    let files: Vec<String> = (0..8)
        .map(|i| {
            let p = dir.join(format!("d{i}.csv"));
            std::fs::write(&p, format!("x,y\n{i},1\n2,{i}\n")).unwrap();
            p.display().to_string()
        })
        .collect();
    let children = files
        .iter()
        .map(|f| spawn(db, &["dataset", "add", f, "--name", "shared"]))
        .collect();
    wait_ok(children);
    let reg = Registry::open_existing(db).unwrap();
    let mut versions: Vec<i64> = reg
        .list_datasets()
        .unwrap()
        .iter()
        .filter(|d| d.name == "shared")
        .map(|d| d.version)
        .collect();
    versions.sort();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    let md5s: std::collections::BTreeSet<String> = reg
        .list_datasets()
        .unwrap()
        .into_iter()
        .filter(|d| d.name == "shared")
        .map(|d| d.md5)
        .collect();
    assert_eq!(md5s.len(), 8, "each version holds one of the 8 files");

    // 8 trainings with other seeds under one model name, at once.
    let seeds: Vec<String> = (0..8).map(|i| i.to_string()).collect();
    let children = seeds
        .iter()
        .map(|s| {
            spawn(
                db,
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
    let mut versions: Vec<i64> = reg
        .list_models()
        .unwrap()
        .iter()
        .filter(|m| m.name == "m")
        .map(|m| m.version)
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        (1..=8).collect::<Vec<_>>(),
        "distinct consecutive model versions"
    );

    // 8 processes logging 25 calls of 4 records each, at once.
    let records = dir.join("r.json");
    std::fs::write(
        &records,
        r#"[{"sepal length (cm)": 5.1}, {"sepal width (cm)": 3.0}, {"petal length (cm)": 4.2}, {"petal width (cm)": 1.3}]"#,
    )
    .unwrap();
    let script = format!(
        "for i in $(seq 25); do {BIN} --db '{}' predict --model m@1 '{}' --log > /dev/null || exit 1; done",
        db,
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
    let log = reg.log(&LogFilter::default()).unwrap();
    assert_eq!(log.len(), 800, "every logged record is there");
    let calls: std::collections::BTreeSet<i64> = log.iter().map(|r| r.call_id).collect();
    assert_eq!(calls.len(), 200, "every call is there");
    for call in &calls {
        let positions: Vec<i64> = log
            .iter()
            .filter(|r| r.call_id == *call)
            .map(|r| r.position)
            .collect();
        assert_eq!(positions, [0, 1, 2, 3], "call {call} has its 4 records");
    }
}

/// 8 processes making their first write at once into a registry that does not exist yet
/// (a new file; a new PostgreSQL schema): one registry is created, and every bind is in it.
fn eight_first_writers_create_one_registry(t: &Target) {
    let children = (0..8)
        .map(|i| {
            let name = format!("n{i}");
            spawn(
                &t.db,
                &["dataset", "add", "--sample", "iris", "--name", &name],
            )
        })
        .collect();
    wait_ok(children);
    let reg = Registry::open_existing(&t.db).unwrap();
    let mut names: Vec<String> = reg
        .list_datasets()
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names, (0..8).map(|i| format!("n{i}")).collect::<Vec<_>>());
}

on_both_backends!(
    eight_processes_bind_versions_and_log_without_loss,
    eight_first_writers_create_one_registry
);
