#!/usr/bin/env bash
# The main job on the embedded default: builds mlops-lite, creates ./mlops-lite.db and runs
# the Python tool's README workflow on iris (bind the dataset, train and bind the
# LogisticRegression pipeline, predict two records with logging, print the tables), builds
# the WebAssembly package, then serves the browser page on 127.0.0.1 and prints its
# address: `bash scripts/demo.sh` (Ctrl-C stops the server; MLOPS_LITE_NO_SERVE=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
db="${MLOPS_LITE_DB:-mlops-lite.db}"
./target/release/mlops-lite --db "$db" demo
if [ -n "${MLOPS_LITE_NO_SERVE:-}" ]; then
  exit 0
fi
echo
echo "Building the WebAssembly package for the browser page (first time: a few minutes)..."
bash scripts/build-npm.sh >/dev/null
echo "Open the page below, then \"Open a .db\" and pick $PWD/$db (or \"Load demo\")."
exec ./target/release/mlops-lite serve --port "${PORT:-8080}" --dir .
