//! Training every estimator gives the artifacts committed in `tests/data/training-md5.txt`;
//! `tests/wasm.rs` checks the WebAssembly build against the same file, so a model trained
//! natively and one trained in wasm32 (the npm package, the page) are the same bytes.
//! `MLOPS_LITE_WRITE_TRAINING_MD5=1` rewrites the file (for an intended change of training
//! only: models trained before it no longer `reproduce` bit for bit).

#[path = "common/training_bits.rs"]
mod training_bits;

#[test]
fn training_gives_the_committed_artifacts() {
    if std::env::var_os("MLOPS_LITE_WRITE_TRAINING_MD5").is_some() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/training-md5.txt");
        std::fs::write(path, training_bits::expected()).unwrap();
        // The file is compiled in: the next run checks what was just written.
        return;
    }
    training_bits::check();
}
