#!/usr/bin/env bash
# Installs, idempotently, everything the tests and the demo need beyond Rust itself.
# Safe to run repeatedly; each step checks before installing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# Mobile bindings tests (tests/kotlin, tests/swift): JNA for the JVM, a C compiler and nm for
# the header and symbol checks, python3-venv for tree-sitter-swift.
[ -f /usr/share/java/jna.jar ] || need_apt+=(libjna-java)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
command -v nm >/dev/null 2>&1 || need_apt+=(binutils)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# iOS checks (tests/ios): shellcheck of scripts/*.sh.
command -v shellcheck >/dev/null 2>&1 || need_apt+=(shellcheck)
# Android wrapper tests (tests/android): Maven runs Robolectric on a JDK (17 is Debian 12's).
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
# Backend kit: the multi-instance tests start their own redis-server on a random loopback port
# (no system service is used).
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "bootstrap: please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi

# ---- Mobile bindings test tools, in the gitignored .tools/ (versions pinned).
TOOLS=${SIDKIT_TOOLS:-$PWD/.tools}
KOTLIN_VERSION=2.4.20
if [ ! -x "$TOOLS/node_modules/kotlin-compiler/bin/kotlinc" ] \
  || ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$TOOLS/node_modules/kotlin-compiler/package.json" 2>/dev/null; then
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error \
    "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi
if ! "$TOOLS/venv/bin/python" -c 'import tree_sitter, tree_sitter_swift' >/dev/null 2>&1; then
  rm -rf "$TOOLS/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install -q --disable-pip-version-check \
    tree-sitter==0.26.1 tree-sitter-swift==0.7.4
fi
# cargo-fuzz for the fuzz targets (fuzz/run.sh, tests/fuzz/run.sh).
CARGO_FUZZ_VERSION=0.13.2
if ! "$TOOLS/cargo/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install --quiet --locked --root "$TOOLS/cargo" "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi
