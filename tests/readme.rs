//! The README's `console` examples are tests: each `$ ` line runs (through `bash -o
//! pipefail`, with the built `mlops-lite` first on PATH) in one fresh directory, and its
//! output (stdout and stderr) must equal the lines that follow it, timestamps aside. Its exit
//! status must be what the output says: 1 when the output ends with an `error: ` line (as
//! the CLI prints for every failure), 0 otherwise (every command of a pipe included).

use std::path::Path;
use std::process::Command;

/// Replaces `YYYY-MM-DD HH:MM:SS[.mmm]` timestamps by a fixed text of the same width.
fn normalize(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let shape = b"dddd-dd-dd dd:dd:dd";
    while i < b.len() {
        let matches = b.len() - i >= shape.len()
            && shape.iter().zip(&b[i..]).all(|(s, c)| {
                if *s == b'd' {
                    c.is_ascii_digit()
                } else {
                    s == c
                }
            });
        if matches {
            out.push_str("<timestamp>        ");
            i += shape.len();
            // Milliseconds, as the prediction log shows them.
            let ms =
                b.len() - i >= 4 && b[i] == b'.' && b[i + 1..i + 4].iter().all(u8::is_ascii_digit);
            if ms {
                out.push_str("    ");
                i += 4;
            }
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// (command, expected output) pairs of every ```console block.
fn examples(readme: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.starts_with("```console") {
            in_block = true;
        } else if line.starts_with("```") {
            in_block = false;
        } else if in_block {
            if let Some(cmd) = line.strip_prefix("$ ") {
                out.push((cmd.to_string(), String::new()));
            } else if let Some(last) = out.last_mut() {
                last.1.push_str(line);
                last.1.push('\n');
            }
        }
    }
    out
}

/// The exit status an example's shown output implies: the CLI reports every failure as a
/// last line `error: ...` and exits 1; everything else exits 0.
fn expected_status(output: &str) -> i32 {
    match output.lines().last() {
        Some(line) if line.starts_with("error: ") => 1,
        _ => 0,
    }
}

#[test]
fn readme_console_examples_produce_the_shown_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let examples = examples(&readme);
    assert!(examples.len() >= 10, "the README lost its CLI example");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mlops-lite"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = tempfile::tempdir().unwrap();
    // The PostgreSQL example works in schema `readme` of the test server: start afresh.
    let drop_readme_schema = || {
        let base = std::env::var("MLOPS_LITE_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {base} ({e}); the README's PostgreSQL example needs it: start it (`sudo service postgresql start`)")
        });
        admin
            .batch_execute("DROP SCHEMA IF EXISTS readme CASCADE")
            .unwrap();
    };
    drop_readme_schema();
    for (cmd, expected) in examples {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("set -o pipefail\n{{ {cmd}\n}} 2>&1"))
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("MLOPS_LITE_DB")
            // `mlops-lite serve` finds the page in the repository.
            .env("MLOPS_LITE_DIR", root)
            .output()
            .expect("sh runs");
        let got = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            normalize(&got),
            normalize(&expected),
            "README example `$ {cmd}`"
        );
        assert_eq!(
            out.status.code(),
            Some(expected_status(&expected)),
            "README example `$ {cmd}`: exit status (its output: {got})"
        );
    }
    drop_readme_schema();
}

#[test]
fn readme_training_spec_trains_iris() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("```json\n").expect("the README's spec example") + "```json\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let spec = mlops_lite::pipeline::TrainSpec::from_json(&readme[start..end]).unwrap();
    let mut reg = mlops_lite::Registry::open_in_memory().unwrap();
    let (_, iris) = mlops_lite::dataset::samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &spec).unwrap();
    // It spells out the default spec, so it trains the very same model as the CLI example.
    let default = reg
        .train_model("iris", &mlops_lite::pipeline::TrainSpec::new("target"))
        .unwrap();
    assert_eq!(p.to_artifact(), default.to_artifact());
}
