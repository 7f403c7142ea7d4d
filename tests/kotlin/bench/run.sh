#!/usr/bin/env bash
# Measures the round-trip cost of FFI calls from Kotlin (JVM, JNA) into libsidkit. Not a test.
#   bash tests/kotlin/bench/run.sh [--profile dev|release|mobile]   (default: mobile)
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
PROFILE=mobile
[ "${1:-}" = "--profile" ] && PROFILE=$2
TOOLS=${SIDKIT_TOOLS:-$ROOT/.tools}
K=$TOOLS/node_modules/kotlin-compiler
L=$K/lib
JNA=/usr/share/java/jna.jar
[ -x "$K/bin/kotlinc" ] && [ -f "$JNA" ] || scripts/bootstrap.sh
scripts/generate-bindings.sh --profile "$PROFILE" --out target/bindings-bench >/dev/null
LIBDIR=$(dirname "$(cat target/bindings-bench/lib)")
OUT=target/kotlin-bench
rm -rf "$OUT"
CP="$L/kotlinx-coroutines-core-jvm.jar:$L/kotlin-test.jar:$JNA"
JAVA_OPTS="-Xmx2g -XX:TieredStopAtLevel=1 -XX:+UseParallelGC" "$K/bin/kotlinc" -nowarn -cp "$CP" -d "$OUT" \
  target/bindings-bench/kotlin/dev/sidkit/ffi/sidkit.kt android/sidkit/src/test/kotlin/dev/sidkit/tests/FakeBackend.kt \
  tests/kotlin/bench/FfiBench.kt
echo "libsidkit: $PROFILE profile; $(java -version 2>&1 | head -n 1); JNA $(unzip -p "$JNA" META-INF/MANIFEST.MF | grep -i '^Implementation-Version' | cut -d' ' -f2 | tr -d '\r')"
java -Djna.library.path="$LIBDIR" -cp "$OUT:$L/kotlin-stdlib.jar:$CP" dev.sidkit.bench.FfiBenchKt
