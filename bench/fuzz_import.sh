#!/usr/bin/env bash
# The long fuzz run of the ONNX import: 100,000 structure-aware mutants (by
# default) of the repository's models through quilt-fuzz-import. A crash or a
# hang ends the fuzzer's process; this script keeps the model that did it
# (crashes/mutant-N.onnx, reproduce with `quilt-fuzz-import --run FILE` or
# quiltc) and resumes after it, so one run counts every crash.
#
#   bench/fuzz_import.sh build [MUTANTS] [SEED]
#   -> mutants/s, crashes, hangs and malformed errors; exit 1 if any
set -uo pipefail
BUILD=$(cd "${1:?usage: bench/fuzz_import.sh BUILD_DIR [MUTANTS] [SEED]}" && pwd)
MUTANTS=${2:-100000}
SEED=${3:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FUZZ=${QUILT_FUZZ:-$BUILD/tools/quilt-fuzz-import/quilt-fuzz-import}
OUT=${QUILT_FUZZ_OUT:-$BUILD/bench/fuzz_import}
[ -x "$FUZZ" ] || { echo "fuzz_import: $FUZZ is not built (ninja -C $BUILD quilt-fuzz-import)" >&2; exit 2; }
mkdir -p "$OUT/crashes"

SEEDS=("$ROOT/test/Import" "$ROOT/test/Import/Inputs" "$ROOT/test/quiltc/Inputs")
# ONNX's node tests (libonnx-testdata): one small model per op and attribute case.
NODE_TESTS=/usr/share/libonnx-testdata/data/node
[ -d "$NODE_TESTS" ] && SEEDS+=("$NODE_TESTS")
# The end-to-end models (torch exports) are the richest seeds; ctest's
# e2e_generate_models writes them.
if compgen -G "$BUILD/test/e2e/models/*.onnx" > /dev/null; then
  SEEDS+=("$BUILD/test/e2e/models")
else
  echo "fuzz_import: no e2e models in $BUILD/test/e2e/models (ctest -R e2e_generate_models); fuzzing the lit models only" >&2
fi

# A crash's stack dump without symbols: the saved model is the report.
export LLVM_DISABLE_SYMBOLIZATION=1
# In a QUILT_SANITIZE build, a UBSan report is a crash the fuzzer names.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
start=0 crashes=0 hangs=0 malformed=0
began=$(date +%s.%N)
while [ "$start" -lt "$MUTANTS" ]; do
  log=$OUT/segment.log
  "$FUZZ" "${SEEDS[@]}" --seed="$SEED" --start="$start" --mutants=$((MUTANTS - start)) \
    --crash-file="$OUT/candidate.onnx" > "$log" 2>&1
  rc=$?
  malformed=$((malformed + $(grep -c '^quilt-fuzz-import: BAD ERROR' "$log")))
  grep '^quilt-fuzz-import: BAD ERROR' "$log" | head -5 >&2
  # The fuzzer finished its range: its summary is the last line.
  if grep -q '^quilt-fuzz-import: [0-9]* mutants of ' "$log"; then
    tail -1 "$log"
    break
  fi
  # The handler's line names the mutant: "... CRASH on mutant K of --seed=S (...)"
  # (or HANG (over the --timeout) on mutant K ...).
  line=$(grep -E 'quilt-fuzz-import: (HANG|CRASH)' "$log" | tail -1)
  mutant=$(sed -E 's/.* on mutant ([0-9]+) .*/\1/' <<< "$line")
  if ! [[ "$mutant" =~ ^[0-9]+$ ]]; then
    echo "fuzz_import: the fuzzer stopped (exit $rc) without naming a mutant:" >&2
    tail -5 "$log" >&2
    exit 2
  fi
  if grep -q HANG <<< "$line"; then hangs=$((hangs + 1)); else crashes=$((crashes + 1)); fi
  cp "$OUT/candidate.onnx" "$OUT/crashes/mutant-$mutant.onnx"
  echo "fuzz_import: $(sed -E 's/^quilt-fuzz-import: (CRASH|HANG).* on (mutant [0-9]+).*/\1 on \2/' <<< "$line")" \
       "-> $OUT/crashes/mutant-$mutant.onnx" >&2
  start=$((mutant + 1))
done
ended=$(date +%s.%N)
rate=$(awk -v n="$MUTANTS" -v a="$began" -v b="$ended" 'BEGIN { printf "%.1f", n / (b - a) }')
seconds=$(awk -v a="$began" -v b="$ended" 'BEGIN { printf "%.0f", b - a }')
echo "fuzz_import: $MUTANTS mutants (--seed=$SEED) in ${seconds} s, $rate mutants/s:" \
     "$crashes crashes, $hangs hangs, $malformed malformed errors (models in $OUT/crashes)"
[ $((crashes + hangs + malformed)) -eq 0 ]
