#!/usr/bin/env bash
# End-to-end test of one model at one mesh size.
#
#   run_e2e.sh QUILTC MODELS_DIR WORK_DIR MODEL_NAME P [SHARD]
#
#   QUILTC      path to quiltc (if empty, $QUILTC from the environment)
#   MODELS_DIR  output of test/models/gen_models.py (MODEL.onnx, MODEL.input.npy,
#               manifest.json)
#   WORK_DIR    scratch directory (created); ORT references are cached here
#   MODEL_NAME  e.g. cnn2d_dense
#   P           number of ranks (--mesh=P, mpirun -n P)
#   SHARD       optional value for --shard (e.g. input:2); empty = compiler default
#
# Steps: (1) ONNX Runtime reference (cached in WORK_DIR/ref/MODEL/, rebuilt when
# the model or input is newer); (2) quiltc MODEL.onnx -o WORK_DIR/MODEL.pP --mesh=P
#     --report=predicted.json; (3) mpirun -n P ./MODEL.pP --input=@.. --output=@..
#     --expected_output=@ref --expected_f32_threshold=THRESHOLD --report=@measured.json;
# (4) independent numpy comparison of the written output with the reference:
# max|a-b| / max|ref| <= THRESHOLD; (5) the bytes every rank sent in every
# communication op equal what the compiler predicted (compare_reports.py).
# Prints exactly one line starting with PASS or FAIL (plus diagnostics on
# failure) and exits 0 only on PASS.
#
# Environment (all optional):
#   QUILTC            compiler, if the first argument is empty
#   QUILTC_FLAGS      extra quiltc flags
#   ORT_DIR           directory of run_ort.js + node_modules (default: <script dir>/ort)
#   NODE              node binary (default: /usr/bin/node if present, else node)
#   PYTHON            python with numpy (default: /usr/bin/python3 if present, else python3)
#   MPIRUN            mpirun binary (default: mpirun)
#   MPIRUN_FLAGS      default: --allow-run-as-root --oversubscribe
#   E2E_THRESHOLD     default: the model's "tolerance" in manifest.json, else 1e-4
#   E2E_TIMEOUT       seconds per compile / run step (default: 300)
#   E2E_RUN_FLAGS     extra flags for the compiled executable
#   E2E_AUTO_MESH     1: compile with --mesh=auto --devices=P (the plan search
#                     picks the mesh and splits) instead of --mesh=P
#   E2E_FORBID_OPS    communication op kinds (e.g. "all_gather") the compiled
#                     program must not contain (checked in the predicted report)
#   E2E_CPU_TWIN      1: also compile and run the model for --target=cpu (the
#                     QUILTC_FLAGS minus any --target) and require outputs within
#                     1e-5 (relative to max|cpu|) and --report bytes identical,
#                     op by op and rank by rank (for --target=cuda-emulated)
set -u -o pipefail

