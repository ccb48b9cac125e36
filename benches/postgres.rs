//! Benchmark of the PostgreSQL backend (issue 6's targets), run with
//! `cargo bench --bench postgres`.
//!
//! Needs a PostgreSQL server: `postgres://postgres@127.0.0.1:5432/test` (trust auth), or the
//! URL in `MLOPS_LITE_TEST_PG`. Everything goes into a schema of its own (`bench_pg_<pid>`),
//! dropped at the end. Measures, in this one process:
//! - a fresh bind of bench `bind`'s 1,000,000 x 10 float CSV (the same file under
//!   `target/bench-data/`, generated when missing), the bind of the same data as an in-memory
//!   `Dataset`, and PostgreSQL's on-disk size of the data table per float cell;
//! - where a bind's time goes: the CSV parse and md5 alone, and the binary `COPY` of the same
//!   rows into scratch tables, once written the way `copy_rows` (src/store/pg.rs) writes them
//!   (`BinaryCopyInWriter`, one `ToSql` call per cell) and once with the rows hand-encoded;
//! - logged predictions of 10,000 iris records (one call, median of several), and the latency
//!   of one logged single-record prediction.
//!
//! - `mlops-lite copy` of the bind bench's registry (`target/bench-data/bench_1000000.db`,
//!   when it exists) into PostgreSQL and back to a new file, as whole processes (wall time,
//!   and peak RSS through `/usr/bin/time` when it is installed).
//!
//! Each figure is also printed as a `FIGURE key value unit` line for
//! `scripts/bench-report.sh`, which runs this several times. Set `BENCH_ROWS` to change the
//! row count. Under `cargo test` it runs on 1,000 rows and 100 records as a smoke test (it
//! still needs the server).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use mlops_lite::dataset::import::{self, Format, Input};
use mlops_lite::dataset::samples;
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::Registry;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};

#[path = "support/data.rs"]
mod data;
#[path = "support/rng.rs"]
mod rng;
use data::{figure, generate, peak_rss_mb, records, Times};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The benchmark's schema (and the one `copy` writes to, `<name>_copy`): created by
/// mlops-lite on open, dropped (CASCADE) when this goes out of scope, also after a panic.
struct Schema {
    admin: Client,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        for name in [self.name.clone(), format!("{}_copy", self.name)] {
            let sql = format!("DROP SCHEMA IF EXISTS {name} CASCADE");
            if let Err(e) = self.admin.batch_execute(&sql) {
                eprintln!("could not drop schema {name}: {e}");
            }
        }
    }
}

fn with_schema(base: &str, schema: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}schema={schema}")
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Whether a target is met; not judged on the smoke test's sizes.
fn verdict(smoke: bool, met: bool) -> &'static str {
    match (smoke, met) {
        (true, _) => "not judged at smoke size",
        (false, true) => "met",
        (false, false) => "MISSED",
    }
}

