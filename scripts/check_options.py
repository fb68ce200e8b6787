#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks every description of ccr's options against the one table,
capi/options.json, and fails on any difference.

The table has one row per option: its C setter(s) and their arguments, the
operations that read it, the criu_opts field(s) it reaches, a one-line doc,
and its name and type in each binding. Compared with it:

- include/ccr/ccr.h: each setter's declaration (arguments, word for word)
  and its doc comment (first sentence, and the "(both)", "(checkpoint)" or
  "(restore)" tag in it);
- tests/unit/criu_opts_coverage_test.cpp, which proves which request each
  setter changes: the table's fields and operations must be the ones its
  setter cases show;
- docs/options.md: the criu_opts table (which setter reaches which field,
  and the request it is sent on), and the per-setter section, which is
  generated from the table (--write rewrites it);
- Python (bindings/python/src/libccr): the Options keyword, its annotation,
  the converter in _SETTERS and the operation tag of its docstring entry;
- Go (bindings/go/ccr): the field, its type, the struct that holds it
  (Options for both operations, CheckpointOptions or RestoreOptions for one)
  and the setter its doc comment and apply code name;
- Rust (bindings/rust/libccr/src/options.rs): the method, its parameters
  (or the macro row that makes it) and the operation tag of its doc.

Usage: check_options.py [--root DIR] [--write]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

OPS = ("checkpoint", "restore", "export", "import", "query")
TAG_RE = re.compile(r"\((both|checkpoint|restore)\b")
SETTER_RE = r"ccr_options_(?:set|add)_\w+"
GEN_BEGIN = "<!-- BEGIN: generated from capi/options.json by scripts/check_options.py --write -->"
GEN_END = "<!-- END: generated from capi/options.json -->"


class Problems:
    def __init__(self) -> None:
        self.items: List[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def norm(text: str) -> str:
    return " ".join(text.split())


def expected_tag(ops: List[str]) -> Optional[str]:
    """The operation tag a doc carries for these operations."""
    c, r = "checkpoint" in ops, "restore" in ops
    if c and r:
        return "both"
    if c:
        return "checkpoint"
    if r:
        return "restore"
    return None


def first_sentence(text: str) -> str:
    text = norm(text)
    m = re.search(r"(?<=\.)\s+(?=[A-Z\"`'(])", text)
    return text if m is None else text[: m.start()]


def strip_tags(text: str) -> str:
    return norm(re.sub(r"\s*\((?:both|checkpoint|restore)(?:;[^)]*)?\)", "", text))


# --- The table ------------------------------------------------------------------


def load_table(root: Path, p: Problems) -> List[Dict[str, Any]]:
    path = root / "capi" / "options.json"
    rows: List[Dict[str, Any]] = json.loads(path.read_text())["options"]
    seen: Set[str] = set()
    need = ("name", "c", "operations", "criu_fields", "doc", "python", "go", "rust")
    for row in rows:
        where = f"capi/options.json {row.get('name', '?')}"
        for key in need:
            if key not in row:
                p.add(where, f"has no {key!r}")
        if row.get("name") in seen:
            p.add(where, "appears twice")
        seen.add(row.get("name", ""))
        for op in row.get("operations", []):
            if op not in OPS:
                p.add(where, f"operation {op!r} is not one of {', '.join(OPS)}")
        if not row.get("operations"):
            p.add(where, "applies to no operation")
        doc = row.get("doc", "")
        if "\n" in doc or not doc.endswith("."):
            p.add(where, "doc must be one line ending in '.'")
        if TAG_RE.search(doc):
            p.add(where, "doc carries an operation tag: the operations column says it")
    return rows


def setters_of(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {c["fn"]: row for row in rows for c in row["c"]}


# --- include/ccr/ccr.h ----------------------------------------------------------------


def header_setters(root: Path) -> Dict[str, Dict[str, str]]:
    """Every ccr_options_set_*/add_* of the header: its arguments after the
    handle, and the doc comment above it (shared by a group of declarations)."""
    text = (root / "include" / "ccr" / "ccr.h").read_text()
    comments = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"(?m)^/\*(.*?)\*/", text, re.S)]
    out: Dict[str, Dict[str, str]] = {}
    decl = re.compile(
        r"CCR_EXTERN\s+ccr_error\s*\*\s*(" + SETTER_RE + r")\s*\(\s*ccr_options\s*\*\s*options\s*(.*?)\);",
        re.S,
    )
    for m in decl.finditer(text):
        doc = ""
        for _start, end, body in comments:
            if end <= m.start():
                doc = body
        args = norm(m.group(2)).lstrip(",").strip()
        out[m.group(1)] = {"args": args, "doc": norm(re.sub(r"(?m)^\s*\*", " ", doc))}
    return out


