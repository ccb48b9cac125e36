// The registry lives in this Web Worker, so that opening a large file, training or pulling
// rows never blocks the page. app.js sends {id, method, args}; the answer is
// {id, ok: true, value} or {id, ok: false, error}. Nothing here touches the DOM.
import { init, Registry } from "/npm/web.js";

// The WebAssembly module: fetched here (so the page can show the download's progress) as
// soon as the worker starts. Every request waits for it: a file opened before the module
// has arrived opens once it has. A failed load is reported to each request (and to the
// page, which offers to retry) and loaded again by `retry`.
const WASM_URL = new URL("/npm/dist/mlops_lite_bg.wasm", self.location.href);

async function loadWasm() {
  const where = `the WebAssembly module (${WASM_URL.pathname})`;
  let response;
  try {
    response = await fetch(WASM_URL);
  } catch (e) {
    throw new Error(`${where} could not be downloaded (${e.message}); check the connection and press Retry`);
  }
  if (!response.ok) {
    throw new Error(`${where} could not be downloaded: HTTP ${response.status} ${response.statusText}; press Retry`);
  }
  // Progress where the browser reports a length (a compressed response's length is not the
  // body's: then the total is unknown).
  const encoded = response.headers.get("content-encoding");
  const total = encoded && encoded !== "identity" ? 0 : Number(response.headers.get("content-length")) || 0;
  const chunks = [];
  let loaded = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      self.postMessage({ progress: { loaded, total: total >= loaded ? total : 0 } });
    }
  } catch (e) {
    throw new Error(`${where} stopped downloading after ${loaded} bytes (${e.message}); press Retry`);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  try {
    await init(bytes);
  } catch (e) {
    throw new Error(`${where} is not a WebAssembly module this page can run (${e.message}); press Retry`);
  }
  self.postMessage({ progress: { loaded, total: loaded, done: true } });
  return true;
}

let ready = loadWasm();
ready.catch(() => {}); // reported to the requests that wait for it

let reg = null;
// Pulled rows by dataset id (a dataset version never changes; cleared with the registry).
let rows = new Map();
// Column distributions by dataset id (see histograms()).
let charts = new Map();

function replace(next) {
  if (reg) reg.free();
  reg = next;
  rows = new Map();
  charts = new Map();
}

function current() {
  if (!reg) throw new Error("no registry is open: open a .db file, start a new one or load the demo");
  return reg;
}

function pulled(ref) {
  const r = current();
  const entry = r.listDatasets().find((d) => ref === String(d.id));
  if (entry && rows.has(entry.id)) return { dataset: entry, rows: rows.get(entry.id) };
  const result = r.pullDataset(ref);
  rows.set(result.dataset.id, result.rows);
  return result;
}

// ---- Histograms ---------------------------------------------------------------------------

const BINS = 10;
const TOP = 10;

/**
 * Per-column distributions of a dataset's pulled rows: numeric columns (Int64, Float64) as
 * 10 equal-width bins from min to max (numpy's edges: a value on an inner edge goes to the
 * bin on its right, the max to the last bin), other columns as the 10 most frequent values.
 */
function histograms(ref) {
  const { dataset, rows: all } = pulled(ref);
  const info = current().datasetInfo(String(dataset.id));
  return info.map((c) => {
    const name = c.column_name;
    const dtype = c.converted_dtype;
    let nulls = 0;
    if (dtype === "Int64" || dtype === "Float64") {
      const values = [];
      for (const row of all) {
        const v = row[name];
        if (typeof v === "number" && Number.isFinite(v)) values.push(v);
        else nulls++;
      }
      if (values.length === 0) return { column: name, dtype, kind: "numeric", bins: [], nulls };
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min === max) return { column: name, dtype, kind: "numeric", bins: [{ lo: min, hi: max, count: values.length }], nulls };
      const step = (max - min) / BINS;
      const edges = Array.from({ length: BINS + 1 }, (_, k) => (k === BINS ? max : min + k * step));
      const counts = new Array(BINS).fill(0);
      for (const v of values) {
        let i = Math.min(BINS - 1, Math.floor(((v - min) / (max - min)) * BINS));
        if (v < edges[i]) i--;
        else if (i < BINS - 1 && v >= edges[i + 1]) i++;
        counts[i]++;
      }
      return { column: name, dtype, kind: "numeric", bins: counts.map((count, i) => ({ lo: edges[i], hi: edges[i + 1], count })), nulls };
    }
    const counts = new Map();
    for (const row of all) {
      const v = row[name];
      if (v === null || v === undefined) {
        nulls++;
        continue;
      }
      const key = String(v);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // Most frequent first; ties in the order of the values' first appearance.
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const top = sorted.slice(0, TOP).map(([label, count]) => ({ label, count }));
    const rest = sorted.slice(TOP);
    return {
      column: name,
      dtype,
      kind: "categorical",
      bars: top,
      otherValues: rest.length,
      otherRows: rest.reduce((sum, [, n]) => sum + n, 0),
      nulls,
    };
  });
}

