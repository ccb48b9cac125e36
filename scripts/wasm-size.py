#!/usr/bin/env python3
"""Where the bytes of a .wasm go: code bytes by crate (from the function names), the data
segments, and the other sections, each raw and as a share of the whole.

    python3 scripts/wasm-size.py FILE.wasm [--top N] [--gzip] [--functions N]

With --gzip, each listed crate's gzip cost too: how many gzipped bytes the module loses when
that crate's function bodies become `unreachable` (slow: one gzip per crate). With
--functions N, also the N largest functions (raw bytes of code) with their names.

FILE must keep its function names (the `name` section): build it with the profile
`wasm-names` (wasm-release, not stripped), run wasm-bindgen on it as scripts/build-npm.sh
does (it demangles the names), then `wasm-opt -Oz -g` (-g keeps the names). See
docs/WASM-SIZE.md for the whole command. Code is attributed by the first path of the
function's (demangled) name: `smartcore::...` to smartcore, `<serde_json::Value as
core::fmt::Display>::fmt` to serde_json; SQLite's C functions (`sqlite3...`) to "sqlite (C)".
Generic code is counted where its function's path says (serde's `Deserialize` of our types
counts as serde). Sizes are raw bytes: gzip is not additive, so the shares are a guide;
docs/WASM-SIZE.md has the gzipped size of each build variant.
"""
import gzip
import re
import sys
from collections import defaultdict


def leb(b, i):
    result = shift = 0
    while True:
        byte = b[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def sections(b):
    assert b[:4] == b"\0asm", "not a WebAssembly module"
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        yield sid, b[j : j + size], j + size - i
        i = j + size


def name_of(payload):
    n, i = leb(payload, 0)
    return payload[i : i + n].decode("utf-8", "replace"), i + n


SECTION = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
           6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}


def crate_of(name):
    """The crate a function's name points to (see the module note)."""
    # wasm-bindgen's export shims (`registry_verify multivalue shim`, `__wbindgen_malloc`):
    # wasm-opt inlines the Rust methods they call into them.
    if " shim" in name or name.startswith(("__wbindgen", "__wbg_", "registry_", "__externref")):
        return "wasm-bindgen exports (Rust inlined)"
    if "::" not in name and not name.startswith("<"):
        if name.startswith("__") or re.match(r"^(mem|str|strn|to|is)[a-z]*$", name):
            return "libc / compiler builtins"
        return "sqlite (C)"
    # `<char>::escape_debug_ext`, `<u64>::_fmt`: methods of primitive types, from core.
    if re.match(r"^<(char|str|bool|[iuf](8|16|32|64|128|size)|\[.*\])>::", name):
        return "core"
    # Paths as `crate[hash]::module::...` or `crate::module::...`; a leading `<`, `&` or
    # `_::<impl ...` is skipped.
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::", name)
    crate = m.group(1) if m else "?"
    if crate == "_":
        return crate_of(name[m.end():])
    return {"mlops_lite": "mlops_lite (this crate)", "__rustc": "alloc", "std_detect": "std"}.get(crate, crate)


def blank_code(b, drop):
    """The module with every function body whose index is in `drop` replaced by
    `unreachable`, and without custom sections: what the code of `drop` costs is the
    difference."""
    out = bytearray(b[:8])
    for sid, payload, total in sections(b):
        if sid == 0:
            continue
        if sid == 10:
            count, i = leb(payload, 0)
            new = bytearray(enc(count))
            for k in range(count):
                size, j = leb(payload, i)
                body = payload[i : j + size]
                new += b"\x03\x00\x00\x0b" if k in drop else body
                i = j + size
            payload = bytes(new)
        out += bytes([sid]) + enc(len(payload)) + payload
    return bytes(out)


