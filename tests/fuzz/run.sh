#!/usr/bin/env bash
# A brief fuzzing run for CI: each cargo-fuzz target (the 9 of fuzz/run.sh) for
# SIDKIT_FUZZ_SECONDS (default 15) s: about 2.5 minutes of fuzzing, after the ASan build of the
# targets (about 8 minutes from scratch on 2 cores, about 1 minute after a change to one crate).
# With a fixed seed (SIDKIT_FUZZ_SEED, default 1) from the committed seeds, so the run repeats
# a sequence of mutations that longer runs with the same seed have covered before a commit;
# exploration is for runs by hand: fuzz/run.sh (600 s per target, a random seed, by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec fuzz/run.sh --seconds "${SIDKIT_FUZZ_SECONDS:-15}" --seed "${SIDKIT_FUZZ_SEED:-1}"
