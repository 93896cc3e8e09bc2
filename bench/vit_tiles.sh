#!/usr/bin/env bash
# Tiled vs merged patch tokens: the vit model at 1x2x256x192 (3072 tokens)
# with H split over mesh axis x and W over y. Tiled (quiltc's default,
# quilt-keep-token-grid): each rank keeps its (H, W) tile of tokens and ring
# attention runs over all ranks. Merged (--keep-token-grid=false): the Flatten
# keeps only H's split, W is gathered and every token is computed by all
# ranks along y. Prints per mesh and variant: time per forward pass, peak
# resident memory per rank, arena per rank, bytes sent per rank, all-gathers.
#
#   bench/vit_tiles.sh BUILD_DIR
#
# Environment: BENCH_MESHES (default "2x2"), BENCH_ITERS (default 3),
# BENCH_DIR, QUILTC, PYTHON, MPIRUN, MPIRUN_FLAGS as in test/e2e/run_e2e.sh.
set -u -o pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "vit_tiles.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
. "$SCRIPT_DIR/bench-common.sh"
MESHES=${BENCH_MESHES:-2x2}
ITERS=${BENCH_ITERS:-3}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/vit_tiles}
M=bench_vit
bench_setup "$BUILD_DIR" "$WORK" "$M"

ROWS=()
for MESH in $MESHES; do
  P=$(( ${MESH//x/*} ))
  for VARIANT in tiled merged; do
    FLAGS=()
    [ $VARIANT = merged ] && FLAGS=(--keep-token-grid=false)
    EXE=$WORK/$M.$MESH.$VARIANT
    bench_compile "$EXE" "$WORK/plan.$MESH.$VARIANT.json" --mesh="$MESH" --shard=input:2=0,3=1 \
      "${FLAGS[@]}"
    bench_run "$P" "$EXE" "$WORK/run.$MESH.$VARIANT.log" --iterations="$ITERS" \
      "--expected_output=@$MODELS/$M.torch.npy" --expected_f32_threshold=1e-3
    ROWS+=("$MESH" "$VARIANT" "$WORK/plan.$MESH.$VARIANT.json" "$WORK/run.$MESH.$VARIANT.log")
  done
done
BENCH_PY=$SCRIPT_DIR "$PYTHON" - "${ROWS[@]}" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["BENCH_PY"])
from bench_logs import run_stats
rows = sys.argv[1:]
print(f"{'mesh':>5} {'variant':>8} {'ms/pass':>9} {'peak RSS MiB':>13} {'arena MiB':>10} "
      f"{'sent B/rank':>12} {'gathers':>8}  output")
for i in range(0, len(rows), 4):
    mesh, variant, plan = rows[i], rows[i + 1], json.load(open(rows[i + 2]))
    ms, rss, ok = run_stats(rows[i + 3])
    gathers = sum(op["kind"] == "all_gather" for op in plan["ops"])
    print(f"{mesh:>5} {variant:>8} {ms:>9.1f} {rss:>13.1f} "
          f"{plan['peak_arena_bytes'] / 2**20:>10.2f} {max(plan['total_bytes_sent_per_rank']):>12} "
          f"{gathers:>8}  {ok}")
PY
