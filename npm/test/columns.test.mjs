// Columnar predictions (issue 13): records given as columns (Float64Array or plain arrays)
// give the same numbers as the same records given as objects, bit for bit; predictions come
// back as columns when asked; bad columns are errors naming them, and nothing is logged.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "../node.js";
import { IRIS_CSV, IRIS_FEATURES, irisRecords, throwsError } from "./helpers.mjs";

let reg;
let records;
before(() => {
  reg = new Registry();
  reg.bindDataset(IRIS_CSV, "iris");
  reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
  // Some nulls, so that the imputer is exercised on both roads.
  records = irisRecords().map((r, i) => (i % 7 === 3 ? { ...r, "petal width (cm)": null } : r));
});

function columnsOf(rows) {
  return Object.fromEntries(
    IRIS_FEATURES.map((f) => [f, Float64Array.from(rows, (r) => r[f] ?? NaN)]),
  );
}

test("Float64Array columns give the records' predictions bit for bit", () => {
  const rows = reg.predict("iris-lr", records);
  const cols = reg.predict("iris-lr", { columns: columnsOf(records) });
  assert.equal(cols.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    assert.equal(cols[i].label, rows[i].label);
    for (const [k, v] of Object.entries(rows[i].results)) {
      assert.ok(Object.is(cols[i].results[k], v), `record ${i} class ${k}: ${cols[i].results[k]} != ${v}`);
    }
  }
});

test("plain arrays are accepted (null is null) and reference ids ride along", () => {
  const plain = Object.fromEntries(IRIS_FEATURES.map((f) => [f, records.slice(0, 5).map((r) => r[f])]));
  const ids = ["a", 2, null, "d", "e"];
  const out = reg.predict("iris-lr", { columns: { ...plain, reference_id: ids } });
  const want = reg.predict("iris-lr", records.slice(0, 5).map((r, i) => ({ ...r, reference_id: ids[i] })));
  assert.deepEqual(out, want);
  assert.deepEqual(out.map((p) => p.reference_id), ["a", "2", null, "d", "e"]);
});

test("output: columns gives a Float64Array per class and the labels, the same numbers", () => {
  const rows = reg.predict("iris-lr", records);
  const cols = reg.predict("iris-lr", { columns: columnsOf(records) }, { output: "columns" });
  assert.deepEqual(Object.keys(cols.results), ["setosa", "versicolor", "virginica"]);
  for (const [k, values] of Object.entries(cols.results)) {
    assert.ok(values instanceof Float64Array, k);
    assert.equal(values.length, rows.length);
    values.forEach((v, i) => assert.ok(Object.is(v, rows[i].results[k]), `${k}[${i}]`));
  }
  assert.deepEqual(cols.label, rows.map((r) => r.label));
  assert.ok(cols.label_index instanceof Uint32Array);
  assert.deepEqual([...cols.label_index].map((i) => Object.keys(cols.results)[i]), cols.label);
  assert.equal(cols.label, cols.label, "label is made once, then kept");
  assert.deepEqual(cols.reference_id, rows.map(() => null));
  assert.deepEqual(Object.keys(cols), ["reference_id", "results", "label_index", "label"]);
  assert.deepEqual(JSON.parse(JSON.stringify(cols)).label, cols.label);
  // Objects in, columns out, too.
  const fromObjects = reg.predict("iris-lr", records, { output: "columns" });
  assert.deepEqual(fromObjects.label, cols.label);
  fromObjects.label = "replaced"; // still a plain, writable property
  assert.equal(fromObjects.label, "replaced");
});

test("a regressor's columns are one Float64Array", () => {
  reg.trainModel({ dataset: "iris", name: "petal-ridge", target: "petal width (cm)", estimator: "ridge" });
  // Its features include the species (a string column): strings ride as a plain array.
  const species = records.map((_, i) => ["setosa", "versicolor", null][i % 3]);
  const cols = { ...columnsOf(records), target: species };
  delete cols["petal width (cm)"];
  const out = reg.predict("petal-ridge", { columns: cols }, { output: "columns" });
  assert.ok(out.results instanceof Float64Array);
  const rows = reg.predict("petal-ridge", records.map(({ "petal width (cm)": _, ...r }, i) => ({ ...r, target: species[i] })));
  out.results.forEach((v, i) => assert.ok(Object.is(v, rows[i].results), `${i}`));
});

test("logging from columns writes one record per row", () => {
  const before = reg.log().length;
  reg.predict("iris-lr", { columns: columnsOf(records.slice(0, 10)) }, { log: true });
  assert.equal(reg.log().length, before + 10);
});

test("bad columns are named, and nothing is logged", () => {
  const before = reg.log().length;
  const cols = columnsOf(records.slice(0, 3));
  const { ["sepal width (cm)"]: _, ...missing } = cols;
  throwsError(assert, () => reg.predict("iris-lr", { columns: missing }, { log: true }),
    /column "sepal width \(cm\)": is missing/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: { ...cols, colour: [1, 2, 3] } }, { log: true }),
    /column "colour": is not a feature of the model/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: { ...cols, "sepal width (cm)": new Float64Array(2) } }, { log: true }),
    /has 2 values but column/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: { ...cols, "sepal width (cm)": [1, "x", 2] } }, { log: true }),
    /columns\["sepal width \(cm\)"\]\[1\]: expected a number or null/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: { ...cols, "sepal width (cm)": Float64Array.of(1, Infinity, 2) } }, { log: true }),
    /records\[1\] field "sepal width \(cm\)": inf is not a finite number/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: { ...cols, "sepal width (cm)": ["a", "b", "c"] } }, { log: true }),
    /is a column of strings, but the feature takes numbers/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: cols }, { output: "rows" }),
    /output must be "records" or "columns"/);
  throwsError(assert, () => reg.predict("iris-lr", { columns: 7 }), /records must be/);
  assert.equal(reg.log().length, before);
});

test("records packed by the JS fast path ignore an enumerable key added to Object.prototype", () => {
  const rows = records.slice(0, 20);
  const before = reg.predict("iris-lr", rows);
  Object.defineProperty(Object.prototype, "polluted", { value: 1, enumerable: true, configurable: true });
  let after;
  try {
    after = reg.predict("iris-lr", rows);
  } finally {
    delete Object.prototype.polluted;
  }
  assert.deepEqual(after, before);
});

test("without reference ids every prediction's reference_id is null, in rows and in columns", () => {
  const rows = records.slice(0, 4).map(({ reference_id, ...r }) => r);
  for (const p of reg.predict("iris-lr", rows)) assert.equal(p.reference_id, null);
  const cols = reg.predict("iris-lr", { columns: columnsOf(rows) }, { output: "columns" });
  assert.deepEqual(cols.reference_id, [null, null, null, null]);
  assert.equal(cols.label.length, 4);
});
