#!/usr/bin/env bash
# The main job on the embedded default: builds mlops-lite, creates ./mlops-lite.db, binds the
# bundled iris dataset and prints the registry's tables: `bash scripts/demo.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec ./target/release/mlops-lite --db "${MLOPS_LITE_DB:-mlops-lite.db}" demo
