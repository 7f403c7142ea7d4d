#!/usr/bin/env bash
# Layout checks (tests/layout/check.py): the mobile library's dependency tree, unpublished
# dependencies of published crates, import circles inside crates, long files, and that nothing
# reads outside the clone. Prints "N passed, N failed" last.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 tests/layout/check.py
