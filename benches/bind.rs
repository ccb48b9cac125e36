//! Benchmark of the dataset hot paths (issue 2's targets), run with `cargo bench --bench bind`.
//!
//! Generates (once, deterministically) a 1,000,000-row x 10-column float CSV under
//! `target/bench-data/`, then measures in this one process: a fresh bind into a new registry
//! file, a re-bind of the identical file, a re-bind of the same content from a reformatted
//! file (full parse path), a pull, the file bytes per float cell, and peak memory (VmHWM)
//! after the fresh bind. Set `BENCH_ROWS` to change the row count. Under `cargo test` it runs
//! on 1,000 rows as a smoke test. Each figure is also printed as a `FIGURE key value unit`
//! line for `scripts/bench-report.sh`, which runs this several times.

use std::path::Path;
use std::time::Instant;

use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::Registry;

#[path = "support/data.rs"]
mod data;
#[path = "support/rng.rs"]
mod rng;
use data::{figure, generate, peak_rss_mb};

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke
    // test on 1,000 rows.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if smoke { 1_000 } else { 1_000_000 });
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("floats_{rows}x10.csv"));
    let csv2 = dir.join(format!("floats_{rows}x10_reformatted.csv"));
    generate(&csv, rows, false);
    generate(&csv2, rows, true);
    let db = dir.join(format!("bench_{rows}.db"));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let csv_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!("input: {rows} rows x 10 float columns, {csv_mb:.0} MB CSV");

    let rss_before = peak_rss_mb();
    let mut reg = Registry::open(&db).unwrap();
    let t = Instant::now();
    let b = reg
        .bind_dataset_from(Input::Path(&csv), Format::Csv, "floats", "", &mut |_, _| {})
        .unwrap();
    let fresh = t.elapsed().as_secs_f64();
    assert!(b.created);
    let rss = peak_rss_mb();
    drop(reg);
    let file_bytes = std::fs::metadata(&db).unwrap().len() as f64;
    println!(
        "fresh bind:              {fresh:.3} s  (peak RSS {rss:.0} MB; {rss_before:.0} MB before)"
    );
    figure("bind.rows", rows as f64, "rows");
    figure("bind.fresh", fresh, "s");
    figure("bind.peak_rss", rss, "MB");

    let mut reg = Registry::open(&db).unwrap();
    let t = Instant::now();
    let b = reg
        .bind_dataset_from(Input::Path(&csv), Format::Csv, "floats", "", &mut |_, _| {})
        .unwrap();
    let rebind = t.elapsed().as_secs_f64();
    assert!(!b.created);
    println!(
        "re-bind, same file:      {rebind:.3} s  ({:.1}% of the fresh bind)",
        100.0 * rebind / fresh
    );
    figure("bind.rebind_same", rebind, "s");
    figure("bind.rebind_same_pct", 100.0 * rebind / fresh, "%");

    let t = Instant::now();
    let b = reg
        .bind_dataset_from(
            Input::Path(&csv2),
            Format::Csv,
            "floats",
            "",
            &mut |_, _| {},
        )
        .unwrap();
    let rebind2 = t.elapsed().as_secs_f64();
    assert!(!b.created, "the reformatted file holds the same values");
    println!(
        "re-bind, reformatted:    {rebind2:.3} s  ({:.1}% of the fresh bind; parses and hashes, writes nothing)",
        100.0 * rebind2 / fresh
    );
    figure("bind.rebind_reformatted", rebind2, "s");
    figure("bind.rebind_reformatted_pct", 100.0 * rebind2 / fresh, "%");

    let t = Instant::now();
    let (entry, data) = reg.pull_dataset("floats@1").unwrap();
    let pull = t.elapsed().as_secs_f64();
    assert_eq!(data.md5(), entry.md5);
    println!("pull (md5 verified):     {pull:.3} s");
    figure("bind.pull", pull, "s");
    println!(
        "file size:               {:.1} MB, {:.2} bytes per float cell",
        file_bytes / 1e6,
        file_bytes / (rows as f64 * 10.0)
    );
    figure(
        "bind.bytes_per_cell",
        file_bytes / (rows as f64 * 10.0),
        "B",
    );
}
