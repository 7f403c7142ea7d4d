#!/usr/bin/env bash
# Android wrapper tests: the Kotlin wrapper (android/sidkit/src/main/kotlin), the OkHttp transport
# (android/sidkit-okhttp), the sample app (android/sample) and the generated
# bindings compiled against the Android framework (Robolectric's android-all) and run under
# Robolectric + JUnit 4 by Maven, against the host-built libsidkit through JNA. The tests are the
# modules' unit tests in android/{sidkit,sidkit-okhttp,sample}/src/test/kotlin (Gradle's
# testDebugUnitTest where the Android SDK exists); Maven here compiles and runs those same folders
# (tests/android/pom.xml).
# Prints "N passed, N failed" last; exits non-zero on any failure, and when fewer tests ran than
# the sources declare (JUnit silently skips a @Test that does not return Unit).
#   bash tests/android/run.sh [-Dtest=SomeTest]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SUITE=$ROOT/tests/android
TEST_SRCS=("$ROOT/android/sidkit/src/test/kotlin" "$ROOT/android/sidkit-okhttp/src/test/kotlin" "$ROOT/android/sample/src/test/kotlin")
OUT=$ROOT/target/android-tests
mkdir -p "$OUT"

fail_build() { echo "android: $1"; echo "0 passed, 1 failed"; exit 1; }

command -v mvn >/dev/null 2>&1 || scripts/bootstrap.sh
command -v mvn >/dev/null 2>&1 || fail_build "maven (mvn) is not installed"
command -v python3 >/dev/null 2>&1 || fail_build "python3 is not installed"

MVN=(mvn -B -q --no-transfer-progress)
# MAVEN_REPO: another local repository than ~/.m2/repository (e.g. to measure a cold run).
if [ -n "${MAVEN_REPO:-}" ]; then MVN+=("-Dmaven.repo.local=$MAVEN_REPO"); fi

# AndroidX artifacts are AARs (or Kotlin-multiplatform jars) on Maven Central, and their POMs
# use version ranges Maven cannot reconcile. Install each one's classes (an AAR's classes.jar, or
# the jar itself) once, without its POM's dependencies, under a local coordinate the pom uses:
# dev.sidkit.androidx:<artifactId>:<version> (with the AAR's R class: aar_classes.py). The list is what the library (ComponentActivity,
# ActivityResultContract, ViewModel, SavedStateHandle) and the sample need, in versions that
# match android/sidkit/build.gradle.kts and android/sample/build.gradle.kts; keep the pom's
# dependencies equal to it. Idempotent: an artifact already installed is skipped.
ANDROIDX=(
  androidx.test:monitor:1.8.0:aar:androidx-test-monitor
  androidx.activity:activity:1.9.3:aar:androidx-activity
  androidx.core:core:1.13.0:aar:androidx-core
  androidx.core:core-ktx:1.13.0:aar:androidx-core-ktx
  androidx.lifecycle:lifecycle-common-jvm:2.8.7:jar:androidx-lifecycle-common
  androidx.lifecycle:lifecycle-runtime-android:2.8.7:aar:androidx-lifecycle-runtime
  androidx.lifecycle:lifecycle-viewmodel-android:2.8.7:aar:androidx-lifecycle-viewmodel
  androidx.lifecycle:lifecycle-viewmodel-savedstate:2.8.7:aar:androidx-lifecycle-viewmodel-savedstate
  androidx.lifecycle:lifecycle-livedata-core:2.8.7:aar:androidx-lifecycle-livedata-core
  androidx.savedstate:savedstate:1.2.1:aar:androidx-savedstate
  androidx.arch.core:core-common:2.2.0:jar:androidx-arch-core-common
  androidx.arch.core:core-runtime:2.2.0:aar:androidx-arch-core-runtime
  androidx.annotation:annotation-jvm:1.8.0:jar:androidx-annotation
  androidx.collection:collection-jvm:1.4.0:jar:androidx-collection
  androidx.tracing:tracing:1.0.0:aar:androidx-tracing
)
M2=${MAVEN_REPO:-$HOME/.m2/repository}
for spec in "${ANDROIDX[@]}"; do
  IFS=: read -r group artifact version type local <<<"$spec"
  installed=$M2/dev/sidkit/androidx/$local/$version/$local-$version.jar
  [ -f "$installed" ] && continue
  tmp=$OUT/androidx/$local
  rm -rf "$tmp"
  mkdir -p "$tmp"
  "${MVN[@]}" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="$group:$artifact:$version:$type" -DoutputDirectory="$tmp" \
    || fail_build "downloading $group:$artifact:$version failed"
  # An AAR's classes.jar plus the R class the Android Gradle plugin would generate for it.
  python3 "$SUITE/aar_classes.py" "$tmp/$artifact-$version.$type" "$tmp/classes.jar" \
    || fail_build "extracting the classes of $group:$artifact:$version failed"
  "${MVN[@]}" org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file \
    -Dfile="$tmp/classes.jar" -DgroupId=dev.sidkit.androidx -DartifactId="$local" \
    -Dversion="$version" -Dpackaging=jar \
    || fail_build "installing $group:$artifact:$version failed"
done

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
expected=$(grep -rhoE '^\s*@Test\b' "${TEST_SRCS[@]}" | wc -l)
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
