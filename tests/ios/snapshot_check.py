"""Where SidKitUI keeps the flow snapshot: static checks for machines without swiftc (issue 12).

The snapshot holds the flow key, a secret bearer credential for one flow, so it must live in the
Keychain (this device only, not synchronized), never in UserDefaults / @AppStorage /
@SceneStorage. Used by tests/ios/ios_check.py, which runs `checks()` and `self_test_problems()`;
each check takes the texts it looks at, so that the self-tests can hand it broken ones.

1. default store: SidKitUI's `SmartIdFlowCoordinator(configuration:transport:opener:)`
   (AppleCoordinator.swift) passes `snapshotStore: KeychainSnapshotStore()`, and SidKitCore's
   coordinator has no default store at all (the app says where the flow key goes).
2. Keychain query: KeychainSnapshotStore calls SecItemAdd / SecItemCopyMatching / SecItemUpdate
   / SecItemDelete on a kSecClassGenericPassword item named by kSecAttrService + kSecAttrAccount,
   with kSecAttrAccessibleWhenUnlockedThisDeviceOnly (and no other accessibility) and
   kSecAttrSynchronizable false.
3. Linux: in KeychainSnapshotStore.swift and in SidKitCore's FlowSnapshotStore.swift every
   Security-framework name, `import Security` included, is inside `#if canImport(Security)`.
4. No UserDefaults for snapshots: in SidKitCore, SidKitUI and the sample, UserDefaults appears only to remove
   the value earlier versions wrote; no @AppStorage, @SceneStorage or NSUbiquitousKeyValueStore.
5. Docs: SidKitUI's DocC and docs/integration-ios.md no longer call the snapshot secret-free,
   use or link no UserDefaultsSnapshotStore (the guide says it was removed), suggest no @SceneStorage, and the guide names the Keychain
   store and its accessibility.
6. The XCTests that prove the same on a Mac exist (ios/Tests/SidKitUITests/SnapshotStoreTests.swift).
"""
import glob
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
UI = os.path.join(ROOT, "ios", "Sources", "SidKitUI")
CORE = os.path.join(ROOT, "ios", "Sources", "SidKitCore")
COORDINATOR = os.path.join(CORE, "SmartIdFlowCoordinator.swift")
APPLE_COORDINATOR = os.path.join(UI, "AppleCoordinator.swift")
STORE = os.path.join(UI, "KeychainSnapshotStore.swift")
CORE_STORE = os.path.join(CORE, "FlowSnapshotStore.swift")
TESTS = os.path.join(ROOT, "ios", "Tests", "SidKitUITests", "SnapshotStoreTests.swift")
GUIDE = os.path.join(ROOT, "docs", "integration-ios.md")


def read(path):
    return open(path, encoding="utf-8").read()


def code_only(text):
    """The text without // comments (doc comments included) and string literals' contents."""
    out = []
    for line in text.splitlines():
        line = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
        out.append(line.split("//")[0])
    return "\n".join(out)


# 1 ------------------------------------------------------------------------------------------

DEFAULT = re.compile(r"snapshotStore:\s*FlowSnapshotStore\?\s*=\s*(\w+(?:\([^)\n]*\))?)")
PASSED = re.compile(r"snapshotStore:\s*(\w+\([^)\n]*\)|nil)")


def default_store_problems(coordinator, apple):
    """coordinator: SidKitCore's SmartIdFlowCoordinator.swift; apple: SidKitUI's AppleCoordinator.swift."""
    out = [f"SidKitCore's SmartIdFlowCoordinator has a default snapshot store ({d}); the app must choose"
           for d in DEFAULT.findall(code_only(coordinator))]
    passed = [d.strip() for d in PASSED.findall(code_only(apple))]
    if not passed:
        out.append("SidKitUI's SmartIdFlowCoordinator(configuration:transport:opener:) passes no snapshotStore")
    out += [f"SidKitUI's coordinator initializer stores the snapshot in {d}, not KeychainSnapshotStore()"
            for d in passed if d != "KeychainSnapshotStore()"]
    return out


