// End-to-end tests of the mlops-lite page in real headless Chromium (playwright-core, the
// system's /usr/bin/chromium; never a downloaded browser). scripts/test-www.sh starts
// `mlops-lite serve` and passes its URL in MLOPS_LITE_URL; without it, this file starts
// one itself. Registries are made with the native CLI (MLOPS_LITE_BIN), and the file the
// page downloads is read back with it. Screenshots go to a temporary folder, or to
// MLOPS_LITE_SHOTS (harness.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { BIN, SHOTS, idle, launch, repo, tableHead, tableRows, view } from "./harness.mjs";
// The README's probabilities for {6.3, 2.9, 5.6, null} with the CLI-trained testmodel. The
// page trains in WebAssembly, which gives the native artifact bit for bit (issue 14:
// src/vendor/README.md), so its numbers are these exactly.
const README_OUTPUTS = [0.003187378445697916, 0.6206785780606119, 0.3761340434936902];
const P_IMG = "<img src=x onerror=window.__pwned=1>";
const P_SCRIPT = "<script>window.__pwned=1</script>";

let env; // Chromium and the server: harness.mjs
let base;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-"));

function cli(...args) {
  return execFileSync(BIN, args, { encoding: "utf8", cwd: work });
}

before(async () => {
  env = await launch();
  base = env.base;
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

const newPage = (t) => env.newPage(t);

async function message(page) {
  return page.textContent("#message");
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
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

test("opens the server's registry from /api/registry.db, with a prediction logged over HTTP", async (t) => {
  const served = process.env.MLOPS_LITE_SERVED_DB;
  assert.ok(served, "MLOPS_LITE_SERVED_DB names the registry the server holds (scripts/test-www.sh)");
  // A logged prediction through the API: the snapshot the page opens holds it.
  const reference = `www-${Date.now()}`;
  const answer = await fetch(`${base}/api/models/testmodel/predict?log=true`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([{ "sepal length (cm)": 6.3, "sepal width (cm)": 2.9, "petal length (cm)": 5.6, "petal width (cm)": 1.8, reference_id: reference }]),
  });
  assert.equal(answer.status, 200);
  const [prediction] = await answer.json();
  assert.equal(prediction.reference_id, reference);
  const logged = JSON.parse(cli("--db", served, "--json", "log", "list", "--reference-id", reference));
  assert.equal(logged.length, 1);

  const { page } = await newPage(t);
  await page.waitForSelector("#open-server:not([hidden])");
  await page.click("#open-server");
  await idle(page);
  assert.match(await message(page), /^Opened the server's registry \(\d[\d,]* bytes, a snapshot\)\.$/);
  assert.equal(await page.textContent("#source"), "Open: the server's registry");
  const datasets = await tableRows(page, "#datasets-table");
  assert.deepEqual(datasets.map((r) => r.slice(0, 5)), [["1", "iris", "1", "5", "150"]]);
  await view(page, "log");
  const log = await tableRows(page, "#log-table");
  assert.ok(log.some((row) => row.includes(reference)), `the log view shows ${reference}`);
  await shot(page, "server-registry");
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
  // The README's numbers for this record: 0.003187378445697916, 0.6206785780606119, 0.3761340434936902.
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
  assert.deepEqual(JSON.parse(log[0][6]), README_OUTPUTS);
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
  assert.deepEqual(logged[0].outputs, README_OUTPUTS);
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
  // The charts' captions, bar labels and tooltips are text too.
  const c = await charts(page);
  assert.deepEqual(c.map((x) => [x.column, x.kind]), [[P_IMG, "numeric"], [P_SCRIPT, "numeric"], ["kind", "categorical"], [`target ${P_SCRIPT}`, "categorical"]]);
  assert.deepEqual(c[2].labels.toSorted(), [P_IMG, P_SCRIPT, "plain"].toSorted());
  assert.ok(c[2].titles.includes(`${P_IMG}: 14`), c[2].titles.join(" | "));
  assert.ok(await page.$$eval("#dataset-charts svg text.label", (ts, p) => ts.some((t) => p.startsWith(t.textContent.replace(/…$/, ""))), P_IMG));
  await shot(page, "07-html-names-datasets");

  await view(page, "models");
  await page.click("#models-table tbody tr");
  await idle(page);
  assert.equal(await page.textContent("#train-dataset option"), `${P_IMG}@1`);
  assert.deepEqual(await page.$$eval("#train-target option", (os) => os.map((o) => o.value)), [P_IMG, P_SCRIPT, "kind", `target ${P_SCRIPT}`]);
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

// ---- Binding files, charts, training, batches, the paged log ---------------------------------

const IRIS_CSV = readFileSync(join(repo, "data", "iris.csv"), "utf8");
const IRIS = IRIS_CSV.trim().split("\n").slice(1).map((l) => l.split(","));
const FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

/** The bar counts of the dataset view's charts, by column. */
async function charts(page) {
  return page.$$eval("#dataset-charts figure", (figs) =>
    figs.map((f) => ({
      column: f.querySelector("figcaption .feature-name").textContent,
      kind: f.dataset.kind,
      note: f.querySelector("figcaption .chart-note")?.textContent ?? "",
      counts: [...f.querySelectorAll("rect.bar")].map((r) => Number(r.dataset.count)),
      labels: [...f.querySelectorAll("rect.bar")].map((r) => r.dataset.label ?? null),
      titles: [...f.querySelectorAll("rect.bar title")].map((t) => t.textContent),
    })),
  );
}

test("binds CSV and JSON files: new version, identical content, a ragged CSV; per-column charts", async (t) => {
  const { page } = await newPage(t);
  assert.equal(await page.isVisible("#bind-form"), false); // no registry yet
  await page.click("#new-registry");
  await idle(page);
  assert.equal(await page.isVisible("#bind-form"), true);

  writeFileSync(join(work, "iris.csv"), IRIS_CSV);
  await page.setInputFiles("#bind-file", join(work, "iris.csv"));
  assert.equal(await page.inputValue("#bind-name"), "iris"); // from the file name
  await page.fill("#bind-description", "iris from a file");
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-error"), "");
  assert.equal(await page.textContent("#bind-result"), "bound iris@1 (150 rows × 5 columns)");
  let datasets = await tableRows(page, "#datasets-table");
  assert.deepEqual(datasets.map((r) => r.slice(1, 6)), [["iris", "1", "5", "150", "iris from a file"]]);
  // The same content as the CLI's demo dataset (same md5), shown at once.
  assert.match(await page.textContent("#dataset-title"), /^iris@1 \(id 1\): 150 rows × 5 columns, md5 1691b6054247506429b07bc1fa364ee3$/);

  // Charts: 10-bin histograms (numpy's bins) and one bar per class.
  let c = await charts(page);
  assert.deepEqual(c.map((x) => [x.column, x.kind]), [...FEATURES.map((f) => [f, "numeric"]), ["target", "categorical"]]);
  assert.deepEqual(c[0].counts, [9, 23, 14, 27, 16, 26, 18, 6, 5, 6]); // numpy.histogram(sepal length, 10)
  assert.deepEqual(c[3].counts, [41, 8, 1, 7, 8, 33, 6, 23, 9, 14]);
  assert.equal(c[0].titles[0], "[4.3, 4.66): 9");
  assert.equal(c[0].titles[9], "[7.54, 7.9]: 6");
  assert.deepEqual(c[4].labels, ["setosa", "versicolor", "virginica"]);
  assert.deepEqual(c[4].counts, [50, 50, 50]);
  await shot(page, "11-dataset-charts");

  // The same file again: nothing written.
  await page.setInputFiles("#bind-file", join(work, "iris.csv"));
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-result"), "identical to iris@1: nothing written");
  assert.equal((await tableRows(page, "#datasets-table")).length, 1);

  // A ragged CSV: the core's error next to the form, the registry unchanged.
  writeFileSync(join(work, "ragged.csv"), "a,b\n1,2\n3\n");
  await page.setInputFiles("#bind-file", join(work, "ragged.csv"));
  assert.equal(await page.inputValue("#bind-name"), "ragged");
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-result"), "");
  assert.equal(
    await page.textContent("#bind-error"),
    "ragged.csv: line 3: this row has 1 field but the header has 2; every row needs one field per column (quote fields that contain commas)",
  );
  assert.equal((await tableRows(page, "#datasets-table")).length, 1);
  assert.equal(await message(page), ""); // the error is next to the form, not above the views

  // JSON: 12 cities (the 10 most frequent are drawn), a boolean with nulls, an integer.
  const cities = ["Oslo", "Lima", "Kyiv", "Rome", "Baku", "Doha", "Riga", "Bern", "Lomé", "Suva", "Apia", "Male"];
  const shops = [];
  cities.forEach((city, i) => {
    for (let k = 0; k < 13 - i; k++) shops.push({ city, open: k % 4 === 3 ? null : k % 2 === 0, visits: (k * 37 + i * 11) % 100 });
  });
  writeFileSync(join(work, "shops.json"), JSON.stringify(shops));
  await page.setInputFiles("#bind-file", join(work, "shops.json"));
  await page.fill("#bind-name", "shops");
  await page.fill("#bind-description", "");
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-error"), "");
  assert.equal(await page.textContent("#bind-result"), `bound shops@1 (${shops.length} rows × 3 columns)`);
  c = await charts(page);
  const city = c.find((x) => x.column === "city");
  assert.deepEqual(city.labels, cities.slice(0, 10));
  assert.deepEqual(city.counts, [13, 12, 11, 10, 9, 8, 7, 6, 5, 4]);
  assert.equal(city.note, " · 2 more values (5 rows) not shown");
  const open = c.find((x) => x.column === "open");
  assert.equal(open.kind, "categorical");
  const nulls = shops.filter((s) => s.open === null).length;
  assert.equal(open.note, ` · ${nulls} nulls`);
  assert.deepEqual(open.labels.toSorted(), ["false", "true"]);
  assert.equal(open.counts.reduce((a, b) => a + b), shops.length - nulls);
  const visits = c.find((x) => x.column === "visits");
  assert.equal(visits.kind, "numeric");
  assert.equal(visits.counts.length, 10);
  assert.equal(visits.counts.reduce((a, b) => a + b), shops.length);

  // Other content under an existing name: its next version.
  writeFileSync(join(work, "iris-changed.csv"), IRIS_CSV.replace("5.1,3.5,1.4,0.2", "5.2,3.5,1.4,0.2"));
  await page.setInputFiles("#bind-file", join(work, "iris-changed.csv"));
  await page.fill("#bind-name", "iris");
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-result"), "bound iris@2 (150 rows × 5 columns)");
  datasets = await tableRows(page, "#datasets-table");
  assert.deepEqual(datasets.map((r) => `${r[1]}@${r[2]}`), ["iris@1", "shops@1", "iris@2"]);
  await shot(page, "10-bind-result");

  // Kept in IndexedDB.
  await page.reload();
  await idle(page);
  assert.equal((await tableRows(page, "#datasets-table")).length, 3);
});

test("trains models in the worker: progress, a responsive page, metrics, identical artifact, errors", async (t) => {
  const { page } = await newPage(t);
  await page.click("#new-registry");
  await idle(page);
  await view(page, "models");
  assert.equal(await page.isVisible("#train-form"), false);
  assert.equal(await page.textContent("#train-empty"), "Bind a dataset (Datasets) to train a model on it.");

  await page.click("#load-demo");
  await idle(page);
  assert.equal(await page.isVisible("#train-form"), true);
  assert.deepEqual(await page.$$eval("#train-dataset option", (os) => os.map((o) => o.textContent)), ["iris@1"]);
  assert.deepEqual(await page.$$eval("#train-target option", (os) => os.map((o) => o.textContent)), [
    ...FEATURES.map((f) => `${f} (Float64)`),
    "target (string)",
  ]);
  assert.equal(await page.inputValue("#train-target"), "target");
  assert.deepEqual(await page.$$eval("#train-estimator option", (os) => os.map((o) => o.value)), [
    "logistic_regression", "decision_tree_classifier", "random_forest_classifier", "knn_classifier", "gaussian_nb",
    "linear_regression", "ridge", "lasso", "elastic_net", "decision_tree_regressor", "random_forest_regressor", "knn_regressor",
  ]);

  // The demo's spec again: the identical artifact, nothing written.
  await page.fill("#train-name", "testmodel");
  await page.click("#train-submit");
  await idle(page);
  assert.equal(await page.textContent("#train-error"), "");
  assert.equal(await page.textContent("#train-result"), "identical artifact: nothing written (testmodel@1 holds it)");
  assert.equal((await tableRows(page, "#models-table")).length, 1);

  // A regressor on a numeric target.
  await page.selectOption("#train-target", "petal width (cm)");
  await page.selectOption("#train-estimator", "linear_regression");
  await page.fill("#train-name", "petal");
  await page.click("#train-submit");
  await idle(page);
  assert.equal(await page.textContent("#train-error"), "");
  assert.match(
    await page.textContent("#train-result"),
    /^bound petal@1 \(LinearRegression\): rmse=0\.18173 mae=0\.134582 r2=0\.934468; 112 training and 38 test rows; \d+\.\d s$/,
  );
  assert.match(await page.textContent("#model-title"), /^petal@1 \(id 2\): LinearRegression regressor, target petal width \(cm\)$/);

  // A regressor on a string target: the core's error, nothing written.
  await page.selectOption("#train-target", "target");
  await page.fill("#train-name", "wrong");
  await page.click("#train-submit");
  await idle(page);
  assert.equal(await page.textContent("#train-result"), "");
  assert.equal(await page.textContent("#train-error"), 'LinearRegression is a regressor but the target "target" holds strings; use a classifier');
  await page.fill("#train-name", "");
  await page.click("#train-submit");
  await idle(page);
  assert.equal(await page.textContent("#train-error"), "the model name is empty: choose one");
  assert.equal((await tableRows(page, "#models-table")).length, 2);

  // A random forest on 4000 rows takes a while (about 2 s): the page shows progress and stays usable.
  const lines = ["x0,x1,x2,x3,x4,x5,y"];
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 4000; i++) {
    const xs = Array.from({ length: 6 }, () => (rnd() * 10).toFixed(2));
    lines.push([...xs, Number(xs[0]) + Number(xs[1]) * rnd() > 8 ? "a" : "b"].join(","));
  }
  writeFileSync(join(work, "big.csv"), lines.join("\n") + "\n");
  await view(page, "datasets");
  await page.setInputFiles("#bind-file", join(work, "big.csv"));
  await page.click("#bind-submit");
  await idle(page);
  assert.equal(await page.textContent("#bind-result"), "bound big@1 (4000 rows × 7 columns)");
  await view(page, "models");
  assert.equal(await page.inputValue("#train-dataset"), "2"); // the dataset just bound
  assert.equal(await page.inputValue("#train-target"), "y"); // no "target" column: the last
  await page.selectOption("#train-estimator", "random_forest_classifier");
  await page.fill("#train-name", "forest");
  await page.fill("#train-test-size", "0.2");
  await page.fill("#train-seed", "7");
  await page.click("#train-submit");
  await page.waitForSelector("#train-progress:not([hidden])");
  assert.equal(await page.isDisabled("#train-submit"), true);
  assert.match(await page.textContent("#train-elapsed"), /^training… \d+\.\d s$/);
  assert.equal(await page.isVisible("#train-progress .spinner"), true);
  // The main thread answers at once: a timer fires, typing and tab clicks work.
  const delay = await page.evaluate(() => new Promise((ok) => { const t0 = performance.now(); setTimeout(() => ok(performance.now() - t0), 0); }));
  assert.ok(delay < 250, `a timer waited ${delay} ms during training`);
  await page.click("#tabs [data-view='predict']");
  assert.equal(await page.isVisible("#view-predict"), true);
  await page.click("#tabs [data-view='models']");
  await page.fill("#train-name", "");
  await page.keyboard.type("typed while training");
  assert.equal(await page.inputValue("#train-name"), "typed while training");
  // The elapsed time keeps counting.
  await page.waitForFunction(() => /training… ([1-9]\d*\.\d|0\.[3-9]) s/.test(document.getElementById("train-elapsed").textContent));
  assert.equal(await page.isVisible("#train-progress"), true, "training finished too fast to watch");
  assert.notEqual(await page.getAttribute("body", "data-busy"), "0");
  await shot(page, "12-train-progress");
  await idle(page);
  assert.equal(await page.isVisible("#train-progress"), false);
  assert.equal(await page.isDisabled("#train-submit"), false);
  assert.equal(await page.textContent("#train-error"), "");
  assert.match(
    await page.textContent("#train-result"),
    /^bound forest@1 \(RandomForestClassifier\): accuracy=0\.\d+ log_loss=0\.\d+ macro_f1=0\.\d+; 3200 training and 800 test rows; \d+\.\d s$/,
  );
  const models = await tableRows(page, "#models-table");
  assert.deepEqual(models.map((r) => [r[1], r[4], r[6]]), [
    ["testmodel", "LogisticRegression", "target"],
    ["petal", "LinearRegression", "petal width (cm)"],
    ["forest", "RandomForestClassifier", "y"],
  ]);
  assert.match(await page.textContent("#model-title"), /^forest@1 \(id 3\): RandomForestClassifier classifier, target y$/);
  await shot(page, "13-train-result");

  await view(page, "predict");
  assert.deepEqual(await page.$$eval("#predict-model option", (os) => os.map((o) => o.textContent)), ["testmodel@1", "petal@1", "forest@1"]);
});

test("predicts a batch from CSV and JSON files; a bad record logs nothing; the log pages 25 at a time", async (t) => {
  const { page } = await newPage(t);
  await page.click("#load-demo");
  await idle(page);
  await view(page, "log");
  assert.equal(await page.textContent("#log-count"), "0 records");
  assert.equal(await page.textContent("#log-page"), "page 1 of 1");

  // 60 iris rows with reference ids (one quoted, with a comma) and one null cell.
  const quote = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const refs = Array.from({ length: 60 }, (_, k) => (k === 2 ? "b-3, quoted" : `b-${k + 1}`));
  const batch = ["reference_id," + FEATURES.join(",")];
  refs.forEach((ref, k) => {
    const row = IRIS[(k * 37) % 150].slice(0, 4);
    if (k === 4) row[3] = "";
    batch.push([quote(ref), ...row].join(","));
  });
  writeFileSync(join(work, "batch.csv"), batch.join("\r\n") + "\r\n");

  await view(page, "predict");
  assert.equal(await page.isChecked("#predict-log"), true);
  await page.setInputFiles("#batch-file", join(work, "batch.csv"));
  await page.click("#batch-submit");
  await idle(page);
  assert.equal(await page.textContent("#batch-error"), "");
  assert.equal(await page.textContent("#batch-result"), "batch.csv: 60 records (CSV) predicted and logged");
  assert.deepEqual(await tableHead(page, "#predict-results"), ["model", "reference_id", "logged", "label", "setosa", "versicolor", "virginica"]);
  let results = await tableRows(page, "#predict-results");
  assert.equal(results.length, 60);
  assert.deepEqual(results.map((r) => r[1]), refs); // in the file's order
  assert.deepEqual(results[0], ["testmodel@1", "b-1", "yes", "setosa", "98.0%", "2.0%", "0.0%"]); // iris row 1
  assert.equal(await page.$$eval("#predict-results .bar", (bars) => bars.length), 180);
  await shot(page, "14-batch-results");

  // The log: 60 records, 25 a page; a new batch shows its last page.
  await view(page, "log");
  assert.equal(await page.textContent("#log-count"), "60 records");
  assert.equal(await page.textContent("#log-page"), "page 3 of 3");
  assert.equal(await page.isDisabled("#log-next"), true);
  let log = await tableRows(page, "#log-table");
  assert.deepEqual(log.map((r) => r[4]), refs.slice(50));
  await page.click("#log-prev");
  await idle(page);
  assert.equal(await page.textContent("#log-page"), "page 2 of 3");
  assert.deepEqual((await tableRows(page, "#log-table")).map((r) => r[4]), refs.slice(25, 50));
  await page.click("#log-prev");
  await idle(page);
  assert.equal(await page.textContent("#log-page"), "page 1 of 3");
  assert.equal(await page.isDisabled("#log-prev"), true);
  log = await tableRows(page, "#log-table");
  assert.deepEqual(log.map((r) => r[4]), refs.slice(0, 25));
  assert.deepEqual(log.map((r) => r[1]), Array.from({ length: 25 }, (_, i) => String(i))); // positions in the call
  assert.equal(log[4][5], JSON.stringify([...IRIS[(4 * 37) % 150].slice(0, 3).map(Number), null]));
  await page.click("#log-next");
  await idle(page);
  assert.equal(await page.textContent("#log-page"), "page 2 of 3");
  await shot(page, "15-log-paged");
  // Filtered: one record, back on page 1.
  await page.fill("#log-reference", "b-3, quoted");
  await page.click("#log-apply");
  await idle(page);
  assert.equal(await page.textContent("#log-count"), "1 record");
  assert.equal(await page.textContent("#log-page"), "page 1 of 1");
  assert.deepEqual((await tableRows(page, "#log-table")).map((r) => r[4]), ["b-3, quoted"]);
  // The export holds every filtered record, not a page.
  await page.fill("#log-reference", "");
  await page.selectOption("#log-model", { label: "testmodel@1" });
  await page.click("#log-apply");
  await idle(page);
  assert.equal(await page.textContent("#log-page"), "page 1 of 3");
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.click("#log-export")]);
  await csvDownload.saveAs(join(work, "batch-log.csv"));
  const exported = readFileSync(join(work, "batch-log.csv"), "utf8").trim().split("\n");
  assert.equal(exported.length, 61);
  assert.match(exported[3], /^1,2,[^,]+,testmodel,1,"b-3, quoted",/);

  // A bad record (the third): the core's error, naming the record and its CSV line; nothing logged.
  await view(page, "predict");
  writeFileSync(join(work, "bad.csv"), ["reference_id," + FEATURES.join(","), "x-1,5.1,3.5,1.4,0.2", "x-2,6.3,2.9,5.6,1.8", "x-3,6.3,2.9,abc,1.8"].join("\n") + "\n");
  await page.setInputFiles("#batch-file", join(work, "bad.csv"));
  await page.click("#batch-submit");
  await idle(page);
  assert.equal(await page.textContent("#batch-result"), "");
  assert.equal(
    await page.textContent("#batch-error"),
    'bad.csv: line 4, records[2] field "petal length (cm)": expected a number or null, found the string "abc"',
  );
  // JSON: an unknown field in the second record.
  const record = (ref, row) => ({ reference_id: ref, ...Object.fromEntries(FEATURES.map((f, j) => [f, Number(row[j])])) });
  writeFileSync(join(work, "bad.json"), JSON.stringify([record("y-1", IRIS[0]), { ...record("y-2", IRIS[60]), "petal colour": "blue" }]));
  await page.setInputFiles("#batch-file", join(work, "bad.json"));
  await page.click("#batch-submit");
  await idle(page);
  assert.match(await page.textContent("#batch-error"), /^bad\.json: line 1, column \d+, records\[1\]: unknown field "petal colour"; the model's features are "sepal length \(cm\)", /);
  assert.equal((await tableRows(page, "#predict-results")).length, 60);
  // A JSON batch, not logged.
  await page.uncheck("#predict-log");
  writeFileSync(join(work, "batch.json"), JSON.stringify([record("j-1", IRIS[0]), record("j-2", IRIS[100])]));
  await page.setInputFiles("#batch-file", join(work, "batch.json"));
  await page.click("#batch-submit");
  await idle(page);
  assert.equal(await page.textContent("#batch-error"), "");
  assert.equal(await page.textContent("#batch-result"), "batch.json: 2 records (JSON) predicted, not logged");
  results = await tableRows(page, "#predict-results");
  assert.deepEqual(results.slice(0, 3).map((r) => r.slice(1, 4)), [["j-1", "no", "setosa"], ["j-2", "no", "virginica"], ["b-1", "yes", "setosa"]]);
  await view(page, "log");
  await page.click("#log-apply");
  await idle(page);
  assert.equal(await page.textContent("#log-count"), "60 records"); // before and after the bad batches

  // The CLI, given the same CSV and the downloaded registry, types the records alike and
  // gets the same predictions; verify replays the browser's log.
  const [dbDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const dbPath = join(work, "batch.db");
  await dbDownload.saveAs(dbPath);
  cli("--db", dbPath, "verify");
  cli("--db", dbPath, "predict", "--model", "testmodel", join(work, "batch.csv"), "--log");
  const all = JSON.parse(cli("--db", dbPath, "--json", "log", "list"));
  assert.equal(all.length, 120);
  for (let i = 0; i < 60; i++) {
    const [web, native] = [all[i], all[60 + i]];
    assert.equal(web.reference_id, native.reference_id);
    assert.deepEqual(web.inputs, native.inputs);
    assert.deepEqual(web.outputs, native.outputs);
  }
});
