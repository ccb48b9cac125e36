// The package and the native CLI read and write the same registry files, and predict the
// same numbers; sql.js and the sqlite3 shell read the package's files with plain SQL.
// Needs the native CLI: `cargo build` (target/debug/mlops-lite), and the sqlite3 shell.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import initSqlJs from "sql.js";
import { Registry } from "../node.js";
import { IRIS_CSV, PKG_DIR, README_RECORDS, REPO_DIR, irisRecords } from "./helpers.mjs";

const BIN = join(PKG_DIR, "..", "target", "debug", process.platform === "win32" ? "mlops-lite.exe" : "mlops-lite");

function requireCli() {
  assert.ok(existsSync(BIN), `the native CLI is missing at ${BIN}: build it with \`cargo build\` in ${REPO_DIR}`);
}

/** Runs the CLI on a registry file and returns its standard output. */
function cli(db, ...args) {
  try {
    return execFileSync(BIN, [...args, "--db", db], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`mlops-lite ${args.join(" ")} --db ${db} failed (${e.status}): ${e.stderr}`);
  }
}
const cliJson = (db, ...args) => JSON.parse(cli(db, ...args, "--json"));

/** Rows of a CSV of numbers (the repository's samples), as records without the target. */
function csvRecords(text, target) {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(cols.flatMap((c, i) => (c === target ? [] : [[c, Number(cells[i])]])));
  });
}

/**
 * Compares two prediction lists: the same reference ids, labels and result keys, and the
 * largest absolute difference of the numbers (0 when bit-identical), which it returns.
 */
function maxDifference(a, b, what) {
  assert.equal(a.length, b.length, `${what}: ${a.length} and ${b.length} predictions`);
  let max = 0;
  let identical = true;
  const numbers = (p) => (typeof p.results === "number" ? [p.results] : Object.values(p.results));
  a.forEach((p, i) => {
    const q = b[i];
    assert.equal(p.reference_id, q.reference_id, `${what}[${i}] reference_id`);
    assert.equal(p.label, q.label, `${what}[${i}] label`);
    assert.equal(typeof p.results, typeof q.results, `${what}[${i}] results`);
    if (typeof p.results === "object") assert.deepEqual(Object.keys(p.results), Object.keys(q.results), `${what}[${i}] classes`);
    const [x, y] = [numbers(p), numbers(q)];
    x.forEach((v, j) => {
      assert.ok(Number.isFinite(v) && Number.isFinite(y[j]), `${what}[${i}]: ${v} vs ${y[j]}`);
      max = Math.max(max, Math.abs(v - y[j]));
      identical &&= Object.is(v, y[j]);
    });
  });
  return { max, identical };
}

/** Reports the difference, and asserts it is 0 (bit-identical), as the README promises. */
function reportDifference(t, what, { max, identical }) {
  const line = `${what}: largest absolute difference ${max}${identical ? " (bit-identical)" : ""}`;
  console.log(line);
  t.diagnostic(line);
  assert.ok(max < 1e-12, `${what}: the numbers differ by up to ${max}`);
  assert.equal(max, 0, `${what}: the numbers differ by up to ${max} (not bit-identical)`);
  assert.ok(identical, `${what}: not bit-identical`);
}

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "mlops-lite-interop-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const IRIS_RECORDS = [
  ...irisRecords().map((r, i) => (i % 10 === 0 ? { ...r, reference_id: `iris-${i}` } : r)),
  ...README_RECORDS,
  { reference_id: 17, "petal length (cm)": null, "petal width (cm)": 1.3 },
  {},
];