# 2 ------------------------------------------------------------------------------------------

def keychain_problems(store):
    code = code_only(store)
    out = []
    if not re.search(r"\bclass KeychainSnapshotStore\s*:\s*FlowSnapshotStore\b", code):
        out.append("no `class KeychainSnapshotStore: FlowSnapshotStore`")
    for fn in ["SecItemAdd", "SecItemCopyMatching", "SecItemUpdate", "SecItemDelete"]:
        if not re.search(rf"\b{fn}\(", code):
            out.append(f"KeychainSnapshotStore does not call {fn}")
    for key, value in [("kSecClass", "kSecClassGenericPassword"), ("kSecAttrService", "service"),
                       ("kSecAttrAccount", "account"),
                       ("kSecAttrAccessible", "kSecAttrAccessibleWhenUnlockedThisDeviceOnly")]:
        if not re.search(rf"\b{key} as String:\s*{value}\b", code):
            out.append(f"the Keychain query lacks `{key} as String: {value}`")
    others = sorted(set(re.findall(r"\bkSecAttrAccessible\w+", code)) - {"kSecAttrAccessibleWhenUnlockedThisDeviceOnly"})
    out += [f"another accessibility is used: {o}" for o in others]
    sync = re.findall(r"\bkSecAttrSynchronizable(?:Any)?\b(?: as String)?\s*:\s*([^,\n\]]+)", code)
    if not sync:
        out.append("the Keychain query does not set kSecAttrSynchronizable")
    out += [f"kSecAttrSynchronizable is {s.strip()}, not false" for s in sync
            if s.strip() not in ("false", "kCFBooleanFalse", "kCFBooleanFalse!")]
    if "kSecAttrSynchronizableAny" in code:
        out.append("kSecAttrSynchronizableAny matches iCloud Keychain items too")
    return out


# 3 ------------------------------------------------------------------------------------------

SECURITY_NAME = re.compile(r"\b(Sec[A-Z]\w*|kSec\w+|errSec\w+|kCFBoolean\w+|CFTypeRef|CFDictionary|OSStatus)\b|^\s*import Security\b")


def guard_problems(name, text):
    """Security names outside `#if canImport(Security)` ... `#endif` in a Foundation-only file."""
    out, stack = [], []
    for i, line in enumerate(code_only(text).splitlines(), 1):
        s = line.strip()
        if s.startswith("#if"):
            stack.append(s == "#if canImport(Security)")
            continue
        if s.startswith("#endif"):
            if stack:
                stack.pop()
            continue
        if s.startswith("#else") or s.startswith("#elseif"):
            if stack:
                stack[-1] = False
            continue
        m = SECURITY_NAME.search(line)
        if m and not any(stack):
            out.append(f"{name}:{i}: {m.group(0).strip()} outside `#if canImport(Security)` (breaks the Linux build)")
    if stack:
        out.append(f"{name}: unbalanced #if")
    return out


# 4 ------------------------------------------------------------------------------------------

LEGACY_REMOVAL = "UserDefaults.standard.removeObject(forKey: KeychainSnapshotStore.legacyDefaultsKey)"


def user_defaults_problems(files):
    """files: [(name, text)] of SidKitUI and the sample."""
    out = []
    for name, text in files:
        for i, line in enumerate(code_only(text).splitlines(), 1):
            if "UserDefaults" in line and line.strip() != LEGACY_REMOVAL:
                out.append(f"{name}:{i}: UserDefaults used (only `{LEGACY_REMOVAL}` may be): {line.strip()[:80]}")
            for bad in ["@AppStorage", "@SceneStorage", "NSUbiquitousKeyValueStore"]:
                if bad in line:
                    out.append(f"{name}:{i}: {bad} is not for the snapshot (it holds the flow key)")
    return out


