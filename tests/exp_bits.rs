//! `pipeline::math::exp` gives the bits committed in `tests/data/exp-bits.txt` (edge cases
//! one by one, and digests over a dense grid and random bit patterns); `tests/wasm.rs` checks
//! the WebAssembly build against the same file, so native and wasm32 agree bit for bit.
//! `MLOPS_LITE_WRITE_EXP_BITS=1` rewrites the file (for an intended change of `exp` only).

#[path = "common/exp_bits.rs"]
mod exp_bits;

#[test]
fn exp_gives_the_committed_bits() {
    if std::env::var_os("MLOPS_LITE_WRITE_EXP_BITS").is_some() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/exp-bits.txt");
        std::fs::write(path, exp_bits::expected()).unwrap();
        // The file is compiled in: the next run checks what was just written.
        return;
    }
    exp_bits::check();
}