def enc(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    args = sys.argv[1:]
    top = 25
    if "--top" in args:
        k = args.index("--top")
        top = int(args[k + 1])
        del args[k : k + 2]
    functions = 0
    if "--functions" in args:
        k = args.index("--functions")
        functions = int(args[k + 1])
        del args[k : k + 2]
    with_gzip = "--gzip" in args
    args = [a for a in args if a != "--gzip"]
    b = open(args[0], "rb").read()
    imported = 0
    bodies = []
    names = {}
    other = defaultdict(int)
    for sid, payload, total in sections(b):
        if sid == 2:
            count, i = leb(payload, 0)
            for _ in range(count):
                for _ in range(2):  # module and field names
                    n, i = leb(payload, i)
                    i += n
                kind = payload[i]
                i += 1
                if kind == 0:
                    _, i = leb(payload, i)
                    imported += 1
                elif kind in (1, 2):
                    i += kind == 1  # a table's element type
                    flags, i = leb(payload, i)
                    _, i = leb(payload, i)
                    if flags & 1:
                        _, i = leb(payload, i)
                elif kind == 3:
                    i += 2
                elif kind == 4:
                    _, i = leb(payload, i + 1)
            other["import"] += total
        elif sid == 10:
            count, i = leb(payload, 0)
            for _ in range(count):
                size, j = leb(payload, i)
                bodies.append(size + (j - i))
                i = j + size
        elif sid == 0:
            cname, k = name_of(payload)
            if cname == "name":
                i = k
                while i < len(payload):
                    sub = payload[i]
                    size, j = leb(payload, i + 1)
                    if sub == 1:
                        count, p = leb(payload, j)
                        for _ in range(count):
                            idx, p = leb(payload, p)
                            n, p2 = leb(payload, p)
                            names[idx] = payload[p2 : p2 + n].decode("utf-8", "replace")
                            p = p2 + n
                    i = j + size
            other[f"custom: {cname}"] += total
        else:
            other[SECTION.get(sid, str(sid))] += total
    by_crate = defaultdict(int)
    members = defaultdict(set)
    for k, size in enumerate(bodies):
        crate = crate_of(names.get(imported + k, "?"))
        by_crate[crate] += size
        members[crate].add(k)
    code = sum(bodies)
    whole = len(b)
    print(f"{args[0]}: {whole} bytes; code {code} ({100 * code / whole:.1f}%) in {len(bodies)} functions, "
          f"{len(names)} named")
    ranked = sorted(by_crate.items(), key=lambda kv: -kv[1])
    if with_gzip:
        base = len(gzip.compress(blank_code(b, set()), 9))
        print(f"without custom sections: {base} bytes gzipped")
        print("\n| crate (code) | bytes | share of the file | gzipped bytes it costs |\n|:--|--:|--:|--:|")
    else:
        print("\n| crate (code) | bytes | share of the file |\n|:--|--:|--:|")
    for crate, size in ranked[:top]:
        line = f"| {crate} | {size} | {100 * size / whole:.1f}% |"
        if with_gzip:
            line += f" {base - len(gzip.compress(blank_code(b, members[crate]), 9))} |"
        print(line)
    rest = ranked[top:]
    if rest:
        size = sum(s for _, s in rest)
        line = f"| {len(rest)} others | {size} | {100 * size / whole:.1f}% |"
        if with_gzip:
            dropped = set().union(*(members[c] for c, _ in rest))
            line += f" {base - len(gzip.compress(blank_code(b, dropped), 9))} |"
        print(line)
    print("\n| section | bytes | share of the file |\n|:--|--:|--:|")
    for sec, size in sorted(other.items(), key=lambda kv: -kv[1]):
        print(f"| {sec} | {size} | {100 * size / whole:.1f}% |")
    if functions:
        print("\n| function | bytes |\n|:--|--:|")
        largest = sorted(enumerate(bodies), key=lambda kv: -kv[1])[:functions]
        for k, size in largest:
            print(f"| `{names.get(imported + k, '?')[:120]}` | {size} |")


if __name__ == "__main__":
    main()
