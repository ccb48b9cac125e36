//! Models end to end through the Rust API: training, binding and versions, artifacts
//! (determinism, tampering, newer formats), predictions and their validation, the log.

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::preprocess::{ImputeStrategy, StepSpec};
use mlops_lite::pipeline::{Output, Pipeline, TrainSpec};
use mlops_lite::records::Records;
use mlops_lite::{ErrorKind, Registry};

mod common;
use common::targets::Target;

const TWO_RECORDS: &str = r#"[
  {"sepal length (cm)": 2, "petal length (cm)": 1, "petal width (cm)": 1, "sepal width (cm)": 1},
  {"reference_id": "some_external_id", "sepal length (cm)": 1, "petal length (cm)": 2,
   "petal width (cm)": 1, "sepal width (cm)": 1}
]"#;

/// A registry on `t` (a SQLite file or a PostgreSQL schema) holding iris.
fn iris_on(t: &Target) -> Registry {
    let mut reg = Registry::open(&t.db).unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    reg
}

/// An in-memory registry holding iris (for the tests that read it with SQL).
fn iris_registry() -> Registry {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    reg
}

fn log_rows(reg: &Registry) -> usize {
    reg.log(&mlops_lite::store::LogFilter::default())
        .unwrap()
        .len()
}

fn default_iris_pipeline_trains_binds_and_dedupes(t: &Target) {
    let mut reg = iris_on(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    assert_eq!(p.estimator_class, "LogisticRegression");
    assert_eq!(p.classes, ["setosa", "versicolor", "virginica"]);
    assert_eq!((p.metrics.n_train, p.metrics.n_test), (112, 38));
    assert!(p.metrics.accuracy.unwrap() > 0.85, "{:?}", p.metrics);
    // Training again gives the very same bytes.
    let again = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    assert_eq!(p.to_artifact(), again.to_artifact());

    let a = reg.bind_model(&p, "m", "").unwrap();
    assert_eq!((a.model.version, a.created), (1, true));
    assert_eq!(a.model.dataset_registry_id, 1);
    let b = reg.bind_model(&again, "m", "").unwrap();
    assert_eq!((b.model.version, b.created), (1, false));
    let other = reg
        .train_model("iris", &TrainSpec::new("target").seed(7))
        .unwrap();
    assert_ne!(other.to_artifact(), p.to_artifact());
    let c = reg.bind_model(&other, "m", "").unwrap();
    assert_eq!((c.model.version, c.created), (2, true));
    assert_eq!(reg.list_models().unwrap().len(), 2);
    assert_eq!(reg.model("m").unwrap().version, 2);
    let (entry, pulled, dataset) = reg.pull_model("m@1").unwrap();
    assert_eq!(entry.id, a.model.id);
    assert_eq!(*pulled, p);
    assert_eq!(dataset.name, "iris");
}

#[test]
fn predictions_have_the_python_shape_and_are_logged() {
    let mut reg = iris_registry();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let (_, pipeline, out) = reg.predict("m", TWO_RECORDS.as_bytes(), true).unwrap();
    let out = out.to_vec();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].reference_id, None);
    assert_eq!(out[1].reference_id.as_deref(), Some("some_external_id"));
    for o in &out {
        let Output::Classes { proba, label } = &o.output else {
            panic!()
        };
        assert!((proba.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(*label, mlops_lite::pipeline::metrics::argmax(proba));
    }
    let json = serde_json::to_value(out[1].to_json(&pipeline.classes)).unwrap();
    assert_eq!(json["reference_id"], "some_external_id");
    assert!(json["results"]["setosa"].is_f64());
    assert!(json["label"].is_string());
    // Logged: one call, two records, readable with json_extract.
    let c = reg.connection().unwrap();
    let (n, calls): (i64, i64) = c
        .query_row(
            "SELECT count(*), count(DISTINCT call_id) FROM prediction_records",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((n, calls), (2, 1));
    let (inputs, p0): (String, f64) = c
        .query_row(
            "SELECT inputs, json_extract(outputs, '$[0]') FROM prediction_records WHERE reference_id = 'some_external_id'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // Inputs in signature order (the dataset's column order), not the record's key order.
    assert_eq!(inputs, "[1.0,1.0,2.0,1.0]");
    let Output::Classes { proba, .. } = &out[1].output else {
        panic!()
    };
    assert_eq!(
        p0, proba[0],
        "the logged probability is the returned one, bit for bit"
    );
    let log = reg
        .log(&mlops_lite::store::LogFilter {
            reference_id: Some("some_external_id".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].model_name, "m");
    // Without --log nothing is written; an empty batch returns nothing and logs nothing.
    reg.predict("m", TWO_RECORDS.as_bytes(), false).unwrap();
    assert!(reg.predict("m", b"[]", true).unwrap().2.is_empty());
    assert_eq!(log_rows(&reg), 2);
}

fn record_errors_name_index_and_field_and_log_nothing(t: &Target) {
    let mut reg = iris_on(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let ok = r#"{"sepal length (cm)": 5, "sepal width (cm)": 3, "petal length (cm)": 1, "petal width (cm)": 0.2}"#;
    let cases = [
        (r#"{"sepal length (cm)": 5, "colour": "red"}"#, "records[1]: unknown field \"colour\""),
        (r#"{"sepal length (cm)": "5.1"}"#, "records[1] field \"sepal length (cm)\": expected a number or null, found the string \"5.1\""),
        (r#"{"sepal length (cm)": true}"#, "records[1] field \"sepal length (cm)\": expected a number or null, found a boolean"),
        (r#"{"sepal length (cm)": [1]}"#, "found an array"),
        (r#"{"sepal length (cm)": 1e400}"#, "records"),
        (r#"7"#, "records[1]"),
    ];
    for (bad, expect) in cases {
        let batch = format!("[{ok}, {bad}]");
        let e = reg.predict("m", batch.as_bytes(), true).unwrap_err();
        // Structured: the kind is Input, and the record is named.
        assert_eq!(e.kind(), ErrorKind::Input, "{bad}: {e}");
        assert!(e.to_string().contains(expect), "{bad}: {e}");
        assert!(
            e.to_string().starts_with("<json>: line 1, column "),
            "{bad}: {e}"
        );
    }
    let e = reg.predict("m", br#"{"a": 1}"#, true).unwrap_err();
    assert!(e.to_string().contains("an array of records"), "{e}");
    let e = reg.predict("m", b"[{", true).unwrap_err();
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    assert_eq!(log_rows(&reg), 0);
    // A missing field is null: the median imputer fills it.
    let (_, _, out) = reg
        .predict("m", br#"[{"sepal length (cm)": 5}]"#, true)
        .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(log_rows(&reg), 1);
}

fn a_null_without_imputer_is_an_error_naming_record_and_field(t: &Target) {
    let mut reg = iris_on(t);
    let cols = [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ];
    let spec =
        TrainSpec::new("target").transformer("raw", &cols, vec![StepSpec::StandardScaler {}]);
    let p = reg.train_model("iris", &spec).unwrap();
    reg.bind_model(&p, "noimpute", "").unwrap();
    let e = reg
        .predict("noimpute", br#"[{"sepal length (cm)": 5, "sepal width (cm)": 3, "petal length (cm)": 1, "petal width (cm)": 0.2}, {"sepal length (cm)": 5, "sepal width (cm)": 3, "petal length (cm)": 1}]"#, true)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "<json>: records[1] field \"petal width (cm)\": is missing (null), and the pipeline has no imputer for it"
    );
    let mlops_lite::Error::Input { location, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (location.index, location.column.as_deref()),
        (Some(1), Some("petal width (cm)"))
    );
    assert_eq!(log_rows(&reg), 0);
}

#[test]
fn tampered_truncated_and_newer_artifacts_are_refused() {
    let mut reg = iris_registry();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let artifact = p.to_artifact();
    let c = reg.connection().unwrap();
    // Flip one byte: the md5 no longer matches.
    let mut flipped = artifact.clone();
    let k = flipped.len() / 2;
    flipped[k] ^= 0x01;
    c.execute("UPDATE models SET artifact = ?1", [&flipped])
        .unwrap();
    let mut fresh = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
    let e = fresh.pull_model("m").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(
        e.to_string()
            .contains("model m@1 (id 1): its artifact no longer matches its md5"),
        "{e}"
    );
    assert!(fresh.predict("m", TWO_RECORDS.as_bytes(), true).is_err());

    // Corrupted but with a matching md5 (someone rewrote both): still no panic, clear error.
    for bad in [
        artifact[..artifact.len() / 2].to_vec(),
        b"{}".to_vec(),
        vec![0xff; 64],
    ] {
        let md5 = mlops_lite::registry::md5_hex(&bad);
        let c = reg.connection().unwrap();
        c.execute(
            "UPDATE models SET artifact = ?1, artifact_md5 = ?2",
            rusqlite::params![bad, md5],
        )
        .unwrap();
        let mut fresh = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
        let e = fresh.pull_model("m").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("the artifact"), "{e}");
    }

    // A newer artifact format is refused with both versions named.
    let text = String::from_utf8(artifact.clone()).unwrap();
    let newer = text
        .replacen("\"artifact_format\":1", "\"artifact_format\":3", 1)
        .into_bytes();
    let md5 = mlops_lite::registry::md5_hex(&newer);
    reg.connection()
        .unwrap()
        .execute(
            "UPDATE models SET artifact = ?1, artifact_md5 = ?2",
            rusqlite::params![newer, md5],
        )
        .unwrap();
    let mut fresh = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
    let e = fresh.pull_model("m").unwrap_err();
    assert!(
        e.to_string().contains("with artifact format 3; this build"),
        "{e}"
    );
    assert!(e.to_string().contains("reads formats 1-2"), "{e}");
}

#[test]
fn inconsistent_artifacts_fail_validation() {
    let reg = iris_registry();
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&p.to_artifact()).unwrap();
    // A transformer pointing at a feature that does not exist.
    v["transformers"][0]["columns"][0] = serde_json::json!(99);
    let e = Pipeline::from_artifact(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(e.to_string().contains("inconsistent"), "{e}");
    // Fewer classes than the estimator has.
    let mut v: serde_json::Value = serde_json::from_slice(&p.to_artifact()).unwrap();
    v["classes"] = serde_json::json!(["a", "b"]);
    assert!(Pipeline::from_artifact(&serde_json::to_vec(&v).unwrap()).is_err());
}

fn bad_specs_and_targets_are_clear_errors(t: &Target) {
    let mut reg = iris_on(t);
    let csv = "x,const,nulls,one,y\n1,5,,a,1.5\n2,5,,a,2.5\n3,5,,a,0.5\n4,5,,a,3.5\n5,5,,a,1.0\n6,5,,a,2.0\n7,5,,a,4.0\n8,5,,a,5.0\n";
    reg.bind_dataset_from(
        mlops_lite::dataset::import::Input::Bytes {
            bytes: csv.as_bytes(),
            label: "t.csv",
        },
        mlops_lite::dataset::import::Format::Csv,
        "t",
        "",
        &mut |_, _| {},
    )
    .unwrap();
    let err =
        |r: &Registry, ds: &str, spec: TrainSpec| r.train_model(ds, &spec).unwrap_err().to_string();
    assert!(err(&reg, "iris", TrainSpec::new("species"))
        .contains("column \"species\" is not in dataset iris@1"));
    assert!(err(&reg, "iris", TrainSpec::new("")).contains("names no target"));
    assert!(EstimatorSpec::default_for("deep_net")
        .unwrap_err()
        .to_string()
        .contains("logistic_regression"));
    let e = TrainSpec::from_json(r#"{"target": "target", "estimator": {"estimator": "deep_net"}}"#)
        .unwrap_err();
    assert!(e.to_string().contains("deep_net"), "{e}");
    let e = TrainSpec::from_json(r#"{"target": "target", "transformers": [{"name": "n", "columns": ["x"], "steps": [{"step": "pca"}]}]}"#).unwrap_err();
    assert!(e.to_string().contains("pca"), "{e}");
    let spec = TrainSpec::new("target").transformer("n", &["petal size"], vec![]);
    assert!(err(&reg, "iris", spec).contains(
        "names column \"petal size\", which is not a feature nor a column of the dataset"
    ));
    // Single-class target.
    assert!(err(&reg, "t", TrainSpec::new("one"))
        .contains("has only one class (\"a\"); a classifier needs at least two"));
    // All-null feature: the imputer cannot learn from it.
    assert!(err(&reg, "t", TrainSpec::new("y").features(["x", "nulls"]))
        .contains("column \"nulls\" has only nulls"));
    // All-null target.
    assert!(err(
        &reg,
        "t",
        TrainSpec::new("nulls")
            .features(["x"])
            .estimator(EstimatorSpec::default_for("linear_regression").unwrap())
    )
    .contains("only nulls"));
    // Constant target for a regressor.
    assert!(err(
        &reg,
        "t",
        TrainSpec::new("const")
            .features(["x"])
            .estimator(EstimatorSpec::default_for("linear_regression").unwrap())
    )
    .contains("is constant"));
    // A constant feature is fine (scaled to zero, as scikit-learn does).
    let p = reg
        .train_model(
            "t",
            &TrainSpec::new("y").features(["x", "const"]).test_size(0.0),
        )
        .unwrap();
    assert_eq!(p.estimator_type, "regressor");
    assert_eq!(
        reg.list_models().unwrap().len(),
        0,
        "training alone binds nothing"
    );
    // Classifier on a float target, regressor on strings.
    assert!(err(
        &reg,
        "t",
        TrainSpec::new("y").estimator(EstimatorSpec::default_for("logistic_regression").unwrap())
    )
    .contains("holds floats"));
    assert!(err(
        &reg,
        "iris",
        TrainSpec::new("target").estimator(EstimatorSpec::default_for("ridge").unwrap())
    )
    .contains("holds strings"));
}

fn imputer_strategies_and_encoders_train_on_mixed_data(t: &Target) {
    let mut reg = Registry::open(&t.db).unwrap();
    let csv = "age,city,score,label\n30,paris,1.5,yes\n,berlin,2.5,no\n45,paris,,yes\n22,,0.5,no\n51,rome,3.5,yes\n33,berlin,1.0,no\n40,paris,2.0,yes\n28,rome,0.2,no\n";
    reg.bind_dataset_from(
        mlops_lite::dataset::import::Input::Bytes {
            bytes: csv.as_bytes(),
            label: "m.csv",
        },
        mlops_lite::dataset::import::Format::Csv,
        "mixed",
        "",
        &mut |_, _| {},
    )
    .unwrap();
    let p = reg
        .train_model("mixed", &TrainSpec::new("label").test_size(0.0))
        .unwrap();
    assert_eq!(
        p.spec
            .as_ref()
            .unwrap()
            .transformers
            .as_ref()
            .unwrap()
            .len(),
        2,
        "num and cat groups by default"
    );
    reg.bind_model(&p, "mixed-lr", "").unwrap();
    // An unseen city encodes as zeros; a missing city is imputed.
    let (_, _, out) = reg
        .predict(
            "mixed-lr",
            br#"[{"age": 35, "city": "tokyo", "score": 1}, {"age": 35, "score": 1}]"#,
            false,
        )
        .unwrap();
    assert_eq!(out.len(), 2);
    let spec = TrainSpec::new("label")
        .transformer(
            "num",
            &["age", "score"],
            vec![
                StepSpec::SimpleImputer {
                    strategy: ImputeStrategy::Constant,
                    fill_value: Some(serde_json::json!(0)),
                },
                StepSpec::MinMaxScaler {},
            ],
        )
        .transformer(
            "cat",
            &["city"],
            vec![
                StepSpec::SimpleImputer {
                    strategy: ImputeStrategy::Constant,
                    fill_value: Some(serde_json::json!("unknown")),
                },
                StepSpec::OrdinalEncoder {},
            ],
        )
        .test_size(0.0);
    let p = reg.train_model("mixed", &spec).unwrap();
    assert_eq!(p.estimator.n_features(), 3);
    let e = reg
        .predict("mixed-lr", br#"[{"age": 35, "city": 5}]"#, false)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("records[0] field \"city\": expected a string or null"),
        "{e}"
    );
}

fn model_needs_its_training_dataset_in_the_registry(t: &Target) {
    let reg = iris_on(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    let mut other = Registry::open_in_memory().unwrap();
    let e = other.bind_model(&p, "m", "").unwrap_err();
    assert!(e.to_string().contains("training dataset iris@1"), "{e}");
    assert!(other.list_models().unwrap().is_empty());
}

fn regressors_return_values(t: &Target) {
    let mut reg = Registry::open(&t.db).unwrap();
    let (_, d) = samples::sample("diabetes").unwrap();
    reg.bind_dataset(&d, "diabetes", "").unwrap();
    let p = reg
        .train_model("diabetes", &TrainSpec::new("target"))
        .unwrap();
    assert_eq!(
        (p.estimator_class.as_str(), p.estimator_type.as_str()),
        ("LinearRegression", "regressor")
    );
    assert!(p.metrics.r2.unwrap() > 0.3, "{:?}", p.metrics);
    reg.bind_model(&p, "dia", "").unwrap();
    let (_, pipeline, out) = reg
        .predict("dia", br#"[{"age": 0.01, "reference_id": 7}]"#, true)
        .unwrap();
    let out = out.to_vec();
    let json = serde_json::to_value(out[0].to_json(&pipeline.classes)).unwrap();
    assert!(json["results"].is_f64(), "{json}");
    assert_eq!(json["reference_id"], "7");
    assert!(json.get("label").is_none());
}

fn csv_records_are_typed_by_signature_and_errors_name_the_csv_line(t: &Target) {
    let mut reg = iris_on(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    let csv =
        b"reference_id,sepal length (cm),petal length (cm)\r\n007,5.1,1.4\r\n\"x,2\",6.3,abc\r\n";
    let e = reg
        .predict("m", Records::csv(csv, "b.csv"), true)
        .unwrap_err();
    assert_eq!(e.kind(), mlops_lite::ErrorKind::Input);
    // The line is the CSV's own (CRLF lines counted right), the record its index.
    assert_eq!(
        e.to_string(),
        "b.csv: line 3, records[1] field \"petal length (cm)\": expected a number or null, found the string \"abc\""
    );
    let mlops_lite::Error::Input { location, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (location.line, location.index, location.column.as_deref()),
        (Some(3), Some(1), Some("petal length (cm)"))
    );
    assert_eq!(log_rows(&reg), 0);
    let ok = b"reference_id,sepal length (cm)\n007,5.1\n";
    let (_, _, out) = reg.predict("m", Records::csv(ok, "g.csv"), false).unwrap();
    assert_eq!(
        out.get(0).unwrap().reference_id.as_deref(),
        Some("007"),
        "a reference id of digits stays text"
    );
}

// The tests above that only use the API run on a SQLite file and on PostgreSQL.
on_both_backends!(
    default_iris_pipeline_trains_binds_and_dedupes,
    record_errors_name_index_and_field_and_log_nothing,
    a_null_without_imputer_is_an_error_naming_record_and_field,
    bad_specs_and_targets_are_clear_errors,
    imputer_strategies_and_encoders_train_on_mixed_data,
    model_needs_its_training_dataset_in_the_registry,
    regressors_return_values,
    csv_records_are_typed_by_signature_and_errors_name_the_csv_line,
);
