#!/usr/bin/env bash
# The Python package's tests (issue 15): builds python/ (PyO3, maturin) in release into its
# own virtualenv, target/python-venv, with the pinned packages the tests use, then runs
# pytest (python/tests). The tests read what Python wrote with the CLI (target/debug/mlops-lite,
# or MLOPS_LITE_BIN) and run against the real PostgreSQL (MLOPS_LITE_TEST_PG, default the
# local database `test`): nothing is skipped. `bash scripts/test-python.sh [PYTEST ARGS]`.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

venv=$PYTHON_PACKAGE_VENV
python_venv "$venv" "${PYTHON_PACKAGE_PINS[@]}"
export MLOPS_LITE_TEST_PG=${MLOPS_LITE_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
command -v psql >/dev/null || apt_install postgresql-client
[ -x target/debug/mlops-lite ] || cargo build --locked --bin mlops-lite
export MLOPS_LITE_BIN=${MLOPS_LITE_BIN:-$PWD/target/debug/mlops-lite}

echo "== python: maturin develop --release (python/, into $venv)"
VIRTUAL_ENV=$PWD/$venv PATH="$PWD/$venv/bin:$PATH" \
  "$venv/bin/maturin" develop --release --locked --manifest-path python/Cargo.toml --quiet
echo "== python: mypy (the package against its stubs, strict; the tests and the bench as callers)"
(cd python && "../$venv/bin/python" -m mypy --strict --ignore-missing-imports mlops_lite \
  && "../$venv/bin/python" -m mypy --ignore-missing-imports tests bench)
echo "== python: pytest"
"$venv/bin/python" -m pytest -q python/tests "$@"

# The README's install command, as a user runs it: `pip install ./python` into a fresh
# virtualenv (pip fetches maturin itself, in an isolated build), then a smoke test.
echo "== python: pip install ./python into a fresh virtualenv"
pip_venv=target/python-pip-venv
rm -rf "$pip_venv"
python3 -m venv "$pip_venv"
"$pip_venv/bin/pip" install --quiet --disable-pip-version-check ./python
(cd "$pip_venv" && bin/python -c '
import os, tempfile
import pandas as pd
from mlops_lite import MlopsLite, MlopsLiteError
db = os.path.join(tempfile.mkdtemp(), "smoke.db")
bound = MlopsLite(db).bind_dataset(pd.DataFrame({"a": [1, 2], "b": ["x", None]}), "smoke")
assert bound["created"] and bound["dataset"]["size_rows"] == 2, bound
try:
    MlopsLite(db).pull_dataset("nosuch")
    raise SystemExit("pull_dataset of a missing dataset did not fail")
except MlopsLiteError as e:
    assert e.kind == "not_found", e.kind
print("pip install ./python: imports, binds, raises MlopsLiteError")
')
