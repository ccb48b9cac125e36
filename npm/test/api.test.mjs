// Every method of the Registry class, on a small CSV and on iris, with the exact shape
// (field names and types) of every result, as declared in the package's TypeScript types.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { init, Registry } from "../node.js";
import { IRIS_CSV, IRIS_FEATURES, README_RECORDS, irisRecords } from "./helpers.mjs";

await init(); // a no-op in Node, kept by code shared with browsers

/** Asserts `value` is a plain object with exactly these keys, each of these types. */
function assertShape(value, shape, what) {
  assert.equal(Object.prototype.toString.call(value), "[object Object]", `${what} is not an object: ${value}`);
  assert.deepEqual(Object.keys(value).sort(), Object.keys(shape).sort(), `${what} has other fields`);
  for (const [key, types] of Object.entries(shape)) {
    const v = value[key];
    const actual = v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
    assert.ok(types.split("|").includes(actual), `${what}.${key} is ${actual} (${JSON.stringify(v)}), expected ${types}`);
  }
}

const DATASET_ENTRY = {
  id: "number", name: "string", version: "number", size_cols: "number", size_rows: "number",
  description: "string", created_at: "string", md5: "string", data_table: "string",
};
const COLUMN_INFO = {
  column_name: "string", original_dtype: "string", converted_dtype: "string", null_count: "number",
  unique_count: "number", min_value_num: "number|null", max_value_num: "number|null", mean: "number|null",
  std: "number|null",
};
const MODEL_ENTRY = {
  id: "number", name: "string", version: "number", dataset_registry_id: "number", estimator_class: "string",
  estimator_type: "string", description: "string", metrics: "object", created_at: "string", target: "string",
  artifact_md5: "string",
};
const CLASSIFIER_METRICS = { n_train: "number", n_test: "number", accuracy: "number", log_loss: "number", macro_f1: "number" };
const REGRESSOR_METRICS = { n_train: "number", n_test: "number", rmse: "number", mae: "number", r2: "number" };
const MODEL_INFO = {
  model: "object", signature: "array", target: "string", classes: "array", metrics: "object",
  spec: "object|null", fitted_by: "object|null", transformers: "array", dataset: "object", artifact_format: "number", mlops_lite_version: "string", smartcore_version: "string",
  versions: "array",
};
const CLASSIFIER_PREDICTION = { reference_id: "string|null", results: "object", label: "string" };
const REGRESSOR_PREDICTION = { reference_id: "string|null", results: "number" };
const LOG_RECORD = {
  call_id: "number", position: "number", created_at: "string", model_id: "number", model_name: "string",
  model_version: "number", reference_id: "string|null", inputs: "array", outputs: "array|number",
};