// ---- Batches from a file ------------------------------------------------------------------

/** Predicts a CSV or JSON file's records (JSON: by extension, or text starting with [ or {). */
async function predictFile(ref, file, options) {
  const r = current();
  const text = await file.text();
  const json = /\.json$/i.test(file.name) || (!/\.csv$/i.test(file.name) && /^\s*[[{]/.test(text));
  try {
    // CSV is typed by the model's signature in the core (as the CLI does); errors name the
    // file, the line (and column, for JSON), the record and the field.
    const predictions = r.predict(ref, text, { ...options, format: json ? "json" : "csv", label: file.name });
    return { predictions, format: json ? "JSON" : "CSV" };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(message.startsWith(`${file.name}: `) ? message : `${file.name}: ${message}`);
  }
}

const methods = {
  // Resolves once the module is ready (every request waits for it anyway).
  init: () => ready,
  // Loads the module again after a failed load.
  retry: () => {
    ready = loadWasm();
    ready.catch(() => {});
    return ready;
  },
  open: (bytes) => {
    replace(Registry.open(bytes));
    return true;
  },
  create: () => {
    replace(new Registry());
    return true;
  },
  close: () => {
    replace(null);
    return true;
  },
  export: () => current().export(),
  listDatasets: () => current().listDatasets(),
  datasetInfo: (ref) => current().datasetInfo(ref),
  // One page of a dataset's rows; the whole dataset is pulled once and kept here.
  pageRows: (ref, offset, limit) => {
    const { dataset, rows: all } = pulled(ref);
    return { dataset, total: all.length, offset, rows: all.slice(offset, offset + limit) };
  },
  bindDataset: (data, name, options) => current().bindDataset(data, name, options),
  // A File from the page's file input: read here, bound as CSV or JSON (by its extension,
  // else by its first character), named in errors by its file name.
  bindFile: async (file, name, description) => {
    const r = current();
    const bytes = new Uint8Array(await file.arrayBuffer());
    const options = { description, label: file.name };
    if (/\.json$/i.test(file.name)) options.format = "json";
    else if (/\.csv$/i.test(file.name)) options.format = "csv";
    return r.bindDataset(bytes, name, options);
  },
  histograms: (ref) => {
    if (!/^\d+$/.test(ref)) return histograms(ref); // cached by id only
    if (!charts.has(ref)) charts.set(ref, histograms(ref));
    return charts.get(ref);
  },
  listModels: () => current().listModels(),
  modelInfo: (ref) => current().modelInfo(ref),
  trainModel: (options) => current().trainModel(options),
  reproduce: (ref) => current().reproduce(ref),
  // Records go as JSON text: for an array with a string feature, predict builds its JSON
  // replacer with the Function constructor, which a Content-Security-Policy without
  // 'unsafe-eval' refuses; the text path needs no eval.
  predict: (ref, records, options) => current().predict(ref, JSON.stringify(records), options),
  predictFile: (ref, file, options) => predictFile(ref, file, options),
  log: (filter) => current().log(filter),
  // One page of the filtered log (oldest first); offset -1 is the last page, and an offset
  // past the end moves to the last page.
  logPage: (filter, offset, limit) => {
    const all = current().log(filter);
    const last = all.length === 0 ? 0 : Math.floor((all.length - 1) / limit) * limit;
    const start = offset < 0 || offset > last ? last : offset;
    return { total: all.length, offset: start, records: all.slice(start, start + limit) };
  },
  // The filtered log as CSV, written by the core exactly as `mlops-lite log export` writes it
  // (formula-like text neutralised for spreadsheets); with no registry open, the header alone.
  logCsv: (filter) => {
    if (reg) return reg.logCsv(filter);
    const empty = new Registry();
    try {
      return empty.logCsv();
    } finally {
      empty.free();
    }
  },
  // The demo: iris from CSV text, then the default pipeline as "testmodel" on "target".
  loadDemo: (csv) => {
    const r = current();
    const bound = r.bindDataset(csv, "iris", {
      description: "Iris plants: 4 measurements (cm) and the species, 150 rows",
      format: "csv",
      label: "iris.csv",
    });
    const model = r.trainModel({
      dataset: `iris@${bound.dataset.version}`,
      name: "testmodel",
      description: "iris LogisticRegression pipeline",
      target: "target",
    });
    return { dataset: bound, model };
  },
};

self.onmessage = async (event) => {
  const { id, method, args } = event.data;
  try {
    const fn = methods[method];
    if (!fn) throw new Error(`unknown method ${method}`);
    if (method !== "retry") await ready;
    const value = await fn(...(args ?? []));
    const transfer = value instanceof Uint8Array ? [value.buffer] : [];
    self.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
};
