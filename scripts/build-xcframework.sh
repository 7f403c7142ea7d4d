#!/usr/bin/env bash
# Builds SidKitFFI.xcframework (the Rust library `libsidkit` for iOS devices and simulators, with
# its C header and module map), the Swift bindings of the `SidKit` target, a zip of the framework
# and its SwiftPM checksum. Runs on macOS with Xcode and rustup.
#
#   scripts/build-xcframework.sh [--release | --debug] [--out DIR] [--macos] [--bindings-only]
#                                [--build-std]
#
#   --release        size-optimised library, cargo profile `mobile` (default)
#   --debug          unoptimised library, cargo profile `dev` (faster to build)
#   --out DIR        where the framework and the zip go (default: ios/build)
#   --macos          add a macOS slice (arm64 + x86_64), so that `swift test` runs on a Mac
#   --bindings-only  only regenerate ios/Sources/SidKit/Generated/SidKit.swift from a host build
#                    (works on Linux too; no Xcode needed)
#   --build-std      opt-in, nightly Rust: rebuild the standard library with the library
#                    (-Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind): std without
#                    its `backtrace` feature (the symbolizer behind RUST_BACKTRACE, about 80 KB that
#                    an app never uses) and optimised with the profile; panics still unwind, so
#                    UniFFI still turns them into errors. Expected: roughly 80-100 KB less per
#                    slice (not measured in this repository's CI). Needs the toolchain
#                    $SIDKIT_NIGHTLY (default `nightly`) with rust-src:
#                      rustup toolchain install nightly --component rust-src
#
# Output:
#   DIR/SidKitFFI.xcframework      ios-arm64 + ios-arm64_x86_64-simulator (+ macos-arm64_x86_64)
#   DIR/SidKitFFI.xcframework.zip  for a release: upload it and put the printed checksum into
#                                  Package.swift (`releaseFFI`)
#   ios/Sources/SidKit/Generated/SidKit.swift   the generated Swift, from the same library
#
# Environment: IPHONEOS_DEPLOYMENT_TARGET (default 15.0), MACOSX_DEPLOYMENT_TARGET (default 12.0),
# SIDKIT_NIGHTLY (the toolchain of --build-std, default `nightly`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PROFILE=mobile
OUT=ios/build
MACOS=0
BINDINGS_ONLY=0
BUILD_STD=0
NIGHTLY=${SIDKIT_NIGHTLY:-nightly}
GENERATED_SWIFT=ios/Sources/SidKit/Generated/SidKit.swift

die() {
  echo "build-xcframework: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --release) PROFILE=mobile; shift ;;
    --debug) PROFILE=dev; shift ;;
    --out)
      [ $# -ge 2 ] || die "--out needs a directory"
      OUT=$2; shift 2 ;;
    --macos) MACOS=1; shift ;;
    --bindings-only) BINDINGS_ONLY=1; shift ;;
    --build-std) BUILD_STD=1; shift ;;
    -h|--help) sed -n 2,31p "$0"; exit 0 ;;
    *) echo "build-xcframework: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

case "$PROFILE" in
  dev) PROFILE_DIR=debug ;;
  *) PROFILE_DIR=$PROFILE ;;
esac

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found: $2"
}

need cargo "install Rust with rustup (https://rustup.rs)"

# The bindgen binary always runs on the host; it reads the UniFFI metadata of a built library.
build_bindgen() {
  cargo build --quiet -p uniffi-bindgen
  BINDGEN=$ROOT/target/debug/uniffi-bindgen
  [ -x "$BINDGEN" ] || die "the uniffi-bindgen binary was not built at $BINDGEN"
}

# generate_swift LIB DIR: SidKit.swift, SidKitFFI.h and SidKitFFI.modulemap from LIB into DIR.
generate_swift() {
  rm -rf "$2"
  "$BINDGEN" generate --no-format --config uniffi.toml --language swift --out-dir "$2" "$1"
  for f in SidKit.swift SidKitFFI.h; do
    [ -s "$2/$f" ] || die "bindgen did not write $2/$f (was the library stripped?)"
  done
}

install_swift() {
  mkdir -p "$(dirname "$GENERATED_SWIFT")"
  cp "$1/SidKit.swift" "$GENERATED_SWIFT"
  echo "build-xcframework: wrote $GENERATED_SWIFT"
}

if [ "$BINDINGS_ONLY" -eq 1 ]; then
  # The metadata is the same for every target and profile, so a host build gives the same Swift
  # as the iOS build (tests/ios/run.sh checks the checked-in copy against it), so the quick debug
  # build is enough.
  cargo build --quiet -p sidkit-mobile --lib
  HOST_LIB=target/debug/libsidkit.a
  [ -f "$HOST_LIB" ] || die "cargo did not produce $HOST_LIB"
  build_bindgen
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  generate_swift "$HOST_LIB" "$TMP/swift"
  install_swift "$TMP/swift"
  exit 0
fi

[ "$(uname -s)" = Darwin ] || die "an XCFramework can only be built on macOS (use --bindings-only elsewhere)"
need rustup "install Rust with rustup (https://rustup.rs); Homebrew's rust has no iOS targets"
need xcodebuild "install Xcode and run: sudo xcode-select -s /Applications/Xcode.app"
need xcrun "install Xcode's command line tools: xcode-select --install"
need lipo "install Xcode's command line tools: xcode-select --install"
need ditto "ditto is part of macOS"
xcodebuild -version >/dev/null 2>&1 \
  || die "xcodebuild does not work (only the command line tools selected?): sudo xcode-select -s /Applications/Xcode.app"

