// Types of the mlops-lite package: the Registry class and every object it takes and
// returns (declared in src/wasm.rs, emitted by wasm-bindgen into dist/mlops_lite.d.ts).
export * from "./dist/mlops_lite.js";
export { Registry } from "./dist/mlops_lite.js";
/**
 * Loads the WebAssembly module (browsers: once, before using Registry, whose constructor and
 * `Registry.open` throw an Error saying to `await init()` until it has resolved; Node: no-op).
 */
export function init(moduleOrPath?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<unknown>;
