"""One API on both platforms: docs/platform-api.md's side-by-side table against both wrappers.

usage: platform_parity.py            (prints "ok/FAIL <check>" lines and "N passed, N failed")
       imported by tests/ios/ios_check.py, which runs checks() and self_test_problems()

Per platform (each a check of its own, so a failure says which side is behind):

1. Kotlin names: every name of the table's Kotlin column is declared in
   android/sidkit/src/main/kotlin. Declarations are found by a brace-aware scan of the Kotlin
   sources (comments and string literals removed first): `class`, `object`, `interface`, `fun`,
   `val`, `var` (with any modifiers: `data`, `sealed`, `enum`, ...) and primary-constructor
   `val`/`var`s. `A.B` means a declaration `B` directly inside the body of `A` (or `A`'s primary
   constructor); a bare name may be declared anywhere.
2. Kotlin members: every public member of SmartIdFlowCoordinator, SmartIdFlowState and
   SmartIdException (declared directly in their bodies or primary constructors; not private,
   internal or protected; constructors, `init` blocks, companion objects and `override`s of
   Kotlin/Java supertypes such as toString/equals/hashCode/message excluded) is a name in the
   table's Kotlin column.
3. Swift names: every name of the Swift column is declared in ios/Sources/SidKitCore or
   ios/Sources/SidKitUI, found with tree-sitter-swift (as tests/ios/ios_check.py does): class,
   struct, enum, protocol, typealias, func, var, let and enum cases; `A.b` means a member `b` of
   type `A` (its body or an extension of it).
4. Swift members: every public member of SmartIdFlowCoordinator, SmartIdFlowState and
   SmartIdError (enum cases included; initializers and the witnesses of standard protocols such
   as errorDescription/description/hash(into:)/== excluded) is a name in the Swift column.
5. The table itself: it is there, has the three columns and enough rows.

Self-tests: a table row with made-up names is reported on both sides, an undocumented public
Swift member is reported, and the Kotlin scanner reads a known snippet (sealed class with nested
objects, primary-constructor vals, a companion object, private and override members) right.
"""
import glob
import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(ROOT, "docs", "platform-api.md")
# SIDKIT_KOTLIN_DIR: check another checkout's Kotlin sources (e.g. a branch not merged yet).
KOTLIN_DIR = os.environ.get("SIDKIT_KOTLIN_DIR") or os.path.join(ROOT, "android", "sidkit", "src", "main", "kotlin")
SWIFT_DIRS = [os.path.join(ROOT, "ios", "Sources", "SidKitCore"), os.path.join(ROOT, "ios", "Sources", "SidKitUI")]

KOTLIN_TYPES = ["SmartIdFlowCoordinator", "SmartIdFlowState", "SmartIdException"]
SWIFT_TYPES = ["SmartIdFlowCoordinator", "SmartIdFlowState", "SmartIdError"]
# Members that implement a standard protocol of the platform, not the product's API.
SWIFT_STANDARD_WITNESSES = {"errorDescription", "failureReason", "recoverySuggestion", "helpAnchor",
                            "description", "debugDescription", "hash", "hashValue", "=="}
KOTLIN_EXCLUDED = {"toString", "equals", "hashCode", "constructor", "init"}


def rel(path):
    return os.path.relpath(path, ROOT)


# ---------------------------------------------------------------------------------------------
# the table

def table_rows(text):
    """[(concept, kotlin, swift)] of the table under '## Side by side'."""
    start = text.find("## Side by side")
    if start < 0:
        return []
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or set(cells[1]) <= {"-", " ", ":"} or cells[0] == "Concept":
            continue
        kotlin, swift = (c.strip("`").strip() for c in cells[1:])
        rows.append((cells[0], kotlin, swift))
    return rows


def table_problems(rows):
    if len(rows) < 40:
        return [f"only {len(rows)} rows found under '## Side by side' in {rel(DOC)}; the check is not looking"]
    bad = [r for r in rows if not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)?", r[1])
           or not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)?", r[2])]
    return [f"row {r[0]!r}: names must be `Name` or `Type.Name`: {r[1]!r} / {r[2]!r}" for r in bad]


# ---------------------------------------------------------------------------------------------
# Kotlin: a brace-aware declaration scan

