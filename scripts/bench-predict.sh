#!/usr/bin/env bash
# The prediction figures side by side (issue 13: mlops-lite natively, the npm package in
# Node, onnxruntime and scikit-learn, in one run) are now the predict part of
# scripts/bench-report.sh (issue 14), which pins the Python packages, keeps the raw outputs
# and prints the README's tables. This runs that part once:
#   bash scripts/bench-predict.sh [--rebuild-npm]  =  bash scripts/bench-report.sh --only predict --runs 1
exec bash "$(dirname "$0")/bench-report.sh" --only predict --runs 1 "$@"
