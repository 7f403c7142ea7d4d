#!/usr/bin/env bash
# Prepares an iOS release of the Swift package: builds the XCFramework zip with
# scripts/build-xcframework.sh (release profile) and writes the zip's download URL and SwiftPM
# checksum into Package.swift (`releaseFFI`), so that apps resolving the package at the release
# tag download that exact binary. Runs on macOS with Xcode and rustup.
#
#   scripts/release-ios.sh --version X.Y.Z --url URL [--out DIR] [--package FILE] [--allow-dirty]
#                          [--debug]
#   scripts/release-ios.sh --reset [--package FILE]
#
#   --version X.Y.Z  the release (semantic version); printed in the next steps and checked to
#                    appear in the URL, so a zip is never published under another release's URL
#   --url URL        where SidKitFFI.xcframework.zip will be downloaded from: https only, ending
#                    in .zip (e.g. https://github.com/ORG/sidkit/releases/download/X.Y.Z/SidKitFFI.xcframework.zip)
#   --out DIR        where the framework and the zip go (default: ios/build/release)
#   --package FILE   the manifest to rewrite (default: Package.swift; the tests use a copy)
#   --allow-dirty    build even with uncommitted changes (the binary then matches no commit)
#   --debug          the unoptimised library: a rehearsal of the steps (the tests use it); never
#                    publish its zip
#   --reset          set `releaseFFI` back to nil (development builds use the local framework)
#
# Afterwards: upload DIR/SidKitFFI.xcframework.zip to URL unchanged (any change breaks the
# checksum), commit Package.swift and ios/Sources/SidKit/Generated/SidKit.swift, tag X.Y.Z, push
# the tag. See RELEASING.md.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=
URL=
OUT=ios/build/release
PACKAGE=Package.swift
ALLOW_DIRTY=0
RESET=0
BUILD=--release

die() {
  echo "release-ios: $*" >&2
  exit 1
}

usage() {
  echo "release-ios: $*" >&2
  echo "see: scripts/release-ios.sh --help" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --version)
      [ $# -ge 2 ] || usage "--version needs a value"
      VERSION=$2; shift 2 ;;
    --url)
      [ $# -ge 2 ] || usage "--url needs a value"
      URL=$2; shift 2 ;;
    --out)
      [ $# -ge 2 ] || usage "--out needs a directory"
      OUT=$2; shift 2 ;;
    --package)
      [ $# -ge 2 ] || usage "--package needs a file"
      PACKAGE=$2; shift 2 ;;
    --allow-dirty) ALLOW_DIRTY=1; shift ;;
    --reset) RESET=1; shift ;;
    --debug) BUILD=--debug; shift ;;
    -h|--help) sed -n 2,24p "$0"; exit 0 ;;
    *) usage "unknown argument: $1" ;;
  esac
done

[ -f "$PACKAGE" ] || die "$PACKAGE not found"
# The one line this script owns; anything else in the manifest is left as it is.
DECL='let releaseFFI: (url: String, checksum: String)? = '
count=$(awk -v decl="$DECL" 'index($0, decl) == 1 { n++ } END { print n + 0 }' "$PACKAGE")
[ "$count" = 1 ] || die "$PACKAGE must have exactly one line starting with '$DECL' (found $count)"

# rewrite VALUE: replaces the declaration's value (the rest of that line) with VALUE.
rewrite() {
  local tmp
  tmp=$(mktemp "${PACKAGE}.XXXXXX")
  DECL_VALUE=$1 awk -v decl="$DECL" '
    index($0, decl) == 1 { print decl ENVIRON["DECL_VALUE"]; next }
    { print }
  ' "$PACKAGE" >"$tmp" || { rm -f "$tmp"; die "cannot rewrite $PACKAGE"; }
  mv "$tmp" "$PACKAGE"
  grep -qxF "${DECL}$1" "$PACKAGE" || die "$PACKAGE was not rewritten as expected"
}

if [ "$RESET" -eq 1 ]; then
  [ -z "$VERSION$URL" ] || usage "--reset takes no --version or --url"
  rewrite "nil"
  echo "release-ios: releaseFFI = nil in $PACKAGE (the local ios/build/SidKitFFI.xcframework is used)"
  exit 0
fi

[ -n "$VERSION" ] || usage "--version is required"
[ -n "$URL" ] || usage "--url is required"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] \
  || usage "--version '$VERSION' is not a semantic version (X.Y.Z or X.Y.Z-pre)"
[[ "$URL" =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9._~%/+-]*\.zip$ ]] \
  || usage "--url must be an https URL of a .zip without query, fragment, quotes or spaces"
case "$URL" in
  *"/$VERSION/"* | *"-$VERSION."* | *"/v$VERSION/"*) ;;
  *) usage "--url does not name version $VERSION (e.g. .../download/$VERSION/SidKitFFI.xcframework.zip)" ;;
esac

if [ "$ALLOW_DIRTY" -eq 0 ] && command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
  # The manifest itself is what this script changes; anything else uncommitted would make
  # the binary differ from the tagged sources.
  # (The ${a[@]+...} form: macOS's bash 3.2 calls an empty array unbound under set -u.)
  exclude=()
  if git ls-files --error-unmatch -- "$PACKAGE" >/dev/null 2>&1; then
    exclude=(":(exclude)$PACKAGE")
  fi
  if [ -n "$(git status --porcelain --untracked-files=no -- . ${exclude[@]+"${exclude[@]}"})" ]; then
    die "uncommitted changes (git status); commit them first or pass --allow-dirty"
  fi
fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
[ "$BUILD" = --release ] || echo "release-ios: warning: --debug build, a rehearsal: do not publish this zip" >&2
scripts/build-xcframework.sh "$BUILD" --out "$OUT" | tee "$LOG"
CHECKSUM=$(sed -n 's/^build-xcframework: checksum \([0-9a-f]\{64\}\)$/\1/p' "$LOG" | tail -n 1)
[ -n "$CHECKSUM" ] || die "build-xcframework.sh printed no checksum"
ZIP=$OUT/SidKitFFI.xcframework.zip
[ -s "$ZIP" ] || die "no $ZIP"
# The checksum must be that of the zip on disk (SwiftPM's is the SHA-256 of the file).
if command -v shasum >/dev/null 2>&1; then
  ACTUAL=$(shasum -a 256 "$ZIP" | cut -d' ' -f1)
else
  ACTUAL=$(sha256sum "$ZIP" | cut -d' ' -f1)
fi
[ "$ACTUAL" = "$CHECKSUM" ] || die "the printed checksum $CHECKSUM is not the zip's SHA-256 $ACTUAL"

rewrite "(url: \"$URL\", checksum: \"$CHECKSUM\")"

echo "release-ios: $PACKAGE now points at $URL"
echo "release-ios: checksum $CHECKSUM"
echo "release-ios: next: upload $ZIP to that URL unchanged, commit $PACKAGE and"
echo "release-ios:       ios/Sources/SidKit/Generated/SidKit.swift, tag $VERSION, push the tag;"
echo "release-ios:       then scripts/release-ios.sh --reset on the development branch"