KT_MODIFIERS = (r"(?:(?:public|private|internal|protected|override|open|abstract|sealed|data|inline|value|enum|"
                r"annotation|companion|inner|suspend|operator|infix|tailrec|external|const|lateinit|actual|expect|"
                r"final|fun(?=\s+interface))\s+)*")
KT_DECL = re.compile(r"\b(?P<mods>" + KT_MODIFIERS + r")(?P<kind>class|object|interface|fun|val|var)\b"
                     r"(?P<rest>[^\S\n]*(?:<[^<>]*(?:<[^<>]*>[^<>]*)*>\s*)?(?:(?P<recv>[A-Za-z_][\w.]*(?:<[^<>]*>)?\??)\.)?"
                     r"(?P<name>`[^`]+`|[A-Za-z_]\w*)?)")
KT_PRIVATE = re.compile(r"\b(private|internal|protected)\b")


def strip_kotlin(text):
    """The text with comments and string/char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j - 1]) + '"')
            i = j
        elif text[i] == '"' or text[i] == "'":
            q, j = text[i], i + 1
            while j < n and text[j] != q and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(q + " " * max(0, j - i - 2) + q)
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _skip_parens(text, i):
    """Index after the balanced (...) starting at text[i] == '('."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


class KotlinIndex:
    """Declared names of Kotlin sources: `names` (everywhere), `members[type]` (direct members,
    with whether each is public API), `types` (top-level and nested type names)."""

    def __init__(self, sources):
        self.names = set()
        self.members = {}        # owner -> {name: public?}
        self.types = set()
        for src in sources:
            self._scan(strip_kotlin(src))

    def _add_member(self, owner, name, public):
        if owner is None:
            return
        current = self.members.setdefault(owner, {})
        current[name] = current.get(name, False) or public

    def _scan(self, text):
        # scopes: a stack of (owner name or None, is a type body)
        scopes = [(None, True)]
        pending_body = None      # the type whose body the next '{' opens
        i, n = 0, len(text)
        decls = {m.start(): m for m in KT_DECL.finditer(text)}
        while i < n:
            c = text[i]
            if i in decls:
                m = decls[i]
                kind, name, mods = m.group("kind"), m.group("name"), m.group("mods") or ""
                owner, in_type_body = scopes[-1]
                if name:
                    name = name.strip("`")
                public = not KT_PRIVATE.search(mods) and "override" not in mods
                if kind in ("class", "object", "interface"):
                    if "companion" in mods and (name is None or name in ("", )):
                        name = None
                    j = m.end()
                    if name:
                        self.names.add(name)
                        self.types.add(name)
                        if in_type_body:
                            self._add_member(owner, name, public)
                    # primary constructor
                    k = j
                    while k < n and text[k] in " \t":
                        k += 1
                    if k < n and text[k] == "<":
                        depth = 0
                        while k < n:
                            depth += text[k] == "<"
                            depth -= text[k] == ">"
                            k += 1
                            if depth == 0:
                                break
                    rest = text[k:k + 200]
                    ctor = re.match(r"\s*(?:(?:private|internal|protected|public)\s+)?(?:@\w+\s+)*(?:constructor\s*)?\(", rest)
                    after = j
                    if ctor:
                        start = k + ctor.end() - 1
                        end = _skip_parens(text, start)
                        for p in re.finditer(r"(?P<mods>(?:(?:private|internal|protected|public|override|open)\s+)*)(?:val|var)\s+(?P<name>\w+)",
                                             text[start:end]):
                            if name:
                                self.names.add(p.group("name"))
                                self._add_member(name, p.group("name"),
                                                 not KT_PRIVATE.search(p.group("mods")) and "override" not in p.group("mods"))
                        k = end
                        after = end
                    # body: the next '{' before any terminator at this level
                    depth = 0
                    body_at = None
                    while k < n:
                        ch = text[k]
                        if ch == "(":
                            k = _skip_parens(text, k)
                            continue
                        if ch == "{":
                            body_at = k
                            break
                        if ch in "};=" or (ch == "\n" and re.match(r"\s*(\}|" + KT_MODIFIERS + r"(class|object|interface|fun|val|var)\b|@|$)", text[k + 1:k + 120])
                                           and not re.match(r"\s*[:,]", text[k + 1:k + 40]) and not text[:k].rstrip().endswith((":", ","))):
                            break
                        k += 1
                    if body_at is not None:
                        pending_body = (body_at, name if name else "<anonymous>", "companion" in mods)
                    i = after
                    continue
                if name and kind in ("fun", "val", "var"):
                    if m.group("recv"):
                        recv = m.group("recv").split("<")[0].rstrip("?").split(".")[-1]
                        self.names.add(name)
                        self.members.setdefault("<extension:" + recv + ">", {})[name] = public
                    else:
                        if in_type_body:
                            self.names.add(name)
                            self._add_member(owner, name, public)
                        elif owner is None and len(scopes) == 1:
                            self.names.add(name)
                i = m.end()
                continue
            if c == "{":
                if pending_body is not None and pending_body[0] == i:
                    _, owner, companion = pending_body
                    scopes.append(("<companion>" if companion else owner, True))
                    pending_body = None
                else:
                    scopes.append((None, False))
            elif c == "}":
                if len(scopes) > 1:
                    scopes.pop()
            i += 1

    def has(self, dotted):
        if "." in dotted:
            owner, name = dotted.split(".", 1)
            return name in self.members.get(owner, {})
        return dotted in self.names

    def public_members(self, owner):
        return sorted(n for n, pub in self.members.get(owner, {}).items() if pub and n not in KOTLIN_EXCLUDED)


