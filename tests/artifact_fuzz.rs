//! Hostile artifacts: structural mutations of real artifacts (numbers replaced by extreme
//! values, array elements dropped or duplicated, bytes flipped, truncation) must either be
//! refused by `Pipeline::from_artifact` or load into a pipeline that predicts without
//! panicking. This is what "loading a file we did not write never panics" rests on.

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::preprocess::{ImputeStrategy, RowInput, Scratch, StepSpec};
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::Registry;
use proptest::prelude::*;
use serde_json::{json, Value};

fn artifacts() -> Vec<Vec<u8>> {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let mut mixed = Registry::open_in_memory().unwrap();
    let csv = "n,c,y\n1,a,p\n2,b,q\n3,a,p\n,b,q\n5,,p\n6,c,q\n7,a,p\n8,b,q\n";
    mixed
        .bind_dataset_from(
            mlops_lite::dataset::import::Input::Bytes {
                bytes: csv.as_bytes(),
                label: "m.csv",
            },
            mlops_lite::dataset::import::Format::Csv,
            "m",
            "",
            &mut |_, _| {},
        )
        .unwrap();
    let mut out = Vec::new();
    for est in [
        "logistic_regression",
        "decision_tree_classifier",
        "random_forest_classifier",
        "knn_classifier",
        "gaussian_nb",
    ] {
        let spec = TrainSpec::new("target").estimator(EstimatorSpec::default_for(est).unwrap());
        out.push(reg.train_model("iris", &spec).unwrap().to_artifact());
    }
    for est in ["ridge", "decision_tree_regressor", "knn_regressor"] {
        let spec = TrainSpec::new("sepal length (cm)")
            .features(["sepal width (cm)", "petal length (cm)", "target"])
            .estimator(EstimatorSpec::default_for(est).unwrap());
        out.push(reg.train_model("iris", &spec).unwrap().to_artifact());
    }
    for est in [
        json!({"estimator": "random_forest_regressor", "n_trees": 3}),
        json!({"estimator": "knn_regressor", "k": 7, "weights": "distance"}),
        json!({"estimator": "lasso"}),
        json!({"estimator": "elastic_net"}),
        json!({"estimator": "linear_regression"}),
    ] {
        let spec = TrainSpec::new("sepal length (cm)")
            .features(["sepal width (cm)", "petal length (cm)", "target"])
            .estimator(EstimatorSpec::from_json(&est).unwrap());
        out.push(reg.train_model("iris", &spec).unwrap().to_artifact());
    }
    out.push(
        mixed
            .train_model("m", &TrainSpec::new("y").test_size(0.0))
            .unwrap()
            .to_artifact(),
    );
    // Every step kind: min-max scaling, ordinal encoding, a pass-through group.
    let imputer = |strategy| StepSpec::SimpleImputer {
        strategy,
        fill_value: None,
    };
    let spec = TrainSpec::new("y")
        .test_size(0.0)
        .transformer(
            "num",
            &["n"],
            vec![imputer(ImputeStrategy::Mean), StepSpec::MinMaxScaler {}],
        )
        .transformer(
            "cat",
            &["c"],
            vec![
                imputer(ImputeStrategy::MostFrequent),
                StepSpec::OrdinalEncoder {},
            ],
        )
        .estimator(EstimatorSpec::default_for("knn_classifier").unwrap());
    out.push(mixed.train_model("m", &spec).unwrap().to_artifact());
    out
}

/// Every leaf and array of a JSON value, as paths.
fn paths(v: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(PathStep::Index(i));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                here.push(PathStep::Key(k.clone()));
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at<'v>(v: &'v mut Value, path: &[PathStep]) -> &'v mut Value {
    let mut cur = v;
    for s in path {
        cur = match s {
            PathStep::Key(k) => cur.get_mut(k.as_str()).unwrap(),
            PathStep::Index(i) => cur.get_mut(*i).unwrap(),
        };
    }
    cur
}

const NUMBERS: &[f64] = &[
    0.0,
    -1.0,
    1.0,
    2.0,
    3.0,
    1e308,
    -1e308,
    0.5,
    4294967296.0,
    1e-320,
];

