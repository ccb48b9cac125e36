// Shared by the tests of this folder (node --test also loads it as a test file: it has none).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The npm package's folder (npm/) and the repository's root. */
export const PKG_DIR = fileURLToPath(new URL("..", import.meta.url));
export const REPO_DIR = fileURLToPath(new URL("../..", import.meta.url));

/** data/iris.csv of the repository, as text (the CLI's bundled `--sample iris`). */
export const IRIS_CSV = readFileSync(join(REPO_DIR, "data", "iris.csv"), "utf8");

export const IRIS_FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

/** The 150 iris rows as predict records (the target removed). */
export function irisRecords() {
  const [, ...lines] = IRIS_CSV.trim().split("\n");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(IRIS_FEATURES.map((f, i) => [f, Number(cells[i])]));
  });
}

/** The README's two records: one complete, one with a reference id and a missing field. */
export const README_RECORDS = [
  { "sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2 },
  { reference_id: "order-17", "sepal length (cm)": 6.3, "sepal width (cm)": 2.9, "petal length (cm)": 5.6 },
];

/** A new temporary directory, removed when the test ends. */
export function tempDir(t, prefix = "mlops-lite-test-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Calls fn, asserts it throws an Error whose message matches `pattern`, and returns the
 * error (so a test can print or check more).
 */
export function throwsError(assert, fn, pattern) {
  let error;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected an error matching ${pattern}, but the call succeeded`);
  assert.ok(error instanceof Error, `expected an Error instance, got ${Object.prototype.toString.call(error)}: ${error}`);
  assert.match(error.message, pattern);
  return error;
}