fn size_of(admin: &mut Client, schema: &str, table: &str) -> i64 {
    admin
        .query_one(
            "SELECT pg_total_relation_size(format('%I.%I', $1::text, $2::text)::regclass)",
            &[&schema, &table],
        )
        .unwrap()
        .get(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if smoke { 1_000 } else { 1_000_000 });
    let (n, rounds, singles) = if smoke {
        (100, 3, 50)
    } else {
        (10_000, 15, 2_000)
    };

    let base = std::env::var("MLOPS_LITE_TEST_PG").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let mut admin = Client::connect(&base, NoTls).unwrap_or_else(|e| {
        panic!(
            "bench postgres needs a PostgreSQL server at {base} (set MLOPS_LITE_TEST_PG to use \
             another): {e}{}. Start it with `sudo service postgresql start`.",
            std::error::Error::source(&e).map_or(String::new(), |c| format!(" ({c})"))
        )
    });
    let version: String = admin.query_one("SHOW server_version", &[]).unwrap().get(0);
    let settings: Vec<String> = admin
        .query(
            "SELECT name || '=' || current_setting(name) FROM pg_settings WHERE name IN \
             ('shared_buffers', 'wal_level', 'synchronous_commit', 'max_wal_size') ORDER BY name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let schema = format!("bench_pg_{}", std::process::id());
    let mut guard = Schema {
        admin,
        name: schema.clone(),
    };
    let url = with_schema(&base, &schema);
    println!(
        "PostgreSQL {version} ({}), schema {schema} (dropped at the end)",
        settings.join(", ")
    );

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("floats_{rows}x10.csv"));
    generate(&csv, rows, false);
    let csv_mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!("input: {rows} rows x 10 float columns, {csv_mb:.0} MB CSV");

    // 1. Binding the float dataset.
    let rss_before = peak_rss_mb();
    let mut reg = Registry::open(&url).unwrap();
    assert!(reg.is_postgres());
    let t = Instant::now();
    let b = reg
        .bind_dataset_from(Input::Path(&csv), Format::Csv, "floats", "", &mut |_, _| {})
        .unwrap();
    let fresh = t.elapsed().as_secs_f64();
    let rss = peak_rss_mb();
    assert!(b.created);
    assert_eq!(b.dataset.size_rows as usize, rows);
    println!(
        "bind from CSV file:      {fresh:>8.3} s  (target <= 5 s: {}; peak RSS {rss:.0} MB, {rss_before:.0} MB before)",
        verdict(smoke, fresh <= 5.0)
    );
    figure("pg.bind", fresh, "s");
    figure("pg.peak_rss", rss, "MB");

    let t = Instant::now();
    let again = reg
        .bind_dataset_from(Input::Path(&csv), Format::Csv, "floats", "", &mut |_, _| {})
        .unwrap();
    let rebind = t.elapsed().as_secs_f64();
    assert!(!again.created);
    println!("  re-bind, same file:    {rebind:>8.3} s  (source hash found, nothing written)");
    figure("pg.rebind_same", rebind, "s");

    let t = Instant::now();
    let data = import::read(Input::Path(&csv), Format::Csv, &mut |_, _| {}).unwrap();
    let parse = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let md5 = data.md5();
    let md5_s = t.elapsed().as_secs_f64();
    assert_eq!(md5, b.dataset.md5);
    println!("  CSV parse alone:       {parse:>8.3} s");
    println!("  md5 alone:             {md5_s:>8.3} s");
    figure("pg.csv_parse", parse, "s");
    figure("pg.md5", md5_s, "s");

    let t = Instant::now();
    let m = reg.bind_dataset(&data, "floats_mem", "").unwrap();
    let mem = t.elapsed().as_secs_f64();
    assert!(m.created);
    println!("bind in-memory Dataset:  {mem:>8.3} s  (same content, another name)");
    figure("pg.bind_memory", mem, "s");

    let table_bytes = size_of(&mut guard.admin, &schema, &b.dataset.data_table) as f64;
    println!(
        "data table on disk:      {:>8.1} MB, {:.2} bytes per float cell (pg_total_relation_size; \
         the row-order BIGINT and tuple headers included)",
        table_bytes / 1e6,
        table_bytes / (rows as f64 * 10.0)
    );
    figure("pg.bytes_per_cell", table_bytes / (rows as f64 * 10.0), "B");

    // Where the bind's COPY time goes: the same rows into scratch tables, each in one
    // transaction with its CREATE TABLE, like insert_dataset_version.
    let mut c = Client::connect(&base, NoTls).unwrap();
    c.batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    let cols: Vec<&[f64]> = data
        .columns()
        .iter()
        .map(|col| match &col.values {
            mlops_lite::dataset::Values::Float(v) => v.as_slice(),
            other => panic!("expected float columns, got {:?}", other.dtype()),
        })
        .collect();
    let writer = copy_experiment(&mut c, "scratch_writer", &cols, copy_with_writer);
    let hand = copy_experiment(&mut c, "scratch_hand", &cols, copy_hand_encoded);
    let t = Instant::now();
    let mut buf = Vec::new();
    encode_rows(&cols, 0..rows, &mut buf);
    let encode = t.elapsed().as_secs_f64();
    std::hint::black_box(&buf);
    let copy_mb = buf.len() as f64 / 1e6;
    drop(buf);
    println!("COPY of the same rows alone (CREATE TABLE + COPY + COMMIT, {copy_mb:.0} MB of binary COPY data):");
    println!("  BinaryCopyInWriter:    {writer:>8.3} s  (as copy_rows: a &dyn ToSql per cell, block_on per row)");
    println!(
        "  hand-encoded rows:     {hand:>8.3} s  (1 MB CopyInWriter writes; encoding alone {encode:.3} s)"
    );
    figure("pg.copy_writer", writer, "s");
    figure("pg.copy_hand", hand, "s");
    drop(data);
    drop(reg);

    // 2. Logged predictions.
    let mut reg = Registry::open(&url).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let batch = records(n);
    println!(
        "{n} JSON records ({} bytes), iris LogisticRegression pipeline",
        batch.len()
    );
    reg.predict("m", &batch, false).unwrap(); // loads and caches the model

    let mut nolog = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let (_, _, out) = reg.predict("m", &batch, false).unwrap();
        nolog.push(t.elapsed().as_secs_f64());
        assert_eq!(out.len(), n);
    }
    let nolog = median(&mut nolog);

    let log_before = size_of(&mut guard.admin, &schema, "prediction_records");
    let mut logged = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let (_, _, out) = reg.predict("m", &batch, true).unwrap();
        logged.push(t.elapsed().as_secs_f64());
        assert_eq!(out.len(), n);
    }
    let log_after = size_of(&mut guard.admin, &schema, "prediction_records");
    let logged = Times::new(logged);
    let (rate, best) = logged.rate_figures("pg.log_10k", n);
    println!(
        "predict + log:           {rate:>8.0} records/s median of {rounds} (target >= 100,000: {}; \
         {:.0}..{best:.0} records/s)",
        verdict(smoke, rate >= 100_000.0),
        n as f64 / logged.worst(),
    );
    println!(
        "  predict, no log:       {:>8.0} records/s median",
        n as f64 / nolog
    );
    figure("pg.nolog_10k", n as f64 / nolog, "rec/s");
    let per_record = (log_after - log_before) as f64 / (n * rounds) as f64;
    println!(
        "  log size:              {per_record:>8.1} bytes per record (prediction_records, {} records)",
        n * rounds
    );
    figure("pg.log_bytes_per_record", per_record, "B");

    let one = br#"[{"reference_id":"one","sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":0.2}]"#;
    let mut times = Vec::with_capacity(singles);
    for _ in 0..singles {
        let t = Instant::now();
        reg.predict("m", one, true).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let times = Times::new(times);
    times.latency_figures("pg.log_1");
    println!(
        "one record + log:        {:>8.0} us median, p5 {:.0}, p95 {:.0}, p99 {:.0} us ({singles} calls, one transaction each)",
        times.median(),
        times.quantile(0.05),
        times.quantile(0.95),
        times.quantile(0.99)
    );
    drop(reg);

    // Where the logging time goes: one logged call's records again, into scratch tables, with
    // and without a foreign key on call_id (src/store/schema/pg.sql has none: this is why).
    let (w, h, h_nofk) = log_copy_experiment(&mut c, n, rounds);
    let per = |s: f64| n as f64 / s;
    println!(
        "log COPY of one call's {n} records alone (BEGIN + INSERT call + COPY + COMMIT, median):"
    );
    println!(
        "  BinaryCopyInWriter, FK: {:>7.0} records/s  ({:.1} ms; PK + a REFERENCES on call_id)",
        per(w),
        w * 1e3
    );
    println!(
        "  hand-encoded, FK:      {:>8.0} records/s  ({:.1} ms; same tables)",
        per(h),
        h * 1e3
    );
    println!(
        "  hand-encoded, no FK:   {:>8.0} records/s  ({:.1} ms; PK only, as schema/pg.sql)",
        per(h_nofk),
        h_nofk * 1e3
    );
    figure("pg.log_copy_fk_writer", per(w), "rec/s");
    figure("pg.log_copy_fk_hand", per(h), "rec/s");
    figure("pg.log_copy_nofk_hand", per(h_nofk), "rec/s");
    drop(c);
    let big = dir.join(format!("bench_{rows}.db"));
    if smoke {
        println!("copy: not measured at smoke size");
    } else if big.exists() {
        copy_side(&big, &with_schema(&base, &format!("{schema}_copy")), &dir);
    } else {
        println!(
            "copy: no {} (run cargo bench --bench bind first); skipped",
            big.display()
        );
    }
    drop(guard);
}

