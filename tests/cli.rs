//! End-to-end tests of the `mlops-lite` binary.
//!
//! Every test runs the real binary in its own temporary directory, always with an explicit
//! `--db <tmp>/reg.db` (except the one test of `MLOPS_LITE_DB`), and checks exact stdout (only
//! the `created_at` timestamps are normalised), the `error: ...` line on stderr, the exit
//! code, and, for every refused input, that the registry file is byte-for-byte unchanged.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

mod common;
use common::*;

const IRIS_LIST: &str = "\
|  id | name | version | size_cols | size_rows | description                                                | created_at          |
|----:|:-----|--------:|----------:|----------:|:-----------------------------------------------------------|:--------------------|
|   1 | iris |       1 |         5 |       150 | Iris plants: 4 measurements (cm) and the species, 150 rows | YYYY-MM-DD HH:MM:SS |
";

const IRIS_INFO: &str = "\
| column_name       | original_dtype | converted_dtype | null_count | unique_count | min_value_num | max_value_num |     mean |      std |
|:------------------|:---------------|:----------------|-----------:|-------------:|--------------:|--------------:|---------:|---------:|
| sepal length (cm) | float64        | Float64         |          0 |           35 |           4.3 |           7.9 | 5.843333 | 0.828066 |
| sepal width (cm)  | float64        | Float64         |          0 |           23 |             2 |           4.4 | 3.057333 | 0.435866 |
| petal length (cm) | float64        | Float64         |          0 |           43 |             1 |           6.9 |    3.758 | 1.765298 |
| petal width (cm)  | float64        | Float64         |          0 |           22 |           0.1 |           2.5 | 1.199333 | 0.762238 |
| target            | object         | string          |          0 |            3 |               |               |          |          |
";

