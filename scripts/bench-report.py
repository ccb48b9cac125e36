#!/usr/bin/env python3
"""The README's Performance tables from the raw outputs of `bash scripts/bench-report.sh`
(issue 14). Python 3 standard library only.

    python3 scripts/bench-report.py REPORT_DIR [--write-readme README.md]
    python3 scripts/bench-report.py --self-test     (scripts/test.sh runs it; < 1 s)
    python3 scripts/bench-report.py --check OLD_REPORT_DIR NEW_REPORT_DIR
        (which figures of a fresh report fall outside the ranges an earlier one states)

REPORT_DIR (target/bench-data/report-DATE/) holds meta.txt (key=value: command, date,
commit, machine), and per run run-K/: bind.txt, predict.txt, postgres.txt (each bench's
stdout: human lines and `FIGURE key value unit` lines), compare.json (scripts/
bench-compare.py: onnxruntime and scikit-learn) and load.txt (`BENCH before|after L1 L5 L15`).

Every figure is the median of the runs' figures, with their range (min-max); a ratio is
computed within each run (both sides measured in that run) and then aggregated the same way.
A batch figure of one run is the bench's median round; the best round of all runs is shown
beside the median, never alone. The output is a series of markdown blocks, each between
`<!-- bench-report:NAME -->` and `<!-- /bench-report:NAME -->`: what the README holds
between the same markers (--write-readme replaces them there).

The Python mlops-lite's figures are quoted (it is not on PyPI: no script here can install
it), with their source and conditions; they are constants below, not measurements.
"""
import difflib
import json
import math
import os
import re
import statistics
import sys

# ---------------------------------------------------------------- reading

FIGURE = re.compile(r"^FIGURE (\S+) (\S+) (\S+)\s*$")
BENCHES = ("bind", "predict", "postgres")


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return meta


def read_figures(path, into):
    """Adds the `FIGURE key value unit` lines of a bench's output to `into` (key -> value)."""
    with open(path) as f:
        for line in f:
            m = FIGURE.match(line.strip())
            if m:
                value = float(m[2])
                if math.isfinite(value):
                    into[m[1]] = value


def read_compare(path, into):
    """Flattens scripts/bench-compare.py's JSON into figures: ort.VARIANT.batch_1m (and
    .best), .batch_10k, .one_us; sk.numpy_1m, sk.numpy_10k, sk.dataframe_10k (and .best),
    sk.one_numpy_ms, sk.one_dataframe_ms. Returns the JSON (versions and agreement)."""
    with open(path) as f:
        c = json.load(f)
    for variant, r in c.get("onnxruntime", {}).items():
        if not isinstance(r, dict):
            continue
        for size in ("1m", "10k"):
            k = f"batch_{size}_records_per_s"
            if k in r:
                into[f"ort.{variant}.batch_{size}"] = r[k]
            if k + "_best" in r:
                into[f"ort.{variant}.batch_{size}.best"] = r[k + "_best"]
        if "one_record_us_median" in r:
            into[f"ort.{variant}.one_us"] = r["one_record_us_median"]
    sk = c.get("sklearn", {})
    for name in ("numpy_1m", "numpy_10k", "dataframe_10k"):
        k = f"{name}_records_per_s"
        if k in sk:
            into[f"sk.{name}"] = sk[k]
        if k + "_best" in sk:
            into[f"sk.{name}.best"] = sk[k + "_best"]
    for name in ("numpy", "dataframe"):
        k = f"one_record_ms_median_{name}"
        if k in sk:
            into[f"sk.one_{name}_ms"] = sk[k]
    return c


