//! Hostile artifacts: structural mutations of real artifacts (numbers replaced by extreme
//! values, array elements dropped or duplicated, bytes flipped, truncation) must either be
//! refused by `Pipeline::from_artifact` or load into a pipeline that predicts without
//! panicking. This is what "loading a file we did not write never panics" rests on.
//!
//! A refusal must be for the right reason: `Pipeline::from_artifact` refuses with an
//! `InvalidArgument` about "the artifact", and a registry holding the mutant (md5 updated to
//! match) refuses to load it as a `Corrupt` registry naming the model. And the mutations must
//! not be so blunt that nothing loads: a measured share of them still loads and predicts, so
//! the "loads and runs" half of the property is exercised too.

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::preprocess::{ImputeStrategy, RowInput, Scratch, StepSpec};
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::{ErrorKind, Registry};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::cell::Cell;

/// A genuine artifact, and a registry (its bytes) holding it as model `fuzzed`.
struct Genuine {
    artifact: Vec<u8>,
    registry: Vec<u8>,
}

fn artifacts() -> Vec<Genuine> {
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
        let p = reg.train_model("iris", &spec).unwrap();
        out.push(genuine(&mut reg, p));
    }
    for est in ["ridge", "decision_tree_regressor", "knn_regressor"] {
        let spec = TrainSpec::new("sepal length (cm)")
            .features(["sepal width (cm)", "petal length (cm)", "target"])
            .estimator(EstimatorSpec::default_for(est).unwrap());
        let p = reg.train_model("iris", &spec).unwrap();
        out.push(genuine(&mut reg, p));
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
        let p = reg.train_model("iris", &spec).unwrap();
        out.push(genuine(&mut reg, p));
    }
    let p = mixed
        .train_model("m", &TrainSpec::new("y").test_size(0.0))
        .unwrap();
    out.push(genuine(&mut mixed, p));
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
    let p = mixed.train_model("m", &spec).unwrap();
    out.push(genuine(&mut mixed, p));
    out
}

/// `p`'s artifact, and a copy of `reg` with `p` bound as model `fuzzed`.
fn genuine(reg: &mut Registry, p: Pipeline) -> Genuine {
    let mut copy = Registry::from_bytes(&reg.to_bytes().unwrap()).unwrap();
    copy.bind_model(&p, "fuzzed", "").unwrap();
    Genuine {
        artifact: p.to_artifact(),
        registry: copy.to_bytes().unwrap(),
    }
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

/// Predicts four rows (ordinary, null, extreme, empty string); true when the first, an
/// ordinary row, gives a prediction.
fn exercise(p: &Pipeline) -> bool {
    let n = p.signature.len();
    let mut scratch = Scratch::default();
    let (mut f, mut pr) = (Vec::new(), Vec::new());
    let mut predicted = false;
    for (i, (num, s)) in [
        (1.0, Some("a")),
        (f64::NAN, None),
        (-1e9, Some("zzz")),
        (0.0, Some("")),
    ]
    .into_iter()
    .enumerate()
    {
        let numbers = vec![num; n];
        let strings = vec![s; n];
        let out = p.predict_row(
            &RowInput {
                numbers: &numbers,
                strings: &strings,
            },
            &mut scratch,
            &mut f,
            &mut pr,
        );
        predicted |= i == 0 && out.is_ok();
    }
    predicted
}

/// A refused mutant is refused as a bad artifact: by `Pipeline::from_artifact` with an
/// `InvalidArgument` about "the artifact", and by a registry holding it (md5 updated to
/// match, so that only the content is wrong) as `Corrupt`, naming the model.
fn refused_for_the_right_reason(
    genuine: &Genuine,
    bytes: &[u8],
    e: &mlops_lite::Error,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e);
    prop_assert!(e.to_string().starts_with("the artifact "), "{}", e);
    let mut reg = Registry::from_bytes(&genuine.registry).unwrap();
    reg.connection()
        .unwrap()
        .execute(
            "UPDATE models SET artifact = ?1, artifact_md5 = ?2 WHERE name = 'fuzzed'",
            rusqlite::params![bytes, mlops_lite::registry::md5_hex(bytes)],
        )
        .unwrap();
    match reg.model_info("fuzzed") {
        Ok(_) => prop_assert!(false, "a registry loaded the refused artifact ({})", e),
        Err(r) => {
            prop_assert_eq!(r.kind(), ErrorKind::Corrupt, "{}", r);
            prop_assert!(r.to_string().contains("model fuzzed@1 (id "), "{}", r);
            prop_assert!(r.to_string().contains(&e.to_string()), "{} vs {}", r, e);
        }
    }
    Ok(())
}