def kotlin_sources():
    paths = sorted(glob.glob(os.path.join(KOTLIN_DIR, "**", "*.kt"), recursive=True))
    return [open(p, encoding="utf-8").read() for p in paths]


# ---------------------------------------------------------------------------------------------
# Swift: tree-sitter-swift

_swiftcheck = None


def swiftcheck():
    global _swiftcheck
    if _swiftcheck is None:
        spec = importlib.util.spec_from_file_location("swift_check", os.path.join(ROOT, "tests", "swift", "check.py"))
        _swiftcheck = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_swiftcheck)
    return _swiftcheck


def _txt(n):
    return n.text.decode()


def _is_public(decl):
    mods = next((c for c in decl.children if c.type == "modifiers"), None)
    return mods is not None and re.search(r"\b(public|open)\b", _txt(mods)) is not None


def _decl_name(decl):
    for c in decl.children:
        if c.type in ("type_identifier", "simple_identifier"):
            return _txt(c)
        if c.type == "user_type":  # extension X
            return _txt(c).split("<")[0].split(".")[-1]
    return None


def _property_name(decl):
    stack = [decl]
    while stack:
        p = stack.pop()
        if p.type == "pattern":
            ident = next((x for x in p.children if x.type == "simple_identifier"), None)
            return _txt(ident) if ident is not None else None
        stack.extend(reversed(p.children))
    return None


BODIES = ("class_body", "enum_class_body", "protocol_body")
TYPE_DECLS = ("class_declaration", "protocol_declaration", "typealias_declaration")


class SwiftIndex:
    """Declared names of Swift sources: `names` (everywhere), `members[type]` ({name: public?},
    merged over the type's body and its extensions)."""

    def __init__(self, sources):
        self.names = set()
        self.members = {}
        sc = swiftcheck()
        for src in sources:
            for pat, rep in sc.KNOWN_GRAMMAR_GAPS:
                src = pat.sub(rep, src)
            tree = sc.PARSER.parse(src)
            self._scan_level(tree.root_node, None)

    def _scan_level(self, node, owner):
        for c in node.children:
            t = c.type
            if t in TYPE_DECLS:
                name = _decl_name(c)
                if name is None:
                    continue
                is_ext = bool(c.children) and c.children[0].type == "extension"
                if not is_ext:
                    self.names.add(name)
                    if owner is not None:
                        self._add(owner, name, _is_public(c))
                body = next((x for x in c.children if x.type in BODIES), None)
                if body is not None:
                    self._scan_level(body, name)
            elif t in ("function_declaration", "protocol_function_declaration"):
                name = _decl_name(c)
                if name:
                    self.names.add(name)
                    if owner is not None:
                        self._add(owner, name, _is_public(c) or t == "protocol_function_declaration")
            elif t in ("property_declaration", "protocol_property_declaration"):
                name = _property_name(c)
                if name:
                    self.names.add(name)
                    if owner is not None:
                        self._add(owner, name, _is_public(c) or t == "protocol_property_declaration")
            elif t == "enum_entry":
                for ident in (x for x in c.children if x.type == "simple_identifier"):
                    name = _txt(ident).strip("`")
                    self.names.add(name)
                    if owner is not None:
                        self._add(owner, name, True)  # a case is as visible as its enum
            elif t in ("statements", "directive", "source_file"):
                self._scan_level(c, owner)

    def _add(self, owner, name, public):
        current = self.members.setdefault(owner, {})
        current[name] = current.get(name, False) or public

    def has(self, dotted):
        if "." in dotted:
            owner, name = dotted.split(".", 1)
            return name in self.members.get(owner, {})
        return dotted in self.names

    def public_members(self, owner):
        return sorted(n for n, pub in self.members.get(owner, {}).items()
                      if pub and n not in SWIFT_STANDARD_WITNESSES and n != "init")