# Ratios computed within one run: (key, numerator, denominator).
RATIOS = [
    # native / npm (how many times slower npm is), each from the same input form
    ("ratio.npm.json_bytes", "predict.json_bytes", "wasm.json_bytes"),
    ("ratio.npm.json_text", "predict.json_text", "wasm.json_text"),
    ("ratio.npm.columns_10k", "predict.columns_10k", "wasm.columns_10k"),
    ("ratio.npm.objects", "predict.columns_10k", "wasm.objects"),
    ("ratio.npm.objects_json", "predict.json_bytes", "wasm.objects"),
    ("ratio.npm.columns_1m", "predict.columns_1m", "wasm.columns_1m"),
    ("ratio.npm.log_memory", "predict.log_10k.memory", "wasm.log_json_bytes"),
    ("ratio.npm.open_bytes", "wasm.open_bytes", "predict.open_bytes"),
    # mlops-lite / onnxruntime (above 1: mlops-lite is faster)
    ("ratio.ort.columns_1m", "predict.columns_1m", "ort.1_thread.batch_1m"),
    ("ratio.ort.columns_10k", "predict.columns_10k", "ort.1_thread.batch_10k"),
    ("ratio.ort.one", "ort.1_thread.one_us", "predict.one_resolved.median"),
    # FULL / NORMAL
    ("ratio.full.log_1", "predict.log_1.full.median", "predict.log_1.normal.median"),
    ("ratio.full.log_10k", "predict.log_10k.normal", "predict.log_10k.full"),
]


class Report:
    def __init__(self, root):
        self.root = root
        self.meta = read_meta(os.path.join(root, "meta.txt"))
        self.runs = []  # one dict of figures per run
        self.loads = {"before": [], "after": []}
        self.busy = []  # % of the cores other processes used in the 2 s before a bench
        self.compare = None
        names = sorted(
            (d for d in os.listdir(root) if re.fullmatch(r"run-\d+", d)),
            key=lambda d: int(d[4:]),
        )
        for name in names:
            d = os.path.join(root, name)
            figures = {}
            for bench in BENCHES:
                p = os.path.join(d, f"{bench}.txt")
                if os.path.exists(p):
                    read_figures(p, figures)
            p = os.path.join(d, "compare.json")
            if os.path.exists(p):
                self.compare = read_compare(p, figures)
            for key, num, den in RATIOS:
                if num in figures and den in figures and figures[den] > 0:
                    figures[key] = figures[num] / figures[den]
            p = os.path.join(d, "load.txt")
            if os.path.exists(p):
                with open(p) as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) >= 3 and parts[1] in self.loads:
                            self.loads[parts[1]].append(float(parts[2]))
                        if "busy" in parts[:-1]:
                            self.busy.append(float(parts[parts.index("busy") + 1]))
            self.runs.append(figures)
        if not self.runs:
            raise SystemExit(f"{root}: no run-K/ folder: not a report of scripts/bench-report.sh")

    def values(self, key):
        return [r[key] for r in self.runs if key in r]

    def has(self, key):
        return bool(self.values(key))


# ---------------------------------------------------------------- formatting

UNITS = {
    "rec/s": "records/s",
    "s": "s",
    "ms": "ms",
    "us": "us",
    "MB": "MB",
    "B": "bytes",
    "%": "%",
    "x": "x",
}


def scale(unit, v):
    """(divisor, suffix, decimals) for showing values like v in unit."""
    a = abs(v)
    if unit == "rec/s":
        if a >= 1e6:
            return 1e6, "M records/s", 2
        if a >= 1e4:
            return 1e3, "k records/s", 0
        return 1, " records/s", 0
    if unit == "us":
        if a >= 1000:
            return 1e3, " ms", 2
        return 1, " us", 2 if a < 10 else 1 if a < 100 else 0
    if unit == "s":
        return 1, " s", 2 if a >= 1 else 3
    if unit == "ms":
        return 1, " ms", 0 if a >= 10 else 1
    if unit == "MB":
        return 1, " MB", 0
    if unit == "B":
        return 1, " bytes", 2 if a < 20 else 0
    if unit == "%":
        return 1, "%", 1
    if unit == "x":
        return 1, "x", 2
    raise ValueError(unit)


def num(v, div, dec):
    return f"{v / div:,.{dec}f}"


def one(unit, v):
    """A single value with its unit: 4.90M records/s, 23.1 us, 1.24 s."""
    div, suffix, dec = scale(unit, v)
    return num(v, div, dec) + suffix


