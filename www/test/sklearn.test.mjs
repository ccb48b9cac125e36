// Issue 15 item 3, the page: tests/data/sklearn-fitted.db (models bound by the Python
// package's bind_model from pipelines scikit-learn fitted; python/tests/make_sklearn_fixture.py)
// opened in the page, every model predicts a batch of the held-out records of
// tests/data/sklearn-expected.json in the browser (WebAssembly in headless Chromium), logged;
// the page's download is read by the CLI and each logged output is within 1e-12 of
// scikit-learn's predict_proba / predict. The page also shows who fitted the model and
// refuses to reproduce it. The native build and the npm package run the same check.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, idle, launch, repo, tableRows, view } from "./harness.mjs";

const TOLERANCE = 1e-12;
const expected = JSON.parse(readFileSync(join(repo, "tests", "data", "sklearn-expected.json"), "utf8"));

let env;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-sklearn-"));
const cli = (...args) => JSON.parse(execFileSync(BIN, args, { encoding: "utf8", cwd: work, maxBuffer: 256 << 20 }));

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

test("the page predicts scikit-learn's numbers with every model fitted by scikit-learn", async (t) => {
  const fixture = join(work, "sklearn-fitted.db");
  copyFileSync(join(repo, "tests", "data", "sklearn-fitted.db"), fixture);
  const ids = Object.fromEntries(cli("--db", fixture, "--json", "model", "list").map((m) => [m.name, m.id]));

  const { page } = await env.newPage(t);
  await page.setInputFiles("#file-input", fixture);
  await idle(page);
  await view(page, "models");
  const rows = await tableRows(page, "#models-table");
  assert.equal(rows.length, expected.models.length);

  // Who fitted it, and reproduce says it cannot retrain it.
  const gb = expected.models.findIndex((m) => m.name === "iris-gradient_boosting");
  await page.click(`#models-table tbody tr:nth-child(${gb + 1})`);
  await idle(page);
  assert.match(await page.textContent("#model-lineage"), new RegExp(`fitted byscikit-learn ${expected.sklearn_version} \\(outside mlops-lite`));
  await page.click("#model-reproduce");
  await idle(page);
  assert.match(await page.textContent("#reproduce-error"), /fitted by scikit-learn .* outside mlops-lite/);

  await view(page, "predict");
  await page.setChecked("#predict-log", true);
  for (const m of expected.models) {
    const records = m.rows.map((r) => ({ ...expected.datasets[m.dataset].records[r], reference_id: `${m.name}:${r}` }));
    const file = join(work, `${m.name}.json`);
    writeFileSync(file, JSON.stringify(records));
    await page.selectOption("#predict-model", String(ids[m.name]));
    await idle(page);
    await page.setInputFiles("#batch-file", file);
    await page.click("#batch-submit");
    await idle(page);
    assert.equal(await page.textContent("#batch-error"), "", m.name);
    assert.equal(
      await page.textContent("#batch-result"),
      `${m.name}.json: ${records.length} records (JSON) predicted and logged`,
    );
  }

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const downloaded = join(work, "downloaded.db");
  await download.saveAs(downloaded);
  let worst = [0, ""];
  for (const m of expected.models) {
    const logged = cli("--db", downloaded, "--json", "log", "list", "--model", m.name, "--limit", "100000");
    assert.equal(logged.length, m.rows.length, m.name);
    // A classifier logs its probabilities, a regressor its value.
    const byRef = Object.fromEntries(logged.map((l) => [l.reference_id, [l.outputs].flat()]));
    m.rows.forEach((r, i) => {
      const got = byRef[`${m.name}:${r}`];
      const want = m.classes ? m.proba[i] : [m.values[i]];
      assert.equal(got?.length, want.length, `${m.name} row ${r}`);
      want.forEach((w, k) => {
        const d = Math.abs(got[k] - w);
        assert.ok(d <= TOLERANCE, `${m.name} row ${r} output ${k}: ${got[k]} vs ${w} (differs by ${d})`);
        if (d > worst[0]) worst = [d, m.name];
      });
    });
  }
  console.log(`${expected.models.length} models in the page: largest difference from scikit-learn ${worst[0]} (${worst[1]})`);
});