def swift_sources():
    paths = []
    for d in SWIFT_DIRS:
        paths += sorted(glob.glob(os.path.join(d, "**", "*.swift"), recursive=True))
    return [open(p, "rb").read() for p in paths]


# ---------------------------------------------------------------------------------------------
# the checks

def names_problems(rows, column, index, where):
    """Table names of `column` (1 Kotlin, 2 Swift) that `index` does not declare."""
    missing = [f"{r[column]} ({r[0]})" for r in rows if not index.has(r[column])]
    return [f"not declared in {where}: {m}" for m in missing]


def table_names(rows, column):
    out = set()
    for r in rows:
        name = r[column]
        out.add(name)
        out.add(name.split(".")[-1])
    return out


def members_problems(rows, column, index, types, where):
    listed = table_names(rows, column)
    out = []
    for t in types:
        if t not in index.members and not index.has(t):
            out.append(f"{t} is not declared in {where}")
            continue
        for m in index.public_members(t):
            if m not in listed and f"{t}.{m}" not in listed:
                out.append(f"public member {t}.{m} is not in the table of {rel(DOC)}")
    return out


def checks(doc_text=None, kotlin=None, swift=None):
    """[(name, fn)] for ios_check.py's check(); the arguments replace the real inputs (self-tests)."""
    state = {}

    def rows():
        if "rows" not in state:
            state["rows"] = table_rows(doc_text if doc_text is not None else open(DOC, encoding="utf-8").read())
        return state["rows"]

    def kt():
        if "kt" not in state:
            state["kt"] = kotlin if kotlin is not None else KotlinIndex(kotlin_sources())
        return state["kt"]

    def sw():
        if "sw" not in state:
            state["sw"] = swift if swift is not None else SwiftIndex(swift_sources())
        return state["sw"]

    kt_where = rel(KOTLIN_DIR)
    sw_where = "ios/Sources/SidKitCore, ios/Sources/SidKitUI"
    return [
        (f"platform parity: the side-by-side table of {rel(DOC)}", lambda: table_problems(rows())),
        ("platform parity (Swift): every Swift name of the table is declared",
         lambda: names_problems(rows(), 2, sw(), sw_where)),
        ("platform parity (Swift): every public member of SmartIdFlowCoordinator, SmartIdFlowState, SmartIdError is in the table",
         lambda: members_problems(rows(), 2, sw(), SWIFT_TYPES, sw_where)),
        ("platform parity (Kotlin): every Kotlin name of the table is declared",
         lambda: names_problems(rows(), 1, kt(), kt_where)),
        ("platform parity (Kotlin): every public member of SmartIdFlowCoordinator, SmartIdFlowState, SmartIdException is in the table",
         lambda: members_problems(rows(), 1, kt(), KOTLIN_TYPES, kt_where)),
    ]


KOTLIN_SNIPPET = '''
package dev.sidkit.android

/** A doc comment naming class Fake { fun notReal() } */
sealed class SmartIdFlowState {
    data object Idle : SmartIdFlowState()
    data class AwaitingReturn(val deviceLink: String, val launched: Boolean) : SmartIdFlowState()
    class Failed(val error: SmartIdException) : SmartIdFlowState() {
        override fun toString(): String = "Failed(${error.code})"
    }
    val isTerminal: Boolean
        get() = this is Failed
    private fun helper() { val local = "}" }
    companion object {
        const val VERSION = 1
    }
}

class SmartIdFlowCoordinator(
    private val client: Any,
    val qrPollInterval: Long = 1,
) : AutoCloseable {
    suspend fun awaitOutcome(): Any = TODO()
    internal fun secret() {}
    override fun close() {}
}

fun SmartIdFlowCoordinator.handle(intent: Any): Boolean = true
'''


