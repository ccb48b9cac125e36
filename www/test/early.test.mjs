// Issue 12: the page used before its WebAssembly module is ready. The .wasm is delayed by
// 2 s (request routing, as on a slow connection) and a file is picked, or dropped, at once:
// it opens once the module has arrived. A .wasm that fails to load (404, corrupt bytes)
// shows what happened with a Retry button, and the retry loads it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, idle, launch, tableRows, view } from "./harness.mjs";

let env;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-early-"));
const db = join(work, "early.db");
const WASM = "**/npm/dist/mlops_lite_bg.wasm";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  env = await launch();
  execFileSync(BIN, ["--db", db, "demo"], { cwd: work, stdio: "ignore" });
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The .wasm answered `delay` ms late; `fail(n)` may answer request n (from 1) itself. */
function slowWasm(delay, fail = () => false) {
  let n = 0;
  return (page) =>
    page.context().route(WASM, async (route) => {
      n += 1;
      if (fail(n, route)) return;
      await sleep(delay);
      await route.continue();
    });
}

async function seesTheFile(page, name) {
  await idle(page);
  assert.equal(await page.textContent("#source"), `Open: ${name}`);
  const datasets = await tableRows(page, "#datasets-table");
  assert.deepEqual(datasets.map((r) => r[1]), ["iris"]);
  await view(page, "models");
  await idle(page);
  const models = await tableRows(page, "#models-table");
  assert.ok(models.some((r) => r.includes("testmodel")), JSON.stringify(models));
  assert.equal(await page.isHidden("#loading"), true);
}

test("a file picked before the .wasm has arrived (2 s late) opens once it has", async (t) => {
  const { page } = await env.newPage(t, { route: slowWasm(2000), wait: false });
  await page.setInputFiles("#file-input", db);
  // The module is still on its way: the page says so.
  assert.equal(await page.isVisible("#loading"), true);
  assert.match(await page.textContent("#loading-text"), /Loading the WebAssembly module/);
  await seesTheFile(page, "early.db");
});

test("a file dropped before the .wasm has arrived opens once it has", async (t) => {
  const { page } = await env.newPage(t, { route: slowWasm(2000), wait: false });
  const b64 = readFileSync(db).toString("base64");
  await page.evaluate(
    ([data, name]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name));
      document.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    [b64, "dropped.db"],
  );
  await seesTheFile(page, "dropped.db");
});

test("a .wasm that fails to load (404, corrupt bytes, network error) shows the error and Retry loads it", async (t) => {
  const fail = (n, route) => {
    if (n === 1) route.fulfill({ status: 404, body: "gone" });
    else if (n === 2) route.fulfill({ status: 200, contentType: "application/wasm", body: "not a module" });
    else if (n === 3) route.abort("internetdisconnected");
    else return false;
    return true;
  };
  const { page } = await env.newPage(t, {
    route: slowWasm(0, fail),
    wait: false,
    allow: [/Failed to load resource/, /ERR_INTERNET_DISCONNECTED/],
  });
  await page.waitForSelector("#loading-retry:not([hidden])");
  assert.match(await page.textContent("#loading-text"), /could not be downloaded: HTTP 404.*press Retry/);
  assert.doesNotMatch(await page.textContent("body"), /Cannot read properties|undefined/);
  await page.click("#loading-retry");
  await page.waitForSelector("#loading-retry:not([hidden])");
  assert.match(await page.textContent("#loading-text"), /is not a WebAssembly module this page can run/);
  await page.click("#loading-retry");
  await page.waitForSelector("#loading-retry:not([hidden])");
  assert.match(await page.textContent("#loading-text"), /could not be downloaded \(.*\); check the connection and press Retry/);
  await page.click("#loading-retry");
  await idle(page);
  assert.equal(await page.isHidden("#loading"), true);
  await page.setInputFiles("#file-input", db);
  await seesTheFile(page, "early.db");
});

test("the npm package used before init() in Chromium throws an Error saying to await init()", async (t) => {
  const { page } = await env.newPage(t);
  const results = await page.evaluate(async () => {
    // The page's own copy of the module (its worker has another): not initialised here.
    const { init, Registry } = await import("/npm/web.js");
    const tried = [];
    for (const use of [() => new Registry(), () => Registry.open(new Uint8Array())]) {
      try {
        use();
        tried.push("no error");
      } catch (e) {
        tried.push(`${e.constructor.name}: ${e.message}`);
      }
    }
    await init();
    tried.push(`after init: ${new Registry().listDatasets().length}`);
    return tried;
  });
  const early =
    "Error: mlops-lite: the WebAssembly module is not loaded yet; `await init()` (or call initSync) before using Registry";
  assert.deepEqual(results, [early, early, "after init: 0"]);
});
