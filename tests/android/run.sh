#!/usr/bin/env bash
# Android wrapper tests: the Kotlin wrapper (android/sidkit/src/main/kotlin) and the generated
# bindings compiled against the Android framework (Robolectric's android-all) and run under
# Robolectric + JUnit 4 by Maven, against the host-built libsidkit through JNA. The tests are the
# library module's unit tests in android/sidkit/src/test/kotlin (Gradle's testDebugUnitTest where
# the Android SDK exists); Maven here compiles and runs that same folder (tests/android/pom.xml).
# Prints "N passed, N failed" last; exits non-zero on any failure, and when fewer tests ran than
# the sources declare (JUnit silently skips a @Test that does not return Unit).
#   bash tests/android/run.sh [-Dtest=SomeTest]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SUITE=$ROOT/tests/android
TEST_SRC=$ROOT/android/sidkit/src/test/kotlin
OUT=$ROOT/target/android-tests
mkdir -p "$OUT"

fail_build() { echo "android: $1"; echo "0 passed, 1 failed"; exit 1; }

command -v mvn >/dev/null 2>&1 || scripts/bootstrap.sh
command -v mvn >/dev/null 2>&1 || fail_build "maven (mvn) is not installed"
command -v python3 >/dev/null 2>&1 || fail_build "python3 is not installed"

MVN=(mvn -B -q --no-transfer-progress)
# MAVEN_REPO: another local repository than ~/.m2/repository (e.g. to measure a cold run).
if [ -n "${MAVEN_REPO:-}" ]; then MVN+=("-Dmaven.repo.local=$MAVEN_REPO"); fi

# androidx.test:monitor (needed by Robolectric) is published as an AAR only; install its
# classes.jar once as a plain jar under a local coordinate the pom uses.
MONITOR_VERSION=1.8.0
M2=${MAVEN_REPO:-$HOME/.m2/repository}
if [ ! -f "$M2/dev/sidkit/thirdparty/androidx-test-monitor/$MONITOR_VERSION/androidx-test-monitor-$MONITOR_VERSION.jar" ]; then
  tmp=$OUT/monitor
  rm -rf "$tmp"
  mkdir -p "$tmp"
  "${MVN[@]}" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="androidx.test:monitor:$MONITOR_VERSION:aar" -DoutputDirectory="$tmp" \
    || fail_build "downloading androidx.test:monitor failed"
  python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("classes.jar"))' \
    "$tmp/monitor-$MONITOR_VERSION.aar" "$tmp/classes.jar"
  "${MVN[@]}" org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file \
    -Dfile="$tmp/classes.jar" -DgroupId=dev.sidkit.thirdparty -DartifactId=androidx-test-monitor \
    -Dversion="$MONITOR_VERSION" -Dpackaging=jar \
    || fail_build "installing androidx.test:monitor failed"
fi

# The host library and its bindings (the same generated Kotlin the AAR ships).
scripts/generate-bindings.sh --out target/bindings >/dev/null || fail_build "generating the bindings failed"
LIBDIR=$(dirname "$(cat target/bindings/lib)")

# A clean build every time: the Kotlin plugin compiles everything anyway, and stale classes of
# deleted tests would otherwise still run.
rm -rf "$OUT/build"
REPORTS=$OUT/build/surefire-reports
rc=0
"${MVN[@]}" -f "$SUITE/pom.xml" \
  -Dsidkit.build="$OUT/build" \
  -Dsidkit.root="$ROOT" -Dsidkit.libdir="$LIBDIR" \
  test "$@" >"$OUT/mvn.log" 2>&1 || rc=$?
# Maven is quiet (-q): what is left is compiler errors, test failures and test output.
grep -vE '^(WARNING: |\[WARNING\] |\[Robolectric\] WARN: Android SDK 3[67] requires Java 21)' "$OUT/mvn.log" || true

# Count from the surefire XML reports, and compare with the @Test methods in the sources.
expected=$(grep -rhoE '^\s*@Test\b' "$TEST_SRC" | wc -l)
read -r tests failures errors skipped < <(python3 - "$REPORTS" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
t = f = e = s = 0
for p in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    r = ET.parse(p).getroot()
    t += int(r.get("tests", 0)); f += int(r.get("failures", 0))
    e += int(r.get("errors", 0)); s += int(r.get("skipped", 0))
print(t, f, e, s)
PY
)
failed=$((failures + errors))
passed=$((tests - failed - skipped))
status=$rc
if [ "$tests" -eq 0 ]; then
  echo "android: no tests ran (see $OUT/mvn.log)"
  failed=$((failed + 1)); status=1
elif [ $# -eq 0 ] && [ "$tests" -lt "$expected" ]; then
  echo "android: only $tests of the $expected @Test methods ran (a test that does not return Unit is skipped silently)"
  failed=$((failed + expected - tests)); status=1
fi
if [ "$skipped" -gt 0 ]; then echo "android: $skipped skipped"; fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "android: maven failed (see $OUT/mvn.log)"
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