/// `mlops-lite copy` of the bind bench's registry file into PostgreSQL, and back into a new
/// file, each a whole process: wall time, and peak RSS where `/usr/bin/time` is installed.
fn copy_side(file: &Path, url: &str, dir: &Path) {
    let back = dir.join("copy_back.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", back.display()));
    }
    let time = Path::new("/usr/bin/time");
    for (key, from, to) in [
        ("pg.copy_to_pg", file.display().to_string(), url.to_string()),
        (
            "pg.copy_from_pg",
            url.to_string(),
            back.display().to_string(),
        ),
    ] {
        let mut cmd = if time.exists() {
            let mut c = std::process::Command::new(time);
            c.args(["-f", "MAXRSS_KB %M"])
                .arg(env!("CARGO_BIN_EXE_mlops-lite"));
            c
        } else {
            std::process::Command::new(env!("CARGO_BIN_EXE_mlops-lite"))
        };
        cmd.args(["copy", "--from", &from, "--to", &to]);
        let t = Instant::now();
        let out = cmd.output().unwrap();
        let s = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rss = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|l| l.strip_prefix("MAXRSS_KB "))
            .next_back()
            .and_then(|kb| kb.trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0);
        figure(key, s, "s");
        if let Some(mb) = rss {
            figure(&format!("{key}_rss"), mb, "MB");
        }
        println!(
            "mlops-lite copy, {}: {s:.3} s{} (whole process)",
            if key.ends_with("to_pg") {
                "file to PostgreSQL"
            } else {
                "PostgreSQL to a new file"
            },
            rss.map_or(String::new(), |mb| format!(", peak RSS {mb:.0} MB"))
        );
    }
}

