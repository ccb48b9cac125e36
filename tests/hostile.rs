//! Issue 11, deliverable 8: every file of the hostile corpus (`scripts/hostile-corpus.sh`,
//! built here with the freshly built binary and `sqlite3`) through every command that opens
//! a registry file, each run on a fresh copy of the file, bounded, and checked:
//!
//! - bounds (documented in the README's security model): 30 s of wall-clock time per command
//!   (`HOSTILE_TIMEOUT_SECS`), 2 GiB of address space (`RLIMIT_AS`) and 1 GiB per file
//!   written (`RLIMIT_FSIZE`); a command killed by a signal, past a bound or not, fails;
//! - no panic (exit 101 or "panicked"), exit code 0 or 1 only;
//! - no raw control character (C0 but tab and newline, DEL, C1) on stdout or stderr;
//! - no SQL from the file ran: no canary row left by a trigger (`canary:<tag>:<16 hex>` in the
//!   file's, its `-wal`'s or a copy's bytes) and no HOSTILE-MARK value (made by a view or
//!   injected SQL) in any output;
//! - the file is unchanged (same bytes, no `-wal`/`-journal` left beside it) after every
//!   read-only command, every failed command and every command on a refused file;
//! - `refused` files: every command fails naming the offending object; `reported` files:
//!   `verify` exits 1 naming the forged field; `clean` files: every command succeeds;
//! - `log export --format csv` writes no formula-leading cell (`=`, `+`, `-`, `@`, tab, CR);
//! - `copy`: a failed copy leaves no target; a copy that succeeded passes `verify` (a forged
//!   column or log is not carried over silently).
//!
//! Every failure is collected and printed in one table (file, commands, problem) before the
//! test fails. `HOSTILE_ONLY=a,b` runs the files whose names contain `a` or `b`;
//! `HOSTILE_CMDS=verify,copy` the commands whose names contain one of those;
//! `HOSTILE_CORPUS=DIR` reuses a corpus the script already built (or builds it there);
//! `HOSTILE_THREADS=N` (2); `HOSTILE_VERBOSE=1` prints each run's exit code, time and error.
//! 64-bit Linux only (setrlimit through `pre_exec`, getrusage); needs `sqlite3` on PATH.
#![cfg(all(target_os = "linux", target_pointer_width = "64"))]

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mlops-lite");
/// Address-space bound of every command (RLIMIT_AS).
const MEMORY_BOUND: u64 = 2 << 30;
/// Bound of every file a command writes (RLIMIT_FSIZE), the registry included.
const FILE_BOUND: u64 = 1 << 30;
/// Outputs larger than this are read only this far (the checks look at this much).
const OUTPUT_READ: u64 = 64 << 20;
const MARKER: &[u8] = b"HOSTILE-MARK";

#[repr(C)]
struct Rlimit {
    cur: u64,
    max: u64,
}

extern "C" {
    fn setrlimit(resource: i32, rlim: *const Rlimit) -> i32;
    /// `struct rusage` on 64-bit Linux: two timevals, then 14 longs (`ru_maxrss` first).
    fn getrusage(who: i32, usage: *mut [i64; 18]) -> i32;
}
const RUSAGE_CHILDREN: i32 = -1;

/// The largest resident set (MiB) of any command run so far.
fn children_max_rss_mib() -> i64 {
    let mut usage = [0i64; 18];
    // SAFETY: `usage` is as large as `struct rusage` on 64-bit Linux.
    if unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) } != 0 {
        return -1;
    }
    usage[4] / 1024
}
const RLIMIT_FSIZE: i32 = 1;
const RLIMIT_AS: i32 = 9;

/// One line of the corpus' manifest.tsv.
struct Entry {
    file: String,
    class: String,
    expected: String,
    needle: String,
    model: String,
    what: String,
    bytes: Vec<u8>,
}

/// One command run on every file.
struct Cmd {
    name: &'static str,
    /// Whether the command may write the registry (`--db`); copy only reads its source.
    writes: bool,
}

