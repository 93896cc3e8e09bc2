# Shared steps of the bench/ scripts (sourced): find quiltc, generate a bench
# model with test/models/gen_models.py --bench (cached), compile with a
# communication report, run under mpirun with one thread per rank.
bench_setup() { # BUILD_DIR WORK MODEL
  local build=$1
  WORK=$2 M=$3
  if [ -z "${QUILTC:-}" ]; then
    for c in "$build/tools/quiltc/quiltc" "$build/bin/quiltc"; do
      [ -x "$c" ] && { QUILTC=$c; break; }
    done
  fi
  [ -n "${QUILTC:-}" ] && [ -x "$QUILTC" ] || { echo "bench: quiltc not found in $build" >&2; exit 1; }
  MODELS=$WORK/models
  mkdir -p "$MODELS" || exit 1
  if [ ! -f "$MODELS/$M.onnx" ] || [ "$REPO/test/models/gen_models.py" -nt "$MODELS/$M.onnx" ]; then
    echo "== generating $M"
    "$PYTHON" "$REPO/test/models/gen_models.py" "$MODELS" --bench --only="$M" >/dev/null ||
      { echo "bench: model generation failed" >&2; exit 1; }
  fi
  THREAD_ENV=(OMP_NUM_THREADS=1 DNNL_NUM_THREADS=1 OMP_PROC_BIND=false)
  XFLAGS=()
  if "$MPIRUN" --version 2>&1 | grep -qi "open mpi"; then
    for kv in "${THREAD_ENV[@]}"; do XFLAGS+=(-x "$kv"); done
  fi
}

bench_compile() { # EXE PLAN_JSON QUILTC_FLAGS...
  local exe=$1 plan=$2
  shift 2
  echo "== quiltc $M $*"
  "$QUILTC" "$MODELS/$M.onnx" -o "$exe" --report="$plan" "$@" >"$exe.compile.log" 2>&1 ||
    { tail -n 20 "$exe.compile.log"; echo "bench: quiltc failed" >&2; exit 1; }
}

bench_run() { # P EXE LOG ARGS...
  local p=$1 exe=$2 log=$3
  shift 3
  # shellcheck disable=SC2206
  local mpi=("$MPIRUN" ${MPIRUN_FLAGS} "${XFLAGS[@]}" -n "$p")
  (cd "$WORK" && env "${THREAD_ENV[@]}" "${mpi[@]}" "$exe" "--input=@$MODELS/$M.input.npy" \
     "--output=@$WORK/out.npy" "$@" </dev/null) >"$log" 2>&1 ||
    { tail -n 20 "$log"; echo "bench: run failed (P=$p)" >&2; }
}
