// A quick look at the npm package's predict speed by input form, for size/speed trade-offs
// of the wasm build (docs/WASM-SIZE.md): 10,000 iris records as a JSON string, JSON bytes,
// Float64Array columns (10,000 and 1,000,000) and JS objects, `{output: "columns"}`, median of
// 30 calls (9 for 1,000,000). No native counterpart: scripts/bench-predict.sh gives those.
// Usage: node npm/bench/forms.mjs RECORDS.json [PACKAGE_DIR (default: npm/)]
// RECORDS.json: target/bench-data/records.json, written by scripts/bench-predict.sh.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [recordsPath, dir] = process.argv.slice(2);
const pkg = dir ? pathToFileURL(resolve(dir, "node.js")).href : new URL("../node.js", import.meta.url).href;
const { Registry } = await import(pkg);
const records = JSON.parse(readFileSync(recordsPath, "utf8"));
const iris = readFileSync(new URL("../../data/iris.csv", import.meta.url), "utf8");
const reg = new Registry();
reg.bindDataset(iris, "iris");
reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
const text = JSON.stringify(records);
const bytes = new TextEncoder().encode(text);
const features = Object.keys(records[0]).filter((k) => k !== "reference_id");
const cols = Object.fromEntries(features.map((f) => [f, Float64Array.from(records, (r) => r[f] ?? NaN)]));
const n = 1_000_000;
const reps = Math.ceil(n / records.length);
const big = Object.fromEntries(features.map((f) => {
  const c = new Float64Array(reps * records.length);
  for (let r = 0; r < reps; r++) c.set(cols[f], r * records.length);
  return [f, c];
}));
const rate = (input, count, rounds = 30) => {
  const t = [];
  for (let i = 0; i < rounds; i++) {
    const s = performance.now();
    const out = reg.predict("iris-lr", input, { output: "columns" });
    t.push(performance.now() - s);
    if (out.label_index.length !== count) throw new Error("lost records");
  }
  t.sort((a, b) => a - b);
  return `${(count / t[Math.floor(t.length / 2)] / 1000).toFixed(2)}M/s`;
};
console.log([
  `json string ${rate(text, records.length)}`,
  `json bytes ${rate(bytes, records.length)}`,
  `columns 10k ${rate({ columns: cols }, records.length)}`,
  `columns 1M ${rate({ columns: big }, reps * records.length, 9)}`,
  `objects ${rate(records, records.length)}`,
].join(", "));
