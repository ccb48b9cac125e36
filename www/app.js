// The mlops-lite page: opens a registry (.db file, new, demo) in a Web Worker (worker.js,
// which runs the npm package's WebAssembly core), binds CSV or JSON files as datasets (with
// per-column charts), trains models, predicts one record or a file's batch, pages through
// the prediction log, downloads the file, and keeps it across reloads in IndexedDB. Reading
// files, pulling rows, histograms, training, CSV parsing and export run in the worker.
//
// Every value read from a registry reaches the page through textContent or a property
// (never innerHTML): a name like `<img src=x onerror=...>` is shown as text.

const PAGE_ROWS = 20;
const LOG_PAGE = 25; // log records a page
const MAX_RESULTS = 1000; // prediction results kept in the results table
const $ = (id) => document.getElementById(id);

// ---- The worker ---------------------------------------------------------------------------

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const pending = new Map();
let nextId = 1;
let busy = 1; // index.html starts busy until start() is done

function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = String(busy);
}

worker.onmessage = (event) => {
  if (event.data.progress) return showLoading(event.data.progress);
  const { id, ok, value, error } = event.data;
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  setBusy(-1);
  if (ok) p.resolve(value);
  else p.reject(new Error(error));
};
worker.onerror = (event) => {
  event.preventDefault();
  showMessage(`the worker failed: ${event.message || "could not load /npm/web.js"}`, true);
  for (const p of pending.values()) p.reject(new Error("the worker failed"));
  setBusy(-pending.size);
  pending.clear();
};

function call(method, ...args) {
  const id = nextId++;
  setBusy(1);
  const transfer = args.filter((a) => a instanceof Uint8Array).map((a) => a.buffer);
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, method, args }, transfer);
  });
}

// ---- DOM helpers (text only) --------------------------------------------------------------

/** An element with properties and children; string children become text nodes. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") Object.assign(el.style, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A cell's text: null is empty, objects are JSON, numbers are shown exactly. */
function text(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** A statistic, shortened to 6 significant digits. */
function num(v) {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number") return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/**
 * Fills a <table>: columns are {label, value(row) -> string | Node, className?}. With
 * `onSelect`, rows are clickable and `selected(row)` marks one.
 */
function fillTable(table, columns, rows, { onSelect, selected } = {}) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", className: c.className ?? "" }, c.label))));
  const body = h("tbody");
  for (const row of rows) {
    const tr = h(
      "tr",
      {},
      columns.map((c) => {
        const v = c.value(row);
        return h("td", { className: c.className ?? "" }, v instanceof Node ? v : text(v));
      }),
    );
    if (onSelect) {
      tr.tabIndex = 0;
      tr.classList.add("selectable");
      if (selected?.(row)) tr.classList.add("selected");
      tr.addEventListener("click", () => onSelect(row));
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onSelect(row);
        }
      });
    }
    body.append(tr);
  }
  // A key-value table (every label empty) has no header row.
  if (columns.every((c) => c.label === "")) table.replaceChildren(body);
  else table.replaceChildren(head, body);
}

/** The download of the WebAssembly module: bytes so far, of how many (0: unknown). */
function showLoading({ loaded, total, done }) {
  const mb = (n) => (n / 1e6).toFixed(1);
  if (done) {
    $("loading").hidden = true;
    return;
  }
  $("loading").hidden = false;
  $("loading-retry").hidden = true;
  $("loading").classList.remove("error");
  const bar = $("loading-progress");
  if (total > 0) {
    bar.value = loaded / total;
    $("loading-text").textContent = `Loading the WebAssembly module: ${mb(loaded)} of ${mb(total)} MB…`;
  } else {
    bar.removeAttribute("value");
    $("loading-text").textContent = `Loading the WebAssembly module: ${mb(loaded)} MB…`;
  }
}

/**
 * Waits until the worker's WebAssembly module is ready; requests made meanwhile (a file
 * opened at once) wait in the worker. A failed load shows its error with a Retry button,
 * and this waits until a retry succeeds.
 */
async function moduleReady() {
  let attempt = call("init");
  for (;;) {
    try {
      await attempt;
      $("loading").hidden = true;
      return;
    } catch (e) {
      $("loading").hidden = false;
      $("loading").classList.add("error");
      $("loading-progress").hidden = true;
      $("loading-text").textContent = e.message;
      const retry = $("loading-retry");
      retry.hidden = false;
      setBusy(-1); // waiting for the user, not for the worker
      await new Promise((resolve) => retry.addEventListener("click", resolve, { once: true }));
      setBusy(1);
      retry.hidden = true;
      $("loading-progress").hidden = false;
      $("loading").classList.remove("error");
      $("loading-text").textContent = "Loading the WebAssembly module…";
      attempt = call("retry");
    }
  }
}

function showMessage(message, isError = false) {
  const el = $("message");
  el.textContent = message;
  el.classList.toggle("error", isError);
  el.hidden = !message;
}

