// Issue 11, deliverable 8, in the page: every file of the hostile corpus
// (scripts/hostile-corpus.sh: a CLI-made registry altered with sqlite3) opened through the
// page's file input in real headless Chromium. A file the corpus marks `refused` shows the
// core's "was altered outside mlops-lite" error naming the object and opens nothing; any
// other file opens or shows a clean error; never a trap of the WebAssembly module, never a
// JavaScript property error, and the page keeps working (a genuine file opens afterwards).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, idle, launch, repo, tableRows } from "./harness.mjs";

let env;
const work = mkdtempSync(join(tmpdir(), "mlops-lite-www-hostile-"));

before(async () => {
  env = await launch();
});

after(async () => {
  await env?.close();
  rmSync(work, { recursive: true, force: true });
});

/** `needle` as the corpus writes it: `a|b` either, `a&b` both, `{file}` the file's name. */
function needleFound(text, needle, file) {
  if (!needle || needle === "-") return true;
  return needle
    .split("|")
    .some((alt) => alt.split("&").every((w) => text.includes(w.replace("{file}", file))));
}

test("hostile registry files opened in the page: refused naming the object, or opened; never a trap", async (t) => {
  const corpus = join(work, "corpus");
  execFileSync("bash", [join(repo, "scripts", "hostile-corpus.sh"), corpus, BIN], { stdio: ["ignore", "ignore", "inherit"] });
  const entries = readFileSync(join(corpus, "manifest.tsv"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [file, cls, expected, needle] = line.split("\t");
      return { file, cls, expected, needle };
    });
  assert.ok(entries.length >= 40, `the corpus has ${entries.length} files`);
  const { page } = await env.newPage(t);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const problems = [];
  for (const e of entries) {
    await page.setInputFiles("#file-input", join(corpus, e.file));
    await idle(page);
    const message = (await page.textContent("#message")) ?? "";
    const source = (await page.textContent("#source")) ?? "";
    const opened = source === `Open: ${e.file}`;
    if (process.env.HOSTILE_VERBOSE) console.log(e.file, e.expected, opened, message.slice(0, 120));
    if (/unreachable|RuntimeError|Cannot read properties|is not a function|undefined/.test(message)) {
      problems.push(`${e.file}: a trap or JavaScript error: ${message.slice(0, 200)}`);
    } else if (e.expected === "refused") {
      if (opened) problems.push(`${e.file}: opened, but it must be refused`);
      else if (!needleFound(message, e.needle, e.file) && !needleFound(message, e.needle, "<bytes>")) {
        problems.push(`${e.file}: the refusal does not name \`${e.needle}\`: ${message.slice(0, 200)}`);
      }
    } else if (e.expected === "clean" && !opened) {
      problems.push(`${e.file}: a clean file did not open: ${message.slice(0, 200)}`);
    }
  }
  // The page still works: a genuine registry opens and lists its datasets.
  await page.setInputFiles("#file-input", join(corpus, "genuine.db"));
  await idle(page);
  assert.equal(await page.textContent("#source"), "Open: genuine.db");
  assert.ok((await tableRows(page, "#datasets-table")).length >= 1);
  assert.deepEqual(errors, [], "uncaught errors in the page");
  assert.deepEqual(problems, [], `${problems.length} of ${entries.length} files:\n${problems.join("\n")}`);
});
