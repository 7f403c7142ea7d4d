#!/usr/bin/env bash
# Builds and runs the cargo-fuzz targets; each checks properties, not only that nothing panics
# (see the doc comment at the top of fuzz/fuzz_targets/<target>.rs):
#   return_url      the app's return-URL router
#   device_link     the device-link parser, the pre-launch link check, the snapshot reader
#   backend_routes  the backend kit's router, scripted requests against the in-process simulator
#   contract_json   the contract JSON the phone reads (round trips, validate(), the app's Flow)
#   contract_codec  the mobile library's hand-written contract JSON codec against serde_json
#   client_config   the RP API client's JSON / environment configuration and base-URL check
#   trust_store     trust-store loading of hostile PEM / DER CA files
#   api_error_body  the RP API error-body parser and the backend's problem for it
#   qr_encoder      the device-link QR encoder (decoded back with rqrr) and its SVG
#
#   fuzz/run.sh [--seconds N] [--seed S] [TARGET...]   default: 600 s per target, all targets,
#                                                      a random seed
#
# CI runs it briefly through tests/fuzz/run.sh (15 s per target). The corpus grows in
# target/fuzz-corpus/<target> (seeded from fuzz/seeds/<target>); crashes are written to
# target/fuzz-artifacts/. Reproduce one with:
#   RUSTC_BOOTSTRAP=1 .tools/cargo/bin/cargo-fuzz fuzz run --fuzz-dir fuzz --target-dir target/fuzz -O <target> <file>
# (SIDKIT_FUZZ_DEBUG=1 makes backend_routes print every request and answer.)
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...). RUSTC_BOOTSTRAP=1 lets the
# pinned stable toolchain accept them, so no nightly toolchain is needed. The last line is
# "N passed, N failed" (one check per target: it ran for the whole time without a crash).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=600
# libFuzzer's -seed: 0 picks a random one. A fixed seed makes a run repeat the same mutations
# (from the same corpus), so a short run with it explores a prefix that a longer run with the
# same seed has covered: CI uses one (tests/fuzz/run.sh), runs by hand explore with random ones.
SEED=0
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_TARGET=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    -h|--help) sed -n 2,25p "$0"; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(return_url device_link backend_routes contract_json
  contract_codec client_config trust_store api_error_body qr_encoder)

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
  extra=()
  case "$t" in
    # RP API error bodies of several KiB (16 field errors of 512 characters) are legal.
    api_error_body) extra=(-max_len=16384) ;;
    # The backend and the simulator keep flows and sessions across inputs (reachable, not
    # leaked), so LeakSanitizer would scan the heap after nearly every input.
    backend_routes) extra=(-detect_leaks=0) ;;
  esac
  if "${FUZZ[@]}" run "${COMMON[@]}" "$t" "$corpus" -- \
      -max_total_time="$SECONDS_PER_TARGET" -seed="$SEED" -artifact_prefix="target/fuzz-artifacts/$t-" \
      -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
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
