#!/usr/bin/env bash
# Runs every test of the repository: the Rust workspace, then each extra suite under tests/
# (Kotlin on the JVM, Swift checks, Android/Robolectric, ...). Installs what it needs first
# (scripts/bootstrap.sh, idempotent). The last line is always "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=never

scripts/bootstrap.sh

passed=0
failed=0
status=0
LOG_DIR=$ROOT/target/test-logs
mkdir -p "$LOG_DIR"

# Adds the counts of every "N passed, N failed" / cargo "test result:" line of a log.
count() {
  local log=$1 p f
  p=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^passed;/) s+=$i} END{print s+0}' "$log")
  f=$(awk '/^test result: /{for(i=1;i<=NF;i++) if($(i+1) ~ /^failed;/) s+=$i} END{print s+0}' "$log")
  passed=$((passed + p))
  failed=$((failed + f))
}
count_suite() {
  local log=$1 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
  fi
}

echo "== cargo test --workspace"
if cargo test --workspace --all-features 2>&1 | tee "$LOG_DIR/cargo.log"; then :; else
  status=1
  if ! grep -q 'test result:' "$LOG_DIR/cargo.log"; then failed=$((failed + 1)); fi
fi
count "$LOG_DIR/cargo.log"

# Extra suites: every tests/<name>/run.sh, in name order. Each prints "N passed, N failed" last.
for suite in tests/*/run.sh; do
  [ -e "$suite" ] || continue
  name=$(basename "$(dirname "$suite")")
  echo "== suite $name"
  if bash "$suite" 2>&1 | tee "$LOG_DIR/$name.log"; then :; else
    status=1
    if ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$LOG_DIR/$name.log"; then failed=$((failed + 1)); fi
  fi
  count_suite "$LOG_DIR/$name.log"
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
