"""Checks of the iOS half (ios/, Package.swift, scripts) for machines without Xcode or swiftc.

usage: ios_check.py FRESH_SWIFT_DIR LIBRARY_DIR

FRESH_SWIFT_DIR holds SidKit.swift + SidKitFFI.h + SidKitFFI.modulemap freshly generated from the
host-built library in LIBRARY_DIR (libsidkit.a, libsidkit.so). Each check prints "ok   <name>"
or "FAIL <name>: <why>"; the last line is "N passed, N failed"; the exit status is 1 on failure.

1. shellcheck: every scripts/*.sh and tests/ios/run.sh.
2. Syntax: every Swift file under ios/ (sources, the test targets and their test support,
   the sample) and Package.swift parses with tree-sitter-swift without ERROR or MISSING nodes
   (the two UniFFI constructs the grammar does not know are normalised first, as in
   tests/swift/check.py).
3. Package.swift: the targets' paths exist, the binary target points at the script's output,
   the Linux system library at the module map scripts/generate-bindings.sh writes.
4. Generated Swift: ios/Sources/SidKit/Generated/SidKit.swift is byte-identical to a fresh
   generation (a stale copy would not match the XCFramework it ships with).
5. Symbols: every uniffi_*/ffi_* function the generated Swift calls is declared in the header,
   defined in libsidkit.a and exported by libsidkit.so; the module map defines SidKitFFI.
6. API: the wrapper, its tests and the sample use only types, functions, members, enum cases
   and argument labels that the generated Swift (public API), the wrapper itself or a short
   list of Apple/Swift APIs (KNOWN_* below) declare.
7. DocC: every public declaration of SidKitCore and SidKitUI has a /// comment.
7a. Test support: the target SidKitTestSupport (the fake backend of both test targets) declares
   everything it does not keep private as public, imports SidKit without @testable and not
   XCTest; each test file using it imports it, and each such test target depends on it.
7b. No symbolic links under ios/ or tests/ (code is shared through targets, not links).
8. scripts/build-xcframework.sh runs end to end with stand-ins for Apple's tools
   (tests/ios/stub-apple-tools): the rustup/cargo/lipo/xcodebuild calls, the slice layout with
   Headers/SidKitFFI/{SidKitFFI.h,module.modulemap}, the zip, the checksum, and the Swift
   generated from the staticlib; a broken xcodebuild stops it with a clear message.
8a. Snapshot storage (tests/ios/snapshot_check.py): the coordinator's default store is the
   Keychain (generic password, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, not synchronized),
   the Security framework only inside #if canImport(Security), no UserDefaults / @AppStorage /
   @SceneStorage for the snapshot, docs that say it holds the flow key, and its XCTests exist;
   with self-tests of their own.
8b. One API on both platforms (tests/ios/platform_parity.py): every name of docs/platform-api.md's
   side-by-side table is declared in the Swift (SidKitCore, SidKitUI) and the Kotlin wrapper,
   and every public member of the coordinator, state and error types is in the table; one check
   per platform, so a failure says which side is behind.
8c. Portability: no Apple-only import (UIKit, AppKit, SwiftUI, Combine, Security, CryptoKit, ...)
   outside `#if canImport(<it>)` in any Swift file of ios/Sources and ios/Tests; SidKitCore
   imports only Foundation, FoundationNetworking, SidKit and SidKitFFI and never calls
   URLSession's data(for:) family (missing from FoundationNetworking); the codes SmartIdError
   names are the core's SidkitError::code() codes.
9. Rust behaviour the coordinator relies on (tests/ios/rust_contract.py, through the library's
   Python bindings): which router rejection each kind of URL gets, a retryable start error
   leaving the flow restartable and cancel() ending it without a backend call, snapshots before
   and after markLaunched, restore, late returns of cancelled flows being stale.
10. Self-tests: deliberately broken inputs (a dropped parenthesis, a changed byte in the
   generated Swift, an unknown FFI symbol, seven wrong identifiers or labels, an unquoted shell
   variable, a test-support declaration without `public`, a missing import or target
   dependency of the test support, a symbolic link) each make the corresponding check fail;
   otherwise the checks above prove nothing.
"""
import glob
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# tests/swift/check.py: the parser, the grammar-gap normalisation and the label matcher.
_spec = importlib.util.spec_from_file_location("swift_check", os.path.join(ROOT, "tests", "swift", "check.py"))
swiftcheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(swiftcheck)
# tests/ios/platform_parity.py: docs/platform-api.md's table against the Swift and Kotlin wrappers.
_spec = importlib.util.spec_from_file_location("platform_parity", os.path.join(HERE, "platform_parity.py"))
platformparity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(platformparity)
# tests/ios/snapshot_check.py: where SidKitUI keeps the flow snapshot (the Keychain).
_spec = importlib.util.spec_from_file_location("snapshot_check", os.path.join(HERE, "snapshot_check.py"))
snapshotcheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(snapshotcheck)

GENERATED = os.path.join(ROOT, "ios", "Sources", "SidKit", "Generated", "SidKit.swift")
CORE_DIR = os.path.join(ROOT, "ios", "Sources", "SidKitCore")
UI_DIR = os.path.join(ROOT, "ios", "Sources", "SidKitUI")
WRAPPER_DIRS = [CORE_DIR, UI_DIR]
SUPPORT_DIR = os.path.join(ROOT, "ios", "Tests", "SidKitTestSupport")
# Where scripts/generate-bindings.sh writes SidKitFFI.h and the Linux module.modulemap: the
# system library SidKitFFI of Package.swift on Linux (generated, so not checked for existence).
LINUX_FFI_DIR = "target/bindings/swift"

# Apple / Swift standard library names the wrapper, tests and sample use. Only names that are
# neither generated nor declared in ios/ belong here; keep it short and exact.
KNOWN_TYPES = set("""
Any AnyObject App AsyncStream Bool CGFloat CGRect CancellationError Canvas CharacterSet
CheckedContinuation Continuation Data Date Error HTTPURLResponse InputStream Int JSONDecoder
JSONSerialization NSDictionary NSLock NSUserActivity NSWorkspace Never ObservableObject Path
ProgressView Result Scene Sendable Set StaticString String Task Text TimeInterval UIApplication
UInt UInt16 UInt64 UInt8 URL URLError URLProtocol URLRequest URLResponse URLSession
URLSessionConfiguration UUID UserDefaults VStack View Void WindowGroup XCTestCase Decodable
EnvironmentObject Environment State StateObject ViewBuilder Button Self Equatable Hashable
SHA256 HMAC SymmetricKey URLComponents
CFDictionary CFTypeRef NSNumber OSStatus
LocalizedError CaseIterable URLSessionDataTask UInt32 NSRecursiveLock
""".split())
KNOWN_FUNCS = set("""
XCTAssertEqual XCTAssertFalse XCTAssertGreaterThanOrEqual XCTAssertNil XCTAssertNotNil
XCTAssertThrowsError XCTAssertTrue XCTFail XCTUnwrap fatalError min print withCheckedThrowingContinuation
withTaskCancellationHandler defer onOpenURL Array Set String Data URL UUID Date Text Path CGRect CGFloat Canvas
AsyncStream NSUserActivity HTTPURLResponse URLError URLRequest URLSession JSONDecoder CharacterSet
NSLock CancellationError Int UInt16 Task StateObject Button VStack ProgressView WindowGroup
SymmetricKey URLComponents withThrowingTaskGroup
SecItemAdd SecItemCopyMatching SecItemUpdate SecItemDelete XCTSkip XCTAssertNoThrow
UInt8 UInt32 UInt64 stride NSRecursiveLock
""".split())
KNOWN_MEMBERS = set("""
absoluteString addingPercentEncoding aspectRatio allSatisfy append accessibilityLabel
authenticationCode borderedProminent buttonStyle cancel cancelled close color contains count
data decode defaultValue didFailWithError didLoad didReceive environmentObject ephemeral fill
first fit font foregroundColor frame get hasBytesAvailable hasPrefix hasSuffix http httpBody
httpBodyStream httpMethod isEmpty joined jsonObject last load lock map notAllowed
onChange onContinueUserActivity onOpenURL onTermination open padding protocolClasses rawValue
read removeLast removeObject replacingOccurrences resume result secondary set setValue shared
sleep standard statusCode string suffix timeoutInterval title unlock url urlProtocol
urlProtocolDidFinishLoading value webpageURL white black yield zero footnote active
addingTimeInterval bufferingNewest universalLinksOnly reloadIgnoringLocalCacheData
localizedDescription timedOut notConnectedToInternet networkConnectionLost
cannotConnectToHost cannotFindHost dnsLookupFailed internationalRoamingOff callIsActive
dataNotAllowed resourceUnavailable serverCertificateUntrusted badURL failure success init
activityType self base64EncodedString values height width utf8 random hash max
scheme host port path lowercased timeIntervalSince components prefix shuffled addTask waitForAll
allHeaderFields caseInsensitiveCompare orderedSame removeValue
merge object boolValue uuidString
finish makeStream isFinite isCancelled dataTask badServerResponse allCases reserveCapacity $state sink
""".split())

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
        if len(problems) > 40:
            print(f"     ... and {len(problems) - 40} more")
        results.append(False)
    else:
        print(f"ok   {name}")
        results.append(True)


