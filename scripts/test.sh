#!/usr/bin/env bash
# Runs every test of the repository: the Rust workspace, then each extra suite under tests/
# (Kotlin on the JVM, Swift checks, Android/Robolectric, ...). Installs what it needs first
# (scripts/bootstrap.sh, idempotent). Every test binary runs (--no-fail-fast) and every suite
# must print its count: a suite that prints none counts as a failure. The line before last
# breaks the total down per suite (the Rust count first, so that a drop is visible); the last
# line is always "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=never

scripts/bootstrap.sh

passed=0
failed=0
status=0
breakdown=()
LOG_DIR=$ROOT/target/test-logs
mkdir -p "$LOG_DIR"

# Adds the counts of every cargo "test result:" line of a log (one per test binary and doctest
# run). A binary that does not build prints none: cargo's exit status catches that.
count_cargo() {
  local log=$1 p f
  p=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^passed;/) s+=$i} END{print s+0}' "$log")
  f=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^failed;/) s+=$i} END{print s+0}' "$log")
  passed=$((passed + p))
  failed=$((failed + f))
  breakdown+=("rust $p")
}
# Adds a suite's last "N passed, N failed" line; a suite without one is a failure.
count_suite() {
  local name=$1 log=$2 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    breakdown+=("$name $(echo "$line" | cut -d' ' -f1)")
  else
    echo "== suite $name printed no count: counted as a failure"
    failed=$((failed + 1))
    status=1
    breakdown+=("$name none")
  fi
}

echo "== cargo test --workspace --all-features --no-fail-fast"
if cargo test --workspace --all-features --no-fail-fast 2>&1 | tee "$LOG_DIR/cargo.log"; then :; else
  status=1
  # A test binary that did not build (or crashed) leaves no result line of its own.
  if ! grep -qE '^test result: .* [1-9][0-9]* failed;' "$LOG_DIR/cargo.log"; then failed=$((failed + 1)); fi
fi
count_cargo "$LOG_DIR/cargo.log"

# The mobile library's smallest build (App2App only: no json, no qr), which --all-features skips.
echo "== cargo test -p sidkit-mobile --no-default-features"
if cargo test -p sidkit-mobile --no-default-features 2>&1 | tee "$LOG_DIR/cargo-app2app.log"; then :; else
  status=1
  if ! grep -qE '^test result: .* [1-9][0-9]* failed;' "$LOG_DIR/cargo-app2app.log"; then failed=$((failed + 1)); fi
fi
count_cargo "$LOG_DIR/cargo-app2app.log"

echo "== cargo doc --workspace --all-features (warnings are errors)"
if RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps 2>&1 | tee "$LOG_DIR/doc.log"; then
  passed=$((passed + 1))
  breakdown+=("rustdoc 1")
else
  status=1
  failed=$((failed + 1))
  breakdown+=("rustdoc failed")
fi

# Extra suites: every tests/<name>/run.sh, in name order. Each prints "N passed, N failed" last.
for suite in tests/*/run.sh; do
  [ -e "$suite" ] || continue
  name=$(basename "$(dirname "$suite")")
  echo "== suite $name"
  if bash "$suite" 2>&1 | tee "$LOG_DIR/$name.log"; then :; else
    status=1
  fi
  count_suite "$name" "$LOG_DIR/$name.log"
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "== per suite (passed): ${breakdown[*]}"
echo "$passed passed, $failed failed"
exit "$status"
