//! The registry's behaviour on both backends: each test body below runs twice, on a SQLite
//! file (`sqlite::NAME`) and on a fresh schema of the PostgreSQL on 127.0.0.1:5432
//! (`postgres::NAME`), through the Rust API and the CLI. The bodies only use what both
//! backends offer, and compare against backend-independent facts (md5s, bundled samples).

mod common;

use common::targets::{snapshot, Backend, Target};
use mlops_lite::dataset::import::{Format, Input};
use mlops_lite::dataset::{samples, Column, Dataset, Values};
use mlops_lite::pipeline::{Output, TrainSpec};
use mlops_lite::store::LogFilter;
use mlops_lite::{ErrorKind, Registry};

use common::IRIS_MD5;
/// The default iris model's artifact md5 (the README's demo shows it too).
const MODEL_MD5: &str = "933bb2a0affe8b7bc2099a9dbf313930";

const TWO_RECORDS: &str = r#"[
  {"sepal length (cm)": 2, "petal length (cm)": 1, "petal width (cm)": 1, "sepal width (cm)": 1},
  {"reference_id": "ext-1", "sepal length (cm)": 7.7, "petal length (cm)": 6.1,
   "petal width (cm)": 2.3, "sepal width (cm)": 3.0}
]"#;

fn with_iris(t: &Target) -> Registry {
    let mut reg = Registry::open(&t.db).unwrap();
    assert_eq!(reg.is_postgres(), t.backend == Backend::Postgres);
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "Fisher's iris").unwrap();
    reg
}

fn datasets_bind_dedupe_version_and_pull(t: &Target) {
    let mut reg = with_iris(t);
    let (_, iris) = samples::sample("iris").unwrap();
    let again = reg.bind_dataset(&iris, "iris", "").unwrap();
    assert_eq!((again.dataset.version, again.created), (1, false));
    assert_eq!(again.dataset.md5, IRIS_MD5);
    // Other content is the next version; the same content under a new name is bound there.
    let first: Vec<Column> = iris
        .columns()
        .iter()
        .map(|c| {
            let values = match &c.values {
                Values::Float(v) => Values::Float(v[..10].to_vec()),
                Values::String(v) => Values::String(v[..10].to_vec()),
                other => panic!("iris has no {other:?}"),
            };
            Column::new(c.name.clone(), values)
        })
        .collect();
    let head = Dataset::new(first).unwrap();
    let v2 = reg.bind_dataset(&head, "iris", "first ten").unwrap();
    assert_eq!(
        (v2.dataset.version, v2.created, v2.dataset.size_rows),
        (2, true, 10)
    );
    let other = reg.bind_dataset(&iris, "flowers", "").unwrap();
    assert_eq!((other.dataset.version, other.created), (1, true));
    let list = reg.list_datasets().unwrap();
    let names: Vec<(String, i64)> = list.iter().map(|d| (d.name.clone(), d.version)).collect();
    assert_eq!(
        names,
        [
            ("iris".into(), 1),
            ("iris".into(), 2),
            ("flowers".into(), 1)
        ]
    );
    // References: latest, name@version, id.
    assert_eq!(reg.dataset("iris").unwrap().version, 2);
    assert_eq!(reg.dataset("iris@1").unwrap().md5, IRIS_MD5);
    let id = list[2].id.to_string();
    assert_eq!(reg.dataset(&id).unwrap().name, "flowers");
    let missing = reg.dataset("iris@3").unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(missing.to_string().contains("iris@3"), "{missing}");
    // Pull gives the very data back; info gives the stored column summaries.
    let (entry, pulled) = reg.pull_dataset("iris@1").unwrap();
    assert_eq!(pulled, iris);
    assert_eq!(pulled.md5(), entry.md5);
    assert_eq!(reg.info("iris@1").unwrap(), iris.column_info());
    // A second connection sees the same registry.
    drop(reg);
    let reopened = Registry::open_existing(&t.db).unwrap();
    assert_eq!(reopened.list_datasets().unwrap(), list);
}

fn csv_rebinds_fast_and_bad_files_change_nothing(t: &Target) {
    let mut reg = with_iris(t);
    let good = t.file("good.csv");
    std::fs::write(
        &good,
        "a,b,c\n1,x,true\n2,\"y, z\",false\n,\"q\"\"uote\",\n",
    )
    .unwrap();
    let bound = reg
        .bind_dataset_from(Input::Path(&good), Format::Csv, "small", "", &mut |_, _| {})
        .unwrap();
    assert!(bound.created);
    let again = reg
        .bind_dataset_from(Input::Path(&good), Format::Csv, "small", "", &mut |_, _| {})
        .unwrap();
    assert_eq!((again.created, again.dataset.id), (false, bound.dataset.id));
    let before = snapshot(&reg);
    let cases: &[(&str, &[u8], &str)] = &[
        ("ragged.csv", b"a,b\n1,2\n3\n", "line 3"),
        ("utf8.csv", b"a,b\n1,\xff\n", "UTF-8"),
        ("empty.csv", b"", "empty"),
        ("quote.csv", b"a,b\n1,\"open\n", "quote"),
    ];
    for (name, bytes, needle) in cases {
        let p = t.file(name);
        std::fs::write(&p, bytes).unwrap();
        let e = reg
            .bind_dataset_from(Input::Path(&p), Format::Csv, "small", "", &mut |_, _| {})
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Input, "{name}: {e}");
        let text = e.to_string();
        assert!(text.contains(name), "{name}: {text}");
        assert!(text.contains(needle), "{name}: {text}");
        assert_eq!(snapshot(&reg), before, "{name} changed the registry");
    }
    let e = reg
        .bind_dataset_from(
            Input::Path(&good),
            Format::Csv,
            "bad@name",
            "",
            &mut |_, _| {},
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(snapshot(&reg), before);
}