describe("native -> wasm: a registry made by the CLI, opened by the package", () => {
  let dir, db, wasm, cliPredictions;
  const models = {
    // name: [dataset, target, extra CLI arguments]
    "iris-lr": ["iris", "target", []],
    "iris-rf": ["iris", "target", ["--estimator", "random_forest_classifier", "--seed", "7"]],
    "iris-tree": ["iris", "target", ["--estimator", "decision_tree_classifier"]],
    "iris-knn": ["iris", "target", ["--estimator", "knn_classifier"]],
    "iris-nb": ["iris", "target", ["--estimator", "gaussian_nb"]],
    "cancer-lr": ["breast_cancer", "target", []],
    "diabetes-lin": ["diabetes", "target", []],
    "diabetes-ridge": ["diabetes", "target", ["--estimator", "ridge"]],
    "diabetes-lasso": ["diabetes", "target", ["--estimator", "lasso"]],
    "diabetes-enet": ["diabetes", "target", ["--estimator", "elastic_net"]],
    "diabetes-rf": ["diabetes", "target", ["--estimator", "random_forest_regressor"]],
    "diabetes-tree": ["diabetes", "target", ["--estimator", "decision_tree_regressor"]],
    "diabetes-knn": ["diabetes", "target", ["--estimator", "knn_regressor"]],
  };
  const records = {
    iris: IRIS_RECORDS,
    breast_cancer: csvRecords(readFileSync(join(REPO_DIR, "data", "breast_cancer.csv"), "utf8"), "target"),
    diabetes: csvRecords(readFileSync(join(REPO_DIR, "data", "diabetes.csv"), "utf8"), "target"),
  };

  before(() => {
    requireCli();
    dir = tempDir();
    db = join(dir, "native.db");
    for (const sample of ["iris", "breast_cancer", "diabetes"]) cli(db, "dataset", "add", "--sample", sample);
    for (const [name, [dataset, target, extra]] of Object.entries(models)) {
      cli(db, "model", "train", "--dataset", dataset, "--target", target, "--name", name, ...extra);
    }
    for (const [dataset, recs] of Object.entries(records)) writeFileSync(join(dir, `${dataset}.json`), JSON.stringify(recs));
    cliPredictions = {};
    for (const [name, [dataset]] of Object.entries(models)) {
      cliPredictions[name] = cliJson(db, "predict", "--model", name, join(dir, `${dataset}.json`), ...(name === "iris-lr" ? ["--log"] : []));
    }
    assert.ok(!existsSync(`${db}-wal`) || readFileSync(`${db}-wal`).length === 0, "the CLI left a WAL file: the .db alone is not the whole registry");
    wasm = Registry.open(readFileSync(db));
  });

  test("the same datasets, models and infos as the CLI's --json output", () => {
    assert.deepEqual(wasm.listDatasets(), cliJson(db, "dataset", "list"));
    assert.deepEqual(wasm.listModels(), cliJson(db, "model", "list"));
    for (const d of ["iris", "breast_cancer", "diabetes"]) assert.deepEqual(wasm.datasetInfo(d), cliJson(db, "dataset", "info", d));
    for (const m of Object.keys(models)) assert.deepEqual(wasm.modelInfo(m), cliJson(db, "model", "info", m));
  });

  test("the same pulled rows as `dataset pull --format json`", () => {
    for (const d of ["iris", "breast_cancer", "diabetes"]) {
      const rows = JSON.parse(cli(db, "dataset", "pull", d, "--format", "json"));
      assert.deepEqual(wasm.pullDataset(d).rows, rows, d);
    }
    assert.equal(wasm.pullDataset("iris").rows.length, 150);
  });

  test("the CLI's logged predictions are in log(), as `log list --json` shows them", () => {
    const log = wasm.log();
    assert.equal(log.length, IRIS_RECORDS.length);
    assert.deepEqual(log, cliJson(db, "log", "list"));
    assert.deepEqual(log.map((r) => r.reference_id), cliPredictions["iris-lr"].map((p) => p.reference_id));
    assert.deepEqual(log.map((r) => r.outputs), cliPredictions["iris-lr"].map((p) => Object.values(p.results)));
    assert.deepEqual(wasm.log({ referenceId: "order-17" }), cliJson(db, "log", "list", "--reference-id", "order-17"));
  });

  test("predict gives the same numbers as the CLI, for every estimator", (t) => {
    for (const [name, [dataset]] of Object.entries(models)) {
      const mine = wasm.predict(name, records[dataset]);
      reportDifference(t, `native -> wasm ${name} (${records[dataset].length} records)`, maxDifference(mine, cliPredictions[name], name));
      assert.deepEqual(mine, cliPredictions[name]);
    }
  });

  test("the package's writes to the CLI's file are read back by the CLI", () => {
    wasm.predict("iris-lr", README_RECORDS, { log: true });
    const again = join(dir, "again.db");
    writeFileSync(again, wasm.export());
    assert.deepEqual(cliJson(again, "log", "list"), wasm.log());
    assert.equal(wasm.log().length, IRIS_RECORDS.length + 2);
  });
});