def rel(path):
    return os.path.relpath(path, ROOT)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------------------------------------
# 1. shellcheck

def shellcheck_problems(path):
    r = run(["shellcheck", "-x", "-S", "style", path])
    if r.returncode == 0:
        return []
    return [l for l in r.stdout.splitlines() if l.strip()][:20] or [r.stderr.strip()]


# ---------------------------------------------------------------------------------------------
# 2. syntax (tests/swift/check.py's checker works on files; this one also takes text)

def parse_text(src):
    for pat, rep in swiftcheck.KNOWN_GRAMMAR_GAPS:
        src = pat.sub(rep, src)
    return src, swiftcheck.PARSER.parse(src)


def syntax_problems_text(name, src):
    src, tree = parse_text(src)
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
        line = lines[n.start_point[0]].decode(errors="replace").strip()[:100] if lines else ""
        out.append(f"{name}:{n.start_point[0] + 1}:{n.start_point[1] + 1}: {kind}: {line}")
    return out


def swift_files():
    files = sorted(glob.glob(os.path.join(ROOT, "ios", "**", "*.swift"), recursive=True))
    files += [os.path.join(ROOT, "Package.swift")]
    return files


# ---------------------------------------------------------------------------------------------
# 3. Package.swift

def package_problems(text=None):
    if text is None:
        text = open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()
    out = []
    if not text.startswith("// swift-tools-version:5.10"):
        out.append("Package.swift must start with // swift-tools-version:5.10 (the generated bindings use nonisolated(unsafe), Swift 5.10)")
    for target in ["SidKitFFI", "SidKit", "SidKitCore", "SidKitUI", "SidKitCoreTests", "SidKitUITests", "SidKitTests",
                   "SidKitTestSupport"]:
        if f'name: "{target}"' not in text:
            out.append(f"no target {target}")
    if 'path: "ios/build/SidKitFFI.xcframework"' not in text:
        out.append("the local binary target must be ios/build/SidKitFFI.xcframework (the script's output)")
    if f'.systemLibrary(name: "SidKitFFI", path: "{LINUX_FFI_DIR}")' not in text:
        out.append(f"the Linux system library SidKitFFI must be {LINUX_FFI_DIR} (scripts/generate-bindings.sh's output)")
    for path in re.findall(r'path:\s*"([^"]+)"', text):
        if path.endswith(".xcframework") or path == LINUX_FFI_DIR:
            continue
        if not os.path.isdir(os.path.join(ROOT, path)):
            out.append(f"target path {path} does not exist")
    for platform in [".iOS(.v15)"]:
        if platform not in text:
            out.append(f"platform {platform} missing")
    # Linux builds SidKit, SidKitCore and their tests; SidKitUI (and its tests) only on Apple platforms.
    apple_only = text.find("#if !os(Linux)\n// SidKitUI")
    if apple_only < 0:
        out.append("no `#if !os(Linux)` block for SidKitUI")
    else:
        for target in ["SidKitUI", "SidKitUITests"]:
            if text.find(f'name: "{target}"') < apple_only:
                out.append(f"{target} must be declared inside the `#if !os(Linux)` block (it needs Apple frameworks)")
        for target in ["SidKitCore", "SidKitCoreTests", "SidKit", "SidKitTests", "SidKitTestSupport"]:
            at = text.find(f'name: "{target}"')
            if at < 0 or at > apple_only:
                out.append(f"{target} must be declared for every platform (before the `#if !os(Linux)` block)")
    if re.search(r"\.package\(\s*(url|path|name):", text):
        out.append("Package.swift has a package dependency (the test support needs none: CryptoKit or its own SHA-256)")
    for target in ["SidKitCore", "SidKitUI", "SidKitTestSupport", "SidKitCoreTests", "SidKitUITests", "SidKitTests"]:
        m = re.search(r'name:\s*"' + target + r'",[^)]*?swiftSettings:\s*strictConcurrency', text)
        if m is None:
            out.append(f"target {target} lacks `swiftSettings: strictConcurrency`")
    if re.search(r"^[^/\n]*unsafeFlags", text, re.M):
        out.append("unsafeFlags in Package.swift (forbidden for remote package dependencies)")
    if '.enableExperimentalFeature("StrictConcurrency")' not in text:
        out.append('no .enableExperimentalFeature("StrictConcurrency") for the hand-written targets')
    gen_target = re.search(r'name:\s*"SidKit",[^)]*\)', text)
    if gen_target is None or "swiftSettings" in gen_target.group(0):
        out.append("the generated SidKit target must build with the package's defaults (Swift 5 mode, no strict checking)")
    gen = open(os.path.join(ROOT, "scripts", "generate-bindings.sh"), encoding="utf-8").read()
    if not re.search(r"^OUT=target/bindings$", gen, re.M) or '"$OUT/swift/module.modulemap"' not in gen:
        out.append(f"scripts/generate-bindings.sh no longer writes {LINUX_FFI_DIR}/module.modulemap by default")
    return out


# ---------------------------------------------------------------------------------------------
# 4. stale generated Swift

def stale_problems(checked_in, fresh):
    a = open(checked_in, "rb").read()
    b = open(fresh, "rb").read()
    if a == b:
        return []
    al, bl = a.splitlines(), b.splitlines()
    first = next((i for i, (x, y) in enumerate(zip(al, bl)) if x != y), min(len(al), len(bl)))
    return [f"{rel(checked_in)} differs from a fresh generation (first at line {first + 1}); "
            "run scripts/build-xcframework.sh --bindings-only and commit the result"]


# ---------------------------------------------------------------------------------------------
# 5. symbols

FFI_CALL = re.compile(r"\b((?:uniffi|ffi)_sidkit_[A-Za-z0-9_]+)\b")


