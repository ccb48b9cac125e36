// The package's TypeScript types: test/types-usage.ts (every method, every result shape,
// wrong arguments under @ts-expect-error) compiles with `tsc --noEmit --strict` against the
// package's own index.d.ts and dist/mlops_lite.d.ts; breaking a type makes it fail; the
// declared value exports are the ones the entry points have at run time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import ts from "typescript";
import { PKG_DIR, tempDir } from "./helpers.mjs";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// A Node 20 ESM project's settings; no skipLibCheck, so the package's .d.ts are checked too.
const FLAGS = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "esnext", "--pretty", "false"];

function tsc(cwd, ...args) {
  const run = spawnSync(process.execPath, [TSC, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test("types-usage.ts compiles with tsc --strict against the package's types", () => {
  const { status, output } = tsc(PKG_DIR, ...FLAGS, "test/types-usage.ts");
  assert.equal(status, 0, `tsc failed:\n${output}`);
});

/**
 * A copy of the package's types in a temporary package named mlops-lite, with `edit`
 * applied to dist/mlops_lite.d.ts, and the usage file: tsc's result there.
 */
function compileMutated(t, edit) {
  const dir = tempDir(t, "mlops-lite-types-");
  mkdirSync(join(dir, "dist"));
  mkdirSync(join(dir, "test"));
  cpSync(join(PKG_DIR, "package.json"), join(dir, "package.json"));
  cpSync(join(PKG_DIR, "index.d.ts"), join(dir, "index.d.ts"));
  cpSync(join(PKG_DIR, "test", "types-usage.ts"), join(dir, "test", "types-usage.ts"));
  const original = readFileSync(join(PKG_DIR, "dist", "mlops_lite.d.ts"), "utf8");
  const mutated = edit(original);
  assert.notEqual(mutated, original, "the mutation did not change the types");
  writeFileSync(join(dir, "dist", "mlops_lite.d.ts"), mutated);
  return tsc(dir, ...FLAGS, "test/types-usage.ts");
}

test("the copy used for mutations compiles unchanged", (t) => {
  const { status, output } = compileMutated(t, (s) => `${s}\n// unchanged\n`);
  assert.equal(status, 0, output);
});

for (const [what, edit, expected] of [
  ["a missing field (DatasetEntry.md5)", (s) => s.replace(/ md5: string;/, ""), /Property 'md5' does not exist on type 'DatasetEntry'/],
  ["a missing field (LogRecord.outputs)", (s) => s.replace(/ outputs: number\[\] \| number;/, ""), /Property 'outputs' does not exist on type 'LogRecord'/],
  ["a field of another type (ColumnInfo.null_count: string)", (s) => s.replace(/null_count: number;/, "null_count: string;"), /Type 'string' is not assignable to type 'number'/],
  ["an optional field made required (Prediction.label)", (s) => s.replace(/\| number; label\?: string;/, "| number; label: string;"), /Unused '@ts-expect-error' directive/],
  ["a looser parameter (datasetInfo(reference: any))", (s) => s.replace(/datasetInfo\(reference: string\)/, "datasetInfo(reference: any)"), /Unused '@ts-expect-error' directive/],
  ["a looser result (listModels(): any[])", (s) => s.replace(/listModels\(\): ModelEntry\[\];/, "listModels(): any[];"), /Type 'true' is not assignable to type 'false'/],
  ["another result type (log(): LogRecord)", (s) => s.replace(/log\(filter\?: LogFilter\): LogRecord\[\];/, "log(filter?: LogFilter): LogRecord;"), /error TS/],
  ["a missing method (Registry.pullDataset)", (s) => s.replace(/    pullDataset\(reference: string\): PulledDataset;/, ""), /Property 'pullDataset' does not exist on type 'Registry'/],
]) {
  test(`breaking the types fails the check: ${what}`, (t) => {
    const { status, output } = compileMutated(t, edit);
    assert.notEqual(status, 0, `tsc accepted the broken types:\n${output}`);
    assert.match(output, expected);
  });
}

/** The names of the value (not type-only) exports that the types declare for `file`. */
function declaredValueExports(file) {
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ESNext });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  return checker
    .getExportsOfModule(moduleSymbol)
    .filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return (target.flags & ts.SymbolFlags.Value) !== 0;
    })
    .map((s) => s.getName())
    .sort();
}

test("web.js has at run time exactly the value exports that index.d.ts declares", async () => {
  const runtime = Object.keys(await import("../web.js")).sort();
  assert.deepEqual(runtime, ["Registry", "init", "initSync"]);
  assert.deepEqual(declaredValueExports(join(PKG_DIR, "index.d.ts")), runtime);
});

// Regression test, fixed bug (npm/index.d.ts): the Node entry's types are index.d.ts, whose `export * from
// "./dist/mlops_lite.js"` also declares `initSync`, but node.js exports only Registry and
// init: `import { initSync } from "mlops-lite"` type-checks, then fails in Node with
// "SyntaxError: The requested module 'mlops-lite' does not provide an export named
// 'initSync'". Expected: node.js exports initSync too (a no-op after its own initSync), or
// the Node condition gets types without it.
test("node.js has at run time exactly the value exports that index.d.ts declares", async () => {
  const runtime = Object.keys(await import("../node.js")).sort();
  assert.deepEqual(declaredValueExports(join(PKG_DIR, "index.d.ts")), runtime);
});

// Was a bug (src/wasm.rs): wasm-bindgen emitted `bindDataset(data, name, options:
// BindOptions | undefined)`, `predict(modelRef, records, options: PredictOptions |
// undefined)` and `log(filter: LogFilter | undefined)`, so `reg.log()`,
// `reg.bindDataset(csv, "toy")` and `reg.predict("m", records)`, which work in JS, failed tsc
// with "TS2554: Expected 1 arguments, but got 0". They are declared optional in src/wasm.rs
// (`unchecked_optional_param_type`), not patched after generation.
test("the optional arguments can be left out in TypeScript", (t) => {
  const dir = tempDir(t, "mlops-lite-types-");
  cpSync(join(PKG_DIR, "package.json"), join(dir, "package.json"));
  cpSync(join(PKG_DIR, "index.d.ts"), join(dir, "index.d.ts"));
  cpSync(join(PKG_DIR, "dist"), join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "optional.ts"), [
    'import { Registry } from "mlops-lite";',
    "const reg = new Registry();",
    'reg.bindDataset("x\\n1\\n", "toy");',
    "reg.log();",
    'reg.predict("m", []);',
    "",
  ].join("\n"));
  const { status, output } = tsc(dir, ...FLAGS, "optional.ts");
  assert.equal(status, 0, output);
});

// BUG (generated dist/mlops_lite.d.ts): the Registry class declares `[Symbol.dispose]():
// void`, which needs lib esnext: with a usual Node 20 setting (`--target es2022`, no
// skipLibCheck) tsc fails in the package's own types with "dist/mlops_lite.d.ts(72,13): error
// TS2550: Property 'dispose' does not exist on type 'SymbolConstructor'. Do you need to
// change your target library?". Expected: the package's types compile with target es2022.
test.todo("KNOWN, left open: wasm-bindgen's declarations use Symbol.dispose, so TypeScript needs lib esnext (or skipLibCheck); the package's types compile with --target es2022", () => {
  const flags = FLAGS.map((f) => (f === "esnext" ? "es2022" : f));
  const { status, output } = tsc(PKG_DIR, ...flags, "test/types-usage.ts");
  assert.equal(status, 0, output);
});
