#!/usr/bin/env bash
# Size of the mobile library per feature set (issue 15, "a smaller mobile library").
#
#   scripts/size-report.sh [--profile mobile] [--top N] [--set NAME]...
#
# Builds the cdylib of package sidkit-mobile (libsidkit.so / libsidkit.dylib) for the host with
# the `mobile` profile of the workspace Cargo.toml (opt-level s, fat LTO, one codegen unit,
# unwinding panics) once per feature set, strips a copy (`strip`, or $STRIP) and prints a table
# of the stripped sizes. The feature sets:
#
#   default        the default features (json + qr)
#   no-json        --no-default-features --features qr
#   app2app        --no-default-features: no json, no qr (an App2App-only app)
#   json-no-qr     --no-default-features --features json
#
# Before the `qr` feature existed, the sets that name it are reported as "n/a".
# With `cargo bloat` installed (cargo install cargo-bloat) it also prints the top N crates of
# each set (default 12); without it that part is skipped.
#
# The stripped copies stay in target/size-report/<set>/. Host numbers are a proxy: an Android
# arm64 or iOS library differs by some percent, but what a feature costs is about the same.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=mobile
TOP=12
SETS=()
ALL_SETS=(default no-json app2app json-no-qr)

usage() { sed -n 2,21p "$0"; }
die() { echo "size-report: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?--profile needs a value}; shift 2 ;;
    --top) TOP=${2:?--top needs a value}; shift 2 ;;
    --set) SETS+=("${2:?--set needs a value}"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[ ${#SETS[@]} -gt 0 ] || SETS=("${ALL_SETS[@]}")
case "$TOP" in
  ''|*[!0-9]*) die "--top needs a number, not '$TOP'" ;;
esac

command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup)"
STRIP=${STRIP:-strip}
command -v "$STRIP" >/dev/null 2>&1 || die "$STRIP not found (set STRIP to a strip tool)"

case "$PROFILE" in
  dev) PROFILE_DIR=debug ;;
  *) PROFILE_DIR=$PROFILE ;;
esac
case "$(uname -s)" in
  Darwin) LIB_FILE=libsidkit.dylib; STRIP_ARGS=(-x) ;;
  *) LIB_FILE=libsidkit.so; STRIP_ARGS=(--strip-all) ;;
esac

HAS_QR=0
if grep -Eq '^qr *=' bindings/Cargo.toml; then HAS_QR=1; fi
HAS_BLOAT=0
if cargo bloat --version >/dev/null 2>&1; then HAS_BLOAT=1; fi

# features_of SET: prints the cargo feature arguments of SET on one line; fails for a set that
# needs the `qr` feature before it exists. (No mapfile and no empty "${a[@]}": bash 3.2 of macOS.)
features_of() {
  case "$1" in
    default) ;;
    no-json)
      [ "$HAS_QR" -eq 1 ] || return 1
      echo --no-default-features --features qr ;;
    app2app)
      if [ "$HAS_QR" -eq 1 ]; then
        echo --no-default-features
      else
        return 1
      fi ;;
    json-no-qr)
      [ "$HAS_QR" -eq 1 ] || return 1
      echo --no-default-features --features json ;;
    *) die "unknown feature set: $1 (${ALL_SETS[*]})" ;;
  esac
}

# Before the `qr` feature: "no json" is simply --no-default-features.
legacy_features_of() {
  case "$1" in
    no-json) echo --no-default-features ;;
    *) return 1 ;;
  esac
}

ROWS=()
for set in "${SETS[@]}"; do
  args=()
  if out=$(features_of "$set"); then
    :
  elif [ "$HAS_QR" -eq 0 ] && out=$(legacy_features_of "$set"); then
    :
  else
    ROWS+=("$set|n/a|(needs the qr feature)")
    continue
  fi
  if [ -n "$out" ]; then read -r -a args <<< "$out"; fi
  echo "size-report: building $set (${args[*]:-default features})" >&2
  cargo build --quiet -p sidkit-mobile --lib --profile "$PROFILE" ${args[@]+"${args[@]}"}
  src=target/$PROFILE_DIR/$LIB_FILE
  [ -f "$src" ] || die "cargo did not produce $src"
  mkdir -p "target/size-report/$set"
  dst=target/size-report/$set/$LIB_FILE
  "$STRIP" "${STRIP_ARGS[@]}" -o "$dst" "$src"
  ROWS+=("$set|$(wc -c < "$dst" | tr -d ' ')|${args[*]:-}")
  if [ "$HAS_BLOAT" -eq 1 ]; then
    echo "size-report: top $TOP crates of $set (cargo bloat, unstripped symbols)"
    cargo bloat -p sidkit-mobile --lib --profile "$PROFILE" ${args[@]+"${args[@]}"} --crates -n "$TOP" \
      || echo "size-report: cargo bloat failed for $set (skipped)" >&2
  fi
done
if [ "$HAS_BLOAT" -eq 0 ]; then
  echo "size-report: cargo bloat not installed (cargo install cargo-bloat): top crates skipped" >&2
fi

printf '\n%-12s %14s  %s\n' "feature set" "stripped (B)" "cargo features"
for row in "${ROWS[@]}"; do
  IFS='|' read -r set size args <<< "$row"
  printf '%-12s %14s  %s\n' "$set" "$size" "${args:-(default)}"
done
