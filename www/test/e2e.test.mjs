// End-to-end tests of the mlops-lite page in real headless Chromium (playwright-core, the
// system's /usr/bin/chromium; never a downloaded browser). scripts/test-www.sh starts
// `mlops-lite serve` and passes its URL in MLOPS_LITE_URL; without it, this file starts
// one itself. Registries are made with the native CLI (MLOPS_LITE_BIN), and the file the
// page downloads is read back with it. Screenshots go to www/test/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import http from "node:http";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");
const BIN = process.env.MLOPS_LITE_BIN ?? join(repo, "target", "debug", "mlops-lite");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = join(here, "screenshots");
// The README's probabilities for {6.3, 2.9, 5.6, null} with the CLI-trained testmodel; the
// page trains in WebAssembly, whose exp/ln differ from native in the last bits, so its
// model (and these numbers) agree to about 1e-10, not exactly.
const README_OUTPUTS = [0.0031873784153674724, 0.6206785780162141, 0.37613404356841845];
function close(actual, expected, tolerance = 1e-8) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tolerance, `${a} is not ${expected[i]} ± ${tolerance}`));
}
const P_IMG = "<img src=x onerror=window.__pwned=1>";
const P_SCRIPT = "<script>window.__pwned=1</script>";

let browser;
let server; // the child process, when this file started the server itself
let base = process.env.MLOPS_LITE_URL;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-"));

function cli(...args) {
  return execFileSync(BIN, args, { encoding: "utf8", cwd: work });
}

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM=/path)`);
  }
  if (!existsSync(BIN)) throw new Error(`the CLI is missing at ${BIN} (cargo build)`);
  if (!existsSync(join(repo, "npm", "dist", "mlops_lite_bg.wasm"))) {
    throw new Error("npm/dist is not built (bash scripts/build-npm.sh)");
  }
  mkdirSync(SHOTS, { recursive: true });
  if (!base) {
    server = spawn(BIN, ["serve", "--port", "0", "--dir", repo], { stdio: ["ignore", "pipe", "inherit"] });
    base = await new Promise((ok, fail) => {
      let out = "";
      server.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
        if (m) ok(m[0].replace(/\/$/, ""));
      });
      server.on("exit", (code) => fail(new Error(`mlops-lite serve exited (${code})`)));
    });
  }
  base = base.replace(/\/$/, "");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(work, { recursive: true, force: true });
});

/** A new page (own IndexedDB) that fails the test on any page error or console error. */
async function newPage(t) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], "the page logged errors");
  });
  await page.goto(`${base}/`);
  await idle(page);
  return { page, context, errors };
}

/** Waits until the page has started and no worker call is in flight. */
async function idle(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.busy === "0");
}

async function tableRows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
}

async function tableHead(page, selector) {
  return page.$$eval(`${selector} thead th`, (ths) => ths.map((th) => th.textContent));
}

async function message(page) {
  return page.textContent("#message");
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function view(page, name) {
  await page.click(`#tabs [data-view="${name}"]`);
  await idle(page);
}

function get(path) {
  // node's http keeps the path as given (no `..` normalisation), unlike fetch.
  return new Promise((ok, fail) => {
    const req = http.request(`${base}${path}`, { method: "GET" }, (res) => {
      let body = Buffer.alloc(0);
      res.on("data", (d) => (body = Buffer.concat([body, d])));
      res.on("end", () => ok({ status: res.statusCode, type: res.headers["content-type"], body }));
    });
    req.path = path;
    req.on("error", fail);
    req.end();
  });
}

