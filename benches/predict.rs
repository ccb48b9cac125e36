//! Benchmark of predictions (issue 3's targets), run with `cargo bench --bench predict`.
//!
//! Builds a registry file with iris and the README's pipeline (median imputer + standard
//! scaler + LogisticRegression), then measures, on the same 10,000 JSON records: predict
//! without logging, predict with logging to the file, one record with logging (median and
//! p99 over many calls), the bytes of log per record, and the pipeline alone over parsed
//! records. Under `cargo test` it runs a short smoke version. `MLOPS_BENCH_ONLY=log` runs only
//! the logged figures (predict + log, log size, one record + log, columns + log).

use std::path::Path;
use std::time::Instant;

use mlops_lite::pipeline::TrainSpec;
use mlops_lite::records::Columns;
use mlops_lite::{dataset::samples, Registry};

#[path = "support/data.rs"]
mod data;
#[path = "support/rng.rs"]
mod rng;
use data::records;

fn file_bytes(reg: &Registry) -> i64 {
    let c = reg.connection().unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    pages * size
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let only_log = std::env::var("MLOPS_BENCH_ONLY").is_ok_and(|v| v == "log");
    let (n, rounds, singles) = if smoke {
        (100, 2, 50)
    } else {
        (10_000, 20, 5_000)
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("predict_{n}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut reg = Registry::open(&db).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "iris-lr", "").unwrap();
    let batch = records(n);
    println!(
        "{n} JSON records ({} bytes), iris LogisticRegression pipeline",
        batch.len()
    );

    // Warm up (loads and caches the model).
    reg.predict("iris-lr", &batch, false).unwrap();

    let mut best = f64::INFINITY;
    if !only_log {
        for _ in 0..rounds {
            let t = Instant::now();
            let (_, _, out) = reg.predict("iris-lr", &batch, false).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            assert_eq!(out.len(), n);
        }
        println!(
            "predict, no log:        {:>12.0} records/s (best of {rounds})",
            n as f64 / best
        );

        let pipeline = reg.pull_model("iris-lr").unwrap().1;
        let parsed = mlops_lite::records::Records::from(&batch)
            .into_batch(&pipeline)
            .unwrap();
        let mut best_run = f64::INFINITY;
        for _ in 0..rounds {
            let t = Instant::now();
            let out = mlops_lite::predict::run(&pipeline, &parsed).unwrap();
            best_run = best_run.min(t.elapsed().as_secs_f64());
            assert_eq!(out.len(), n);
        }
        println!(
            "  pipeline alone:       {:>12.0} records/s (parsed records)",
            n as f64 / best_run
        );
    }

    let before = file_bytes(&reg);
    let mut best_log = f64::INFINITY;
    for _ in 0..rounds {
        let t = Instant::now();
        reg.predict("iris-lr", &batch, true).unwrap();
        best_log = best_log.min(t.elapsed().as_secs_f64());
    }
    let after = file_bytes(&reg);
    println!(
        "predict + log to file:  {:>12.0} records/s (best of {rounds})",
        n as f64 / best_log
    );
    println!(
        "log size:               {:>12.1} bytes per record ({} records)",
        (after - before) as f64 / (n * rounds) as f64,
        n * rounds
    );

    let one = br#"[{"reference_id":"one","sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":0.2}]"#;
    let mut times = Vec::with_capacity(singles);
    for _ in 0..singles {
        let t = Instant::now();
        reg.predict("iris-lr", one, true).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "one record + log:       {:>12.1} us median, {:.1} us p99 ({singles} calls, one transaction each)",
        times[singles / 2],
        times[singles * 99 / 100]
    );
    let native_columns = columns_side(&mut reg, &dir, smoke, only_log);
    if only_log {
        return;
    }
    cli_side(&dir, &db, smoke);
    if !smoke {
        wasm_side(&dir, &batch, rounds, n as f64 / best, native_columns);
    }
}

/// The four iris features of `records(n)`, as columns (the same values as the JSON).
fn iris_columns(n: usize) -> Vec<Vec<f64>> {
    let json: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&records(n)).unwrap();
    FEATURES
        .iter()
        .map(|f| json.iter().map(|r| r[*f].as_f64().unwrap()).collect())
        .collect()
}

const FEATURES: [&str; 4] = [
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
];

fn columns_of(cols: &[Vec<f64>]) -> Columns<'_> {
    FEATURES
        .iter()
        .zip(cols)
        .fold(Columns::new(), |c, (f, v)| c.numbers(*f, &v[..]))
}

