//! The benchmarks' inputs (`#[path]`-included next to `rng.rs`): the 1M x 10 float CSV and
//! the iris-like JSON records, the same bytes on every run and in every bench; and the peak
//! memory reading.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use crate::rng::Rng;

/// Writes `rows` x 10 random floats as CSV to `path` unless it exists (written to a
/// temporary file and renamed, so a half-written file is never used). With `sep_space`,
/// every value gets a trailing zero: the same numbers in other bytes.
pub fn generate(path: &Path, rows: usize, sep_space: bool) {
    if path.exists() {
        return;
    }
    let tmp = path.with_extension("csv.tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let header: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
    writeln!(f, "{}", header.join(",")).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut buf = ryu::Buffer::new();
    for _ in 0..rows {
        for c in 0..10 {
            if c > 0 {
                f.write_all(b",").unwrap();
            }
            let x = (rng.next_f64() - 0.5) * 1000.0;
            f.write_all(buf.format(x).as_bytes()).unwrap();
            if sep_space {
                // Same values, other bytes: trailing zeros change the text, not the number.
                f.write_all(b"0").unwrap();
            }
        }
        f.write_all(b"\n").unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// `n` iris-like records as a JSON array, each with a reference id.
pub fn records(n: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut s = String::from("[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        // Values rounded to one decimal, like the iris measurements.
        let v: Vec<f64> = [(4.3, 7.9), (2.0, 4.4), (1.0, 6.9), (0.1, 2.5)]
            .iter()
            .map(|(lo, hi)| ((lo + rng.next_f64() * (hi - lo)) * 10.0).round() / 10.0)
            .collect();
        s.push_str(&format!(
            "{{\"reference_id\":\"r{i}\",\"sepal length (cm)\":{},\"sepal width (cm)\":{},\"petal length (cm)\":{},\"petal width (cm)\":{}}}",
            v[0], v[1], v[2], v[3]
        ));
    }
    s.push(']');
    s.into_bytes()
}

/// Peak resident memory of this process so far (VmHWM), in MB.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Prints a machine-readable figure, `FIGURE <key> <value> <unit>`, next to the human lines:
/// what `scripts/bench-report.py` aggregates over runs (keys and units: its `FIGURES`).
pub fn figure(key: &str, value: f64, unit: &str) {
    println!("FIGURE {key} {value} {unit}");
}

/// Times over the rounds or calls of one measurement, sorted.
pub struct Times(Vec<f64>);

impl Times {
    pub fn new(mut v: Vec<f64>) -> Times {
        assert!(!v.is_empty(), "no times");
        v.sort_by(f64::total_cmp);
        Times(v)
    }

    /// The `q` quantile (0 to 1), nearest rank.
    pub fn quantile(&self, q: f64) -> f64 {
        self.0[((self.0.len() - 1) as f64 * q).round() as usize]
    }

    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    pub fn best(&self) -> f64 {
        self.0[0]
    }

    pub fn worst(&self) -> f64 {
        self.0[self.0.len() - 1]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Records/s for `n` records per round: the median round, and the best round (its
    /// `.best`), printed as figures `key` and `key.best`.
    pub fn rate_figures(&self, key: &str, n: usize) -> (f64, f64) {
        let (median, best) = (n as f64 / self.median(), n as f64 / self.best());
        figure(key, median, "rec/s");
        figure(&format!("{key}.best"), best, "rec/s");
        (median, best)
    }

    /// Microseconds of one call: median, p5, p95, p99, printed as `key.median` and so on
    /// (the times are in microseconds already).
    pub fn latency_figures(&self, key: &str) {
        for (name, q) in [("median", 0.5), ("p5", 0.05), ("p95", 0.95), ("p99", 0.99)] {
            figure(&format!("{key}.{name}"), self.quantile(q), "us");
        }
    }
}

/// Runs `f` `rounds` times, returning the seconds of each round.
pub fn time_rounds(rounds: usize, mut f: impl FnMut()) -> Times {
    Times::new(
        (0..rounds)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}
