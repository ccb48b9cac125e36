#!/usr/bin/env bash
# The Python package's benchmark (issue 15, item 5): builds python/ in release into
# target/python-venv (as scripts/test-python.sh does), then runs python/bench/bench.py, which
# times mlops_lite beside pandas (to_sql / read_sql) and scikit-learn (predict_proba) in one
# process: `bash scripts/bench-python.sh [--rounds N] [--rows N]`. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
venv=$PYTHON_PACKAGE_VENV
python_venv "$venv" "${PYTHON_PACKAGE_PINS[@]}"
VIRTUAL_ENV=$PWD/$venv PATH="$PWD/$venv/bin:$PATH" \
  "$venv/bin/maturin" develop --release --locked --manifest-path python/Cargo.toml --quiet
"$venv/bin/python" python/bench/bench.py "$@"
