// JSON text given as a JS string reads as its UTF-8 bytes would: the string is encoded into
// wasm memory by TextEncoder.encodeInto, first with room for ASCII only, then for the rest
// (non-ASCII text, surrogate pairs, lone surrogates made U+FFFD, as TextEncoder does).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "../node.js";
import { IRIS_CSV, irisRecords, throwsError } from "./helpers.mjs";

let reg;
before(() => {
  reg = new Registry();
  reg.bindDataset(IRIS_CSV, "iris");
  reg.trainModel({ dataset: "iris", name: "iris-lr", target: "target" });
});

// "\ud800" and "\udfff" are lone surrogates, written raw into the text below (JSON.stringify
// would escape them, and an escaped lone surrogate is invalid JSON for the core).
const ids = ["café", "\u{1f600}x", "\ud800 lone", "end \udfff", "日本語", "plain", "a\u{1f600}"];
const LONE = /\\u(d[89a-f][0-9a-f]{2})/g;

for (const [what, lead] of [["ASCII first", ""], ["non-ASCII first", "\u00e9\u{1f600}"]]) {
  test(`a JSON string predicts as its UTF-8 bytes (${what})`, () => {
    const records = irisRecords().slice(0, 40).map((r, i) => ({ ...r, reference_id: lead + ids[i % ids.length] + i }));
    const text = JSON.stringify(records).replace(LONE, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    assert.ok(text.includes("\ud800 lone"));
    const fromText = reg.predict("iris-lr", text);
    const fromBytes = reg.predict("iris-lr", new TextEncoder().encode(text));
    assert.deepEqual(fromText, fromBytes);
    assert.equal(fromText.length, 40);
    // A lone surrogate becomes U+FFFD; the rest is kept as it was.
    assert.equal(fromText[2].reference_id, `${lead}\ufffd lone2`);
    assert.equal(fromText[0].reference_id, `${lead}café0`);
    assert.equal(fromText[1].reference_id, `${lead}\u{1f600}x1`);
  });
}

test("an empty or bad JSON string is the same error as its bytes", () => {
  for (const text of ["", "[{", "[{\"é\": 1}]", "[{\"reference_id\": \"\ud800\", \"x\": 1}]"]) {
    const a = throwsError(assert, () => reg.predict("iris-lr", text), /<json>/);
    const b = throwsError(assert, () => reg.predict("iris-lr", new TextEncoder().encode(text)), /<json>/);
    assert.equal(a.message, b.message, text);
  }
});

test("JS objects with non-ASCII reference ids keep them", () => {
  const records = irisRecords().slice(0, 5).map((r, i) => ({ ...r, reference_id: ids[i] }));
  // Logged: the ids cross into wasm as strings.
  const out = reg.predict("iris-lr", records, { log: true });
  assert.deepEqual(out.map((o) => o.reference_id), ["café", "\u{1f600}x", "\ufffd lone", "end \ufffd", "日本語"]);
});
