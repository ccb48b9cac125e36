// Browser (and bundler) entry of mlops-lite: call `await init()` once before using
// `Registry`; it fetches dist/mlops_lite_bg.wasm next to this file, or takes a URL,
// Response, bytes or WebAssembly.Module.
import wasmInit from "./dist/mlops_lite.js";

export { Registry, initSync } from "./dist/mlops_lite.js";

let ready;
/** Loads the WebAssembly module once; later calls return the same promise. */
export function init(moduleOrPath) {
  ready ??= wasmInit(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath }).catch(
    (e) => {
      ready = undefined; // a failed fetch may be retried
      throw e;
    },
  );
  return ready;
}
