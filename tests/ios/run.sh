#!/usr/bin/env bash
# iOS checks without Xcode or a Swift compiler (neither exists on Linux): shellcheck of the
# scripts, tree-sitter-swift syntax of every Swift file of ios/ (sources, test targets, test
# support, sample) and Package.swift, Package.swift's targets, the checked-in generated Swift
# against a fresh generation, FFI symbol parity (generated Swift -> header -> libsidkit.a /
# libsidkit.so), the wrapper's and tests' use of the generated API, DocC comments, the
# test-support target's public API, portability (no unguarded Apple-only import, a
# Foundation-only SidKitCore), concurrency by reading, the platform-API table against the Swift
# and Kotlin wrappers (tests/ios/platform_parity.py), and self-tests that each check can fail.
# See tests/ios/ios_check.py.
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${SIDKIT_TOOLS:-$PWD/.tools}
if ! "$TOOLS/venv/bin/python" -c 'import tree_sitter_swift' >/dev/null 2>&1 \
  || ! command -v shellcheck >/dev/null 2>&1; then
  scripts/bootstrap.sh
fi
OUT=target/bindings-ios
if ! scripts/generate-bindings.sh --out "$OUT" >/dev/null; then
  echo "ios: generating the bindings failed"
  echo "0 passed, 1 failed"
  exit 1
fi
LIBDIR=$(dirname "$(cat "$OUT/lib")")
# Python bindings of the same library, for the checks of the Rust behaviour SidKitUI relies on.
rm -rf "$OUT/python"
target/debug/uniffi-bindgen generate --no-format --config uniffi.toml --language python \
  --out-dir "$OUT/python" "$LIBDIR/libsidkit.so" >/dev/null
cp "$LIBDIR/libsidkit.so" "$OUT/python/"
exec "$TOOLS/venv/bin/python" tests/ios/ios_check.py "$OUT/swift" "$LIBDIR"
