#!/usr/bin/env bash
# Builds the npm package in npm/: the crate for wasm32 (release), JS bindings with
# wasm-bindgen-cli (pinned to the crate's wasm-bindgen), optimised with npm's binaryen
# wasm-opt (Debian's binaryen 108 produces a module that fails to load), then checks the
# gzipped size. Run `bash scripts/setup-wasm.sh` first (scripts/test.sh does). Last, it
# records the fingerprint of the sources it built from in npm/dist/BUILD_INPUTS: the
# package's prepack (npm/scripts/check-dist.mjs) refuses to pack a dist/ that lacks it or
# was built from other sources.
set -euo pipefail
cd "$(dirname "$0")/.."
bindgen_dir=$(bash scripts/setup-wasm.sh | tail -n 1)
(cd npm && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })

# Taken before the build, so that a source edited during it leaves dist/ out of date.
inputs=$(node npm/scripts/check-dist.mjs --fingerprint)
cargo build --profile wasm-release --locked --target wasm32-unknown-unknown --lib
rm -rf npm/dist
"$bindgen_dir/wasm-bindgen" --target web --out-dir npm/dist --out-name mlops_lite \
  target/wasm32-unknown-unknown/wasm-release/mlops_lite.wasm
# --converge repeats -Oz until it gains nothing (2,507 bytes less gzipped). --low-memory-unused
# lets wasm-opt fold constant offsets into loads and stores, assuming no address below 1024
# is used (4,795 bytes less gzipped): Rust lays the 1 MB stack first, so those bytes are its
# last KB, reached only by a stack about to overflow. See docs/WASM-SIZE.md.
npm/node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --enable-bulk-memory --enable-simd \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  npm/dist/mlops_lite_bg.wasm -o npm/dist/mlops_lite_bg.wasm
raw=$(stat -c %s npm/dist/mlops_lite_bg.wasm)
gz=$(gzip -9 -c npm/dist/mlops_lite_bg.wasm | wc -c)
echo "npm/dist/mlops_lite_bg.wasm: $raw bytes, $gz bytes gzipped (limit 700000)"
if [ "$gz" -gt 700000 ]; then
  echo "the gzipped .wasm is over 700 KB (700,000 bytes)" >&2
  exit 1
fi
echo "$inputs" > npm/dist/BUILD_INPUTS
