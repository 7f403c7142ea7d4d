"""Checks of the Swift side of the mobile bindings, for machines without a Swift compiler.

usage: check.py GENERATED_SWIFT_DIR LIBRARY_DIR SWIFT_FILE...

Each check prints "ok   <name>" or "FAIL <name>: <why>"; the last line is "N passed, N failed".

1. Syntax: the generated Swift, Package.swift and the hand-written tests parse with
   tree-sitter-swift without ERROR or MISSING nodes. Two constructs UniFFI 0.32 emits that real
   swiftc accepts but tree-sitter-swift 0.7.4 does not know are rewritten in memory first
   (`@_documentation(visibility: private)` and `= { () }`); line numbers stay the same.
2. Signatures: every call in the hand-written tests to a function, initializer or enum case that
   the generated Swift declares uses argument labels that match a declaration (parameters with
   default values may be left out). Syntax alone would accept a misspelt label.
3. Secrets: the generated Swift and C header never mention sessionSecret, rpChallenge or
   initialCallbackUrl (in any case or spelling with underscores).
4. The C header compiles (gcc, C11, -Wall -Werror; clang's nullability qualifiers are defined
   away because gcc does not know them), and a C program that includes it calls the library's
   `sidkit_version` through the raw FFI, links against libsidkit, runs, and prints the version.
5. Symbols: every function the header declares is exported by the cdylib and defined in the
   staticlib (what an iOS XCFramework links).
"""
import os
import re
import subprocess
import sys
import tempfile

import tree_sitter_swift as tss
from tree_sitter import Language, Parser

PARSER = Parser(Language(tss.language()))
KNOWN_GRAMMAR_GAPS = [
    (re.compile(rb"@_documentation\(visibility:\s*private\)"), b""),
    (re.compile(rb"=\s*\{\s*\(\)\s*\}"), b"= { _ in }"),
]
FORBIDDEN = ["sessionsecret", "session_secret", "rpchallenge", "rp_challenge",
             "initialcallbackurl", "initial_callback_url"]

results = []


def check(name, fn):
    try:
        problems = fn()
    except Exception as e:  # a crash of a check is a failure of that check
        problems = [f"{type(e).__name__}: {e}"]
    if problems:
        print(f"FAIL {name}:")
        for p in problems[:40]:
            print(f"     {p}")
        results.append(False)
    else:
        print(f"ok   {name}")
        results.append(True)


def parse(path):
    src = open(path, "rb").read()
    for pat, rep in KNOWN_GRAMMAR_GAPS:
        src = pat.sub(rep, src)
    return src, PARSER.parse(src)


def syntax_problems(path):
    src, tree = parse(path)
    bad, stack = [], [tree.root_node]
    while stack:
        n = stack.pop()
        if n.is_error or n.is_missing:
            bad.append(n)
        elif n.has_error:
            stack.extend(n.children)
    lines = src.splitlines()
    out = []
    for n in sorted(bad, key=lambda n: n.start_point):
        kind = f"MISSING {n.type}" if n.is_missing else "ERROR"
        text = lines[n.start_point[0]].decode(errors="replace").strip()[:100]
        out.append(f"{path}:{n.start_point[0] + 1}:{n.start_point[1] + 1}: {kind}: {text}")
    if len(lines) < 10:
        out.append(f"{path}: suspiciously short ({len(lines)} lines)")
    return out


def walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text(n):
    return n.text.decode()


def params_of(decl):
    """(labels, has_default) of a function or init declaration."""
    labels, defaults = [], []
    children = decl.children
    for i, c in enumerate(children):
        if c.type == "parameter":
            ids = [x for x in c.children if x.type == "simple_identifier"]
            label = text(ids[0]) if ids else "_"
            if c.children and c.children[0].type == "_":
                label = "_"
            labels.append(label)
            nxt = children[i + 1] if i + 1 < len(children) else None
            defaults.append(nxt is not None and nxt.type == "=")
    return labels, defaults


def declarations(paths):
    funcs, inits, cases = {}, {}, {}
    for path in paths:
        _, tree = parse(path)
        for n in walk(tree.root_node):
            if n.type == "function_declaration":
                name = next((text(c) for c in n.children if c.type == "simple_identifier"), None)
                if name:
                    funcs.setdefault(name, []).append(params_of(n))
            elif n.type == "init_declaration":
                owner = n.parent.parent if n.parent is not None else None
                tname = next((text(c) for c in owner.children if c.type == "type_identifier"), None) if owner else None
                if tname:
                    inits.setdefault(tname, []).append(params_of(n))
            elif n.type == "enum_entry":
                ids = [c for c in n.children if c.type == "simple_identifier"]
                params = next((c for c in n.children if c.type == "enum_type_parameters"), None)
                labels = []
                if params is not None:
                    for c in params.children:
                        if c.type == "simple_identifier":
                            labels.append(text(c))
                for i in ids:
                    cases.setdefault(text(i), []).append((labels, [False] * len(labels)))
    return funcs, inits, cases


def fits(call_labels, signature):
    labels, defaults = signature
    i = 0
    for want, has_default in zip(labels, defaults):
        if i < len(call_labels) and call_labels[i] == (None if want == "_" else want):
            i += 1
        elif not has_default:
            return False
    return i == len(call_labels)


