// `npm pack` (and so `npm publish`) packs only a built, current package: its prepack
// (scripts/check-dist.mjs) refuses a package without dist/, with an incomplete dist/, or with
// a dist/ built from other sources than the repository's, and names the build command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PKG_DIR, REPO_DIR, tempDir } from "./helpers.mjs";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const ENV = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

/** `npm pack --dry-run --json` in `dir`: the exit status, the packed paths, and stderr. */
function packDryRun(dir) {
  const run = spawnSync(NPM, ["pack", "--dry-run", "--json"], { cwd: dir, env: ENV, encoding: "utf8" });
  const files = run.status === 0 ? JSON.parse(run.stdout)[0].files.map((f) => f.path).sort() : [];
  return { status: run.status, files, stderr: run.stderr };
}

/** A copy of the package's own files (no dist/, no node_modules) in `dir`/npm. */
function copyPackage(dir) {
  const pkg = join(dir, "npm");
  mkdirSync(pkg);
  for (const f of ["package.json", "node.js", "web.js", "index.d.ts", "README.md", "scripts", "src"]) {
    cpSync(join(PKG_DIR, f), join(pkg, f), { recursive: true });
  }
  return pkg;
}

/** A copy of what the build reads, so that the copied package sits in a repository. */
function copySources(dir) {
  for (const f of ["Cargo.toml", "Cargo.lock", ".cargo/config.toml", "scripts/build-npm.sh", "src", "data"]) {
    cpSync(join(REPO_DIR, f), join(dir, f), { recursive: true });
  }
}

const REFUSED = /mlops-lite: not packing: .*; run `bash scripts\/build-npm\.sh` in the repository first/;

test("npm pack in npm/ packs the built dist/: the .wasm, the bindings, their types and the JS glue", () => {
  const { status, files, stderr } = packDryRun(PKG_DIR);
  assert.equal(status, 0, `npm pack refused the package in npm/ (build it with bash scripts/build-npm.sh):\n${stderr}`);
  for (const f of ["dist/mlops_lite_bg.wasm", "dist/mlops_lite.js", "dist/mlops_lite.d.ts", "node.js", "web.js", "index.d.ts"]) {
    assert.ok(files.includes(f), `the tarball lacks ${f}; it has ${files.join(", ")}`);
  }
  assert.ok(files.some((f) => /^dist\/snippets\/[^/]+\/npm\/src\/glue\.js$/.test(f)), `the tarball lacks the JS glue; it has ${files.join(", ")}`);
  assert.ok(!files.includes("dist/BUILD_INPUTS"), "the build's fingerprint is not shipped");
  assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("scripts/") || f.startsWith("src/")), files.join(", "));
});

test("npm pack refuses a package without dist/, naming the build command", (t) => {
  const pkg = copyPackage(tempDir(t, "mlops-lite-pack-"));
  const { status, files, stderr } = packDryRun(pkg);
  assert.notEqual(status, 0, `npm pack packed a package without dist/: ${files.join(", ")}`);
  assert.match(stderr, REFUSED);
  assert.match(stderr, /dist\/ is missing/);
});

test("npm pack refuses an incomplete dist/", (t) => {
  const dir = tempDir(t, "mlops-lite-pack-");
  const pkg = copyPackage(dir);
  for (const missing of ["mlops_lite_bg.wasm", "mlops_lite.js", "snippets", "BUILD_INPUTS"]) {
    rmSync(join(pkg, "dist"), { recursive: true, force: true });
    cpSync(join(PKG_DIR, "dist"), join(pkg, "dist"), { recursive: true });
    rmSync(join(pkg, "dist", missing), { recursive: true });
    const { status, stderr } = packDryRun(pkg);
    assert.notEqual(status, 0, `npm pack packed a dist/ without ${missing}`);
    assert.match(stderr, REFUSED);
    assert.match(stderr, new RegExp(`dist/${missing}`), stderr);
  }
});

test("in the repository, npm pack refuses a dist/ built from other sources", (t) => {
  const dir = tempDir(t, "mlops-lite-pack-");
  const pkg = copyPackage(dir);
  copySources(dir);
  cpSync(join(PKG_DIR, "dist"), join(pkg, "dist"), { recursive: true });
  const before = packDryRun(pkg);
  assert.equal(before.status, 0, `the copy of a current build was refused:\n${before.stderr}`);
  assert.ok(before.files.includes("dist/mlops_lite_bg.wasm"), before.files.join(", "));

  for (const [file, edit] of [["src/lib.rs", "\n// edited\n"], ["npm/src/glue.js", "\n// edited\n"], ["Cargo.toml", "\n# edited\n"], [".cargo/config.toml", "\n# edited\n"]]) {
    const copy = join(dir, file);
    cpSync(copy, `${copy}.orig`);
    appendFileSync(copy, edit);
    const { status, stderr } = packDryRun(pkg);
    assert.notEqual(status, 0, `npm pack packed a dist/ older than ${file}`);
    assert.match(stderr, REFUSED);
    assert.match(stderr, /dist\/ is out of date: the sources changed since it was built/);
    cpSync(`${copy}.orig`, copy);
    rmSync(`${copy}.orig`);
  }
  assert.equal(packDryRun(pkg).status, 0, "the sources restored, the build is current again");
});
