#!/usr/bin/env bash
# Validates docs/openapi.yaml with a pinned openapi-spec-validator (PyPI, in a venv under the
# tools directory) and checks it against contract 2 and the Rust side (see check.py: every
# path, status and header rule, the problem codes of core/contract/src/problem.rs, and every
# field of the Rust contract types). Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${SIDKIT_TOOLS:-$PWD/.tools}
VERSION=0.9.0
VENV=$TOOLS/openapi-venv
if ! "$VENV/bin/python" -c "import openapi_spec_validator, yaml, importlib.metadata as m; assert m.version('openapi-spec-validator') == '$VERSION'" >/dev/null 2>&1; then
  rm -rf "$VENV"
  mkdir -p "$TOOLS"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "openapi-spec-validator==$VERSION"
fi
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
cargo run -q -p sidkit-contract --example contract_samples >"$samples"
"$VENV/bin/python" tests/openapi/check.py docs/openapi.yaml "$samples"
