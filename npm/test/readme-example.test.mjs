// Runs the first ```js block of npm/README.md as a user would: packs the package, installs
// the tarball in an empty project, runs the example there with node and compares what it
// prints with the README's `// → ` comments.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PKG_DIR, tempDir } from "./helpers.mjs";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** The first ```js block of the README, and the lines it says it prints. */
function readmeExample() {
  const readme = readFileSync(join(PKG_DIR, "README.md"), "utf8");
  const match = readme.match(/^```js\n([\s\S]*?)^```$/m);
  assert.ok(match, "npm/README.md has no ```js block");
  const code = match[1];
  const expected = [...code.matchAll(/^\s*\/\/ → (.*)$/gm)].map((m) => m[1]);
  return { code, expected };
}

test("the README example's `// → ` lines are there", () => {
  const { code, expected } = readmeExample();
  assert.match(code, /import \{ init, Registry \} from "mlops-lite";/);
  assert.match(code, /await init\(\);/);
  assert.ok(expected.length >= 10, `only ${expected.length} output lines in the README example`);
});

test("the README example runs from the packed package and prints what the README says", (t) => {
  const { code, expected } = readmeExample();
  const work = tempDir(t, "mlops-lite-readme-");
  const env = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

  // npm pack, from npm/, into the temporary directory.
  const packed = JSON.parse(
    execFileSync(NPM, ["pack", "--json", "--pack-destination", work], { cwd: PKG_DIR, env, encoding: "utf8" }),
  );
  const tarball = join(work, packed[0].filename);
  assert.ok(existsSync(tarball), `npm pack did not write ${tarball}`);
  const files = packed[0].files.map((f) => f.path).sort();
  for (const f of ["README.md", "dist/mlops_lite.d.ts", "dist/mlops_lite.js", "dist/mlops_lite_bg.wasm", "index.d.ts", "node.js", "package.json", "web.js"]) {
    assert.ok(files.includes(f), `the tarball lacks ${f}; it has ${files.join(", ")}`);
  }
  assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("node_modules/")), `the tarball holds tests or node_modules: ${files.join(", ")}`);

  // An empty ESM project that installs the tarball (no dependencies: works offline).
  const project = join(work, "project");
  mkdirSync(project);
  execFileSync(NPM, ["init", "-y"], { cwd: project, env, stdio: "pipe" });
  const pkgJson = JSON.parse(readFileSync(join(project, "package.json"), "utf8"));
  pkgJson.type = "module";
  writeFileSync(join(project, "package.json"), JSON.stringify(pkgJson, null, 2));
  execFileSync(NPM, ["install", "--offline", "--no-audit", "--no-fund", tarball], { cwd: project, env, stdio: "pipe" });
  assert.ok(existsSync(join(project, "node_modules", "mlops-lite", "dist", "mlops_lite_bg.wasm")));

  writeFileSync(join(project, "example.mjs"), code);
  const run = spawnSync(process.execPath, ["example.mjs"], { cwd: project, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, `node example.mjs exited with ${run.status} (signal ${run.signal}):\n${run.stderr}`);
  assert.equal(run.stderr, "", "the example wrote to stderr");
  const printed = run.stdout.replace(/\n$/, "").split("\n");
  assert.deepEqual(printed, expected, "the example printed something else than its `// → ` lines");
  assert.ok(existsSync(join(project, "fruit.db")), "the example did not write fruit.db");
});