function assertDatasetEntry(e, what = "DatasetEntry") {
  assertShape(e, DATASET_ENTRY, what);
  assert.ok(Number.isInteger(e.id) && e.id > 0 && Number.isInteger(e.version) && e.version > 0);
  assert.match(e.md5, /^[0-9a-f]{32}$/);
  assert.equal(e.data_table, `data_${e.id}`);
  assert.match(e.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
}

function assertModelEntry(m, what = "ModelEntry") {
  assertShape(m, MODEL_ENTRY, what);
  assert.ok(["classifier", "regressor"].includes(m.estimator_type));
  assertShape(m.metrics, m.estimator_type === "classifier" ? CLASSIFIER_METRICS : REGRESSOR_METRICS, `${what}.metrics`);
  assert.match(m.artifact_md5, /^[0-9a-f]{32}$/);
  assert.match(m.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
}

function assertLogRecord(r, what = "LogRecord") {
  assertShape(r, LOG_RECORD, what);
  assert.match(r.created_at, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  for (const v of r.inputs) assert.ok(v === null || ["number", "string", "boolean"].includes(typeof v));
}

const SMALL_CSV = "x,y,flag,label\n1.5,2,true,a\n0.5,,false,b\n2.5,3,true,a\n0.2,1,false,b\n3,4,true,a\n0.1,0.5,false,b\n2.2,2.1,,a\n0.3,0.2,false,b\n";
const SMALL_ROWS = [
  { x: 1.5, y: 2, flag: true, label: "a" }, { x: 0.5, y: null, flag: false, label: "b" },
  { x: 2.5, y: 3, flag: true, label: "a" }, { x: 0.2, y: 1, flag: false, label: "b" },
  { x: 3, y: 4, flag: true, label: "a" }, { x: 0.1, y: 0.5, flag: false, label: "b" },
  { x: 2.2, y: 2.1, flag: null, label: "a" }, { x: 0.3, y: 0.2, flag: false, label: "b" },
];

describe("a small CSV", () => {
  const reg = new Registry();

  test("a new registry is empty", () => {
    assert.ok(reg instanceof Registry);
    assert.deepEqual(reg.listDatasets(), []);
    assert.deepEqual(reg.listModels(), []);
    assert.deepEqual(reg.log(), []);
    assert.deepEqual(reg.log({}), []);
  });

  test("bindDataset binds once, then recognises the content", () => {
    const bound = reg.bindDataset(SMALL_CSV, "toy", { description: "a toy", label: "toy.csv" });
    assertShape(bound, { dataset: "object", created: "boolean" }, "BoundDataset");
    assertDatasetEntry(bound.dataset);
    assert.equal(bound.created, true);
    assert.deepEqual(
      { ...bound.dataset, created_at: undefined, md5: undefined },
      { id: 1, name: "toy", version: 1, size_cols: 4, size_rows: 8, description: "a toy", created_at: undefined, md5: undefined, data_table: "data_1" },
    );
    const again = reg.bindDataset(SMALL_CSV, "toy");
    assert.equal(again.created, false);
    assert.deepEqual(again.dataset, bound.dataset);
    // The same values from bytes, with an explicit format, are the same content.
    const bytes = reg.bindDataset(new TextEncoder().encode(SMALL_CSV), "toy", { format: "csv" });
    assert.equal(bytes.created, false);
    assert.equal(bytes.dataset.md5, bound.dataset.md5);
    assert.equal(reg.listDatasets().length, 1);
  });

  test("other content is the next version; the same content under another name is bound there", () => {
    const v2 = reg.bindDataset(SMALL_CSV.replace("1.5,2,", "1.6,2,"), "toy");
    assert.equal(v2.created, true);
    assert.equal(v2.dataset.version, 2);
    assert.notEqual(v2.dataset.md5, reg.listDatasets()[0].md5);
    const copy = reg.bindDataset(SMALL_CSV, "toy-copy");
    assert.equal(copy.created, true);
    assert.equal(copy.dataset.version, 1);
    assert.equal(copy.dataset.md5, reg.listDatasets()[0].md5);
    const list = reg.listDatasets();
    assert.deepEqual(list.map((d) => [d.id, d.name, d.version]), [[1, "toy", 1], [2, "toy", 2], [3, "toy-copy", 1]]);
    list.forEach((d, i) => assertDatasetEntry(d, `listDatasets()[${i}]`));
  });

  test("JSON data: an array of records or an object of columns", () => {
    const rows = reg.bindDataset('[{"a": 1, "b": true, "c": "x"}, {"a": 2.5, "b": false, "c": null}]', "json-rows");
    assert.equal(rows.created, true);
    assert.deepEqual(reg.pullDataset("json-rows").rows, [{ a: 1, b: true, c: "x" }, { a: 2.5, b: false, c: null }]);
    const cols = reg.bindDataset(' {"a": [1, 2], "b": ["u", "v"]}', "json-cols", { format: "json" });
    assert.deepEqual(reg.pullDataset(cols.dataset.name).rows, [{ a: 1, b: "u" }, { a: 2, b: "v" }]);
  });

  test("datasetInfo summarises every column", () => {
    const info = reg.datasetInfo("toy@1");
    assert.equal(info.length, 4);
    info.forEach((c, i) => assertShape(c, COLUMN_INFO, `datasetInfo("toy@1")[${i}]`));
    assert.deepEqual(info.map((c) => [c.column_name, c.original_dtype, c.converted_dtype, c.null_count, c.unique_count]), [
      ["x", "float64", "Float64", 0, 8],
      ["y", "float64", "Float64", 1, 7],
      ["flag", "object", "boolean", 1, 2],
      ["label", "object", "string", 0, 2],
    ]);
    assert.equal(info[0].min_value_num, 0.1);
    assert.equal(info[0].max_value_num, 3);
    assert.equal(info[0].mean, 1.2875);
    assert.equal(info[3].mean, null);
    assert.equal(info[3].std, null);
  });

  test("pullDataset gives the rows back exactly, by id, name or name@version", () => {
    const pulled = reg.pullDataset("toy@1");
    assertShape(pulled, { dataset: "object", rows: "array" }, "PulledDataset");
    assertDatasetEntry(pulled.dataset);
    assert.deepEqual(pulled.dataset, reg.listDatasets()[0]);
    assert.deepEqual(pulled.rows, SMALL_ROWS);
    assert.deepEqual(reg.pullDataset("1"), pulled);
    assert.equal(reg.pullDataset("toy").dataset.version, 2);
    assert.equal(reg.pullDataset("toy").rows[0].x, 1.6);
  });

  test("trainModel trains and binds a classifier; the same artifact again writes nothing", () => {
    const bound = reg.trainModel({ dataset: "toy@1", name: "toy-clf", target: "label", description: "first" });
    assertShape(bound, { model: "object", created: "boolean" }, "BoundModel");
    assertModelEntry(bound.model);
    assert.equal(bound.created, true);
    assert.deepEqual(
      [bound.model.id, bound.model.name, bound.model.version, bound.model.dataset_registry_id, bound.model.estimator_class,
        bound.model.estimator_type, bound.model.description, bound.model.target],
      [1, "toy-clf", 1, 1, "LogisticRegression", "classifier", "first", "label"],
    );
    assert.equal(bound.model.metrics.n_train + bound.model.metrics.n_test, 8);
    const again = reg.trainModel({ dataset: "toy@1", name: "toy-clf", target: "label" });
    assert.equal(again.created, false);
    assert.deepEqual(again.model, bound.model);
    const v2 = reg.trainModel({ dataset: "toy@1", name: "toy-clf", target: "label", seed: 7, test_size: 0.5 });
    assert.equal(v2.created, true);
    assert.equal(v2.model.version, 2);
    assert.equal(v2.model.metrics.n_test, 4);
  });

  test("trainModel takes an estimator by name or with hyper-parameters, and a full spec", () => {
    const tree = reg.trainModel({ dataset: "toy@1", name: "toy-tree", target: "label", estimator: "decision_tree_classifier" });
    assert.equal(tree.model.estimator_class, "DecisionTreeClassifier");
    const lr = reg.trainModel({
      dataset: "toy@1", name: "toy-spec", target: "label", features: ["x", "flag"],
      transformers: [
        { name: "num", columns: ["x"], steps: [{ step: "simple_imputer", strategy: "mean" }, { step: "min_max_scaler" }] },
        { name: "flag", columns: ["flag"], steps: [{ step: "simple_imputer", strategy: "most_frequent" }] },
      ],
      estimator: { estimator: "logistic_regression", alpha: 0.5 },
      test_size: 0.25, seed: 1,
    });
    assert.equal(lr.model.estimator_class, "LogisticRegression");
    const info = reg.modelInfo("toy-spec");
    assert.deepEqual(info.signature, [{ name: "x", dtype: "Float64" }, { name: "flag", dtype: "boolean" }]);
    assert.deepEqual(info.spec.estimator, { estimator: "logistic_regression", alpha: 0.5 });
    assert.equal(info.spec.seed, 1);
    const reg2 = reg.trainModel({ dataset: "toy@1", name: "toy-ridge", target: "x", estimator: "ridge" });
    assertModelEntry(reg2.model);
    assert.equal(reg2.model.estimator_type, "regressor");
    assert.equal(reg2.model.estimator_class, "Ridge");
  });

  test("modelInfo describes a model, its lineage and versions", () => {
    const info = reg.modelInfo("toy-clf@1");
    assertShape(info, MODEL_INFO, "ModelInfo");
    assertModelEntry(info.model, "ModelInfo.model");
    assert.deepEqual(info.model, reg.listModels()[0]);
    assert.deepEqual(info.signature, [{ name: "x", dtype: "Float64" }, { name: "y", dtype: "Float64" }, { name: "flag", dtype: "boolean" }]);
    info.signature.forEach((f, i) => assertShape(f, { name: "string", dtype: "string" }, `signature[${i}]`));
    assert.equal(info.target, "label");
    assert.deepEqual(info.classes, ["a", "b"]);
    assert.deepEqual(info.metrics, info.model.metrics);
    assert.equal(info.spec.target, "label");
    assert.deepEqual(info.dataset, reg.listDatasets()[0]);
    assert.equal(info.artifact_format, 1);
    assert.match(info.mlops_lite_version, /^\d+\.\d+\.\d+/);
    assert.match(info.smartcore_version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(info.versions.map((m) => [m.name, m.version]), [["toy-clf", 1], ["toy-clf", 2]]);
    info.versions.forEach((m, i) => assertModelEntry(m, `versions[${i}]`));
    assert.equal(reg.modelInfo("1").model.id, 1);
    assert.equal(reg.modelInfo("toy-clf").model.version, 2);
  });

  test("listModels lists every version", () => {
    const models = reg.listModels();
    assert.deepEqual(models.map((m) => `${m.name}@${m.version}`), ["toy-clf@1", "toy-clf@2", "toy-tree@1", "toy-spec@1", "toy-ridge@1"]);
    models.forEach((m, i) => assertModelEntry(m, `listModels()[${i}]`));
  });

  test("predict gives class probabilities and labels, or a regression value", () => {
    const records = [{ x: 2, y: 2, flag: true }, { reference_id: "r-1", x: 0.1 }, { reference_id: 42, y: null, flag: false }];
    const predictions = reg.predict("toy-clf@1", records);
    assert.equal(predictions.length, 3);
    predictions.forEach((p, i) => {
      assertShape(p, CLASSIFIER_PREDICTION, `predictions[${i}]`);
      assert.deepEqual(Object.keys(p.results), ["a", "b"]);
      const sum = p.results.a + p.results.b;
      assert.ok(Math.abs(sum - 1) < 1e-12, `probabilities sum to ${sum}`);
      assert.equal(p.label, p.results.a >= p.results.b ? "a" : "b");
    });
    assert.deepEqual(predictions.map((p) => p.reference_id), [null, "r-1", "42"]);
    // Deterministic, and the same with the options object, undefined or empty.
    assert.deepEqual(reg.predict("toy-clf@1", records, {}), predictions);
    assert.deepEqual(reg.predict("toy-clf@1", records, undefined), predictions);
    assert.deepEqual(reg.predict("toy-clf@1", records, { log: false }), predictions);
    assert.deepEqual(reg.predict("toy-clf@1", []), []);
    assert.deepEqual(reg.log(), [], "nothing was logged without {log: true}");

    const values = reg.predict("toy-ridge", [{ y: 2, flag: true, label: "a" }, { reference_id: "r" }]);
    values.forEach((p, i) => assertShape(p, REGRESSOR_PREDICTION, `regression[${i}]`));
    assert.ok(values.every((p) => Number.isFinite(p.results)));
  });

  test("predict also takes the records' JSON text, as a string or UTF-8 bytes", () => {
    const records = [{ x: 2, y: 2, flag: true }, { reference_id: "r-1", x: 0.1 }, { reference_id: 42, y: null, flag: false }];
    const expected = reg.predict("toy-clf@1", records);
    const text = JSON.stringify(records);
    assert.deepEqual(reg.predict("toy-clf@1", text), expected);
    assert.deepEqual(reg.predict("toy-clf@1", new TextEncoder().encode(text), { log: false }), expected);
    assert.deepEqual(reg.predict("toy-ridge", '[{"y": 2}]'), reg.predict("toy-ridge", [{ y: 2 }]));
    assert.deepEqual(reg.predict("toy-clf@1", "[]"), []);
    assert.deepEqual(reg.log(), []);
  });

  test("predict with {log: true} writes the log; log() reads and filters it", () => {
    const first = reg.predict("toy-clf@1", [{ x: 2, y: 2, flag: true }, { reference_id: "r-1", x: 0.1 }], { log: true });
    const second = reg.predict("toy-ridge", [{ reference_id: "r-1", y: 2 }], { log: true });
    const log = reg.log();
    assert.equal(log.length, 3);
    log.forEach((r, i) => assertLogRecord(r, `log()[${i}]`));
    assert.deepEqual(
      log.map((r) => [r.call_id, r.position, r.model_id, r.model_name, r.model_version, r.reference_id]),
      [[1, 0, 1, "toy-clf", 1, null], [1, 1, 1, "toy-clf", 1, "r-1"], [2, 0, 5, "toy-ridge", 1, "r-1"]],
    );
    // Inputs in signature order (x, y, flag), outputs in class order, or the value.
    assert.deepEqual(log[0].inputs, [2, 2, true]);
    assert.deepEqual(log[1].inputs, [0.1, null, null]);
    assert.deepEqual(log[0].outputs, [first[0].results.a, first[0].results.b]);
    assert.deepEqual(log[1].outputs, [first[1].results.a, first[1].results.b]);
    assert.deepEqual(log[2].inputs, [2, null, null]);
    assert.equal(log[2].outputs, second[0].results);

    assert.deepEqual(reg.log({ model: "toy-clf@1" }), log.slice(0, 2));
    assert.deepEqual(reg.log({ model: "toy-ridge" }), log.slice(2));
    assert.deepEqual(reg.log({ model: "toy-clf@2" }), []);
    assert.deepEqual(reg.log({ referenceId: "r-1" }), log.slice(1));
    assert.deepEqual(reg.log({ model: "toy-clf", referenceId: "r-1" }), [], "toy-clf is version 2, which logged nothing");
    assert.deepEqual(reg.log({ limit: 1 }), log.slice(2), "limit keeps the newest records");
    assert.deepEqual(reg.log({ limit: 2 }), log.slice(1));
    assert.deepEqual(reg.log({ since: "2000-01-01" }), log);
    assert.deepEqual(reg.log({ until: "2000-01-01 00:00" }), []);
    assert.deepEqual(reg.log({ since: "2999-12-31 23:59:59" }), []);
    assert.deepEqual(reg.log({ until: "2999-12-31" }), log);
    assert.deepEqual(reg.log(undefined), log);
    assert.deepEqual(reg.log(null), log);
  });

  test("export gives a SQLite file that Registry.open reads back (Uint8Array, Buffer, ArrayBuffer)", () => {
    const bytes = reg.export();
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 16)), "SQLite format 3\0");
    assert.deepEqual(reg.export(), bytes, "export() is deterministic");
    const copies = [
      Registry.open(bytes),
      Registry.open(Buffer.from(bytes)),
      Registry.open(bytes.slice().buffer),
      Registry.open(new Uint8Array(bytes)),
    ];
    for (const copy of copies) {
      assert.ok(copy instanceof Registry);
      assert.deepEqual(copy.listDatasets(), reg.listDatasets());
      assert.deepEqual(copy.listModels(), reg.listModels());
      assert.deepEqual(copy.log(), reg.log());
      assert.deepEqual(copy.pullDataset("toy@1"), reg.pullDataset("toy@1"));
      assert.deepEqual(copy.modelInfo("toy-spec"), reg.modelInfo("toy-spec"));
      assert.deepEqual(copy.predict("toy-clf@1", [{ x: 1 }]), reg.predict("toy-clf@1", [{ x: 1 }]));
    }
    // A copy is independent of the original.
    copies[0].bindDataset("a\n1\n", "only-in-copy");
    assert.equal(copies[0].listDatasets().length, reg.listDatasets().length + 1);
    assert.ok(!reg.listDatasets().some((d) => d.name === "only-in-copy"));
    for (const copy of copies) copy.free();
  });

  test("empty bytes open as an empty registry", () => {
    const empty = Registry.open(new Uint8Array(0));
    assert.deepEqual(empty.listDatasets(), []);
    empty.bindDataset("a\n1\n", "a");
    assert.equal(Registry.open(empty.export()).listDatasets().length, 1);
    empty.free();
  });
});

describe("iris (the CLI's bundled sample, bound from data/iris.csv)", () => {
  const reg = new Registry();

  test("binds with the same md5 as the CLI's `dataset add --sample iris`", () => {
    const { dataset, created } = reg.bindDataset(IRIS_CSV, "iris", { description: "Iris plants" });
    assert.equal(created, true);
    assertDatasetEntry(dataset);
    assert.deepEqual([dataset.size_rows, dataset.size_cols, dataset.md5], [150, 5, "1691b6054247506429b07bc1fa364ee3"]);
  });

  test("datasetInfo: the repository README's table", () => {
    const info = reg.datasetInfo("iris");
    info.forEach((c, i) => assertShape(c, COLUMN_INFO, `datasetInfo("iris")[${i}]`));
    const round = (v) => (v === null ? null : Number(v.toFixed(6)));
    assert.deepEqual(
      info.map((c) => [c.column_name, c.original_dtype, c.converted_dtype, c.null_count, c.unique_count, c.min_value_num, c.max_value_num, round(c.mean), round(c.std)]),
      [
        ["sepal length (cm)", "float64", "Float64", 0, 35, 4.3, 7.9, 5.843333, 0.828066],
        ["sepal width (cm)", "float64", "Float64", 0, 23, 2, 4.4, 3.057333, 0.435866],
        ["petal length (cm)", "float64", "Float64", 0, 43, 1, 6.9, 3.758, 1.765298],
        ["petal width (cm)", "float64", "Float64", 0, 22, 0.1, 2.5, 1.199333, 0.762238],
        ["target", "object", "string", 0, 3, null, null, null, null],
      ],
    );
  });

  test("pullDataset gives the CSV's 150 rows", () => {
    const { rows } = reg.pullDataset("iris@1");
    const [header, ...lines] = IRIS_CSV.trim().split("\n");
    const cols = header.split(",");
    assert.deepEqual(rows, lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], i < 4 ? Number(v) : v]))));
  });

  test("the default pipeline: LogisticRegression, held-out accuracy 0.947368 on 38 rows", () => {
    const { model } = reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
    assertModelEntry(model);
    assert.equal(model.estimator_class, "LogisticRegression");
    assert.deepEqual([model.metrics.n_train, model.metrics.n_test, model.metrics.accuracy.toFixed(6)], [112, 38, "0.947368"]);
    const info = reg.modelInfo("iris-lr");
    assert.deepEqual(info.classes, ["setosa", "versicolor", "virginica"]);
    assert.deepEqual(info.signature.map((f) => f.name), IRIS_FEATURES);
  });

  test("every estimator trains and predicts in WebAssembly", () => {
    const classifiers = { decision_tree_classifier: "DecisionTreeClassifier", random_forest_classifier: "RandomForestClassifier", knn_classifier: "KNeighborsClassifier", gaussian_nb: "GaussianNB" };
    for (const [estimator, cls] of Object.entries(classifiers)) {
      const { model } = reg.trainModel({ dataset: "iris", name: `iris-${estimator}`, target: "target", estimator });
      assertModelEntry(model);
      assert.equal(model.estimator_class, cls);
      assert.ok(model.metrics.accuracy > 0.85, `${estimator}: accuracy ${model.metrics.accuracy}`);
      const [p] = reg.predict(model.name, [README_RECORDS[0]]);
      assertShape(p, CLASSIFIER_PREDICTION, estimator);
      assert.equal(p.label, "setosa");
    }
    const regressors = { linear_regression: "LinearRegression", ridge: "Ridge", lasso: "Lasso", elastic_net: "ElasticNet", decision_tree_regressor: "DecisionTreeRegressor", random_forest_regressor: "RandomForestRegressor", knn_regressor: "KNeighborsRegressor" };
    for (const [estimator, cls] of Object.entries(regressors)) {
      const { model } = reg.trainModel({ dataset: "iris", name: `petal-${estimator}`, target: "petal width (cm)", estimator });
      assertModelEntry(model);
      assert.equal(model.estimator_class, cls);
      const [p] = reg.predict(model.name, [{ "sepal length (cm)": 5.1, target: "setosa" }]);
      assertShape(p, REGRESSOR_PREDICTION, estimator);
    }
  });

  test("predicts all 150 rows (logged) and the README's two records", () => {
    const records = irisRecords();
    const predictions = reg.predict("iris-lr", records, { log: true });
    assert.equal(predictions.length, 150);
    const { rows } = reg.pullDataset("iris");
    const correct = predictions.filter((p, i) => p.label === rows[i].target).length;
    assert.ok(correct >= 140, `only ${correct} of 150 right`);
    const readme = reg.predict("iris-lr", README_RECORDS, { log: true });
    assert.deepEqual(readme.map((p) => [p.reference_id, p.label]), [[null, "setosa"], ["order-17", "versicolor"]]);
    const log = reg.log({ model: "iris-lr" });
    assert.equal(log.length, 152);
    assert.deepEqual(reg.log({ referenceId: "order-17" }).map((r) => [r.call_id, r.position, r.inputs]), [[2, 1, [6.3, 2.9, 5.6, null]]]);
    assert.deepEqual(log.slice(0, 150).map((r) => r.outputs), predictions.map((p) => Object.values(p.results)));
  });

  test("export and open keep everything", () => {
    const copy = Registry.open(reg.export());
    assert.deepEqual(copy.listDatasets(), reg.listDatasets());
    assert.deepEqual(copy.listModels(), reg.listModels());
    assert.deepEqual(copy.log(), reg.log());
    assert.deepEqual(copy.predict("iris-lr", irisRecords()), reg.predict("iris-lr", irisRecords()));
    copy.free();
  });
});

// Regression test, fixed bug (src/pipeline/metrics.rs): macro_f1 averages over every class of the model,
// counting a class absent from both the held-out rows and the predictions as F1 = 0, where
// scikit-learn's f1_score(average="macro") averages over the labels present in y_true or
// y_pred. On these 12 rows the default split holds out 3 apples, all predicted right:
// trainModel gives accuracy 1 and macro_f1 0.5 (scikit-learn: 1.0).
test("macro_f1 is 1 when every held-out row is predicted right", () => {
  const reg = new Registry();
  reg.bindDataset(
    "weight_g,diameter_cm,colour,fruit\n150,7.5,red,apple\n170,8.0,green,apple\n140,7.0,red,apple\n160,7.8,,apple\n" +
      "180,8.2,green,apple\n155,7.4,red,apple\n130,7.2,orange,orange\n140,7.6,orange,orange\n120,6.9,orange,orange\n" +
      "135,7.3,orange,orange\n125,7.0,,orange\n145,7.7,orange,orange\n",
    "fruit12",
  );
  const { metrics } = reg.trainModel({ dataset: "fruit12", name: "f", target: "fruit" }).model;
  assert.equal(metrics.accuracy, 1);
  assert.equal(metrics.macro_f1, 1);
});