fn typed_columns_and_awkward_names_round_trip(t: &Target) {
    let mut reg = Registry::open(&t.db).unwrap();
    let long = "a very long column name that PostgreSQL would cut at sixty-three bytes: é";
    let data = Dataset::new(vec![
        Column::new(
            "int",
            Values::Integer(vec![Some(1), None, Some(-7), Some(i64::MAX)]),
        ),
        Column::new(
            "float",
            Values::Float(vec![0.1, f64::NAN, -2.5e300, 1e-310]),
        ),
        Column::new(
            "bool",
            Values::Boolean(vec![Some(true), Some(false), None, Some(true)]),
        ),
        Column::new(
            "text \"quoted\"; DROP TABLE datasets; --",
            Values::String(vec![
                Some("<script>alert(1)</script>".into()),
                None,
                Some("naïve, \"quoted\"\nnew line".into()),
                Some(String::new()),
            ]),
        ),
        Column::new(long, Values::Float(vec![1.0, 2.0, 3.0, 4.0])),
        Column::new(
            format!("{long} (second)"),
            Values::Float(vec![5.0, 6.0, 7.0, 8.0]),
        ),
        Column::new(
            "mlops_row",
            Values::Integer(vec![Some(9), Some(8), Some(7), Some(6)]),
        ),
        Column::new(
            "rowid",
            Values::Integer(vec![Some(1), Some(1), Some(1), Some(1)]),
        ),
    ])
    .unwrap();
    let name = "it's \"odd\"; <b>name</b>";
    let bound = reg.bind_dataset(&data, name, "awkward").unwrap();
    assert_eq!(bound.dataset.md5, data.md5());
    let (_, back) = reg.pull_dataset(name).unwrap();
    assert_eq!(back.md5(), data.md5());
    assert_eq!(back.columns().len(), 8);
    for (a, b) in back.columns().iter().zip(data.columns()) {
        assert_eq!(a.name, b.name);
    }
    let Values::Float(f) = &back.columns()[1].values else {
        panic!("float column")
    };
    assert_eq!(f[0].to_bits(), 0.1f64.to_bits());
    assert!(f[1].is_nan());
    assert_eq!(f[3].to_bits(), 1e-310f64.to_bits(), "subnormals survive");
    assert_eq!(reg.info(name).unwrap(), data.column_info());
}

