#!/usr/bin/env bash
# Installs, idempotently, everything the tests and the demo need beyond Rust itself.
# Safe to run repeatedly; each step checks before installing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "bootstrap: please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi
