//! Benchmark of predictions (issues 3, 13 and 14), run with `cargo bench --bench predict`.
//!
//! Builds a registry file with iris and the README's pipeline (median imputer + standard
//! scaler + LogisticRegression), then measures on the same 10,000 JSON records: predict
//! without logging from JSON bytes, from a JSON string and from columns, the pipeline alone
//! over parsed records; logged predictions (10,000 records in one call, and one record per
//! call, each call its own transaction) into a file opened with `Durability::Normal` (WAL,
//! `synchronous=NORMAL`, the default) and with `Durability::Full` (`synchronous=FULL`), and
//! into a registry in memory (what the npm package logs into); the bytes of log per record;
//! 1,000,000 records from columns; one record through the Rust API; the CLI as a whole
//! process; opening the bind bench's registry from bytes. Then, in the same run, the npm
//! package under Node (`npm/bench/predict.mjs`) on the same records, from the same input
//! forms, with each ratio named by its form.
//!
//! Batch figures are the median round (the best round is printed beside it); one-record
//! figures the median of many calls with p5, p95 and p99. Each figure is also printed as a
//! `FIGURE key value unit` line for `scripts/bench-report.sh`, which runs this several times
//! and reports the median of the runs with their range. Under `cargo test` it runs a short
//! smoke version. `MLOPS_BENCH_ONLY=log` runs only the logged figures.

use std::path::Path;
use std::time::Instant;

use mlops_lite::pipeline::TrainSpec;
use mlops_lite::records::Columns;
use mlops_lite::{dataset::samples, Durability, Registry};

#[path = "support/data.rs"]
mod data;
#[path = "support/rng.rs"]
mod rng;
use data::{figure, records, time_rounds, Times};

fn file_bytes(reg: &Registry) -> i64 {
    let c = reg.connection().unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    pages * size
}

/// A registry holding iris and the README's pipeline bound as `iris-lr`, its model loaded.
fn with_model(mut reg: Registry) -> Registry {
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "iris-lr", "").unwrap();
    reg.predict("iris-lr", &records(10)[..], false).unwrap(); // loads and caches the model
    reg
}

/// A new registry file `name` in `dir` (any previous one removed).
fn fresh_file(dir: &Path, name: &str, durability: Durability) -> Registry {
    let db = dir.join(name);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let reg = Registry::open_with_durability(&db, durability).unwrap();
    assert_eq!(reg.durability().unwrap(), Some(durability));
    with_model(reg)
}

/// Native figures the wasm side is compared with (records/s, median round; ms).
struct Native {
    json_bytes: f64,
    json_text: f64,
    columns_10k: f64,
    columns_1m: f64,
    log_memory: f64,
    open_bytes_ms: Option<f64>,
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let only_log = std::env::var("MLOPS_BENCH_ONLY").is_ok_and(|v| v == "log");
    // Calls of one logged record: FULL waits for a disk flush on each (milliseconds on a
    // slow disk), so it gets fewer calls.
    let (n, rounds, singles, singles_full) = if smoke {
        (100, 2, 50, 20)
    } else {
        (10_000, 20, 5_000, 1_000)
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("predict_{n}.db"));
    let mut reg = fresh_file(&dir, &format!("predict_{n}.db"), Durability::Normal);
    let batch = records(n);
    let text = String::from_utf8(batch.clone()).unwrap();
    println!(
        "{n} JSON records ({} bytes), iris LogisticRegression pipeline; batch figures: median of {rounds} rounds (best round in brackets)",
        batch.len()
    );
    let base = iris_columns(n);

    let mut native = Native {
        json_bytes: f64::NAN,
        json_text: f64::NAN,
        columns_10k: f64::NAN,
        columns_1m: f64::NAN,
        log_memory: f64::NAN,
        open_bytes_ms: None,
    };
    if !only_log {
        let batch_rate = |key: &str, what: &str, f: &mut dyn FnMut()| -> f64 {
            let t = time_rounds(rounds, f);
            let (median, best) = t.rate_figures(key, n);
            println!("{what:<31} {median:>12.0} records/s ({best:.0})");
            median
        };
        native.json_bytes = batch_rate(
            "predict.json_bytes",
            "predict, no log, JSON bytes:",
            &mut || {
                let (_, _, out) = reg.predict("iris-lr", &batch[..], false).unwrap();
                assert_eq!(out.len(), n);
            },
        );
        native.json_text = batch_rate(
            "predict.json_text",
            "predict, no log, JSON string:",
            &mut || {
                let (_, _, out) = reg.predict("iris-lr", text.as_str(), false).unwrap();
                assert_eq!(out.len(), n);
            },
        );
        native.columns_10k = batch_rate(
            "predict.columns_10k",
            "predict, no log, columns:",
            &mut || {
                let (_, _, out) = reg.predict("iris-lr", columns_of(&base), false).unwrap();
                assert_eq!(out.len(), n);
            },
        );
        let pipeline = reg.pull_model("iris-lr").unwrap().1;
        let parsed = mlops_lite::records::Records::from(&batch)
            .into_batch(&pipeline)
            .unwrap();
        batch_rate("predict.pipeline_alone", "  pipeline alone:", &mut || {
            let out = mlops_lite::predict::run(&pipeline, &parsed).unwrap();
            assert_eq!(out.len(), n);
        });
    }

