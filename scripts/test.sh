#!/usr/bin/env bash
# Runs every test of mlops-lite, installing what the tests need when it is missing, so that
# it passes on a brand-new machine: `bash scripts/test.sh`. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# The sqlite3 shell: tests check that any SQLite client reads the registry with plain SQL.
command -v sqlite3 >/dev/null || apt_install sqlite3
# curl: the README's example of the HTTP API.
command -v curl >/dev/null || apt_install curl
# Python's standard sqlite3 module is the second plain-SQL reader in the tests.
command -v python3 >/dev/null || apt_install python3
# psql: the browser test drops its PostgreSQL schema with it.
command -v psql >/dev/null || apt_install postgresql-client
# scikit-learn, pinned (the version the README names; scripts/bench-report.sh pins the
# same): the README's comparison with it is re-checked on every run, in its own virtualenv.
python_venv target/sklearn-venv numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

# The WebAssembly side: wasm32 target, clang, Chromium + ChromeDriver, wasm-bindgen-cli.
bindgen_dir=$(bash scripts/setup-wasm.sh --browser | tail -n 1)
export PATH="$bindgen_dir:$PATH"

# PostgreSQL: the registry tests run on both backends against the real server (database
# `test`, trust auth; MLOPS_LITE_TEST_PG=postgres://... names another). Never skipped.
pg_url=${MLOPS_LITE_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
pg_hostport=${pg_url#*://}; pg_hostport=${pg_hostport#*@}; pg_hostport=${pg_hostport%%/*}
pg_host=${pg_hostport%:*}; pg_port=${pg_hostport##*:}; [ "$pg_port" = "$pg_hostport" ] && pg_port=5432
if ! (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; then
  echo "error: PostgreSQL is not reachable at $pg_host:$pg_port; the tests need it." >&2
  echo "  Start it (sudo service postgresql start, or pg_ctlcluster 15 main start), or set" >&2
  echo "  MLOPS_LITE_TEST_PG=postgres://USER@HOST:PORT/DATABASE (trust auth, may create schemas)." >&2
  exit 1
fi
export MLOPS_LITE_TEST_PG="$pg_url"

echo "== cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path python/Cargo.toml -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib -- -D warnings
cargo clippy --manifest-path python/Cargo.toml --locked -- -D warnings
echo "== cargo doc (the API documentation builds without broken or private links)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked
echo "== the Performance tables' script: its self-test (a fixture of raw bench outputs)"
python3 scripts/bench-report.py --self-test
echo "== cargo test (unit, integration, doc, README examples)"
cargo test --workspace --all-targets --locked
cargo test --doc --locked
echo "== scikit-learn comparison (README: every estimator, same rows, bounded differences)"
target/sklearn-venv/bin/python scripts/sklearn_compare.py target/debug/mlops-lite
echo "== the Python package (python/): built with maturin, pytest against the CLI and PostgreSQL"
bash scripts/test-python.sh
echo "== wasm: wasm-bindgen-test in Node, then in headless Chromium"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown --test wasm
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER="$(command -v chromedriver)" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked --target wasm32-unknown-unknown --test wasm
echo "== npm package: build, then its tests (API, bad input, types, interop with the CLI, README)"
bash scripts/build-npm.sh
(cd npm && node --test test/)
echo "== the browser page (www/): end-to-end in headless Chromium, served by mlops-lite serve"
bash scripts/test-www.sh
bash scripts/fuzz.sh 10  # each fuzz target 10 s (fuzz/); longer runs: bash scripts/fuzz.sh [SECONDS]
echo "== all tests passed"