def signature_problems(generated, test_files):
    g_funcs, g_inits, g_cases = declarations([generated])
    t_funcs, t_inits, t_cases = declarations(test_files)
    problems, checked = [], 0
    for path in test_files:
        _, tree = parse(path)
        for n in walk(tree.root_node):
            if n.type != "call_expression" or not n.children:
                continue
            callee, suffix = n.children[0], n.children[-1]
            if suffix.type != "call_suffix":
                continue
            args = next((c for c in suffix.children if c.type == "value_arguments"), None)
            if args is None:
                continue  # trailing closure only
            labels = []
            for a in args.children:
                if a.type == "value_argument":
                    lab = next((c for c in a.children if c.type == "value_argument_label"), None)
                    labels.append(text(lab) if lab is not None else None)
            if callee.type == "simple_identifier":
                name, kind = text(callee), "call"
            elif callee.type == "navigation_expression":
                name, kind = text(callee.children[-1].children[-1]), "member"
            elif callee.type == "prefix_expression" and text(callee).startswith("."):
                name, kind = text(callee)[1:], "case"
            else:
                continue
            if name in g_inits and kind == "call":
                sigs = g_inits[name] + t_inits.get(name, [])
            elif name in g_cases and kind in ("case", "member") and name not in g_funcs:
                sigs = g_cases[name] + t_cases.get(name, [])
            elif name in g_funcs and name not in ("init",):
                sigs = g_funcs[name] + t_funcs.get(name, [])
            else:
                continue
            checked += 1
            if not any(fits(labels, s) for s in sigs):
                want = " | ".join("(" + ", ".join(f"{l}:" for l in s[0]) + ")" for s in sigs[:4])
                got = "(" + ", ".join(f"{l}:" if l else "_" for l in labels) + ")"
                problems.append(f"{path}:{n.start_point[0] + 1}: {name}{got} matches no declaration {want}")
    if checked < 40:
        problems.append(f"only {checked} calls to the generated API were found; the check is not looking")
    return problems


def forbidden_problems(files):
    out = []
    for f in files:
        low = open(f, encoding="utf-8").read().lower()
        for w in FORBIDDEN:
            if w in low:
                out.append(f"{f} mentions {w}")
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def header_problems(gen_dir, lib_dir):
    with tempfile.TemporaryDirectory() as tmp:
        c = os.path.join(tmp, "main.c")
        with open(c, "w") as fh:
            fh.write(r'''
#include <stdio.h>
#include <string.h>
#include "SidKitFFI.h"
int main(void) {
    RustCallStatus status;
    memset(&status, 0, sizeof status);
    RustBuffer v = uniffi_sidkit_fn_func_sidkit_version(&status);
    if (status.code != 0) { fprintf(stderr, "call failed: %d\n", status.code); return 1; }
    printf("%.*s\n", (int)v.len, (const char *)v.data);
    ffi_sidkit_rustbuffer_free(v, &status);
    return status.code;
}
''')
        exe = os.path.join(tmp, "main")
        cc = run(["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_Nonnull=", "-D_Nullable=",
                  "-I", gen_dir, c, "-L", lib_dir, "-lsidkit", "-o", exe])
        if cc.returncode != 0:
            return ["gcc: " + line for line in cc.stderr.splitlines()[:20]]
        r = run([exe], env=dict(os.environ, LD_LIBRARY_PATH=lib_dir))
        version = r.stdout.strip()
        if r.returncode != 0 or not re.fullmatch(r"\d+\.\d+\.\d+", version):
            return [f"the C program failed: rc={r.returncode} out={r.stdout!r} err={r.stderr!r}"]
        print(f"     sidkit_version() through the C ABI: {version}")
    return []


def symbol_problems(gen_dir, lib_dir):
    header = open(os.path.join(gen_dir, "SidKitFFI.h"), encoding="utf-8").read()
    declared = set(re.findall(r"\b((?:uniffi|ffi)_sidkit_[A-Za-z0-9_]+)\s*\(", header))
    if len(declared) < 50:
        return [f"only {len(declared)} functions found in the header"]
    out = []
    so = run(["nm", "-D", "--defined-only", os.path.join(lib_dir, "libsidkit.so")])
    exported = {l.split()[-1] for l in so.stdout.splitlines() if l.strip()}
    missing = sorted(declared - exported)
    out += [f"not exported by libsidkit.so: {m}" for m in missing]
    a = run(["nm", "--defined-only", os.path.join(lib_dir, "libsidkit.a")])
    defined = {l.split()[-1] for l in a.stdout.splitlines() if l.strip() and l.split()[-2:-1] == ["T"]}
    out += [f"not defined in libsidkit.a: {m}" for m in sorted(declared - defined)]
    if not out:
        print(f"     {len(declared)} FFI functions declared, all exported by libsidkit.so and defined in libsidkit.a")
    return out


def main():
    gen_dir, lib_dir, swift_files = sys.argv[1], sys.argv[2], sys.argv[3:]
    generated = os.path.join(gen_dir, "SidKit.swift")
    tests = [f for f in swift_files if "/Tests/" in f]
    for f in [generated] + swift_files:
        check(f"tree-sitter-swift parses {os.path.relpath(f)}", lambda f=f: syntax_problems(f))
    check("the Swift tests call the generated API with its argument labels",
          lambda: signature_problems(generated, tests))
    check("generated Swift and C header hold no backend secrets",
          lambda: forbidden_problems([generated, os.path.join(gen_dir, "SidKitFFI.h")]))
    check("the C header compiles and a C program calls libsidkit through it",
          lambda: header_problems(gen_dir, lib_dir))
    check("every header function is exported by the cdylib and the staticlib",
          lambda: symbol_problems(gen_dir, lib_dir))
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