class Cells:
    """Renders figures of a report as table cells."""

    def __init__(self, report):
        self.r = report
        self.n = len(report.runs)

    def stat(self, key):
        v = self.r.values(key)
        if not v:
            return None
        return statistics.median(v), min(v), max(v), len(v)

    def fig(self, key, unit, bold=False, best=True, note=""):
        """`**4.90M records/s** (4.88-4.91M); best round 5.10M`: the median of the runs, their
        range, and (for rates with a `.best`) the best round of all runs."""
        s = self.stat(key)
        if s is None:
            return "not measured"
        med, lo, hi, k = s
        div, suffix, dec = scale(unit, med)
        text = num(med, div, dec) + suffix
        if bold:
            text = f"**{text}**"
        if k == 1:
            spread = "1 run" if self.n == 1 else f"1 of {self.n} runs"
        else:
            lo_text, hi_text = num(lo, div, dec), num(hi, div, dec)
            spread = f"{lo_text}-{hi_text}" if lo_text != hi_text else f"the same in {k} runs"
            if k < self.n:
                spread += f", {k} of {self.n} runs"
        text += f" ({spread})"
        bests = self.r.values(key + ".best")
        if best and bests:
            b = max(bests) if unit == "rec/s" else min(bests)
            text += f"; best round {one(unit, b).replace(' records/s', '')}"
        return text + note

    def latency(self, key, bold=True):
        """A one-call latency: the median of the runs' medians with its range, then the
        medians of the runs' p5-p95 and p99."""
        if not self.r.has(key + ".median"):
            return "not measured"
        text = self.fig(key + ".median", "us", bold=bold, best=False) + " median"
        p5, p95, p99 = (self.stat(f"{key}.{q}") for q in ("p5", "p95", "p99"))
        text += "".join(
            f", {name} {one('us', s[0])}" for name, s in (("p5", p5), ("p95", p95), ("p99", p99)) if s
        )
        return text

    def ratio(self, key, bold=True):
        return self.fig(key, "x", bold=bold, best=False)


# ---------------------------------------------------------------- the blocks

# The Python mlops-lite: quoted, not measured here.
PY_SOURCE = (
    "Python mlops-lite: **quoted, not measured here** (it is not on PyPI, so no script in "
    "this repository can install it): figures from issues 2 and 3 of this project (filed "
    "2026-11-26; machine, repetitions and spread not recorded there). Its registry is a "
    "SQLite file in rollback-journal mode with SQLite's default `synchronous=FULL` (issue "
    "14; the Python tool's files we read in tests are in rollback-journal mode), so its "
    "logged figures paid a disk flush per commit, like our `synchronous=FULL` column, not "
    "our default."
)


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        out.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
    return "\n".join(out)


