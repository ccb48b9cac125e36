//! Input costs are bounded before they are paid, and input that would be silently
//! misread is refused (issue 11, deliverables 4 and 5): column and cell limits checked while
//! a JSON or CSV dataset is read, duplicate JSON keys (datasets and prediction records),
//! pandas column objects whose row labels differ, control characters in new column names.
//! Each refusal names the record / line / column and says what to do, and leaves the
//! registry unchanged.

mod common;

use std::path::Path;

use mlops_lite::dataset::import::{self, Format, Input};
use mlops_lite::dataset::{samples, Values, MAX_COLUMNS};
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::predict;
use mlops_lite::records::Records;
use mlops_lite::Registry;

fn read(text: &[u8], format: Format) -> mlops_lite::Result<mlops_lite::dataset::Dataset> {
    let label = match format {
        Format::Csv => "t.csv",
        Format::Json => "t.json",
    };
    import::read(Input::Bytes { bytes: text, label }, format, &mut |_, _| {})
}

fn json_err(text: &str) -> String {
    read(text.as_bytes(), Format::Json)
        .expect_err("should be refused")
        .to_string()
}

fn csv_err(text: &str) -> String {
    read(text.as_bytes(), Format::Csv)
        .expect_err("should be refused")
        .to_string()
}

/// `n` keys `k0`..: one JSON object's members.
fn keys(n: usize) -> String {
    (0..n)
        .map(|i| format!("\"k{i}\":1"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The case of the issue: 20,000 records, each with its own key (249 KB). It needed more
/// than 3 GB before the column limit was checked; now reading stops at the cell bound.
fn wide_records() -> String {
    let records: Vec<String> = (0..20_000).map(|i| format!("{{\"k{i}\":1}}")).collect();
    format!("[{}]", records.join(","))
}

#[test]
fn distinct_keys_stop_reading_at_the_cell_bound() {
    let text = wide_records();
    assert!(text.len() > 240_000 && text.len() < 250_000);
    let e = json_err(&text);
    let max = import::max_json_cells(text.len() as u64);
    // n records with n columns: the first n with n*n > max.
    let n = (1..).find(|n: &u64| n * n > max).unwrap();
    assert_eq!(
        e,
        format!(
            "t.json: record {n}: {n} records × {n} columns make {} cells (keys a record leaves \
             out are nulls), more than the {max} a JSON file of this size may make: write the \
             missing values as null, or split the data",
            n * n
        )
    );
}

#[test]
fn the_column_limit_is_checked_while_reading_json() {
    // One record with one key too many, then text that is not even JSON: the limit is met
    // before the rest is read.
    let e = json_err(&format!("[{{{}}}, this is not JSON", keys(MAX_COLUMNS + 1)));
    assert_eq!(
        e,
        format!(
            "t.json: record 1, column \"k{MAX_COLUMNS}\": this key would be column {}; \
             mlops-lite stores at most {MAX_COLUMNS} columns (distinct keys over all records): \
             drop or merge columns",
            MAX_COLUMNS + 1
        )
    );
    // Keys spread over records count together.
    let spread: Vec<String> = (0..=MAX_COLUMNS)
        .collect::<Vec<_>>()
        .chunks(20)
        .map(|ks| {
            let members: Vec<String> = ks.iter().map(|i| format!("\"k{i}\":1")).collect();
            format!("{{{}}}", members.join(","))
        })
        .collect();
    let e = json_err(&format!("[{}", spread.join(",")));
    assert!(
        e.starts_with(&format!(
            "t.json: record {}, column \"k{MAX_COLUMNS}\": this key would be column",
            MAX_COLUMNS / 20 + 1
        )),
        "{e}"
    );
    // An object of columns: the same limit, named by column.
    let cols: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("\"c{i}\":[1]")).collect();
    let e = json_err(&format!("{{{}, garbage", cols.join(",")));
    assert!(
        e.starts_with(&format!(
            "t.json: column \"c{MAX_COLUMNS}\": this key would be column {}",
            MAX_COLUMNS + 1
        )),
        "{e}"
    );
    // At the limit, the data is read.
    let d = read(
        format!("[{{{}}}]", keys(MAX_COLUMNS)).as_bytes(),
        Format::Json,
    )
    .unwrap();
    assert_eq!(d.columns().len(), MAX_COLUMNS);
}

#[test]
fn missing_keys_are_nulls_within_the_cell_bound() {
    // Many empty records after a wide one: each `{}` is 3 bytes but MAX_COLUMNS cells.
    let head = format!("[{{{}}}", keys(MAX_COLUMNS));
    let empties = ",{}".repeat(5_000);
    let text = format!("{head}{empties}, not JSON");
    let e = json_err(&text);
    assert!(
        e.contains(&format!("records × {MAX_COLUMNS} columns make")),
        "{e}"
    );
    assert!(e.contains("write the missing values as null"), "{e}");
    // Sparse records well within the bound are fine, and missing keys are nulls.
    let d = read(br#"[{"a": 1}, {"b": "x"}, {}]"#, Format::Json).unwrap();
    assert_eq!(d.rows(), 3);
    assert_eq!(
        d.columns()[0].values,
        Values::Integer(vec![Some(1), None, None])
    );
    assert_eq!(
        d.columns()[1].values,
        Values::String(vec![None, Some("x".into()), None])
    );
}

#[test]
fn the_column_limit_is_checked_on_the_csv_header() {
    let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
    let e = csv_err(&format!("{}\n", header.join(",")));
    assert_eq!(
        e,
        format!(
            "t.csv: line 1: the header has {} columns; mlops-lite stores at most {MAX_COLUMNS}: \
             drop or merge columns",
            MAX_COLUMNS + 1
        )
    );
}

#[test]
fn duplicate_keys_in_a_json_record_are_refused() {
    let e = json_err(r#"[{"a": 1, "b": 2}, {"b": 3, "a": 4, "b": 5}]"#);
    assert_eq!(
        e,
        "t.json: record 2, column \"b\": this key appears twice in the record; each field may \
         appear once in a record: remove one of them"
    );
    // Even when both values are equal, and when the key is new in that record.
    let e = json_err(r#"[{"a": 1}, {"c": 1, "c": 1}]"#);
    assert!(
        e.starts_with("t.json: record 2, column \"c\": this key appears twice"),
        "{e}"
    );
    // An escaped spelling of the same key is the same key.
    let e = json_err(r#"[{"a": 1, "\u0061": 2}]"#);
    assert!(
        e.starts_with("t.json: record 1, column \"a\": this key appears twice"),
        "{e}"
    );
}

#[test]
fn duplicate_columns_and_row_labels_in_json_objects_are_refused() {
    let e = json_err(r#"{"a": [1, 2], "b": [3, 4], "a": [5, 6]}"#);
    assert_eq!(
        e,
        "t.json: column \"a\": this key appears twice in the object of columns (column 1); \
         each column may appear once: remove or rename one"
    );
    let e = json_err(r#"{"a": {"0": 1, "1": 2, "0": 3}}"#);
    assert_eq!(
        e,
        "t.json: column \"a\": row 0 appears twice in this column's object; each row label may \
         appear once: remove one"
    );
    // "01" and "1" are the same row.
    let e = json_err(r#"{"a": {"01": 1, "1": 2}}"#);
    assert!(e.contains("row 1 appears twice"), "{e}");
}

#[test]
fn column_objects_with_different_row_labels_are_refused() {
    // pandas would align these by label (a: rows 0,1; b: rows 0,2), making nulls; they are
    // refused instead, naming a row one column has and the other lacks.
    let e = json_err(r#"{"a": {"0": 1, "1": 2}, "b": {"0": 3, "2": 4}}"#);
    assert_eq!(
        e,
        "t.json: column \"b\": its row labels differ from column \"a\"'s: column \"a\" has row 1 \
         and column \"b\" does not; every column must have the same rows (write missing values \
         as null; mlops-lite does not align columns by label)"
    );
    let e = json_err(r#"{"a": [1, 2], "b": {"0": 3, "5": 4}}"#);
    assert!(
        e.contains("column \"a\" has row 1 and column \"b\" does not"),
        "{e}"
    );
    // Same labels in any order, or an array beside labels 0..n: rows match by label.
    let by_label = read(
        br#"{"a": {"1": 2, "0": 1}, "b": {"0": "x", "1": "y"}, "c": [true, false]}"#,
        Format::Json,
    )
    .unwrap();
    let records = read(
        br#"[{"a": 1, "b": "x", "c": true}, {"a": 2, "b": "y", "c": false}]"#,
        Format::Json,
    )
    .unwrap();
    assert_eq!(by_label, records);
    // Labels need not start at 0 or be contiguous (a filtered frame), if all columns agree.
    let sparse = read(
        br#"{"a": {"7": 1, "30": 2}, "b": {"30": "y", "7": "x"}}"#,
        Format::Json,
    );
    assert_eq!(
        sparse.unwrap().columns()[1].values,
        Values::String(vec![Some("x".into()), Some("y".into())])
    );
}

#[test]
fn control_characters_in_new_column_names_are_refused() {
    // ESC (a terminal escape), DEL, a C1 control (U+009B, CSI), a tab, a quoted newline.
    for (name, code) in [
        ("a\u{1b}]0;title\u{7}", "U+001B"),
        ("a\u{7f}", "U+007F"),
        ("a\u{9b}31m", "U+009B"),
        ("a\tb", "U+0009"),
        ("a\nb", "U+000A"),
    ] {
        let escaped = format!("{name:?}");
        let csv = format!("x,\"{name}\"\n1,2\n");
        let e = csv_err(&csv);
        assert_eq!(
            e,
            format!(
                "t.csv: line 1, column {escaped}: column 2 name contains the control character \
                 {code}; control characters are not allowed in column names (they act on \
                 terminals): rename the column"
            )
        );
        let key = serde_json::to_string(name).unwrap();
        let e = json_err(&format!("[{{\"x\": 1}}, {{\"x\": 2, {key}: 3}}]"));
        assert_eq!(
            e,
            format!(
                "t.json: record 2, column {escaped}: column 2 name contains the control \
                 character {code}; control characters are not allowed in column names (they \
                 act on terminals): rename the column"
            )
        );
        let e = json_err(&format!("{{\"x\": [1], {key}: [3]}}"));
        assert!(
            e.starts_with(&format!("t.json: column {escaped}: column 2 name contains")),
            "{e}"
        );
    }
    // The message itself carries no raw control character.
    let e = csv_err("\"\u{1b}[2J\"\n1\n");
    assert!(!e.chars().any(char::is_control), "{e:?}");
    // Printable Unicode is fine.
    let d = read("é,名前,x y\n1,2,3\n".as_bytes(), Format::Csv).unwrap();
    assert_eq!(d.columns()[1].name, "名前");
}

#[test]
fn names_refuse_c1_controls_too() {
    for bad in ["a\u{9b}b", "a\u{85}b", "a\u{1b}b", "a\u{7f}b"] {
        let e = mlops_lite::registry::check_name(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("contains a control character"), "{bad:?}: {e}");
        assert!(!e.chars().any(char::is_control), "{e:?}");
    }
}

fn iris_pipeline() -> Pipeline {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    reg.train_model("iris", &TrainSpec::new("target")).unwrap()
}

#[test]
fn prediction_records_with_a_field_twice_are_refused() {
    let p = iris_pipeline();
    let json = |bytes: &[u8]| Records::from(bytes).into_batch(&p).map(|_| ());
    let e = json(
        br#"[{"reference_id": "a", "sepal length (cm)": 5}, {"reference_id": "b", "reference_id": "c"}]"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with(
            "<json>: line 1, column 84, records[1]: field \"reference_id\" appears twice; a record \
             may name each field once: remove one"
        ),
        "{e}"
    );
    let e = json(br#"[{"petal width (cm)": 1, "petal width (cm)": 1}]"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "<json>: line 1, column 43, records[0]: field \"petal width (cm)\" appears twice; a \
             record may name"
        ),
        "{e}"
    );
    // A null reference_id given twice is still twice.
    assert!(json(br#"[{"reference_id": null, "reference_id": "x"}]"#).is_err());
}

#[test]
fn csv_prediction_headers_are_checked_before_the_rows() {
    let p = iris_pipeline();
    let csv = |bytes: &'static [u8]| Records::csv(bytes, "r.csv").into_batch(&p);
    let e = csv(b"reference_id,sepal length (cm),reference_id\nx,5,y\n")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "r.csv: line 1: columns 1 and 3 are both named \"reference_id\"; each field may appear \
         once: remove one"
    );
    let e = csv(b"sepal length (cm),colour\n5,red\n")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "r.csv: line 1: column 2 \"colour\" is not a feature of the model; the model's \
             features are \"sepal length (cm)\""
        ),
        "{e}"
    );
    assert!(
        e.ends_with("(and reference_id): remove or rename the column"),
        "{e}"
    );
    // Null cells (empty, and the null tokens of a bound dataset) are null; columns left
    // out are null.
    let b = csv(b"reference_id,sepal length (cm),petal length (cm)\n,5,\nq,NA,1\nr,#N/A,<NA>\n")
        .unwrap();
    let mut row = String::new();
    let rows: Vec<(Option<&str>, String)> = (0..b.len())
        .map(|i| {
            b.inputs_json(i, &mut row);
            (b.reference_id(i), row.clone())
        })
        .collect();
    assert_eq!(
        rows,
        [
            (None, "[5.0,null,null,null]".to_string()),
            (Some("q"), "[null,null,1.0,null]".to_string()),
            (Some("r"), "[null,null,null,null]".to_string()),
        ]
    );
}

/// A registry file with iris bound, and its bytes.
fn registry_with_iris(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let db = dir.join("reg.db");
    let mut reg = Registry::open(&db).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    drop(reg);
    let bytes = std::fs::read(&db).unwrap();
    (db, bytes)
}

#[test]
fn refused_datasets_leave_the_registry_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = registry_with_iris(dir.path());
    let wide = wide_records();
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "dup.json",
            br#"[{"a": 1, "a": 2}]"#,
            "record 1, column \"a\": this key appears twice",
        ),
        (
            "labels.json",
            br#"{"a": {"0": 1}, "b": {"1": 2}}"#,
            "its row labels differ",
        ),
        (
            "esc.csv",
            b"\"a\x1b[2J\",b\n1,2\n",
            "control character U+001B",
        ),
        (
            "wide.json",
            wide.as_bytes(),
            "cells (keys a record leaves out are nulls)",
        ),
        (
            "c1.json",
            "[{\"a\u{9b}\": 1}]".as_bytes(),
            "control character U+009B",
        ),
    ];
    for (file, content, expected) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, content).unwrap();
        let mut reg = Registry::open(&db).unwrap();
        let format = Format::from_path(&path).unwrap();
        let e = reg
            .bind_dataset_from(Input::Path(&path), format, "bad", "", &mut |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(&format!("{}: ", path.display())), "{e}");
        assert!(e.contains(expected), "{file}: {e}");
        drop(reg);
        assert_eq!(
            std::fs::read(&db).unwrap(),
            before,
            "{file} changed the registry"
        );
    }
}

/// The issue's 249 KB file through the CLI with its address space limited to 512 MB: before,
/// reading it needed more than 3 GB (the process aborted on an allocation); now it is a
/// one-line error and the registry is unchanged.
#[test]
fn the_wide_json_file_is_refused_within_a_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = registry_with_iris(dir.path());
    let file = dir.path().join("wide.json");
    std::fs::write(&file, wide_records()).unwrap();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 524288 && exec \"$0\" \"$@\"")
        .arg(common::BIN)
        .args([
            "--db",
            &common::s(&db),
            "dataset",
            "add",
            &common::s(&file),
            "--name",
            "wide",
        ]);
    let run = common::run_command(cmd, dir.path(), "dataset add wide.json".into(), None);
    let err = run.fails();
    assert!(err.contains("wide.json: record "), "{err}");
    assert!(
        err.contains("write the missing values as null, or split the data"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn datasets_built_through_the_api_refuse_control_characters_at_bind_time() {
    use mlops_lite::dataset::{Column, Dataset};
    let data = Dataset::new(vec![
        Column::new("ok", Values::Integer(vec![Some(1)])),
        Column::new("bad\u{1b}[2J", Values::Integer(vec![Some(2)])),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, before) = registry_with_iris(dir.path());
    let mut reg = Registry::open(&db).unwrap();
    let e = reg.bind_dataset(&data, "bad", "").unwrap_err().to_string();
    assert_eq!(
        e,
        "<data>: column \"bad\\u{1b}[2J\": column 2 name contains the control character U+001B; \
         control characters are not allowed in column names (they act on terminals): rename \
         the column"
    );
    drop(reg);
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn the_cli_refuses_a_reference_id_twice_and_logs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = registry_with_iris(dir.path());
    let mut reg = Registry::open(&db).unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    drop(reg);
    let before = std::fs::read(&db).unwrap();
    let json = dir.path().join("r.json");
    std::fs::write(
        &json,
        r#"[{"reference_id": "a", "sepal length (cm)": 5}, {"reference_id": "b", "petal width (cm)": 1, "reference_id": "c"}]"#,
    )
    .unwrap();
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, "reference_id,sepal length (cm),reference_id\na,5,b\n").unwrap();
    let db_arg = common::s(&db);
    let run = common::mlops(
        dir.path(),
        &[
            "--db",
            &db_arg,
            "predict",
            "--model",
            "m",
            &common::s(&json),
            "--log",
        ],
    );
    let err = run.fails();
    assert!(
        err.contains("records[1]: field \"reference_id\" appears twice; a record may name each field once: remove one"),
        "{err}"
    );
    let run = common::mlops(
        dir.path(),
        &[
            "--db",
            &db_arg,
            "predict",
            "--model",
            "m",
            &common::s(&csv),
            "--log",
        ],
    );
    let err = run.fails();
    assert!(
        err.contains("r.csv: line 1: columns 1 and 3 are both named \"reference_id\""),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing logged");
}

/// Issue 11: a record that leaves every feature out (`{}`) costs one cell per feature, so a
/// short input could ask for a huge batch of a wide model; the batch's cells are bounded by
/// the input's size while it is read (predict::BATCH_CELLS_BASE + BATCH_CELLS_PER_BYTE).
#[test]
fn empty_records_of_a_wide_model_cannot_ask_for_unbounded_cells() {
    use mlops_lite::dataset::{Column, Dataset};
    let width = 500;
    let mut columns: Vec<Column> = (0..width)
        .map(|i| {
            Column::new(
                format!("f{i}"),
                Values::Float(vec![i as f64, 1.0, 2.0, 3.0]),
            )
        })
        .collect();
    columns.push(Column::new(
        "target",
        Values::String(
            ["a", "b", "a", "b"]
                .iter()
                .map(|s| Some(s.to_string()))
                .collect(),
        ),
    ));
    let mut reg = Registry::open_in_memory().unwrap();
    reg.bind_dataset(&Dataset::new(columns).unwrap(), "wide", "")
        .unwrap();
    let mut spec = TrainSpec::new("target");
    spec.test_size = 0.0;
    let p = reg.train_model("wide", &spec).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    // Within the bound: 100 empty records (50,000 cells) predict.
    let few = format!("[{}]", vec!["{}"; 100].join(","));
    assert_eq!(
        reg.predict("m", few.as_bytes(), false).unwrap().2.len(),
        100
    );
    // 3,000 empty records: 1,500,000 cells from 9 KB of input.
    let many = format!("[{}]", vec!["{}"; 3000].join(","));
    let Err(e) = reg.predict("m", many.as_bytes(), true) else {
        panic!("3,000 empty records of 500 features were accepted");
    };
    let cap = predict::BATCH_CELLS_BASE + predict::BATCH_CELLS_PER_BYTE * many.len();
    let first = cap / width;
    assert!(
        e.to_string().contains(&format!(
            "records[{first}]: {} records of {width} features make more than {cap} cells",
            first + 1
        )) && e
            .to_string()
            .contains("send the records in smaller batches"),
        "{e}"
    );
    assert!(
        reg.log(&Default::default()).unwrap().is_empty(),
        "a refused batch logged"
    );
}