# --build-std: a nightly toolchain with rust-src, checked before anything is built.
CARGO_TOOLCHAIN=()
BUILD_STD_ARGS=()
if [ "$BUILD_STD" -eq 1 ]; then
  # shellcheck source=scripts/build-std.sh
  . scripts/build-std.sh
  check_build_std "$NIGHTLY" build-xcframework
fi

export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-15.0}
export MACOSX_DEPLOYMENT_TARGET=${MACOSX_DEPLOYMENT_TARGET:-12.0}

IOS_TARGETS=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
MAC_TARGETS=(aarch64-apple-darwin x86_64-apple-darwin)
TARGETS=("${IOS_TARGETS[@]}")
if [ "$MACOS" -eq 1 ]; then TARGETS+=("${MAC_TARGETS[@]}"); fi

if [ "$BUILD_STD" -eq 0 ]; then   # --build-std compiles std from rust-src instead
  echo "build-xcframework: rustup target add ${TARGETS[*]}"
  rustup target add "${TARGETS[@]}" >/dev/null
fi

# Only the staticlib: an XCFramework of a static library needs no linking here, and the
# package's cdylib crate type would otherwise be linked for every target.
for t in "${TARGETS[@]}"; do
  case "$t" in
    *-apple-darwin) echo "build-xcframework: cargo ($PROFILE) for $t, macOS $MACOSX_DEPLOYMENT_TARGET" ;;
    *) echo "build-xcframework: cargo ($PROFILE) for $t, iOS $IPHONEOS_DEPLOYMENT_TARGET" ;;
  esac
  cargo ${CARGO_TOOLCHAIN[@]+"${CARGO_TOOLCHAIN[@]}"} rustc --quiet -p sidkit-mobile --lib \
    --crate-type staticlib --profile "$PROFILE" --target "$t" \
    ${BUILD_STD_ARGS[@]+"${BUILD_STD_ARGS[@]}"}
  [ -f "target/$t/$PROFILE_DIR/libsidkit.a" ] || die "cargo did not produce target/$t/$PROFILE_DIR/libsidkit.a"
done

WORK=$ROOT/target/xcframework/$PROFILE_DIR
rm -rf "$WORK"
mkdir -p "$WORK/ios" "$WORK/ios-simulator" "$WORK/headers/SidKitFFI"

cp "target/aarch64-apple-ios/$PROFILE_DIR/libsidkit.a" "$WORK/ios/libsidkit.a"
lipo -create \
  "target/aarch64-apple-ios-sim/$PROFILE_DIR/libsidkit.a" \
  "target/x86_64-apple-ios/$PROFILE_DIR/libsidkit.a" \
  -output "$WORK/ios-simulator/libsidkit.a"
if [ "$MACOS" -eq 1 ]; then
  mkdir -p "$WORK/macos"
  lipo -create \
    "target/aarch64-apple-darwin/$PROFILE_DIR/libsidkit.a" \
    "target/x86_64-apple-darwin/$PROFILE_DIR/libsidkit.a" \
    -output "$WORK/macos/libsidkit.a"
fi

# Bindings from the device library that ships (same metadata as every other slice).
build_bindgen
generate_swift "$WORK/ios/libsidkit.a" "$WORK/bindings"

# Each slice gets Headers/SidKitFFI/{SidKitFFI.h,module.modulemap}. The subdirectory keeps this
# module map from colliding with other XCFrameworks' in the app's build directory; clang finds
# `<include dir>/SidKitFFI/module.modulemap` when Swift says `import SidKitFFI`.
cp "$WORK/bindings/SidKitFFI.h" "$WORK/headers/SidKitFFI/SidKitFFI.h"
cp "$WORK/bindings/SidKitFFI.modulemap" "$WORK/headers/SidKitFFI/module.modulemap"
grep -q '^module SidKitFFI ' "$WORK/headers/SidKitFFI/module.modulemap" \
  || die "the generated module map does not define module SidKitFFI"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
FRAMEWORK=$OUT/SidKitFFI.xcframework
rm -rf "$FRAMEWORK" "$FRAMEWORK.zip"
ARGS=(-library "$WORK/ios/libsidkit.a" -headers "$WORK/headers"
      -library "$WORK/ios-simulator/libsidkit.a" -headers "$WORK/headers")
if [ "$MACOS" -eq 1 ]; then ARGS+=(-library "$WORK/macos/libsidkit.a" -headers "$WORK/headers"); fi
xcodebuild -create-xcframework "${ARGS[@]}" -output "$FRAMEWORK" >/dev/null \
  || die "xcodebuild -create-xcframework failed"

install_swift "$WORK/bindings"

(cd "$OUT" && ditto -c -k --sequesterRsrc --keepParent SidKitFFI.xcframework SidKitFFI.xcframework.zip)

CHECKSUM=
if command -v swift >/dev/null 2>&1; then
  CHECKSUM=$(swift package compute-checksum "$FRAMEWORK.zip" 2>/dev/null || true)
fi
if [ -z "$CHECKSUM" ]; then
  CHECKSUM=$(shasum -a 256 "$FRAMEWORK.zip" | cut -d' ' -f1)
fi

echo "build-xcframework: $FRAMEWORK"
echo "build-xcframework: $FRAMEWORK.zip ($(du -h "$FRAMEWORK.zip" | cut -f1))"
echo "build-xcframework: checksum $CHECKSUM"
if ! git diff --quiet -- "$GENERATED_SWIFT" 2>/dev/null; then
  echo "build-xcframework: note: $GENERATED_SWIFT changed; commit it with the release" >&2
fi