def block_conditions(r, c):
    m = r.meta
    runs = len(r.runs)
    loads = []
    for when in ("before", "after"):
        v = r.loads[when]
        if v:
            loads.append(f"{min(v):.2f}-{max(v):.2f} {when} them")
    load = ("load average (1 min, which counts the benches' own threads too) around the "
            "benches: " + ", ".join(loads)) if loads else "load not recorded"
    if m.get("load_start"):
        load += f" ({m['load_start']} at the start)"
    if r.busy:
        quiet = sum(1 for b in r.busy if b < 10)
        load += (f"; other processes used {min(r.busy):.0f}-{max(r.busy):.0f}% of the cores in the "
                 f"2 s before each bench ({quiet} of {len(r.busy)} benches started on a quiet machine, "
                 f"under 10%)")
    lines = [
        f"Measured by `{m.get('command', 'bash scripts/bench-report.sh')}` on {m.get('date', '?')} "
        f"at commit {m.get('commit', '?')}: {runs} run{'s' if runs != 1 else ''} of each bench, "
        f"interleaved (run 1 of every bench, then run 2, ...). Each figure is the **median of the "
        f"{runs} runs' figures, with their range (min-max) in brackets** (with one run: that run's "
        f"figure); a batch figure of one run "
        f"is that run's median round (the best round of all runs is given beside the median, never "
        f"alone); a one-record figure is the median of that run's calls, with p5, p95 and p99 "
        f"beside it. A ratio is computed within each run, from two figures of that run.",
        "",
        f"Machine: {m.get('nproc', '?')} cores ({m.get('cpu', '?')}), {m.get('memory', '?')} of "
        f"memory, Linux {m.get('kernel', '?')}, {m.get('rustc', '?')}"
        + (f", Node {m['node']}" if m.get("node") else "")
        + f"; shared with other work: {load}. "
        f"The whole report took {int(m.get('seconds', 0)) // 60} min {int(m.get('seconds', 0)) % 60} s. "
        f"Raw outputs: `{os.path.join('target/bench-data', os.path.basename(r.root.rstrip('/')))}/`.",
    ]
    if r.busy and sum(1 for b in r.busy if b < 10) < len(r.busy) / 2:
        lines += ["", f"**The machine was busy during this report**: other processes used "
                  f"{statistics.median(r.busy):.0f}% of the cores (median) just before the benches "
                  f"started, so these figures are lower and more spread than a quiet machine gives; "
                  f"compare them with the targets only after a run on a quiet machine."]
    if m.get("npm_dist", "").startswith("NOT"):
        lines += ["", "**The npm package was not built from these sources**: its figures are of another build."]
    return "\n".join(lines)


def block_bind(r, c):
    rows = r.values("bind.rows")
    size = f"{int(rows[0]):,}" if rows else "1,000,000"
    return "\n".join([
        table(
            ["what (`cargo bench --bench bind`)", "target (issue 2)", "mlops-lite: median (range)", "Python mlops-lite (quoted)"],
            [
                [f"bind {size} x 10 floats from CSV, new registry file", "<= 3 s", c.fig("bind.fresh", "s", True), "61.9 s"],
                ["peak memory of that bind (VmHWM)", "<= 500 MB", c.fig("bind.peak_rss", "MB", True), "1.8 GiB"],
                ["re-bind the identical file", "<= 10% of a fresh bind",
                 c.fig("bind.rebind_same", "s", True) + ": " + c.fig("bind.rebind_same_pct", "%"),
                 "4.1 s for 100k rows"],
                ["re-bind the same values from a reformatted file (full parse + md5, nothing written)", "",
                 c.fig("bind.rebind_reformatted", "s") + ": " + c.fig("bind.rebind_reformatted_pct", "%"), ""],
                ["pull it back, md5 verified", "<= 1.5 s", c.fig("bind.pull", "s", True), ""],
                ["file size per float cell (row hashes included)", "<= 10 bytes", c.fig("bind.bytes_per_cell", "B", True), "20.6 bytes"],
            ],
        ),
        "",
        PY_SOURCE,
    ])


def block_predict(r, c):
    return table(
        ["what (`cargo bench --bench predict`), no log", "target", "mlops-lite: median (range)", "Python mlops-lite (quoted)"],
        [
            ["10,000 JSON records, from JSON bytes (`&[u8]`)", ">= 2M records/s (issue 3)", c.fig("predict.json_bytes", "rec/s", True), "121k records/s"],
            ["10,000 JSON records, from a JSON string (`&str`)", "", c.fig("predict.json_text", "rec/s"), ""],
            ["10,000 records from columns (`Records::Columns`)", "", c.fig("predict.columns_10k", "rec/s"), ""],
            ["the pipeline alone on parsed records", ">= 20M records/s (issue 13)", c.fig("predict.pipeline_alone", "rec/s", True), ""],
            ["1,000,000 records from columns (`Registry::predict`)", "faster than onnxruntime's batch", c.fig("predict.columns_1m", "rec/s", True), ""],
            ["same, logged to the file (one transaction, `synchronous=NORMAL`)", ">= 1M records/s", c.fig("predict.columns_1m_log", "rec/s", True), ""],
            ["one record, Rust API, model resolved once (`predict_with_model`)", "<= 2 us median", c.latency("predict.one_resolved"), ""],
            ["one record through `Registry::predict` by name (a lookup of the model row)", "", c.latency("predict.one_by_name", bold=False), "3.5 ms"],
            ["CLI whole process, 200,000 JSON records to a file, `--output json`", ">= 1M records/s", c.fig("predict.cli.json", "rec/s", True), ""],
            ["same, `--output jsonl` / `--output csv`", "",
             c.fig("predict.cli.jsonl", "rec/s", best=False) + " / " + c.fig("predict.cli.csv", "rec/s", best=False), ""],
        ],
    )


