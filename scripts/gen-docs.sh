#!/usr/bin/env bash
# Regenerates docs/dialect.md and docs/passes.md from the ODS (.td) sources.
#   scripts/gen-docs.sh [BUILD_DIR] [--check]
# With --check, exits non-zero when the committed docs are stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
cmake --build "$BUILD_DIR" --target QuiltDocGen QuiltTransformsIncGen QuiltConversionIncGen >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "# The quilt dialect (generated from dialects/Quilt/IR/*.td by scripts/gen-docs.sh)"
  echo
  cat "$BUILD_DIR/dialects/Quilt/IR/QuiltDialect.md"
} > "$tmp/dialect.md"
{
  echo "# Quilt passes (generated from include/quilt/*/Passes.td by scripts/gen-docs.sh)"
  echo
  echo "## Sharding and partitioning"
  cat "$BUILD_DIR/include/quilt/Transforms/Passes.md"
  echo
  echo "## Lowering"
  cat "$BUILD_DIR/include/quilt/Conversion/Passes.md"
} > "$tmp/passes.md"
if [ "${2:-}" = "--check" ]; then
  for f in dialect.md passes.md; do
    if ! diff -q "$tmp/$f" "$ROOT/docs/$f" >/dev/null; then
      echo "docs/$f is stale: run scripts/gen-docs.sh" >&2
      exit 1
    fi
  done
  echo "docs/dialect.md and docs/passes.md match the ODS sources"
else
  cp "$tmp/dialect.md" "$tmp/passes.md" "$ROOT/docs/"
fi