test("mlops-lite serve: content types, 127.0.0.1 only, no path traversal", async () => {
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
  const cases = [
    ["/", "text/html; charset=utf-8"],
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/style.css", "text/css; charset=utf-8"],
    ["/npm/web.js", "text/javascript; charset=utf-8"],
    ["/npm/dist/mlops_lite_bg.wasm", "application/wasm"],
    ["/data/iris.csv", "text/csv; charset=utf-8"],
  ];
  for (const [path, type] of cases) {
    const r = await get(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.type, type, path);
  }
  const wasm = await get("/npm/dist/mlops_lite_bg.wasm");
  assert.deepEqual([...wasm.body.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  for (const path of ["/../Cargo.toml", "/npm/../Cargo.toml", "/%2e%2e/Cargo.toml", "/data/..%2f..%2fCargo.toml", "/npm/node_modules/.package-lock.json", "/.git/config"]) {
    const r = await get(path);
    assert.equal(r.status, 403, path);
    assert.doesNotMatch(r.body.toString(), /\[package\]/, path);
  }
  assert.equal((await get("/nothing-here.js")).status, 404);
});

test("opens a CLI-made registry through the file input: datasets, rows, models", async (t) => {
  cli("--db", "cli.db", "demo");
  const { page } = await newPage(t);
  await shot(page, "01-start");
  assert.equal(await page.textContent("#source"), "No registry is open.");
  await page.setInputFiles("#file-input", join(work, "cli.db"));
  await idle(page);
  assert.match(await message(page), /^Opened cli\.db \(\d[\d,]* bytes\)\.$/);
  assert.equal(await page.textContent("#source"), "Open: cli.db");

  assert.deepEqual(await tableHead(page, "#datasets-table"), ["id", "name", "version", "columns", "rows", "description", "created"]);
  const datasets = await tableRows(page, "#datasets-table");
  assert.equal(datasets.length, 1);
  assert.deepEqual(datasets[0].slice(0, 6), ["1", "iris", "1", "5", "150", "Iris plants: 4 measurements (cm) and the species, 150 rows"]);
  assert.match(datasets[0][6], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

  // Per-dataset info and the paged rows (20 a page).
  await page.click("#datasets-table tbody tr");
  await idle(page);
  const info = await tableRows(page, "#dataset-info");
  assert.deepEqual(info.map((r) => [r[0], r[2]]), [
    ["sepal length (cm)", "Float64"],
    ["sepal width (cm)", "Float64"],
    ["petal length (cm)", "Float64"],
    ["petal width (cm)", "Float64"],
    ["target", "string"],
  ]);
  assert.deepEqual(info[0].slice(3), ["0", "35", "4.3", "7.9", "5.84333", "0.828066"]);
  assert.equal(await page.textContent("#rows-label"), "rows 1–20 of 150");
  let rows = await tableRows(page, "#dataset-rows");
  assert.equal(rows.length, 20);
  assert.deepEqual(rows[0], ["1", "5.1", "3.5", "1.4", "0.2", "setosa"]);
  await shot(page, "02-datasets");
  await page.click("#rows-next");
  await idle(page);
  assert.equal(await page.textContent("#rows-label"), "rows 21–40 of 150");
  rows = await tableRows(page, "#dataset-rows");
  assert.equal(rows[0][0], "21");
  for (let i = 0; i < 6; i++) {
    if (await page.isDisabled("#rows-next")) break;
    await page.click("#rows-next");
    await idle(page);
  }
  assert.equal(await page.textContent("#rows-label"), "rows 141–150 of 150");
  assert.equal(await page.isDisabled("#rows-next"), true);
  assert.deepEqual((await tableRows(page, "#dataset-rows")).at(-1), ["150", "5.9", "3.0", "5.1", "1.8", "virginica"]);

  // Models and per-model info.
  await view(page, "models");
  const models = await tableRows(page, "#models-table");
  assert.equal(models.length, 1);
  assert.deepEqual(models[0].slice(0, 7), ["1", "testmodel", "1", "1", "LogisticRegression", "classifier", "target"]);
  assert.match(models[0][7], /^accuracy=0\.\d+ log_loss=0\.\d+ macro_f1=0\.\d+$/);
  await page.click("#models-table tbody tr");
  await idle(page);
  assert.deepEqual(await tableRows(page, "#model-signature"), [
    ["sepal length (cm)", "Float64"],
    ["sepal width (cm)", "Float64"],
    ["petal length (cm)", "Float64"],
    ["petal width (cm)", "Float64"],
  ]);
  assert.equal(await page.textContent("#model-classes"), "setosa, versicolor, virginica");
  const metrics = Object.fromEntries(await tableRows(page, "#model-metrics"));
  assert.equal(metrics.n_train, "112");
  assert.equal(metrics.n_test, "38");
  const lineage = Object.fromEntries(await tableRows(page, "#model-lineage"));
  assert.equal(lineage.dataset, "iris@1 (id 1)");
  assert.equal(lineage["dataset md5"], "1691b6054247506429b07bc1fa364ee3");
  assert.match(await page.textContent("#model-spec"), /"standard_scaler"/);
  await shot(page, "03-models");

  // The CLI demo logged two predictions.
  await view(page, "log");
  const log = await tableRows(page, "#log-table");
  assert.equal(log.length, 2);
  assert.deepEqual(log.map((r) => [r[3], r[4]]), [
    ["testmodel@1", ""],
    ["testmodel@1", "some_external_id"],
  ]);
});

test("opens a .db dropped on the page", async (t) => {
  cli("--db", "drop.db", "demo");
  const { page } = await newPage(t);
  const bytes = [...readFileSync(join(work, "drop.db"))];
  const dataTransfer = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], "dropped.db", { type: "application/vnd.sqlite3" }));
    return dt;
  }, bytes);
  await page.dispatchEvent("#drop-zone", "dragover", { dataTransfer });
  assert.equal(await page.$eval("#drop-zone", (z) => z.classList.contains("over")), true);
  await page.dispatchEvent("#drop-zone", "drop", { dataTransfer });
  await idle(page);
  assert.equal(await page.textContent("#source"), "Open: dropped.db");
  assert.equal((await tableRows(page, "#datasets-table"))[0][1], "iris");
});