def block_durability(r, c):
    def both(f):
        return [f("normal"), f("full")]

    return "\n".join([
        table(
            ["logged predictions (`cargo bench --bench predict`)", "target (issue 3)",
             "`synchronous=NORMAL` (default; WAL)", "`synchronous=FULL` (WAL)", "Python mlops-lite (quoted; rollback journal, FULL)"],
            [
                ["10,000 JSON records logged in one call (one transaction)", ">= 500k records/s",
                 *both(lambda d: c.fig(f"predict.log_10k.{d}", "rec/s", True)), "923 records/s"],
                ["one record logged (its own transaction)", "<= 100 us median",
                 *both(lambda d: c.latency(f"predict.log_1.{d}")), "6.7-28 ms"],
                ["log size per iris record", "<= 120 bytes",
                 *both(lambda d: c.fig(f"predict.log_bytes_per_record.{d}", "B")), "238 bytes"],
                ["what a returned (committed) call survives", "",
                 "a crash or `kill -9` of the application (tests/durability.rs); a power loss or an "
                 "operating-system crash can lose the last commits (the file stays consistent)",
                 "a power loss too: each commit waits until the WAL is on the disk (fsync)",
                 "a power loss (rollback journal, FULL)"],
            ],
        ),
        "",
        f"FULL against NORMAL in the same runs: one logged record {c.ratio('ratio.full.log_1', bold=False)} "
        f"slower, 10,000 logged records {c.ratio('ratio.full.log_10k', bold=False)} slower. "
        "`Registry::open_with_durability(path, Durability::Full)` opens a registry so "
        "(`Durability::Normal` is what `Registry::open` does).",
    ])


def block_npm(r, c):
    m = r.meta
    wasm = "not measured"
    if m.get("wasm_gzip_bytes"):
        gz, raw = int(m["wasm_gzip_bytes"]), int(m.get("wasm_bytes", 0))
        wasm = f"**{gz:,} bytes gzipped** ({raw / 1e6:.2f} MB raw; {700_000 - gz:,} under the limit)"
    return table(
        ["input form (10,000 iris records unless said)", "target (issue 4, 13)", "npm package under Node: median (range)",
         "native, same run", "native / npm: median (range)"],
        [
            ["JSON bytes: `Uint8Array` / `&[u8]`", "", c.fig("wasm.json_bytes", "rec/s"),
             c.fig("predict.json_bytes", "rec/s", best=False), c.ratio("ratio.npm.json_bytes")],
            ["a JSON string: JS string / `&str`", "within 2x", c.fig("wasm.json_text", "rec/s"),
             c.fig("predict.json_text", "rec/s", best=False), c.ratio("ratio.npm.json_text")],
            ["columns: `Float64Array`s / `Columns`", "", c.fig("wasm.columns_10k", "rec/s"),
             c.fig("predict.columns_10k", "rec/s", best=False), c.ratio("ratio.npm.columns_10k")],
            ["records as a program holds them: JS objects / JSON bytes (issue 13's comparison when filed: 1.16-1.77x)", "within 1.5x",
             c.fig("wasm.objects", "rec/s"), c.fig("predict.json_bytes", "rec/s", best=False), c.ratio("ratio.npm.objects_json")],
            ["parsed records: JS objects / `Columns` (each language's parsed values: not the same form)", "",
             c.fig("wasm.objects", "rec/s"), c.fig("predict.columns_10k", "rec/s", best=False), c.ratio("ratio.npm.objects")],
            ["1,000,000 records: `Float64Array`s / `Columns`", "within 2x", c.fig("wasm.columns_1m", "rec/s"),
             c.fig("predict.columns_1m", "rec/s", best=False), c.ratio("ratio.npm.columns_1m")],
            ["JSON bytes, logged into a registry in memory", "", c.fig("wasm.log_json_bytes", "rec/s"),
             c.fig("predict.log_10k.memory", "rec/s", best=False), c.ratio("ratio.npm.log_memory")],
            ["JS objects, result objects out (the usual call; no native counterpart)", "",
             c.fig("wasm.objects_rows", "rec/s", best=False), "", ""],
            ["JS objects, logged into a registry in memory", "", c.fig("wasm.objects_log", "rec/s", best=False), "", ""],
            ["open the bind bench's registry (98 MB) from bytes", "<= 1 s", c.fig("wasm.open_bytes", "ms", True),
             c.fig("predict.open_bytes", "ms"), c.ratio("ratio.npm.open_bytes") + " (npm / native time)"],
            ["`.wasm` size (npm/dist)", "<= 700,000 bytes gzipped", wasm, "", ""],
        ],
    )