    for (durability, calls) in [
        (Durability::Normal, singles),
        (Durability::Full, singles_full),
    ] {
        logged_side(&dir, durability, &batch, rounds, calls);
    }
    // Logged into a registry in memory: what the npm package's logged figure does.
    let mut mem = with_model(Registry::open_in_memory().unwrap());
    let t = time_rounds(rounds, || {
        mem.predict("iris-lr", &batch[..], true).unwrap();
    });
    let (median, best) = t.rate_figures("predict.log_10k.memory", n);
    native.log_memory = median;
    println!("predict + log, in memory:       {median:>12.0} records/s ({best:.0}; JSON bytes)");
    drop(mem);

    native.columns_1m = columns_side(&mut reg, &dir, smoke, only_log);
    if only_log {
        return;
    }
    cli_side(&dir, &db, smoke);
    let big = dir.join("bench_1000000.db");
    if big.exists() && !smoke {
        let bytes = std::fs::read(&big).unwrap();
        let t = Instant::now();
        let opened = Registry::from_bytes(&bytes).unwrap();
        let datasets = opened.list_datasets().unwrap().len();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(datasets >= 1);
        println!(
            "open a {:.0} MB registry from bytes: {ms:.0} ms (Registry::from_bytes, natively)",
            bytes.len() as f64 / 1e6
        );
        figure("predict.open_bytes", ms, "ms");
        native.open_bytes_ms = Some(ms);
    }
    if !smoke {
        wasm_side(&dir, &batch, rounds, &native);
    }
}

/// Logged predictions into a new file opened with `durability`: 10,000 records per call
/// (`rounds` calls), then `calls` calls of one record; every call is its own transaction.
fn logged_side(dir: &Path, durability: Durability, batch: &[u8], rounds: usize, calls: usize) {
    let d = durability.as_str();
    let mut reg = fresh_file(dir, &format!("predict_log_{d}.db"), durability);
    let n = records_in(batch);
    let before = file_bytes(&reg);
    let t = time_rounds(rounds, || {
        let (_, _, out) = reg.predict("iris-lr", batch, true).unwrap();
        assert_eq!(out.len(), n);
    });
    let after = file_bytes(&reg);
    let (median, best) = t.rate_figures(&format!("predict.log_10k.{d}"), n);
    println!(
        "predict + log, synchronous={:<6} {median:>8.0} records/s ({best:.0}; {n} records per call, one transaction)",
        d.to_uppercase()
    );
    let per_record = (after - before) as f64 / (n * rounds) as f64;
    figure(
        &format!("predict.log_bytes_per_record.{d}"),
        per_record,
        "B",
    );
    println!(
        "  log size:                     {per_record:>12.1} bytes per record ({} records)",
        n * rounds
    );
    let one = br#"[{"reference_id":"one","sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":0.2}]"#;
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        reg.predict("iris-lr", one, true).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let t = Times::new(times);
    t.latency_figures(&format!("predict.log_1.{d}"));
    println!(
        "one record + log, synchronous={:<6} {:>7.1} us median, p5 {:.1}, p95 {:.1}, p99 {:.1} us ({} calls, one transaction each)",
        d.to_uppercase(),
        t.median(),
        t.quantile(0.05),
        t.quantile(0.95),
        t.quantile(0.99),
        t.len()
    );
}

