// Type-checked (never run) by test/types.test.mjs with `tsc --noEmit --strict` against the
// package's own types (resolved as "mlops-lite" through package.json's exports): every
// method, every result shape with explicit types, and wrong arguments that must not compile.
import { init, Registry } from "mlops-lite";
import type {
  BindOptions, BoundDataset, BoundModel, ColumnInfo, DatasetEntry, Estimator, Feature, LogFilter, LogRecord,
  Metrics, ModelEntry, ModelInfo, PredictOptions, PredictRecord, Prediction, PulledDataset, Step, TrainOptions,
  Transformer, Value,
} from "mlops-lite";

const ready: Promise<unknown> = init();
await ready;
await init(new URL("https://example.com/mlops_lite_bg.wasm"));
await init("/static/mlops_lite_bg.wasm");
await init(new Uint8Array(8));

// Registries: new, open (Uint8Array or ArrayBuffer), export.
const reg: Registry = new Registry();
const bytes: Uint8Array = reg.export();
const opened: Registry = Registry.open(bytes);
const fromBuffer: Registry = Registry.open(bytes.slice().buffer);
fromBuffer.free();
{
  using scoped = Registry.open(new Uint8Array(0));
  const none: DatasetEntry[] = scoped.listDatasets();
  void none;
}

// Datasets.
const bindOptions: BindOptions = { description: "a toy", format: "csv", label: "toy.csv" };
const bound: BoundDataset = reg.bindDataset("x,y,label\n1,2,a\n", "toy", bindOptions);
const created: boolean = bound.created;
const again: BoundDataset = reg.bindDataset(new TextEncoder().encode("x\n1\n"), "bytes", { format: "json" });
const noOptions: BoundDataset = reg.bindDataset("x\n1\n", "plain", undefined);

const datasets: DatasetEntry[] = reg.listDatasets();
const d: DatasetEntry = datasets[0];
const datasetFields: [number, string, number, number, number, string, string, string, string] = [
  d.id, d.name, d.version, d.size_cols, d.size_rows, d.description, d.created_at, d.md5, d.data_table,
];

const info: ColumnInfo[] = reg.datasetInfo("toy");
const c: ColumnInfo = info[0];
const columnName: string = c.column_name;
const originalDtype: string = c.original_dtype;
const dtype: "Int64" | "Float64" | "boolean" | "string" = c.converted_dtype;
const counts: [number, number] = [c.null_count, c.unique_count];
const stats: (number | null)[] = [c.min_value_num, c.max_value_num, c.mean, c.std];

const pulled: PulledDataset = reg.pullDataset("toy@1");
const pulledEntry: DatasetEntry = pulled.dataset;
const rows: Record<string, Value>[] = pulled.rows;
const cell: Value = rows[0]["x"];
const cellKinds: number | string | boolean | null = cell;

// Models.
const steps: Step[] = [
  { step: "simple_imputer", strategy: "constant", fill_value: 0 },
  { step: "simple_imputer", strategy: "median" },
  { step: "standard_scaler" }, { step: "min_max_scaler" }, { step: "one_hot_encoder" }, { step: "ordinal_encoder" },
];
const transformers: Transformer[] = [{ name: "num", columns: ["x", "y"], steps }, { name: "raw", columns: ["z"] }];
const estimator: Estimator = { estimator: "logistic_regression", alpha: 1 };
const trainOptions: TrainOptions = {
  dataset: "toy", name: "toy-lr", description: "first", target: "label", features: ["x", "y"], transformers,
  estimator, test_size: 0.25, seed: 42,
};
const boundModel: BoundModel = reg.trainModel(trainOptions);
const modelCreated: boolean = boundModel.created;
const byName: BoundModel = reg.trainModel({ dataset: "toy", name: "toy-rf", target: "label", estimator: "random_forest_classifier" });

const models: ModelEntry[] = reg.listModels();
const m: ModelEntry = models[0];
const modelFields: [number, string, number, number, string, "classifier" | "regressor", string, Metrics, string, string, string] = [
  m.id, m.name, m.version, m.dataset_registry_id, m.estimator_class, m.estimator_type, m.description, m.metrics,
  m.created_at, m.target, m.artifact_md5,
];
const metrics: Metrics = m.metrics;
const sizes: [number, number] = [metrics.n_train, metrics.n_test];
const classifierMetrics: (number | undefined)[] = [metrics.accuracy, metrics.log_loss, metrics.macro_f1];
const regressorMetrics: (number | undefined)[] = [metrics.rmse, metrics.mae, metrics.r2];

const modelInfo: ModelInfo = reg.modelInfo("toy-lr@1");
const infoModel: ModelEntry = modelInfo.model;
const signature: Feature[] = modelInfo.signature;
const feature: [string, "Int64" | "Float64" | "boolean" | "string"] = [signature[0].name, signature[0].dtype];
const infoTarget: string = modelInfo.target;
const classes: string[] = modelInfo.classes;
const infoMetrics: Metrics = modelInfo.metrics;
const spec: object | null = modelInfo.spec;
const fittedBy: string | undefined = modelInfo.fitted_by?.library;
const groups: string[][] = modelInfo.transformers.map((g) => [g.name, ...g.columns, ...g.steps]);
const lineage: DatasetEntry = modelInfo.dataset;
const versions: ModelEntry[] = modelInfo.versions;
const provenance: [number, string, string] = [modelInfo.artifact_format, modelInfo.mlops_lite_version, modelInfo.smartcore_version];

