// The registry lives in this Web Worker, so that opening a large file, training or pulling
// rows never blocks the page. app.js sends {id, method, args}; the answer is
// {id, ok: true, value} or {id, ok: false, error}. Nothing here touches the DOM.
import { init, Registry } from "/npm/web.js";

let reg = null;
// Pulled rows by dataset id (a dataset version never changes; cleared with the registry).
let rows = new Map();

function replace(next) {
  if (reg) reg.free();
  reg = next;
  rows = new Map();
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

const methods = {
  init: async () => {
    await init();
    return true;
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
  listModels: () => current().listModels(),
  modelInfo: (ref) => current().modelInfo(ref),
  trainModel: (options) => current().trainModel(options),
  // Records go as JSON text: for an array with a string feature, predict builds its JSON
  // replacer with the Function constructor, which a Content-Security-Policy without
  // 'unsafe-eval' refuses; the text path needs no eval.
  predict: (ref, records, options) => current().predict(ref, JSON.stringify(records), options),
  log: (filter) => current().log(filter),
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
    const value = await fn(...(args ?? []));
    const transfer = value instanceof Uint8Array ? [value.buffer] : [];
    self.postMessage({ id, ok: true, value }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
};