ORT_VARIANTS = [
    ("default_threads", "float32 tensor, labels + probabilities, default threads"),
    ("proba_only_1_thread", "float32 tensor, probabilities only, 1 thread"),
    ("named_inputs_1_thread", "4 named [N,1] inputs, labels + probabilities, 1 thread"),
]


def block_compare(r, c):
    cmp = r.compare or {}
    v = cmp.get("versions", {})
    rows = [
        ["1,000,000 records, labels + probabilities",
         c.fig("predict.columns_1m", "rec/s", True, best=False) + ", f64 columns",
         c.fig("ort.1_thread.batch_1m", "rec/s", best=False) + ", float32 tensor [N,4], 1 thread",
         c.fig("sk.numpy_1m", "rec/s", best=False) + ", numpy, probabilities only",
         c.ratio("ratio.ort.columns_1m")],
        ["10,000 records, labels + probabilities",
         c.fig("predict.columns_10k", "rec/s", best=False) + ", f64 columns",
         c.fig("ort.1_thread.batch_10k", "rec/s", best=False) + ", float32 tensor, 1 thread",
         c.fig("sk.numpy_10k", "rec/s", best=False) + " numpy / " + c.fig("sk.dataframe_10k", "rec/s", best=False) + " DataFrame",
         c.ratio("ratio.ort.columns_10k")],
        ["one record, in process",
         c.latency("predict.one_resolved", bold=False) + " (Rust call)",
         c.fig("ort.1_thread.one_us", "us", best=False) + " median (a Python call)",
         c.fig("sk.one_numpy_ms", "ms", best=False) + " median (numpy)",
         c.ratio("ratio.ort.one") + " (not the same caller: Rust against Python)"],
    ]
    for key, what in ORT_VARIANTS:
        rows.append([f"onnxruntime, 1,000,000 records, {what}", "", c.fig(f"ort.{key}.batch_1m", "rec/s", best=False), "", ""])
    agree = cmp.get("agreement_10k", {})
    lines = [
        table(
            ["work (iris pipeline, same record values; no log)", "mlops-lite native", "onnxruntime " + v.get("onnxruntime", "?"),
             "scikit-learn " + v.get("scikit-learn", "?"), "mlops-lite / onnxruntime: median (range)"],
            rows,
        ),
        "",
        f"Same runs as the tables above (`scripts/bench-compare.py`, in `target/bench-venv`: Python "
        f"{v.get('python', '?')}, numpy {v.get('numpy', '?')}, pandas {v.get('pandas', '?')}, skl2onnx "
        f"{v.get('skl2onnx', '?')}, onnx {v.get('onnx', '?')}). Above 1x mlops-lite is faster. Both "
        "batch sides start from numbers already in memory, no parsing: mlops-lite from f64 "
        "columns, onnxruntime from a float32 [N,4] tensor (converted before timing); the one-record "
        "figures include each caller's overhead (a Rust call against a Python call)."
        + (f" onnxruntime (float32) against scikit-learn (float64) on 10,000 records: largest "
           f"probability difference {agree['max_abs_proba_diff_onnxruntime_vs_sklearn']:.1e}, "
           f"{agree['labels_differ']} labels differ." if agree else ""),
    ]
    return "\n".join(lines)