def check_header(root: Path, rows: List[Dict[str, Any]], p: Problems) -> None:
    header = header_setters(root)
    table = setters_of(rows)
    for fn in sorted(set(header) - set(table)):
        p.add("include/ccr/ccr.h", f"{fn} is in no row of capi/options.json")
    for row in rows:
        for c in row["c"]:
            fn = c["fn"]
            h = header.get(fn)
            if h is None:
                p.add("include/ccr/ccr.h", f"declares no {fn} (capi/options.json {row['name']})")
                continue
            if norm(c["args"]) != h["args"]:
                p.add("include/ccr/ccr.h", f"{fn} takes ({h['args']}), the table says ({c['args']})")
            first = first_sentence(h["doc"])
            tags = set(TAG_RE.findall(first))
            want = expected_tag(row["operations"])
            if tags != ({want} if want else set()):
                p.add(
                    "include/ccr/ccr.h",
                    f"{fn}'s doc says ({'/'.join(sorted(tags)) or 'no operation'}), "
                    f"the table's operations {row['operations']} say ({want or 'no operation'})",
                )
            if strip_tags(first) != norm(row["doc"]):
                p.add(
                    "include/ccr/ccr.h",
                    f"{fn}'s doc begins {strip_tags(first)!r}, the table's doc is {row['doc']!r}",
                )


# --- What the core really sends (the coverage test's setter cases) ------------------


def c_literals(text: str, start: int) -> Tuple[List[str], int]:
    """The string literals directly inside the brace at `start` (not inside
    nested braces), and the index after its closing brace."""
    depth, i, lits = 0, start, []
    while i < len(text):
        ch = text[i]
        if text.startswith('R"(', i):
            end = text.index(')"', i + 3)
            if depth == 1:
                lits.append(text[i + 3 : end])
            i = end + 2
            continue
        if ch == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if depth == 1:
                lits.append(text[i + 1 : j])
            i = j + 1
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return lits, i + 1
        i += 1
    raise ValueError("unbalanced braces")


def coverage_cases(root: Path) -> List[Tuple[str, str, bool, bool]]:
    """(field, setter, changes the dump request, changes the restore request)
    for each case of the criu_opts coverage test that a setter drives: the
    Kind::Setter ones, and the Kind::Derived ones whose field ccr derives
    from a setter's value (the images directory's descriptor)."""
    text = (root / "tests" / "unit" / "criu_opts_coverage_test.cpp").read_text()
    out = []
    for m in re.finditer(r'\{"(\w+)", Kind::(Setter|Derived),', text):
        lits, _ = c_literals(text, m.start())
        setter = re.search(SETTER_RE, lits[1])
        if setter is None and m.group(2) == "Derived":
            continue  # worked out from the container or its config, not from an option
        if setter is None:
            raise ValueError(f"coverage case {m.group(1)}: {lits[1]!r} names no setter")
        out.append((m.group(1), setter.group(0), lits[-2] != "", lits[-1] != ""))
    return out


def check_core(root: Path, rows: List[Dict[str, Any]], p: Problems) -> None:
    where = "tests/unit/criu_opts_coverage_test.cpp"
    table = setters_of(rows)
    sent: Dict[str, Set[str]] = {}
    for field, fn, dump, restore in coverage_cases(root):
        row = table.get(fn)
        if row is None:
            p.add(where, f"case {field} sets {fn}, which is in no row of capi/options.json")
            continue
        if field not in row["criu_fields"]:
            p.add(
                where,
                f"{fn} reaches criu_opts.{field}; capi/options.json {row['name']} lists {row['criu_fields']}",
            )
        ops = sent.setdefault(row["name"], set())
        if dump:
            ops.add("checkpoint")
        if restore:
            ops.add("restore")
    for row in rows:
        if not row["criu_fields"]:
            continue
        if row["name"] not in sent:
            p.add(
                where,
                f"no setter case for {row['name']} (capi/options.json lists fields {row['criu_fields']})",
            )
            continue
        table_ops = {o for o in row["operations"] if o in ("checkpoint", "restore")}
        if sent[row["name"]] != table_ops:
            p.add(
                "capi/options.json",
                f"{row['name']} applies to {sorted(table_ops)}, but its setter changes the "
                f"{' and '.join(sorted(sent[row['name']]))} request(s) ({where})",
            )


# --- docs/options.md --------------------------------------------------------------


