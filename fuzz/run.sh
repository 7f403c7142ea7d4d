#!/usr/bin/env bash
# Builds and runs the cargo-fuzz targets (return_url: the return-URL router; device_link: the
# device-link parser, the pre-launch link check and the snapshot reader).
#
#   fuzz/run.sh [--seconds N] [TARGET...]      default: 600 s per target, all targets
#
# CI runs it briefly through tests/fuzz/run.sh (15 s per target). The corpus grows in
# target/fuzz-corpus/<target> (seeded from fuzz/seeds/<target>); crashes are written to
# target/fuzz-artifacts/. Reproduce one with:
#   RUSTC_BOOTSTRAP=1 .tools/cargo/bin/cargo-fuzz fuzz run --fuzz-dir fuzz --target-dir target/fuzz -O <target> <file>
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...). RUSTC_BOOTSTRAP=1 lets the
# pinned stable toolchain accept them, so no nightly toolchain is needed. The last line is
# "N passed, N failed" (one check per target: it ran for the whole time without a crash).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=600
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(return_url device_link)

TOOLS=${SIDKIT_TOOLS:-$PWD/.tools}
CARGO_FUZZ=$TOOLS/cargo/bin/cargo-fuzz
[ -x "$CARGO_FUZZ" ] || scripts/bootstrap.sh
export RUSTC_BOOTSTRAP=1
FUZZ=("$CARGO_FUZZ" fuzz)
COMMON=(--fuzz-dir fuzz --target-dir target/fuzz -O)

if ! "${FUZZ[@]}" build "${COMMON[@]}" 2>&1 | tail -n 3; then
  echo "fuzz: build failed"; echo "0 passed, 1 failed"; exit 1
fi

passed=0
failed=0
mkdir -p target/fuzz-artifacts
for t in "${TARGETS[@]}"; do
  corpus=target/fuzz-corpus/$t
  mkdir -p "$corpus"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  log=target/fuzz-artifacts/$t.log
  if "${FUZZ[@]}" run "${COMMON[@]}" "$t" "$corpus" -- \
      -max_total_time="$SECONDS_PER_TARGET" -artifact_prefix="target/fuzz-artifacts/$t-" \
      -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
    echo "ok   fuzz $t: ${runs:-done} (corpus $(ls "$corpus" | wc -l) inputs), no crash"
    passed=$((passed + 1))
  else
    echo "FAIL fuzz $t: crashed or failed; see $log"
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -n 10 || true
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
