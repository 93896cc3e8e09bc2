#!/usr/bin/env bash
# Regenerates docs/dialect.md and docs/passes.md from the ODS (.td) sources, and
# docs/architecture.md from docs/architecture.md.in with the real IR of
# docs/examples/tiny.onnxtext after each phase.
#   scripts/gen-docs.sh [BUILD_DIR] [--check]
# With --check, exits non-zero when the committed docs are stale.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
cmake --build "$BUILD_DIR" --target QuiltDocGen QuiltTransformsIncGen QuiltConversionIncGen \
  quiltc quilt-opt >/dev/null
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
  echo
  echo "## Planning (passes that consult the cost model)"
  cat "$BUILD_DIR/include/quilt/Planning/Passes.md"
} > "$tmp/passes.md"
QUILTC="$BUILD_DIR/tools/quiltc/quiltc"
ELIDE=--mlir-elide-elementsattrs-if-larger=4
phase() { (cd "$ROOT" && "$QUILTC" docs/examples/tiny.onnxtext --mesh=3 --compile-to="$1" -o - $ELIDE); }
phase import > "$tmp/import.mlir"
phase propagate > "$tmp/propagate.mlir"
phase partition > "$tmp/partition.mlir"
# The runtime module without the parameter arrays of every op but the first.
phase runtime | grep -v '__quilt_params_[1-9][0-9]*(' | sed -n '1,40p' > "$tmp/runtime.mlir"
"$BUILD_DIR/tools/quilt-opt/quilt-opt" "$tmp/partition.mlir" --quilt-report-halos \
  --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null \
  | grep 'remark:' | sed 's/^.*remark: //' > "$tmp/halos.txt"
"${PYTHON:-/usr/bin/python3}" - "$ROOT/docs/architecture.md.in" "$tmp" > "$tmp/architecture.md" <<'PY'
import sys
text = open(sys.argv[1]).read()
for key, name in [("IMPORT", "import.mlir"), ("PROPAGATE", "propagate.mlir"),
                  ("PARTITION", "partition.mlir"), ("RUNTIME", "runtime.mlir"),
                  ("HALOS", "halos.txt")]:
    text = text.replace("@" + key + "@", open(sys.argv[2] + "/" + name).read().rstrip("\n"))
sys.stdout.write(text)
PY
if [ "${2:-}" = "--check" ]; then
  for f in dialect.md passes.md architecture.md; do
    if ! diff -q "$tmp/$f" "$ROOT/docs/$f" >/dev/null; then
      echo "docs/$f is stale: run scripts/gen-docs.sh" >&2
      exit 1
    fi
  done
  echo "docs/dialect.md, passes.md and architecture.md are current"
else
  cp "$tmp/dialect.md" "$tmp/passes.md" "$tmp/architecture.md" "$ROOT/docs/"
fi