def generated_section(rows: List[Dict[str, Any]]) -> str:
    lines = [
        GEN_BEGIN,
        "",
        "| setter | applies to | criu_opts field | what it does |",
        "|---|---|---|---|",
    ]
    for row in rows:
        fns = ", ".join(f"`{c['fn']}`" for c in row["c"])
        fields = ", ".join(f"`{f}`" for f in row["criu_fields"]) or "none"
        lines.append(f"| {fns} | {', '.join(row['operations'])} | {fields} | {row['doc']} |")
    lines += ["", GEN_END]
    return "\n".join(lines)


def docs_criu_rows(text: str) -> Dict[str, Tuple[Set[str], str, str]]:
    """criu_opts field -> (setters named, how ccr sets it, the request it is sent on)."""
    out = {}
    for m in re.finditer(r"(?m)^\| (\d+) \| `(\w+)` \| (.*?) \| (.*?) \|", text):
        out[m.group(2)] = (set(re.findall(SETTER_RE, m.group(3))), m.group(3), m.group(4))
    return out


def check_docs(root: Path, rows: List[Dict[str, Any]], p: Problems, write: bool) -> None:
    path = root / "docs" / "options.md"
    where = "docs/options.md"
    text = path.read_text()
    section = generated_section(rows)
    m = re.search(re.escape(GEN_BEGIN) + r".*?" + re.escape(GEN_END), text, re.S)
    if m is None:
        p.add(where, "has no generated setter table (markers missing)")
    elif m.group(0) != section:
        if write:
            path.write_text(text[: m.start()] + section + text[m.end() :])
            text = path.read_text()
        else:
            p.add(
                where, "the setter table differs from capi/options.json: run scripts/check_options.py --write"
            )
    table = setters_of(rows)
    md = docs_criu_rows(text)
    by_request = {"dump": {"checkpoint"}, "restore": {"restore"}, "both": {"checkpoint", "restore"}}
    for field, (fns, how, sent_on) in md.items():
        for fn in sorted(fns):
            if fn not in table:
                p.add(where, f"row {field} names {fn}, which is in no row of capi/options.json")
        if how.startswith(("set by ccr", "never sent")):
            continue
        request = re.split(r"[ ,;]", sent_on.strip(), maxsplit=1)[0]
        for fn in sorted(fns):
            row = table.get(fn)
            if row is None:
                continue
            if field not in row["criu_fields"]:
                p.add(
                    where,
                    f"row {field} names {fn}; capi/options.json {row['name']} lists {row['criu_fields']}",
                )
            ops = {o for o in row["operations"] if o in ("checkpoint", "restore")}
            if by_request.get(request) != ops:
                p.add(
                    where,
                    f"row {field} is sent on {request!r}; "
                    f"capi/options.json {row['name']} applies to {sorted(ops)}",
                )
    for row in rows:
        for field in row["criu_fields"]:
            fns = {c["fn"] for c in row["c"]}
            if field not in md:
                p.add(where, f"has no row for criu_opts.{field} (capi/options.json {row['name']})")
            elif not fns & md[field][0]:
                p.add(where, f"row {field} names none of {sorted(fns)} (capi/options.json {row['name']})")


# --- Python -------------------------------------------------------------------------


def python_surface(root: Path) -> Tuple[Dict[str, Tuple[str, str]], Dict[str, str], Dict[str, str]]:
    """(_SETTERS keyword -> (C setter, converter), Options keyword ->
    annotation, Options keyword -> its docstring entry)."""
    pkg = root / "bindings" / "python" / "src" / "libccr"
    setters: Dict[str, Tuple[str, str]] = {}
    for node in ast.walk(ast.parse((pkg / "_option_values.py").read_text())):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_SETTERS":
            assert isinstance(node.value, ast.Dict)
            for k, v in zip(node.value.keys, node.value.values):
                assert isinstance(k, ast.Constant) and isinstance(v, ast.Tuple)
                cname = v.elts[0]
                assert isinstance(cname, ast.Constant)
                setters[str(k.value)] = (str(cname.value), ast.unparse(v.elts[1]))
    annotations: Dict[str, str] = {}
    docs: Dict[str, str] = {}
    for node in ast.walk(ast.parse((pkg / "options.py").read_text())):
        if isinstance(node, ast.ClassDef) and node.name == "Options":
            doc = ast.get_docstring(node) or ""
            args = doc.split("Args:", 1)[1] if "Args:" in doc else ""
            for m in re.finditer(r"(?m)^    (\w+): (.*?)(?=^    \w+:|\Z)", args, re.S):
                docs[m.group(1)] = norm(m.group(2))
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    for a in item.args.kwonlyargs:
                        annotations[a.arg] = ast.unparse(a.annotation) if a.annotation else ""
    return setters, annotations, docs


