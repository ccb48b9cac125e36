//! Memory of reading an artifact is bounded by its size: a counting allocator measures the
//! peak heap in use while `Pipeline::from_artifact` reads artifacts built to expand as much
//! as possible (the shortest JSON per element: numbers `0,`, empty strings `"",`, empty lists
//! `[],`, many tree nodes, many features), accepted or refused. The bound asserted here is the
//! one documented in `src/pipeline/mod.rs`: at most 16 bytes of heap per artifact byte (plus
//! a small constant). One test in its own binary, so no other test allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use mlops_lite::dataset::samples;
use mlops_lite::pipeline::estimator::EstimatorSpec;
use mlops_lite::pipeline::{Pipeline, TrainSpec};
use mlops_lite::Registry;
use serde_json::{json, Value};

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The documented bound: heap per artifact byte while reading it.
const BYTES_PER_BYTE: usize = 16;
const SLACK: usize = 64 << 10;

/// Peak heap above what was in use before, while reading `bytes`; and whether it loaded.
fn peak_reading(bytes: &[u8]) -> (usize, bool) {
    let base = IN_USE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let loaded = Pipeline::from_artifact(bytes).is_ok();
    (PEAK.load(Ordering::SeqCst) - base, loaded)
}

fn genuine(estimator: &str, reg: &Registry) -> Value {
    let spec = TrainSpec::new("target").estimator(EstimatorSpec::default_for(estimator).unwrap());
    let p = reg.train_model("iris", &spec).unwrap();
    serde_json::from_slice(&p.to_artifact()).unwrap()
}

#[test]
fn reading_an_artifact_needs_at_most_16_bytes_of_heap_per_byte() {
    let mut reg = Registry::open_in_memory().unwrap();
    let (_, iris) = samples::sample("iris").unwrap();
    reg.bind_dataset(&iris, "iris", "").unwrap();
    let knn = genuine("knn_classifier", &reg);
    let tree = genuine("decision_tree_classifier", &reg);
    let n = 200_000;

    let mut cases: Vec<(&str, Value)> = Vec::new();
    // Numbers: `0,` per f64.
    let mut v = knn.clone();
    v["estimator"]["knn_classifier"]["points"] = json!(vec![0; 4 * n]);
    v["estimator"]["knn_classifier"]["targets"] = json!(vec![0; n]);
    v["metrics"]["n_train"] = json!(n);
    cases.push(("k-NN with many points (accepted)", v));
    // Strings: `"",` per String (refused afterwards: duplicates).
    let mut v = knn.clone();
    v["classes"] = json!(vec![""; n]);
    cases.push(("many empty class labels", v));
    // Lists: `[],` per Vec.
    let mut v = knn.clone();
    v["transformers"][0]["steps"] =
        json!([{"step": "one_hot_encoder", "categories": vec![json!([]); n]}]);
    cases.push(("many empty category lists", v));
    // Objects: features.
    let mut v = knn.clone();
    v["signature"] = json!(vec![json!({"name": "", "dtype": ""}); n / 4]);
    cases.push(("many features", v));
    // Tree nodes, as five parallel lists.
    let mut v = tree.clone();
    let t = &mut v["estimator"]["decision_tree_classifier"]["trees"][0];
    for key in ["feature", "threshold", "left", "right"] {
        t[key] = json!(vec![0; n]);
    }
    t["value"] = json!(vec![0; 3 * n]);
    cases.push(("a tree with many nodes", v));
    // Trees.
    let mut v = tree.clone();
    let one = json!({"feature": [], "threshold": [], "left": [], "right": [], "value": []});
    v["estimator"]["decision_tree_classifier"]["trees"] = json!(vec![one; n / 8]);
    cases.push(("many empty trees", v));

    // Inside internally tagged objects (steps, the spec's estimator and steps).
    let mut v = knn.clone();
    v["transformers"][0]["steps"][0]["fill"] = json!(vec![0; n]);
    cases.push(("an imputer with many fill values", v));
    let mut v = knn.clone();
    v["spec"]["estimator"]["junk"] = json!(vec![0; n]);
    cases.push(("an unknown field in the spec's estimator", v));
    let mut v = knn.clone();
    v["spec"]["transformers"][0]["steps"][0]["fill_value"] = json!(vec![0; n]);
    cases.push(("a spec step's fill value", v));
    let mut v = knn.clone();
    v["spec"]["transformers"][0]["steps"][0]["junk"] = json!(vec![json!([]); n]);
    cases.push(("an unknown field in a spec step", v));

    let mut failed = Vec::new();
    for (what, v) in cases {
        let bytes = serde_json::to_vec(&v).unwrap();
        drop(v);
        let (peak, loaded) = peak_reading(&bytes);
        let bound = BYTES_PER_BYTE * bytes.len() + SLACK;
        eprintln!(
            "{what}: {} artifact bytes, peak {peak} heap bytes ({:.1} per byte), loaded {loaded}",
            bytes.len(),
            peak as f64 / bytes.len() as f64
        );
        if peak > bound {
            failed.push(format!(
                "{what}: reading {} bytes took {peak} bytes of heap (bound {bound})",
                bytes.len()
            ));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