/// Re-logs the records of the last logged call of `n` records into scratch copies of
/// prediction_calls / prediction_records: returns the median seconds of a logged call written
/// with `BinaryCopyInWriter`, hand-encoded, and hand-encoded into a table without the foreign
/// key.
fn log_copy_experiment(c: &mut Client, n: usize, rounds: usize) -> (f64, f64, f64) {
    let logged: Vec<(Option<String>, String, String)> = c
        .query(
            "SELECT reference_id, inputs, outputs FROM prediction_records WHERE call_id = \
             (SELECT max(id) FROM prediction_calls WHERE n_records = $1) ORDER BY position",
            &[&(n as i64)],
        )
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(logged.len(), n);
    c.batch_execute(
        "CREATE TABLE scratch_calls (id BIGINT PRIMARY KEY); \
         CREATE TABLE scratch_records (call_id BIGINT NOT NULL REFERENCES scratch_calls (id), \
         position BIGINT NOT NULL, reference_id TEXT, inputs TEXT NOT NULL, outputs TEXT NOT NULL, \
         PRIMARY KEY (call_id, position)); \
         CREATE TABLE scratch_records_nofk (call_id BIGINT NOT NULL, \
         position BIGINT NOT NULL, reference_id TEXT, inputs TEXT NOT NULL, outputs TEXT NOT NULL, \
         PRIMARY KEY (call_id, position))",
    )
    .unwrap();
    let mut call = 0i64;
    let mut run = |c: &mut Client, table: &str, hand: bool| -> f64 {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            call += 1;
            let t = Instant::now();
            let mut tx = c.transaction().unwrap();
            tx.execute("INSERT INTO scratch_calls (id) VALUES ($1)", &[&call])
                .unwrap();
            let sql = format!(
                "COPY {table} (call_id, position, reference_id, inputs, outputs) FROM STDIN (FORMAT binary)"
            );
            let sink = tx.copy_in(&sql).unwrap();
            if hand {
                let mut sink = sink;
                let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
                buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
                buf.extend_from_slice(&[0; 8]);
                for (i, (reference, inputs, outputs)) in logged.iter().enumerate() {
                    buf.extend_from_slice(&5i16.to_be_bytes());
                    buf.extend_from_slice(&8i32.to_be_bytes());
                    buf.extend_from_slice(&call.to_be_bytes());
                    buf.extend_from_slice(&8i32.to_be_bytes());
                    buf.extend_from_slice(&(i as i64).to_be_bytes());
                    for text in [reference.as_deref(), Some(inputs), Some(outputs)] {
                        match text {
                            Some(t) => {
                                buf.extend_from_slice(&(t.len() as i32).to_be_bytes());
                                buf.extend_from_slice(t.as_bytes());
                            }
                            None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
                        }
                    }
                    if buf.len() >= 1 << 20 {
                        sink.write_all(&buf).unwrap();
                        buf.clear();
                    }
                }
                buf.extend_from_slice(&(-1i16).to_be_bytes());
                sink.write_all(&buf).unwrap();
                sink.finish().unwrap();
            } else {
                let mut w = BinaryCopyInWriter::new(
                    sink,
                    &[Type::INT8, Type::INT8, Type::TEXT, Type::TEXT, Type::TEXT],
                );
                for (i, (reference, inputs, outputs)) in logged.iter().enumerate() {
                    w.write(&[
                        &call,
                        &(i as i64),
                        &reference.as_deref(),
                        &inputs.as_str(),
                        &outputs.as_str(),
                    ])
                    .unwrap();
                }
                w.finish().unwrap();
            }
            tx.commit().unwrap();
            times.push(t.elapsed().as_secs_f64());
        }
        median(&mut times)
    };
    let w = run(c, "scratch_records", false);
    let h = run(c, "scratch_records", true);
    let h_nofk = run(c, "scratch_records_nofk", true);
    (w, h, h_nofk)
}

