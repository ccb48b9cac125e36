//! The core in WebAssembly, run by wasm-bindgen-test in Node and in headless Chromium
//! (scripts/test.sh runs both): the registry workflow, bytes in and out, and that errors
//! leave the registry usable. Compiled to nothing natively.
#![cfg(target_arch = "wasm32")]

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::{Output, TrainSpec};
use mlops_lite::wasm::JsRegistry;
use mlops_lite::Registry;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

const RECORDS: &str = r#"[
  {"sepal length (cm)": 2, "petal length (cm)": 1, "petal width (cm)": 1, "sepal width (cm)": 1},
  {"reference_id": "some_external_id", "sepal length (cm)": 1, "petal length (cm)": 2,
   "petal width (cm)": 1, "sepal width (cm)": 1}
]"#;

#[wasm_bindgen_test]
fn registry_workflow_in_wasm() {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    let bound = reg.bind_dataset(&iris, "iris", "").unwrap();
    // The canonical md5 is the same as natively (tests/cli.rs pins it too).
    assert_eq!(bound.dataset.md5, "1691b6054247506429b07bc1fa364ee3");
    let p = reg.train_model("iris", &TrainSpec::new("target")).unwrap();
    assert_eq!(p.classes, ["setosa", "versicolor", "virginica"]);
    assert!(p.metrics.accuracy.unwrap() > 0.85);
    reg.bind_model(&p, "testmodel", "").unwrap();
    let (_, _, out) = reg.predict("testmodel", RECORDS.as_bytes(), true).unwrap();
    for o in &out.to_vec() {
        let Output::Classes { proba, .. } = &o.output else {
            panic!("a classifier")
        };
        assert!((proba.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
    let bytes = reg.to_bytes().unwrap();
    let back = Registry::from_bytes(&bytes).unwrap();
    let n: i64 = back
        .connection()
        .unwrap()
        .query_row("SELECT count(*) FROM prediction_records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(back.pull_dataset("iris").unwrap().1, iris);
}

#[wasm_bindgen_test]
fn js_errors_leave_the_registry_usable() {
    let mut reg = JsRegistry::new().unwrap();
    let csv = JsValue::from_str("x,y,label\n1.5,2,a\n0.5,,b\n2.5,1,a\n0.1,3,b\n");
    reg.bind_dataset(csv.clone(), "toy".into(), None).unwrap();
    // Wrong types, a ragged CSV, an unknown dataset: errors, not traps.
    assert!(reg.dataset_info(JsValue::from_f64(5.0)).is_err());
    assert!(reg
        .bind_dataset(JsValue::from_str("a,b\n1\n"), "bad".into(), None)
        .is_err());
    assert!(reg.dataset_info("nosuch".into()).is_err());
    assert!(JsRegistry::open(JsValue::from_str("not bytes")).is_err());
    assert!(reg.predict("nosuch".into(), JsValue::NULL, None).is_err());
    // Still works, and nothing was added.
    let list = reg.list_datasets().unwrap();
    assert_eq!(js_sys::Array::from(&list).length(), 1);
    assert!(reg.export().unwrap().length() > 0);
}

#[path = "common/exp_bits.rs"]
mod exp_bits;

/// Our exp gives the bits committed in tests/data/exp-bits.txt, as natively
/// (tests/exp_bits.rs): the same predictions on both targets.
#[wasm_bindgen_test]
fn exp_gives_the_same_bits_as_natively() {
    exp_bits::check();
}

#[path = "common/training_bits.rs"]
mod training_bits;

/// Every estimator trains the artifacts committed in tests/data/training-md5.txt, as
/// natively (tests/training_bits.rs): a model trained in the browser is the native one.
#[wasm_bindgen_test]
fn training_gives_the_same_artifacts_as_natively() {
    training_bits::check();
}
