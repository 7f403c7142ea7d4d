#!/usr/bin/env bash
# Builds the mobile library (package sidkit-mobile, lib `sidkit`) and generates its Kotlin and
# Swift bindings from the built, unstripped library with the pinned uniffi-bindgen.
#
#   scripts/generate-bindings.sh [--profile dev|release|mobile] [--out DIR] [--target TRIPLE]
#
# Output (default DIR = target/bindings):
#   DIR/kotlin/dev/sidkit/ffi/sidkit.kt        Kotlin, package dev.sidkit.ffi (loads libsidkit)
#   DIR/swift/SidKit.swift                     Swift module SidKit
#   DIR/swift/SidKitFFI.h, SidKitFFI.modulemap C header + Apple module map of the FFI module
#   DIR/swift/module.modulemap                 the same module for SwiftPM on Linux (links libsidkit)
#   DIR/lib                                    path of the library the bindings were made from
#
# The library is built alone (`-p sidkit-mobile`) so that uniffi's `cli` feature, which the
# bindgen binary needs, is not unified into it. Bindgen reads the metadata symbols of the
# library, so it must not be stripped before this runs (profile `mobile` strips only debug info).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=dev
OUT=target/bindings
TARGET=
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

case "$PROFILE" in
  dev) DIR=debug ;;
  *) DIR=$PROFILE ;;
esac
TARGET_ARGS=()
LIBDIR=target/$DIR
if [ -n "$TARGET" ]; then
  TARGET_ARGS=(--target "$TARGET")
  LIBDIR=target/$TARGET/$DIR
fi

cargo build --quiet -p sidkit-mobile --profile "$PROFILE" "${TARGET_ARGS[@]}"
cargo build --quiet -p uniffi-bindgen

LIB=
for ext in so dylib a; do
  if [ -f "$LIBDIR/libsidkit.$ext" ]; then LIB=$LIBDIR/libsidkit.$ext; break; fi
done
if [ -z "$LIB" ]; then
  echo "generate-bindings: no libsidkit in $LIBDIR" >&2
  exit 1
fi

rm -rf "$OUT/kotlin" "$OUT/swift"
for lang in kotlin swift; do
  target/debug/uniffi-bindgen generate --no-format --config uniffi.toml \
    --language "$lang" --out-dir "$OUT/$lang" "$LIB"
done

cat > "$OUT/swift/module.modulemap" <<'MAP'
module SidKitFFI {
    header "SidKitFFI.h"
    link "sidkit"
    export *
}
MAP
echo "$PWD/$LIB" > "$OUT/lib"
echo "generate-bindings: $LIB -> $OUT/{kotlin,swift}"
