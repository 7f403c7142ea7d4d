#!/usr/bin/env bash
# Kotlin on the JVM: compiles the generated bindings (package dev.sidkit.ffi) with the tests in
# tests/kotlin/src and the fake RP backend they share with the Android unit tests
# (android/sidkit/src/test/kotlin/dev/sidkit/tests/FakeBackend.kt), and runs them against the
# host-built libsidkit through JNA.
# Prints "N passed, N failed" last; exits non-zero on any failure.
#   bash tests/kotlin/run.sh [name-filter]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TOOLS=${SIDKIT_TOOLS:-$ROOT/.tools}
K=$TOOLS/node_modules/kotlin-compiler
L=$K/lib
JNA=/usr/share/java/jna.jar
if [ ! -x "$K/bin/kotlinc" ] || [ ! -f "$JNA" ]; then scripts/bootstrap.sh; fi

fail_build() { echo "kotlin: $1"; echo "0 passed, 1 failed"; exit 1; }

scripts/generate-bindings.sh --out target/bindings >/dev/null || fail_build "generating the bindings failed"
GEN=target/bindings/kotlin/dev/sidkit/ffi/sidkit.kt
LIBDIR=$(dirname "$(cat target/bindings/lib)")
OUT=target/kotlin-tests
CP="$L/kotlinx-coroutines-core-jvm.jar:$L/kotlin-test.jar:$JNA"
SRC=(tests/kotlin/src/*.kt android/sidkit/src/test/kotlin/dev/sidkit/tests/FakeBackend.kt)

# kotlinc takes ~10 s: recompile only when the generated code or the tests changed.
STAMP=$(cat "$GEN" "${SRC[@]}" | sha256sum | cut -c1-64)
if [ "$(cat "$OUT/stamp" 2>/dev/null)" != "$STAMP" ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  # C1-only JIT: the short-lived compiler runs ~30 % faster.
  if ! JAVA_OPTS="-Xmx2g -XX:TieredStopAtLevel=1 -XX:+UseParallelGC" \
      "$K/bin/kotlinc" -cp "$CP" -d "$OUT/classes" "$GEN" "${SRC[@]}"; then
    fail_build "kotlinc failed"
  fi
  echo "$STAMP" > "$OUT/stamp"
fi

exec java -Djna.library.path="$LIBDIR" -Dsidkit.generated="$ROOT/$GEN" \
  -cp "$OUT/classes:$L/kotlin-stdlib.jar:$CP" dev.sidkit.tests.FlowTestsKt "$@"