// The fruit data of the npm README: integers, floats, strings with nulls.
const FRUIT_CSV = `weight_g,diameter_cm,colour,fruit
150,7.5,red,apple
170,8.0,green,apple
140,7.0,red,apple
160,7.8,,apple
180,8.2,green,apple
155,7.4,red,apple
165,7.9,green,apple
145,7.1,red,apple
130,7.2,orange,orange
140,7.6,orange,orange
120,6.9,orange,orange
135,7.3,orange,orange
125,7.0,,orange
145,7.7,orange,orange
150,7.9,orange,orange
128,7.1,orange,orange
`;
const FRUIT_RECORDS = [
  { weight_g: 165, diameter_cm: 7.9, colour: "green" },
  { reference_id: "order-17", weight_g: 128, colour: "orange" },
  { reference_id: "x", weight_g: 150, diameter_cm: 7.5, colour: "purple" },
  { weight_g: null, diameter_cm: null, colour: null },
];

describe("wasm -> native: a registry made by the package, used by the CLI", () => {
  let dir, db, reg, predictions;

  before(() => {
    requireCli();
    dir = tempDir();
    db = join(dir, "wasm.db");
    reg = new Registry();
    reg.bindDataset(FRUIT_CSV, "fruit", { description: "apples and oranges" });
    reg.bindDataset(IRIS_CSV, "flowers", { description: "iris, from the package" });
    reg.trainModel({ dataset: "fruit", name: "fruit-clf", target: "fruit" });
    reg.trainModel({ dataset: "fruit", name: "fruit-rf", target: "fruit", estimator: "random_forest_classifier", seed: 3 });
    reg.trainModel({ dataset: "flowers", name: "flowers-lr", target: "target" });
    reg.trainModel({ dataset: "flowers", name: "petal-ridge", target: "petal width (cm)", estimator: { estimator: "ridge", alpha: 0.5 } });
    predictions = {
      "fruit-clf": reg.predict("fruit-clf", FRUIT_RECORDS, { log: true }),
      "fruit-rf": reg.predict("fruit-rf", FRUIT_RECORDS, { log: true }),
      "flowers-lr": reg.predict("flowers-lr", IRIS_RECORDS, { log: true }),
    };
    writeFileSync(db, reg.export());
    writeFileSync(join(dir, "fruit.json"), JSON.stringify(FRUIT_RECORDS));
    writeFileSync(join(dir, "iris.json"), JSON.stringify(IRIS_RECORDS));
  });

  test("the CLI lists the same datasets and models", () => {
    assert.deepEqual(cliJson(db, "dataset", "list"), reg.listDatasets());
    assert.deepEqual(cliJson(db, "model", "list"), reg.listModels());
    assert.deepEqual(cliJson(db, "dataset", "info", "fruit"), reg.datasetInfo("fruit"));
    assert.deepEqual(cliJson(db, "model", "info", "fruit-clf"), reg.modelInfo("fruit-clf"));
    assert.deepEqual(JSON.parse(cli(db, "dataset", "pull", "fruit", "--format", "json")), reg.pullDataset("fruit").rows);
    assert.equal(cli(db, "dataset", "pull", "flowers"), IRIS_CSV, "the CLI pulls the package's iris back as the very CSV");
  });

  test("`log list --json` shows the package's logged records", () => {
    const log = cliJson(db, "log", "list");
    assert.equal(log.length, FRUIT_RECORDS.length * 2 + IRIS_RECORDS.length);
    assert.deepEqual(log, reg.log());
    assert.deepEqual(cliJson(db, "log", "list", "--model", "fruit-rf"), reg.log({ model: "fruit-rf" }));
    assert.deepEqual(cliJson(db, "log", "list", "--reference-id", "order-17"), reg.log({ referenceId: "order-17" }));
  });

  test("the CLI predicts the same numbers", (t) => {
    for (const [name, file] of [["fruit-clf", "fruit.json"], ["fruit-rf", "fruit.json"], ["flowers-lr", "iris.json"]]) {
      const native = cliJson(db, "predict", "--model", name, join(dir, file));
      reportDifference(t, `wasm -> native ${name} (${native.length} records)`, maxDifference(predictions[name], native, name));
      assert.deepEqual(native, predictions[name]);
    }
    const petals = reg.pullDataset("flowers").rows.map(({ "petal width (cm)": _, ...r }, i) => (i % 7 ? r : { ...r, target: null }));
    writeFileSync(join(dir, "petals.json"), JSON.stringify(petals));
    const native = cliJson(db, "predict", "--model", "petal-ridge", join(dir, "petals.json"));
    const mine = reg.predict("petal-ridge", petals);
    reportDifference(t, `wasm -> native petal-ridge (${native.length} records)`, maxDifference(mine, native, "petal-ridge"));
  });

  test("the CLI's dedupe recognises the package's dataset", () => {
    writeFileSync(join(dir, "fruit.csv"), FRUIT_CSV);
    const out = cli(db, "dataset", "add", join(dir, "fruit.csv"), "--name", "fruit");
    assert.match(out, /fruit@1 \(id 1\) already holds this content/);
  });

  test("the CLI writes to the package's file, and the package reads it back", () => {
    const file = join(dir, "cli-writes.db");
    writeFileSync(file, reg.export());
    cli(file, "predict", "--model", "fruit-clf", join(dir, "fruit.json"), "--log");
    cli(file, "model", "train", "--dataset", "flowers", "--target", "target", "--name", "cli-knn", "--estimator", "knn_classifier");
    const back = Registry.open(readFileSync(file));
    assert.equal(back.log().length, reg.log().length + FRUIT_RECORDS.length);
    assert.deepEqual(back.log().slice(0, reg.log().length), reg.log());
    assert.deepEqual(back.listModels().map((m) => m.name), [...reg.listModels().map((m) => m.name), "cli-knn"]);
    assert.equal(back.predict("cli-knn", [README_RECORDS[0]])[0].label, "setosa");
  });

  // Training is the same natively and in WebAssembly (issue 14: src/vendor/README.md), so the
  // CLI re-training the package's model finds the very artifact, and `reproduce` in the CLI
  // gives the md5 of each model the package trained.
  test("the CLI re-training the package's model recognises the artifact; reproduce gives its md5", () => {
    const out = cli(db, "model", "train", "--dataset", "fruit", "--target", "fruit", "--name", "fruit-clf");
    assert.match(out, /already holds this artifact/);
    for (const name of ["fruit-clf", "fruit-rf", "flowers-lr", "petal-ridge"]) {
      const r = cliJson(db, "reproduce", name);
      assert.equal(r.reproduced_md5, reg.modelInfo(name).model.artifact_md5, name);
      assert.ok(r.identical, `${name}: ${JSON.stringify(r.differences)}`);
    }
  });
});