test("load demo, predict with logging, log table, CSV export, download read by the CLI, reload keeps it", async (t) => {
  const { page } = await newPage(t);
  await page.click("#load-demo");
  await idle(page);
  assert.match(await message(page), /^Bound iris@1 \(150 rows\); trained testmodel@1, LogisticRegression, accuracy=/);
  assert.equal(await page.textContent("#source"), "Open: demo (new registry)");
  assert.equal(await page.isVisible("#kept"), true);
  assert.equal(await page.textContent("#kept"), "kept in this browser (IndexedDB)");
  assert.deepEqual((await tableRows(page, "#datasets-table")).map((r) => r[1]), ["iris"]);
  assert.equal((await tableRows(page, "#dataset-rows")).length, 20);

  // The demo again binds and trains nothing new (md5 dedupe).
  await page.click("#load-demo");
  await idle(page);
  assert.match(await message(page), /^Already bound: iris@1 .* already trained: testmodel@1/);

  // Predict one record, logged, with a reference id.
  await view(page, "predict");
  assert.deepEqual(
    await page.$$eval("#predict-fields .feature-name", (els) => els.map((e) => e.textContent)),
    ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
  );
  assert.equal(await page.inputValue("#feature-0"), "5.1"); // the dataset's first row
  // A bad value is named next to the form, and nothing is predicted.
  await page.fill("#feature-0", "");
  await page.focus("#feature-0");
  await page.keyboard.type("1e999"); // typed: too large for a number input (badInput)
  await page.click("#predict-submit");
  await idle(page);
  assert.equal(await page.textContent("#predict-error"), "sepal length (cm): not a valid number");
  assert.equal((await tableRows(page, "#predict-results")).length, 0);
  await page.fill("#feature-0", "6.3");
  await page.fill("#feature-1", "2.9");
  await page.fill("#feature-2", "5.6");
  await page.fill("#feature-3", ""); // null: the imputer fills it
  await page.fill("#predict-reference", "order-17");
  assert.equal(await page.isChecked("#predict-log"), true);
  await page.click("#predict-submit");
  await idle(page);
  assert.equal(await page.textContent("#predict-error"), "");
  assert.deepEqual(await tableHead(page, "#predict-results"), ["model", "reference_id", "logged", "label", "setosa", "versicolor", "virginica"]);
  let results = await tableRows(page, "#predict-results");
  assert.equal(results.length, 1);
  // The README's numbers for this record: 0.0031873784153674724, 0.6206785780162141, 0.37613404356841845.
  assert.deepEqual(results[0], ["testmodel@1", "order-17", "yes", "versicolor", "0.3%", "62.1%", "37.6%"]);
  const widths = await page.$$eval("#predict-results tbody tr:first-child .bar", (bars) => bars.map((b) => b.style.width));
  assert.equal(widths.length, 3);
  assert.match(widths[1], /^62\.06\d*%$/);

  // Not logged: shown, but not in the log.
  await page.uncheck("#predict-log");
  await page.fill("#predict-reference", "not-logged");
  await page.click("#predict-submit");
  await idle(page);
  results = await tableRows(page, "#predict-results");
  assert.deepEqual(results.map((r) => [r[1], r[2]]), [["not-logged", "no"], ["order-17", "yes"]]);

  await shot(page, "04-predict");

  // The log: one record; filters by model and by reference id.
  await view(page, "log");
  let log = await tableRows(page, "#log-table");
  assert.equal(log.length, 1);
  assert.deepEqual(log[0].slice(3, 6), ["testmodel@1", "order-17", "[6.3,2.9,5.6,null]"]);
  close(JSON.parse(log[0][6]), README_OUTPUTS);
  await page.fill("#log-reference", "nothing-like-this");
  await page.click("#log-apply");
  await idle(page);
  assert.equal((await tableRows(page, "#log-table")).length, 0);
  assert.equal(await page.textContent("#log-count"), "0 records");
  await page.fill("#log-reference", "order-17");
  await page.selectOption("#log-model", { label: "testmodel@1" });
  await page.click("#log-apply");
  await idle(page);
  assert.equal((await tableRows(page, "#log-table")).length, 1);
  await shot(page, "05-log");

  // Export as CSV (the columns of `mlops-lite log export`).
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#log-export")]);
  assert.equal(csvDownload.suggestedFilename(), "mlops-lite-log.csv");
  const csvPath = join(work, "log.csv");
  await csvDownload.saveAs(csvPath);
  const csv = readFileSync(csvPath, "utf8").trim().split("\n");
  assert.equal(csv[0], "call_id,position,created_at,model,model_version,reference_id,inputs,outputs");
  assert.equal(csv.length, 2);
  assert.match(csv[1], /^1,0,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3},testmodel,1,order-17,"\[6\.3,2\.9,5\.6,null\]","\[0\.00318737\d+,0\.62067857\d+,0\.37613404\d+\]"$/);

  // Download the registry and read it with the native CLI.
  const [dbDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(dbDownload.suggestedFilename(), "mlops-lite.db");
  const dbPath = join(work, "downloaded.db");
  await dbDownload.saveAs(dbPath);
  const logged = JSON.parse(cli("--db", dbPath, "--json", "log", "list"));
  assert.equal(logged.length, 1);
  assert.equal(logged[0].reference_id, "order-17");
  assert.equal(logged[0].model_name, "testmodel");
  assert.deepEqual(logged[0].inputs, [6.3, 2.9, 5.6, null]);
  close(logged[0].outputs, README_OUTPUTS);
  assert.deepEqual(logged[0].outputs, JSON.parse(log[0][6])); // the file holds what the page showed
  assert.deepEqual(JSON.parse(cli("--db", dbPath, "--json", "dataset", "list")).map((d) => d.md5), ["1691b6054247506429b07bc1fa364ee3"]);
  // The CLI replays the browser's logged prediction and gets the same numbers.
  cli("--db", dbPath, "verify");

  // A reload keeps the registry (IndexedDB), with its log.
  await page.reload();
  await idle(page);
  assert.equal(await page.textContent("#source"), "Open: demo (new registry)");
  assert.equal(await page.isVisible("#kept"), true);
  assert.equal(await page.isVisible("#log-table"), true); // the #log view stays selected
  assert.equal((await tableRows(page, "#log-table")).length, 1);
  await view(page, "datasets");
  assert.deepEqual((await tableRows(page, "#datasets-table")).map((r) => r[1]), ["iris"]);
  await shot(page, "06-kept-after-reload");

  // forget: removed from IndexedDB; a reload opens nothing.
  await page.click("#forget");
  await idle(page);
  assert.equal(await page.textContent("#source"), "No registry is open.");
  assert.equal(await page.isVisible("#kept"), false);
  await page.reload();
  await idle(page);
  assert.equal(await page.textContent("#source"), "No registry is open.");
  assert.equal((await tableRows(page, "#datasets-table")).length, 0);
});

