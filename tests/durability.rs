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