/// The bundled iris CSV, which `dataset pull iris` must reproduce byte for byte.
fn iris_csv() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/iris.csv");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The md5 in a `dataset add` message.
fn md5_in(stdout: &str) -> String {
    let start = stdout.find("md5 ").expect("message names an md5") + 4;
    let md5 = &stdout[start..start + 32];
    assert!(
        md5.bytes().all(|b| b.is_ascii_hexdigit()),
        "md5 in {stdout:?}"
    );
    md5.to_string()
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

// ---------------------------------------------------------------------------------------
// 1. add --sample iris, list, info, and their --json variants
// ---------------------------------------------------------------------------------------

#[test]
fn iris_sample_list_and_info_tables() {
    let t = Tmp::with_iris();
    assert_eq!(norm_ts(&t.ok(&["dataset", "list"])), IRIS_LIST);
    assert_eq!(t.ok(&["dataset", "info", "iris"]), IRIS_INFO);
    assert_eq!(t.ok(&["dataset", "info", "iris@1"]), IRIS_INFO);
    assert_eq!(t.ok(&["dataset", "info", "1"]), IRIS_INFO);
}

#[test]
fn iris_sample_twice_writes_nothing() {
    let t = Tmp::with_iris();
    let before = db_state(&t.db);
    assert_eq!(
        t.ok(&["dataset", "add", "--sample", "iris"]),
        format!("iris@1 (id 1) already holds this content (md5 {IRIS_MD5}); nothing was written\n")
    );
    assert_eq!(db_state(&t.db), before);
    assert_eq!(norm_ts(&t.ok(&["dataset", "list"])), IRIS_LIST);
}

#[test]
fn iris_json_outputs() {
    let t = Tmp::new();
    let added = parse_json(&t.ok(&["--json", "dataset", "add", "--sample", "iris"]));
    assert_eq!(keys(&added), ["dataset", "created"]);
    assert_eq!(added["created"], json!(true));
    let entry = &added["dataset"];
    assert_eq!(
        keys(entry),
        [
            "id",
            "name",
            "version",
            "size_cols",
            "size_rows",
            "description",
            "created_at",
            "md5",
            "data_table"
        ]
    );
    let created_at = entry["created_at"].as_str().expect("created_at is text");
    assert!(is_timestamp(created_at), "{created_at:?}");
    let mut expected = json!({
        "id": 1,
        "name": "iris",
        "version": 1,
        "size_cols": 5,
        "size_rows": 150,
        "description": "Iris plants: 4 measurements (cm) and the species, 150 rows",
        "created_at": created_at,
        "md5": IRIS_MD5,
        "data_table": "data_1"
    });
    assert_eq!(entry, &expected);

    let again = parse_json(&t.ok(&["--json", "dataset", "add", "--sample", "iris"]));
    assert_eq!(
        again,
        json!({"dataset": expected.clone(), "created": false})
    );

    let list = parse_json(&t.ok(&["dataset", "list", "--json"]));
    assert_eq!(list, json!([expected.take()]));

    let info = parse_json(&t.ok(&["--json", "dataset", "info", "iris"]));
    let info = info.as_array().expect("info --json is an array");
    assert_eq!(info.len(), 5);
    for c in info {
        assert_eq!(
            keys(c),
            [
                "column_name",
                "original_dtype",
                "converted_dtype",
                "null_count",
                "unique_count",
                "min_value_num",
                "max_value_num",
                "mean",
                "std"
            ]
        );
    }
    let summary: Vec<(&str, &str, &str, u64, u64)> = info
        .iter()
        .map(|c| {
            (
                c["column_name"].as_str().unwrap(),
                c["original_dtype"].as_str().unwrap(),
                c["converted_dtype"].as_str().unwrap(),
                c["null_count"].as_u64().unwrap(),
                c["unique_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("sepal length (cm)", "float64", "Float64", 0, 35),
            ("sepal width (cm)", "float64", "Float64", 0, 23),
            ("petal length (cm)", "float64", "Float64", 0, 43),
            ("petal width (cm)", "float64", "Float64", 0, 22),
            ("target", "object", "string", 0, 3),
        ]
    );
    assert_eq!(info[0]["min_value_num"], json!(4.3));
    assert_eq!(info[0]["max_value_num"], json!(7.9));
    let mean = info[0]["mean"].as_f64().unwrap();
    let std = info[0]["std"].as_f64().unwrap();
    assert!((mean - 5.843333333).abs() < 1e-8, "{mean}");
    // Sample standard deviation (ddof = 1), as pandas computes it.
    assert!((std - 0.828066128).abs() < 1e-8, "{std}");
    let target = &info[4];
    for k in ["min_value_num", "max_value_num", "mean", "std"] {
        assert_eq!(target[k], Value::Null, "target {k}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. Versions and dedupe
// ---------------------------------------------------------------------------------------

#[test]
fn binding_versions_and_dedupe() {
    let t = Tmp::new();
    let v1 = "id,name,score\n1,ann,0.5\n2,bob,1.25\n3,cy,2\n";
    let f = t.write("t.csv", v1);

    let out = t.ok(&["dataset", "add", &f, "--name", "t"]);
    let md5_1 = md5_in(&out);
    assert_eq!(
        out,
        format!("bound t@1 (id 1): 3 rows x 3 columns, md5 {md5_1}, table data_1\n")
    );

    // The very same file again: nothing written, not one byte.
    let before = db_state(&t.db);
    assert_eq!(
        t.ok(&["dataset", "add", &f, "--name", "t"]),
        format!("t@1 (id 1) already holds this content (md5 {md5_1}); nothing was written\n")
    );
    assert_eq!(db_state(&t.db), before);

    // One cell edited: version 2.
    let v2 = v1.replace("bob", "bobby");
    t.write("t.csv", &v2);
    let out = t.ok(&["dataset", "add", &f, "--name", "t"]);
    assert_ne!(
        db_state(&t.db),
        before,
        "a new version must change the file"
    );
    let md5_2 = md5_in(&out);
    assert_ne!(md5_1, md5_2);
    assert_eq!(
        out,
        format!("bound t@2 (id 2): 3 rows x 3 columns, md5 {md5_2}, table data_2\n")
    );

    // The same content in other bytes (every field quoted): recognised by its md5.
    let quoted = "\"id\",\"name\",\"score\"\n\"1\",\"ann\",\"0.5\"\n\"2\",\"bobby\",\"1.25\"\n\"3\",\"cy\",\"2\"\n";
    let q = t.write("quoted.csv", quoted);
    let before = db_state(&t.db);
    assert_eq!(
        t.ok(&["dataset", "add", &q, "--name", "t"]),
        format!("t@2 (id 2) already holds this content (md5 {md5_2}); nothing was written\n")
    );
    assert_eq!(db_state(&t.db), before);

    // The same content under a new name: version 1 of that name, same md5.
    assert_eq!(
        t.ok(&["dataset", "add", &f, "--name", "u"]),
        format!("bound u@1 (id 3): 3 rows x 3 columns, md5 {md5_2}, table data_3\n")
    );

    // Version 1's content again under t: it is still version 1 (nothing written).
    let old = t.write("old.csv", v1);
    let before = db_state(&t.db);
    assert_eq!(
        t.ok(&["dataset", "add", &old, "--name", "t"]),
        format!("t@1 (id 1) already holds this content (md5 {md5_1}); nothing was written\n")
    );
    assert_eq!(db_state(&t.db), before);

    assert_eq!(
        norm_ts(&t.ok(&["dataset", "list"])),
        "\
|  id | name | version | size_cols | size_rows | description | created_at          |
|----:|:-----|--------:|----------:|----------:|:------------|:--------------------|
|   1 | t    |       1 |         3 |         3 |             | YYYY-MM-DD HH:MM:SS |
|   2 | t    |       2 |         3 |         3 |             | YYYY-MM-DD HH:MM:SS |
|   3 | u    |       1 |         3 |         3 |             | YYYY-MM-DD HH:MM:SS |
"
    );
    let list = parse_json(&t.ok(&["--json", "dataset", "list"]));
    let md5s: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["md5"].as_str().unwrap())
        .collect();
    assert_eq!(md5s, [md5_1.as_str(), &md5_2, &md5_2]);
    assert_eq!(
        t.ok(&["dataset", "pull", "t@1"]),
        v1.replace(",2\n", ",2.0\n")
    );
    assert_eq!(
        t.ok(&["dataset", "pull", "u"]),
        v2.replace(",2\n", ",2.0\n")
    );
}

// ---------------------------------------------------------------------------------------
// 3. pull
// ---------------------------------------------------------------------------------------

#[test]
fn pull_by_id_name_and_version() {
    let t = Tmp::with_iris();
    let iris = iris_csv();
    assert!(iris.starts_with(
        "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),target\n\
         5.1,3.5,1.4,0.2,setosa\n"
    ));
    assert_eq!(iris.lines().count(), 151);
    // Version 2: one cell changed.
    let edited = iris.replacen("5.1,3.5,1.4,0.2,setosa", "5.2,3.5,1.4,0.2,setosa", 1);
    assert_ne!(edited, iris);
    let f = t.write("edited.csv", &edited);
    let out = t.ok(&["dataset", "add", &f, "--name", "iris"]);
    assert!(
        out.starts_with("bound iris@2 (id 2): 150 rows x 5 columns, md5 "),
        "{out}"
    );
    assert_ne!(md5_in(&out), IRIS_MD5);

    for (reference, expected) in [
        ("1", &iris),
        ("iris@1", &iris),
        ("2", &edited),
        ("iris@2", &edited),
        ("iris", &edited),
    ] {
        assert_eq!(
            &t.ok(&["dataset", "pull", reference]),
            expected,
            "pull {reference}"
        );
    }
}

#[test]
fn pull_to_file_and_as_json() {
    let t = Tmp::with_iris();
    let iris = iris_csv();

    let out_csv = t.path("out.csv");
    assert_eq!(
        t.ok(&["dataset", "pull", "iris", "--out", &s(&out_csv)]),
        ""
    );
    assert_eq!(std::fs::read_to_string(&out_csv).unwrap(), iris);

    let json_text = t.ok(&["dataset", "pull", "iris", "--format", "json"]);
    let records = parse_json(&json_text);
    let records = records.as_array().expect("an array of records");
    assert_eq!(records.len(), 150);
    assert_eq!(
        keys(&records[0]),
        [
            "sepal length (cm)",
            "sepal width (cm)",
            "petal length (cm)",
            "petal width (cm)",
            "target"
        ]
    );
    assert_eq!(
        records[0],
        json!({"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4,
               "petal width (cm)": 0.2, "target": "setosa"})
    );
    assert_eq!(
        records[149],
        json!({"sepal length (cm)": 5.9, "sepal width (cm)": 3.0, "petal length (cm)": 5.1,
               "petal width (cm)": 1.8, "target": "virginica"})
    );

    // --out with a .json extension writes JSON; --format overrides the extension.
    let out_json = t.path("out.json");
    assert_eq!(t.ok(&["dataset", "pull", "1", "--out", &s(&out_json)]), "");
    assert_eq!(std::fs::read_to_string(&out_json).unwrap(), json_text);
    let forced = t.path("forced.json");
    t.ok(&[
        "dataset",
        "pull",
        "iris@1",
        "--out",
        &s(&forced),
        "--format",
        "csv",
    ]);
    assert_eq!(std::fs::read_to_string(&forced).unwrap(), iris);

    // What was pulled, bound again under the same name, is the same content: no new version.
    let before = db_state(&t.db);
    let same =
        format!("iris@1 (id 1) already holds this content (md5 {IRIS_MD5}); nothing was written\n");
    assert_eq!(
        t.ok(&["dataset", "add", &s(&out_csv), "--name", "iris"]),
        same
    );
    assert_eq!(
        t.ok(&["dataset", "add", &s(&out_json), "--name", "iris"]),
        same
    );
    assert_eq!(db_state(&t.db), before);
    assert_eq!(norm_ts(&t.ok(&["dataset", "list"])), IRIS_LIST);
}

// ---------------------------------------------------------------------------------------
// 4. Bad input: refused cleanly, registry unchanged
// ---------------------------------------------------------------------------------------

/// Binds `content` as `bad.csv` into a registry holding iris, expects a clean failure whose
/// message starts with `error: <path>: <located>` and contains `phrase`, and checks that the
/// registry is byte-identical afterwards.
fn assert_csv_refused(content: &[u8], located: &str, phrase: &str) {
    let t = Tmp::with_iris();
    let f = t.write("bad.csv", content);
    let before = db_state(&t.db);
    let err = t.fails(&["dataset", "add", &f, "--name", "bad"]);
    let prefix = format!("error: {f}: {located}");
    assert!(
        err.starts_with(&prefix),
        "stderr should start with {prefix:?}:\n{err}"
    );
    assert!(
        err.contains(phrase),
        "stderr should contain {phrase:?}:\n{err}"
    );
    assert_eq!(db_state(&t.db), before, "the registry changed");
    assert_eq!(norm_ts(&t.ok(&["dataset", "list"])), IRIS_LIST);
}

#[test]
fn bad_csv_ragged_row() {
    assert_csv_refused(
        b"a,b\n1,2\n3,4,5\n6,7\n",
        "line 3: ",
        "this row has 3 fields but the header has 2",
    );
}

#[test]
fn bad_csv_short_row() {
    assert_csv_refused(
        b"a,b\n1,2\n3,4\n5\n",
        "line 4: ",
        "this row has 1 field but the header has 2",
    );
}

#[test]
fn bad_csv_ragged_row_after_multiline_field() {
    // The quoted field spans lines 2-3, so the bad row is on line 4.
    assert_csv_refused(
        b"a,b\n1,\"x\ny\"\n3,4,5\n",
        "line 4: ",
        "this row has 3 fields but the header has 2",
    );
}

#[test]
fn bad_csv_invalid_utf8_in_text_column() {
    assert_csv_refused(
        b"a,name\n1,ok\n2,b\xffd\n",
        "line 3, column \"name\": ",
        "invalid UTF-8",
    );
}

#[test]
fn bad_csv_invalid_utf8_after_numbers() {
    // The column starts as integers, so the text is only checked in the second pass.
    assert_csv_refused(
        b"n,v\n1,10\n2,20\n3,x\xe9y\n",
        "line 4, column \"v\": ",
        "invalid UTF-8",
    );
}

#[test]
fn bad_csv_invalid_utf8_in_header() {
    assert_csv_refused(
        b"a,b\xff\n1,2\n",
        "line 1: ",
        "column 2 name is not valid UTF-8",
    );
}

#[test]
fn bad_csv_unterminated_quote() {
    assert_csv_refused(
        b"a,b\n1,2\n3,\"four\n5,6\n",
        "line 3: ",
        "a quoted field starting in this record is never closed",
    );
}

#[test]
fn bad_csv_unterminated_quote_at_end() {
    assert_csv_refused(b"a,b\n1,\"x\"\"y", "line 2: ", "never closed");
}

#[test]
fn bad_csv_empty_file() {
    assert_csv_refused(b"", "the file is empty", "header line");
}

#[test]
fn bad_csv_blank_lines_only() {
    assert_csv_refused(b"\n\n\n", "the file is empty", "header line");
}

#[test]
fn bad_csv_header_only() {
    assert_csv_refused(
        b"a,b,c\n",
        "line 1: there is a header but no data rows",
        "at least one row",
    );
}

#[test]
fn bad_csv_duplicate_column_names() {
    assert_csv_refused(
        b"a,b,a\n1,2,3\n",
        "line 1: columns 1 and 3 are both named \"a\"",
        "column names must be unique",
    );
}

#[test]
fn bad_csv_duplicate_column_names_differing_in_case() {
    assert_csv_refused(
        b"a,Name,NAME\n1,2,3\n",
        "line 1: columns 2 and 3 are both named \"NAME\"",
        "(\"Name\" and \"NAME\" differ only in case, which SQL ignores)",
    );
}

#[test]
fn bad_csv_empty_column_name() {
    assert_csv_refused(
        b"a,,c\n1,2,3\n",
        "line 1: column 2 has an empty name",
        "give every column a name",
    );
}

#[test]
fn bad_csv_infinite_value() {
    assert_csv_refused(
        b"a,x\n1,1.5\n2,inf\n",
        "line 3, column \"x\": ",
        "infinite value",
    );
}

#[test]
fn bad_csv_crlf_files_name_the_right_line() {
    // Same files as the LF cases above, saved with Windows line endings.
    assert_csv_refused(
        b"a,b\r\n1,2\r\n3,4\r\n5,x\xff\r\n",
        "line 4, column \"b\": ",
        "invalid UTF-8",
    );
    assert_csv_refused(
        b"a,b\r\n1,2\r\n3,4,5\r\n",
        "line 3: ",
        "this row has 3 fields",
    );
    assert_csv_refused(
        b"a,b\r\n1,2\r\n3,\"four\r\n5,6\r\n",
        "line 3: ",
        "never closed",
    );
}

#[test]
fn mixed_int_and_word_column_becomes_string_keeping_text() {
    let t = Tmp::with_iris();
    let csv = "id,val\n1,10\n2,20\n3,abc\n4,007\n5,\n";
    let f = t.write("mixed.csv", csv);
    let out = t.ok(&["dataset", "add", &f, "--name", "mixed"]);
    let md5 = md5_in(&out);
    assert_eq!(
        out,
        format!("bound mixed@1 (id 2): 5 rows x 2 columns, md5 {md5}, table data_2\n")
    );
    assert_eq!(
        t.ok(&["dataset", "info", "mixed"]),
        "\
| column_name | original_dtype | converted_dtype | null_count | unique_count | min_value_num | max_value_num | mean |      std |
|:------------|:---------------|:----------------|-----------:|-------------:|--------------:|--------------:|-----:|---------:|
| id          | int64          | Int64           |          0 |            5 |             1 |             5 |    3 | 1.581139 |
| val         | object         | string          |          1 |            4 |               |               |      |          |
"
    );
    let info = parse_json(&t.ok(&["--json", "dataset", "info", "mixed"]));
    assert_eq!(info[1]["column_name"], json!("val"));
    assert_eq!(info[1]["converted_dtype"], json!("string"));
    assert_eq!(info[1]["original_dtype"], json!("object"));
    // The original text comes back, "007" included.
    assert_eq!(t.ok(&["dataset", "pull", "mixed"]), csv);
    let records = parse_json(&t.ok(&["dataset", "pull", "mixed", "--format", "json"]));
    let vals: Vec<&Value> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["val"])
        .collect();
    assert_eq!(
        vals,
        [
            &json!("10"),
            &json!("20"),
            &json!("abc"),
            &json!("007"),
            &Value::Null
        ]
    );
    // And it is the same content when bound again from other bytes.
    let again = t.write(
        "again.csv",
        "\"id\",\"val\"\n1,\"10\"\n2,20\n3,abc\n4,007\n5,NA\n",
    );
    let before = db_state(&t.db);
    assert_eq!(
        t.ok(&["dataset", "add", &again, "--name", "mixed"]),
        format!("mixed@1 (id 2) already holds this content (md5 {md5}); nothing was written\n")
    );
    assert_eq!(db_state(&t.db), before);
}

#[test]
fn db_that_is_not_sqlite_is_refused_unchanged() {
    let t = Tmp::new();
    let text = "name,notes\nthis is a text file, not a database\n";
    let db = t.path("notes.db");
    std::fs::write(&db, text).unwrap();
    let before = db_state(&db);
    let expected = format!(
        "error: {} is not an mlops-lite registry: it is not a SQLite database",
        db.display()
    );
    for args in [
        &["dataset", "add", "--sample", "iris"][..],
        &["dataset", "list"],
        &["dataset", "info", "iris"],
        &["dataset", "pull", "iris"],
    ] {
        let err = t.run_on(&db, args).fails();
        assert!(err.starts_with(&expected), "{args:?}: {err}");
    }
    assert_eq!(db_state(&db), before);
    assert_eq!(std::fs::read_to_string(&db).unwrap(), text);
}

#[test]
fn truncated_registry_is_refused_unchanged() {
    let t = Tmp::new();
    let mut csv = String::from("i,x,label\n");
    for i in 0..5000 {
        csv.push_str(&format!("{i},{},row number {i}\n", i as f64 * 0.5));
    }
    let f = t.write("big.csv", csv);
    let out = t.ok(&["dataset", "add", &f, "--name", "big"]);
    assert!(
        out.starts_with("bound big@1 (id 1): 5000 rows x 3 columns"),
        "{out}"
    );
    t.ok(&["dataset", "add", "--sample", "iris"]);

    let full = std::fs::read(&t.db).unwrap();
    assert!(
        full.len() >= 40 * 4096,
        "the registry should span many pages: {} bytes",
        full.len()
    );
    let cut = t.path("cut.db");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let before = db_state(&cut);
    let expected = format!("error: {} is damaged: it is truncated", cut.display());
    for args in [
        &["dataset", "list"][..],
        &["dataset", "info", "big"],
        &["dataset", "pull", "big"],
        &["dataset", "pull", "iris"],
        &["dataset", "add", "--sample", "diabetes"],
        &["dataset", "add", &f, "--name", "other"],
    ] {
        let err = t.run_on(&cut, args).fails();
        assert!(err.starts_with(&expected), "{args:?}: {err}");
        assert!(err.contains("restore it from a copy"), "{args:?}: {err}");
    }
    assert_eq!(db_state(&cut), before);
}

#[test]
fn newer_format_registry_is_refused_unchanged() {
    let t = Tmp::with_iris();
    {
        let conn = rusqlite::Connection::open(&t.db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = db_state(&t.db);
    let expected = format!(
        "error: {} uses registry format 99, but this build of mlops-lite {} reads formats 1 to {}; \
         upgrade mlops-lite to open it (the file was not changed)\n",
        t.db(),
        env!("CARGO_PKG_VERSION"),
        mlops_lite::store::SCHEMA_VERSION
    );
    for args in [
        &["dataset", "list"][..],
        &["dataset", "info", "iris"],
        &["dataset", "pull", "iris"],
        &["dataset", "add", "--sample", "iris"],
        &["dataset", "add", "--sample", "diabetes"],
    ] {
        assert_eq!(t.fails(args), expected, "{args:?}");
    }
    assert_eq!(db_state(&t.db), before);
}

#[test]
fn foreign_sqlite_database_is_refused_unchanged() {
    let t = Tmp::new();
    let db = t.path("app.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO users (name) VALUES ('ann'), ('bob');
             CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);",
        )
        .unwrap();
    }
    let before = db_state(&db);
    let expected = format!(
        "error: {} is not an mlops-lite registry: it holds other tables (orders, users); \
         mlops-lite only writes into its own registry files: choose a new path\n",
        db.display()
    );
    for args in [
        &["dataset", "add", "--sample", "iris"][..],
        &["dataset", "list"],
        &["dataset", "info", "users"],
    ] {
        assert_eq!(t.run_on(&db, args).fails(), expected, "{args:?}");
    }
    assert_eq!(db_state(&db), before);
}

#[test]
fn sqlite_database_of_another_application_id_is_refused_unchanged() {
    let t = Tmp::new();
    let db = t.path("app.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "application_id", 0x1234_5678)
            .unwrap();
    }
    let before = db_state(&db);
    let err = t
        .run_on(&db, &["dataset", "add", "--sample", "iris"])
        .fails();
    assert_eq!(
        err,
        format!(
            "error: {} is not an mlops-lite registry: its application_id 0x12345678 belongs to \
             another program\n",
            db.display()
        )
    );
    assert_eq!(db_state(&db), before);
}

const NAME_QUOTES: &str = "it's \"quoted\"";
const NAME_SQL: &str = "x'); DROP TABLE datasets; --";
const NAME_HTML: &str = "<img src=x onerror=alert(1)>";

/// Column names with quotes, SQL and HTML, and values with the same.
const WEIRD_CSV: &str = "\
\"it's \"\"quoted\"\"\",x'); DROP TABLE datasets; --,<img src=x onerror=alert(1)>
1,\"O'Brien; DROP TABLE x\",<b>hi</b>
2,\"say \"\"hi\"\"\",\"a,b\"
";

#[test]
fn names_with_quotes_sql_and_html_round_trip() {
    let t = Tmp::new();
    let f = t.write("weird.csv", WEIRD_CSV);
    let mut md5 = String::new();
    for (i, name) in [NAME_QUOTES, NAME_SQL, NAME_HTML].into_iter().enumerate() {
        let out = t.ok(&["dataset", "add", &f, "--name", name, "--description", name]);
        md5 = md5_in(&out);
        let id = i + 1;
        assert_eq!(
            out,
            format!("bound {name}@1 (id {id}): 2 rows x 3 columns, md5 {md5}, table data_{id}\n")
        );
    }
    assert_eq!(
        norm_ts(&t.ok(&["dataset", "list"])),
        "\
|  id | name                         | version | size_cols | size_rows | description                  | created_at          |
|----:|:-----------------------------|--------:|----------:|----------:|:-----------------------------|:--------------------|
|   1 | it's \"quoted\"                |       1 |         3 |         2 | it's \"quoted\"                | YYYY-MM-DD HH:MM:SS |
|   2 | x'); DROP TABLE datasets; -- |       1 |         3 |         2 | x'); DROP TABLE datasets; -- | YYYY-MM-DD HH:MM:SS |
|   3 | <img src=x onerror=alert(1)> |       1 |         3 |         2 | <img src=x onerror=alert(1)> | YYYY-MM-DD HH:MM:SS |
"
    );
    let list = parse_json(&t.ok(&["--json", "dataset", "list"]));
    let names: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["description"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (NAME_QUOTES, NAME_QUOTES),
            (NAME_SQL, NAME_SQL),
            (NAME_HTML, NAME_HTML)
        ]
    );

    let info_table = "\
| column_name                  | original_dtype | converted_dtype | null_count | unique_count | min_value_num | max_value_num | mean |      std |
|:-----------------------------|:---------------|:----------------|-----------:|-------------:|--------------:|--------------:|-----:|---------:|
| it's \"quoted\"                | int64          | Int64           |          0 |            2 |             1 |             2 |  1.5 | 0.707107 |
| x'); DROP TABLE datasets; -- | object         | string          |          0 |            2 |               |               |      |          |
| <img src=x onerror=alert(1)> | object         | string          |          0 |            2 |               |               |      |          |
";
    for name in [NAME_QUOTES, NAME_SQL, NAME_HTML] {
        assert_eq!(t.ok(&["dataset", "info", name]), info_table, "info {name}");
        let at1 = format!("{name}@1");
        assert_eq!(t.ok(&["dataset", "info", &at1]), info_table, "info {at1}");
        let info = parse_json(&t.ok(&["--json", "dataset", "info", name]));
        let cols: Vec<&str> = info
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["column_name"].as_str().unwrap())
            .collect();
        assert_eq!(cols, [NAME_QUOTES, NAME_SQL, NAME_HTML]);

        // CSV: the writer quotes only where CSV needs it; the content is the same.
        let pulled = t.ok(&["dataset", "pull", name]);
        assert_eq!(
            pulled,
            "\"it's \"\"quoted\"\"\",x'); DROP TABLE datasets; --,<img src=x onerror=alert(1)>\n\
             1,O'Brien; DROP TABLE x,<b>hi</b>\n\
             2,\"say \"\"hi\"\"\",\"a,b\"\n",
            "pull {name}"
        );
        let records = parse_json(&t.ok(&["dataset", "pull", name, "--format", "json"]));
        let records = records.as_array().unwrap();
        assert_eq!(keys(&records[0]), [NAME_QUOTES, NAME_SQL, NAME_HTML]);
        assert_eq!(
            records[..],
            [
                json!({NAME_QUOTES: 1, NAME_SQL: "O'Brien; DROP TABLE x", NAME_HTML: "<b>hi</b>"}),
                json!({NAME_QUOTES: 2, NAME_SQL: "say \"hi\"", NAME_HTML: "a,b"}),
            ]
        );
        // The pulled CSV is recognised as the same content.
        let back = t.write("back.csv", &pulled);
        let before = db_state(&t.db);
        let id = t.ok(&["--json", "dataset", "list"]);
        let id = parse_json(&id)
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == json!(name))
            .unwrap()["id"]
            .clone();
        assert_eq!(
            t.ok(&["dataset", "add", &back, "--name", name]),
            format!(
                "{name}@1 (id {id}) already holds this content (md5 {md5}); nothing was written\n"
            )
        );
        assert_eq!(db_state(&t.db), before);
    }
    // Nothing was dropped: the registry table is intact and every data table is there.
    let conn = rusqlite::Connection::open(&t.db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "data_1",
            "data_2",
            "data_3",
            "dataset_columns",
            "dataset_row_hashes",
            "datasets",
            "legacy_datasets",
            "legacy_models",
            "legacy_prediction_calls",
            "legacy_prediction_records",
            "mlops_meta",
            "models",
            "prediction_calls",
            "prediction_records"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// 5. Plain SQL readers
// ---------------------------------------------------------------------------------------

/// Runs an external program; a missing program fails the test (never skips).
fn external(program: &str, install: &str, args: &[&str]) -> String {
    let out = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed; install it ({install}) to run this test, which \
             checks that registries are readable with plain SQL"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{program} {args:?} failed: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

#[test]
fn sqlite3_shell_reads_the_data_table() {
    let t = Tmp::with_iris();
    let out = external(
        "sqlite3",
        "e.g. `apt-get install sqlite3`",
        &[
            &t.db(),
            "SELECT count(*) FROM data_1; SELECT * FROM data_1 ORDER BY rowid LIMIT 1;",
        ],
    );
    assert_eq!(out, "150\n5.1|3.5|1.4|0.2|setosa\n");
    let out = external(
        "sqlite3",
        "e.g. `apt-get install sqlite3`",
        &[
            &t.db(),
            "SELECT name, version, size_rows, md5, data_table FROM datasets;",
        ],
    );
    assert_eq!(out, format!("iris|1|150|{IRIS_MD5}|data_1\n"));
}

#[test]
fn python_sqlite3_module_reads_the_data_table() {
    let t = Tmp::with_iris();
    let script = "import sqlite3, sys\n\
                  con = sqlite3.connect(sys.argv[1])\n\
                  rows = con.execute('SELECT * FROM data_1').fetchall()\n\
                  print(len(rows))\n\
                  print('|'.join(str(v) for v in rows[0]))\n\
                  print(sorted({r[4] for r in rows}))\n";
    let out = external(
        "python3",
        "e.g. `apt-get install python3`",
        &["-c", script, &t.db()],
    );
    assert_eq!(
        out,
        "150\n5.1|3.5|1.4|0.2|setosa\n['setosa', 'versicolor', 'virginica']\n"
    );
}

// ---------------------------------------------------------------------------------------
// 6. Missing datasets and missing registries
// ---------------------------------------------------------------------------------------

#[test]
fn missing_dataset_is_named_with_a_hint() {
    let t = Tmp::with_iris();
    let before = db_state(&t.db);
    for (args, reference) in [
        (&["dataset", "info", "nosuch"][..], "nosuch"),
        (&["dataset", "pull", "nosuch"], "nosuch"),
        (&["dataset", "pull", "iris@2"], "iris@2"),
        (&["dataset", "info", "42"], "42"),
    ] {
        assert_eq!(
            t.fails(args),
            format!(
                "error: dataset \"{reference}\" is not in {}; `mlops-lite dataset list` shows what is\n",
                t.db()
            ),
            "{args:?}"
        );
    }
    assert_eq!(db_state(&t.db), before);
}

#[test]
fn missing_registry_file_is_not_created() {
    let t = Tmp::new();
    let db = t.path("nope.db");
    for args in [
        &["dataset", "list"][..],
        &["dataset", "info", "iris"],
        &["dataset", "pull", "iris"],
    ] {
        let err = t.run_on(&db, args).fails();
        assert_eq!(
            err,
            format!(
                "error: {0} does not exist; bind a dataset first (`mlops-lite --db {0} dataset add \
                 --sample iris`) or check the path\n",
                db.display()
            ),
            "{args:?}"
        );
    }
    assert!(!db.exists());
    let left: Vec<_> = std::fs::read_dir(t.dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}

#[test]
fn failed_add_does_not_create_a_registry() {
    let t = Tmp::new();
    let f = t.write("ragged.csv", "a,b\n1,2\n3,4,5\n");
    let err = t.fails(&["dataset", "add", &f, "--name", "r"]);
    assert!(err.starts_with(&format!("error: {f}: line 3: ")), "{err}");
    assert!(!t.db.exists(), "{} was created", t.db.display());
}

#[test]
fn mlops_lite_db_env_var_names_the_registry() {
    let t = Tmp::new();
    let env_db = t.path("from-env.db");
    let out = Command::new(BIN)
        .args(["dataset", "add", "--sample", "iris"])
        .current_dir(t.dir.path())
        .env("MLOPS_LITE_DB", &env_db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), IRIS_ADDED);
    assert!(env_db.exists());
    assert!(
        !t.path("mlops-lite.db").exists(),
        "the default path was used despite MLOPS_LITE_DB"
    );
    // --db is the registry read; the env var names the same file here.
    assert_eq!(
        norm_ts(&t.run_on(&env_db, &["dataset", "list"]).ok()),
        IRIS_LIST
    );
    // An explicit --db wins over the env var.
    let out = Command::new(BIN)
        .arg("--db")
        .arg(&env_db)
        .args(["dataset", "list"])
        .current_dir(t.dir.path())
        .env("MLOPS_LITE_DB", t.path("elsewhere.db"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(norm_ts(&String::from_utf8_lossy(&out.stdout)), IRIS_LIST);
    assert!(!t.path("elsewhere.db").exists());
}