def nm_symbols(args):
    r = run(["nm"] + args)
    if r.returncode != 0:
        raise RuntimeError(f"nm {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.splitlines()


def symbol_problems(swift_text, header_text, modulemap_text, lib_dir):
    used = set(FFI_CALL.findall(swift_text))
    if len(used) < 50:
        return [f"only {len(used)} FFI functions are referenced by the generated Swift"]
    declared = set(re.findall(r"\b((?:uniffi|ffi)_sidkit_[A-Za-z0-9_]+)\s*\(", header_text))
    out = [f"not declared in SidKitFFI.h: {s}" for s in sorted(used - declared)]
    defined = set()
    for line in nm_symbols(["--defined-only", os.path.join(lib_dir, "libsidkit.a")]):
        parts = line.split()
        if len(parts) == 3 and parts[1] == "T":
            defined.add(parts[2])
    out += [f"not defined in libsidkit.a: {s}" for s in sorted(used - defined)]
    exported = {l.split()[-1] for l in nm_symbols(["-D", "--defined-only", os.path.join(lib_dir, "libsidkit.so")]) if l.strip()}
    out += [f"not exported by libsidkit.so: {s}" for s in sorted(used - exported)]
    if not re.search(r'^module SidKitFFI \{', modulemap_text, re.M) or 'header "SidKitFFI.h"' not in modulemap_text:
        out.append("the generated module map does not define module SidKitFFI with header SidKitFFI.h")
    if "import SidKitFFI" not in swift_text:
        out.append("the generated Swift does not import SidKitFFI")
    if not out:
        print(f"     {len(used)} FFI functions used by the generated Swift: all in the header, libsidkit.a and libsidkit.so")
    return out


# ---------------------------------------------------------------------------------------------
# 6. API consistency

def walk(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def txt(n):
    return n.text.decode()


def is_public(decl):
    mods = next((c for c in decl.children if c.type == "modifiers"), None)
    return mods is not None and re.search(r"\b(public|open)\b", txt(mods)) is not None


def decl_name(decl):
    for c in decl.children:
        if c.type in ("type_identifier", "simple_identifier"):
            return txt(c)
        if c.type == "user_type":  # extension X
            return txt(c).split("<")[0].split(".")[-1]
    return None


class ApiIndex:
    """Names declared by a set of Swift sources."""

    def __init__(self, sources, public_only):
        self.types = set()
        self.members = {}        # type -> names
        self.all_members = set()
        self.funcs = {}          # top-level function -> [(labels, defaults)]
        self.methods = {}        # method name -> [(labels, defaults)]
        self.inits = {}          # type -> [(labels, defaults)]
        self.cases = {}          # case name -> [(labels, defaults)]
        self.idents = set()      # every declared identifier (variables, parameters, ...)
        for src in sources:
            _, tree = parse_text(src)
            self._scan(tree.root_node, public_only)

    def _scan(self, root, public_only):
        for n in walk(root):
            t = n.type
            if t in ("class_declaration", "protocol_declaration", "typealias_declaration"):
                name = decl_name(n)
                if name is None:
                    continue
                is_ext = n.children and n.children[0].type == "extension"
                if not public_only or is_public(n) or is_ext:
                    if not is_ext:
                        self.types.add(name)
                    body = next((c for c in n.children if c.type in ("class_body", "enum_class_body", "protocol_body")), None)
                    if body is not None:
                        self._scan_body(name, body, public_only)
            elif t == "function_declaration" and (n.parent is None or n.parent.type in ("source_file", "statements")):
                name = decl_name(n)
                if name and (not public_only or is_public(n)):
                    self.funcs.setdefault(name, []).append(swiftcheck.params_of(n))
            elif t == "type_parameter":
                ident = next((c for c in n.children if c.type == "type_identifier"), None)
                if ident is not None:
                    self.types.add(txt(ident))
            if t == "simple_identifier" and n.parent is not None and n.parent.type in (
                    "pattern", "parameter", "lambda_parameter", "enum_entry", "function_declaration",
                    "protocol_function_declaration", "guard_statement", "if_statement", "value_binding_pattern",
                    "property_declaration", "catch_block", "for_statement", "enum_type_parameters",
                    "protocol_property_declaration"):
                self.idents.add(txt(n))

    def _scan_body(self, owner, body, public_only):
        names = self.members.setdefault(owner, set())
        for c in body.children:
            pub = not public_only or is_public(c) or owner in ("",)
            if c.type in ("function_declaration", "protocol_function_declaration"):
                name = decl_name(c)
                if name and (pub or c.type == "protocol_function_declaration"):
                    names.add(name)
                    self.methods.setdefault(name, []).append(swiftcheck.params_of(c))
            elif c.type == "init_declaration":
                if pub:
                    self.inits.setdefault(owner, []).append(swiftcheck.params_of(c))
                    names.add("init")
            elif c.type == "enum_entry":
                params = [x for x in c.children if x.type == "enum_type_parameters"]
                idents = [x for x in c.children if x.type == "simple_identifier"]
                for i in idents:
                    names.add(txt(i))
                    labels = []
                    for p in params:
                        labels = [txt(x) for x in p.children if x.type == "simple_identifier"]
                    self.cases.setdefault(txt(i), []).append((labels, [False] * len(labels)))
            elif c.type in ("property_declaration", "protocol_property_declaration"):
                if pub or c.type == "protocol_property_declaration":
                    for p in walk(c):
                        if p.type == "pattern":
                            ident = next((x for x in p.children if x.type == "simple_identifier"), None)
                            if ident is not None:
                                names.add(txt(ident))
                            break
            elif c.type in ("class_declaration", "protocol_declaration", "typealias_declaration"):
                name = decl_name(c)
                if name and (pub or not public_only):
                    names.add(name)
                    self.types.add(name)
                    inner = next((x for x in c.children if x.type in ("class_body", "enum_class_body", "protocol_body")), None)
                    if inner is not None:
                        self._scan_body(name, inner, public_only)
        self.all_members |= names


def call_labels(call):
    suffix = call.children[-1] if call.children else None
    if suffix is None or suffix.type != "call_suffix":
        return None
    args = next((c for c in suffix.children if c.type == "value_arguments"), None)
    if args is None:
        return None
    labels = []
    for a in args.children:
        if a.type == "value_argument":
            lab = next((c for c in a.children if c.type == "value_argument_label"), None)
            labels.append(txt(lab) if lab is not None else None)
    return labels


# Names tree-sitter-swift 0.7.4 reports as types or calls although they are keywords.
GRAMMAR_TYPE_QUIRKS = {"async"}


def in_attribute(n):
    """Whether n is inside an attribute (@MainActor, @Published, @testable, @unchecked, ...)."""
    p = n.parent
    while p is not None:
        if p.type == "attribute":
            return True
        if p.type in ("source_file", "statements", "class_body"):
            return False
        p = p.parent
    return False


def fmt_sigs(sigs):
    return " | ".join("(" + ", ".join(f"{l}:" for l in s[0]) + ")" for s in sigs[:4])


def api_problems(gen_src, files):
    """files: [(name, bytes)] of the wrapper, tests and sample."""
    gen = ApiIndex([gen_src], public_only=True)
    gen_all = ApiIndex([gen_src], public_only=False)
    own = ApiIndex([src for _, src in files], public_only=False)
    types_ok = gen.types | own.types | KNOWN_TYPES
    members_ok = gen.all_members | own.all_members | KNOWN_MEMBERS | set(gen.funcs) | own.idents
    problems, checked = [], 0

    def fits_any(labels, sigs):
        return any(swiftcheck.fits(labels, s) for s in sigs)

    for name, src in files:
        testable = b"@testable import SidKit\n" in src
        _, tree = parse_text(src)
        for n in walk(tree.root_node):
            line = n.start_point[0] + 1
            where = f"{name}:{line}"
            if n.type == "type_identifier":
                t = txt(n)
                if n.parent is not None and n.parent.type == "class_declaration":
                    continue  # a declaration, not a use
                if in_attribute(n) or t in GRAMMAR_TYPE_QUIRKS:
                    continue
                checked += 1
                if t not in types_ok and not (testable and t in gen_all.types):
                    problems.append(f"{where}: unknown type {t}")
            elif n.type == "call_expression" and n.children:
                callee = n.children[0]
                labels = call_labels(n)
                if callee.type == "simple_identifier":
                    fname = txt(callee)
                    checked += 1
                    if fname in gen.funcs and fname not in own.funcs:
                        if labels is not None and not fits_any(labels, gen.funcs[fname]):
                            problems.append(f"{where}: {fname}({', '.join(l or '_' for l in labels)}) matches no generated declaration {fmt_sigs(gen.funcs[fname])}")
                    elif fname in gen.types and fname not in own.types:
                        sigs = gen.inits.get(fname, [])
                        if labels is not None and sigs and not fits_any(labels, sigs):
                            problems.append(f"{where}: {fname}({', '.join(l or '_' for l in labels)}) matches no generated initializer {fmt_sigs(sigs)}")
                    elif not (fname in own.funcs or fname in own.types or fname in own.idents
                              or fname in KNOWN_FUNCS or fname in own.all_members):
                        problems.append(f"{where}: unknown function {fname}")
                elif callee.type == "navigation_expression":
                    base = callee.children[0]
                    member = txt(callee.children[-1].children[-1])
                    if base.type == "simple_identifier" and txt(base) in gen.types and txt(base) not in own.types:
                        continue  # checked as a qualified reference below
                    checked += 1
                    if member in gen.methods and member not in own.all_members and member not in KNOWN_MEMBERS:
                        if labels is not None and not fits_any(labels, gen.methods[member]):
                            problems.append(f"{where}: .{member}({', '.join(l or '_' for l in labels)}) matches no generated method {fmt_sigs(gen.methods[member])}")
            if n.type == "navigation_suffix":
                member = txt(n.children[-1])
                nav = n.parent
                base = nav.children[0] if nav is not None and nav.children else None
                checked += 1
                if base is not None and base.type == "simple_identifier" and txt(base) in gen.types and txt(base) not in own.types:
                    owner = txt(base)
                    if member not in gen.members.get(owner, set()):
                        problems.append(f"{where}: {owner}.{member} is not a public member of the generated {owner}")
                    else:
                        call = nav.parent if nav.parent is not None and nav.parent.type == "call_expression" else None
                        labels = call_labels(call) if call is not None else None
                        sigs = gen.cases.get(member, []) + gen.methods.get(member, [])
                        if labels is not None and sigs and not fits_any(labels, sigs):
                            problems.append(f"{where}: {owner}.{member}({', '.join(l or '_' for l in labels)}) matches no declaration {fmt_sigs(sigs)}")
                elif member not in members_ok and not member.isdigit():
                    problems.append(f"{where}: unknown member .{member}")
            elif n.type == "." and n.parent is not None and n.parent.type != "navigation_suffix":
                nxt = n.next_sibling
                prev = n.prev_sibling
                if nxt is None or nxt.type != "simple_identifier":
                    continue
                member = txt(nxt)
                checked += 1
                if prev is not None and prev.type == "user_type":
                    owner = txt(prev).split("<")[0]
                    if owner in gen.types and owner not in own.types and member not in gen.members.get(owner, set()):
                        problems.append(f"{where}: {owner}.{member} is not a public member of the generated {owner}")
                    continue
                if member not in members_ok:
                    problems.append(f"{where}: unknown implicit member .{member}")
                call = n.parent if n.parent.type == "prefix_expression" else None
                if call is not None and call.parent is not None and call.parent.type == "call_expression":
                    labels = call_labels(call.parent)
                    sigs = gen.cases.get(member, [])
                    if labels is not None and sigs and member not in own.all_members and not fits_any(labels, sigs):
                        problems.append(f"{where}: .{member}({', '.join(l or '_' for l in labels)}) matches no generated case {fmt_sigs(sigs)}")
    if checked < 300:
        problems.append(f"only {checked} references were checked; the check is not looking")
    return problems, checked


def api_files():
    paths = []
    for d in WRAPPER_DIRS:
        paths += sorted(glob.glob(os.path.join(d, "**", "*.swift"), recursive=True))
    paths += sorted(glob.glob(os.path.join(ROOT, "ios", "Tests", "**", "*.swift"), recursive=True))
    paths += sorted(glob.glob(os.path.join(ROOT, "ios", "Sample", "**", "*.swift"), recursive=True))
    return [(rel(p), open(p, "rb").read()) for p in paths]


# ---------------------------------------------------------------------------------------------
# 7. DocC comments

DECL_START = re.compile(r"^\s*(@\w+(\([^)]*\))?\s+)*(public|open)\s+(static\s+|final\s+|convenience\s+|nonisolated\s+|private\(set\)\s+)*"
                        r"(func|var|let|init|class|struct|enum|protocol|typealias|extension)\b")


def docc_problems(paths, minimum=0):
    out = []
    seen = 0
    for p in paths:
        lines = open(p, encoding="utf-8").read().splitlines()
        for i, line in enumerate(lines):
            if not DECL_START.match(line):
                continue
            seen += 1
            j = i - 1
            while j >= 0 and re.match(r"^\s*@\w+", lines[j]):  # attributes on their own lines
                j -= 1
            if j < 0 or not lines[j].strip().startswith("///"):
                out.append(f"{rel(p)}:{i + 1}: public declaration without a /// comment: {line.strip()[:80]}")
    if seen < minimum:
        out.append(f"only {seen} public declarations found; the check is not looking")
    elif not out and minimum:
        print(f"     {seen} public declarations, all with a /// comment")
    return out


# ---------------------------------------------------------------------------------------------
# 7a. the test-support target (no compiler here: check what swiftc would reject across modules)

SUPPORT_MODULE = "SidKitTestSupport"
PRIVATE_ACCESS = re.compile(r"\b(private|fileprivate)\b(?!\s*\(set\))")
DECLS = ("class_declaration", "protocol_declaration", "typealias_declaration", "function_declaration",
         "property_declaration", "init_declaration", "subscript_declaration")


def access_of(decl):
    mods = next((c for c in decl.children if c.type == "modifiers"), None)
    text = txt(mods) if mods is not None else ""
    if re.search(r"\b(public|open)\b", text):
        return "public"
    return "private" if PRIVATE_ACCESS.search(text) else "internal"


def support_problems(support_files, test_files, package_text):
    """support_files, test_files: [(name, bytes)]; test files are those of the test targets."""
    out = []
    names = set()
    for name, src in support_files:
        if re.search(rb"^@testable import ", src, re.M):
            out.append(f"{name}: @testable import in a regular target (fails in release builds); use import")
        if re.search(rb"^import XCTest$", src, re.M):
            out.append(f"{name}: imports XCTest, which a regular target cannot rely on")
        _, tree = parse_text(src)
        stack = [(c, None) for c in tree.root_node.children]
        while stack:
            n, owner = stack.pop()
            if n.type == "directive" or n.type not in DECLS:
                continue
            is_ext = bool(n.children) and n.children[0].type == "extension"
            label = decl_name(n) or ("init" if n.type == "init_declaration" else n.type)
            if n.type == "property_declaration":
                pat = next((p for p in walk(n) if p.type == "pattern"), None)
                ident = next((x for x in pat.children if x.type == "simple_identifier"), None) if pat is not None else None
                label = txt(ident) if ident is not None else label
            access = access_of(n)
            if access == "private":
                continue
            if not is_ext and access != "public":
                where = f"{owner}.{label}" if owner else label
                out.append(f"{name}:{n.start_point[0] + 1}: {where} is internal: the test targets cannot see it (make it public or private)")
            if owner is None and not is_ext:
                names.add(label)
            body = next((c for c in n.children if c.type in ("class_body", "enum_class_body", "protocol_body")), None)
            if body is not None and n.type != "protocol_declaration":
                stack.extend((c, label) for c in body.children)
    if len(names) < 5:
        out.append(f"only {len(names)} declarations found in {SUPPORT_MODULE}; the check is not looking")
    users = set()
    for name, src in test_files:
        _, tree = parse_text(src)
        used = sorted({txt(n) for n in walk(tree.root_node)
                       if n.type in ("simple_identifier", "type_identifier") and txt(n) in names
                       and (n.parent is None or n.parent.type not in ("navigation_suffix", "value_argument_label"))})
        if not used:
            continue
        users.add(os.path.dirname(name))
        if not re.search(rb"^import " + SUPPORT_MODULE.encode() + rb"$", src, re.M):
            out.append(f"{name} uses {', '.join(used[:3])} but does not import {SUPPORT_MODULE}")
    if not users:
        out.append(f"no test file uses {SUPPORT_MODULE}; the check is not looking")
    # Each test target whose files use the support target depends on it.
    targets = {}
    for m in re.finditer(r'\.testTarget\(\s*name:\s*"([^"]+)",\s*dependencies:\s*\[([^\]]*)\],\s*path:\s*"([^"]+)"', package_text):
        targets[m.group(3)] = (m.group(1), m.group(2))
    for d in sorted(users):
        if d not in targets:
            out.append(f"{d} is not the path of a test target of Package.swift")
        elif f'"{SUPPORT_MODULE}"' not in targets[d][1]:
            out.append(f"test target {targets[d][0]} uses {SUPPORT_MODULE} but does not depend on it")
    if not re.search(r'\.target\(\s*name:\s*"' + SUPPORT_MODULE + r'",[^)]*path:\s*"' + rel(SUPPORT_DIR) + '"', package_text):
        out.append(f"Package.swift has no target {SUPPORT_MODULE} at {rel(SUPPORT_DIR)}")
    if not out:
        print(f"     {len(names)} public declarations in {SUPPORT_MODULE}, used by {len(users)} test targets that import and depend on it")
    return out


def support_files():
    return [(rel(p), open(p, "rb").read()) for p in sorted(glob.glob(os.path.join(SUPPORT_DIR, "**", "*.swift"), recursive=True))]


def test_target_files():
    paths = []
    for d in sorted(glob.glob(os.path.join(ROOT, "ios", "Tests", "*"))):
        if os.path.isdir(d) and os.path.abspath(d) != SUPPORT_DIR:
            paths += sorted(glob.glob(os.path.join(d, "**", "*.swift"), recursive=True))
    return [(rel(p), open(p, "rb").read()) for p in paths]


# ---------------------------------------------------------------------------------------------
# 7b. symbolic links

def symlink_problems(dirs):
    out = []
    for top in dirs:
        for dirpath, dirnames, filenames in os.walk(top):
            # ios/build: the script's output, not sources
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != os.path.join(ROOT, "ios", "build")]
            for f in dirnames + filenames:
                p = os.path.join(dirpath, f)
                if os.path.islink(p):
                    out.append(f"{rel(p)} is a symbolic link (to {os.readlink(p)}); share code through a target")
    return out


# ---------------------------------------------------------------------------------------------
# 7c. portability: SidKitCore is Foundation only; Apple-only imports are guarded everywhere

APPLE_ONLY_MODULES = {"UIKit", "AppKit", "SwiftUI", "Combine", "Security", "CryptoKit", "ObjectiveC", "Darwin",
                      "WatchKit", "Network", "os", "LocalAuthentication", "AuthenticationServices"}
CORE_IMPORTS = {"Foundation", "FoundationNetworking", "SidKit", "SidKitFFI"}
IMPORT_LINE = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*import\s+(?:(?:class|struct|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")
APPLE_ONLY_CALLS = re.compile(r"\.(data|upload|download|bytes)\(\s*(for|from)\s*:")


def imports_with_guards(text):
    """[(line number, module, [conditions of the #if branches around it])]."""
    out, stack = [], []
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#if "):
            stack.append(stripped[4:])
        elif stripped.startswith("#elseif "):
            if stack:
                stack[-1] = stripped[8:]
        elif stripped.startswith("#else"):
            if stack:
                stack[-1] = "!(" + stack[-1] + ")"
        elif stripped.startswith("#endif"):
            if stack:
                stack.pop()
        else:
            m = IMPORT_LINE.match(line)
            if m:
                out.append((i, m.group(1), list(stack)))
    return out


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(l.split("//")[0] for l in text.splitlines())


def guarded(module, conditions):
    """Whether a branch around the import asks canImport(module) (not negated)."""
    return any(re.search(r"(?<!!)canImport\(\s*" + re.escape(module) + r"\s*\)", c) and not c.startswith("!(")
               for c in conditions)


def portability_problems(files):
    """files: [(name, text)] of every Swift file of the package's hand-written targets and tests."""
    out, core_files = [], 0
    for name, text in files:
        in_core = name.startswith(rel(CORE_DIR) + os.sep)
        core_files += in_core
        for line, module, conditions in imports_with_guards(text):
            if module in APPLE_ONLY_MODULES and not guarded(module, conditions):
                out.append(f"{name}:{line}: `import {module}` is Apple-only: put it inside #if canImport({module})")
            if in_core and module not in CORE_IMPORTS:
                out.append(f"{name}:{line}: SidKitCore imports only {', '.join(sorted(CORE_IMPORTS))}, not {module}")
        if in_core:
            for i, line in enumerate(strip_comments(text).splitlines(), 1):
                m = APPLE_ONLY_CALLS.search(line)
                if m:
                    out.append(f"{name}:{i}: URLSession.{m.group(1)}({m.group(2)}:) does not exist in FoundationNetworking "
                               "(Linux): use dataTask(with:completionHandler:) in a continuation")
    if core_files < 5:
        out.append(f"only {core_files} SidKitCore files found; the check is not looking")
    return out


def portability_files():
    paths = []
    for d in WRAPPER_DIRS + [os.path.join(ROOT, "ios", "Tests"), os.path.join(ROOT, "ios", "Sources", "SidKit")]:
        paths += sorted(glob.glob(os.path.join(d, "**", "*.swift"), recursive=True))
    return [(rel(p), open(p, encoding="utf-8").read()) for p in paths]


GLOBAL_VAR = re.compile(r"^(?:(?:public|private|fileprivate|internal)\s+)?var\s+\w+")
STATIC_STORED_VAR = re.compile(r"^\s*(?:(?:public|private|fileprivate|internal|open)(?:\(set\))?\s+)*(?:static|class)\s+var\s+\w+\s*(?::[^={]*)?(?:=|$)")
UNCHECKED = re.compile(r"@unchecked\s+Sendable")
SETUP_OVERRIDE = re.compile(r"\boverride\s+(?:class\s+)?func\s+(setUp|tearDown)\w*\s*\(")


def concurrency_problems(files):
    """files: [(name, text)] of the hand-written Swift (SidKitCore, SidKitUI, ios/Tests). By reading,
    what strict concurrency checking would flag: global or static stored `var`s (shared mutable
    state), `nonisolated(unsafe)`, `@unchecked Sendable` without the `// @unchecked:` comment that
    names what makes it safe (a lock, immutability), and setUp/tearDown overrides in @MainActor
    test classes (their isolation differs from XCTestCase's)."""
    out = []
    for name, text in files:
        lines = strip_comments_keep_lines(text)
        raw = text.splitlines()
        main_actor_class = re.search(r"@MainActor\s*\n?\s*(?:final\s+)?class\s+\w+\s*:\s*XCTestCase", text) is not None
        for i, line in enumerate(lines, 1):
            if GLOBAL_VAR.match(line):
                out.append(f"{name}:{i}: a global `var` is shared mutable state: {line.strip()[:70]}")
            if STATIC_STORED_VAR.match(line):
                out.append(f"{name}:{i}: a static stored `var` is shared mutable state: {line.strip()[:70]}")
            if "nonisolated(unsafe)" in line:
                out.append(f"{name}:{i}: nonisolated(unsafe) in hand-written code")
            if UNCHECKED.search(line):
                near = "\n".join(raw[max(0, i - 5):i + 3])
                if "// @unchecked:" not in near:
                    out.append(f"{name}:{i}: @unchecked Sendable without a `// @unchecked:` comment saying what makes it safe")
            if main_actor_class and SETUP_OVERRIDE.search(line):
                out.append(f"{name}:{i}: a @MainActor XCTestCase overrides {SETUP_OVERRIDE.search(line).group(1)}: make the fixture in each test")
    return out


def strip_comments_keep_lines(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return [re.sub(r'"(?:[^"\\]|\\.)*"', '""', l).split("//")[0] for l in text.splitlines()]


def concurrency_files():
    return [f for f in portability_files() if not f[0].startswith(os.path.join("ios", "Sources", "SidKit") + os.sep)]


CORE_ERROR_RS = os.path.join(ROOT, "bindings", "src", "error.rs")


def error_code_problems(swift_text=None):
    """The codes SmartIdError.swift names are codes of the core's SidkitError::code() (or the one
    platform code, cannot_open_link)."""
    if swift_text is None:
        swift_text = open(os.path.join(CORE_DIR, "SmartIdError.swift"), encoding="utf-8").read()
    rust = open(CORE_ERROR_RS, encoding="utf-8").read()
    body = rust[rust.index("pub fn code(&self) -> String"):]
    body = body[:body.index(".to_owned()")]
    core_codes = set(re.findall(r'"([a-z_]+)"', body))
    if len(core_codes) < 20:
        return [f"only {len(core_codes)} codes found in {rel(CORE_ERROR_RS)}; the check is not looking"]
    named = set(re.findall(r'"([a-z][a-z_]*)"', strip_comments(swift_text)))
    named -= {"link_", "return_url_"}
    out = [f"SmartIdError.swift names code {c!r}, which the core's SidkitError::code() does not have"
           for c in sorted(named - core_codes - {"cannot_open_link"})]
    for prefix in ["link_", "return_url_"]:
        if not any(c.startswith(prefix) for c in core_codes):
            out.append(f"the core has no {prefix}* codes any more; SmartIdError(code:reason:) maps by that prefix")
    if not out:
        print(f"     {len(named)} codes named by SmartIdError.swift, all among the core's {len(core_codes)} (and cannot_open_link)")
    return out


# ---------------------------------------------------------------------------------------------
# 8. scripts/build-xcframework.sh with stub Apple tools (tests/ios/stub-apple-tools)

STUBS = os.path.join(HERE, "stub-apple-tools")
SCRIPT = os.path.join(ROOT, "scripts", "build-xcframework.sh")


def run_xcframework_script(args, path_dirs, tmp):
    """Runs the script with PATH = path_dirs + the system's; restores the generated Swift."""
    log = os.path.join(tmp, "calls.log")
    open(log, "w").close()
    real_cargo = subprocess.run(["bash", "-c", "command -v cargo"], capture_output=True, text=True).stdout.strip()
    env = dict(os.environ, PATH=":".join(path_dirs + [os.environ["PATH"]]), STUB_LOG=log, REAL_CARGO=real_cargo)
    env.pop("IPHONEOS_DEPLOYMENT_TARGET", None)
    saved = open(GENERATED, "rb").read()
    try:
        r = subprocess.run(["bash", SCRIPT] + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    finally:
        rewritten = open(GENERATED, "rb").read()
        open(GENERATED, "wb").write(saved)
    return r, open(log).read().splitlines(), rewritten


def xcframework_script_problems():
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        dest = os.path.join(tmp, "out")
        r, calls, rewritten = run_xcframework_script(["--debug", "--out", dest], [STUBS], tmp)
        if r.returncode != 0:
            return [f"exit {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}"]
        joined = "\n".join(calls)
        want = "rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios"
        if want not in calls:
            out.append(f"no '{want}' call")
        for t in ["aarch64-apple-ios", "aarch64-apple-ios-sim", "x86_64-apple-ios"]:
            if f"--crate-type staticlib --profile dev --target {t}" not in joined:
                out.append(f"no staticlib build for {t}")
        if "darwin" in joined:
            out.append("a macOS slice was built without --macos")
        if not re.search(r"^lipo -create \S*aarch64-apple-ios-sim\S* \S*x86_64-apple-ios\S* -output ", joined, re.M):
            out.append("the simulator slices were not joined with lipo -create")
        fw = os.path.join(dest, "SidKitFFI.xcframework")
        slices = sorted(glob.glob(os.path.join(fw, "slice*")))
        if len(slices) != 2:
            out.append(f"{len(slices)} slices instead of 2 (device, simulator)")
        for sl in slices:
            hdr = os.path.join(sl, "Headers", "SidKitFFI")
            mm = os.path.join(hdr, "module.modulemap")
            if not os.path.isfile(os.path.join(hdr, "SidKitFFI.h")) or not os.path.isfile(mm):
                out.append(f"{os.path.basename(sl)}: Headers/SidKitFFI/ lacks SidKitFFI.h or module.modulemap")
            elif not open(mm).read().startswith("module SidKitFFI {"):
                out.append(f"{os.path.basename(sl)}: the module map does not define SidKitFFI")
            if not os.path.isfile(os.path.join(sl, "libsidkit.a")):
                out.append(f"{os.path.basename(sl)}: no libsidkit.a")
        if not os.path.isfile(fw + ".zip"):
            out.append("no SidKitFFI.xcframework.zip")
        if not re.search(r"checksum [0-9a-f]{64}$", r.stdout, re.M):
            out.append("no checksum printed")
        if rewritten != open(GENERATED, "rb").read():
            out.append("the Swift generated from the iOS staticlib differs from the checked-in copy")
        # Without Xcode the script must stop with a clear message.
        bare = os.path.join(tmp, "bare")
        os.makedirs(bare)
        for tool in os.listdir(STUBS):
            if tool != "xcodebuild":
                os.symlink(os.path.join(STUBS, tool), os.path.join(bare, tool))
        noxc = os.path.join(tmp, "noxc")
        os.makedirs(noxc)
        open(os.path.join(noxc, "xcodebuild"), "w").write("#!/bin/sh\nexit 127\n")
        os.chmod(os.path.join(noxc, "xcodebuild"), 0o755)
        r2, _, _ = run_xcframework_script(["--debug", "--out", os.path.join(tmp, "out2")], [noxc, bare], tmp)
        if r2.returncode == 0 or "xcodebuild does not work" not in r2.stderr:
            out.append(f"a broken xcodebuild is not reported (exit {r2.returncode}: {r2.stderr.strip()[-200:]})")
        # --build-std: without a nightly toolchain (the stub rustup prints no version) it stops
        # with a clear message before building anything; with one (and rust-src) it builds every
        # slice with that toolchain and -Zbuild-std, without `rustup target add`.
        r3, calls3, _ = run_xcframework_script(["--debug", "--build-std", "--out", os.path.join(tmp, "out3")], [STUBS], tmp)
        if r3.returncode == 0 or "--build-std needs a nightly toolchain" not in r3.stderr:
            out.append(f"--build-std without nightly is not reported (exit {r3.returncode}: {r3.stderr.strip()[-200:]})")
        if any(c.startswith("cargo") and "staticlib" in c for c in calls3):
            out.append("--build-std built a slice before checking its toolchain")
        nightly = os.path.join(tmp, "nightly")
        sysroot = os.path.join(tmp, "sysroot")
        os.makedirs(os.path.join(sysroot, "lib", "rustlib", "src", "rust", "library", "std"))
        os.makedirs(nightly)
        fake_rustup = os.path.join(nightly, "rustup")
        open(fake_rustup, "w").write(
            "#!/usr/bin/env bash\n"
            'echo "rustup $*" >> "$STUB_LOG"\n'
            'if [ "$1 $3" = "run rustc" ]; then\n'
            '  if [ "$4" = --version ]; then echo "rustc 1.99.0-nightly (0000000 2026-11-30)"; fi\n'
            f'  if [ "$4" = --print ]; then echo "{sysroot}"; fi\n'
            "fi\n")
        os.chmod(fake_rustup, 0o755)
        r4, calls4, _ = run_xcframework_script(["--debug", "--build-std", "--out", os.path.join(tmp, "out4")], [nightly, STUBS], tmp)
        if r4.returncode == 0 or "rust-src" not in r4.stderr:
            out.append(f"--build-std without rust-src is not reported (exit {r4.returncode}: {r4.stderr.strip()[-200:]})")
        open(os.path.join(sysroot, "lib", "rustlib", "src", "rust", "library", "std", "Cargo.toml"), "w").write("")
        r5, calls5, _ = run_xcframework_script(["--debug", "--build-std", "--out", os.path.join(tmp, "out5")], [nightly, STUBS], tmp)
        if r5.returncode != 0:
            out.append(f"--build-std failed (exit {r5.returncode}: {(r5.stderr or r5.stdout).strip()[-300:]})")
        else:
            builds = [c for c in calls5 if c.startswith("cargo") and "--crate-type staticlib" in c]
            if len(builds) != 3 or not all(
                    c.startswith("cargo +nightly rustc ")
                    and c.endswith("-Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind")
                    for c in builds):
                out.append(f"--build-std slices not built with +nightly -Zbuild-std: {builds}")
            if any(c.startswith("rustup target add") for c in calls5):
                out.append("--build-std still ran rustup target add")
    if not out:
        print("     device + lipo'd simulator slices, Headers/SidKitFFI/{SidKitFFI.h,module.modulemap}, zip, checksum, same Swift;"
              " --build-std: nightly and rust-src checked, slices built with +nightly -Zbuild-std")
    return out


RELEASE_SCRIPT = os.path.join(ROOT, "scripts", "release-ios.sh")


def release_script_problems():
    """scripts/release-ios.sh with the stub Apple tools on a copy of Package.swift: the zip's
    URL and checksum land in `releaseFFI` and nowhere else; bad arguments change nothing."""
    out = []
    decl = "let releaseFFI: (url: String, checksum: String)? = "
    with tempfile.TemporaryDirectory() as tmp:
        original = open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()
        manifest = os.path.join(tmp, "Package.swift")
        open(manifest, "w", encoding="utf-8").write(original)
        log = os.path.join(tmp, "calls.log")
        open(log, "w").close()
        real_cargo = subprocess.run(["bash", "-c", "command -v cargo"], capture_output=True, text=True).stdout.strip()
        env = dict(os.environ, PATH=":".join([STUBS, os.environ["PATH"]]), STUB_LOG=log, REAL_CARGO=real_cargo)
        saved = open(GENERATED, "rb").read()

        def release(*args):
            try:
                return subprocess.run(["bash", RELEASE_SCRIPT, "--package", manifest] + list(args), cwd=ROOT,
                                      env=env, capture_output=True, text=True, timeout=900)
            finally:
                open(GENERATED, "wb").write(saved)

        url = "https://example.com/sidkit/releases/download/1.2.3/SidKitFFI.xcframework.zip"
        dest = os.path.join(tmp, "out")
        for bad, why in [(["--version", "1.2", "--url", url], "not a semantic version"),
                         (["--version", "1.2.3", "--url", url.replace("https", "http")], "https URL"),
                         (["--version", "1.2.3", "--url", url + "?x=1"], "https URL"),
                         (["--version", "1.2.4", "--url", url], "does not name version"),
                         (["--version", "1.2.3"], "--url is required")]:
            r = release(*bad, "--out", dest, "--allow-dirty", "--debug")
            if r.returncode != 2 or why not in r.stderr:
                out.append(f"{bad}: exit {r.returncode}, {r.stderr.strip()[-160:]!r} (wanted 2 and {why!r})")
        if open(manifest, encoding="utf-8").read() != original:
            out.append("a refused run changed the manifest")
        r = release("--version", "1.2.3", "--url", url, "--out", dest, "--allow-dirty", "--debug")
        if r.returncode != 0:
            return out + [f"exit {r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}"]
        zip_path = os.path.join(dest, "SidKitFFI.xcframework.zip")
        digest = hashlib.sha256(open(zip_path, "rb").read()).hexdigest()
        after = open(manifest, encoding="utf-8").read()
        want = f'{decl}(url: "{url}", checksum: "{digest}")'
        if want not in after.splitlines():
            out.append(f"releaseFFI is not {want!r}")
        changed = [(a, b) for a, b in zip(original.splitlines(), after.splitlines()) if a != b]
        if len(changed) != 1 or len(original.splitlines()) != len(after.splitlines()):
            out.append(f"{len(changed)} lines changed instead of the one declaration")
        if "--debug --out" not in open(log).read() and "--profile dev" not in open(log).read():
            out.append("the --debug rehearsal did not build the debug library")
        r = release("--reset")
        if r.returncode != 0 or open(manifest, encoding="utf-8").read() != original:
            out.append(f"--reset did not restore releaseFFI = nil (exit {r.returncode})")
        broken = os.path.join(tmp, "Broken.swift")
        open(broken, "w").write(original.replace(decl, "let release: (url: String, checksum: String)? = "))
        r = subprocess.run(["bash", RELEASE_SCRIPT, "--package", broken, "--reset"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        if r.returncode == 0 or "exactly one line" not in r.stderr:
            out.append("a manifest without the releaseFFI line is not refused")
    if not out:
        print("     URL and zip checksum written into releaseFFI (one line), bad arguments refused, --reset")
    return out


# ---------------------------------------------------------------------------------------------
# 9. self-tests

API_MUTATIONS = [
    ("SmartIdFlowCoordinator.swift", "client.findFlow(returnUrl: text)", "client.findFlow(url: text)"),
    ("SmartIdFlowCoordinator.swift", "try? flow.markLaunched()", "try? flow.markLaunch()"),
    ("SmartIdError.swift", "self = .linkRejected(code: error.code(), reason: reason)",
     "self = .linkRejected(code: error.stableCode(), reason: reason)"),
    ("URLSessionBackendTransport.swift", "try startFlowResponseFromJson(json: body)", "try startFlowResponseFromJSON(json: body)"),
    ("SmartIdFlowCoordinator.swift", "private var currentFlow: SidkitFlow?", "private var currentFlow: SidKitFlow?"),
    ("SmartIdFlowCoordinator.swift", "presentation: Presentation = .app2app) async throws -> FlowOutcome {\n        try await run(FlowRequest(kind: .authentication",
     "presentation: Presentation = .app2App) async throws -> FlowOutcome {\n        try await run(FlowRequest(kind: .authentication"),
    ("SmartIdFlowCoordinator.swift", "FlowRequest(kind: .authentication, presentation: presentation, lang: lang.rawValue, context: nil)",
     "FlowRequest(kind: .authentication, presentation: presentation, language: lang.rawValue, context: nil)"),
]


def self_test_problems(gen_src, fresh_dir, lib_dir):
    out = []
    # syntax
    src = open(os.path.join(CORE_DIR, "SmartIdFlowCoordinator.swift"), "rb").read()
    broken = src.replace(b"step = try await flow.start()", b"step = try await flow.start(", 1)
    if broken == src or not syntax_problems_text("mutated", broken):
        out.append("syntax check: a dropped ')' was not detected")
    # stale generated Swift
    with tempfile.TemporaryDirectory() as tmp:
        mutated = os.path.join(tmp, "SidKit.swift")
        data = bytearray(open(GENERATED, "rb").read())
        data[len(data) // 2] ^= 0x01
        open(mutated, "wb").write(bytes(data))
        if not stale_problems(mutated, os.path.join(fresh_dir, "SidKit.swift")):
            out.append("stale check: a changed byte was not detected")
        # shellcheck
        sh = os.path.join(tmp, "bad.sh")
        open(sh, "w").write("#!/usr/bin/env bash\nset -euo pipefail\nrm -rf $1/build\n")
        if not shellcheck_problems(sh):
            out.append("shellcheck: an unquoted variable was not reported")
    # symbols
    header = open(os.path.join(fresh_dir, "SidKitFFI.h"), encoding="utf-8").read()
    modulemap = open(os.path.join(fresh_dir, "SidKitFFI.modulemap"), encoding="utf-8").read()
    fake = gen_src.decode() + "\n// uniffi_sidkit_fn_func_not_in_the_library(\n"
    if not any("uniffi_sidkit_fn_func_not_in_the_library" in p for p in symbol_problems(fake, header, modulemap, lib_dir)):
        out.append("symbol check: an unknown FFI function was not detected")
    # API: each wrong identifier must be found
    files = api_files()
    baseline = set(api_problems(gen_src, files)[0])
    for fname, old, new in API_MUTATIONS:
        key = rel(os.path.join(CORE_DIR, fname))
        mutated_files = []
        found = False
        for name, data in files:
            if name == key and old.encode() in data:
                data = data.replace(old.encode(), new.encode(), 1)
                found = True
            mutated_files.append((name, data))
        if not found:
            out.append(f"API self-test: {old!r} not found in {key} (update API_MUTATIONS)")
            continue
        problems, _ = api_problems(gen_src, mutated_files)
        problems = [p for p in problems if p not in baseline]
        if not problems:
            out.append(f"API check: {new!r} in {key} was not detected")
        else:
            print(f"     detected {new.splitlines()[0][:60]!r}: {problems[0].split(': ', 1)[1][:90]}")
    # Rust behaviour
    python_dir = os.path.join(os.path.dirname(fresh_dir), "python")
    r = run([sys.executable, os.path.join(HERE, "rust_contract.py"), python_dir, "--self-test"])
    if r.returncode == 0 or "FOREIGN_BASE" not in r.stdout:
        out.append("Rust behaviour check: a wrong expectation was not detected")
    # Package.swift
    package = open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()
    for old, new in [('path: "ios/Sources/SidKitUI"', 'path: "ios/Sources/SidKitUIs"'),
                     ('ios/build/SidKitFFI.xcframework', 'build/SidKitFFI.xcframework'),
                     ('        path: "ios/Sources/SidKitCore",\n        swiftSettings: strictConcurrency\n',
                      '        path: "ios/Sources/SidKitCore",\n        swiftSettings: [.unsafeFlags(["-strict-concurrency=complete"])]\n'),
                     ('#if !os(Linux)\n// SidKitUI', '#if os(macOS)\n// SidKitUI'),
                     ('let package = Package(\n    name: "SidKit",', 'let package = Package(\n    name: "SidKit",\n    dependencies: [.package(url: "https://github.com/apple/swift-crypto.git", from: "3.0.0")],')]:
        if old not in package or not package_problems(package.replace(old, new)):
            out.append(f"Package.swift check: {new!r} was not detected")
    # DocC
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "Undocumented.swift")
        open(p, "w").write("import Foundation\n\npublic func undocumented() {}\n")
        if not docc_problems([p]):
            out.append("DocC check: an undocumented public function was not detected")
    # test support: each mutation of the support sources, a test file or Package.swift is found
    support, tests = support_files(), test_target_files()
    for where, old, new in [
            ("support", "public final class FakeTransport", "final class FakeTransport"),
            ("support", "    public func cancelFlow(", "    func cancelFlow("),
            ("support", "public let callbackBase", "let callbackBase"),
            ("support", "import SidKit\n", "@testable import SidKit\n"),
            ("tests", "import SidKitTestSupport\n", ""),
            ("package", '"SidKitUI", "SidKitCore", "SidKit", "SidKitTestSupport"', '"SidKitUI", "SidKitCore", "SidKit"'),
    ]:
        s_files, t_files, pkg = support, tests, package
        if where == "support":
            s_files = [(n, d.replace(old.encode(), new.encode(), 1)) for n, d in support]
            changed = s_files != support
        elif where == "tests":
            t_files = [(n, d.replace(old.encode(), new.encode(), 1)) if "SidKitUITests" in n else (n, d) for n, d in tests]
            changed = t_files != tests
        else:
            pkg = package.replace(old, new, 1)
            changed = pkg != package
        if not changed:
            out.append(f"test-support self-test: {old!r} not found ({where}); update the mutation")
        elif not support_problems(s_files, t_files, pkg):
            out.append(f"test-support check: {old!r} -> {new!r} ({where}) was not detected")
    # portability: each mutation is found
    files = portability_files()
    core_file = rel(os.path.join(CORE_DIR, "SmartIdFlowCoordinator.swift"))
    transport_file = rel(os.path.join(CORE_DIR, "URLSessionBackendTransport.swift"))
    ui_test = rel(os.path.join(ROOT, "ios", "Tests", "SidKitUITests", "ObservableSmartIdFlowTests.swift"))
    ui_file = rel(os.path.join(UI_DIR, "KeychainSnapshotStore.swift"))
    for target, old, new, why in [
            (core_file, "import Foundation\n", "import Foundation\nimport UIKit\n", "Apple-only"),
            (core_file, "import Foundation\n", "import Foundation\n#if canImport(Combine)\nimport Combine\n#endif\n", "SidKitCore imports only"),
            (transport_file, "answer = try await Self.load(request, on: session)", "answer = try await session.data(for: request)", "FoundationNetworking"),
            (ui_test, "#if canImport(Combine) && canImport(Darwin)\n", "#if canImport(Darwin)\n", "Apple-only"),
            (ui_file, "#if canImport(Security)\nimport Security\n#endif\n", "import Security\n", "Apple-only"),
            (ui_file, "#if canImport(Security)\nimport Security\n#endif\n", "#if !canImport(Security)\nimport Security\n#endif\n", "Apple-only"),
    ]:
        mutated = [(n, t.replace(old, new, 1) if n == target else t) for n, t in files]
        if mutated == files:
            out.append(f"portability self-test: {old!r} not found in {target}; update the mutation")
            continue
        problems = portability_problems(mutated)
        if not any(why in p for p in problems):
            out.append(f"portability check: {new!r} in {target} was not detected")
    if not error_code_problems('case x: return "flow_canceled"'):
        out.append("error-code check: a code the core does not have was not detected")
    # concurrency hygiene: each mutation is found
    cfiles = concurrency_files()
    support_file = rel(os.path.join(SUPPORT_DIR, "FakeBackend.swift"))
    core_tests = rel(os.path.join(ROOT, "ios", "Tests", "SidKitCoreTests", "CoordinatorTests.swift"))
    for target, old, new, why in [
            (support_file, "public let callbackBase =", "public var callbackBase =", "global `var`"),
            (core_tests, "struct Timeout: Error {}", "struct Timeout: Error {}\nenum Shared {\n    static var count = 0\n}", "static stored"),
            (support_file, "    // @unchecked: every mutable property", "    // every mutable property", "@unchecked Sendable without"),
            (core_tests, "final class CoordinatorTests: XCTestCase {\n", "final class CoordinatorTests: XCTestCase {\n    override func setUp() async throws {}\n", "overrides setUp"),
    ]:
        mutated = [(n, t.replace(old, new, 1) if n == target else t) for n, t in cfiles]
        if mutated == cfiles:
            out.append(f"concurrency self-test: {old!r} not found in {target}; update the mutation")
        elif not any(why in p for p in concurrency_problems(mutated)):
            out.append(f"concurrency check: {new!r} in {target} was not detected")
    # symbolic links
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.join(SUPPORT_DIR, "FakeBackend.swift"), os.path.join(tmp, "FakeBackend.swift"))
        if not symlink_problems([tmp]):
            out.append("symbolic-link check: a link was not detected")
    return out


def main():
    fresh_dir, lib_dir = sys.argv[1], sys.argv[2]
    scripts = sorted(glob.glob(os.path.join(ROOT, "scripts", "*.sh"))) + [os.path.join(ROOT, "tests", "ios", "run.sh")]
    scripts += sorted(p for p in glob.glob(os.path.join(STUBS, "*")) if not p.endswith(".md"))
    for s in scripts:
        check(f"shellcheck {rel(s)}", lambda s=s: shellcheck_problems(s))
    for f in swift_files():
        check(f"tree-sitter-swift parses {rel(f)}",
              lambda f=f: syntax_problems_text(rel(f), open(f, "rb").read()))
    check("Package.swift: targets, paths, platforms", package_problems)
    check("ios/Sources/SidKit/Generated/SidKit.swift is up to date",
          lambda: stale_problems(GENERATED, os.path.join(fresh_dir, "SidKit.swift")))
    gen_text = open(GENERATED, encoding="utf-8").read()
    check("FFI symbols of the generated Swift: header, libsidkit.a, libsidkit.so, module map",
          lambda: symbol_problems(gen_text, open(os.path.join(fresh_dir, "SidKitFFI.h"), encoding="utf-8").read(),
                                  open(os.path.join(fresh_dir, "SidKitFFI.modulemap"), encoding="utf-8").read(), lib_dir))
    gen_src = open(GENERATED, "rb").read()

    def api():
        problems, checked = api_problems(gen_src, api_files())
        if not problems:
            print(f"     {checked} type, function, member and label references checked")
        return problems
    check("wrapper, tests and sample use only the generated API (names and labels)", api)
    check("DocC: every public declaration of SidKitCore and SidKitUI is documented",
          lambda: docc_problems(sorted(glob.glob(os.path.join(CORE_DIR, "*.swift")) + glob.glob(os.path.join(UI_DIR, "*.swift"))),
                                minimum=60))
    check("portability: no unguarded Apple-only import in ios/Sources and ios/Tests; SidKitCore imports only "
          "Foundation/FoundationNetworking/SidKit/SidKitFFI and calls no data(for:)",
          lambda: portability_problems(portability_files()))
    check("SmartIdError names only codes of the core's SidkitError::code()", error_code_problems)
    check("concurrency by reading: no global/static stored var, no nonisolated(unsafe), every @unchecked Sendable "
          "explained, no setUp/tearDown in @MainActor test classes", lambda: concurrency_problems(concurrency_files()))
    check("SidKitTestSupport: public to the test targets, which import it and depend on it",
          lambda: support_problems(support_files(), test_target_files(),
                                   open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()))
    check("no symbolic links under ios/ and tests/",
          lambda: symlink_problems([os.path.join(ROOT, "ios"), os.path.join(ROOT, "tests")]))
    python_dir = os.path.join(os.path.dirname(fresh_dir), "python")

    def rust_contract():
        r = run([sys.executable, os.path.join(HERE, "rust_contract.py"), python_dir])
        return (r.stdout + r.stderr).strip().splitlines() if r.returncode != 0 else []
    check("Rust behaviour the coordinator relies on (router kinds, start/cancel/restore), via Python bindings",
          rust_contract)
    check("scripts/build-xcframework.sh end to end with stub Apple tools",
          xcframework_script_problems)
    check("scripts/release-ios.sh rewrites releaseFFI with the zip's URL and checksum",
          release_script_problems)
    for name, fn in snapshotcheck.checks():
        check(name, fn)
    for name, fn in platformparity.checks():
        check(name, fn)
    check("self-tests: each platform-parity check fails on a deliberately broken input",
          platformparity.self_test_problems)
    check("self-tests: each check fails on a deliberately broken input",
          lambda: self_test_problems(gen_src, fresh_dir, lib_dir))
    check("self-tests: each snapshot-storage check fails on a deliberately broken input",
          snapshotcheck.self_test_problems)
    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
