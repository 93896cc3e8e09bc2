#!/usr/bin/env bash
# Cost-model accuracy: quiltc's predicted time per step (--simulate-json on a
# calibrated topology) against the compiled executables' measured time, per
# phase (compute, halo, collectives), on every plan this machine can run.
#
#   bench/plan_accuracy.sh BUILD_DIR [OUT_DIR] [--calibrate | --calibrate-network]
#
# 1. --calibrate: first `mpirun -n 2 quilt-calibrate -o OUT_DIR/machine.json`
#    (plus BENCH_CALIBRATE_FLAGS, e.g. --quick) and predict on that;
#    --calibrate-network: the same run, but only what it measured of the
#    network and copies (levels, measured_collectives, the device's
#    copy_points_bytes_us, copy_run_us and index_row_us) replaces those of the committed topology, whose
#    compute model stays (OUT_DIR/topology.json): this VM's transfers drift
#    by 30% from one hour to the next, so the bench times them within
#    minutes of its runs; default: the committed topologies/devbox-2core.json
#    (BENCH_TOPOLOGY=NAME|PATH overrides);
# 2. generates the models with bench/plan_models.py (torch exports, cached):
#    a conv stack 1x32x256x256 (4 convs), a U-Net 1x3x256x256, an FNO-2D
#    1x2x256x256, a ViT over 32x32 patch tokens, and one HELD-OUT model (a 3-D
#    conv net, 1x2x48^3) that was not looked at while the cost model was tuned;
# 3. per model and plan -- P=1; P=2 split on H, W, channels (3-D: D, H, W,
#    channels); P=4 on mesh 4 (two main spatial dims) and 2x2 -- compiles
#    once with `-o exe --simulate-json=pred.json` (the prediction of exactly
#    that executable); plans quiltc refuses are listed as infeasible. P=4 is
#    OVERSUBSCRIBED on 2 cores: reported apart, never pooled with P<=2;
# 4. `--mesh=auto --devices=P` (P = 2, 4) with --explain-plan: its pick is
#    matched to a candidate above, or compiled and measured as an extra row;
# 5. runs every executable BENCH_RUNS (5) times with --iterations=BENCH_ITERS
#    (20; the untimed first pass warms up), round-robin over a model's plans
#    so that drift spreads over all of them; measured = median over runs of
#    the per-iteration means, with the IQR across runs. Each run of a plan
#    with P > 1 is followed by one with --sync-phases (a timed barrier before
#    every communication op): the halo and collective phases are read from
#    those, the total and compute from the plain runs. Before each run it
#    waits for idle CPUs (at most BENCH_QUIET_WAIT=60 s a run and
#    BENCH_QUIET_BUDGET=150 s in all); a run during which other processes
#    took > 0.2 cores is repeated (twice at most, BENCH_RETRIES=20 in all;
#    the report counts them). One extra row per model, P=1 under
#    `--bind-to none`, is a diagnostic (Open MPI binds a lone rank to one
#    core; the cost model gives P=1 the whole node). Then single-op probes
#    (bench/plan_models.py --probes; BENCH_PROBES=0 skips them): one kernel
#    per model at P=2, BENCH_PROBE_RUNS (3) runs, to tell which kernel the
#    cost model misjudges, apart from any plan;
# 6. bench/plan_accuracy.py prints the report and writes
#    OUT_DIR/plan_accuracy.md and .json: error per phase, error
#    distributions, Kendall tau of the plan order per model, auto's pick
#    against the best measured plan, compute measured / predicted, probes.
#
# OMP_NUM_THREADS is unset for the runs: the runtime splits the node's cores
# between its ranks (P=1: 2 threads), which is what the cost model assumes.
# Takes ~10 minutes on the 2-core dev machine when it is otherwise idle
# (~13 at most with every wait used).
#
# Environment: BENCH_RUNS, BENCH_ITERS, BENCH_MODELS (comma list, default all),
# BENCH_TOPOLOGY, BENCH_CALIBRATE_FLAGS, BENCH_QUIET_WAIT, BENCH_QUIET_BUDGET, BENCH_RETRIES,
# BENCH_PROBES, BENCH_PROBE_RUNS, QUILTC, PYTHON, MPIRUN, MPIRUN_FLAGS as in
# test/e2e/run_e2e.sh.
set -u -o pipefail
START=$(date +%s)
CALIBRATE=0
POS=()
for a in "$@"; do
  case $a in
    --calibrate) CALIBRATE=1 ;;
    --calibrate-network) CALIBRATE=network ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
    -*) echo "plan_accuracy.sh: unknown flag $a" >&2; exit 2 ;;
    *) POS+=("$a") ;;
  esac
