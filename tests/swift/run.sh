#!/usr/bin/env bash
# Swift checks without a Swift compiler (none is available for this platform): tree-sitter-swift
# parses the generated Swift, the root Package.swift and the hand-written XCTest files of the
# bindings (the test target SidKitTests and the fake backend of SidKitTestSupport, under
# ios/Tests), the tests' calls match the generated API's argument labels, the C header compiles
# and is callable from C, and every function the header declares is exported by the library.
# See tests/swift/check.py; tests/ios/run.sh checks the rest of ios/.
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
  Package.swift ios/Tests/SidKitTests/*.swift ios/Tests/SidKitTestSupport/*.swift
