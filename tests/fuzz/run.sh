#!/usr/bin/env bash
# A brief fuzzing run for CI: each cargo-fuzz target for SIDKIT_FUZZ_SECONDS (default 15) s.
# For a longer run by hand: fuzz/run.sh (600 s per target by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec fuzz/run.sh --seconds "${SIDKIT_FUZZ_SECONDS:-15}"