/// Times `copy` of `cols` into a new table `name` (row-order BIGINT + 10 DOUBLE PRECISION),
/// created in the same transaction.
fn copy_experiment(
    c: &mut Client,
    name: &str,
    cols: &[&[f64]],
    copy: fn(&mut Client, &str, &[&[f64]]),
) -> f64 {
    let defs: Vec<String> = (0..cols.len())
        .map(|i| format!("x{i} DOUBLE PRECISION"))
        .collect();
    let t = Instant::now();
    c.batch_execute(&format!(
        "BEGIN; CREATE TABLE {name} (mlops_row BIGINT NOT NULL, {})",
        defs.join(", ")
    ))
    .unwrap();
    copy(c, name, cols);
    c.batch_execute("COMMIT").unwrap();
    let s = t.elapsed().as_secs_f64();
    let rows = cols.first().map_or(0, |c| c.len());
    let count: i64 = c
        .query_one(&format!("SELECT count(*) FROM {name}"), &[])
        .unwrap()
        .get(0);
    assert_eq!(count as usize, rows);
    c.batch_execute(&format!("DROP TABLE {name}")).unwrap();
    s
}

/// The way src/store/pg.rs `copy_rows` writes float rows.
fn copy_with_writer(c: &mut Client, table: &str, cols: &[&[f64]]) {
    let sink = c
        .copy_in(&format!("COPY {table} FROM STDIN (FORMAT binary)"))
        .unwrap();
    let mut types = vec![Type::INT8];
    types.extend(cols.iter().map(|_| Type::FLOAT8));
    let mut w = BinaryCopyInWriter::new(sink, &types);
    let rows = cols.first().map_or(0, |c| c.len());
    // copy_rows reuses one Vec of cells and builds one Vec of `&dyn ToSql` per row.
    let mut cells: Vec<Option<f64>> = Vec::with_capacity(cols.len());
    for r in 0..rows {
        cells.clear();
        cells.extend(cols.iter().map(|v| Some(v[r]).filter(|x| !x.is_nan())));
        let row = Some(r as i64);
        let mut refs: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(types.len());
        refs.push(&row);
        refs.extend(cells.iter().map(|c| c as &(dyn ToSql + Sync)));
        w.write(&refs).unwrap();
    }
    w.finish().unwrap();
}

/// The binary COPY rows `rows` of `cols`, appended to `out`: per row the field count, then
/// per field its length and big-endian bytes (-1 for a NULL, here a NaN).
fn encode_rows(cols: &[&[f64]], rows: std::ops::Range<usize>, out: &mut Vec<u8>) {
    let fields = (cols.len() + 1) as i16;
    for r in rows {
        out.extend_from_slice(&fields.to_be_bytes());
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&(r as i64).to_be_bytes());
        for col in cols {
            let x = col[r];
            if x.is_nan() {
                out.extend_from_slice(&(-1i32).to_be_bytes());
            } else {
                out.extend_from_slice(&8i32.to_be_bytes());
                out.extend_from_slice(&x.to_bits().to_be_bytes());
            }
        }
    }
}

/// The same rows, hand-encoded and written in 1 MB chunks.
fn copy_hand_encoded(c: &mut Client, table: &str, cols: &[&[f64]]) {
    let mut w = c
        .copy_in(&format!("COPY {table} FROM STDIN (FORMAT binary)"))
        .unwrap();
    let rows = cols.first().map_or(0, |c| c.len());
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    let per_row = 2 + (cols.len() + 1) * 12;
    let chunk = ((1 << 20) / per_row).max(1);
    let mut r = 0;
    while r < rows {
        let end = (r + chunk).min(rows);
        encode_rows(cols, r..end, &mut buf);
        w.write_all(&buf).unwrap();
        buf.clear();
        r = end;
    }
    w.write_all(&(-1i16).to_be_bytes()).unwrap();
    w.finish().unwrap();
}
