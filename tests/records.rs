//! One way in for records (issue 13): JSON, CSV, columns and logged rows reach the pipeline
//! through `Records`, give the same numbers bit for bit, and bad input is an `Error::Input`
//! that names the record, the field and, where the source has them, the line and column.

use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::{samples, NULL_TOKENS};
use mlops_lite::pipeline::batch::BatchOut;
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::predict::{self, Predictions};
use mlops_lite::records::{Columns, Records};
use mlops_lite::{Error, ErrorKind, Registry};

const FEATURES: [&str; 4] = [
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
];

fn iris() -> Registry {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    reg
}

/// Deterministic iris-like values with some nulls (NaN).
fn values(n: usize) -> Vec<[f64; 4]> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            let mut row = [0.0; 4];
            for (j, v) in row.iter_mut().enumerate() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *v = if (i + j) % 11 == 3 {
                    f64::NAN
                } else {
                    (x % 7000) as f64 / 1000.0 + 0.1
                };
            }
            row
        })
        .collect()
}

fn bits(p: &Predictions) -> Vec<u64> {
    match &p.outputs {
        BatchOut::Classes { proba, labels, .. } => proba
            .iter()
            .map(|x| x.to_bits())
            .chain(labels.iter().map(|l| *l as u64))
            .collect(),
        BatchOut::Values(v) => v.iter().map(|x| x.to_bits()).collect(),
    }
}

/// A number as the log's JSON holds it: `ryu`'s form, or null for a missing value (NaN).
fn log_number(ryu: &mut ryu::Buffer, x: f64) -> String {
    if x.is_nan() {
        "null".to_string()
    } else {
        ryu.format(x).to_string()
    }
}