# 5 ------------------------------------------------------------------------------------------

def docs_problems(files, guide):
    """files: [(name, text)] of SidKitUI's sources and DocC; guide: docs/integration-ios.md."""
    out = []
    for name, text in files + [("docs/integration-ios.md", guide)]:
        low = text.lower()
        if "secret-free" in low or "secret free" in low:
            out.append(f"{name} still calls the snapshot secret-free")
        if re.search(r"UserDefaultsSnapshotStore\(|``UserDefaultsSnapshotStore``", text):
            out.append(f"{name} uses or links UserDefaultsSnapshotStore")
        if re.search(r"@SceneStorage\(", text) or re.search(r"mirror\b[^.]*@SceneStorage", text):
            out.append(f"{name} suggests keeping the snapshot in @SceneStorage")
    for needle in ["KeychainSnapshotStore", "kSecAttrAccessibleWhenUnlockedThisDeviceOnly", "flow key"]:
        if needle not in guide:
            out.append(f"docs/integration-ios.md does not mention {needle}")
    return out


# 6 ------------------------------------------------------------------------------------------

def xctest_problems(tests):
    out = []
    for fn in ["testTheCoordinatorsDefaultStoreIsTheKeychain", "testTheItemStaysOnThisDeviceAndIsNotSynchronized",
               "testStoreRoundTripOverwriteAndDelete", "testTheUserDefaultsValueOfEarlierVersionsIsRemovedUnread"]:
        if not re.search(rf"\bfunc {fn}\(", tests):
            out.append(f"SnapshotStoreTests.swift has no {fn}")
    if not re.search(r"SmartIdFlowCoordinator\(configuration: [^\n]*opener: opener\)\n", tests):
        out.append("no test builds a coordinator without a snapshotStore argument (its default)")
    return out


# ---------------------------------------------------------------------------------------------

def ui_files():
    paths = sorted(glob.glob(os.path.join(UI, "**", "*.swift"), recursive=True))
    paths += sorted(glob.glob(os.path.join(CORE, "**", "*.swift"), recursive=True))
    paths += sorted(glob.glob(os.path.join(UI, "**", "*.md"), recursive=True))
    return [(os.path.relpath(p, ROOT), read(p)) for p in paths]


def sample_files():
    paths = sorted(glob.glob(os.path.join(ROOT, "ios", "Sample", "**", "*.swift"), recursive=True))
    return [(os.path.relpath(p, ROOT), read(p)) for p in paths]


def checks():
    """[(name, fn)] for ios_check.py's check()."""
    swift_ui = [f for f in ui_files() if f[0].endswith(".swift")]
    return [
        ("snapshot: SidKitUI's coordinator initializer keeps it in KeychainSnapshotStore(); SidKitCore has no default",
         lambda: default_store_problems(read(COORDINATOR), read(APPLE_COORDINATOR))),
        ("snapshot: the Keychain item is a generic password, WhenUnlockedThisDeviceOnly, not synchronized",
         lambda: keychain_problems(read(STORE))),
        ("snapshot: the Security framework is used only inside #if canImport(Security)",
         lambda: guard_problems(os.path.relpath(STORE, ROOT), read(STORE))
         + guard_problems(os.path.relpath(CORE_STORE, ROOT), read(CORE_STORE))),
        ("snapshot: no UserDefaults, @AppStorage or @SceneStorage for it in SidKitCore, SidKitUI and the sample",
         lambda: user_defaults_problems(swift_ui + sample_files())),
        ("snapshot: DocC and docs/integration-ios.md say it holds the flow key and where it goes",
         lambda: docs_problems(ui_files(), read(GUIDE))),
        ("snapshot: the XCTests of the Keychain store exist",
         lambda: xctest_problems(read(TESTS))),
    ]