describe("training natively and in wasm", () => {
  const ESTIMATORS = [
    ["iris", "target", "logistic_regression"], ["iris", "target", "decision_tree_classifier"],
    ["iris", "target", "random_forest_classifier"], ["iris", "target", "knn_classifier"], ["iris", "target", "gaussian_nb"],
    ["diabetes", "target", "linear_regression"], ["diabetes", "target", "ridge"], ["diabetes", "target", "lasso"],
    ["diabetes", "target", "elastic_net"], ["diabetes", "target", "decision_tree_regressor"],
    ["diabetes", "target", "random_forest_regressor"], ["diabetes", "target", "knn_regressor"],
  ];
  const pairs = [];

  before(() => {
    requireCli();
    const dir = tempDir();
    const db = join(dir, "train.db");
    const reg = new Registry();
    for (const sample of ["iris", "diabetes"]) {
      cli(db, "dataset", "add", "--sample", sample);
      reg.bindDataset(readFileSync(join(REPO_DIR, "data", `${sample}.csv`), "utf8"), sample);
    }
    for (const [dataset, target, estimator] of ESTIMATORS) {
      cli(db, "model", "train", "--dataset", dataset, "--target", target, "--name", estimator, "--estimator", estimator);
      const native = cliJson(db, "model", "info", estimator);
      const wasm = reg.modelInfo(reg.trainModel({ dataset, name: estimator, target, estimator }).model.name);
      pairs.push({ estimator, native, wasm });
    }
  });

  test("the same split, signature, classes and resolved spec; report which artifacts differ", (t) => {
    for (const { estimator, native, wasm } of pairs) {
      assert.deepEqual(wasm.spec, native.spec, estimator);
      assert.deepEqual(wasm.signature, native.signature, estimator);
      assert.deepEqual(wasm.classes, native.classes, estimator);
      assert.deepEqual([wasm.metrics.n_train, wasm.metrics.n_test], [native.metrics.n_train, native.metrics.n_test], estimator);
      assert.deepEqual(wasm.dataset.md5, native.dataset.md5, estimator);
      const same = wasm.model.artifact_md5 === native.model.artifact_md5;
      const line = `training ${estimator}: ${same ? "the same artifact" : `another artifact: native metrics ${JSON.stringify(native.metrics)}, wasm metrics ${JSON.stringify(wasm.metrics)}`}`;
      console.log(line);
      t.diagnostic(line);
    }
  });

  // Trees and forests draw from rand's SmallRng, patched to be the same generator on every
  // platform; logistic and linear regression, lasso and elastic net fit with smartcore's exp,
  // ln, ln_1p, powf and hypot, patched to come from the libm crate, not the platform's maths
  // library (src/vendor/README.md): every estimator trains the same artifact in both builds.
  test("every estimator trains the same artifact natively and in wasm", () => {
    assert.equal(pairs.length, 12);
    for (const { estimator, native, wasm } of pairs) {
      assert.deepEqual(wasm.metrics, native.metrics, estimator);
      assert.equal(wasm.model.artifact_md5, native.model.artifact_md5, estimator);
    }
  });
});