/** Runs an action, showing its error (if any) above the views. */
async function act(fn) {
  setBusy(1); // body[data-busy] is 0 only when nothing is in progress (the tests wait on it)
  try {
    showMessage("");
    await fn();
  } catch (e) {
    showMessage(e instanceof Error ? e.message : String(e), true);
  } finally {
    setBusy(-1);
  }
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- IndexedDB: the open registry, kept across reloads -------------------------------------

const IDB_NAME = "mlops-lite-www";
const IDB_STORE = "registry";
const IDB_KEY = "current";

function idb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(IDB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(IDB_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function idbDo(mode, fn) {
  const db = await idb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(IDB_STORE, mode);
      const req = fn(tx.objectStore(IDB_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  } finally {
    db.close();
  }
}

const kept = {
  get: () => idbDo("readonly", (s) => s.get(IDB_KEY)),
  put: (value) => idbDo("readwrite", (s) => s.put(value, IDB_KEY)),
  remove: () => idbDo("readwrite", (s) => s.delete(IDB_KEY)),
};

// ---- State -----------------------------------------------------------------------------------

const state = {
  open: false,
  source: "",
  datasets: [],
  models: [],
  dataset: null, // the selected DatasetEntry
  offset: 0,
  model: null, // the selected model's id
  predictModel: null, // "name@version" of the predict form's model
  results: [],
  resultsTotal: 0, // results since the model was chosen (only the latest MAX_RESULTS are kept)
  trainDataset: null, // the train form's dataset id
  trainColumnsFor: null, // the dataset id whose columns fill the target select
  reproduced: null, // the model id whose reproduce result is shown
  logOffset: 0,
};

let saving = Promise.resolve();

/** Stores the registry's bytes in IndexedDB (after every change), in order. */
function persist() {
  saving = saving
    .catch(() => {})
    .then(async () => {
      if (!state.open) return;
      const bytes = await call("export");
      await kept.put({ bytes, source: state.source, savedAt: new Date().toISOString() });
      $("kept").hidden = false;
      $("forget").hidden = false;
    });
  return saving.catch((e) => showMessage(`could not keep the registry in this browser: ${e.message}`, true));
}

function setSource(source) {
  state.source = source;
  $("source").textContent = source ? `Open: ${source}` : "No registry is open.";
  $("download").disabled = !source;
}

async function refresh() {
  state.datasets = state.open ? await call("listDatasets") : [];
  state.models = state.open ? await call("listModels") : [];
  if (state.dataset && !state.datasets.some((d) => d.id === state.dataset.id)) state.dataset = null;
  if (state.model && !state.models.some((m) => m.id === state.model)) state.model = null;
  renderDatasets();
  renderModels();
  await renderDatasetDetail();
  await renderModelDetail();
  await renderTrainForm();
  await renderPredictForm();
  renderLogModels();
  await renderLog();
}

/** After opening or creating: a fresh view of the new registry. */
async function opened(source, { store = true } = {}) {
  state.open = true;
  state.dataset = null;
  state.model = null;
  state.predictModel = null;
  state.results = [];
  state.resultsTotal = 0;
  state.trainDataset = null;
  state.trainColumnsFor = null;
  state.reproduced = null;
  state.logOffset = 0;
  $("log-reference").value = "";
  for (const id of ["bind-result", "bind-error", "train-result", "train-error", "reproduce-result", "reproduce-error", "batch-result", "batch-error"]) {
    $(id).textContent = "";
  }
  setSource(source);
  await refresh();
  if (store) await persist();
}

// ---- Datasets --------------------------------------------------------------------------------

function renderDatasets() {
  $("datasets-empty").hidden = state.datasets.length > 0;
  $("bind-form").hidden = !state.open;
  $("bind-closed").hidden = state.open;
  fillTable(
    $("datasets-table"),
    [
      { label: "id", value: (d) => d.id, className: "num" },
      { label: "name", value: (d) => d.name },
      { label: "version", value: (d) => d.version, className: "num" },
      { label: "columns", value: (d) => d.size_cols, className: "num" },
      { label: "rows", value: (d) => d.size_rows, className: "num" },
      { label: "description", value: (d) => d.description },
      { label: "created", value: (d) => d.created_at },
    ],
    state.datasets,
    {
      onSelect: (d) =>
        act(async () => {
          state.dataset = d;
          state.offset = 0;
          renderDatasets();
          await renderDatasetDetail();
        }),
      selected: (d) => d.id === state.dataset?.id,
    },
  );
}

async function renderDatasetDetail() {
  const d = state.dataset;
  $("dataset-detail").hidden = !d;
  if (!d) return;
  $("dataset-title").textContent = `${d.name}@${d.version} (id ${d.id}): ${d.size_rows} rows × ${d.size_cols} columns, md5 ${d.md5}`;
  const info = await call("datasetInfo", String(d.id));
  fillTable(
    $("dataset-info"),
    [
      { label: "column", value: (c) => c.column_name },
      { label: "original dtype", value: (c) => c.original_dtype },
      { label: "dtype", value: (c) => c.converted_dtype },
      { label: "nulls", value: (c) => c.null_count, className: "num" },
      { label: "unique", value: (c) => c.unique_count, className: "num" },
      { label: "min", value: (c) => num(c.min_value_num), className: "num" },
      { label: "max", value: (c) => num(c.max_value_num), className: "num" },
      { label: "mean", value: (c) => num(c.mean), className: "num" },
      { label: "std", value: (c) => num(c.std), className: "num" },
    ],
    info,
  );
  state.rowColumns = info.map((c) => ({ name: c.column_name, dtype: c.converted_dtype }));
  await renderRows();
  renderCharts(await call("histograms", String(d.id)));
}

// ---- Charts (SVG made with createElementNS; every label is a text node) --------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A numeric column: one vertical bar a bin, its count above it, min and max below. */
function numericChart(bins) {
  const W = 280;
  const H = 130;
  const [L, R, T, B] = [4, 4, 14, 20];
  const pw = W - L - R;
  const ph = H - T - B;
  const bw = pw / bins.length;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img" });
  bins.forEach((b, i) => {
    const hgt = (b.count / max) * ph;
    const x = L + i * bw;
    const last = i === bins.length - 1;
    const range = bins.length === 1 ? num(b.lo) : `[${num(b.lo)}, ${num(b.hi)}${last ? "]" : ")"}`;
    const rect = svg("rect", { class: "bar", x: x + 1, y: T + ph - hgt, width: Math.max(1, bw - 2), height: hgt }, svg("title", {}, `${range}: ${b.count}`));
    rect.dataset.count = String(b.count);
    root.append(rect);
    if (b.count > 0) root.append(svg("text", { x: x + bw / 2, y: T + ph - hgt - 3, "text-anchor": "middle" }, String(b.count)));
  });
  root.append(svg("line", { x1: L, x2: W - R, y1: T + ph + 0.5, y2: T + ph + 0.5, stroke: "#9aa3b2" }));
  root.append(svg("text", { x: L, y: H - 6, "text-anchor": "start" }, num(bins[0].lo)));
  root.append(svg("text", { x: W - R, y: H - 6, "text-anchor": "end" }, num(bins[bins.length - 1].hi)));
  return root;
}

/** A string (or boolean) column: one horizontal bar a value, most frequent first. */
function categoryChart(bars) {
  const W = 280;
  const row = 18;
  const labelW = 104;
  const countW = 40;
  const H = bars.length * row + 4;
  const max = Math.max(1, ...bars.map((b) => b.count));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img" });
  bars.forEach((b, i) => {
    const y = 2 + i * row;
    const w = Math.max(1, (b.count / max) * (W - labelW - countW));
    root.append(svg("text", { class: "label", x: labelW - 5, y: y + 13, "text-anchor": "end" }, truncate(b.label, 17)));
    const rect = svg("rect", { class: "bar", x: labelW, y: y + 3, width: w, height: row - 6 }, svg("title", {}, `${b.label}: ${b.count}`));
    rect.dataset.count = String(b.count);
    rect.dataset.label = b.label;
    root.append(rect);
    root.append(svg("text", { x: labelW + w + 4, y: y + 13 }, String(b.count)));
  });
  return root;
}

function renderCharts(histograms) {
  const figures = histograms.map((c) => {
    const notes = [];
    if (c.nulls) notes.push(`${c.nulls} null${c.nulls === 1 ? "" : "s"}`);
    if (c.otherValues) notes.push(`${c.otherValues} more value${c.otherValues === 1 ? "" : "s"} (${c.otherRows} rows) not shown`);
    const empty = c.kind === "numeric" ? c.bins.length === 0 : c.bars.length === 0;
    const fig = h(
      "figure",
      { className: "chart", dataset: { kind: c.kind } },
      h(
        "figcaption",
        {},
        h("span", { className: "feature-name" }, c.column),
        " ",
        h("span", { className: "dtype" }, c.dtype),
        notes.length ? h("span", { className: "chart-note" }, ` · ${notes.join(" · ")}`) : null,
      ),
      empty ? h("p", { className: "chart-note" }, "no values") : c.kind === "numeric" ? numericChart(c.bins) : categoryChart(c.bars),
    );
    return fig;
  });
  $("dataset-charts").replaceChildren(...figures);
}

// ---- Binding a file ----------------------------------------------------------------------------

async function bindFile(event) {
  event.preventDefault();
  const result = $("bind-result");
  const error = $("bind-error");
  result.textContent = "";
  error.textContent = "";
  const file = $("bind-file").files?.[0];
  const submit = $("bind-submit");
  try {
    if (!file) throw new Error("choose a CSV or JSON file first");
    submit.disabled = true;
    const bound = await call("bindFile", file, $("bind-name").value, $("bind-description").value);
    const d = bound.dataset;
    result.textContent = bound.created
      ? `bound ${d.name}@${d.version} (${d.size_rows} rows × ${d.size_cols} columns)`
      : `identical to ${d.name}@${d.version}: nothing written`;
    state.dataset = d;
    state.offset = 0;
    state.trainDataset = d.id;
    await refresh();
    if (bound.created) await persist();
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  } finally {
    submit.disabled = false;
  }
}

/** A chosen file names the dataset (its name without the extension) unless a name was typed. */
function fileChosen() {
  const file = $("bind-file").files?.[0];
  const name = $("bind-name");
  if (file && (name.value === "" || name.dataset.auto === "1")) {
    name.value = file.name.replace(/\.(csv|json)$/i, "");
    name.dataset.auto = "1";
  }
  $("bind-result").textContent = "";
  $("bind-error").textContent = "";
}

/** A cell of a dataset: Float64 whole numbers keep their ".0", as the CLI writes them. */
function cell(v, dtype) {
  if (dtype === "Float64" && Number.isInteger(v)) return `${v}.0`;
  return text(v);
}

async function renderRows() {
  const d = state.dataset;
  const page = await call("pageRows", String(d.id), state.offset, PAGE_ROWS);
  const columns = state.rowColumns;
  const last = Math.min(page.offset + page.rows.length, page.total);
  $("rows-label").textContent =
    page.total === 0 ? "no rows" : `rows ${page.offset + 1}–${last} of ${page.total}`;
  $("rows-prev").disabled = page.offset === 0;
  $("rows-next").disabled = last >= page.total;
  fillTable(
    $("dataset-rows"),
    [
      { label: "#", value: (r) => r.index + 1, className: "num" },
      ...columns.map(({ name, dtype }) => ({
        label: name,
        value: (r) => cell(r.row[name], dtype),
        className: dtype === "string" || dtype === "boolean" ? "" : "num",
      })),
    ],
    page.rows.map((row, i) => ({ row, index: page.offset + i })),
  );
}

function turnPage(delta) {
  act(async () => {
    if (!state.dataset) return;
    state.offset = Math.max(0, state.offset + delta * PAGE_ROWS);
    await renderRows();
  });
}

// ---- Models ----------------------------------------------------------------------------------

function metricsText(m) {
  return Object.entries(m ?? {})
    .filter(([k]) => k !== "n_train" && k !== "n_test")
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(" ");
}

function renderModels() {
  $("models-empty").hidden = state.models.length > 0;
  fillTable(
    $("models-table"),
    [
      { label: "id", value: (m) => m.id, className: "num" },
      { label: "name", value: (m) => m.name },
      { label: "version", value: (m) => m.version, className: "num" },
      { label: "dataset id", value: (m) => m.dataset_registry_id, className: "num" },
      { label: "estimator", value: (m) => m.estimator_class },
      { label: "type", value: (m) => m.estimator_type },
      { label: "target", value: (m) => m.target },
      { label: "metrics", value: (m) => metricsText(m.metrics) },
      { label: "description", value: (m) => m.description },
      { label: "created", value: (m) => m.created_at },
    ],
    state.models,
    {
      onSelect: (m) =>
        act(async () => {
          state.model = m.id;
          renderModels();
          await renderModelDetail();
        }),
      selected: (m) => m.id === state.model,
    },
  );
}

async function renderModelDetail() {
  $("model-detail").hidden = state.model === null;
  if (state.model === null) return;
  const info = await call("modelInfo", String(state.model));
  const m = info.model;
  $("model-title").textContent = `${m.name}@${m.version} (id ${m.id}): ${m.estimator_class} ${m.estimator_type}, target ${info.target}`;
  fillTable(
    $("model-signature"),
    [
      { label: "feature", value: (f) => f.name },
      { label: "dtype", value: (f) => f.dtype },
    ],
    info.signature,
  );
  $("model-classes").textContent = info.classes.length ? info.classes.join(", ") : "(a regressor)";
  fillTable(
    $("model-metrics"),
    [
      { label: "metric", value: (r) => r[0] },
      { label: "value", value: (r) => num(r[1]), className: "num" },
    ],
    Object.entries(info.metrics ?? {}),
  );
  const ds = info.dataset;
  fillTable(
    $("model-lineage"),
    [
      { label: "", value: (r) => r[0] },
      { label: "", value: (r) => r[1] },
    ],
    [
      ["dataset", `${ds.name}@${ds.version} (id ${ds.id})`],
      ["dataset md5", ds.md5],
      ["dataset rows", `${ds.size_rows} × ${ds.size_cols}`],
      ["artifact md5", m.artifact_md5],
      ["artifact format", info.artifact_format],
      ["mlops-lite", info.mlops_lite_version],
      info.fitted_by
        ? ["fitted by", `${info.fitted_by.library} ${info.fitted_by.version} (outside mlops-lite: no held-out metrics, cannot be reproduced)`]
        : ["smartcore", info.smartcore_version],
    ],
  );
  fillTable(
    $("model-versions"),
    [
      { label: "id", value: (v) => v.id, className: "num" },
      { label: "version", value: (v) => v.version, className: "num" },
      { label: "estimator", value: (v) => v.estimator_class },
      { label: "metrics", value: (v) => metricsText(v.metrics) },
      { label: "created", value: (v) => v.created_at },
    ],
    info.versions,
  );
  // A model fitted elsewhere has no training spec: its fitted column groups instead.
  $("model-spec").textContent = info.spec
    ? JSON.stringify(info.spec, null, 2)
    : JSON.stringify({ fitted_by: info.fitted_by, transformers: info.transformers }, null, 2);
  if (state.reproduced !== m.id) {
    $("reproduce-result").textContent = "";
    $("reproduce-error").textContent = "";
  }
}

/**
 * Trains the shown model again in the worker (the core's `reproduce`: stored rows, spec and
 * seed) and says whether the new artifact is the stored one, byte for byte. Writes nothing.
 */
async function reproduce() {
  const id = state.model;
  if (id === null) return;
  const result = $("reproduce-result");
  const error = $("reproduce-error");
  const button = $("model-reproduce");
  result.textContent = "";
  error.textContent = "";
  state.reproduced = id;
  $("reproduce-progress").hidden = false;
  button.disabled = true;
  try {
    const r = await call("reproduce", String(id));
    result.textContent = r.identical
      ? `identical: retrained ${r.model} gives artifact md5 ${r.reproduced_md5}, the stored one (${metricsText(r.reproduced_metrics)})`
      : `DIFFERENT: stored artifact md5 ${r.stored_md5}, retrained ${r.reproduced_md5}; fields that differ: ${r.differences.join(", ")}; retrained metrics ${metricsText(r.reproduced_metrics)}`;
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  } finally {
    $("reproduce-progress").hidden = true;
    button.disabled = false;
  }
}

// ---- Training ------------------------------------------------------------------------------

async function renderTrainForm() {
  const ready = state.open && state.datasets.length > 0;
  $("train-form").hidden = !ready;
  $("train-empty").hidden = ready;
  $("train-empty").textContent = state.open
    ? "Bind a dataset (Datasets) to train a model on it."
    : "Open a registry, start a new one or load the demo to train a model.";
  if (!ready) return;
  const select = $("train-dataset");
  select.replaceChildren(...state.datasets.map((d) => h("option", { value: String(d.id) }, `${d.name}@${d.version}`)));
  const keep = state.datasets.find((d) => d.id === state.trainDataset) ?? state.datasets[state.datasets.length - 1];
  state.trainDataset = keep.id;
  select.value = String(keep.id);
  await fillTargets();
}

/** The target select: the chosen dataset's columns ("target", else the last, preselected). */
async function fillTargets() {
  const id = state.trainDataset;
  if (state.trainColumnsFor === id) return;
  const info = await call("datasetInfo", String(id));
  const select = $("train-target");
  const previous = select.value;
  const names = info.map((c) => c.column_name);
  select.replaceChildren(...info.map((c) => h("option", { value: c.column_name }, `${c.column_name} (${c.converted_dtype})`)));
  select.value = names.includes(previous) ? previous : names.includes("target") ? "target" : (names[names.length - 1] ?? "");
  state.trainColumnsFor = id;
}

function readTrainOptions() {
  const name = $("train-name").value;
  if (name.trim() === "") throw new Error("the model name is empty: choose one");
  const size = $("train-test-size");
  const seed = $("train-seed");
  if (size.validity.badInput || size.value === "") throw new Error("test size: a number from 0 to below 1 is needed");
  if (seed.validity.badInput || seed.value === "") throw new Error("seed: a whole number, 0 or more, is needed");
  const seedValue = Number(seed.value);
  if (!Number.isSafeInteger(seedValue) || seedValue < 0) throw new Error(`seed: ${seed.value} is not a whole number, 0 or more`);
  return {
    dataset: String(state.trainDataset),
    name,
    target: $("train-target").value,
    estimator: $("train-estimator").value,
    test_size: Number(size.value),
    seed: seedValue,
  };
}

/** Trains in the worker; the page shows a spinner and the elapsed time meanwhile. */
async function train(event) {
  event.preventDefault();
  const result = $("train-result");
  const error = $("train-error");
  const submit = $("train-submit");
  const progress = $("train-progress");
  result.textContent = "";
  error.textContent = "";
  let timer = null;
  try {
    const options = readTrainOptions();
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
    const tick = () => {
      $("train-elapsed").textContent = `training… ${seconds()} s`;
    };
    tick();
    timer = setInterval(tick, 100);
    progress.hidden = false;
    submit.disabled = true;
    const bound = await call("trainModel", options);
    const m = bound.model;
    const metrics = m.metrics ?? {};
    result.textContent = bound.created
      ? `bound ${m.name}@${m.version} (${m.estimator_class}): ${metricsText(metrics)}; ${metrics.n_train} training and ${metrics.n_test} test rows; ${seconds()} s`
      : `identical artifact: nothing written (${m.name}@${m.version} holds it)`;
    state.model = m.id;
    await refresh();
    if (bound.created) await persist();
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  } finally {
    if (timer !== null) clearInterval(timer);
    progress.hidden = true;
    submit.disabled = false;
  }
}

// ---- Predict ---------------------------------------------------------------------------------

const modelRef = (m) => `${m.name}@${m.version}`;

async function renderPredictForm() {
  const select = $("predict-model");
  const options = state.models.map((m) => h("option", { value: String(m.id) }, modelRef(m)));
  select.replaceChildren(...options);
  $("predict-form").hidden = state.models.length === 0;
  $("predict-empty").hidden = state.models.length > 0;
  if (state.models.length === 0) {
    state.predictModel = null;
    $("predict-results").replaceChildren();
    return;
  }
  const keep = state.models.find((m) => m.id === state.predictModel) ?? state.models[state.models.length - 1];
  select.value = String(keep.id);
  await buildFields(keep.id);
}

/** The form's fields, from the model's signature; prefilled with the dataset's first row. */
async function buildFields(modelId) {
  const changed = state.predictModel !== modelId;
  state.predictModel = modelId;
  if (changed) {
    state.results = [];
    state.resultsTotal = 0;
  }
  $("predict-error").textContent = "";
  const info = await call("modelInfo", String(modelId));
  state.predictInfo = info;
  let first = {};
  try {
    first = (await call("pageRows", String(info.dataset.id), 0, 1)).rows[0] ?? {};
  } catch {
    // A tampered dataset cannot be pulled: the form starts empty.
  }
  const fields = info.signature.map((f, i) => {
    const id = `feature-${i}`;
    let input;
    if (f.dtype === "boolean") {
      input = h("select", { id }, h("option", { value: "" }, "null"), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
      const v = first[f.name];
      input.value = v === true ? "true" : v === false ? "false" : "";
    } else if (f.dtype === "string") {
      input = h("input", { id, type: "text", autocomplete: "off", value: text(first[f.name]) });
    } else {
      input = h("input", { id, type: "number", step: f.dtype === "Int64" ? "1" : "any", value: text(first[f.name]) });
    }
    input.dataset.feature = String(i);
    return h("label", { className: "field", htmlFor: id }, h("span", { className: "feature-name" }, f.name), h("span", { className: "dtype" }, f.dtype), input);
  });
  $("predict-fields").replaceChildren(h("legend", {}, "One record (empty = null, the imputer fills it)"), ...fields);
  renderResults();
}

function readRecord() {
  const info = state.predictInfo;
  const record = {};
  const reference = $("predict-reference").value;
  if (reference !== "") record.reference_id = reference;
  for (const input of $("predict-fields").querySelectorAll("[data-feature]")) {
    const f = info.signature[Number(input.dataset.feature)];
    const raw = input.value;
    if (raw === "") {
      if (input.validity?.badInput) throw new Error(`${f.name}: not a valid number`);
      record[f.name] = null;
    } else if (f.dtype === "boolean") record[f.name] = raw === "true";
    else if (f.dtype === "string") record[f.name] = raw;
    else {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new Error(`${f.name}: ${raw} is not a finite number`);
      record[f.name] = v;
    }
  }
  return record;
}

async function predict(event) {
  event.preventDefault();
  const error = $("predict-error");
  error.textContent = "";
  const modelId = Number($("predict-model").value);
  const m = state.models.find((x) => x.id === modelId);
  try {
    const record = readRecord();
    const log = $("predict-log").checked;
    const [p] = await call("predict", String(modelId), [record], { log });
    addResults([p], log, m);
    if (log) {
      await renderLog({ last: true });
      await persist();
    }
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  }
}

/** New results go first (a batch in its file's order); only the latest MAX_RESULTS stay. */
function addResults(predictions, logged, m) {
  const rows = predictions.map((p) => ({ ...p, logged, model: modelRef(m) }));
  state.results = rows.concat(state.results).slice(0, MAX_RESULTS);
  state.resultsTotal += rows.length;
  renderResults();
}

/** A CSV or JSON file's records, predicted (and logged) in one call: all or nothing. */
async function predictBatch() {
  const result = $("batch-result");
  const error = $("batch-error");
  result.textContent = "";
  error.textContent = "";
  const modelId = Number($("predict-model").value);
  const m = state.models.find((x) => x.id === modelId);
  const file = $("batch-file").files?.[0];
  const submit = $("batch-submit");
  try {
    if (!file) throw new Error("choose a CSV or JSON file first");
    submit.disabled = true;
    const log = $("predict-log").checked;
    const { predictions, format } = await call("predictFile", String(modelId), file, { log });
    const n = predictions.length;
    result.textContent = `${file.name}: ${n} record${n === 1 ? "" : "s"} (${format}) predicted${log ? " and logged" : ", not logged"}`;
    addResults(predictions, log, m);
    if (log) {
      await renderLog({ last: true });
      await persist();
    }
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  } finally {
    submit.disabled = false;
  }
}

function bar(p) {
  const pct = Math.max(0, Math.min(1, p)) * 100;
  return h(
    "div",
    { className: "prob" },
    h("div", { className: "bar", style: { width: `${pct}%` } }),
    h("span", { className: "prob-text" }, `${pct.toFixed(1)}%`),
  );
}

function renderResults() {
  const info = state.predictInfo;
  if (!info) return;
  const classes = info.classes;
  const columns = [
    { label: "model", value: (r) => r.model },
    { label: "reference_id", value: (r) => r.reference_id },
    { label: "logged", value: (r) => (r.logged ? "yes" : "no") },
  ];
  if (classes.length > 0) {
    columns.push({ label: "label", value: (r) => r.label });
    for (const c of classes) columns.push({ label: c, value: (r) => bar(r.results[c]), className: "prob-cell" });
  } else {
    columns.push({ label: info.target, value: (r) => num(r.results), className: "num" });
  }
  fillTable($("predict-results"), columns, state.results);
  const note = $("predict-note");
  note.hidden = state.resultsTotal <= state.results.length;
  note.textContent = `showing the latest ${state.results.length} of ${state.resultsTotal} results`;
}

// ---- Prediction log --------------------------------------------------------------------------

function renderLogModels() {
  const select = $("log-model");
  const previous = select.value;
  select.replaceChildren(
    h("option", { value: "" }, "all models"),
    ...state.models.map((m) => h("option", { value: String(m.id) }, modelRef(m))),
  );
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

function logFilter() {
  const filter = {};
  if ($("log-model").value) filter.model = $("log-model").value;
  if ($("log-reference").value) filter.referenceId = $("log-reference").value;
  return filter;
}

/** One page of the filtered log (LOG_PAGE records, oldest first); `last`: the last page. */
async function renderLog({ last = false } = {}) {
  const page = state.open
    ? await call("logPage", logFilter(), last ? -1 : state.logOffset, LOG_PAGE)
    : { total: 0, offset: 0, records: [] };
  state.logOffset = page.offset;
  const records = page.records;
  const pages = Math.max(1, Math.ceil(page.total / LOG_PAGE));
  const current = Math.floor(page.offset / LOG_PAGE) + 1;
  $("log-count").textContent = `${page.total} record${page.total === 1 ? "" : "s"}`;
  $("log-page").textContent = `page ${current} of ${pages}`;
  $("log-prev").disabled = current <= 1;
  $("log-next").disabled = current >= pages;
  fillTable(
    $("log-table"),
    [
      { label: "call", value: (r) => r.call_id, className: "num" },
      { label: "position", value: (r) => r.position, className: "num" },
      { label: "created (UTC)", value: (r) => r.created_at },
      { label: "model", value: (r) => `${r.model_name}@${r.model_version}` },
      { label: "reference_id", value: (r) => r.reference_id },
      { label: "inputs", value: (r) => JSON.stringify(r.inputs), className: "json" },
      { label: "outputs", value: (r) => JSON.stringify(r.outputs), className: "json" },
    ],
    records,
  );
}

function turnLogPage(delta) {
  act(async () => {
    state.logOffset = Math.max(0, state.logOffset + delta * LOG_PAGE);
    await renderLog();
  });
}

// ---- Views -----------------------------------------------------------------------------------

const VIEWS = ["datasets", "models", "predict", "log"];

function showView(name) {
  if (!VIEWS.includes(name)) name = "datasets";
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  for (const tab of document.querySelectorAll("#tabs [data-view]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === name));
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

// ---- Actions ---------------------------------------------------------------------------------

// Registries the user opened, started or loaded (counted at once, before the worker answers):
// one chosen while the module was loading wins over the registry kept in this browser.
let chosen = 0;

async function openFile(file) {
  chosen += 1;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const size = bytes.length; // the buffer moves to the worker
  await call("open", bytes);
  await opened(file.name);
  showMessage(`Opened ${file.name} (${size.toLocaleString("en")} bytes).`);
}

// The page served by `mlops-lite serve` can open that server's registry: a consistent
// snapshot as one SQLite file (GET /api/registry.db), opened here like a file the user picked.
async function openServerRegistry() {
  chosen += 1;
  const response = await fetch("/api/registry.db");
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error.message;
    } catch {
      // not the API's JSON error: the status says enough
    }
    throw new Error(`/api/registry.db: ${message}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const size = bytes.length; // the buffer moves to the worker
  await call("open", bytes);
  await opened("the server's registry");
  showMessage(`Opened the server's registry (${size.toLocaleString("en")} bytes, a snapshot).`);
}

/** Shows "Open the server's registry" when this page comes from `mlops-lite serve`. */
async function detectServer() {
  try {
    const response = await fetch("/version");
    const version = response.ok ? await response.json() : null;
    $("open-server").hidden = typeof version?.mlops_lite !== "string";
  } catch {
    $("open-server").hidden = true;
  }
}

async function loadDemo() {
  chosen += 1;
  const response = await fetch("/data/iris.csv");
  if (!response.ok) throw new Error(`/data/iris.csv: HTTP ${response.status}`);
  const csv = await response.text();
  if (!state.open) {
    await call("create");
    state.open = true;
    setSource("demo (new registry)");
  }
  const { dataset, model } = await call("loadDemo", csv);
  state.model = model.model.id;
  state.dataset = dataset.dataset;
  state.offset = 0;
  await refresh();
  await persist();
  const d = dataset.dataset;
  const m = model.model;
  showMessage(
    `${dataset.created ? "Bound" : "Already bound:"} ${d.name}@${d.version} (${d.size_rows} rows); ` +
      `${model.created ? "trained" : "already trained:"} ${m.name}@${m.version}, ${m.estimator_class}, ${metricsText(m.metrics)}.`,
  );
}

async function forget() {
  await saving.catch(() => {});
  await kept.remove();
  await call("close");
  state.open = false;
  state.dataset = null;
  state.model = null;
  state.results = [];
  state.resultsTotal = 0;
  state.predictInfo = null;
  state.logOffset = 0;
  state.trainDataset = null;
  state.trainColumnsFor = null;
  setSource("");
  $("kept").hidden = true;
  $("forget").hidden = true;
  $("predict-results").replaceChildren();
  await refresh();
  showMessage("Forgotten: this browser no longer keeps a registry.");
}

function wire() {
  $("file-input").addEventListener("change", (e) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (file) act(() => openFile(file));
  });
  $("new-registry").addEventListener("click", () =>
    act(async () => {
      chosen += 1;
      await call("create");
      await opened("new registry");
      showMessage("A new, empty registry.");
    }),
  );
  $("load-demo").addEventListener("click", () => act(loadDemo));
  $("open-server").addEventListener("click", () => act(openServerRegistry));
  detectServer();
  $("download").addEventListener("click", () =>
    act(async () => {
      const bytes = await call("export");
      download(new Blob([bytes], { type: "application/vnd.sqlite3" }), "mlops-lite.db");
    }),
  );
  $("forget").addEventListener("click", () => act(forget));

  const zone = $("drop-zone");
  const over = (on) => zone.classList.toggle("over", on);
  document.addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    over(true);
  });
  document.addEventListener("dragleave", (e) => {
    if (e.relatedTarget === null) over(false);
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    over(false);
    const file = e.dataTransfer?.files?.[0];
    if (file) act(() => openFile(file));
  });

  $("rows-prev").addEventListener("click", () => turnPage(-1));
  $("rows-next").addEventListener("click", () => turnPage(1));

  $("bind-file").addEventListener("change", fileChosen);
  $("bind-name").addEventListener("input", (e) => delete e.target.dataset.auto);
  $("bind-form").addEventListener("submit", (e) => act(() => bindFile(e)));

  $("train-dataset").addEventListener("change", (e) =>
    act(async () => {
      state.trainDataset = Number(e.target.value);
      await fillTargets();
    }),
  );
  $("train-form").addEventListener("submit", (e) => act(() => train(e)));
  $("model-reproduce").addEventListener("click", () => act(reproduce));

  $("predict-model").addEventListener("change", (e) => act(() => buildFields(Number(e.target.value))));
  $("predict-form").addEventListener("submit", (e) => act(() => predict(e)));
  $("batch-submit").addEventListener("click", () => act(predictBatch));
  $("batch-file").addEventListener("change", () => {
    $("batch-result").textContent = "";
    $("batch-error").textContent = "";
  });

  $("log-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    act(async () => {
      state.logOffset = 0;
      await renderLog();
    });
  });
  $("log-prev").addEventListener("click", () => turnLogPage(-1));
  $("log-next").addEventListener("click", () => turnLogPage(1));
  $("log-export").addEventListener("click", () =>
    act(async () => {
      const csv = await call("logCsv", logFilter());
      download(new Blob([csv], { type: "text/csv;charset=utf-8" }), "mlops-lite-log.csv");
    }),
  );

  for (const tab of document.querySelectorAll("#tabs [data-view]")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
}

async function start() {
  wire();
  showView(location.hash.slice(1));
  await moduleReady();
  // A registry opened (or started) while the module was loading wins over the kept one.
  if (chosen > 0) return;
  const stored = await kept.get().catch(() => undefined);
  if (stored?.bytes) {
    try {
      await call("open", stored.bytes);
      await opened(stored.source || "kept registry", { store: false });
      $("kept").hidden = false;
      $("forget").hidden = false;
    } catch (e) {
      $("forget").hidden = false;
      throw new Error(`the registry kept in this browser does not open (${e.message}); "forget" removes it`);
    }
  } else {
    await refresh();
  }
}

act(async () => {
  try {
    await start();
  } finally {
    document.body.dataset.ready = "1";
    setBusy(-1); // the initial busy="1" of index.html
  }
});
