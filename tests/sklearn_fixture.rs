//! Issue 15 item 3, the native build: every model of `tests/data/sklearn-fitted.db` (bound
//! by the Python package's `bind_model` from pipelines scikit-learn fitted; written by
//! `python/tests/make_sklearn_fixture.py`) predicts the held-out records of
//! `tests/data/sklearn-expected.json` within 1e-12 of scikit-learn's own `predict_proba` /
//! `predict`, with the labels scikit-learn predicts. The npm package and the page run the
//! same check (npm/test/sklearn.test.mjs, www/test/sklearn.test.mjs).

use mlops_lite::pipeline::batch::BatchOut;
use mlops_lite::Registry;
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

fn repo_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

#[test]
fn every_scikit_learn_model_predicts_scikit_learn_numbers() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(repo_file("sklearn-expected.json")).unwrap())
            .unwrap();
    // From the bytes (an in-memory copy): the committed file is never opened for writing.
    let mut reg = Registry::from_bytes(&std::fs::read(repo_file("sklearn-fitted.db")).unwrap())
        .expect("the fixture opens");
    let models = expected["models"].as_array().unwrap();
    assert_eq!(models.len(), reg.list_models().unwrap().len());
    let mut worst = (0.0f64, String::new());
    for m in models {
        let name = m["name"].as_str().unwrap();
        let records = expected["datasets"][m["dataset"].as_str().unwrap()]["records"]
            .as_array()
            .unwrap();
        let rows: Vec<usize> = m["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_u64().unwrap() as usize)
            .collect();
        let batch: Vec<&Value> = rows.iter().map(|&r| &records[r]).collect();
        let bytes = serde_json::to_vec(&batch).unwrap();
        let (_, pipeline, predictions) = reg.predict(name, &bytes, false).unwrap();
        assert_eq!(pipeline.artifact_format, 2, "{name}");
        let mut check = |got: f64, want: &Value, what: String| {
            let d = (got - want.as_f64().unwrap()).abs();
            assert!(
                d <= TOLERANCE,
                "{name} {what}: {got} vs {want} (differs by {d:e})"
            );
            if d > worst.0 {
                worst = (d, name.to_string());
            }
        };
        match predictions.outputs {
            BatchOut::Classes {
                n_classes,
                proba,
                labels,
            } => {
                let classes = m["classes"].as_array().unwrap();
                assert_eq!(pipeline.classes, *classes, "{name}");
                let want = m["proba"].as_array().unwrap();
                assert_eq!(want.len() * n_classes, proba.len(), "{name}");
                for (i, w) in want.iter().enumerate() {
                    let w = w.as_array().unwrap();
                    for (c, wc) in w.iter().enumerate() {
                        check(
                            proba[i * n_classes + c],
                            wc,
                            format!("row {} class {c}", rows[i]),
                        );
                    }
                    // scikit-learn's label is its argmax (first of ties): ours too.
                    let best =
                        (0..n_classes).fold(
                            0,
                            |b, c| {
                                if w[c].as_f64() > w[b].as_f64() {
                                    c
                                } else {
                                    b
                                }
                            },
                        );
                    assert_eq!(labels[i] as usize, best, "{name} row {}", rows[i]);
                }
            }
            BatchOut::Values(values) => {
                let want = m["values"].as_array().unwrap();
                assert_eq!(want.len(), values.len(), "{name}");
                for (i, (got, w)) in values.iter().zip(want).enumerate() {
                    check(*got, w, format!("row {}", rows[i]));
                }
            }
        }
    }
    eprintln!(
        "{} models: largest difference from scikit-learn {:e} ({})",
        models.len(),
        worst.0,
        worst.1
    );
}