def check_python(root: Path, rows: List[Dict[str, Any]], p: Problems) -> None:
    where = "bindings/python"
    setters, annotations, docs = python_surface(root)
    claimed: Set[str] = set()
    for row in rows:
        want = expected_tag(row["operations"])
        for i, kw in enumerate(row["python"]):
            name = kw["keyword"]
            claimed.add(name)
            if name not in annotations:
                p.add(where, f"Options has no keyword {name} (capi/options.json {row['name']})")
                continue
            if annotations[name] != kw["type"]:
                p.add(where, f"Options keyword {name} is {annotations[name]}, the table says {kw['type']}")
            if "via" in kw:
                got = setters.get(name)
                fn = row["c"][0]["fn"]
                if got is None:
                    p.add(where, f"_SETTERS has no {name}")
                elif got != (fn, kw["via"]):
                    p.add(where, f"_SETTERS[{name!r}] is {got}, the table says ({fn!r}, {kw['via']!r})")
            elif name in setters:
                p.add(where, f"_SETTERS has {name}, which the table says Options handles itself")
            tags = set(TAG_RE.findall(docs.get(name, "")))
            if i == 0 and tags != ({want} if want else set()):
                p.add(
                    where,
                    f"the Options doc of {name} says ({'/'.join(sorted(tags)) or 'no operation'}), "
                    f"the table's operations {row['operations']} say ({want or 'no operation'})",
                )
            elif i > 0 and not tags <= ({want} if want else set()):
                p.add(
                    where,
                    f"the Options doc of {name} says ({'/'.join(sorted(tags))}), the table says ({want})",
                )
    for name in sorted(set(annotations) - claimed):
        p.add(where, f"Options keyword {name} is in no row of capi/options.json")


# --- Go -------------------------------------------------------------------------------


def go_structs(text: str) -> Dict[str, Dict[str, Tuple[str, str]]]:
    """struct -> field -> (type, its doc comment and trailing comment)."""
    out: Dict[str, Dict[str, Tuple[str, str]]] = {}
    for m in re.finditer(r"(?m)^type (\w+) struct \{\n(.*?)^\}", text, re.S):
        fields: Dict[str, Tuple[str, str]] = {}
        doc: List[str] = []
        for line in m.group(2).splitlines():
            s = line.strip()
            if s.startswith("//"):
                doc.append(s[2:].strip())
                continue
            if not s:
                doc = []
                continue
            code, _, trailing = s.partition("//")
            fm = re.match(r"((?:\w+\s*,\s*)*\w+)\s+(\S.*)$", code.strip())
            if fm:
                for name in re.split(r"\s*,\s*", fm.group(1)):
                    fields[name] = (fm.group(2).strip(), norm(" ".join(doc) + " " + trailing))
            doc = []
        out[m.group(1)] = fields
    return out


def go_used(text: str) -> Set[str]:
    """Fields the apply code reads (opts.X, m.X, limits.X)."""
    return set(re.findall(r"\b(?:opts|m|limits)\.([A-Z]\w*)", text))


GO_STRUCT_FOR = {"both": "Options", "checkpoint": "CheckpointOptions", "restore": "RestoreOptions"}


def check_go(root: Path, rows: List[Dict[str, Any]], p: Problems) -> None:
    where = "bindings/go/ccr"
    gdir = root / "bindings" / "go" / "ccr"
    sources = "\n".join(f.read_text() for f in sorted(gdir.glob("*.go")) if not f.name.endswith("_test.go"))
    structs = go_structs(sources)
    used = go_used(sources)
    claimed: Set[Tuple[str, str]] = set()
    for row in rows:
        want = expected_tag(row["operations"])
        for g in row["go"]:
            struct, field = g["struct"], g["field"]
            claimed.add((struct, field))
            if want and struct in GO_STRUCT_FOR.values() and struct != GO_STRUCT_FOR[want]:
                p.add(
                    where,
                    f"{struct}.{field} ({row['c'][0]['fn']}) applies to {row['operations']}: "
                    f"it belongs in {GO_STRUCT_FOR[want]}",
                )
            got = structs.get(struct, {}).get(field)
            if got is None:
                p.add(where, f"no field {struct}.{field} (capi/options.json {row['name']})")
                continue
            typ, doc = got
            if typ != g["type"]:
                p.add(where, f"{struct}.{field} is {typ}, the table says {g['type']}")
            for c in row["c"]:
                short = c["fn"].replace("ccr_options_", "")
                if f"({short}" not in doc and f", {short}" not in doc and c["fn"] not in doc:
                    p.add(where, f"the doc of {struct}.{field} does not name its setter ({short})")
            if field not in used:
                p.add(where, f"no apply code reads {struct}.{field}")
    for struct in list(GO_STRUCT_FOR.values()) + ["ArchiveMetadata", "ImportLimits"]:
        for field in sorted(structs.get(struct, {})):
            if field != "Options" and (struct, field) not in claimed:
                p.add(where, f"field {struct}.{field} is in no row of capi/options.json")


