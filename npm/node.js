// Node entry of mlops-lite: loads the WebAssembly module from the package's files at import
// time, so `Registry` is usable at once. `init()` exists for code shared with browsers.
import { readFile } from "node:fs/promises";
import { initSync } from "./dist/mlops_lite.js";

initSync({ module: await readFile(new URL("./dist/mlops_lite_bg.wasm", import.meta.url)) });

export { Registry, initSync } from "./dist/mlops_lite.js";

/** Loads the WebAssembly module (already done in Node; kept for code shared with browsers). */
export async function init() {}
