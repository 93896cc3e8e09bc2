#!/usr/bin/env bash
# Ring attention vs all-gather attention over split tokens: one transformer
# encoder layer (2 heads, width 32) over 4096 tokens on 1-4 ranks, tokens
# split. Prints per P and variant: time per forward pass, peak resident
# memory per rank (the scores of the local queries against one K/V block for
# the ring, against all keys for all-gather), arena per rank and bytes sent.
#
#   bench/attention.sh BUILD_DIR
#
# Environment: BENCH_RANKS (default "1 2 3 4"), BENCH_ITERS (default 3),
# BENCH_DIR, QUILTC, PYTHON, MPIRUN, MPIRUN_FLAGS as in test/e2e/run_e2e.sh.
set -u -o pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "attention.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
. "$SCRIPT_DIR/bench-common.sh"
RANKS=${BENCH_RANKS:-1 2 3 4}
ITERS=${BENCH_ITERS:-3}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/attention}
M=bench_attention
bench_setup "$BUILD_DIR" "$WORK" "$M"

ROWS=()
for P in $RANKS; do
  for VARIANT in ring all-gather; do
    EXE=$WORK/$M.p$P.$VARIANT
    bench_compile "$EXE" "$WORK/plan.p$P.$VARIANT.json" --mesh="$P" --shard=input:1 \
      --attention="$VARIANT"
    bench_run "$P" "$EXE" "$WORK/run.p$P.$VARIANT.log" --iterations="$ITERS" \
      "--expected_output=@$MODELS/$M.torch.npy" --expected_f32_threshold=1e-3
    ROWS+=("$P" "$VARIANT" "$WORK/plan.p$P.$VARIANT.json" "$WORK/run.p$P.$VARIANT.log")
  done
done
BENCH_PY=$SCRIPT_DIR "$PYTHON" - "${ROWS[@]}" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["BENCH_PY"])
from bench_logs import run_stats
rows = sys.argv[1:]
print(f"{'P':>3} {'variant':>10} {'ms/pass':>9} {'peak RSS MiB':>13} {'arena MiB':>10} {'sent B/rank':>12}  output")
for i in range(0, len(rows), 4):
    p, variant, plan = int(rows[i]), rows[i + 1], json.load(open(rows[i + 2]))
    ms, rss, ok = run_stats(rows[i + 3])
    print(f"{p:>3} {variant:>10} {ms:>9.1f} {rss:>13.1f} "
          f"{plan['peak_arena_bytes'] / 2**20:>10.2f} {max(plan['total_bytes_sent_per_rank']):>12}  {ok}")
PY
