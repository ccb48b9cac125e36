//! The fuzz targets' inputs replayed on stable by `cargo test`: every seed in
//! `fuzz/corpus/TARGET/` and every input that once failed, kept in `fuzz/regressions/TARGET/`,
//! goes through the very code the target runs (`fuzz/src/lib.rs`, included here). An error
//! is fine; a panic fails the test, naming the file.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_lib;

use std::path::{Path, PathBuf};

use mlops_lite::dataset::import::Format;
use mlops_lite::pipeline::Pipeline;
use mlops_lite::predict;
use mlops_lite::records::Records;

const TARGETS: [&str; 7] = [
    "dataset_csv",
    "dataset_json",
    "predict_json",
    "predict_csv",
    "artifact",
    "registry_bytes",
    "registry_forged",
];

/// What each target does with one input (the bodies of `fuzz/fuzz_targets/*.rs`).
fn run(target: &str, data: &[u8]) {
    match target {
        "dataset_csv" => fuzz_lib::read_dataset(data, Format::Csv),
        "dataset_json" => fuzz_lib::read_dataset(data, Format::Json),
        "predict_json" => {
            for p in fuzz_lib::pipelines() {
                if let Err(e) = predict::predict(p, Records::from(data)) {
                    let _ = e.to_string();
                }
            }
        }
        "predict_csv" => {
            for p in fuzz_lib::pipelines() {
                if let Err(e) = predict::predict(p, Records::csv(data, "fuzz.csv")) {
                    let _ = e.to_string();
                }
            }
        }
        "artifact" => {
            if let Ok(p) = Pipeline::from_artifact(data) {
                fuzz_lib::exercise(&p);
            }
        }
        "registry_bytes" => fuzz_lib::use_registry(data),
        "registry_forged" => fuzz_lib::forge_registry(data),
        other => panic!("unknown target {other}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

#[test]
fn every_seed_and_regression_input_runs_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    // The targets listed here are the ones fuzz/Cargo.toml builds.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "{target}"
        );
    }
    for target in TARGETS {
        let seeds = files(&root.join("corpus").join(target));
        assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seeds");
        for file in seeds
            .into_iter()
            .chain(files(&root.join("regressions").join(target)))
        {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(target, &data));
            assert!(outcome.is_ok(), "{target} panicked on {}", file.display());
        }
    }
}

/// The seeds are genuine: each parses (a seed that no longer parses would fuzz only the
/// error paths).
#[test]
fn the_seeds_are_accepted_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for file in files(&root.join("dataset_csv")) {
        let bytes = std::fs::read(&file).unwrap();
        let input = mlops_lite::dataset::import::Input::Bytes {
            bytes: &bytes,
            label: "seed",
        };
        mlops_lite::dataset::import::read(input, Format::Csv, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    for file in files(&root.join("dataset_json")) {
        let bytes = std::fs::read(&file).unwrap();
        let input = mlops_lite::dataset::import::Input::Bytes {
            bytes: &bytes,
            label: "seed",
        };
        mlops_lite::dataset::import::read(input, Format::Json, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    for file in files(&root.join("artifact")) {
        Pipeline::from_artifact(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    let pipelines = fuzz_lib::pipelines();
    for file in files(&root.join("predict_json")) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            pipelines
                .iter()
                .any(|p| Records::from(&bytes).into_batch(p).is_ok()),
            "{}",
            file.display()
        );
    }
    for file in files(&root.join("predict_csv")) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            pipelines
                .iter()
                .any(|p| Records::csv(&bytes, "seed").into_batch(p).is_ok()),
            "{}",
            file.display()
        );
    }
    for file in files(&root.join("registry_bytes")) {
        let reg = mlops_lite::Registry::from_bytes(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            !reg.list_datasets().unwrap().is_empty(),
            "{}",
            file.display()
        );
    }
}