def block_postgres(r, c):
    return table(
        ["what (`cargo bench --bench postgres`)", "target (issue 6)", "median (range)"],
        [
            ["bind 1M x 10 floats from CSV into PostgreSQL", "<= 5 s", c.fig("pg.bind", "s", True)],
            ["peak memory of that bind (VmHWM)", "", c.fig("pg.peak_rss", "MB")],
            ["the same bind from an in-memory `Dataset`", "", c.fig("pg.bind_memory", "s")],
            ["of which the binary `COPY` alone (as `copy_rows` writes it / hand-encoded)", "",
             c.fig("pg.copy_writer", "s") + " / " + c.fig("pg.copy_hand", "s")],
            ["10,000 JSON records, logged (one call)", ">= 100,000 records/s", c.fig("pg.log_10k", "rec/s", True)],
            ["10,000 JSON records, no log", "", c.fig("pg.nolog_10k", "rec/s")],
            ["one record, logged (its own transaction)", "", c.latency("pg.log_1")],
            ["data table on disk per float cell", "", c.fig("pg.bytes_per_cell", "B")],
            ["log size per iris record", "", c.fig("pg.log_bytes_per_record", "B")],
            ["`mlops-lite copy` of the bind bench's registry, file to PostgreSQL (whole process)", "",
             c.fig("pg.copy_to_pg", "s") + ", peak RSS " + c.fig("pg.copy_to_pg_rss", "MB")],
            ["`mlops-lite copy` back, PostgreSQL to a new file", "",
             c.fig("pg.copy_from_pg", "s") + ", peak RSS " + c.fig("pg.copy_from_pg_rss", "MB")],
            ["a logged call's 10,000 records by `COPY` alone: with a foreign key on `call_id` / without (as `schema/pg.sql`)", "",
             c.fig("pg.log_copy_fk_hand", "rec/s") + " / " + c.fig("pg.log_copy_nofk_hand", "rec/s")],
        ],
    )


BLOCKS = [
    ("conditions", block_conditions, None),
    ("bind", block_bind, "bind"),
    ("predict", block_predict, "predict"),
    ("durability", block_durability, "predict"),
    ("npm", block_npm, "predict"),
    ("compare", block_compare, "predict"),
    ("postgres", block_postgres, "postgres"),
]


def render(root):
    """The markdown blocks, as {name: text}, for the benches the report ran."""
    r = Report(root)
    c = Cells(r)
    ran = set(r.meta.get("benches", " ".join(BENCHES)).split())
    return {name: f(r, c) for name, f, bench in BLOCKS if bench is None or bench in ran}


def as_text(blocks):
    return "\n\n".join(f"<!-- bench-report:{n} -->\n{t}\n<!-- /bench-report:{n} -->" for n, t in blocks.items()) + "\n"


def write_readme(path, blocks):
    """Replaces each block between its markers in `path`; a missing marker is an error."""
    with open(path) as f:
        text = f.read()
    for name, body in blocks.items():
        pattern = re.compile(
            rf"(<!-- bench-report:{name} -->\n)(?:.*?\n)?(<!-- /bench-report:{name} -->)", re.S
        )
        if not pattern.search(text):
            raise SystemExit(f"{path}: no <!-- bench-report:{name} --> ... <!-- /bench-report:{name} --> block")
        text = pattern.sub(lambda m: m[1] + body + "\n" + m[2], text, count=1)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------- self-test

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "bench-report")


