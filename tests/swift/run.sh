#!/usr/bin/env bash
# Swift checks without a Swift compiler (none is available for this platform): tree-sitter-swift
# parses the generated Swift, Package.swift and the hand-written XCTest files, the tests' calls
# match the generated API's argument labels, the C header compiles and is callable from C, and
# every function the header declares is exported by the library. See tests/swift/check.py.
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${SIDKIT_TOOLS:-$PWD/.tools}
if ! "$TOOLS/venv/bin/python" -c 'import tree_sitter_swift' >/dev/null 2>&1; then scripts/bootstrap.sh; fi
if ! scripts/generate-bindings.sh --out target/bindings >/dev/null; then
  echo "swift: generating the bindings failed"; echo "0 passed, 1 failed"; exit 1
fi
LIBDIR=$(dirname "$(cat target/bindings/lib)")
exec "$TOOLS/venv/bin/python" tests/swift/check.py target/bindings/swift "$LIBDIR" \
  tests/swift/Package.swift tests/swift/Tests/SidKitTests/*.swift