/// How many mutants of one kind were tried, loaded, and predicted.
#[derive(Default)]
struct Tally {
    tried: Cell<u32>,
    loaded: Cell<u32>,
    predicted: Cell<u32>,
}

impl Tally {
    fn add(&self, loaded: bool, predicted: bool) {
        self.tried.set(self.tried.get() + 1);
        self.loaded.set(self.loaded.get() + u32::from(loaded));
        self.predicted
            .set(self.predicted.get() + u32::from(predicted));
    }

    fn share_predicted(&self) -> f64 {
        f64::from(self.predicted.get()) / f64::from(self.tried.get().max(1))
    }

    fn show(&self, what: &str) -> String {
        format!(
            "{what}: {} tried, {} loaded, {} predicted ({:.1}%)",
            self.tried.get(),
            self.loaded.get(),
            self.predicted.get(),
            100.0 * self.share_predicted()
        )
    }
}

#[test]
fn mutated_artifacts_are_refused_or_run_without_panic() {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let arts = artifacts_cached();
    let tallies: [Tally; 3] = Default::default();
    let mut runner = TestRunner::new(Config::with_cases(cases));
    let strategy = (
        any::<usize>(),
        any::<usize>(),
        any::<u8>(),
        any::<usize>(),
        any::<(usize, u8)>(),
        any::<usize>(),
    );
    let result = runner.run(&strategy, |(model, which, kind, pick, flip, cut)| {
        let genuine = &arts[model % arts.len()];
        let original = &genuine.artifact;
        let structural = mutate(original, which, kind, pick);
        let mut flipped = original.clone();
        let i = flip.0 % flipped.len();
        flipped[i] ^= flip.1 | 1;
        let truncated = original[..cut % original.len()].to_vec();
        for (bytes, tally) in [structural, flipped, truncated].iter().zip(&tallies) {
            match Pipeline::from_artifact(bytes) {
                Ok(p) => {
                    tally.add(true, exercise(&p));
                    // What loads is a fixed point: its own bytes load to the same pipeline.
                    match Pipeline::from_artifact(&p.to_artifact()) {
                        Ok(again) => prop_assert_eq!(again, p),
                        Err(e) => prop_assert!(false, "re-encoded artifact refused: {}", e),
                    }
                }
                Err(e) => {
                    tally.add(false, false);
                    refused_for_the_right_reason(genuine, bytes, &e)?;
                }
            }
        }
        Ok(())
    });
    let [structural, flipped, truncated] = &tallies;
    let report = [
        structural.show("structural"),
        flipped.show("flipped byte"),
        truncated.show("truncated"),
    ]
    .join("; ");
    println!("{report}");
    if let Err(e) = result {
        panic!("{e}\n{report}");
    }
    // A truncated artifact is never whole JSON: every one is refused.
    assert_eq!(truncated.loaded.get(), 0, "{report}");
    // The share of structural mutants that still load and predict, measured in 10 runs of
    // 400 cases (random seeds): 9.5% to 15.5%, 12.7% on average (standard deviation of one
    // run about 1.7 points). 5% sits four standard deviations below, so a run does not fail
    // by chance, but a change that makes (nearly) every mutant refused, or that stops a
    // loaded pipeline from predicting, fails here. Flipped bytes load more rarely (1.2% to
    // 3.0%, about 9 of 400): too few for a bound that never fails by chance. With fewer
    // cases (FUZZ_CASES) the share is too noisy to bound.
    if cases >= 400 {
        assert!(structural.share_predicted() >= 0.05, "{report}");
    }
}

fn artifacts_cached() -> &'static Vec<Genuine> {
    static CELL: std::sync::OnceLock<Vec<Genuine>> = std::sync::OnceLock::new();
    CELL.get_or_init(artifacts)
}

#[test]
fn unmutated_artifacts_load_and_run() {
    for g in artifacts_cached() {
        let p = Pipeline::from_artifact(&g.artifact).unwrap();
        assert!(exercise(&p), "a genuine artifact predicts");
        assert_eq!(
            p.to_artifact(),
            g.artifact,
            "decode -> encode is the identity"
        );
        let mut reg = Registry::from_bytes(&g.registry).unwrap();
        let info = reg.model_info("fuzzed").unwrap();
        assert_eq!(
            info.signature, p.signature,
            "the registry loads the genuine artifact"
        );
    }
}
