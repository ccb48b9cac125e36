// reg.logCsv(filter): the prediction log as CSV, written by the core exactly as the native
// `mlops-lite log export` writes it (the browser page's "Export CSV" calls it), with
// formula-like text cells neutralised for spreadsheets.
// Needs the native CLI: `cargo build` (target/debug/mlops-lite).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import initSqlJs from "sql.js";
import { Registry } from "../node.js";
import { IRIS_CSV, IRIS_FEATURES, PKG_DIR, tempDir, throwsError } from "./helpers.mjs";

const BIN = join(PKG_DIR, "..", "target", "debug", process.platform === "win32" ? "mlops-lite.exe" : "mlops-lite");
const HEADER = "call_id,position,created_at,model,model_version,reference_id,inputs,outputs\n";
// Reference ids a spreadsheet would run as formulas, and ones it reads as numbers or text.
const IDS = ["=1+2", "@SUM(A1:A2)", "+a", "-a", "\tx", "-5", "+1.5e3", "plain", "b-3, quoted", 'say "hi"'];

/** A registry whose log holds one record per id of IDS, by a model an attacker named `=1+2`. */
async function formulaLog() {
  const reg = new Registry();
  reg.bindDataset(IRIS_CSV, "iris");
  reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
  const records = IDS.map((id, i) => ({ reference_id: id, ...Object.fromEntries(IRIS_FEATURES.map((f, j) => [f, 1 + i + j / 2])) }));
  reg.predict("iris-lr", records, { log: true });
  reg.predict("iris-lr", records.slice(0, 2), { log: true });
  const SQL = await initSqlJs();
  const db = new SQL.Database(reg.export());
  db.run("UPDATE models SET name = '=1+2' WHERE id = 1");
  const bytes = db.export();
  db.close();
  reg.free();
  return bytes;
}

test("logCsv writes what `mlops-lite log export` writes, byte for byte, filters included", async (t) => {
  assert.ok(existsSync(BIN), `the native CLI is missing at ${BIN}: build it with \`cargo build\``);
  const bytes = await formulaLog();
  const file = join(tempDir(t), "log.db");
  writeFileSync(file, bytes);
  const reg = Registry.open(bytes);
  const cli = (...args) => execFileSync(BIN, ["--db", file, "log", "export", ...args], { encoding: "utf8" });

  const all = reg.logCsv();
  assert.equal(all, cli());
  assert.ok(all.startsWith(HEADER), all);
  assert.equal(all.trimEnd().split("\n").length, 1 + IDS.length + 2);
  // The model name and the formula-like ids are neutralised; numbers and text are not.
  assert.ok(all.includes(`,"'=1+2",1,"'@SUM(A1:A2)",`), all);
  for (const cell of [`"'+a"`, `"'-a"`, `"'\tx"`, ",-5,", ",+1.5e3,", ",plain,", `,"b-3, quoted",`, `,"say ""hi""",`]) {
    assert.ok(all.includes(cell), `${JSON.stringify(cell)} in\n${all}`);
  }
  assert.equal(reg.logCsv(undefined), all);
  assert.equal(reg.logCsv({}), all);

  for (const [filter, args] of [
    [{ referenceId: "=1+2" }, ["--reference-id", "=1+2"]],
    [{ model: "1", limit: 3 }, ["--model", "1", "--limit", "3"]],
    [{ since: "2000-01-01", until: "2999-12-31" }, ["--since", "2000-01-01", "--until", "2999-12-31"]],
  ]) {
    assert.equal(reg.logCsv(filter), cli(...args), JSON.stringify(filter));
  }
  assert.equal(reg.logCsv({ referenceId: "=1+2" }).split("\n").length, 4, "two records and the header");
  assert.equal(reg.logCsv({ referenceId: "nothing-like-this" }), HEADER);
});

test("logCsv refuses what log refuses, with the same message, and the registry still works", () => {
  const reg = new Registry();
  assert.equal(reg.logCsv(), HEADER, "an empty log is the header alone");
  for (const filter of [{ model: "nosuch" }, { since: "yesterday" }, { modelName: "x" }, "model=x"]) {
    let expected;
    try {
      reg.log(filter);
    } catch (e) {
      expected = e.message;
    }
    assert.ok(expected, `log(${JSON.stringify(filter)}) throws`);
    const e = throwsError(assert, () => reg.logCsv(filter), /./);
    assert.equal(e.message, expected);
  }
  assert.equal(reg.logCsv(), HEADER);
  reg.free();
});
