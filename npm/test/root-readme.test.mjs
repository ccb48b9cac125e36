// The repository README's JavaScript example runs as written, on the registry made by the
// README's main job (`mlops-lite demo`), and the native CLI then finds its logged record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "target/debug/mlops-lite");

test("the root README's JS example runs and its logged prediction reaches the CLI", () => {
  assert.ok(existsSync(cli), `build the CLI first (cargo build): ${cli} is missing`);
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("```js\n") + "```js\n".length;
  const code = readme.slice(start, readme.indexOf("```", start));
  const dir = mkdtempSync(join(tmpdir(), "mlops-readme-"));
  execFileSync(cli, ["--db", join(dir, "mlops-lite.db"), "demo"], { cwd: dir });
  const script = join(dir, "example.mjs");
  writeFileSync(script, code.replace('from "mlops-lite"', `from ${JSON.stringify(join(root, "npm/node.js"))}`));
  const out = execFileSync("node", [script], { cwd: dir, encoding: "utf8" });
  assert.match(out, /^setosa \{/, out);
  const log = JSON.parse(
    execFileSync(cli, ["--db", join(dir, "mlops-lite.db"), "--json", "log", "list", "--reference-id", "web-1"], {
      encoding: "utf8",
    }),
  );
  assert.equal(log.length, 1);
  assert.equal(log[0].model_name, "testmodel");
});
