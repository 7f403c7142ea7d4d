#!/usr/bin/env bash
# Builds the mobile library (package sidkit-mobile, lib `sidkit`) for Android with cargo-ndk and
# puts the stripped libsidkit.so of each ABI where the Gradle module packs it into the AAR:
#
#   android/sidkit/src/main/jniLibs/<abi>/libsidkit.so
#
#   scripts/build-android.sh [--profile mobile|release|dev] [--abi ABI]... [--out DIR] [--no-strip]
#                            [--build-std]
#
# Defaults: profile `mobile` (workspace Cargo.toml: opt-level s, fat LTO, unwinding panics), all
# four ABIs (arm64-v8a armeabi-v7a x86_64 x86), API level 24 (the module's minSdk).
#
# Needs: rustup + cargo, the Android NDK (ANDROID_NDK_HOME, or ANDROID_NDK_ROOT, or the newest
# $ANDROID_HOME/ndk/<version>), and cargo-ndk $CARGO_NDK_VERSION (installed with
# `cargo install --locked` when missing). Adds the Rust targets with `rustup target add`.
#
# 16 KB pages: Google Play requires 16 KB-aligned native libraries for apps targeting Android 15+.
# Every library is linked with `-z max-page-size=16384` (NDK r28+ does that by default, r27 has
# it as an opt-in, older NDKs need the flag), and the script checks the alignment of every LOAD
# segment afterwards.
#
# --build-std (opt-in, nightly Rust): rebuilds the standard library with the library, with
# `-Zbuild-std=std,panic_unwind -Zbuild-std-features=panic-unwind`: std without its `backtrace`
# feature (the DWARF symbolizer behind RUST_BACKTRACE, which a phone never prints: about 80 KB)
# and optimised with the profile (opt-level s, fat LTO into std). Panics still unwind
# (`panic_unwind`, std's `panic-unwind` feature), so UniFFI still turns them into errors.
# Expected: roughly 80-100 KB less per ABI; not measured in this repository's CI (no NDK there).
# Needs the toolchain $SIDKIT_NIGHTLY (default `nightly`) with rust-src:
#   rustup toolchain install nightly --component rust-src
#
# The Kotlin bindings are not generated here: they come from the host build
# (scripts/generate-bindings.sh; the metadata is the same for every target), which the Gradle
# task :sidkit:generateSidkitBindings runs.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_NDK_VERSION=4.1.2
PLATFORM=24
PROFILE=mobile
OUT=android/sidkit/src/main/jniLibs
STRIP=1
BUILD_STD=0
NIGHTLY=${SIDKIT_NIGHTLY:-nightly}
ABIS=()

usage() { sed -n 2,33p "$0"; }
die() { echo "build-android: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?}; shift 2 ;;
    --abi) ABIS+=("${2:?}"); shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --no-strip) STRIP=0; shift ;;
    --build-std) BUILD_STD=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ ${#ABIS[@]} -gt 0 ] || ABIS=(arm64-v8a armeabi-v7a x86_64 x86)

triple_of() {
  case "$1" in
    arm64-v8a) echo aarch64-linux-android ;;
    armeabi-v7a) echo armv7-linux-androideabi ;;
    x86_64) echo x86_64-linux-android ;;
    x86) echo i686-linux-android ;;
    *) die "unknown ABI: $1 (arm64-v8a, armeabi-v7a, x86_64, x86)" ;;
  esac
}

for abi in "${ABIS[@]}"; do triple_of "$abi" >/dev/null; done

case "$PROFILE" in
  dev) PROFILE_DIR=debug ;;
  *) PROFILE_DIR=$PROFILE ;;
esac

# ---- tools
command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup)"
command -v rustup >/dev/null 2>&1 || die "rustup not found (the Android targets are added with rustup)"

# --build-std: a nightly toolchain with rust-src, checked before anything is built.
CARGO_TOOLCHAIN=()
BUILD_STD_ARGS=()
if [ "$BUILD_STD" -eq 1 ]; then
  # shellcheck source=scripts/build-std.sh
  . scripts/build-std.sh
  check_build_std "$NIGHTLY" build-android
fi

NDK=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$NDK" ]; then
  SDK=${ANDROID_HOME:-${ANDROID_SDK_ROOT:-}}
  if [ -n "$SDK" ] && [ -d "$SDK/ndk" ]; then
    NDK=$(find "$SDK/ndk" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)
  fi
