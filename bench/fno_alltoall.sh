#!/usr/bin/env bash
# FNO all-to-all benchmark: the bytes a DFT on a split axis moves, with and
# without slicing the kept Fourier modes before the transpose.
#
#   bench/fno_alltoall.sh BUILD_DIR
#
# 1. generates bench_fno2d (1x2x128x96, width 16, two Fourier layers keeping
#    12+12 H modes and 12 of the 49 W modes) with test/models/gen_models.py
#    --bench (cached);
# 2. compiles it for each mesh twice: as quiltc does by default, and with
#    --shrink-spectral-transposes=false (the all-to-all of the DFT along H then
#    carries all 49 W modes, and the inverse's zero-filled 96);
# 3. runs both under mpirun with --report=@measured.json (bytes each rank sent
#    in each communication op of the first run), checks the output against
#    the numpy reference (1e-3) and that the compiler predicted every byte;
# 4. prints, per all-to-all, the bytes with and without and their ratio next
#    to the ratio of the moved tensors' sizes (the kept modes), and the totals.
#
# Environment (optional):
#   QUILTC            quiltc path (default: BUILD_DIR/tools/quiltc/quiltc)
#   BENCH_DIR         work dir (default: BUILD_DIR/bench/fno_alltoall)
#   BENCH_MESHES      meshes to run (default "4 2x2")
#   PYTHON, MPIRUN, MPIRUN_FLAGS   as in test/e2e/run_e2e.sh
set -u -o pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "fno_alltoall.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
QUILTC=${QUILTC:-$BUILD_DIR/tools/quiltc/quiltc}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/fno_alltoall}
MESHES=${BENCH_MESHES:-4 2x2}
M=bench_fno2d

die() { echo "fno_alltoall.sh: error: $*" >&2; exit 1; }
[ -x "$QUILTC" ] || die "quiltc not found at $QUILTC (set QUILTC=...)"
mkdir -p "$WORK/models" || die "cannot create $WORK"
MODELS=$WORK/models

if [ ! -f "$MODELS/$M.onnx" ] || [ "$REPO/test/models/gen_models.py" -nt "$MODELS/$M.onnx" ]; then
  echo "== generating $M"
  "$PYTHON" "$REPO/test/models/gen_models.py" "$MODELS" --bench --only=$M >/dev/null ||
    die "model generation failed"
fi

REPORT_ARGS=()
for mesh in $MESHES; do
  ranks=$(( ${mesh//x/*} ))
  for variant in sliced unsliced; do
    flags=()
    [ $variant = unsliced ] && flags=(--shrink-spectral-transposes=false)
    dir=$WORK/$M.$mesh.$variant
    rm -rf "$dir" && mkdir -p "$dir"
    # The partitioned IR names each all-to-all's tensor; the executable measures.
    "$QUILTC" "$MODELS/$M.onnx" --mesh="$mesh" "${flags[@]}" --compile-to=partition \
      -o "$dir/partition.mlir" >"$dir/compile.log" 2>&1 || { cat "$dir/compile.log"; die "quiltc failed"; }
    "$QUILTC" "$MODELS/$M.onnx" -o "$dir/model" --mesh="$mesh" "${flags[@]}" \
      --report="$dir/predicted.json" >>"$dir/compile.log" 2>&1 ||
      { cat "$dir/compile.log"; die "quiltc failed"; }
    # shellcheck disable=SC2086
    (cd "$dir" && OMP_NUM_THREADS=1 "$MPIRUN" $MPIRUN_FLAGS -n "$ranks" ./model \
       --input=@"$MODELS/$M.input.npy" --expected_output=@"$MODELS/$M.torch.npy" \
       --expected_f32_threshold=1e-3 --report=@measured.json) \
      >"$dir/run.log" 2>&1 || { cat "$dir/run.log"; die "$M on mesh $mesh ($variant) failed"; }
    "$PYTHON" "$REPO/test/e2e/compare_reports.py" "$dir/predicted.json" "$dir/measured.json" \
      >"$dir/traffic.log" || { cat "$dir/traffic.log"; die "measured bytes differ from the prediction"; }
  done
  REPORT_ARGS+=("$mesh" "$WORK/$M.$mesh.sliced" "$WORK/$M.$mesh.unsliced")
done
"$PYTHON" "$SCRIPT_DIR/fno_alltoall_report.py" "${REPORT_ARGS[@]}"
