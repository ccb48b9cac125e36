//! Every estimator trained with its defaults (seed 42) on a bundled sample, and the artifact
//! md5s that `tests/data/training-md5.txt` pins: included (`#[path]`) by
//! `tests/training_bits.rs` natively and by `tests/wasm.rs` in WebAssembly, so both builds are
//! held to the same artifacts (issue 14: smartcore's draws and maths are patched to be the
//! same on every target, `src/vendor/README.md`). A changed line is a model that
//! `reproduce` no longer gives bit for bit.
#![allow(dead_code)]

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::TrainSpec;
use mlops_lite::Registry;

/// The committed file.
pub const FILE: &str = include_str!("../data/training-md5.txt");

/// Classifiers on iris, regressors on diabetes, as the npm interop test trains them.
pub const TRAINED: [(&str, &str); 12] = [
    ("iris", "logistic_regression"),
    ("iris", "decision_tree_classifier"),
    ("iris", "random_forest_classifier"),
    ("iris", "knn_classifier"),
    ("iris", "gaussian_nb"),
    ("diabetes", "linear_regression"),
    ("diabetes", "ridge"),
    ("diabetes", "lasso"),
    ("diabetes", "elastic_net"),
    ("diabetes", "decision_tree_regressor"),
    ("diabetes", "random_forest_regressor"),
    ("diabetes", "knn_regressor"),
];

/// `dataset estimator md5` lines, one per entry of [`TRAINED`].
pub fn expected() -> String {
    let mut reg = Registry::open_in_memory().unwrap();
    for sample in ["iris", "diabetes"] {
        let (_, data) = samples::sample(sample).unwrap();
        reg.bind_dataset(&data, sample, "").unwrap();
    }
    let mut out = String::new();
    for (dataset, estimator) in TRAINED {
        let spec =
            TrainSpec::new("target").estimator(EstimatorSpec::default_for(estimator).unwrap());
        let pipeline = reg.train_model(dataset, &spec).unwrap();
        let bound = reg.bind_model(&pipeline, estimator, "").unwrap();
        out.push_str(&format!(
            "{dataset} {estimator} {}\n",
            bound.model.artifact_md5
        ));
    }
    out
}

/// Trains every estimator and compares with the committed file, naming each that differs.
pub fn check() {
    let mut names: Vec<&str> = TRAINED.iter().map(|(_, e)| *e).collect();
    names.sort_unstable();
    let mut all = EstimatorSpec::names().to_vec();
    all.sort_unstable();
    assert_eq!(names, all, "every estimator is trained");
    let got = expected();
    let differ: Vec<String> = got
        .lines()
        .zip(FILE.lines())
        .filter(|(g, f)| g != f)
        .map(|(g, f)| format!("{g} (committed: {f})"))
        .collect();
    assert!(
        differ.is_empty() && got.lines().count() == FILE.lines().count(),
        "artifacts differ from tests/data/training-md5.txt:\n{}",
        differ.join("\n")
    );
}
