// The package's `prepack` (so also `npm publish`): refuses to pack unless dist/ holds a
// complete build of the current sources. It checks rather than builds: the build needs the
// Rust toolchain, the wasm32 target, clang and wasm-bindgen-cli (scripts/setup-wasm.sh) and
// takes minutes, which `npm pack` should neither need nor hide; the refusal names the command.
//
//   node scripts/check-dist.mjs                 check (prepack); exit 1 with the reason
//   node scripts/check-dist.mjs --fingerprint   print the sources' fingerprint (build-npm.sh
//                                               stores it in dist/ as BUILD_INPUTS)
//
// "Current" means: the sha256 over the files the build reads (Cargo.toml, Cargo.lock,
// .cargo/config.toml, scripts/build-npm.sh, src/, data/ and npm/src/, by path and content)
// equals the one scripts/build-npm.sh recorded when it built dist/. Outside the repository
// (no ../Cargo.toml of mlops-lite next to this package) only completeness is checked.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const REPO = dirname(PKG.replace(/[\\/]$/, ""));
const DIST = join(PKG, "dist");
const STAMP = join(DIST, "BUILD_INPUTS");
/** What scripts/build-npm.sh reads, relative to the repository's root. */
const INPUTS = ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "scripts/build-npm.sh", "src", "data", "npm/src"];
const BUILD = "run `bash scripts/build-npm.sh` in the repository first (it builds dist/)";

/** Every file under `path` (or `path` itself), sorted. */
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** The sha256 over the build's input files: each one's path, length and bytes. */
export function fingerprint(repo = REPO) {
  const hash = createHash("sha256");
  for (const input of INPUTS) {
    for (const file of files(join(repo, input))) {
      const bytes = readFileSync(file);
      hash.update(`${relative(repo, file).split(sep).join("/")}\0${bytes.length}\0`);
      hash.update(bytes);
    }
  }
  return hash.digest("hex");
}

/** Whether this package sits in the mlops-lite repository (whose sources built dist/). */
function inRepository() {
  const manifest = join(REPO, "Cargo.toml");
  return existsSync(manifest) && /^name = "mlops-lite"$/m.test(readFileSync(manifest, "utf8"));
}

/** Why dist/ cannot be packed, or null when it can. */
export function problem() {
  if (!existsSync(DIST)) return "dist/ is missing: the package is not built";
  for (const name of ["mlops_lite.js", "mlops_lite_bg.wasm", "mlops_lite.d.ts"]) {
    if (!existsSync(join(DIST, name))) return `dist/${name} is missing`;
  }
  const wasm = readFileSync(join(DIST, "mlops_lite_bg.wasm"));
  if (wasm.length < 8 || wasm.readUInt32BE(0) !== 0x0061736d) return "dist/mlops_lite_bg.wasm is not a WebAssembly module";
  // The JS glue the bindings import (npm/src/glue.js, copied by wasm-bindgen).
  const js = readFileSync(join(DIST, "mlops_lite.js"), "utf8");
  for (const [, path] of js.matchAll(/from '(\.\/snippets\/[^']+)'/g)) {
    if (!existsSync(join(DIST, path))) return `dist/${path.slice(2)}, imported by dist/mlops_lite.js, is missing`;
  }
  if (!existsSync(STAMP)) return "dist/BUILD_INPUTS is missing: dist/ was not made by scripts/build-npm.sh, or its build failed";
  if (inRepository()) {
    const built = readFileSync(STAMP, "utf8").trim();
    const now = fingerprint();
    if (built !== now) return `dist/ is out of date: the sources changed since it was built (fingerprint ${built.slice(0, 12)}, sources now ${now.slice(0, 12)})`;
  }
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--fingerprint") {
    console.log(fingerprint());
  } else {
    const why = problem();
    if (why) {
      console.error(`mlops-lite: not packing: ${why}; ${BUILD}`);
      process.exit(1);
    }
  }
}
