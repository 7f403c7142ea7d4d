#!/usr/bin/env python3
"""Checks of the repository's layout that no compiler makes (issue 11):

* the mobile library's dependency tree holds no HTTP, TLS, async-runtime or server crate and
  none of the backend layers;
* no published crate depends on the test PKI (or any other unpublished crate);
* inside every crate, the modules depend on each other without a circle (`crate::` paths,
  root re-exports resolved to the module that defines the item);
* a Rust file past 600 lines says why in its opening comment (the words "600 lines");
* no public type name is defined twice across the core crates;
* no tracked file reads anything beside the clone.

Prints one line per check and "N passed, N failed" last; exits 1 on any failure.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(ROOT)

passed = 0
failed = 0


def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def cargo(*args):
    return subprocess.run(["cargo", *args], check=True, capture_output=True, text=True).stdout


# ---- 1. the mobile library's dependency tree --------------------------------------------------
FORBIDDEN = {"reqwest", "rustls", "tokio", "axum", "hyper", "hyper-util", "redis", "tower",
             "h2", "sidkit-client", "sidkit-backend", "sidkit-testpki", "sidkit-verify",
             "sidkit-simulator", "openssl", "native-tls", "ring", "webpki-roots"}
tree = cargo("tree", "-p", "sidkit-mobile", "-e", "normal", "--all-features", "--prefix", "none")
names = {line.split()[0] for line in tree.splitlines() if line.strip()}
bad = sorted(names & FORBIDDEN)
report(not bad and "sidkit-app" in names, "sidkit-mobile has no HTTP/TLS/runtime/server/backend crate",
       f"found {bad}" if bad else "sidkit-app missing from the tree?")

# ---- 2. published crates and unpublished dependencies -----------------------------------------
meta = json.loads(cargo("metadata", "--format-version", "1", "--no-deps"))
unpublished = {p["name"] for p in meta["packages"] if p.get("publish") == []}
problems = []
for p in meta["packages"]:
    if p.get("publish") == []:
        continue
    for d in p["dependencies"]:
        if d["name"] in unpublished and d.get("kind") in (None, "build"):
            problems.append(f'{p["name"]} -> {d["name"]}')
        if d["name"] in unpublished and d.get("kind") == "dev" and d.get("req") not in ("*", None):
            problems.append(f'{p["name"]} -dev-> {d["name"]} with a version (would be published)')
report("sidkit-testpki" in unpublished and not problems,
       "no published crate depends on an unpublished one (sidkit-testpki)", "; ".join(problems))

# ---- 3. module graphs without circles ---------------------------------------------------------
def strip_comments(text):
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("//"):
            continue
        out.append(line.split("//")[0] if "://" not in line else line)
    return "\n".join(out)


def crate_modules(root_file):
    """The modules of the crate rooted at `root_file`, following its `mod x;` declarations:
    module path ('' = root) -> file text."""
    mods = {}

    def load(path, modpath, is_dir_owner):
        text = open(path, encoding="utf-8").read()
        mods[modpath] = text
        base = os.path.dirname(path) if is_dir_owner else os.path.splitext(path)[0]
        for m in re.finditer(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_][a-z_0-9]*)\s*;", text, re.M):
            name = m.group(1)
            child = modpath + "::" + name if modpath else name
            flat, nested = os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")
            if os.path.exists(flat):
                load(flat, child, False)
            elif os.path.exists(nested):
                load(nested, child, True)

    load(root_file, "", True)
    return mods


def root_reexports(root_text, mods):
    """name -> module for `pub use module::{A, B}` / `pub use module::A` in the crate root."""
    out = {}
    for m in re.finditer(r"pub use ([a-z_][a-z_0-9:]*)::\{([^}]*)\}", root_text):
        for name in re.split(r"[,\s]+", m.group(2)):
            name = name.split(" as ")[-1].strip()
            if name:
                out[name] = m.group(1)
    for m in re.finditer(r"pub use ([a-z_][a-z_0-9:]*)::([A-Za-z_][A-Za-z_0-9]*);", root_text):
        out[m.group(2)] = m.group(1)
    return {k: v for k, v in out.items() if v in mods}


def resolve(path, mods, reexports):
    parts = path.split("::")
    for n in range(len(parts), 0, -1):
        cand = "::".join(parts[:n])
        if cand in mods:
            return cand
    if parts and parts[0] in reexports:
        return reexports[parts[0]]
    return ""  # the root itself


def cycles_of(root_file):
    mods = crate_modules(root_file)
    root = mods.get("", "")
    reexp = root_reexports(root, mods)
    edges = {m: set() for m in mods}
    for m, text in mods.items():
        code = strip_comments(text)
        refs = re.findall(r"\bcrate::((?:[A-Za-z_][A-Za-z_0-9]*)(?:::[A-Za-z_][A-Za-z_0-9]*)*)", code)
        # `use crate::{a::X, b}` groups
        for g in re.findall(r"\bcrate::\{([^}]*)\}", code):
            refs += [x.strip() for x in g.split(",") if x.strip()]
        if m == "":
            children = {k for k in mods if k and "::" not in k}
            for line in code.splitlines():
                s = line.strip()
                if s.startswith(("pub use", "mod ", "pub mod ", "pub(crate) mod ", "#")):
                    continue
                refs += [c for c in children if re.search(rf"(?<![:\w]){c}::", line)]
        for r in refs:
            t = resolve(r, mods, reexp)
            if t != m and not m.startswith(t + "::") if t else t != m:
                edges[m].add(t)
    # Tarjan-free: DFS for a back edge.
    state, stack, found = {}, [], []

    def dfs(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(edges.get(u, ())):
            if v not in edges:
                continue
            if state.get(v) == 1:
                found.append(stack[stack.index(v):] + [v])
            elif v not in state:
                dfs(v)
        stack.pop()
        state[u] = 2

    for u in sorted(edges):
        if u not in state:
            dfs(u)
    return found


roots = []
for base in ("core", "tools"):
    for d in sorted(os.listdir(base)):
        for r in ("lib.rs", "main.rs"):
            f = os.path.join(base, d, "src", r)
            if os.path.exists(f):
                roots.append(f)
roots.append("bindings/src/lib.rs")
for root_file in roots:
    cyc = cycles_of(root_file)
    pretty = [" -> ".join(c or "<root>" for c in cy) for cy in cyc[:3]]
    report(not cyc, f"{root_file}: no import circle", "; ".join(pretty))

# ---- 4. long files say why ---------------------------------------------------------------------
tracked = subprocess.run(["git", "ls-files"], check=True, capture_output=True, text=True).stdout.split()
unexplained = []
for f in tracked:
    if not f.endswith(".rs") or not os.path.exists(f):
        continue
    lines = open(f, encoding="utf-8").read().splitlines()
    if len(lines) > 600 and not any("600 lines" in l for l in lines[:40] if l.lstrip().startswith("//")):
        unexplained.append(f"{f} ({len(lines)})")
report(not unexplained, "every Rust file past 600 lines says why in its opening comment",
       ", ".join(unexplained))

# ---- 5. no public type name twice across the Rust-facing crates ------------------------------
# (the FFI crate's records mirror the contract for UniFFI and have no Rust users: excluded;
# each layer's `Result` alias is a `type`, not counted)
seen = {}
dups = []
for root_file in roots:
    if not root_file.startswith("core/") or not root_file.endswith("lib.rs"):
        continue
    for mod, text in crate_modules(root_file).items():
        for m in re.finditer(r"^\s*pub (?:struct|enum|trait) ([A-Z][A-Za-z0-9]*)", strip_comments(text), re.M):
            where = f"{root_file.split('/')[1]}::{mod or '<root>'}"
            if m.group(1) in seen and seen[m.group(1)] != where:
                dups.append(f"{m.group(1)} ({seen[m.group(1)]}, {where})")
            seen.setdefault(m.group(1), where)
report(not dups, "no public type name is defined twice across the core crates", ", ".join(dups))

# ---- 6. the clone is self-sufficient -----------------------------------------------------------
needle = ".." + "/shared"
outside = []
for f in tracked:
    if not os.path.isfile(f) or os.path.islink(f):
        continue
    try:
        text = open(f, encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        continue
    if needle in text:
        outside.append(f)
report(not outside, f"no tracked file refers to {needle}", ", ".join(outside))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