# --- Rust ---------------------------------------------------------------------------


def rust_methods(root: Path) -> Dict[str, Tuple[str, str, str]]:
    """method -> (C setter, parameters or the macro that makes it, doc)."""
    text = (root / "bindings" / "rust" / "libccr" / "src" / "options.rs").read_text()
    out: Dict[str, Tuple[str, str, str]] = {}
    for block in re.finditer(r"(?m)^    (\w+_setters)! \{\n(.*?)^    \}", text, re.S):
        doc: List[str] = []
        for line in block.group(2).splitlines():
            s = line.strip()
            if s.startswith("///"):
                doc.append(s[3:].strip())
            elif s:
                rm = re.match(r"(\w+) => (\w+)", s)
                if rm:
                    out[rm.group(1)] = (rm.group(2), block.group(1), norm(" ".join(doc)))
                doc = []
    impl = text[text.index("impl Options {") :]
    impl = impl[: impl.index("\n}\n")]
    for m in re.finditer(
        r"((?:^    ///[^\n]*\n)*)^    pub fn (\w+)(?:<[^>]*>)?\(\s*(?:mut )?self(.*?)\) -> Options",
        impl,
        re.S | re.M,
    ):
        body = impl[m.end() : m.end() + 600]
        fn = re.search(SETTER_RE, body)
        if fn is None:
            continue
        params = ", ".join(
            part.split(":", 1)[1].strip()
            for part in re.split(r",\s*", norm(m.group(3)).lstrip(", "))
            if ":" in part
        )
        method_doc = norm(" ".join(line.strip()[3:] for line in m.group(1).splitlines()))
        out[m.group(2)] = (fn.group(0), params, method_doc)
    return out


def check_rust(root: Path, rows: List[Dict[str, Any]], p: Problems) -> None:
    where = "bindings/rust/libccr/src/options.rs"
    methods = rust_methods(root)
    claimed: Set[str] = set()
    for row in rows:
        want = expected_tag(row["operations"])
        fns = {c["fn"] for c in row["c"]}
        for i, r in enumerate(row["rust"]):
            name = r["method"]
            claimed.add(name)
            got = methods.get(name)
            if got is None:
                p.add(where, f"Options has no method {name} (capi/options.json {row['name']})")
                continue
            fn, params, doc = got
            if fn not in fns:
                p.add(where, f"Options::{name} calls {fn}, the table says {sorted(fns)}")
            if params != r["type"]:
                p.add(where, f"Options::{name} takes ({params}), the table says ({r['type']})")
            tags = set(TAG_RE.findall(doc))
            if i == 0 and tags != ({want} if want else set()):
                p.add(
                    where,
                    f"the doc of Options::{name} says ({'/'.join(sorted(tags)) or 'no operation'}), "
                    f"the table's operations {row['operations']} say ({want or 'no operation'})",
                )
            elif i > 0 and not tags <= ({want} if want else set()):
                p.add(
                    where,
                    f"the doc of Options::{name} says ({'/'.join(sorted(tags))}), the table says ({want})",
                )
    for name in sorted(set(methods) - claimed):
        p.add(where, f"Options::{name} ({methods[name][0]}) is in no row of capi/options.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--write", action="store_true", help="rewrite the generated section of docs/options.md")
    args = ap.parse_args()
    p = Problems()
    rows = load_table(args.root, p)
    check_header(args.root, rows, p)
    check_core(args.root, rows, p)
    check_docs(args.root, rows, p, args.write)
    check_python(args.root, rows, p)
    check_go(args.root, rows, p)
    check_rust(args.root, rows, p)
    for item in p.items:
        print(item, file=sys.stderr)
    if p.items:
        print(f"check_options.py: {len(p.items)} difference(s) from capi/options.json", file=sys.stderr)
        return 1
    print(
        f"check_options.py: {len(rows)} options agree across ccr.h, docs/options.md, "
        "the coverage test, Python, Go and Rust"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