def self_test_problems():
    """Each check must fail on a deliberately broken input."""
    out = []
    coordinator, store, guide = read(COORDINATOR), read(STORE), read(GUIDE)
    apple = read(APPLE_COORDINATOR)
    swift_ui = [f for f in ui_files() if f[0].endswith(".swift")]

    def mutated(text, old, new, what):
        if old not in text:
            out.append(f"snapshot self-test: {old!r} not found in {what} (update the mutation)")
            return None
        return text.replace(old, new, 1)

    cases = [
        (lambda t: default_store_problems(coordinator, t), apple, "snapshotStore: KeychainSnapshotStore()",
         "snapshotStore: UserDefaultsSnapshotStore()", "AppleCoordinator.swift"),
        (lambda t: default_store_problems(t, apple), coordinator, "snapshotStore: FlowSnapshotStore?) {",
         "snapshotStore: FlowSnapshotStore? = InMemorySnapshotStore()) {", "SmartIdFlowCoordinator.swift"),
        (lambda t: keychain_problems(t), store, "kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly",
         "kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlock", "KeychainSnapshotStore.swift"),
        (lambda t: keychain_problems(t), store, "kSecAttrSynchronizable as String: false",
         "kSecAttrSynchronizable as String: true", "KeychainSnapshotStore.swift"),
        (lambda t: keychain_problems(t), store, "SecItemDelete(", "SecItemRemove(", "KeychainSnapshotStore.swift"),
        (lambda t: guard_problems("KeychainSnapshotStore.swift", t), store, "#if canImport(Security)\nimport Security\n#endif\n",
         "import Security\n", "KeychainSnapshotStore.swift"),
        (lambda t: user_defaults_problems([("KeychainSnapshotStore.swift", t)]), store, "    public func save(_ snapshot: String?) {\n        try? write(snapshot)",
         "    public func save(_ snapshot: String?) {\n        UserDefaults.standard.set(snapshot, forKey: \"k\")", "KeychainSnapshotStore.swift"),
        (lambda t: user_defaults_problems([("SmartIdFlowCoordinator.swift", t)]), coordinator, "public private(set) var snapshot: String?",
         "@SceneStorage(\"sidkit\") public var snapshot: String?", "SmartIdFlowCoordinator.swift"),
        (lambda t: docs_problems([], t.replace("flow key", "key")), guide, "flow key", "key", "docs/integration-ios.md"),
        (lambda t: docs_problems([], t), guide, "### Storing the snapshot\n",
         "### Storing the snapshot\n\n`@SceneStorage(\"smartIdFlow\") var saved: String?`\n", "docs/integration-ios.md"),
        (lambda t: docs_problems([("GettingStarted.md", t)], guide), "The snapshot holds the flow key", "The snapshot holds the flow key",
         "The secret-free snapshot", "a DocC article"),
        (lambda t: docs_problems([("SidKitUI.md", t)], guide), "- ``KeychainSnapshotStore``", "KeychainSnapshotStore",
         "UserDefaultsSnapshotStore", "a DocC topic list"),
    ]
    for check, text, old, new, what in cases:
        broken = mutated(text, old, new, what) if old else text
        if broken is None:
            continue
        if not check(broken):
            out.append(f"snapshot check: {old!r} -> {new!r} in {what} was not detected")
    if not user_defaults_problems(swift_ui + [("Sample.swift", '@SceneStorage("smartIdFlow") var saved: String?\n')]):
        out.append("snapshot check: @SceneStorage in the sample was not detected")
    tests = read(TESTS)
    broken = tests.replace("opener: opener)\n", "opener: opener, snapshotStore: InMemorySnapshotStore())\n", 1)
    if broken == tests or not xctest_problems(broken):
        out.append("snapshot check: a default-store test that passes a store was not detected")
    if not out:
        print("     the snapshot checks fail on a UserDefaults default, another accessibility, a synchronizable "
              "item, a missing SecItemDelete, an unguarded import, UserDefaults/@SceneStorage use and stale docs")
    return out
