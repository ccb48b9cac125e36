#!/usr/bin/env bash
# Runs every test of mlops-lite, installing what the tests need when it is missing, so that
# it passes on a brand-new machine: `bash scripts/test.sh`. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
  fi
}

# The sqlite3 shell: tests check that any SQLite client reads the registry with plain SQL.
command -v sqlite3 >/dev/null || apt_install sqlite3
# Python's standard sqlite3 module is the second plain-SQL reader in the tests.
command -v python3 >/dev/null || apt_install python3
# scikit-learn and pandas: the README's accuracy comparison is re-checked on every run.
python3 -c "import sklearn, pandas" 2>/dev/null || python3 -m pip install --quiet scikit-learn pandas
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test (unit, integration, doc, README examples)"
cargo test --all-targets --locked
cargo test --doc --locked
echo "== scikit-learn comparison (README: held-out accuracy within 2 points)"
python3 scripts/sklearn_compare.py target/debug/mlops-lite
echo "== all tests passed"