const CMDS: &[Cmd] = &[
    Cmd {
        name: "dataset list",
        writes: false,
    },
    Cmd {
        name: "dataset info",
        writes: false,
    },
    Cmd {
        name: "dataset pull",
        writes: false,
    },
    Cmd {
        name: "model list",
        writes: false,
    },
    Cmd {
        name: "model info",
        writes: false,
    },
    Cmd {
        name: "predict",
        writes: false,
    },
    Cmd {
        name: "predict --log",
        writes: true,
    },
    Cmd {
        name: "model train",
        writes: true,
    },
    Cmd {
        name: "dataset add",
        writes: true,
    },
    Cmd {
        name: "verify",
        writes: false,
    },
    Cmd {
        name: "reproduce",
        writes: false,
    },
    Cmd {
        name: "log list",
        writes: false,
    },
    Cmd {
        name: "log export",
        writes: false,
    },
    Cmd {
        name: "copy",
        writes: false,
    },
];

fn args(cmd: &Cmd, e: &Entry, inputs: &Path) -> Vec<String> {
    let records = inputs.join("records.json").to_string_lossy().into_owned();
    let small_v2 = inputs.join("small-v2.csv").to_string_lossy().into_owned();
    let m = e.model.as_str();
    let v: Vec<&str> = match cmd.name {
        "dataset list" => vec!["dataset", "list"],
        "dataset info" => vec!["dataset", "info", "iris"],
        "dataset pull" => vec!["dataset", "pull", "iris", "--out", "pulled.csv"],
        "model list" => vec!["model", "list"],
        "model info" => vec!["model", "info", m],
        "predict" => vec!["predict", "--model", m, &records],
        "predict --log" => vec!["predict", "--model", m, &records, "--log"],
        "model train" => vec![
            "model",
            "train",
            "--dataset",
            "iris",
            "--target",
            "target",
            "--name",
            "iris-tree",
        ],
        "dataset add" => vec!["dataset", "add", &small_v2, "--name", "small"],
        "verify" => vec!["verify"],
        "reproduce" => vec!["reproduce", m],
        "log list" => vec!["log", "list"],
        "log export" => vec!["log", "export", "--format", "csv"],
        "copy" => {
            return ["copy", "--from", "reg.db", "--to", "copy.db"]
                .map(String::from)
                .to_vec()
        }
        other => panic!("no arguments for {other}"),
    };
    let mut all = vec!["--db".to_string(), "reg.db".to_string()];
    all.extend(v.into_iter().map(String::from));
    all
}

/// What one run gave.
struct Outcome {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    seconds: f64,
}

fn read_bounded(path: &Path) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(OUTPUT_READ).read_to_end(&mut buf);
    }
    buf
}

