#!/usr/bin/env bash
# Conv-stack benchmark: ONNX Runtime (1 thread) vs Quilt on 1 and 2 ranks.
#
#   bench/convstack.sh BUILD_DIR
#
# 1. generates bench_convstack (1x32x256x256, 8 x 3x3 conv 32->32 in 4 residual
#    blocks, ~9.66 GFLOP) with test/models/gen_models.py --bench (cached);
# 2. times ONNX Runtime CPU with 1 intra-op thread (run_ort.js --bench=N);
# 3. compiles with quiltc for P=1 and P=2 (H split: --shard=input:2);
# 4. runs ./model --iterations=K under mpirun -n 1 and -n 2 (1 thread per rank),
#    also checking the output against ORT (--expected_output, 1e-4);
# 5. prints ORT ms, Quilt 1-rank ms, Quilt/ORT ratio, 2-rank ms, speed-up, and
#    bytes sent per rank vs the analytical halo volume. The executables' timing
#    output is parsed loosely (lines with 'time' / 'bytes'); if that fails the
#    raw output is printed. Wall-clock times of whole mpirun invocations are
#    also reported (iterations=1 vs iterations=K difference, which cancels
#    start-up and weight loading).
#
# Environment (optional):
#   QUILTC            quiltc path (default: searched in BUILD_DIR)
#   BENCH_DIR         work dir (default: BUILD_DIR/bench/convstack)
#   BENCH_ITERS       --iterations for Quilt (default 5)
#   BENCH_ORT_RUNS    timed ORT runs (default 5; 2 warm-up runs)
#   BENCH_SHARD       --shard value for P>1 (default input:2, i.e. split H)
#   BENCH_RANKS       rank counts to run (default "1 2")
#   ORT_DIR, NODE, PYTHON, MPIRUN, MPIRUN_FLAGS   as in test/e2e/run_e2e.sh
set -u -o pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "convstack.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
ORT_DIR=${ORT_DIR:-$REPO/test/e2e/ort}
. "$REPO/scripts/tool-env.sh"
ITERS=${BENCH_ITERS:-5}
ORT_RUNS=${BENCH_ORT_RUNS:-5}
SHARD=${BENCH_SHARD:-input:2}
RANKS=${BENCH_RANKS:-1 2}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/convstack}
M=bench_convstack

die() { echo "convstack.sh: error: $*" >&2; exit 1; }

if [ -z "${QUILTC:-}" ]; then
  for c in "$BUILD_DIR/bin/quiltc" "$BUILD_DIR/tools/quiltc/quiltc" "$BUILD_DIR/tools/quiltc" \
           "$BUILD_DIR/quiltc"; do
    if [ -f "$c" ] && [ -x "$c" ]; then QUILTC=$c; break; fi
  done
  if [ -z "${QUILTC:-}" ]; then
    QUILTC=$(find "$BUILD_DIR" -name quiltc -type f -perm -u+x 2>/dev/null | head -n 1)
  fi
fi
[ -n "${QUILTC:-}" ] && [ -x "$QUILTC" ] || die "quiltc not found in $BUILD_DIR (set QUILTC=...)"
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] || \
  die "onnxruntime-node not installed: run 'npm ci --ignore-scripts' in $ORT_DIR"

mkdir -p "$WORK/models" || die "cannot create $WORK"
MODELS=$WORK/models

# ---- 1. model ---------------------------------------------------------------
if [ ! -f "$MODELS/$M.onnx" ] || [ "$REPO/test/models/gen_models.py" -nt "$MODELS/$M.onnx" ]; then
  echo "== generating $M"
  "$PYTHON" "$REPO/test/models/gen_models.py" "$MODELS" --bench --only=$M || die "model generation failed"
fi
INPUT=$MODELS/$M.input.npy

# ---- 2. ONNX Runtime, 1 thread --------------------------------------------------
echo "== ONNX Runtime $( "$NODE" -e "console.log(require('$ORT_DIR/node_modules/onnxruntime-node/package.json').version)" 2>/dev/null ), 1 intra-op thread, $ORT_RUNS runs"
ORT_LOG=$WORK/ort.log
OMP_NUM_THREADS=1 "$NODE" "$ORT_DIR/run_ort.js" --threads=1 --warmup=2 --bench="$ORT_RUNS" \
  "$MODELS/$M.onnx" "$WORK/ref" "$INPUT" >"$ORT_LOG" 2>&1 || { cat "$ORT_LOG"; die "ORT run failed"; }
grep ort_bench "$ORT_LOG"

# ---- 3./4. Quilt ---------------------------------------------------------------
THREAD_ENV=(OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 DNNL_NUM_THREADS=1
            ONEDNN_NUM_THREADS=1 QUILT_NUM_THREADS=1 OMP_PROC_BIND=false)
XFLAGS=()
# Open MPI does not forward the environment to remote nodes by default: -x it.
if "$MPIRUN" --version 2>&1 | grep -qi "open mpi"; then
  for kv in "${THREAD_ENV[@]}"; do XFLAGS+=(-x "$kv"); done
fi

now() { date +%s.%N; }
REPORT_ARGS=()
for P in $RANKS; do
  EXE=$WORK/$M.p$P
  CMD=("$QUILTC" "$MODELS/$M.onnx" -o "$EXE" "--mesh=$P")
  [ "$P" -gt 1 ] && [ -n "$SHARD" ] && CMD+=("--shard=$SHARD")
  echo "== compile P=$P: ${CMD[*]}"
  "${CMD[@]}" >"$WORK/compile.p$P.log" 2>&1 || { tail -n 40 "$WORK/compile.p$P.log"; die "quiltc failed for P=$P"; }
  # shellcheck disable=SC2206
  MPI=("$MPIRUN" ${MPIRUN_FLAGS} "${XFLAGS[@]}" -n "$P")
  ARGS=("--input=@$INPUT" "--output=@$WORK/out.p$P.npy" "--expected_output=@$WORK/ref/0.npy"
        "--expected_f32_threshold=1e-4")
  echo "== run P=$P (--iterations=1 and --iterations=$ITERS)"
  t0=$(now)
  (cd "$WORK" && env "${THREAD_ENV[@]}" "${MPI[@]}" "$EXE" "${ARGS[@]}" --iterations=1 </dev/null) \
    >"$WORK/run.p$P.it1.log" 2>&1
  rc1=$?
  t1=$(now)
  (cd "$WORK" && env "${THREAD_ENV[@]}" "${MPI[@]}" "$EXE" "${ARGS[@]}" --iterations="$ITERS" </dev/null) \
    >"$WORK/run.p$P.log" 2>&1
  rc=$?
  t2=$(now)
  if [ $rc != 0 ] || [ $rc1 != 0 ]; then
    echo "!! mpirun -n $P exited with $rc1 (iterations=1) / $rc (iterations=$ITERS); output:"
    tail -n 60 "$WORK/run.p$P.log"
  fi
  REPORT_ARGS+=("$P" "$WORK/run.p$P.log" "$rc" "$t0" "$t1" "$t2")
done

# ---- 5. report -------------------------------------------------------------
"$PYTHON" "$SCRIPT_DIR/convstack_report.py" "$MODELS/manifest.json" "$M" "$ORT_LOG" "$ITERS" \
  "${REPORT_ARGS[@]}"
