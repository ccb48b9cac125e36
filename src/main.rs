//! The `mlops-lite` binary; the command line lives in `src/cli/`, `mlops-lite serve`'s HTTP
//! server in `src/http/` (native builds only: the
//! WebAssembly build is the library, see `src/wasm.rs`).

#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod http;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
