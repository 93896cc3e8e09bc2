#!/usr/bin/env bash
# U-Net memory per rank: the peak arena (every activation buffer, planned
# statically) and the peak resident memory of a 1x3x1024x1024 U-Net
# (conv+GroupNorm blocks, max-pool, ConvTranspose, bilinear upsampling, skip
# concatenations) on 1, 2, 4 and 8 ranks, H split.
#
#   bench/unet_memory.sh BUILD_DIR
#
# Prints, per P: arena per rank, P x arena(P) / arena(1) (1.00 = perfect
# 1/P scaling; halos and the largest-block rounding make it grow), peak RSS
# per rank, and whether the output matched torch's (1e-4).
# Environment: BENCH_RANKS (default "1 2 4 8"), BENCH_DIR, QUILTC, PYTHON,
# MPIRUN, MPIRUN_FLAGS as in test/e2e/run_e2e.sh.
set -u -o pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "unet_memory.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
. "$SCRIPT_DIR/bench-common.sh"
RANKS=${BENCH_RANKS:-1 2 4 8}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/unet}
M=bench_unet
bench_setup "$BUILD_DIR" "$WORK" "$M"

ROWS=()
for P in $RANKS; do
  EXE=$WORK/$M.p$P
  bench_compile "$EXE" "$WORK/plan.p$P.json" --mesh="$P"
  bench_run "$P" "$EXE" "$WORK/run.p$P.log" --iterations=1 \
    "--expected_output=@$MODELS/$M.torch.npy" --expected_f32_threshold=1e-4
  ROWS+=("$P" "$WORK/plan.p$P.json" "$WORK/run.p$P.log")
done
BENCH_PY=$SCRIPT_DIR "$PYTHON" - "${ROWS[@]}" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["BENCH_PY"])
from bench_logs import run_stats
rows = sys.argv[1:]
base = None
print(f"{'P':>3} {'arena/rank MiB':>15} {'P*arena/arena1':>15} {'halo B/rank max':>16} {'peak RSS MiB max':>17}  output")
for i in range(0, len(rows), 3):
    p, plan = int(rows[i]), json.load(open(rows[i + 1]))
    _, rss, ok = run_stats(rows[i + 2])
    arena = plan["peak_arena_bytes"]
    base = base or arena
    halo = max(plan["total_bytes_sent_per_rank"])
    print(f"{p:>3} {arena / 2**20:>15.2f} {p * arena / base:>15.3f} {halo:>16} {rss:>17.1f}  {ok}")
PY
