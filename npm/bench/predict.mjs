// The wasm side of `cargo bench --bench predict` (which runs this with Node in the same
// run): predict throughput of the README's iris pipeline on the same records, without and
// with logging, and the time to open a large registry from bytes. Records are given as JS
// objects (the usual call), and as their JSON text and bytes (what the native side reads).
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

const text = JSON.stringify(records);
const bytes = new TextEncoder().encode(text);
const best = (log, input = records) => {
  let t = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const out = reg.predict("iris-lr", input, { log });
    t = Math.min(t, performance.now() - start);
    if (out.length !== records.length) throw new Error("lost records");
  }
  return records.length / (t / 1000);
};
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
const bestColumns = (columns, n, rounds, options = {}) => {
  let t = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const out = reg.predict("iris-lr", { columns }, { output: "columns", ...options });
    t = Math.min(t, performance.now() - start);
    if (out.label.length !== n) throw new Error("lost records");
  }
  return n / (t / 1000);
};
const reps = Math.round(1_000_000 / records.length);
const result = {
  nolog: best(false),
  nolog_json_text: best(false, text),
  nolog_json_bytes: best(false, bytes),
  log: best(true),
  columns_10k: bestColumns(columnsOf(1), records.length, rounds),
  columns_1m: bestColumns(columnsOf(reps), records.length * reps, 5),
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
