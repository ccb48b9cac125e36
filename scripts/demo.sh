#!/usr/bin/env bash
# The main job on the embedded default: builds mlops-lite, creates ./mlops-lite.db and runs
# the Python tool's README workflow on iris (bind the dataset, train and bind the
# LogisticRegression pipeline, predict two records with logging, print the tables), builds
# the WebAssembly package, then serves the browser page and the registry's HTTP API on one
# port of 127.0.0.1 and prints its address and a curl that predicts with logging:
# `bash scripts/demo.sh` (Ctrl-C stops the server; MLOPS_LITE_NO_SERVE=1 skips it).
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
port="${PORT:-8080}"
echo "Open the page below, then \"Open the server's registry\" (or \"Open a .db\" and pick $PWD/$db)."
echo "The API is on the same port; a logged prediction, then the row it wrote:"
echo "  curl -s -X POST 'http://127.0.0.1:$port/api/models/testmodel/predict?log=true' -H 'Content-Type: application/json' \\"
echo "    -d '[{\"sepal length (cm)\": 6.3, \"sepal width (cm)\": 2.9, \"petal length (cm)\": 5.6, \"petal width (cm)\": 1.8, \"reference_id\": \"web-1\"}]'"
echo "  sqlite3 $db \"SELECT * FROM prediction_records WHERE reference_id = 'web-1'\""
exec ./target/release/mlops-lite --db "$db" serve --port "$port" --dir .
