// Browser (and bundler) entry of mlops-lite: call `await init()` once before using
// `Registry`; it fetches dist/mlops_lite_bg.wasm next to this file, or takes a URL,
// Response, bytes or WebAssembly.Module. Using `Registry` before that throws an Error that
// says so (the generated glue alone would throw a TypeError from inside).
import wasmInit, { Registry as WasmRegistry, initSync as wasmInitSync } from "./dist/mlops_lite.js";

let loaded = false;

function loadedOrThrow() {
  if (!loaded) {
    throw new Error(
      "mlops-lite: the WebAssembly module is not loaded yet; `await init()` (or call initSync) " +
        "before using Registry",
    );
  }
}

/**
 * `Registry`, checked: constructing it or calling a static method (`Registry.open`) before
 * the module is loaded throws an Error saying to `await init()` first. Instances are the
 * generated class's (`instanceof Registry` holds).
 */
export const Registry = new Proxy(WasmRegistry, {
  construct(target, args, newTarget) {
    loadedOrThrow();
    return Reflect.construct(target, args, newTarget === Registry ? target : newTarget);
  },
  get(target, prop, receiver) {
    const value = Reflect.get(target, prop, receiver);
    if (typeof value !== "function" || prop === "prototype" || prop === Symbol.hasInstance) return value;
    return (...args) => {
      loadedOrThrow();
      return value.apply(target, args);
    };
  },
});

/** Loads the module synchronously from bytes or a WebAssembly.Module. */
export function initSync(module) {
  const result = wasmInitSync(module);
  loaded = true;
  return result;
}

let ready;
/** Loads the WebAssembly module once; later calls return the same promise. */
export function init(moduleOrPath) {
  ready ??= wasmInit(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath }).then(
    (result) => {
      loaded = true;
      return result;
    },
    (e) => {
      ready = undefined; // a failed fetch may be retried
      throw e;
    },
  );
  return ready;
}
