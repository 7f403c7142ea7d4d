#!/usr/bin/env bash
# The long multi-instance soak (issue 16, item 6), by hand; not part of scripts/test.sh, whose
# cargo run has the short version (tools/smartid/tests/soak.rs). Two backend instances share a
# real redis-server (append-only, fsync always) under load; Redis is killed (SIGKILL) and
# restarted, and instance A killed, mid-run; then every flow must have ended exactly once
# (authenticated, failed or expired with a typed error), none lost, every session reference
# redeemable once. Prints the counts; exit 0 if that holds, 3 if not.
#
#   tests/soak/soak.sh [--flows N] [--concurrency C] [--redis-restart-after N] [--kill-after N]
#
# Defaults (smartid soak): 2000 flows, 64 at once, Redis restarted once a third of them have
# started, A killed at two thirds.
# Release build: a run of the defaults takes about a minute on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || scripts/bootstrap.sh
exec cargo run --release -q -p sidkit-cli --features redis-store -- soak "$@"