#[test]
fn json_csv_columns_and_logged_rows_give_the_same_bits() {
    let mut reg = iris();
    let rows = values(1000);
    let mut ryu = ryu::Buffer::new();
    let mut num = |x: f64| log_number(&mut ryu, x);
    let json = format!(
        "[{}]",
        rows.iter()
            .enumerate()
            .map(|(i, r)| format!(
                "{{\"reference_id\": \"r{i}\", {}}}",
                FEATURES
                    .iter()
                    .zip(r)
                    .map(|(f, x)| format!("{f:?}: {}", num(*x)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let csv = format!(
        "reference_id,{}\n{}",
        FEATURES.join(","),
        rows.iter()
            .enumerate()
            .map(|(i, r)| format!(
                "r{i},{}\n",
                r.iter()
                    .map(|x| if x.is_nan() {
                        "NA".to_string()
                    } else {
                        num(*x)
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            ))
            .collect::<String>()
    );
    let column = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
    let (c0, c1, c2, c3) = (column(0), column(1), column(2), column(3));
    // Columns in another order than the signature: matched by name.
    let columns = Columns::new()
        .numbers(FEATURES[3], &c3[..])
        .numbers(FEATURES[1], &c1[..])
        .numbers(FEATURES[0], &c0[..])
        .numbers(FEATURES[2], &c2[..])
        .reference_ids((0..rows.len()).map(|i| Some(format!("r{i}"))).collect());
    let from_json = reg.predict("m", json.as_bytes(), false).unwrap().2;
    let from_csv = reg
        .predict("m", Records::csv(csv.as_bytes(), "x.csv"), false)
        .unwrap()
        .2;
    let from_columns = reg.predict("m", columns, false).unwrap().2;
    assert_eq!(from_json.len(), 1000);
    assert_eq!(bits(&from_json), bits(&from_csv), "CSV");
    assert_eq!(bits(&from_json), bits(&from_columns), "columns");
    assert_eq!(from_json.reference_ids, from_columns.reference_ids);
    assert_eq!(from_json.reference_ids, from_csv.reference_ids);
    // Logged, the inputs replay to the same outputs (what verify does).
    let (_, pipeline, _) = reg.predict("m", json.as_bytes(), true).unwrap();
    let logged: Vec<String> = reg
        .log(&Default::default())
        .unwrap()
        .into_iter()
        .map(|r| r.inputs.to_string())
        .collect();
    let logged: Vec<&str> = logged.iter().map(String::as_str).collect();
    let replayed = predict::predict(&pipeline, Records::Logged(&logged)).unwrap();
    assert_eq!(bits(&replayed), bits(&from_json), "logged rows");
    // One record at a time gives the same bits as the batch.
    for i in [0, 3, 999] {
        let one = Columns::new()
            .numbers(FEATURES[0], vec![c0[i]])
            .numbers(FEATURES[1], vec![c1[i]])
            .numbers(FEATURES[2], vec![c2[i]])
            .numbers(FEATURES[3], vec![c3[i]]);
        let p = predict::predict(&pipeline, one.into()).unwrap();
        let BatchOut::Classes { proba, .. } = &from_json.outputs else {
            panic!()
        };
        let BatchOut::Classes { proba: mine, .. } = &p.outputs else {
            panic!()
        };
        let want: Vec<u64> = proba[i * 3..i * 3 + 3]
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(mine.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want);
    }
}

fn input_error(e: Error) -> (String, mlops_lite::error::Location) {
    assert_eq!(e.kind(), ErrorKind::Input, "{e}");
    let text = e.to_string();
    let Error::Input { location, .. } = e else {
        unreachable!()
    };
    (text, location)
}

#[test]
fn bad_columns_are_named_and_nothing_is_logged() {
    let mut reg = iris();
    let ok = [5.0, 6.0];
    let full = |c: Columns<'static>| {
        FEATURES
            .iter()
            .fold(c, |c, f| c.numbers(*f, vec![5.0, 6.0]))
    };
    let cases: Vec<(Columns, &str)> = vec![
        (
            Columns::new()
                .numbers(FEATURES[0], &ok[..])
                .numbers(FEATURES[1], &ok[..])
                .numbers(FEATURES[2], &ok[..]),
            "column \"petal width (cm)\": is missing: give every feature",
        ),
        (
            full(Columns::new()).numbers("colour", vec![1.0, 2.0]),
            "column \"colour\": is not a feature of the model",
        ),
        (
            full(Columns::new()).numbers(FEATURES[0], vec![1.0, 2.0]),
            "column \"sepal length (cm)\": is given twice",
        ),
        (
            Columns::new()
                .numbers(FEATURES[0], vec![1.0])
                .numbers(FEATURES[1], &ok[..])
                .numbers(FEATURES[2], &ok[..])
                .numbers(FEATURES[3], &ok[..]),
            "column \"sepal width (cm)\": has 2 values but column \"sepal length (cm)\" has 1",
        ),
        (
            Columns::new()
                .numbers(FEATURES[0], vec![1.0, f64::INFINITY])
                .numbers(FEATURES[1], &ok[..])
                .numbers(FEATURES[2], &ok[..])
                .numbers(FEATURES[3], &ok[..]),
            "records[1] field \"sepal length (cm)\": inf is not a finite number",
        ),
        (
            Columns::new()
                .strings(FEATURES[0], vec![Some("a".to_string()), None])
                .numbers(FEATURES[1], &ok[..])
                .numbers(FEATURES[2], &ok[..])
                .numbers(FEATURES[3], &ok[..]),
            "column \"sepal length (cm)\": is a column of strings, but the feature takes numbers",
        ),
        (
            full(Columns::new()).reference_ids(vec![None]),
            "column \"reference_id\": has 1 values for 2 records",
        ),
    ];
    for (columns, want) in cases {
        let (text, _) = input_error(reg.predict("m", columns, true).unwrap_err());
        assert!(text.starts_with(want), "{text}\nwanted {want}");
    }
    assert!(reg.log(&Default::default()).unwrap().is_empty());
    // NaN is null: the imputer fills it.
    let nan = Columns::new()
        .numbers(FEATURES[0], vec![f64::NAN])
        .numbers(FEATURES[1], vec![f64::NAN])
        .numbers(FEATURES[2], vec![f64::NAN])
        .numbers(FEATURES[3], vec![f64::NAN]);
    assert_eq!(reg.predict("m", nan, false).unwrap().2.len(), 1);
}

#[test]
fn boolean_and_string_features_take_their_own_columns() {
    let mut reg = Registry::open_in_memory().unwrap();
    let csv = "age,city,member,label\n30,paris,true,yes\n,berlin,false,no\n45,paris,,yes\n22,,true,no\n51,rome,false,yes\n33,berlin,true,no\n40,paris,false,yes\n28,rome,true,no\n";
    reg.bind_dataset_from(
        Input::Bytes {
            bytes: csv.as_bytes(),
            label: "m.csv",
        },
        Format::Csv,
        "mixed",
        "",
        &mut |_, _| {},
    )
    .unwrap();
    let p = reg
        .train_model("mixed", &TrainSpec::new("label").test_size(0.0))
        .unwrap();
    reg.bind_model(&p, "mixed", "").unwrap();
    let json = br#"[{"age": 35, "city": "rome", "member": true}, {"city": null, "member": false}, {"age": 20}]"#;
    let columns = Columns::new()
        .numbers("age", vec![35.0, f64::NAN, 20.0])
        .strings("city", vec![Some("rome".to_string()), None, None])
        .booleans("member", vec![Some(true), Some(false), None]);
    let a = reg.predict("mixed", &json[..], false).unwrap().2;
    let b = reg.predict("mixed", columns, false).unwrap().2;
    assert_eq!(bits(&a), bits(&b));
    // Booleans as numbers 0 and 1 (a JS typed array) are accepted; other numbers are not.
    let as_numbers = Columns::new()
        .numbers("age", vec![35.0, f64::NAN, 20.0])
        .strings("city", vec![Some("rome".to_string()), None, None])
        .numbers("member", vec![1.0, 0.0, f64::NAN]);
    assert_eq!(
        bits(&reg.predict("mixed", as_numbers, false).unwrap().2),
        bits(&a)
    );
    let two = Columns::new()
        .numbers("age", vec![35.0])
        .strings("city", vec![None])
        .numbers("member", vec![2.0]);
    let (text, loc) = input_error(reg.predict("mixed", two, false).unwrap_err());
    assert!(text.contains("2 is not a boolean"), "{text}");
    assert_eq!(
        (loc.index, loc.column.as_deref()),
        (Some(0), Some("member"))
    );
    let wrong = Columns::new()
        .numbers("age", vec![35.0])
        .numbers("city", vec![1.0])
        .booleans("member", vec![None]);
    let (text, _) = input_error(reg.predict("mixed", wrong, false).unwrap_err());
    assert!(
        text.contains("is a column of numbers, but the feature takes strings"),
        "{text}"
    );
    // In CSV, the booleans and the null tokens of a bound dataset.
    let csv = b"age,city,member\n35,rome,True\n#N/A,<NA>,0\n20,n/a,\n";
    let c = reg
        .predict("mixed", Records::csv(csv, "c.csv"), false)
        .unwrap()
        .2;
    assert_eq!(bits(&c), bits(&a));
    let (text, loc) = input_error(
        reg.predict(
            "mixed",
            Records::csv(b"age,member\n1,yes\n", "c.csv"),
            false,
        )
        .unwrap_err(),
    );
    assert_eq!(
        text,
        "c.csv: line 2, records[0] field \"member\": expected true, false or null, found the string \"yes\""
    );
    assert_eq!(loc.line, Some(2));
}

#[test]
fn one_list_of_null_tokens_for_datasets_and_predictions() {
    // Every token is null when a dataset is bound and when records are predicted.
    let mut reg = iris();
    let mut csv = format!("{}\n", FEATURES.join(","));
    for t in NULL_TOKENS {
        csv.push_str(&format!("{t},{t},{t},{t}\n"));
    }
    let p = reg
        .predict("m", Records::csv(csv.as_bytes(), "n.csv"), false)
        .unwrap()
        .2;
    assert_eq!(p.len(), NULL_TOKENS.len());
    let mut data = format!("{},target\n", FEATURES.join(","));
    for t in NULL_TOKENS {
        data.push_str(&format!("{t},{t},{t},{t},x\n"));
    }
    let d = mlops_lite::dataset::import::read(
        Input::Bytes {
            bytes: data.as_bytes(),
            label: "d.csv",
        },
        Format::Csv,
        &mut |_, _| {},
    )
    .unwrap();
    let info = d.column_info();
    assert!(
        info.iter()
            .take(4)
            .all(|c| c.null_count == NULL_TOKENS.len() as u64),
        "{info:?}"
    );
    // The documentation lists the same tokens.
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    for t in NULL_TOKENS.iter().filter(|t| !t.is_empty()) {
        assert!(
            doc.contains(&format!("`{t}`")),
            "docs/FORMAT.md lacks {t:?}"
        );
    }
}

/// A large logged call (chunks of many rows per statement, a raised page cache) stores each
/// record's text as a one-record call does: the inputs in `ryu`'s form in signature order,
/// the probabilities in `ryu`'s form, the reference id, at its position; and the
/// connection's cache size is put back.
#[test]
fn a_large_logged_call_stores_every_record_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = Registry::open(dir.path().join("r.db")).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let cache = |reg: &Registry| -> i64 {
        reg.connection()
            .unwrap()
            .query_row("PRAGMA cache_size", [], |r| r.get(0))
            .unwrap()
    };
    let cache_before = cache(&reg);
    // Past the large-call threshold, not a whole number of chunks; values in every form.
    let n = 8_192 + 64 * 3 + 5;
    let special = [1e16, 2.5e-7, -0.0, 1.0, 123_456_789.125, 1e-5, 7.0];
    let mut rows = values(n);
    for (i, row) in rows.iter_mut().enumerate().step_by(97) {
        row[i % 4] = special[i % special.len()];
    }
    let column = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
    let ids: Vec<Option<String>> = (0..n)
        .map(|i| (i % 5 != 0).then(|| format!("id \"{i}\"\n")))
        .collect();
    let columns = FEATURES
        .iter()
        .enumerate()
        .fold(Columns::new(), |c, (j, f)| c.numbers(*f, column(j)))
        .reference_ids(ids.clone());
    let out = reg.predict("m", columns, true).unwrap().2;
    assert_eq!(cache(&reg), cache_before, "cache size put back");
    let BatchOut::Classes { proba, .. } = &out.outputs else {
        panic!()
    };
    let mut ryu = ryu::Buffer::new();
    let mut num = |x: f64| log_number(&mut ryu, x);
    let want: Vec<(i64, Option<String>, String, String)> = (0..n)
        .map(|i| {
            let inputs = rows[i].iter().map(|x| num(*x)).collect::<Vec<_>>();
            let outputs = proba[i * 3..i * 3 + 3]
                .iter()
                .map(|x| num(*x))
                .collect::<Vec<_>>();
            (
                i as i64,
                ids[i].clone(),
                format!("[{}]", inputs.join(",")),
                format!("[{}]", outputs.join(",")),
            )
        })
        .collect();
    assert!(want.iter().any(|w| w.2.contains("1e16")));
    assert!(want.iter().any(|w| w.2.contains("2.5e-7")));
    let conn = reg.connection().unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT position, reference_id, inputs, outputs FROM prediction_records \
             WHERE call_id = (SELECT max(id) FROM prediction_calls) ORDER BY position",
        )
        .unwrap();
    let got: Vec<(i64, Option<String>, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.len(), n);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    let n_records: i64 = conn
        .query_row(
            "SELECT n_records FROM prediction_calls WHERE id = (SELECT max(id) FROM prediction_calls)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n_records, n as i64);
}