fn models_train_bind_dedupe_predict_and_log(t: &Target) {
    let mut reg = with_iris(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    let a = reg.bind_model(&p, "m", "").unwrap();
    assert_eq!((a.model.version, a.created), (1, true));
    assert_eq!(
        a.model.artifact_md5, MODEL_MD5,
        "same artifact on every backend"
    );
    let b = reg.bind_model(&p, "m", "").unwrap();
    assert_eq!((b.model.id, b.created), (a.model.id, false));
    let other = reg
        .train_model("iris", &TrainSpec::new("target").seed(7))
        .unwrap();
    let c = reg.bind_model(&other, "m", "seed 7").unwrap();
    assert_eq!((c.model.version, c.created), (2, true));
    let info = reg.model_info("m@1").unwrap();
    assert_eq!(info.dataset.md5, IRIS_MD5);
    assert_eq!(info.versions.len(), 2);

    let (_, _, out) = reg.predict("m@1", TWO_RECORDS.as_bytes(), true).unwrap();
    assert_eq!(out.len(), 2);
    let Output::Classes { proba, label } = &out.get(1).unwrap().output else {
        panic!("classifier")
    };
    assert_eq!(*label, 2, "the second record is a virginica: {proba:?}");
    reg.predict("m", TWO_RECORDS.as_bytes(), true).unwrap();
    reg.predict("m", TWO_RECORDS.as_bytes(), false).unwrap();
    let log = reg.log(&LogFilter::default()).unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[1].reference_id.as_deref(), Some("ext-1"));
    assert_eq!(log[1].model_version, 1);
    assert_eq!(log[1].inputs, serde_json::json!([7.7, 3.0, 6.1, 2.3]));
    let logged: Vec<f64> = serde_json::from_value(log[1].outputs.clone()).unwrap();
    assert_eq!(
        &logged, proba,
        "the logged outputs are the returned ones, bit for bit"
    );
    assert!(
        common::is_timestamp_ms(&log[0].created_at),
        "{}",
        log[0].created_at
    );
    let by_ref = reg
        .log(&LogFilter {
            reference_id: Some("ext-1".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_ref.len(), 2);
    let by_model = reg
        .log(&LogFilter {
            model_id: Some(c.model.id),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((by_model.len(), by_model[0].position), (1, 1));
    // A page counted back from the newest: skip the newest record, take the one before.
    let page = reg
        .log(&LogFilter {
            model_id: Some(c.model.id),
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((page.len(), page[0].position), (1, 0));
    let future = reg
        .log(&LogFilter {
            since: Some("2999-01-01".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(future.is_empty());

    // A model whose training dataset is elsewhere is refused.
    let mut empty = Registry::open_in_memory().unwrap();
    let e = empty.bind_model(&p, "m", "").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

fn bad_records_and_specs_change_nothing(t: &Target) {
    let mut reg = with_iris(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    reg.predict("m", TWO_RECORDS.as_bytes(), true).unwrap();
    let before = snapshot(&reg);
    let bad: &[(&str, &str)] = &[
        (
            r#"[{"sepal length (cm)": 1}, {"sepal length (cm)": "abc"}]"#,
            "records[1]",
        ),
        (r#"[{"sepal length (cm)": 1}, 7]"#, "records[1]"),
        (r#"{"sepal length (cm)": 1}"#, "array"),
        (r#"[{"sepal length (cm)": 1}"#, "JSON"),
    ];
    for (records, needle) in bad {
        let e = reg.predict("m", records.as_bytes(), true).unwrap_err();
        assert!(e.to_string().contains(needle), "{records}: {e}");
        assert_eq!(snapshot(&reg), before, "{records} changed the registry");
    }
    let e = reg
        .predict("nope", TWO_RECORDS.as_bytes(), true)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = reg
        .train_model("iris", &TrainSpec::new("no such column"))
        .unwrap_err();
    assert!(e.to_string().contains("no such column"), "{e}");
    assert_eq!(snapshot(&reg), before);
}

fn verify_and_reproduce_are_clean(t: &Target) {
    let mut reg = with_iris(t);
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    reg.bind_model(&p, "m", "").unwrap();
    reg.predict("m", TWO_RECORDS.as_bytes(), true).unwrap();
    let report = reg.verify(0.0).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(
        (
            report.datasets_ok,
            report.models_ok,
            report.predictions_identical
        ),
        (1, 1, 2)
    );
    let again = reg.reproduce("m").unwrap();
    assert!(again.identical, "{:?}", again.differences);
    assert_eq!(again.reproduced_md5, MODEL_MD5);
}

fn cli(t: &Target, args: &[&str]) -> String {
    let mut all = vec!["--db", t.db.as_str()];
    all.extend_from_slice(args);
    common::mlops(t.dir(), &all).ok()
}

fn json(t: &Target, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&cli(t, &all)).unwrap()
}

fn cli_workflow_gives_the_same_answers(t: &Target) {
    let added = json(t, &["dataset", "add", "--sample", "iris"]);
    assert_eq!(added["dataset"]["md5"], IRIS_MD5);
    assert_eq!(added["created"], true);
    let list = json(t, &["dataset", "list"]);
    assert_eq!(list[0]["name"], "iris");
    let info = json(t, &["dataset", "info", "iris"]);
    assert_eq!(info[0]["column_name"], "sepal length (cm)");
    let pulled = cli(t, &["dataset", "pull", "iris"]);
    assert!(
        pulled.starts_with("sepal length (cm),sepal width (cm)"),
        "{pulled}"
    );
    assert_eq!(pulled.lines().count(), 151);
    let trained = json(
        t,
        &[
            "model",
            "train",
            "--dataset",
            "iris",
            "--target",
            "target",
            "--name",
            "m",
        ],
    );
    assert_eq!(trained["model"]["artifact_md5"], MODEL_MD5);
    let records = t.file("r.json");
    std::fs::write(&records, TWO_RECORDS).unwrap();
    let predicted = json(
        t,
        &[
            "predict",
            "--model",
            "m",
            "--log",
            records.to_str().unwrap(),
        ],
    );
    assert_eq!(predicted[1]["reference_id"], "ext-1");
    assert_eq!(predicted[1]["label"], "virginica");
    let log = json(t, &["log", "list"]);
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert_eq!(log[1]["outputs"][2], predicted[1]["results"]["virginica"]);
    let models = json(t, &["model", "list"]);
    assert_eq!(models[0]["name"], "m");
    let verify = cli(t, &["verify"]);
    assert!(verify.contains("everything reproduced"), "{verify}");
    let exported = cli(t, &["log", "export"]);
    assert!(exported.contains("ext-1"), "{exported}");
}

on_both_backends!(
    datasets_bind_dedupe_version_and_pull,
    csv_rebinds_fast_and_bad_files_change_nothing,
    typed_columns_and_awkward_names_round_trip,
    models_train_bind_dedupe_predict_and_log,
    bad_records_and_specs_change_nothing,
    verify_and_reproduce_are_clean,
    cli_workflow_gives_the_same_answers,
);
