// What the page's Chromium tests share (imported by e2e.test.mjs and postgres.test.mjs):
// paths, launching headless Chromium (playwright-core, the system's Chromium; never a
// downloaded browser) against `mlops-lite serve` (scripts/test-www.sh passes its URL in
// MLOPS_LITE_URL; without it, a server is started here), pages that fail the test on any page
// error, and small readers of the page's tables.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "..", "..");
export const BIN = process.env.MLOPS_LITE_BIN ?? join(repo, "target", "debug", "mlops-lite");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Screenshots go to a temporary folder, so a test run never rewrites tracked files;
// MLOPS_LITE_SHOTS=www/test/screenshots (absolute or from the repository) refreshes the
// committed ones.
export const SHOTS = process.env.MLOPS_LITE_SHOTS
  ? resolve(repo, process.env.MLOPS_LITE_SHOTS)
  : join(tmpdir(), "mlops-lite-screenshots");
mkdirSync(SHOTS, { recursive: true });

/** Checks the prerequisites, starts the server if needed and launches Chromium. */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM=/path)`);
  }
  if (!existsSync(BIN)) throw new Error(`the CLI is missing at ${BIN} (cargo build)`);
  if (!existsSync(join(repo, "npm", "dist", "mlops_lite_bg.wasm"))) {
    throw new Error("npm/dist is not built (bash scripts/build-npm.sh)");
  }
  mkdirSync(SHOTS, { recursive: true });
  let server; // the child process, when started here
  let base = process.env.MLOPS_LITE_URL;
  if (!base) {
    // The registry the server holds: the demo's, in a folder of its own.
    const served = join(mkdtempSync(join(tmpdir(), "mlops-lite-served-")), "served.db");
    execFileSync(BIN, ["--db", served, "demo"], { stdio: "ignore" });
    process.env.MLOPS_LITE_SERVED_DB = served;
    server = spawn(BIN, ["--db", served, "serve", "--port", "0", "--dir", repo], { stdio: ["ignore", "pipe", "inherit"] });
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
  const browser = await chromium.launch({
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
  return {
    browser,
    base,
    /**
     * A new page (own IndexedDB) that fails test `t` on any page error or console error
     * (but those matching `allow`). `route(page)` runs before the page loads (request
     * routing); with `wait: false` it returns as soon as the page has loaded, without
     * waiting for the module or the first view.
     */
    async newPage(t, { route, wait = true, allow = [] } = {}) {
      const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && !allow.some((re) => re.test(m.text()))) errors.push(`console: ${m.text()}`);
      });
      page.on("dialog", (d) => {
        errors.push(`dialog: ${d.message()}`);
        d.dismiss();
      });
      t.after(async () => {
        await context.close();
        assert.deepEqual(errors, [], "the page logged errors");
      });
      if (route) await route(page);
      await page.goto(`${base}/`);
      if (wait) await idle(page);
      return { page, context, errors };
    },
    async close() {
      await browser.close();
      server?.kill();
    },
  };
}

/** Waits until the page has started and no worker call is in flight. */
export async function idle(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "1" && document.body.dataset.busy === "0");
}

export async function tableRows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
}

export async function tableHead(page, selector) {
  return page.$$eval(`${selector} thead th`, (ths) => ths.map((th) => th.textContent));
}

/** Opens one of the page's views by its tab. */
export async function view(page, name) {
  await page.click(`#tabs [data-view="${name}"]`);
  await idle(page);
}
