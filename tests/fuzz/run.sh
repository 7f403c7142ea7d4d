#!/usr/bin/env bash
# A brief fuzzing run for CI: each cargo-fuzz target (the 8 of fuzz/run.sh) for
# SIDKIT_FUZZ_SECONDS (default 15) s: about 2.5 minutes of fuzzing, after the ASan build of the
# targets (about 8 minutes from scratch on 2 cores, about 1 minute after a change to one crate).
# For a longer run by hand: fuzz/run.sh (600 s per target by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec fuzz/run.sh --seconds "${SIDKIT_FUZZ_SECONDS:-15}"
