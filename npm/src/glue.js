// JS glue of the WebAssembly bindings (src/wasm/interop.rs imports these functions with
// `#[wasm_bindgen(module = "/npm/src/glue.js")]`; wasm-bindgen copies this file into
// dist/snippets/). Conversion only: the predictions' JS objects are built from flat arrays
// in one call (one crossing per batch instead of several per record, and no JSON text to
// parse), and plain records are packed into one Float64Array.

// A fast path for the common batch: plain objects whose keys are all features (or
// reference_id) with finite numbers, booleans for boolean features, or null. It copies the
// values into one Float64Array, feature by feature (column j holds records' values at
// [j * n, (j + 1) * n)): the columns the core runs. It does not validate: on anything else
// it returns null and the records take the JSON path, where the core validates and words
// the error.
export function packRecords(records, names, kinds) {
  const n = records.length;
  const k = names.length;
  if (kinds.includes(2)) return null; // string features: the JSON path
  // A key's feature: by a scan of the names for a narrow model (faster than a Map there), by
  // a Map for a wide one.
  const slot = k > 16 ? new Map(names.map((name, j) => [name, j])) : null;
  const nums = new Float64Array(n * k).fill(NaN);
  const refNull = new Uint8Array(n);
  const refs = new Array(n);
  let anyRef = false;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    if (r === null || typeof r !== "object" || Object.getPrototypeOf(r) !== Object.prototype) return null;
    refNull[i] = 1;
    refs[i] = "";
    // for...in visits the own keys in Object.keys' order without building their array; an
    // enumerable key inherited from a modified Object.prototype is no feature: JSON path.
    for (const key in r) {
      const v = r[key];
      if (key === "reference_id") {
        if (typeof v === "string" && !v.includes("\u001f")) { refs[i] = v; refNull[i] = 0; }
        else if (typeof v === "number" && Number.isSafeInteger(v)) { refs[i] = String(v); refNull[i] = 0; }
        else if (v !== null && v !== undefined) return null;
        anyRef ||= refNull[i] === 0;
        continue;
      }
      const j = slot === null ? names.indexOf(key) : (slot.get(key) ?? -1);
      if (j < 0) return null;
      if (v === null || v === undefined) continue;
      if (kinds[j] === 0) {
        if (typeof v !== "number" || !Number.isFinite(v)) return null;
        nums[j * n + i] = v;
      } else {
        if (typeof v !== "boolean") return null;
        nums[j * n + i] = v ? 1 : 0;
      }
    }
  }
  // No record with a reference id: none cross (refText undefined).
  return anyRef ? { nums, refText: refs.join("\u001f"), refNull } : { nums, refText: undefined, refNull };
}

// One column given as a plain array, typed by its values: numbers (null and undefined are
// NaN, i.e. null) as a Float64Array (kind 0), booleans as a Uint8Array of 0, 1 or 2 for null
// (kind 1), or strings (null allowed) as they are (kind 2). A column of nulls only is numbers.
// Anything else (mixed or other values) throws a TypeError naming the first such value.
export function columnFromArray(values, name) {
  const n = values.length;
  let kind = -1;
  for (let i = 0; i < n && kind < 0; i++) {
    const v = values[i];
    if (typeof v === "number") kind = 0;
    else if (typeof v === "boolean") kind = 1;
    else if (typeof v === "string") kind = 2;
  }
  if (kind < 0) kind = 0;
  const want = ["number", "boolean", "string"][kind];
  const out = kind === 0 ? new Float64Array(n) : kind === 1 ? new Uint8Array(n) : new Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      out[i] = kind === 0 ? NaN : kind === 1 ? 2 : null;
    } else if (typeof v !== want) {
      throw new TypeError(`columns[${JSON.stringify(name)}][${i}]: expected a ${want} or null like the column's other values, found ${typeof v === "object" ? "an object" : "a " + typeof v}`);
    } else {
      out[i] = kind === 1 ? (v ? 1 : 0) : v;
    }
  }
  return { kind, values: out };
}

const encoder = new TextEncoder();

// Encodes `text` from UTF-16 unit `from` on into the bytes of `into` (a view of wasm
// memory), as TextEncoder does (a lone surrogate becomes U+FFFD); [units read, bytes written].
export function encodeUtf8Into(text, from, into) {
  const done = encoder.encodeInto(from === 0 ? text : text.substring(from), into);
  return [done.read, done.written];
}

// JSON.stringify marking NaN and Infinity (which JSON cannot carry) as "\u0000NaN" etc.,
// which the core's record parser reports as non-finite numbers.
export function stringifyRecords(records) {
  return JSON.stringify(records, (k, v) =>
    typeof v === "number" && !Number.isFinite(v) ? "\u0000" + String(v) : v);
}

// Defines `obj[key]` as an enumerable property computed by `make` on first read, then kept
// (a plain value from then on: assignable, and read like any other property).
function lazy(obj, key, make) {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = make();
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
    },
  });
}

// The predictions of `n` records as JS values, from flat arrays (one crossing per batch):
// `refText` their reference ids joined by U+001F (or an array of them), `refNull` 1 where a
// record has none; both absent (undefined, empty) when no record has one. As records
// (`[{ reference_id, results, label }]`, `values` by record) or, with `asColumns`, as
// columns: `{ reference_id: [...], results: { class: Float64Array }, label_index: Uint32Array,
// label: [...] }` for a classifier (values class by class, each class a view of one array), `{ reference_id,
// results: Float64Array }` for a regressor.
export function buildPredictions(n, refText, refNull, classes, values, labels, asColumns) {
  const k = classes.length;
  let refs = null; // null: no record has a reference id
  if (refText === undefined) {
    if (!asColumns) refs = new Array(n).fill(null);
  } else {
    const parts = typeof refText === "string" ? (n > 0 ? refText.split("\u001f") : []) : refText;
    refs = new Array(n);
    for (let i = 0; i < n; i++) refs[i] = refNull[i] ? null : parts[i];
  }
  if (asColumns) {
    // Columns stay numbers, as the native Predictions are: `label_index` (the class index of
    // each record); the `label` strings and the `reference_id` array are made on first read
    // (an array of a million entries costs about 10 ms each), then kept.
    const out = {};
    lazy(out, "reference_id", () => refs ?? new Array(n).fill(null));
    if (k === 0) {
      out.results = values;
      return out;
    }
    const results = {};
    for (let j = 0; j < k; j++) results[classes[j]] = values.subarray(j * n, (j + 1) * n);
    out.results = results;
    out.label_index = labels;
    lazy(out, "label", () => {
      const label = new Array(n);
      for (let i = 0; i < n; i++) label[i] = classes[labels[i]];
      return label;
    });
    return out;
  }
  const out = new Array(n);
  if (k === 0) {
    for (let i = 0; i < n; i++) out[i] = { reference_id: refs[i], results: values[i] };
    return out;
  }
  for (let i = 0; i < n; i++) {
    const results = {};
    for (let j = 0; j < k; j++) results[classes[j]] = values[i * k + j];
    out[i] = { reference_id: refs[i], results, label: classes[labels[i]] };
  }
  return out;
}
