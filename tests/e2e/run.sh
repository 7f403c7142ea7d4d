#!/usr/bin/env bash
# Cross-language end to end over loopback: Kotlin (generated bindings + the Android library's
# HttpBackendTransport, on the JVM through JNA) against the reference backend `smartid serve`
# (backend kit + simulator). Prints "N passed, N failed" last; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOOLS=${SIDKIT_TOOLS:-$ROOT/.tools}
K=$TOOLS/node_modules/kotlin-compiler
L=$K/lib
JNA=/usr/share/java/jna.jar
if [ ! -x "$K/bin/kotlinc" ] || [ ! -f "$JNA" ]; then scripts/bootstrap.sh; fi

fail_build() { echo "e2e: $1"; echo "0 passed, 1 failed"; exit 1; }

cargo build -q -p sidkit-cli --bin smartid || fail_build "building smartid failed"
scripts/generate-bindings.sh --out target/bindings >/dev/null || fail_build "generating the bindings failed"
GEN=target/bindings/kotlin/dev/sidkit/ffi/sidkit.kt
TRANSPORT=android/sidkit/src/main/kotlin/dev/sidkit/android/HttpBackendTransport.kt
LIBDIR=$(dirname "$(cat target/bindings/lib)")
OUT=target/e2e-tests
CP="$L/kotlinx-coroutines-core-jvm.jar:$L/kotlin-test.jar:$JNA"

STAMP=$(cat "$GEN" "$TRANSPORT" tests/e2e/src/*.kt | sha256sum | cut -c1-64)
if [ "$(cat "$OUT/stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  if ! JAVA_OPTS="-Xmx2g -XX:TieredStopAtLevel=1 -XX:+UseParallelGC" \
      "$K/bin/kotlinc" -cp "$CP" -d "$OUT/classes" "$GEN" "$TRANSPORT" tests/e2e/src/*.kt; then
    fail_build "kotlinc failed"
  fi
  echo "$STAMP" > "$OUT/stamp"
fi

# The reference backend on free loopback ports; its first lines say where it listens.
LOG=$(mktemp)
# An app's own callback base (its App Link), as an RP team develops against `smartid serve`.
target/debug/smartid serve --port 0 --sim-port 0 \
  --callback-base "https://app.e2e.example/auth/smart-id?app=e2e" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  grep -q '^callback-base: ' "$LOG" && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; fail_build "smartid serve exited"; }
  sleep 0.1
done
BACKEND=$(sed -n 's/^backend-url: //p' "$LOG" | head -n 1)
CALLBACK_BASE=$(sed -n 's/^callback-base: //p' "$LOG" | head -n 1)
if [ -z "$BACKEND" ] || [ -z "$CALLBACK_BASE" ]; then
  cat "$LOG"
  fail_build "smartid serve did not report its address"
fi
echo "reference backend: $BACKEND (callback base $CALLBACK_BASE)"

java -Djna.library.path="$LIBDIR" -Dsidkit.backend="${BACKEND%/}" -Dsidkit.callbackBase="$CALLBACK_BASE" \
  -cp "$OUT/classes:$L/kotlin-stdlib.jar:$CP" dev.sidkit.e2e.E2eKt