// Predictions and the log.
const records: PredictRecord[] = [
  { x: 1.5, y: null, label: "a", flag: true },
  { reference_id: "order-17", x: 2 },
  { reference_id: 17 },
  { reference_id: null, x: undefined },
];
const predictOptions: PredictOptions = { log: true };
const predictions: Prediction[] = reg.predict("toy-lr", records, predictOptions);
const p: Prediction = predictions[0];
const referenceId: string | null = p.reference_id;
const results: Record<string, number> | number = p.results;
const probability: number = typeof p.results === "number" ? p.results : p.results["a"];
const label: string | undefined = p.label;
const unlogged: Prediction[] = reg.predict("toy-lr", [], undefined);
const fromText: Prediction[] = reg.predict("toy-lr", JSON.stringify(records), { log: false });
const fromBytes: Prediction[] = reg.predict("toy-lr", new TextEncoder().encode("[]"), {});

const filter: LogFilter = { model: "toy-lr@1", referenceId: "order-17", since: "2026-01-01", until: "2027-01-01 00:00", limit: 10 };
const log: LogRecord[] = reg.log(filter);
const everything: LogRecord[] = reg.log(undefined);
const r: LogRecord = log[0];
const logFields: [number, number, string, number, string, number, string | null, Value[], number[] | number] = [
  r.call_id, r.position, r.created_at, r.model_id, r.model_name, r.model_version, r.reference_id, r.inputs, r.outputs,
];

// Every method returns exactly its declared type (not `any`, not something wider).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const exactResults: [
  Equal<ReturnType<typeof Registry.open>, Registry>,
  Equal<ReturnType<Registry["export"]>, Uint8Array>,
  Equal<ReturnType<Registry["listDatasets"]>, DatasetEntry[]>,
  Equal<ReturnType<Registry["datasetInfo"]>, ColumnInfo[]>,
  Equal<ReturnType<Registry["pullDataset"]>, PulledDataset>,
  Equal<ReturnType<Registry["bindDataset"]>, BoundDataset>,
  Equal<ReturnType<Registry["listModels"]>, ModelEntry[]>,
  Equal<ReturnType<Registry["modelInfo"]>, ModelInfo>,
  Equal<ReturnType<Registry["trainModel"]>, BoundModel>,
  Equal<ReturnType<Registry["predict"]>, Prediction[]>,
  Equal<ReturnType<Registry["log"]>, LogRecord[]>,
  Equal<ReturnType<Registry["free"]>, void>,
  Equal<PulledDataset["rows"], Record<string, Value>[]>,
  Equal<Prediction["results"], Record<string, number> | number>,
  Equal<LogRecord["outputs"], number[] | number>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// Wrong argument types must not compile.
// @ts-expect-error a number is not a dataset reference
reg.datasetInfo(1);
// @ts-expect-error a number is not a dataset reference
reg.pullDataset(1);
// @ts-expect-error a number is not a model reference
reg.modelInfo(1);
// @ts-expect-error the data is a string or bytes
reg.bindDataset(5, "x", {});
// @ts-expect-error the name is a string
reg.bindDataset("x\n1\n", 5, {});
// @ts-expect-error an unknown format
reg.bindDataset("x\n1\n", "x", { format: "xlsx" });
// @ts-expect-error an unknown bind option
reg.bindDataset("x\n1\n", "x", { descripton: "typo" });
// @ts-expect-error a string is not bytes
Registry.open("mlops-lite.db");
// @ts-expect-error an object is not bytes
Registry.open({});
// @ts-expect-error trainModel needs name and target
reg.trainModel({ dataset: "toy" });
// @ts-expect-error test_size is a number
reg.trainModel({ dataset: "toy", name: "m", target: "label", test_size: "0.25" });
// @ts-expect-error an unknown step
reg.trainModel({ dataset: "toy", name: "m", target: "label", transformers: [{ name: "t", columns: ["x"], steps: [{ step: "pca" }] }] });
// @ts-expect-error records are an array
reg.predict("toy-lr", { x: 1 }, {});
// @ts-expect-error null is not an array of records
reg.predict("toy-lr", null, {});
// @ts-expect-error a model reference is a string
reg.predict(1, [], {});
// @ts-expect-error a feature value is a number, string, boolean or null
reg.predict("toy-lr", [{ x: { cm: 1 } }], {});
// @ts-expect-error log is a boolean
reg.predict("toy-lr", [], { log: "yes" });
// @ts-expect-error limit is a number
reg.log({ limit: "10" });
// @ts-expect-error the filter key is referenceId
reg.log({ reference_id: "order-17" });
// @ts-expect-error a registry is not exported as a string
const notText: string = reg.export();
// @ts-expect-error results may be a number (a regressor)
const notAlwaysObject: Record<string, number> = p.results;
// @ts-expect-error label may be missing (a regressor)
const notAlwaysLabel: string = p.label;
// @ts-expect-error a reference id is returned as a string or null
const notNumber: number = p.reference_id;

export const used = [
  opened, created, again, noOptions, datasetFields, columnName, originalDtype, dtype, counts, stats, pulledEntry,
  cellKinds, modelCreated, byName, modelFields, sizes, classifierMetrics, regressorMetrics, infoModel, feature, infoTarget,
  classes, infoMetrics, spec, lineage, versions, provenance, referenceId, results, probability, label, unlogged, fromText, fromBytes,
  everything, logFields, exactResults, notText, notAlwaysObject, notAlwaysLabel, notNumber,
];