def self_test_problems():
    out = []
    doc = open(DOC, encoding="utf-8").read()
    # a made-up row is reported on both sides
    fake_row = "| a made-up concept | `madeUpKotlinName` | `madeUpSwiftName` |\n"
    anchor = "| coordinator | `SmartIdFlowCoordinator` | `SmartIdFlowCoordinator` |\n"
    if anchor not in doc:
        return [f"self-test: the coordinator row is not in {rel(DOC)}; update the self-test"]
    kt_snippet = KotlinIndex([KOTLIN_SNIPPET])
    sw = SwiftIndex(swift_sources())
    broken = doc.replace(anchor, anchor + fake_row + "| a made-up member | `SmartIdFlowState.Bogus` | `SmartIdFlowState.bogus` |\n", 1)
    results = {name: fn() for name, fn in checks(broken, kt_snippet, sw)}
    swift_names = next(v for k, v in results.items() if "(Swift): every Swift name" in k)
    kotlin_names = next(v for k, v in results.items() if "(Kotlin): every Kotlin name" in k)
    for needle, problems, side in [("madeUpSwiftName", swift_names, "Swift"), ("SmartIdFlowState.bogus", swift_names, "Swift"),
                                   ("madeUpKotlinName", kotlin_names, "Kotlin"), ("SmartIdFlowState.Bogus", kotlin_names, "Kotlin")]:
        if not any(needle in p for p in problems):
            out.append(f"self-test: the made-up {side} name {needle} was not reported")
    # an undocumented public Swift member is reported
    extra = SwiftIndex(swift_sources() + [b"extension SmartIdFlowCoordinator {\n    /// x\n    public func undocumentedExtra() {}\n}\n"])
    problems = members_problems(table_rows(doc), 2, extra, SWIFT_TYPES, "test")
    if not any("SmartIdFlowCoordinator.undocumentedExtra" in p for p in problems):
        out.append("self-test: a public Swift member missing from the table was not reported")
    # the Kotlin scanner reads the snippet right
    want = {"SmartIdFlowState": ["AwaitingReturn", "Failed", "Idle", "isTerminal"],
            "SmartIdFlowCoordinator": ["awaitOutcome", "qrPollInterval"],
            "AwaitingReturn": ["deviceLink", "launched"]}
    for owner, names in want.items():
        got = kt_snippet.public_members(owner)
        if got != names:
            out.append(f"self-test: Kotlin public members of {owner} read as {got}, not {names}")
    for name in ["Fake", "notReal", "local", "VERSION"]:
        if kt_snippet.has(name) and name not in ("VERSION",):
            out.append(f"self-test: the Kotlin scanner took {name!r} (a comment or a local) as a declaration")
    if "VERSION" in kt_snippet.public_members("SmartIdFlowState"):
        out.append("self-test: a companion constant counted as a member")
    if not kt_snippet.has("handle") or kt_snippet.has("SmartIdFlowState.helper") is False:
        out.append("self-test: the Kotlin scanner missed an extension function or a private member")
    if "helper" in kt_snippet.public_members("SmartIdFlowState") or "secret" in kt_snippet.public_members("SmartIdFlowCoordinator"):
        out.append("self-test: a private or internal Kotlin member counted as public")
    if "close" in kt_snippet.public_members("SmartIdFlowCoordinator"):
        out.append("self-test: an override counted as a member of the product's API")
    if not out:
        print("     made-up table names reported on both sides, an undocumented Swift member reported, "
              "the Kotlin scanner reads nested, constructor, companion, private and override declarations right")
    return out


def main():
    results = []
    for name, fn in checks() + [("platform parity: self-tests", self_test_problems)]:
        try:
            problems = fn()
        except Exception as e:  # a crash of a check is a failure of that check
            problems = [f"{type(e).__name__}: {e}"]
        if problems:
            print(f"FAIL {name}:")
            for p in problems[:60]:
                print(f"     {p}")
            if len(problems) > 60:
                print(f"     ... and {len(problems) - 60} more")
        else:
            print(f"ok   {name}")
        results.append(not problems)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