/// Issue 13's columnar figures: 1,000,000 records from columns through `Registry::predict`
/// (no log, and logged to the file), and one record through the Rust API. Returns the
/// no-log records/s. With `only_log`, only the logged figure.
fn columns_side(reg: &mut Registry, dir: &Path, smoke: bool, only_log: bool) -> f64 {
    let n = if smoke { 1_000 } else { 1_000_000 };
    // 10,000 distinct records repeated: the same values as the JSON records.
    let base = iris_columns(10_000.min(n));
    let cols: Vec<Vec<f64>> = base
        .iter()
        .map(|c| c.iter().copied().cycle().take(n).collect())
        .collect();
    let rounds = if smoke { 2 } else { 10 };
    let mut best = f64::INFINITY;
    if !only_log {
        for _ in 0..rounds {
            let t = Instant::now();
            let (_, _, out) = reg.predict("iris-lr", columns_of(&cols), false).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            assert_eq!(out.len(), n);
        }
        println!(
            "columns, no log:        {:>12.0} records/s ({n} records from columns, Registry::predict, best of {rounds})",
            n as f64 / best
        );
    }
    // Logged, into a file of its own (the log grows by ~100 bytes per record).
    let db = dir.join("predict_columns_log.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let mut logged = Registry::open(&db).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    logged.bind_dataset(&iris, "iris", "").unwrap();
    let p = logged
        .train_model("iris", &TrainSpec::new("target"))
        .unwrap();
    logged.bind_model(&p, "iris-lr", "").unwrap();
    let mut best_log = f64::INFINITY;
    for _ in 0..if smoke { 1 } else { 3 } {
        let t = Instant::now();
        logged.predict("iris-lr", columns_of(&cols), true).unwrap();
        best_log = best_log.min(t.elapsed().as_secs_f64());
    }
    println!(
        "columns + log to file:  {:>12.0} records/s ({n} records from columns, logged in one transaction)",
        n as f64 / best_log
    );
    if only_log {
        return n as f64 / best;
    }
    // One record, no log: by name (a lookup of the model row each call) and resolved once.
    let one: Vec<Vec<f64>> = base.iter().map(|c| vec![c[0]]).collect();
    let calls = if smoke { 100 } else { 20_000 };
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let mut by_name = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        reg.predict("iris-lr", columns_of(&one), false).unwrap();
        by_name.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let (entry, pipeline) = reg.resolve_model("iris-lr").unwrap();
    let mut resolved = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        reg.predict_with_model(&entry, &pipeline, columns_of(&one).into(), false)
            .unwrap();
        resolved.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "one record, no log:     {:>12.2} us median, model resolved once (predict_with_model); {:.2} us by name (Registry::predict)",
        median(resolved),
        median(by_name)
    );
    n as f64 / best
}

/// The CLI as a whole process: 200,000 JSON records predicted to standard output (a file),
/// in each output format.
fn cli_side(dir: &Path, db: &Path, smoke: bool) {
    let n = if smoke { 1_000 } else { 200_000 };
    let input = dir.join(format!("cli_records_{n}.json"));
    std::fs::write(&input, records(n)).unwrap();
    for output in ["json", "jsonl", "csv"] {
        let mut best = f64::INFINITY;
        for _ in 0..if smoke { 1 } else { 3 } {
            let sink = std::fs::File::create(dir.join("cli_out")).unwrap();
            let t = Instant::now();
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_mlops-lite"))
                .arg("--db")
                .arg(db)
                .args(["predict", "--model", "iris-lr", "--output", output])
                .arg(&input)
                .stdout(sink)
                .status()
                .unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            assert!(status.success());
        }
        println!(
            "CLI process, --output {output:<5} {:>9.0} records/s ({n} JSON records to a file, whole process)",
            n as f64 / best
        );
    }
}

/// Runs the wasm build on the same records in Node (npm/bench/predict.mjs), in this same
/// run, and prints the ratio; with the 1M-row registry of `cargo bench --bench bind`, also
/// the time to open it from bytes.
fn wasm_side(dir: &Path, batch: &[u8], rounds: usize, native_nolog: f64, native_columns: f64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join("npm/dist/mlops_lite_bg.wasm").exists() {
        println!("wasm: npm/dist is not built (bash scripts/build-npm.sh); skipped");
        return;
    }
    let records = dir.join("records.json");
    std::fs::write(&records, batch).unwrap();
    let big = dir.join("bench_1000000.db");
    let mut cmd = std::process::Command::new("node");
    cmd.arg(root.join("npm/bench/predict.mjs"))
        .arg(&records)
        .arg(rounds.to_string());
    if big.exists() {
        cmd.arg(&big);
    }
    let out = match cmd.output() {
        Ok(o) if o.status.success() => o,
        other => {
            println!("wasm: node failed: {other:?}");
            return;
        }
    };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nolog = v["nolog"].as_f64().unwrap();
    println!(
        "wasm (Node), no log:    {:>12.0} records/s from JS objects ({:.2}x slower than native)",
        nolog,
        native_nolog / nolog
    );
    for (key, what) in [
        ("nolog_json_text", "a JSON string"),
        ("nolog_json_bytes", "JSON bytes"),
    ] {
        let r = v[key].as_f64().unwrap();
        println!(
            "wasm (Node), no log:    {r:>12.0} records/s from {what} ({:.2}x slower than native)",
            native_nolog / r
        );
    }
    println!(
        "wasm (Node), + log:     {:>12.0} records/s (in-memory registry)",
        v["log"].as_f64().unwrap()
    );
    if let Some(c) = v["columns_1m"].as_f64() {
        println!(
            "wasm (Node), columns:   {c:>12.0} records/s (1,000,000 records from Float64Arrays, columns out; {:.2}x slower than native)",
            native_columns / c
        );
    }
    if let Some(ms) = v["open_ms"].as_f64() {
        println!(
            "wasm: open a {:.0} MB registry from bytes: {ms:.0} ms",
            v["open_mb"].as_f64().unwrap()
        );
    } else {
        println!("wasm: no large registry to open (run cargo bench --bench bind first)");
    }
}