def self_test(regen=False):
    """Renders the fixture report (3 runs of raw outputs) and compares it with expected.md;
    checks the aggregation on figures chosen for it and the README block replacement."""
    import tempfile

    got = as_text(render(FIXTURE))
    expected_path = os.path.join(FIXTURE, "expected.md")
    if regen:
        with open(expected_path, "w") as f:
            f.write(got)
    with open(expected_path) as f:
        expected = f.read()
    failures = []
    if got != expected:
        failures.append("".join(difflib.unified_diff(
            expected.splitlines(True), got.splitlines(True), "expected.md", "rendered")))
    # The fixture's fresh binds are 1.30, 1.10 and 1.20 s: median 1.20, range 1.10-1.30.
    if "**1.20 s** (1.10-1.30)" not in got:
        failures.append("bind.fresh: median and range of 1.30, 1.10, 1.20 s not rendered as **1.20 s** (1.10-1.30)")
    # A ratio is taken within each run: 4.0M/2.0M, 4.4M/2.0M, 4.2M/3.0M -> 2.00, 2.20, 1.40.
    if "**2.00x** (1.40-2.20)" not in got:
        failures.append("ratio.npm.json_bytes: the per-run ratios 2.00, 2.20, 1.40 not rendered as **2.00x** (1.40-2.20)")
    # A figure only some runs have says so; a figure no run has is "not measured".
    if "2 of 3 runs" not in got:
        failures.append("pg.copy_to_pg_rss is in 2 of 3 runs: not said")
    with tempfile.TemporaryDirectory() as d:
        readme = os.path.join(d, "README.md")
        with open(readme, "w") as f:
            f.write("# x\n<!-- bench-report:bind -->\nold\nlines\n<!-- /bench-report:bind -->\nafter\n"
                    "<!-- bench-report:npm -->\n<!-- /bench-report:npm -->\n")
        write_readme(readme, {"bind": "new", "npm": "filled"})
        with open(readme) as f:
            if f.read() != ("# x\n<!-- bench-report:bind -->\nnew\n<!-- /bench-report:bind -->\nafter\n"
                            "<!-- bench-report:npm -->\nfilled\n<!-- /bench-report:npm -->\n"):
                failures.append("write_readme did not replace the blocks (one full, one empty)")
        try:
            write_readme(readme, {"predict": "x"})
            failures.append("write_readme accepted a README without the block's markers")
        except SystemExit:
            pass
    if failures:
        print("bench-report self-test FAILED:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    print("bench-report self-test: ok (fixture of 3 runs, expected.md, aggregation, README blocks)")
    return 0


def check(old_root, new_root):
    """Whether each figure of a fresh report (its median) falls within the range an earlier
    report states for it: the issue's "a fresh run matches within the stated spread"."""
    old, new = Report(old_root), Report(new_root)
    keys = sorted(k for k in set().union(*old.runs) if not k.endswith(".best"))
    inside, near, outside = 0, 0, []
    for k in keys:
        a, b = old.values(k), new.values(k)
        if not a or not b:
            continue
        m, lo, hi = statistics.median(b), min(a), max(a)
        if lo <= m <= hi:
            inside += 1
            continue
        off = (m - hi) / hi if m > hi else (m - lo) / lo
        near += abs(off) <= 0.10
        outside.append(f"{k}: {m:.4g} outside {lo:.4g}-{hi:.4g} ({100 * off:+.0f}%)")
    total = inside + len(outside)
    print(f"{inside} of {total} figures of {new_root} (their medians) fall within the ranges of "
          f"{old_root}; {near} more within 10% of a bound")
    for line in outside:
        print("  " + line)
    return 0


def main(argv):
    if argv[:1] == ["--self-test"]:
        return self_test(regen="--regen" in argv)
    if argv[:1] == ["--check"] and len(argv) == 3:
        return check(argv[1], argv[2])
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    blocks = render(argv[0])
    sys.stdout.write(as_text(blocks))
    if "--write-readme" in argv:
        i = argv.index("--write-readme")
        write_readme(argv[i + 1] if i + 1 < len(argv) else "README.md", blocks)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