test("names with HTML in them are shown literally and run nothing", async (t) => {
  // A registry whose dataset, columns, class labels, model and reference id are markup.
  const lines = [[P_IMG, P_SCRIPT, "kind", `target ${P_SCRIPT}`]];
  for (let i = 0; i < 40; i++) {
    const a = ((i * 7919) % 100) / 10;
    const b = ((i * 104729) % 50) / 10;
    lines.push([a, b, [P_IMG, P_SCRIPT, "plain"][i % 3], a > 5 ? P_IMG : P_SCRIPT]);
  }
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  writeFileSync(join(work, "xss.csv"), lines.map((l) => l.map(quote).join(",")).join("\n") + "\n");
  cli("--db", "xss.db", "dataset", "add", "xss.csv", "--name", P_IMG, "--description", P_SCRIPT);
  cli("--db", "xss.db", "model", "train", "--dataset", P_IMG, "--target", `target ${P_SCRIPT}`, "--name", P_SCRIPT, "--description", P_IMG);
  writeFileSync(join(work, "xss.json"), JSON.stringify([{ reference_id: P_IMG, [P_IMG]: 7, [P_SCRIPT]: 2, kind: P_SCRIPT }]));
  cli("--db", "xss.db", "predict", "--model", P_SCRIPT, "xss.json", "--log");

  const { page } = await newPage(t);
  await page.setInputFiles("#file-input", join(work, "xss.db"));
  await idle(page);
  const datasets = await tableRows(page, "#datasets-table");
  assert.deepEqual([datasets[0][1], datasets[0][5]], [P_IMG, P_SCRIPT]);
  await page.click("#datasets-table tbody tr");
  await idle(page);
  assert.deepEqual((await tableRows(page, "#dataset-info")).map((r) => r[0]), [P_IMG, P_SCRIPT, "kind", `target ${P_SCRIPT}`]);
  assert.deepEqual(await tableHead(page, "#dataset-rows"), ["#", P_IMG, P_SCRIPT, "kind", `target ${P_SCRIPT}`]);
  assert.equal((await page.textContent("#dataset-title")).startsWith(`${P_IMG}@1 (id 1)`), true);
  await shot(page, "07-html-names-datasets");

  await view(page, "models");
  await page.click("#models-table tbody tr");
  await idle(page);
  assert.equal((await tableRows(page, "#models-table"))[0][1], P_SCRIPT);
  assert.equal((await tableRows(page, "#models-table"))[0][8], P_IMG);
  assert.equal(await page.textContent("#model-classes"), `${P_IMG}, ${P_SCRIPT}`);

  await view(page, "predict");
  assert.equal(await page.textContent("#predict-model option"), `${P_SCRIPT}@1`);
  await page.fill("#predict-reference", P_IMG);
  await page.fill("#feature-2", P_SCRIPT);
  await page.click("#predict-submit");
  await idle(page);
  assert.equal(await page.textContent("#predict-error"), "");
  const head = await tableHead(page, "#predict-results");
  assert.deepEqual(head.slice(4), [P_IMG, P_SCRIPT]);
  const [result] = await tableRows(page, "#predict-results");
  assert.equal(result[1], P_IMG);
  assert.ok([P_IMG, P_SCRIPT].includes(result[3]));
  await shot(page, "08-html-names-predict");

  await view(page, "log");
  const log = await tableRows(page, "#log-table");
  assert.equal(log.length, 2);
  assert.deepEqual(log.map((r) => [r[3], r[4]]), [[`${P_SCRIPT}@1`, P_IMG], [`${P_SCRIPT}@1`, P_IMG]]);
  assert.equal(log[0][5], JSON.stringify([7, 2, P_SCRIPT])); // logged by the CLI
  assert.equal(log[1][5], JSON.stringify([0, 0, P_SCRIPT])); // the form: first row, kind changed
  await shot(page, "09-html-names-log");

  // Nothing ran, and no element was made from the names.
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.evaluate(() => document.querySelectorAll("main img, main script, header img").length), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll("script").length), 1);
});

test("every value is rendered as text: no innerHTML in the page's code", () => {
  for (const file of ["app.js", "worker.js"]) {
    const code = readFileSync(join(repo, "www", file), "utf8");
    assert.doesNotMatch(code, /\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function/, file);
  }
});
