// The mlops-lite page: opens a registry (.db file, new, demo) in a Web Worker (worker.js,
// which runs the npm package's WebAssembly core), shows its datasets, models and log,
// predicts one record, downloads the file, and keeps it across reloads in IndexedDB.
//
// Every value read from a registry reaches the page through textContent or a property
// (never innerHTML): a name like `<img src=x onerror=...>` is shown as text.

const PAGE_ROWS = 20;
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
  $("log-reference").value = "";
  setSource(source);
  await refresh();
  if (store) await persist();
}

// ---- Datasets --------------------------------------------------------------------------------

function renderDatasets() {
  $("datasets-empty").hidden = state.datasets.length > 0;
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
      ["smartcore", info.smartcore_version],
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
  $("model-spec").textContent = JSON.stringify(info.spec, null, 2);
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
  if (changed) state.results = [];
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
    state.results.unshift({ ...p, logged: log, model: modelRef(m) });
    renderResults();
    if (log) {
      await renderLog();
      await persist();
    }
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
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

async function logRecords() {
  return state.open ? await call("log", logFilter()) : [];
}

async function renderLog() {
  const records = await logRecords();
  $("log-count").textContent = `${records.length} record${records.length === 1 ? "" : "s"}`;
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

/** CSV as `mlops-lite log export` writes it (RFC 4180 quoting). */
function logCsv(records) {
  const quote = (v) => {
    const s = text(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const header = ["call_id", "position", "created_at", "model", "model_version", "reference_id", "inputs", "outputs"];
  const lines = [header.join(",")];
  for (const r of records) {
    lines.push(
      [r.call_id, r.position, r.created_at, r.model_name, r.model_version, r.reference_id ?? "", JSON.stringify(r.inputs), JSON.stringify(r.outputs)]
        .map(quote)
        .join(","),
    );
  }
  return lines.join("\n") + "\n";
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

async function openFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const size = bytes.length; // the buffer moves to the worker
  await call("open", bytes);
  await opened(file.name);
  showMessage(`Opened ${file.name} (${size.toLocaleString("en")} bytes).`);
}

async function loadDemo() {
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
  state.predictInfo = null;
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
      await call("create");
      await opened("new registry");
      showMessage("A new, empty registry.");
    }),
  );
  $("load-demo").addEventListener("click", () => act(loadDemo));
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

  $("predict-model").addEventListener("change", (e) => act(() => buildFields(Number(e.target.value))));
  $("predict-form").addEventListener("submit", (e) => act(() => predict(e)));

  $("log-filter").addEventListener("submit", (e) => {
    e.preventDefault();
    act(renderLog);
  });
  $("log-export").addEventListener("click", () =>
    act(async () => {
      const csv = logCsv(await logRecords());
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
  await call("init");
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
