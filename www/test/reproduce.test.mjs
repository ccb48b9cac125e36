// Issue 14, "done when": `reproduce` of every estimator, run in the page (WebAssembly in
// headless Chromium), gives the native md5. The native CLI (MLOPS_LITE_BIN) binds iris and
// diabetes and trains every estimator it has with its defaults (seed 42); the md5 of each
// artifact must be the one committed in tests/data/training-md5.txt (which the Rust tests,
// native and wasm, also hold the core to). The page opens that file and, for each model:
//   - Reproduce trains it again in the browser and finds the stored (native) bytes;
//   - training the same spec through the page's train form finds the identical artifact
//     ("nothing written"), so the page trains what the CLI trains.
// Finally the page's download is read by the CLI: nothing was written, every model reproduces.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, idle, launch, repo, tableRows, view } from "./harness.mjs";

// `dataset estimator md5` per line: every estimator, classifiers on iris, regressors on diabetes.
const COMMITTED = readFileSync(join(repo, "tests", "data", "training-md5.txt"), "utf8")
  .trim()
  .split("\n")
  .map((line) => line.split(" "));

let env; // Chromium and the server: harness.mjs
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-reproduce-"));

function cli(...args) {
  return execFileSync(BIN, args, { encoding: "utf8", cwd: work });
}

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

test("the committed list names every estimator the page offers", async (t) => {
  const { page } = await env.newPage(t);
  const offered = await page.$$eval("#train-estimator option", (os) => os.map((o) => o.value));
  assert.deepEqual(COMMITTED.map(([, estimator]) => estimator).sort(), [...offered].sort());
});

test("reproduce in the page gives the native md5 of every estimator; the page trains the same artifacts", async (t) => {
  for (const sample of ["iris", "diabetes"]) cli("--db", "native.db", "dataset", "add", "--sample", sample);
  const native = {};
  for (const [dataset, estimator] of COMMITTED) {
    cli("--db", "native.db", "model", "train", "--dataset", dataset, "--target", "target", "--name", estimator, "--estimator", estimator);
    native[estimator] = JSON.parse(cli("--db", "native.db", "--json", "model", "info", estimator)).model.artifact_md5;
  }
  // The CLI trains the committed artifacts (what tests/training_bits.rs holds the core to).
  assert.deepEqual(
    COMMITTED.map(([, estimator]) => [estimator, native[estimator]]),
    COMMITTED.map(([, estimator, md5]) => [estimator, md5]),
  );

  const { page } = await env.newPage(t);
  await page.setInputFiles("#file-input", join(work, "native.db"));
  await idle(page);
  await view(page, "models");
  const rows = await tableRows(page, "#models-table");
  assert.deepEqual(rows.map((r) => r[1]), COMMITTED.map(([, estimator]) => estimator));

  for (const [i, [dataset, estimator]] of COMMITTED.entries()) {
    // Reproduce: trained again in the browser from the stored rows, spec and seed.
    await page.click(`#models-table tbody tr:nth-child(${i + 1})`);
    await idle(page);
    assert.equal(await page.textContent("#reproduce-result"), "", `${estimator}: no earlier result shown`);
    await page.click("#model-reproduce");
    await idle(page);
    assert.equal(await page.textContent("#reproduce-error"), "", estimator);
    assert.match(
      await page.textContent("#reproduce-result"),
      new RegExp(`^identical: retrained ${estimator}@1 gives artifact md5 ${native[estimator]}, the stored one \\(`),
      estimator,
    );

    // The train form, same dataset, target, estimator and defaults: the same bytes.
    await page.selectOption("#train-dataset", { label: `${dataset}@1` });
    await idle(page);
    await page.selectOption("#train-target", "target");
    await page.selectOption("#train-estimator", estimator);
    await page.fill("#train-name", estimator);
    await page.click("#train-submit");
    await idle(page);
    assert.equal(await page.textContent("#train-error"), "", estimator);
    assert.equal(
      await page.textContent("#train-result"),
      `identical artifact: nothing written (${estimator}@1 holds it)`,
      estimator,
    );
  }

  // Reproduce and an identical training wrote nothing: the CLI reads the page's download.
  const [dbDownload] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const downloaded = join(work, "downloaded.db");
  await dbDownload.saveAs(downloaded);
  const models = JSON.parse(cli("--db", downloaded, "--json", "model", "list"));
  assert.equal(models.length, COMMITTED.length, "the page wrote no model");
  for (const [, estimator] of COMMITTED) {
    const r = JSON.parse(cli("--db", downloaded, "--json", "reproduce", estimator));
    assert.equal(r.identical, true, estimator);
    assert.equal(r.reproduced_md5, native[estimator], estimator);
  }
});