fi
if [ -z "$NDK" ] || [ ! -f "$NDK/source.properties" ]; then
  die "Android NDK not found: set ANDROID_NDK_HOME (or install one with: sdkmanager 'ndk;28.2.13676358')"
fi
export ANDROID_NDK_HOME=$NDK
NDK_REVISION=$(sed -n 's/^Pkg\.Revision *= *//p' "$NDK/source.properties")
NDK_MAJOR=${NDK_REVISION%%.*}
echo "build-android: NDK $NDK_REVISION at $NDK"
if [ "${NDK_MAJOR:-0}" -lt 26 ]; then
  echo "build-android: warning: NDK $NDK_REVISION is old; r27+ is recommended (r28+ aligns to 16 KB by default)" >&2
fi

case "$(uname -s)" in
  Linux) HOST_TAG=linux-x86_64 ;;
  Darwin) HOST_TAG=darwin-x86_64 ;;   # the NDK ships one universal darwin-x86_64 toolchain
  *) die "unsupported build host $(uname -s)" ;;
esac
LLVM_BIN=$NDK/toolchains/llvm/prebuilt/$HOST_TAG/bin
[ -x "$LLVM_BIN/llvm-strip" ] || die "llvm-strip not found in $LLVM_BIN"

if ! cargo ndk --version 2>/dev/null | grep -q "$CARGO_NDK_VERSION"; then
  echo "build-android: installing cargo-ndk $CARGO_NDK_VERSION"
  cargo install --locked "cargo-ndk@$CARGO_NDK_VERSION"
fi

TRIPLES=()
for abi in "${ABIS[@]}"; do TRIPLES+=("$(triple_of "$abi")"); done
if [ "$BUILD_STD" -eq 0 ]; then
  rustup target add "${TRIPLES[@]}"   # --build-std compiles std from rust-src instead
fi

# ---- build
TARGET_ARGS=()
for abi in "${ABIS[@]}"; do
  TARGET_ARGS+=(-t "$abi")
  # Per-target flags (cargo's CARGO_TARGET_<TRIPLE>_RUSTFLAGS), so host builds are not affected.
  # 16 KB pages; and Android's packed dynamic relocations (APS2, read by the loader since API 23),
  # which shrink .rela.dyn from 53 KB to 6 KB (x86_64: 951,312 → 906,728 bytes stripped).
  var=CARGO_TARGET_$(triple_of "$abi" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
  export "$var=${!var:-} -C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,--pack-dyn-relocs=android"
done
# `cargo +nightly ndk`: rustup's proxy hands the toolchain on to the cargo that cargo-ndk runs.
cargo ${CARGO_TOOLCHAIN[@]+"${CARGO_TOOLCHAIN[@]}"} ndk "${TARGET_ARGS[@]}" --platform "$PLATFORM" \
  build -p sidkit-mobile --lib --profile "$PROFILE" ${BUILD_STD_ARGS[@]+"${BUILD_STD_ARGS[@]}"}

# ---- collect, strip, check
# Every PT_LOAD segment must be aligned to at least 16 KB (0x4000); the alignment is the last
# column of readelf's program headers.
check_alignment() {
  local readelf=$1 lib=$2 align n=0
  for align in $("$readelf" -lW "$lib" | awk '$1 == "LOAD" { print $NF }'); do
    n=$((n + 1))
    [ $((align)) -ge 16384 ] || die "$lib has a LOAD segment aligned to $align (< 16 KB)"
  done
  [ "$n" -gt 0 ] || die "$lib has no LOAD segments"
}
for abi in "${ABIS[@]}"; do
  triple=$(triple_of "$abi")
  src=target/$triple/$PROFILE_DIR/libsidkit.so
  [ -f "$src" ] || die "missing $src"
  mkdir -p "$OUT/$abi"
  dst=$OUT/$abi/libsidkit.so
  if [ "$STRIP" -eq 1 ]; then
    "$LLVM_BIN/llvm-strip" --strip-all -o "$dst" "$src"
  else
    cp "$src" "$dst"
  fi
  check_alignment "$LLVM_BIN/llvm-readelf" "$dst"
  echo "build-android: $dst ($(wc -c < "$dst") bytes, 16 KB aligned)"
done
