#!/usr/bin/env bash
# Installs what the WebAssembly build and its tests need, when missing: the wasm32 target,
# clang (sqlite-wasm-rs compiles SQLite with it), wasm-bindgen-cli pinned to the crate's
# exact wasm-bindgen version (cached in target/tools), and with --browser Chromium and
# ChromeDriver for the browser tests. Prints the folder of wasm-bindgen on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
missing=()
command -v clang >/dev/null || missing+=(clang)
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
fi
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (Cargo.lock).
version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
tools="$PWD/target/tools/wasm-bindgen-$version"
if [ ! -x "$tools/bin/wasm-bindgen" ]; then
  # --locked fails here (its lock wants a webpki-roots version the registry lacks).
  cargo install wasm-bindgen-cli --version "=$version" --root "$tools" --quiet
fi
echo "$tools/bin"
