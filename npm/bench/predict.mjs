// The wasm side of `cargo bench --bench predict` (which runs this with Node in the same
// run): predict throughput of the README's iris pipeline on the same records, from the same
// input forms as the native side: JSON bytes (Uint8Array), a JSON string, Float64Array
// columns (10,000 and 1,000,000 records); from JS objects (the usual call, no native
// counterpart); logged into this in-memory registry; and the time to open a large registry
// from bytes. Predictions come back as columns (`{output: "columns"}`), as the native
// `Predictions` are, except `objects_rows`: the usual call, one result object per record.
// Each batch figure is {median, best} records/s over the rounds.
// Usage: node npm/bench/predict.mjs RECORDS.json ROUNDS [BIG.db]
import { readFileSync } from "node:fs";
import { Registry } from "../node.js";

const [recordsPath, roundsText, bigDb] = process.argv.slice(2);
const rounds = Number(roundsText ?? 20);
const records = JSON.parse(readFileSync(recordsPath, "utf8"));
const iris = readFileSync(new URL("../../data/iris.csv", import.meta.url), "utf8");

const reg = new Registry();
reg.bindDataset(iris, "iris");
reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
reg.predict("iris-lr", records); // warm up: loads and caches the model

// Records/s of the median and of the best of `rounds` calls of `call` on n records.
const rates = (n, rounds, call) => {
  call(); // warm up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    call();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const rate = (ms) => n / (ms / 1000);
  return { median: rate(times[Math.round((times.length - 1) / 2)]), best: rate(times[0]) };
};
const rows = (log, input, output = "columns") => rates(records.length, rounds, () => {
  const out = reg.predict("iris-lr", input, { log, output });
  if ((output === "columns" ? out.label_index : out).length !== records.length) throw new Error("lost records");
});

const text = JSON.stringify(records);
const bytes = new TextEncoder().encode(text);
// The same records as columns (one Float64Array per feature), and 1,000,000 records made by
// repeating them: the columnar path the native bench measures on the same values.
const features = Object.keys(records[0]).filter((k) => k !== "reference_id");
const columnsOf = (reps) => {
  const n = records.length * reps;
  return Object.fromEntries(features.map((f) => {
    const col = new Float64Array(n);
    for (let r = 0; r < reps; r++) records.forEach((rec, i) => { col[r * records.length + i] = rec[f] ?? NaN; });
    return [f, col];
  }));
};
const columns = (cols, n, rounds) => rates(n, rounds, () => {
  // Numbers out, as native: class indices (`label_index`); the label strings are made only
  // when read.
  const out = reg.predict("iris-lr", { columns: cols }, { output: "columns" });
  if (out.label_index.length !== n) throw new Error("lost records");
});
const reps = Math.round(1_000_000 / records.length);
const result = {
  objects: rows(false, records),
  objects_rows: rows(false, records, "records"),
  json_text: rows(false, text),
  json_bytes: rows(false, bytes),
  columns_10k: columns(columnsOf(1), records.length, rounds),
  columns_1m: columns(columnsOf(reps), records.length * reps, 5),
  log_json_bytes: rows(true, bytes),
  objects_log: rows(true, records),
};
if (bigDb) {
  const bytes = readFileSync(bigDb);
  const start = performance.now();
  const big = Registry.open(bytes);
  const n = big.listDatasets().length;
  result.open_ms = performance.now() - start;
  result.open_mb = bytes.length / 1e6;
  result.open_datasets = n;
}
console.log(JSON.stringify(result));
