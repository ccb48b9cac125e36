//! What the CLI test files share: one run of the binary and its checks, the state of a
//! registry file (to prove it unchanged), timestamp normalisation. Each test file uses
//! part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod targets;

pub const BIN: &str = env!("CARGO_BIN_EXE_mlops-lite");

/// md5 of the bundled iris sample (the canonical content encoding; part of the file format).
pub const IRIS_MD5: &str = "1691b6054247506429b07bc1fa364ee3";

pub const IRIS_ADDED: &str =
    "bound iris@1 (id 1): 150 rows x 5 columns, md5 1691b6054247506429b07bc1fa364ee3, table data_1\n";

/// `model train --dataset iris --target target --name iris-lr` (the default pipeline).
pub const TRAIN_IRIS_LR: [&str; 8] = [
    "model",
    "train",
    "--dataset",
    "iris",
    "--target",
    "target",
    "--name",
    "iris-lr",
];

/// One run of the binary.
pub struct Run {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success with nothing on stderr; returns stdout.
    pub fn ok(self) -> String {
        assert!(
            self.code == Some(0) && self.stderr.is_empty(),
            "`mlops-lite {}` should succeed quietly; exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.code,
            self.stdout,
            self.stderr
        );
        self.stdout
    }

    /// Asserts a clean failure: exit code 1, nothing on stdout, one `error: ...` line on
    /// stderr and no panic. Returns stderr.
    pub fn fails(self) -> String {
        let shown = format!(
            "`mlops-lite {}`: exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args, self.code, self.stdout, self.stderr
        );
        assert_eq!(self.code, Some(1), "should exit with 1: {shown}");
        assert!(self.stdout.is_empty(), "stdout should be empty: {shown}");
        assert!(!self.stderr.contains("panicked"), "panic: {shown}");
        assert!(
            self.stderr.starts_with("error: ")
                && self.stderr.ends_with('\n')
                && self.stderr.lines().count() == 1,
            "stderr should be one `error: ...` line: {shown}"
        );
        self.stderr
    }
}

pub fn s(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_string()
}

/// `SELECT count(*) FROM table` on a registry file.
pub fn count(db: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open the registry with rusqlite");
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count rows")
}

/// The state of a registry file: its bytes (None if absent) and the names of the files next
/// to it that start with its name (`-wal`, `-shm`, `-journal` leftovers).
#[derive(PartialEq)]
pub struct DbState {
    bytes: Option<Vec<u8>>,
    siblings: Vec<String>,
}

impl std::fmt::Debug for DbState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hashed = self.bytes.as_ref().map(|b| {
            (
                b.len(),
                b.iter()
                    .fold(0u64, |h, &x| h.wrapping_mul(1_099_511_628_211) ^ x as u64),
            )
        });
        write!(f, "(len, hash) {hashed:?}, files {:?}", self.siblings)
    }
}

pub fn db_state(db: &Path) -> DbState {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let mut siblings: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&name))
        .collect();
    siblings.sort();
    DbState {
        bytes: std::fs::read(db).ok(),
        siblings,
    }
}

/// Replaces every `YYYY-MM-DD HH:MM:SS.mmm` and `YYYY-MM-DD HH:MM:SS` timestamp by that
/// literal placeholder (same width, so tables stay aligned).
pub fn norm_ts(text: &str) -> String {
    const PAT: &[u8] = b"0000-00-00 00:00:00";
    const MS: &[u8] = b".000";
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b.len() - i >= PAT.len() && matches(PAT, &b[i..i + PAT.len()]) {
            out.extend_from_slice(b"YYYY-MM-DD HH:MM:SS");
            i += PAT.len();
            if b.len() - i >= MS.len() && matches(MS, &b[i..i + MS.len()]) {
                out.extend_from_slice(b".mmm");
                i += MS.len();
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// Whether `b` has the shape of `pat`, where `0` is any digit.
pub fn matches(pat: &[u8], b: &[u8]) -> bool {
    pat.len() == b.len()
        && pat.iter().zip(b).all(|(p, c)| {
            if *p == b'0' {
                c.is_ascii_digit()
            } else {
                p == c
            }
        })
}

pub fn is_timestamp(text: &str) -> bool {
    matches(b"0000-00-00 00:00:00", text.as_bytes())
}

pub fn is_timestamp_ms(text: &str) -> bool {
    matches(b"0000-00-00 00:00:00.000", text.as_bytes())
}

/// Runs `cmd` in `dir` with `MLOPS_LITE_DB` unset and `stdin` on standard input (empty when
/// `None`); `args` is how messages show the command.
pub fn run_command(mut cmd: Command, dir: &Path, args: String, stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    cmd.current_dir(dir)
        .env_remove("MLOPS_LITE_DB")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run the mlops-lite binary");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        // The binary may refuse before reading everything; a broken pipe is fine then.
        let _ = pipe.write_all(bytes);
    }
    let out = child.wait_with_output().expect("wait for mlops-lite");
    Run {
        args,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `mlops-lite ARGS...` in `dir` (no `--db` added).
pub fn mlops(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    run_command(cmd, dir, args.join(" "), None)
}

/// A temporary directory with a registry path in it (not created until used).
pub struct Tmp {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl Tmp {
    pub fn new() -> Tmp {
        Tmp::named("reg.db")
    }

    pub fn named(db: &str) -> Tmp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join(db);
        Tmp { dir, db }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `content` to `name` in the temp dir; returns its path as text.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write input file");
        s(&p)
    }

    pub fn db(&self) -> String {
        s(&self.db)
    }

    /// Runs `mlops-lite --db DB ARGS...` in the temp dir, with `stdin` on standard input.
    pub fn run_with(&self, db: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db").arg(db).args(args);
        let shown = format!("--db {} {}", db.display(), args.join(" "));
        run_command(cmd, self.dir.path(), shown, stdin)
    }

    /// Runs `mlops-lite --db DB ARGS...` on another registry path.
    pub fn run_on(&self, db: &Path, args: &[&str]) -> Run {
        self.run_with(db, args, None)
    }

    /// Runs `mlops-lite --db <this registry> ARGS...` with `stdin`.
    pub fn run_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.run_with(&self.db, args, stdin)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(args, None)
    }

    pub fn ok(&self, args: &[&str]) -> String {
        self.run(args).ok()
    }

    pub fn fails(&self, args: &[&str]) -> String {
        self.run(args).fails()
    }

    /// A registry holding the iris sample.
    pub fn with_iris() -> Tmp {
        let t = Tmp::new();
        assert_eq!(t.ok(&["dataset", "add", "--sample", "iris"]), IRIS_ADDED);
        t
    }

    /// A registry holding the iris sample and `iris-lr` trained on it ([`TRAIN_IRIS_LR`]).
    pub fn with_iris_lr() -> Tmp {
        let t = Tmp::with_iris();
        t.ok(&TRAIN_IRIS_LR);
        t
    }
}