describe("wasm -> sql.js and the sqlite3 shell: plain SQL on the exported file", () => {
  let reg, bytes, file;

  before(() => {
    reg = new Registry();
    reg.bindDataset(FRUIT_CSV, "fruit");
    reg.trainModel({ dataset: "fruit", name: "fruit-clf", target: "fruit" });
    reg.predict("fruit-clf", FRUIT_RECORDS, { log: true });
    reg.predict("fruit-clf", FRUIT_RECORDS.slice(1, 2), { log: true });
    bytes = reg.export();
    file = join(tempDir(), "fruit.db");
    writeFileSync(file, bytes);
  });

  /** The rows of a result as objects keyed by column. */
  const objects = ({ columns, values }) => values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]])));

  test("sql.js reads the dataset rows and the logged predictions", async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(bytes);
    try {
      const [data] = db.exec("SELECT * FROM data_1");
      assert.deepEqual(data.columns, ["weight_g", "diameter_cm", "colour", "fruit"]);
      assert.deepEqual(objects(data), reg.pullDataset("fruit").rows);
      const [table] = db.exec("SELECT data_table FROM datasets WHERE name = 'fruit'");
      assert.deepEqual(table.values, [["data_1"]]);
      const [log] = db.exec("SELECT reference_id, inputs, outputs FROM prediction_records");
      const expected = reg.log().map((r) => ({ reference_id: r.reference_id, inputs: r.inputs, outputs: r.outputs }));
      assert.deepEqual(objects(log).map((r) => ({ ...r, inputs: JSON.parse(r.inputs), outputs: JSON.parse(r.outputs) })), expected);
      assert.equal(expected.length, FRUIT_RECORDS.length + 1);
      const [[[integrity]]] = [db.exec("PRAGMA integrity_check")[0].values];
      assert.equal(integrity, "ok");
    } finally {
      db.close();
    }
  });

  test("the sqlite3 shell reads the same from the exported file", () => {
    const probe = spawnSync("sqlite3", ["-version"], { encoding: "utf8" });
    assert.ok(!probe.error && probe.status === 0,
      "the sqlite3 shell is missing: install it (Debian/Ubuntu: `apt-get install sqlite3`, macOS: `brew install sqlite`)");
    const sql = (query) => {
      const out = execFileSync("sqlite3", ["-json", "-readonly", file, query], { encoding: "utf8" });
      return out.trim() === "" ? [] : JSON.parse(out);
    };
    assert.deepEqual(sql("SELECT * FROM data_1"), reg.pullDataset("fruit").rows);
    const log = sql("SELECT reference_id, inputs, outputs FROM prediction_records");
    assert.deepEqual(
      log.map((r) => ({ ...r, inputs: JSON.parse(r.inputs), outputs: JSON.parse(r.outputs) })),
      reg.log().map((r) => ({ reference_id: r.reference_id, inputs: r.inputs, outputs: r.outputs })),
    );
    assert.deepEqual(sql("PRAGMA integrity_check"), [{ integrity_check: "ok" }]);
  });
});
