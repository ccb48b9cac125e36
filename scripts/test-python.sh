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

# Issue 15's "done when": in that fresh virtualenv, with scikit-learn added (the pinned one),
# the README's Python example runs as written and its scikit-learn model equals predict_proba.
echo "== python: the README's Python example in the fresh virtualenv (plus scikit-learn)"
sklearn_pins=()
for pin in "${PYTHON_PACKAGE_PINS[@]}"; do
  case $pin in scikit-learn==* | scipy==*) sklearn_pins+=("$pin") ;; esac
done
"$pip_venv/bin/pip" install --quiet --disable-pip-version-check "${sklearn_pins[@]}"
example_dir=$(mktemp -d)
(cd "$example_dir" && README="$OLDPWD/README.md" "$OLDPWD/$pip_venv/bin/python" -c '
import os, re, io, contextlib
example = re.findall(r"```python\n(.*?)```", open(os.environ["README"], encoding="utf-8").read(), re.S)[0]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    exec(compile(example, "README.md", "exec"), {"__name__": "readme"})
gap = [l for l in out.getvalue().splitlines() if l.startswith("largest difference from scikit-learn:")]
assert len(gap) == 1 and float(gap[0].split(":")[1]) <= 1e-12, out.getvalue()
print("README Python example in a fresh virtualenv:", gap[0])
')
rm -rf "$example_dir"
