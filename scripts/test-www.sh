#!/usr/bin/env bash
# End-to-end tests of the browser page (www/) in headless Chromium: installs www/'s npm
# packages (playwright-core, from www/package-lock.json) if needed, builds the CLI and the npm
# package if needed, starts `mlops-lite serve` on a free port of 127.0.0.1 (holding a demo
# registry made for it, MLOPS_LITE_SERVED_DB), runs
# www/test/*.test.mjs, and stops the server. Chromium must be at /usr/bin/chromium (or
# $CHROMIUM); the tests fail when it is missing. Screenshots go to a temporary folder
# (the tree stays as it was); MLOPS_LITE_SHOTS=www/test/screenshots refreshes the committed
# ones.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "error: Chromium is missing at $chromium (apt-get install -y chromium, or set CHROMIUM)" >&2
  exit 1
fi

(cd www && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error; })

cargo build --locked --bin mlops-lite
# dist/ missing, incomplete or built from other sources (the package's prepack check): build.
node npm/scripts/check-dist.mjs 2>/dev/null || bash scripts/build-npm.sh

out=$(mktemp)
# The registry the server holds (the page can open it from /api/registry.db): the demo's.
served=$(mktemp -d)
target/debug/mlops-lite --db "$served/served.db" demo >/dev/null
target/debug/mlops-lite --db "$served/served.db" serve --port 0 --dir . >"$out" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$out" "$served"' EXIT
url=
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" || true)
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { echo "error: mlops-lite serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "error: mlops-lite serve printed no URL" >&2; exit 1; }
echo "== www: end-to-end tests in headless Chromium against $url"
(cd www && MLOPS_LITE_URL="$url" MLOPS_LITE_SERVED_DB="$served/served.db" MLOPS_LITE_BIN="$PWD/../target/debug/mlops-lite" CHROMIUM="$chromium" \
  node --test test/)