/// Runs the binary in `dir` with the bounds; output goes to files in `dir`.
fn run_bounded(dir: &Path, tag: &str, args: &[String], timeout: Duration) -> Outcome {
    let out_path = dir.join(format!("{tag}.stdout"));
    let err_path = dir.join(format!("{tag}.stderr"));
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("MLOPS_LITE_DB")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("create stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("create stderr file"));
    // SAFETY: setrlimit is async-signal-safe and only touches the child's own limits.
    unsafe {
        cmd.pre_exec(|| {
            for (resource, bound) in [(RLIMIT_AS, MEMORY_BOUND), (RLIMIT_FSIZE, FILE_BOUND)] {
                let lim = Rlimit {
                    cur: bound,
                    max: bound,
                };
                if setrlimit(resource, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start the mlops-lite binary");
    let mut timed_out = false;
    let status = loop {
        match child.try_wait().expect("wait for mlops-lite") {
            Some(status) => break status,
            None if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("wait for the killed mlops-lite");
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Outcome {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: read_bounded(&out_path),
        stderr: read_bounded(&err_path),
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The names of the files beside `db` that start with its name (`-wal`, `-shm`, `-journal`).
fn siblings(db: &Path) -> Vec<String> {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let mut v: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&name) && *n != name)
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A canary row (`canary:<tag>:<16 uppercase hex>`) in these bytes: a trigger of the file ran.
fn find_canary(bytes: &[u8]) -> Option<String> {
    let pat = b"canary:";
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], pat) {
        let start = i + pos;
        let rest = &bytes[start + pat.len()..];
        let tag_len = rest
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || **b == b'_' || b.is_ascii_digit())
            .count();
        let after = &rest[tag_len..];
        if tag_len > 0
            && after.len() > 16
            && after[0] == b':'
            && after[1..17]
                .iter()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
        {
            return Some(
                String::from_utf8_lossy(&bytes[start..start + pat.len() + tag_len + 17])
                    .into_owned(),
            );
        }
        i = start + 1;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The first raw control character in `text` (C0 but tab and newline, DEL, C1 as UTF-8),
/// with some context, escaped.
fn control_char(text: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(text);
    let pos = s.char_indices().find(|(_, c)| {
        let c = *c as u32;
        (c < 0x20 && c != 0x09 && c != 0x0a) || (0x7f..=0x9f).contains(&c)
    })?;
    let from = s[..pos.0]
        .char_indices()
        .rev()
        .nth(20)
        .map_or(0, |(i, _)| i);
    let context: String = s[from..].chars().take(40).collect();
    Some(format!("U+{:04X} in {:?}", pos.1 as u32, context))
}

/// Whether `text` satisfies the manifest's needle: alternatives separated by `|`, each a
/// list of words joined by `&` that must all appear (case-insensitively).
fn needle_found(text: &str, needle: &str) -> bool {
    let text = text.to_lowercase();
    // The corpus file is always run as `reg.db`.
    let needle = needle.replace("{file}", "reg.db");
    needle
        .split('|')
        .any(|alt| alt.split('&').all(|w| text.contains(&w.to_lowercase())))
}

/// Formula-leading cells of a CSV text (OWASP's list), plain numbers aside.
fn formula_cells(csv_text: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text);
    for record in reader.records() {
        let Ok(record) = record else {
            found.push("(the CSV does not parse)".to_string());
            break;
        };
        for field in record.iter() {
            let first = field.chars().next();
            if matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r'))
                && field.parse::<f64>().is_err()
            {
                found.push(field.chars().take(40).collect());
            }
        }
    }
    found
}

/// The first problem row of verify's table (its stdout), else the first line of stderr.
fn verify_problem(stdout: &str, stderr: &[u8]) -> String {
    let row = stdout
        .lines()
        .skip_while(|l| !l.starts_with("|:"))
        .nth(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "));
    match row {
        Some(row) => row
            .chars()
            .take(200)
            .collect::<String>()
            .escape_debug()
            .to_string(),
        None => first_line(stderr),
    }
}

fn first_line(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let short: String = line.chars().take(160).collect();
    short.escape_debug().to_string()
}

/// Runs one command on a fresh copy of one file; returns the problems found.
fn check(e: &Entry, cmd: &Cmd, inputs: &Path, timeout: Duration) -> (Vec<String>, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("reg.db");
    std::fs::write(&db, &e.bytes).expect("copy the corpus file");
    let before_siblings = siblings(&db);
    let o = run_bounded(dir.path(), "run", &args(cmd, e, inputs), timeout);
    let mut problems = Vec::new();
    let mut p = |s: String| problems.push(s);

    if o.timed_out {
        p(format!("hang: killed after {} s", timeout.as_secs()));
    } else if let Some(sig) = o.signal {
        let what = match sig {
            6 => "SIGABRT: abort, e.g. an allocation over the 2 GiB bound",
            9 => "SIGKILL",
            11 => "SIGSEGV: e.g. a stack overflow",
            25 => "SIGXFSZ: wrote past the 1 GiB file bound",
            _ => "signal",
        };
        p(format!(
            "killed by signal {sig} ({what}): {}",
            first_line(&o.stderr)
        ));
    }
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    if o.code == Some(101) || stderr.contains("panicked") {
        let line = stderr
            .lines()
            .find(|l| l.contains("panicked"))
            .unwrap_or("(exit 101)");
        let next = stderr
            .lines()
            .skip_while(|l| !l.contains("panicked"))
            .nth(1)
            .unwrap_or("");
        p(format!("panic: {} {}", line.trim(), next.trim()));
    } else if let Some(code) = o.code {
        if code != 0 && code != 1 {
            p(format!("exit code {code}: {}", first_line(&o.stderr)));
        }
    }
    // `log export` writes data: exact in a pipe (as here), escaped only on a terminal
    // (tests/output_safety.rs checks that through a pseudo-terminal).
    if let Some(c) = control_char(&o.stdout).filter(|_| cmd.name != "log export") {
        p(format!("raw control character on stdout: {c}"));
    }
    if let Some(c) = control_char(&o.stderr) {
        p(format!("raw control character on stderr: {c}"));
    }
    let pulled = read_bounded(&dir.path().join("pulled.csv"));
    for (name, bytes) in [
        ("stdout", &o.stdout),
        ("stderr", &o.stderr),
        ("pulled.csv", &pulled),
    ] {
        if find(bytes, MARKER).is_some() {
            p(format!(
                "SQL from the file was evaluated: HOSTILE-MARK in {name}"
            ));
        }
    }
    for f in ["reg.db", "reg.db-wal", "copy.db", "copy.db-wal"] {
        if let Some(c) = find_canary(&read_all(&dir.path().join(f))) {
            p(format!("a trigger of the file ran: {c} in {f}"));
        }
    }
    let failed = o.code != Some(0);
    // A write that succeeded on a file that should have been refused is reported once, as
    // "opened"; that it then changed the file follows.
    if !cmd.writes || failed {
        let after = read_all(&db);
        let why = if !cmd.writes {
            "a read-only command"
        } else {
            "a failed command"
        };
        if after != e.bytes {
            p(format!(
                "{why} changed the file ({} -> {} bytes{})",
                e.bytes.len(),
                after.len(),
                header_change(&e.bytes, &after)
            ));
        }
        let now = siblings(&db);
        // A killed process cannot clean up its -wal and -shm: the kill is the problem shown.
        if now != before_siblings && !o.timed_out && o.signal.is_none() {
            p(format!("{why} left {:?} beside the file", now));
        }
    }
    if cmd.name == "copy" && failed && dir.path().join("copy.db").exists() {
        p("a failed copy left its target copy.db behind".to_string());
    }
    // What copy writes is rebuilt from verified artifacts and rows, never a forgery carried
    // over: a copy that succeeded verifies.
    if cmd.name == "copy" && o.code == Some(0) {
        let v = run_bounded(
            dir.path(),
            "verify-copy",
            &["--db", "copy.db", "verify"].map(String::from),
            timeout,
        );
        if v.code != Some(0) {
            let out = String::from_utf8_lossy(&v.stdout).into_owned();
            p(format!(
                "copy succeeded but the copy does not verify (exit {:?}): {}",
                v.code,
                verify_problem(&out, &v.stderr)
            ));
        }
    }
    match e.expected.as_str() {
        "refused" => {
            if o.code == Some(0) {
                p("opened: a refused file must be refused".to_string());
            } else if !needle_found(&format!("{stdout}\n{stderr}"), &e.needle) {
                p(format!(
                    "refusal does not name `{}`: {}",
                    e.needle,
                    first_line(&o.stderr)
                ));
            }
        }
        "reported" if cmd.name == "verify" => {
            if o.code == Some(0) {
                p(format!("verify passed: `{}` not reported", e.needle));
            } else if !needle_found(&format!("{stdout}\n{stderr}"), &e.needle) {
                p(format!(
                    "verify does not name `{}`: {}",
                    e.needle,
                    verify_problem(&stdout, &o.stderr)
                ));
            }
        }
        "clean" if failed => {
            p(format!("fails on a clean file: {}", first_line(&o.stderr)));
        }
        _ => {}
    }
    if cmd.name == "log export" && o.code == Some(0) {
        let cells = formula_cells(&o.stdout);
        if !cells.is_empty() {
            p(format!("formula-leading CSV cells: {cells:?}"));
        }
    }
    if std::env::var_os("HOSTILE_VERBOSE").is_some() {
        eprintln!(
            "{} / {}: exit {:?} in {:.2} s: {}",
            e.file,
            cmd.name,
            o.code,
            o.seconds,
            first_line(&o.stderr)
        );
    }
    (problems, o.seconds)
}

fn read_all(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// What changed in the 100-byte header (journal mode bytes 18-19, user_version 60-63).
fn header_change(before: &[u8], after: &[u8]) -> String {
    let (Some(b), Some(a)) = (before.get(..100), after.get(..100)) else {
        return String::new();
    };
    let mut what = Vec::new();
    if b[18..20] != a[18..20] {
        let mode = |x: u8| if x == 2 { "WAL" } else { "rollback journal" };
        what.push(format!("journal mode {} -> {}", mode(b[18]), mode(a[18])));
    }
    if b[60..64] != a[60..64] {
        let v = |x: &[u8]| u32::from_be_bytes([x[60], x[61], x[62], x[63]]);
        what.push(format!("user_version {} -> {}", v(b), v(a)));
    }
    if what.is_empty() {
        String::new()
    } else {
        format!("; {}", what.join(", "))
    }
}

fn corpus_dir(keep: &mut Option<tempfile::TempDir>) -> PathBuf {
    if let Some(dir) = std::env::var_os("HOSTILE_CORPUS") {
        let dir = PathBuf::from(dir);
        if dir.join("manifest.tsv").exists() {
            return dir;
        }
        build_corpus(&dir);
        return dir;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("corpus");
    build_corpus(&dir);
    *keep = Some(tmp);
    dir
}

fn build_corpus(dir: &Path) {
    let found = Command::new("sqlite3").arg("--version").output();
    assert!(
        matches!(&found, Ok(o) if o.status.success()),
        "the hostile corpus is made with the sqlite3 shell, which is not on PATH \
         (apt-get install sqlite3): {found:?}"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hostile-corpus.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(dir)
        .arg(BIN)
        .output()
        .expect("run bash scripts/hostile-corpus.sh");
    assert!(
        out.status.success(),
        "scripts/hostile-corpus.sh failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn load(dir: &Path) -> Vec<Entry> {
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("read manifest.tsv");
    manifest
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "manifest line with {} fields: {line}", f.len());
            assert!(
                ["refused", "reported", "safe", "clean"].contains(&f[2]),
                "unknown expectation in {line}"
            );
            Entry {
                file: f[0].to_string(),
                class: f[1].to_string(),
                expected: f[2].to_string(),
                needle: f[3].to_string(),
                model: f[4].to_string(),
                what: f[5].to_string(),
                bytes: std::fs::read(dir.join(f[0])).expect("read a corpus file"),
            }
        })
        .collect()
}

fn filter_list(var: &str) -> Option<Vec<String>> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

#[test]
fn hostile_files_are_refused_reported_or_safe_in_every_command() {
    let mut keep = None;
    let dir = corpus_dir(&mut keep);
    let mut entries = load(&dir);
    assert!(
        entries.len() >= 40,
        "the corpus has {} files; issue 11 asks for at least 40",
        entries.len()
    );
    if let Some(only) = filter_list("HOSTILE_ONLY") {
        entries.retain(|e| only.iter().any(|o| e.file.contains(o.as_str())));
        assert!(!entries.is_empty(), "HOSTILE_ONLY={only:?} matches no file");
    }
    let cmds: Vec<&Cmd> = match filter_list("HOSTILE_CMDS") {
        Some(only) => CMDS
            .iter()
            .filter(|c| only.iter().any(|o| c.name.contains(o.as_str())))
            .collect(),
        None => CMDS.iter().collect(),
    };
    let timeout = Duration::from_secs(
        std::env::var("HOSTILE_TIMEOUT_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30),
    );
    let threads: usize = std::env::var("HOSTILE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let inputs = dir.join("inputs");
    let jobs: Vec<(usize, usize)> = (0..entries.len())
        .flat_map(|f| (0..cmds.len()).map(move |c| (f, c)))
        .collect();
    eprintln!(
        "hostile corpus: {} files x {} commands, {} threads; bounds per command: {} s, \
         {} MiB of address space, {} MiB per written file",
        entries.len(),
        cmds.len(),
        threads,
        timeout.as_secs(),
        MEMORY_BOUND >> 20,
        FILE_BOUND >> 20
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, usize, String)>> = Mutex::new(Vec::new());
    let times: Mutex<Vec<(f64, usize, usize)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(f, c)) = jobs.get(i) else { break };
                let (problems, seconds) = check(&entries[f], cmds[c], &inputs, timeout);
                times.lock().unwrap().push((seconds, f, c));
                for problem in problems {
                    results.lock().unwrap().push((f, c, problem));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut times = times.into_inner().unwrap();
    times.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slowest: Vec<String> = times
        .iter()
        .take(5)
        .map(|(t, f, c)| format!("{} / {} {t:.1} s", entries[*f].file, cmds[*c].name))
        .collect();
    eprintln!("slowest runs: {}", slowest.join(", "));
    eprintln!(
        "largest resident set of any child process (the corpus build included): {} MiB",
        children_max_rss_mib()
    );

    // One line per (file, problem), with the commands that showed it.
    let mut table: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for (f, c, problem) in &results {
        table.entry((*f, problem.clone())).or_default().push(*c);
    }
    if table.is_empty() {
        eprintln!("all {} runs passed", jobs.len());
        return;
    }
    let mut rows: Vec<[String; 4]> = Vec::new();
    for ((f, problem), mut cs) in table {
        cs.sort();
        let e = &entries[f];
        let names: Vec<&str> = cs.iter().map(|c| cmds[*c].name).collect();
        let commands = if cs.len() == cmds.len() {
            "(every command)".to_string()
        } else {
            names.join(", ")
        };
        rows.push([
            e.file.clone(),
            format!("{}/{}", e.class, e.expected),
            commands,
            problem,
        ]);
    }
    let files_failing: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r[0].as_str()).collect();
    let mut report = String::new();
    report.push_str("| file | class/expected | commands | problem |\n|---|---|---|---|\n");
    for r in &rows {
        report.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r[0],
            r[1],
            r[2],
            r[3].replace('|', "\\|")
        ));
    }
    let whats: Vec<String> = entries
        .iter()
        .filter(|e| files_failing.contains(e.file.as_str()))
        .map(|e| format!("- {} ({}): {}", e.file, e.expected, e.what))
        .collect();
    let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-report.md");
    let _ = std::fs::write(&saved, &report);
    panic!(
        "{} problems in {} of {} runs, {} of {} files (table also in {}):\n\n{report}\n\
         The failing files:\n{}\n",
        rows.len(),
        results.len(),
        jobs.len(),
        files_failing.len(),
        entries.len(),
        saved.display(),
        whats.join("\n")
    );
}

/// The checks themselves, on known inputs (so that a broken check cannot pass silently).
#[test]
fn the_checks_detect_what_they_look_for() {
    assert_eq!(
        find_canary(b"xx canary:log_delete:0123456789ABCDEF yy").as_deref(),
        Some("canary:log_delete:0123456789ABCDEF")
    );
    assert_eq!(
        find_canary(b"VALUES ('canary:log_delete:' || hex(randomblob(8))"),
        None
    );
    assert!(control_char(b"plain\ttext\n").is_none());
    assert!(control_char(b"a\x1b[2J").unwrap().starts_with("U+001B"));
    assert!(control_char("a\u{9b}2J".as_bytes())
        .unwrap()
        .starts_with("U+009B"));
    assert!(control_char(b"a\rb").is_some());
    assert!(needle_found(
        "error: trigger HOSTILE_TRG_X found",
        "hostile_trg_x"
    ));
    assert!(needle_found("view data_1", "data_1&view|other"));
    assert!(!needle_found("table data_1", "data_1&view"));
    assert!(needle_found(
        "error: reg.db is not a SQLite database",
        "{file}"
    ));
    assert_eq!(formula_cells(b"a,b\n1,-2.5\n'=x,y\n"), Vec::<String>::new());
    assert_eq!(formula_cells(b"a,b\n=cmd,@x\n"), vec!["=cmd", "@x"]);
    let mut b = vec![0u8; 100];
    let mut a = b.clone();
    b[18] = 1;
    a[18] = 2;
    assert!(header_change(&b, &a).contains("rollback journal -> WAL"));
}