/// Counts and indices as a forger would write them: at and past every boundary.
const INTEGERS: &[u64] = &[
    0,
    1,
    2,
    4,
    5,
    111,
    112,
    113,
    1900,
    1901,
    u32::MAX as u64,
    (1 << 53) + 1,
    u64::MAX / 8,
    u64::MAX,
];

fn mutate(bytes: &[u8], which: usize, kind: u8, pick: usize) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    let mut all = Vec::new();
    paths(&v, &mut Vec::new(), &mut all);
    let path = &all[which % all.len()];
    // Another value of the same artifact, to graft here (a list or count from elsewhere).
    let graft = at(&mut v.clone(), &all[pick % all.len()]).clone();
    let target = at(&mut v, path);
    match (kind % 9, &mut *target) {
        (0, _) => *target = json!(NUMBERS[pick % NUMBERS.len()]),
        (1, Value::Array(a)) if !a.is_empty() => {
            a.remove(pick % a.len());
        }
        (2, Value::Array(a)) if !a.is_empty() => {
            let x = a[pick % a.len()].clone();
            a.push(x);
        }
        (3, Value::String(s)) => s.push('x'),
        (4, _) => *target = json!(INTEGERS[pick % INTEGERS.len()]),
        (5, Value::Array(a)) if a.len() > 1 => {
            let (i, j) = (pick % a.len(), (pick / 7) % a.len());
            a.swap(i, j);
        }
        (6, Value::Array(a)) => a.clear(),
        (7, _) => *target = graft,
        (8, Value::Array(a)) if !a.is_empty() => {
            // Many copies of one element: a larger claim in the same shape.
            let x = a[pick % a.len()].clone();
            let n = a.len();
            a.extend(std::iter::repeat_n(x, n.min(500)));
        }
        _ => *target = Value::Null,
    }
    serde_json::to_vec(&v).unwrap()
}

fn exercise(p: &Pipeline) {
    let n = p.signature.len();
    let mut scratch = Scratch::default();
    let (mut f, mut pr) = (Vec::new(), Vec::new());
    for (num, s) in [
        (1.0, Some("a")),
        (f64::NAN, None),
        (-1e9, Some("zzz")),
        (0.0, Some("")),
    ] {
        let numbers = vec![num; n];
        let strings = vec![s; n];
        let _ = p.predict_row(
            &RowInput {
                numbers: &numbers,
                strings: &strings,
            },
            &mut scratch,
            &mut f,
            &mut pr,
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400)
    ))]

    #[test]
    fn mutated_artifacts_are_refused_or_run_without_panic(
        model in any::<usize>(), which in any::<usize>(), kind in any::<u8>(), pick in any::<usize>(),
        flip in any::<(usize, u8)>(), cut in any::<usize>(),
    ) {
        let arts = artifacts_cached();
        let original = &arts[model % arts.len()];
        let structural = mutate(original, which, kind, pick);
        let mut flipped = original.clone();
        let i = flip.0 % flipped.len();
        flipped[i] ^= flip.1 | 1;
        let truncated = original[..cut % original.len()].to_vec();
        for bytes in [structural, flipped, truncated] {
            if let Ok(p) = Pipeline::from_artifact(&bytes) {
                exercise(&p);
                // What loads is a fixed point: its own bytes load to the same pipeline.
                match Pipeline::from_artifact(&p.to_artifact()) {
                    Ok(again) => prop_assert_eq!(again, p),
                    Err(e) => prop_assert!(false, "re-encoded artifact refused: {}", e),
                }
            }
        }
    }
}

fn artifacts_cached() -> &'static Vec<Vec<u8>> {
    static CELL: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    CELL.get_or_init(artifacts)
}

#[test]
fn unmutated_artifacts_load_and_run() {
    for a in artifacts_cached() {
        let p = Pipeline::from_artifact(a).unwrap();
        exercise(&p);
        assert_eq!(&p.to_artifact(), a, "decode -> encode is the identity");
    }
}
