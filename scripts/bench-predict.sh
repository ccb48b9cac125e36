#!/usr/bin/env bash
# Prediction speed side by side, in one run (issue 13, item 3): `bash scripts/bench-predict.sh`
#   1. `cargo bench --bench predict -- --bench`: mlops-lite natively and, in the same run, the
#      npm package in Node (npm/bench/predict.mjs) on the README's iris pipeline;
#   2. scripts/bench-compare.py in a virtualenv (target/bench-venv, pinned versions below):
#      the same pipeline fitted in scikit-learn and exported with skl2onnx, timed with
#      onnxruntime (1M / 10k records, one record; 1 thread and default threads) and with
#      scikit-learn's predict_proba (numpy 1M / 10k, DataFrame 10k, one record), on the same
#      record values as the cargo bench (checked value for value against its records.json);
#   3. prints every line of the cargo bench as it is, then a markdown table of all figures.
# Raw outputs go to target/bench-data/bench-predict-DATE/ (cargo.txt, compare.json,
# table.md). Installs what is missing (python3-venv through apt, the pinned wheels, and the
# npm package via scripts/build-npm.sh when npm/dist is absent; --rebuild-npm forces it).
# Takes several minutes; the machine is shared, so compare figures of one run only.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# Checked to install together on Python 3.11 (2026-11-27).
pins=(numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1 onnxruntime==1.32.0 skl2onnx==1.20.0 onnx==1.23.2)
venv=target/bench-venv
out_dir="target/bench-data/bench-predict-$(date +%Y%m%d-%H%M%S)"
rebuild_npm=0
for arg in "$@"; do
  case "$arg" in
    --rebuild-npm) rebuild_npm=1 ;;
    *) echo "usage: bash scripts/bench-predict.sh [--rebuild-npm]" >&2; exit 2 ;;
  esac
done

command -v node >/dev/null || apt_install nodejs npm
python_venv "$venv" "${pins[@]}"

if [ "$rebuild_npm" = 1 ] || [ ! -f npm/dist/mlops_lite_bg.wasm ]; then
  bash scripts/setup-wasm.sh >/dev/null
  bash scripts/build-npm.sh
elif [ -n "$(find src Cargo.toml Cargo.lock npm/node.js npm/web.js -newer npm/dist/mlops_lite_bg.wasm -print -quit)" ]; then
  echo "warning: npm/dist is older than the sources; the npm figures are of that older build" \
    "(bash scripts/bench-predict.sh --rebuild-npm)" >&2
fi

mkdir -p "$out_dir"
echo "== cargo bench --bench predict -- --bench (native, then the npm package in Node)"
cargo bench --locked --bench predict -- --bench | tee "$out_dir/cargo.txt"

echo "== onnxruntime and scikit-learn (scripts/bench-compare.py)"
check=()
[ -f target/bench-data/records.json ] && check=(--check-records target/bench-data/records.json)
"$venv/bin/python" scripts/bench-compare.py \
  --records-cache target/bench-data/iris-records-1000000.npy "${check[@]}" \
  >"$out_dir/compare.json"

"$venv/bin/python" scripts/bench-compare.py --table "$out_dir/cargo.txt" "$out_dir/compare.json" \
  | tee "$out_dir/table.md"
echo
echo "raw outputs: $out_dir/"
