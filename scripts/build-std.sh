#!/usr/bin/env bash
# Sourced by scripts/build-android.sh and scripts/build-xcframework.sh (not run on its own): the
# checks and cargo arguments of their --build-std mode. check_build_std TOOLCHAIN NAME verifies,
# before anything is built, that TOOLCHAIN is an installed nightly with rust-src (calling the
# caller's `die` otherwise), then sets CARGO_TOOLCHAIN (+TOOLCHAIN) and BUILD_STD_ARGS (std
# built with the library, its `backtrace` feature off, unwinding kept so that UniFFI still turns
# panics into errors) and prints the toolchain, prefixed with NAME.

check_build_std() {
  local toolchain=$1 name=$2 sysroot
  rustup run "$toolchain" rustc --version >/dev/null 2>&1 \
    || die "--build-std needs the nightly toolchain '$toolchain' (rustup toolchain install $toolchain --component rust-src; or set SIDKIT_NIGHTLY)"
  rustup run "$toolchain" rustc --version 2>/dev/null | grep -q -- '-nightly' \
    || die "--build-std needs a nightly toolchain, and '$toolchain' is not one ($(rustup run "$toolchain" rustc --version 2>/dev/null))"
  sysroot=$(rustup run "$toolchain" rustc --print sysroot 2>/dev/null || true)
  if [ -z "$sysroot" ] || [ ! -f "$sysroot/lib/rustlib/src/rust/library/std/Cargo.toml" ]; then
    die "--build-std needs the rust-src component of '$toolchain' (rustup component add rust-src --toolchain $toolchain)"
  fi
  # shellcheck disable=SC2034 # the caller's variables
  CARGO_TOOLCHAIN=("+$toolchain")
  # shellcheck disable=SC2034
  BUILD_STD_ARGS=("-Zbuild-std=std,panic_unwind" "-Zbuild-std-features=panic-unwind")
  echo "$name: --build-std with $(rustup run "$toolchain" rustc --version)"
}