done
[ ${#POS[@]} -ge 1 ] && [ ${#POS[@]} -le 2 ] ||
  { echo "usage: $0 BUILD_DIR [OUT_DIR] [--calibrate | --calibrate-network]" >&2; exit 2; }
BUILD_DIR=$(cd "${POS[0]}" 2>/dev/null && pwd) ||
  { echo "plan_accuracy.sh: no such build dir: ${POS[0]}" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
OUT=${POS[1]:-$BUILD_DIR/bench/plan_accuracy}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || exit 1
RUNS=${BENCH_RUNS:-5}
ITERS=${BENCH_ITERS:-20}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}
QUIET_BUDGET=${BENCH_QUIET_BUDGET:-150}
RETRIES=${BENCH_RETRIES:-20}
PROBE_RUNS=${BENCH_PROBE_RUNS:-3}
TOPOLOGY=${BENCH_TOPOLOGY:-$REPO/topologies/devbox-2core.json}

die() { echo "plan_accuracy.sh: error: $*" >&2; exit 1; }

if [ -z "${QUILTC:-}" ]; then
  for c in "$BUILD_DIR/tools/quiltc/quiltc" "$BUILD_DIR/bin/quiltc"; do
    [ -x "$c" ] && { QUILTC=$c; break; }
  done
fi
[ -n "${QUILTC:-}" ] && [ -x "$QUILTC" ] || die "quiltc not found in $BUILD_DIR (set QUILTC=...)"
# A snapshot: a rebuild during the run cannot mix two compilers' predictions.
cp "$QUILTC" "$OUT/quiltc" && QUILTC=$OUT/quiltc || die "cannot copy $QUILTC to $OUT"
# shellcheck disable=SC2206
MPI=("$MPIRUN" ${MPIRUN_FLAGS})

# CPU time used by everything on the machine over 0.5 s, in cores.
busy_cores() {
  local a b
  read -ra a </proc/stat; sleep 0.5; read -ra b </proc/stat
  awk -v u0="${a[1]}" -v n0="${a[2]}" -v s0="${a[3]}" -v u1="${b[1]}" -v n1="${b[2]}" \
      -v s1="${b[3]}" -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.2f", ((u1 + n1 + s1) - (u0 + n0 + s0)) / hz / 0.5 }'
}
# Waits until the CPUs are idle (another benchmark or build would pollute the
# timings), at most QUIET_WAIT s per call and QUIET_BUDGET s in all (so the
# script ends in time on a busy machine); sets BUSY to how busy they were.
WAITED=0
wait_quiet() {
  local t0
  t0=$(date +%s)
  while :; do
    BUSY=$(busy_cores)
    awk -v b="$BUSY" 'BEGIN { exit !(b < 0.15) }' && break
    [ $(( $(date +%s) - t0 )) -ge "$QUIET_WAIT" ] && break
    [ $(( WAITED + $(date +%s) - t0 )) -ge "$QUIET_BUDGET" ] && break
    sleep 2
  done
  WAITED=$(( WAITED + $(date +%s) - t0 ))
}

# ---- 1. topology ------------------------------------------------------------
if [ $CALIBRATE != 0 ]; then
  CAL=$BUILD_DIR/tools/quilt-calibrate/quilt-calibrate
  [ -x "$CAL" ] || die "quilt-calibrate not found at $CAL"
  wait_quiet
  echo "== calibrating: mpirun -n 2 quilt-calibrate -o $OUT/machine.json (busy before: $BUSY cores)"
  # shellcheck disable=SC2086  # BENCH_CALIBRATE_FLAGS: flags, split on purpose
  "${MPI[@]}" -n 2 "$CAL" -o "$OUT/machine.json" ${BENCH_CALIBRATE_FLAGS:-} >"$OUT/calibrate.log" 2>&1 ||
    { tail -n 20 "$OUT/calibrate.log"; die "calibration failed"; }
  if [ $CALIBRATE = network ]; then
    case $TOPOLOGY in */*) ;; *) TOPOLOGY=$REPO/topologies/$TOPOLOGY.json ;; esac
    "$PYTHON" - "$TOPOLOGY" "$OUT/machine.json" "$OUT/topology.json" <<'PY' ||
import json, sys
base, fresh = (json.load(open(p)) for p in sys.argv[1:3])
base["levels"] = fresh["levels"]
base["measured_collectives"] = fresh["measured_collectives"]
base["device"]["copy_points_bytes_us"] = fresh["device"]["copy_points_bytes_us"]
base["device"]["copy_run_us"] = fresh["device"]["copy_run_us"]
base["device"]["index_row_us"] = fresh["device"]["index_row_us"]
base["device"]["source"] += ("; copy_points_bytes_us, copy_run_us, index_row_us, the levels and measured_collectives "
                             "replaced by bench/plan_accuracy.sh --calibrate-network from "
                             "quilt-calibrate on " + fresh["calibration"]["date"])
base["calibration"] = dict(fresh["calibration"], network_only=True)
json.dump(base, open(sys.argv[3], "w"), indent=1)
PY
      die "cannot merge $OUT/machine.json into $TOPOLOGY"
    TOPOLOGY=$OUT/topology.json
  else
    TOPOLOGY=$OUT/machine.json
  fi
fi
echo "== topology: $TOPOLOGY"

# ---- 2. models --------------------------------------------------------------
MODELS=$OUT/models
echo "== models (bench/plan_models.py, cached in $MODELS)"
PROBE_FLAG=--probes
[ "${BENCH_PROBES:-1}" = 0 ] && PROBE_FLAG=
"$PYTHON" "$SCRIPT_DIR/plan_models.py" "$MODELS" ${BENCH_MODELS:+--only=$BENCH_MODELS} $PROBE_FLAG ||
  die "model generation failed"
mapfile -t MODEL_NAMES < <("$PYTHON" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))))' \
  "$MODELS/plan_models.json")

# ---- 3./4. compile + predict, one row per plan ---------------------------------
# rows.txt, '|'-separated: model, tag, mesh, shard, source (plan, auto or
# diagnostic), status (ok or infeasible), extra mpirun flags
ROWS=$OUT/rows.txt
: >"$ROWS"
tag_of() { local t="m$1_${2:-none}"; echo "${t//[^A-Za-z0-9_]/-}"; }
compile_row() { # MODEL TAG MESH SHARD SOURCE [QUILTC FLAGS...]
  local m=$1 tag=$2 mesh=$3 shard=$4 src=$5 dir=$OUT/plans/$1/$2
  shift 5
  mkdir -p "$dir"
  local flags=("$@")
  [ ${#flags[@]} -eq 0 ] && { flags=(--mesh="$mesh"); [ -n "$shard" ] && flags+=(--shard="$shard"); }
  if "$QUILTC" "$MODELS/$m.onnx" -o "$dir/exe" --topology="$TOPOLOGY" \
       --simulate-json="$dir/pred.json" "${flags[@]}" >"$dir/compile.log" 2>&1; then
    printf '%s|%s|%s|%s|%s|ok|\n' "$m" "$tag" "$mesh" "$shard" "$src" >>"$ROWS"
  else
    echo "   infeasible: $m mesh=$mesh shard=$shard: $(grep -m1 error "$dir/compile.log" || tail -n 1 "$dir/compile.log")"
    printf '%s|%s|%s|%s|%s|infeasible|\n' "$m" "$tag" "$mesh" "$shard" "$src" >>"$ROWS"
  fi
}
for m in "${MODEL_NAMES[@]}"; do
  echo "== $m: compile and predict every plan"
  while IFS='|' read -r mesh shard; do
    compile_row "$m" "$(tag_of "$mesh" "$shard")" "$mesh" "$shard" plan
  done < <("$PYTHON" -c 'import json,sys
for p in json.load(open(sys.argv[1]))[sys.argv[2]]["plans"]: print(p["mesh"] + "|" + p["shard"])' \
    "$MODELS/plan_models.json" "$m")
  # The diagnostic: P=1 free to use every core (same executable and prediction).
  if [ -x "$OUT/plans/$m/m1_none/exe" ] && grep -q "^$m|m1_none|.*|ok|" "$ROWS"; then
    mkdir -p "$OUT/plans/$m/m1_unbound"
    printf '%s|%s|1||diagnostic|ok|--bind-to none\n' "$m" m1_unbound >>"$ROWS"
  fi
  for P in 2 4; do
    A=$OUT/auto/$m.p$P
    mkdir -p "$OUT/auto"
    if ! "$QUILTC" "$MODELS/$m.onnx" --mesh=auto --devices=$P --topology="$TOPOLOGY" \
         --simulate-json="$A.json" --explain-plan >"$A.explain.txt" 2>&1; then
      echo "   --mesh=auto --devices=$P failed: $(grep -m1 error "$A.explain.txt")"
      continue
    fi
    # The pick among the candidates, or a new row measured like them.
    IFS='|' read -r match mesh shard < <("$PYTHON" "$SCRIPT_DIR/plan_accuracy.py" --match-auto \
      "$A.json" "$ROWS" "$m")
    if [ "$match" = new ]; then
      echo "   auto (P=$P) picked mesh=$mesh shard=$shard: not a candidate, measured too"
      compile_row "$m" "auto_p$P" "$mesh" "$shard" auto --mesh=auto --devices=$P
    else
      echo "   auto (P=$P) picked $match"
    fi
  done
done

# Where Open MPI places the ranks (its default binding depends on P).
for P in 1 2 4; do
  "${MPI[@]}" -n $P sh -c 'echo "P='$P' rank $OMPI_COMM_WORLD_RANK: $(grep Cpus_allowed_list /proc/self/status | tr -s "\t" " ")"' \
    2>/dev/null
done >"$OUT/bindings.txt"
"${MPI[@]}" -n 1 --bind-to none sh -c 'echo "P=1 --bind-to none: $(grep Cpus_allowed_list /proc/self/status | tr -s "\t" " ")"' \
  >>"$OUT/bindings.txt" 2>/dev/null

# ---- 5. measure ---------------------------------------------------------------
# One run: waits for idle CPUs, runs, and measures the CPU time that other
# processes took meanwhile (machine CPU time from /proc/stat minus the run's
# own, from its rusage). A run disturbed by more than 0.2 cores is repeated
# (twice at most); RUN.env keeps: busy cores before, foreign cores during,
# attempts.
cpu_ticks() { local c; read -ra c </proc/stat; echo $(( c[1] + c[2] + c[3] )); }
run_one() { # DIR EXE P RUN EXTRA ARGS...   (RUN: a file stem, run1 or sync1)
  local dir=$1 exe=$2 p=$3 r=$4 extra=$5 attempt t0 t1 foreign rc
  shift 5
  for attempt in 1 2 3; do
    wait_quiet
    t0=$(cpu_ticks)
    # shellcheck disable=SC2086  # $extra: mpirun flags, split on purpose
    (cd "$dir" && env -u OMP_NUM_THREADS /usr/bin/time -f "%e %U %S" -o "$dir/$r.time" \
       timeout 300 "${MPI[@]}" $extra -n "$p" "$exe" "$@" </dev/null) >"$dir/$r.log" 2>&1
    rc=$?
    t1=$(cpu_ticks)
    foreign=$(awk -v d=$(( t1 - t0 )) -v hz="$(getconf CLK_TCK)" '
      { e = $1; own = $2 + $3 } END { f = e > 0 ? (d / hz - own) / e : 0; printf "%.2f", f < 0 ? 0 : f }' \
      "$dir/$r.time" 2>/dev/null || echo nan)
    echo "$BUSY $foreign $attempt" >"$dir/$r.env"
    [ $rc = 0 ] || { echo "   run failed: $dir $r (rc $rc; $dir/$r.log)"; return; }
    awk -v f="$foreign" 'BEGIN { exit !(f > 0.2) }' || return 0
    [ "$RETRIES" -gt 0 ] || return 0
    RETRIES=$(( RETRIES - 1 ))
    echo "   $dir run $r: other processes took $foreign cores meanwhile; again"
  done
}
echo "== measuring: $RUNS runs x --iterations=$ITERS per plan"
for m in "${MODEL_NAMES[@]}"; do
  for r in $(seq 1 "$RUNS"); do
    while IFS='|' read -r mm tag mesh shard src status extra; do
      [ "$mm" = "$m" ] && [ "$status" = ok ] || continue
      dir=$OUT/plans/$m/$tag
      exe=$dir/exe
      [ "$src" = diagnostic ] && exe=$OUT/plans/$m/m1_none/exe
      args=(--input=@"$MODELS/$m.input.npy" --iterations="$ITERS")
      # The first run also checks the output against torch's.
      [ "$r" = 1 ] && args+=(--expected_output=@"$MODELS/$m.torch.npy" --expected_f32_threshold=1e-3)
      run_one "$dir" "$exe" $(( ${mesh//x/*} )) "run$r" "$extra" "${args[@]}"
      # Phases apart: the same run with a timed barrier before every
      # communication op (--sync-phases), so halo and collectives hold the
      # transfers alone and the wait for slower peers shows as `wait`.
      [ "$mesh" = 1 ] || run_one "$dir" "$exe" $(( ${mesh//x/*} )) "sync$r" "$extra" \
        --input=@"$MODELS/$m.input.npy" --iterations="$ITERS" --sync-phases --profile-ops
    done <"$ROWS"
  done
  echo "   $m done ($(( $(date +%s) - START )) s so far)"
done

# ---- 5b. single-op probes --------------------------------------------------------
# One kernel per model at P=2 (one thread per rank, each on its own core):
# which kernels the cost model misjudges, apart from any plan.
if [ "${BENCH_PROBES:-1}" != 0 ] && [ -f "$MODELS/probes.json" ]; then
  echo "== single-op probes: $PROBE_RUNS runs x --iterations=$ITERS each"
  while IFS='|' read -r name mesh shard; do
    dir=$OUT/probes/$name
    mkdir -p "$dir"
    "$QUILTC" "$MODELS/$name.onnx" -o "$dir/exe" --topology="$TOPOLOGY" --simulate-json="$dir/pred.json" \
      --mesh="$mesh" --shard="$shard" >"$dir/compile.log" 2>&1 ||
      { echo "   probe $name: quiltc failed ($dir/compile.log)"; continue; }
    for r in $(seq 1 "$PROBE_RUNS"); do
      run_one "$dir" "$dir/exe" $(( ${mesh//x/*} )) "run$r" "" --input=@"$MODELS/$name.input.npy" \
        --iterations="$ITERS"
    done
  done < <("$PYTHON" -c 'import json,sys
for n, p in json.load(open(sys.argv[1])).items(): print(n + "|" + p["mesh"] + "|" + p["shard"])' \
    "$MODELS/probes.json")
fi
echo "== measured in $(( $(date +%s) - START )) s, $WAITED s of it waiting for idle CPUs"

# ---- 6. report ----------------------------------------------------------------
"$PYTHON" "$SCRIPT_DIR/plan_accuracy.py" "$OUT" --topology="$TOPOLOGY" --runs="$RUNS" \
  --iters="$ITERS" --start="$START" --waited="$WAITED" --probe-runs="$PROBE_RUNS" \
  --commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')" \
  --command="bench/plan_accuracy.sh $*"