usage() { echo "usage: $0 QUILTC MODELS_DIR WORK_DIR MODEL_NAME P [SHARD]" >&2; exit 2; }
[ $# -ge 5 ] && [ $# -le 6 ] || usage

QUILTC_BIN=${1:-${QUILTC:-}}
MODELS_DIR=$2
WORK_DIR=$3
M=$4
P=$5
SHARD=${6:-}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ORT_DIR=${ORT_DIR:-$SCRIPT_DIR/ort}
. "$SCRIPT_DIR/../../scripts/tool-env.sh"
THRESHOLD=${E2E_THRESHOLD:-1e-4}
TIMEOUT=${E2E_TIMEOUT:-300}

TAG="$M P=$P${SHARD:+ shard=$SHARD}"
fail() {
  echo "FAIL $TAG: $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- last lines of $2 ----"
    tail -n 40 "$2"
    echo "----"
  fi
  exit 1
}

# P is a mesh shape: N, NxM, NxMxK or NxMxKxL; mpirun gets the product.
case "$P" in ''|*[!0-9x]*|x*|*x|*xx*) fail "P must be a mesh shape like 4 or 2x2, got '$P'";; esac
NRANKS=$(( ${P//x/*} ))
[ "$NRANKS" -ge 1 ] || fail "the mesh must have at least one rank"
[ -n "$QUILTC_BIN" ] || fail "no quiltc given (argument 1 or \$QUILTC)"
[ -x "$QUILTC_BIN" ] || command -v "$QUILTC_BIN" >/dev/null 2>&1 || fail "quiltc not found/executable: $QUILTC_BIN"
MODELS_DIR=$(cd "$MODELS_DIR" 2>/dev/null && pwd) || fail "models dir not found: $2"
ONNX=$MODELS_DIR/$M.onnx
[ -f "$ONNX" ] || fail "model not found: $ONNX (run test/models/gen_models.py $MODELS_DIR)"
mkdir -p "$WORK_DIR" || fail "cannot create $WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
[ -f "$ORT_DIR/run_ort.js" ] || fail "run_ort.js not found in ORT_DIR=$ORT_DIR"
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] || \
  fail "onnxruntime-node not installed: run 'npm ci --ignore-scripts' (or npm install --ignore-scripts) in $ORT_DIR"

# Inputs: from manifest.json if it lists them, else MODEL.input.npy.
INPUTS=()
if [ -f "$MODELS_DIR/manifest.json" ]; then
  while IFS= read -r f; do [ -n "$f" ] && INPUTS+=("$MODELS_DIR/$f"); done < <(
    "$PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1])).get("models", {}).get(sys.argv[2])
if m:
    for i in m.get("inputs", []): print(i["file"])
' "$MODELS_DIR/manifest.json" "$M" 2>/dev/null)
fi
[ ${#INPUTS[@]} -gt 0 ] || INPUTS=("$MODELS_DIR/$M.input.npy")
for f in "${INPUTS[@]}"; do [ -f "$f" ] || fail "input not found: $f"; done
# Tolerance: $E2E_THRESHOLD, else the model's "tolerance" in manifest.json, else 1e-4.
if [ -z "${E2E_THRESHOLD:-}" ] && [ -f "$MODELS_DIR/manifest.json" ]; then
  tol=$("$PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1])).get("models", {}).get(sys.argv[2]) or {}
print(m.get("tolerance", ""))
' "$MODELS_DIR/manifest.json" "$M" 2>/dev/null)
  [ -n "$tol" ] && THRESHOLD=$tol
fi

# ---- (1) ONNX Runtime reference, cached -----------------------------------
REF_DIR=$WORK_DIR/ref/$M
stale=0
[ -f "$REF_DIR/0.npy" ] || stale=1
if [ $stale = 0 ]; then
  for f in "$ONNX" "${INPUTS[@]}"; do [ "$f" -nt "$REF_DIR/0.npy" ] && stale=1; done
fi
if [ $stale = 1 ]; then
  mkdir -p "$WORK_DIR/ref"
  tmp=$(mktemp -d "$WORK_DIR/ref/.$M.XXXXXX")
  log=$WORK_DIR/ref/$M.ort.log
  if ! "$NODE" "$ORT_DIR/run_ort.js" "$ONNX" "$tmp" "${INPUTS[@]}" >"$log" 2>&1; then
    rm -rf "$tmp"
    fail "ONNX Runtime reference failed" "$log"
  fi
  # Atomic replace (parallel runs of the same model may race here).
  rm -rf "$REF_DIR.old.$$"
  [ -d "$REF_DIR" ] && mv "$REF_DIR" "$REF_DIR.old.$$" 2>/dev/null
  mv "$tmp" "$REF_DIR" 2>/dev/null || rm -rf "$tmp"
  rm -rf "$REF_DIR.old.$$"
  [ -f "$REF_DIR/0.npy" ] || fail "ONNX Runtime reference missing after run" "$log"
fi
NOUT=0
while [ -f "$REF_DIR/$NOUT.npy" ]; do NOUT=$((NOUT + 1)); done

# ---- (2) compile ------------------------------------------------------------
SUFFIX=p$P
[ "${E2E_AUTO_MESH:-0}" = 1 ] && SUFFIX=$SUFFIX.auto
if [ -n "$SHARD" ]; then SUFFIX=$SUFFIX.s$(printf '%s' "$SHARD" | tr -c 'A-Za-z0-9_' '_'); fi
EXE=$WORK_DIR/$M.$SUFFIX
RUN_DIR=$WORK_DIR/$M.$SUFFIX.run
rm -rf "$RUN_DIR" "$EXE" "$EXE.weights"
mkdir -p "$RUN_DIR"
CLOG=$RUN_DIR/compile.log
MESH_FLAGS=("--mesh=$P")
[ "${E2E_AUTO_MESH:-0}" = 1 ] && MESH_FLAGS=("--mesh=auto" "--devices=$NRANKS" "--explain-plan")
CMD=("$QUILTC_BIN" "$ONNX" -o "$EXE" "${MESH_FLAGS[@]}" "--report=$RUN_DIR/predicted.json")
[ -n "$SHARD" ] && CMD+=("--shard=$SHARD")
# shellcheck disable=SC2206
[ -n "${QUILTC_FLAGS:-}" ] && CMD+=(${QUILTC_FLAGS})
echo "${CMD[*]}" >"$CLOG"
timeout "$TIMEOUT" "${CMD[@]}" >>"$CLOG" 2>&1
rc=$?
[ $rc = 124 ] && fail "quiltc timed out after ${TIMEOUT}s" "$CLOG"
[ $rc = 0 ] || fail "quiltc exited with $rc" "$CLOG"
[ -x "$EXE" ] || fail "quiltc did not produce executable $EXE" "$CLOG"

# ---- (3) run under MPI --------------------------------------------------------
RLOG=$RUN_DIR/run.log
ARGS=()
for f in "${INPUTS[@]}"; do ARGS+=("--input=@$f"); done
for ((i = 0; i < NOUT; i++)); do
  ARGS+=("--output=@$RUN_DIR/out$i.npy" "--expected_output=@$REF_DIR/$i.npy")
done
ARGS+=("--expected_f32_threshold=$THRESHOLD" "--report=@$RUN_DIR/measured.json")
# shellcheck disable=SC2206
[ -n "${E2E_RUN_FLAGS:-}" ] && ARGS+=(${E2E_RUN_FLAGS})
# shellcheck disable=SC2206
MPI=("$MPIRUN" ${MPIRUN_FLAGS} -n "$NRANKS")
echo "(cd $WORK_DIR && ${MPI[*]} $EXE ${ARGS[*]})" >"$RLOG"
(cd "$WORK_DIR" && timeout "$TIMEOUT" "${MPI[@]}" "$EXE" "${ARGS[@]}" </dev/null) >>"$RLOG" 2>&1
run_rc=$?

# ---- (4) independent comparison ------------------------------------------------
CMP=$("$PYTHON" - "$RUN_DIR" "$REF_DIR" "$NOUT" "$THRESHOLD" <<'EOF' 2>&1
import os, sys
import numpy as np
run_dir, ref_dir, nout, thr = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ok, parts = True, []
for i in range(nout):
    out_f = os.path.join(run_dir, f"out{i}.npy")
    ref = np.load(os.path.join(ref_dir, f"{i}.npy"))
    if not os.path.exists(out_f):
        ok = False; parts.append(f"out{i}: not written"); continue
    try:
        got = np.load(out_f)
    except Exception as e:
        ok = False; parts.append(f"out{i}: unreadable ({e})"); continue
    if got.shape != ref.shape:
        ok = False; parts.append(f"out{i}: shape {list(got.shape)} != ref {list(ref.shape)}"); continue
    if got.dtype != np.float32:
        parts.append(f"out{i}: note dtype {got.dtype}")
    g = got.astype(np.float64); r = ref.astype(np.float64)
    if not np.all(np.isfinite(g)):
        ok = False; parts.append(f"out{i}: {int(np.sum(~np.isfinite(g)))} non-finite values"); continue
    diff = np.abs(g - r)
    scale = float(np.max(np.abs(r))) if r.size else 0.0
    err = float(diff.max()) if diff.size else 0.0
    rel = err / scale if scale > 0 else err
    where = tuple(int(k) for k in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.size else ()
    good = rel <= thr
    ok &= good
    parts.append(f"out{i}: rel_err={rel:.3e} (max_abs={err:.3e} at {list(where)}, max|ref|={scale:.3e})"
                 + ("" if good else f" > {thr:g}"))
print(("OK " if ok else "BAD ") + "; ".join(parts))
EOF
)
case "$CMP" in
  OK*)  cmp_ok=1 ;;
  *)    cmp_ok=0 ;;
esac
DETAIL=${CMP#OK }; DETAIL=${DETAIL#BAD }

if [ $run_rc = 124 ]; then fail "mpirun timed out after ${TIMEOUT}s; $DETAIL" "$RLOG"; fi
if [ $run_rc != 0 ]; then fail "mpirun -n $NRANKS exited with $run_rc (includes --expected_output check); numpy: $DETAIL" "$RLOG"; fi
if [ $cmp_ok != 1 ]; then fail "numpy comparison failed: $DETAIL" "$RLOG"; fi

# ---- (5) communication: measured = predicted, op by op and rank by rank ------------
grep -q '"peak_scratch_bytes_per_rank": \[' "$RUN_DIR/measured.json" ||
  fail "the measured report has no peak_scratch_bytes_per_rank" "$RUN_DIR/measured.json"
TRAFFIC=$("$PYTHON" "$SCRIPT_DIR/compare_reports.py" "$RUN_DIR/predicted.json" "$RUN_DIR/measured.json" 2>&1)
case "$TRAFFIC" in
  OK*) ;;
  *) fail "communication report: ${TRAFFIC#MISMATCH }" ;;
esac
for kind in ${E2E_FORBID_OPS:-}; do
  n=$(grep -c "\"kind\":\"$kind\"" "$RUN_DIR/predicted.json")
  [ "$n" = 0 ] || fail "the program has $n $kind op(s); E2E_FORBID_OPS forbids them"
done
# ---- (6) optional: the CPU backend's twin run ------------------------------------
TWIN=""
if [ "${E2E_CPU_TWIN:-0}" = 1 ]; then
  TWIN_DIR=$RUN_DIR/cpu
  mkdir -p "$TWIN_DIR"
  TCMD=("$QUILTC_BIN" "$ONNX" -o "$EXE.cpu" "${MESH_FLAGS[@]}")
  [ -n "$SHARD" ] && TCMD+=("--shard=$SHARD")
  for f in ${QUILTC_FLAGS:-}; do case "$f" in --target=*) ;; *) TCMD+=("$f") ;; esac; done
  TCMD+=("--target=cpu")
  echo "${TCMD[*]}" >"$TWIN_DIR/compile.log"
  timeout "$TIMEOUT" "${TCMD[@]}" >>"$TWIN_DIR/compile.log" 2>&1 || fail "twin: quiltc --target=cpu failed" "$TWIN_DIR/compile.log"
  TARGS=()
  for f in "${INPUTS[@]}"; do TARGS+=("--input=@$f"); done
  for ((i = 0; i < NOUT; i++)); do TARGS+=("--output=@$TWIN_DIR/out$i.npy"); done
  TARGS+=("--report=@$TWIN_DIR/measured.json")
  (cd "$WORK_DIR" && timeout "$TIMEOUT" "${MPI[@]}" "$EXE.cpu" "${TARGS[@]}" </dev/null) >"$TWIN_DIR/run.log" 2>&1 \
    || fail "twin: the --target=cpu run failed" "$TWIN_DIR/run.log"
  TWIN=$("$PYTHON" - "$RUN_DIR" "$TWIN_DIR" "$NOUT" <<'EOF' 2>&1
import json, os, sys
import numpy as np
run_dir, twin_dir, nout = sys.argv[1], sys.argv[2], int(sys.argv[3])
worst = 0.0
for i in range(nout):
    a = np.load(os.path.join(run_dir, f"out{i}.npy")).astype(np.float64)
    b = np.load(os.path.join(twin_dir, f"out{i}.npy")).astype(np.float64)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    worst = max(worst, diff / scale if scale > 0 else diff)
bytes_of = lambda r: ([op["bytes_sent_per_rank"] for op in r["ops"]], r["total_bytes_sent_per_rank"])
ra = json.load(open(os.path.join(run_dir, "measured.json")))
rb = json.load(open(os.path.join(twin_dir, "measured.json")))
same = bytes_of(ra) == bytes_of(rb)
ok = worst <= 1e-5 and same
print(("OK " if ok else "BAD ") + f"vs --target=cpu: rel_err={worst:.3e}" +
      ("" if worst <= 1e-5 else " > 1e-5") + ("; report bytes identical" if same else "; report bytes DIFFER"))
EOF
)
  case "$TWIN" in OK*) ;; *) fail "twin: ${TWIN#BAD }" ;; esac
  TWIN="; ${TWIN#OK }"
fi
echo "PASS $TAG: $DETAIL; traffic: ${TRAFFIC#OK }${E2E_FORBID_OPS:+; none of: $E2E_FORBID_OPS}$TWIN"
exit 0
