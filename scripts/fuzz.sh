#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo-fuzz, libFuzzer) for SECONDS each (default 300):
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]
# Installs what is missing (the nightly toolchain, cargo-fuzz). The targets read untrusted
# bytes as a CSV or JSON dataset, JSON or CSV prediction records, a model artifact, or a
# whole registry file; an error is fine, a panic, abort, hang or runaway allocation is a
# failure. Each target starts from its seed corpus in fuzz/corpus/TARGET (committed, never
# written by a run); what a run discovers goes to fuzz/target/corpus/TARGET (not committed).
# A failing input is saved under fuzz/artifacts/TARGET/ and shown with the command that
# replays it; every target runs, and the script exits 1 when any of them failed.
# Environment: FUZZ_RSS_MB (default 2048) is the memory limit of one run (-rss_limit_mb),
# FUZZ_TIMEOUT (default 10) the seconds one input may take (-timeout), FUZZ_SKIP target names
# not to run (space-separated; each skip is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-300}
case "$seconds" in
  '' | *[!0-9]*) echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz

# No sanitizer (the code under test is safe Rust and SQLite; ASan would slow every run
# several times over), but debug assertions and overflow checks: an arithmetic overflow on
# a number read from a file is a finding.
flags=(--sanitizer none --debug-assertions)
echo "== fuzz: building the targets (nightly)"
(cd fuzz && cargo +nightly fuzz build "${flags[@]}")

failed=()
for target in $(cd fuzz && cargo +nightly fuzz list); do
  if [[ " ${FUZZ_SKIP:-} " == *" $target "* ]]; then
    echo "== fuzz: $target SKIPPED (FUZZ_SKIP)"
    continue
  fi
  echo "== fuzz: $target for ${seconds}s (rss limit ${rss_mb} MB, ${timeout}s per input)"
  mkdir -p "fuzz/target/corpus/$target"
  if ! (cd fuzz && cargo +nightly fuzz run "${flags[@]}" "$target" \
      "target/corpus/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
      -print_final_stats=1); then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}; the inputs are in fuzz/artifacts/ (replay one with" >&2
  echo "  cd fuzz && cargo +nightly fuzz run ${flags[*]} TARGET artifacts/TARGET/FILE)" >&2
  exit 1
fi
echo "== fuzz: every target ran ${seconds}s without a failure"
