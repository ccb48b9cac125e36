// Issue 15, "done when": the README's Python example (bind iris from a DataFrame, fit the
// Python tool's README pipeline with scikit-learn, bind_model it, predict with log) run as
// written with the package built by scripts/test-python.sh (target/python-venv); the file it
// writes is opened in the page, which predicts the 150 iris records with "iris-sklearn" in
// WebAssembly: the page's logged probabilities are within 1e-12 of scikit-learn's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, idle, launch, repo, view } from "./harness.mjs";

const PYTHON = join(repo, "target", "python-venv", "bin", "python");
let env;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-readme-python-"));

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

test("the README's Python example's file predicts scikit-learn's numbers in the page", async (t) => {
  assert.ok(existsSync(PYTHON), `${PYTHON} is missing: run bash scripts/test-python.sh (it builds the package there)`);
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const examples = [...readme.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(examples.length, 1, "the README has one Python example");
  writeFileSync(join(work, "example.py"), examples[0]);
  // The example as written, then scikit-learn's probabilities and the records, as JSON.
  const out = execFileSync(
    PYTHON,
    [
      "-c",
      "import json, contextlib, io\n" +
        "ns = {'__name__': 'readme'}\n" +
        "with contextlib.redirect_stdout(io.StringIO()):\n" +
        "    exec(open('example.py').read(), ns)\n" +
        "X = ns['df'][ns['features']]\n" +
        "recs = [dict(r, reference_id=str(i)) for i, r in enumerate(X.to_dict('records'))]\n" +
        "print(json.dumps({'records': recs, 'classes': [str(c) for c in ns['pipeline'].classes_],\n" +
        "                  'proba': ns['pipeline'].predict_proba(X).tolist()}))",
    ],
    { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const { records, classes, proba } = JSON.parse(out);
  const db = join(work, "mlops-lite-python.db");
  const id = JSON.parse(execFileSync(BIN, ["--db", db, "--json", "model", "info", "iris-sklearn"], { encoding: "utf8" })).model.id;

  const { page } = await env.newPage(t);
  await page.setInputFiles("#file-input", db);
  await idle(page);
  await view(page, "predict");
  await page.selectOption("#predict-model", String(id));
  await page.setChecked("#predict-log", true);
  writeFileSync(join(work, "iris.json"), JSON.stringify(records));
  await page.setInputFiles("#batch-file", join(work, "iris.json"));
  await page.click("#batch-submit");
  await idle(page);
  assert.equal(await page.textContent("#batch-error"), "");
  assert.equal(await page.textContent("#batch-result"), "iris.json: 150 records (JSON) predicted and logged");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const downloaded = join(work, "downloaded.db");
  await download.saveAs(downloaded);
  const logged = JSON.parse(
    execFileSync(BIN, ["--db", downloaded, "--json", "log", "list", "--model", "iris-sklearn", "--limit", "1000"], { encoding: "utf8", maxBuffer: 64 << 20 }),
  );
  // The example logged 150 itself; the page's 150 carry our reference ids 0..149.
  const fromPage = logged.filter((l) => /^\d+$/.test(l.reference_id ?? ""));
  assert.equal(fromPage.length, 150);
  let worst = 0;
  for (const l of fromPage) {
    const want = proba[Number(l.reference_id)];
    assert.equal(l.outputs.length, classes.length);
    l.outputs.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(v - want[k]));
    });
  }
  assert.ok(worst <= 1e-12, `largest difference from scikit-learn in the page: ${worst}`);
  console.log(`README Python example in the page: largest difference from scikit-learn ${worst}`);
});
