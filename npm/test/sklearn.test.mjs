// Issue 15 item 3, the npm package: every model of tests/data/sklearn-fitted.db (bound by the
// Python package's bind_model from pipelines scikit-learn fitted; see
// python/tests/make_sklearn_fixture.py) predicts the held-out records of
// tests/data/sklearn-expected.json within 1e-12 of scikit-learn's predict_proba / predict,
// in WebAssembly, from records and from columns. The native build and the page run the same
// check (tests/sklearn_fixture.rs, www/test/sklearn.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "../node.js";
import { REPO_DIR } from "./helpers.mjs";

const TOLERANCE = 1e-12;
const data = (name) => readFileSync(join(REPO_DIR, "tests", "data", name));
const expected = JSON.parse(data("sklearn-expected.json"));

test("every scikit-learn model predicts scikit-learn's numbers in WebAssembly", () => {
  const reg = Registry.open(data("sklearn-fitted.db"));
  assert.equal(reg.listModels().length, expected.models.length);
  let worst = [0, ""];
  const near = (name, what, got, want) => {
    const d = Math.abs(got - want);
    assert.ok(d <= TOLERANCE, `${name} ${what}: ${got} vs ${want} (differs by ${d})`);
    if (d > worst[0]) worst = [d, name];
  };
  for (const m of expected.models) {
    const records = m.rows.map((r) => expected.datasets[m.dataset].records[r]);
    const out = reg.predict(m.name, records);
    assert.equal(out.length, m.rows.length, m.name);
    out.forEach((o, i) => {
      assert.equal(o.reference_id, records[i].reference_id);
      if (m.classes) {
        m.classes.forEach((c, k) => near(m.name, `row ${m.rows[i]} class ${c}`, o.results[c], m.proba[i][k]));
        const best = m.proba[i].reduce((b, p, k) => (p > m.proba[i][b] ? k : b), 0);
        assert.equal(o.label, m.classes[best], `${m.name} row ${m.rows[i]}`);
      } else {
        near(m.name, `row ${m.rows[i]}`, o.results, m.values[i]);
      }
    });
  }
  console.log(`${expected.models.length} models: largest difference from scikit-learn ${worst[0]} (${worst[1]})`);
});

test("a scikit-learn model is described as fitted by scikit-learn, and reproduce refuses it", () => {
  const reg = Registry.open(data("sklearn-fitted.db"));
  const info = reg.modelInfo("iris-gradient_boosting");
  assert.deepEqual(info.fitted_by, { library: "scikit-learn", version: expected.sklearn_version });
  assert.equal(info.spec, null);
  assert.equal(info.artifact_format, 2);
  assert.throws(() => reg.reproduce("iris-gradient_boosting"), /fitted by scikit-learn .* outside mlops-lite/);
});