/// The number of records of a `records(n)` batch.
fn records_in(batch: &[u8]) -> usize {
    batch.iter().filter(|&&b| b == b'{').count()
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
/// (no log, and logged to a file), and one record through the Rust API. Returns the no-log
/// records/s (median round). With `only_log`, only the logged figure.
fn columns_side(reg: &mut Registry, dir: &Path, smoke: bool, only_log: bool) -> f64 {
    let n = if smoke { 1_000 } else { 1_000_000 };
    // 10,000 distinct records repeated: the same values as the JSON records.
    let base = iris_columns(10_000.min(n));
    let cols: Vec<Vec<f64>> = base
        .iter()
        .map(|c| c.iter().copied().cycle().take(n).collect())
        .collect();
    let rounds = if smoke { 2 } else { 10 };
    let mut median = f64::NAN;
    if !only_log {
        let t = time_rounds(rounds, || {
            let (_, _, out) = reg.predict("iris-lr", columns_of(&cols), false).unwrap();
            assert_eq!(out.len(), n);
        });
        let best;
        (median, best) = t.rate_figures("predict.columns_1m", n);
        println!(
            "columns, no log:                {median:>12.0} records/s ({best:.0}; {n} records from columns, Registry::predict, {rounds} rounds)"
        );
    }
    // Logged, into a file of its own (the log grows by ~100 bytes per record).
    let mut logged = fresh_file(dir, "predict_columns_log.db", Durability::Normal);
    let log_rounds = if smoke { 1 } else { 3 };
    let t = time_rounds(log_rounds, || {
        logged.predict("iris-lr", columns_of(&cols), true).unwrap();
    });
    let (log_median, log_best) = t.rate_figures("predict.columns_1m_log", n);
    println!(
        "columns + log to file:          {log_median:>12.0} records/s ({log_best:.0}; {n} records from columns, one transaction, {log_rounds} rounds)"
    );
    if only_log {
        return median;
    }
    // One record, no log: by name (a lookup of the model row each call) and resolved once.
    let one: Vec<Vec<f64>> = base.iter().map(|c| vec![c[0]]).collect();
    let calls = if smoke { 100 } else { 20_000 };
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
    let (resolved, by_name) = (Times::new(resolved), Times::new(by_name));
    resolved.latency_figures("predict.one_resolved");
    by_name.latency_figures("predict.one_by_name");
    println!(
        "one record, no log:             {:>12.2} us median (p99 {:.2}), model resolved once (predict_with_model); {:.2} us by name (Registry::predict)",
        resolved.median(),
        resolved.quantile(0.99),
        by_name.median()
    );
    median
}

/// The CLI as a whole process: 200,000 JSON records predicted to standard output (a file),
/// in each output format.
fn cli_side(dir: &Path, db: &Path, smoke: bool) {
    let n = if smoke { 1_000 } else { 200_000 };
    let input = dir.join(format!("cli_records_{n}.json"));
    std::fs::write(&input, records(n)).unwrap();
    let rounds = if smoke { 1 } else { 3 };
    for output in ["json", "jsonl", "csv"] {
        let t = time_rounds(rounds, || {
            let sink = std::fs::File::create(dir.join("cli_out")).unwrap();
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_mlops-lite"))
                .arg("--db")
                .arg(db)
                .args(["predict", "--model", "iris-lr", "--output", output])
                .arg(&input)
                .stdout(sink)
                .status()
                .unwrap();
            assert!(status.success());
        });
        let (median, best) = t.rate_figures(&format!("predict.cli.{output}"), n);
        println!(
            "CLI process, --output {output:<5}      {median:>12.0} records/s ({best:.0}; {n} JSON records to a file, whole process, {rounds} rounds)"
        );
    }
}

/// Runs the wasm build on the same records in Node (npm/bench/predict.mjs), in this same
/// run, and prints each figure against native's from the same input form; with the 1M-row
/// registry of `cargo bench --bench bind`, also the time to open it from bytes.
fn wasm_side(dir: &Path, batch: &[u8], rounds: usize, native: &Native) {
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
    // (npm key, figure key, what npm gets, native's figure from the same form, that form)
    let rows = [
        (
            "json_bytes",
            "JSON bytes (Uint8Array)",
            native.json_bytes,
            "JSON bytes (&[u8])",
        ),
        (
            "json_text",
            "a JSON string",
            native.json_text,
            "a JSON string (&str)",
        ),
        (
            "columns_10k",
            "10,000 records as Float64Array columns",
            native.columns_10k,
            "columns (Columns)",
        ),
        (
            "objects",
            "JS objects",
            native.columns_10k,
            "columns (Columns): parsed values in each language, not the same form",
        ),
        (
            "log_json_bytes",
            "JSON bytes, logged (in-memory registry)",
            native.log_memory,
            "JSON bytes, logged in memory",
        ),
        (
            "columns_1m",
            "1,000,000 records as Float64Array columns, columns out",
            native.columns_1m,
            "1,000,000 records from Columns",
        ),
    ];
    for (key, what, native_rate, native_what) in rows {
        let (Some(median), Some(best)) = (v[key]["median"].as_f64(), v[key]["best"].as_f64())
        else {
            println!("wasm: no figure {key} from node");
            continue;
        };
        figure(&format!("wasm.{key}"), median, "rec/s");
        figure(&format!("wasm.{key}.best"), best, "rec/s");
        println!(
            "wasm (Node), from {what}: {median:.0} records/s ({best:.0}); native from {native_what}: {native_rate:.0}: {:.2}x",
            native_rate / median
        );
    }
    for (key, what) in [
        (
            "objects_rows",
            "JS objects, result objects out (the usual call)",
        ),
        ("objects_log", "JS objects, logged (in-memory registry)"),
    ] {
        if let Some(median) = v[key]["median"].as_f64() {
            figure(&format!("wasm.{key}"), median, "rec/s");
            println!("wasm (Node), from {what}: {median:.0} records/s");
        }
    }
    if let Some(ms) = v["open_ms"].as_f64() {
        figure("wasm.open_bytes", ms, "ms");
        let vs = native.open_bytes_ms.map_or(String::new(), |n| {
            format!("; native {n:.0} ms: {:.2}x", ms / n)
        });
        println!(
            "wasm: open a {:.0} MB registry from bytes: {ms:.0} ms (Registry.open){vs}",
            v["open_mb"].as_f64().unwrap()
        );
    } else {
        println!("wasm: no large registry to open (run cargo bench --bench bind first)");
    }
}
