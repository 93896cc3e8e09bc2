#!/usr/bin/env bash
# The GPU check of the CUDA backend: one script, two steps.
#
#   scripts/gpu-check.sh prepare [BUILD_DIR]   on the build machine (no GPU needed)
#   scripts/gpu-check.sh run                   on a machine with a GPU, in the repo root
#
# prepare writes gpu-check/ in the repo root (listed in .git/info/exclude; carry
# it to the GPU machine, about 20 MiB):
#   bin/      model executables compiled with --target=cuda (and their weights),
#             quilt_cuda_no_gpu (the CUDA device's checks) and quilt_cuda_bench
#   data/     their inputs and ONNX Runtime's outputs (references Quilt did not compute)
#   openmpi.tar.gz  Open MPI's runtime files with their libraries (Debian 12), for a
#             GPU machine without Open MPI: `run` unpacks them to / only if
#             there is no mpirun there
# run (under 10 minutes) prints the driver and the GPU, runs the device
# checks, every model on 1 rank (no mpirun) and on 2 ranks sharing the GPU
# (QUILT_DATA_COMM=mpi-staged: NCCL refuses two ranks on one GPU) against the
# references at 1e-4 with TF32 off, the convolution and product models
# again compiled with --tf32 at 1e-2 (TF32 keeps 10 mantissa bits of each
# input) with their time beside the float32 one, the micro-benchmarks (elementwise and
# pack bandwidth against the copy engine, cuBLAS GEMM), and one table. The
# CUDA libraries (cuBLAS, NCCL) come from the machine: /usr/local/cuda or
# the nvidia-* Python wheels. With $OUT set, the table and logs go there too.
#
# Usage through the device tool (see docs/status.md):
#   run(command="bash scripts/gpu-check.sh run", carry=["gpu-check"], timeout_s=540)
set -u -o pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUNDLE=${GPU_CHECK_DIR:-$ROOT/gpu-check}
# Models whose ops the CUDA runtime has (quiltc refuses the others by node).
MODELS=${GPU_CHECK_MODELS:-"indexing masks pointwise softmax norms flatten_gemm cnn2d_dense unet2d transformer vit fno2d"}
# Also compiled with --tf32 (convolutions and products on tensor cores) and
# checked at a looser threshold: TF32 keeps 10 mantissa bits of each input.
TF32_MODELS=${GPU_CHECK_TF32_MODELS:-"flatten_gemm cnn2d_dense unet2d transformer vit"}
TF32_THRESHOLD=1e-2

prepare() {
  local build=${1:-$ROOT/build}
  . "$ROOT/scripts/tool-env.sh"
  local quiltc=$build/tools/quiltc/quiltc models=$build/test/e2e/models refs=$build/test/e2e/work/ref
  [ -x "$quiltc" ] || { echo "gpu-check: no quiltc in $build (build first)"; exit 1; }
  [ -d "$models" ] || { echo "gpu-check: no e2e models in $models (run ctest -R e2e_generate_models)"; exit 1; }
  rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/bin" "$BUNDLE/data"
  if [ "$BUNDLE" = "$ROOT/gpu-check" ] && [ -d "$ROOT/.git" ]; then
    grep -qx "/gpu-check/" "$ROOT/.git/info/exclude" 2>/dev/null || echo "/gpu-check/" >>"$ROOT/.git/info/exclude"
  fi
  cp "$build/runtime/quilt_cuda_no_gpu" "$build/runtime/quilt_cuda_bench" "$BUNDLE/bin/"
  local compiled=""
  for m in $MODELS; do
    # The ONNX Runtime reference (the e2e suite caches it).
    if [ ! -f "$refs/$m/0.npy" ]; then
      bash "$ROOT/test/e2e/run_e2e.sh" "$quiltc" "$models" "$build/test/e2e/work" "$m" 1 >/dev/null 2>&1
    fi
    [ -f "$refs/$m/0.npy" ] || { echo "gpu-check: no reference for $m; skipped"; continue; }
    for p in 1 2; do
      if ! "$quiltc" "$models/$m.onnx" -o "$BUNDLE/bin/$m.p$p" --mesh=$p --target=cuda \
             >"$BUNDLE/bin/$m.p$p.log" 2>&1; then
        echo "gpu-check: $m not compiled for --target=cuda: $(tail -n 1 "$BUNDLE/bin/$m.p$p.log")"
        rm -f "$BUNDLE/bin/$m.p$p" "$BUNDLE/bin/$m.p$p.weights"
        continue 2
      fi
    done
    case " $TF32_MODELS " in
      *" $m "*)
        "$quiltc" "$models/$m.onnx" -o "$BUNDLE/bin/$m.tf32.p1" --mesh=1 --target=cuda --tf32 \
          >"$BUNDLE/bin/$m.tf32.p1.log" 2>&1 ||
          echo "gpu-check: $m not compiled with --tf32: $(tail -n 1 "$BUNDLE/bin/$m.tf32.p1.log")" ;;
    esac
    cp "$models/$m.input.npy" "$BUNDLE/data/$m.input.npy"
    cp "$refs/$m/0.npy" "$BUNDLE/data/$m.ref.npy"
    compiled="$compiled $m"
  done
  echo "$compiled" >"$BUNDLE/models.txt"
  # Open MPI's runtime: the files of the packages that mpirun, orted, the
  # executables and Open MPI's plugins load, but the C/C++ runtimes and other
  # libraries every Linux has.
  local libs pkgs
  libs=$( (ldd /usr/bin/orted /usr/bin/mpirun "$BUNDLE"/bin/*.p1;
           for f in /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3/*.so; do ldd "$f"; done) 2>/dev/null |
          awk '/=>/ {print $3}' | sort -u)
  pkgs=$(for l in $libs; do dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l" 2>/dev/null; done |
         cut -d: -f1 | sort -u | grep -vx -e libc6 -e libgcc-s1 -e libstdc++6 -e zlib1g -e libudev1 -e libuuid1)
  for p in $pkgs openmpi-bin openmpi-common; do
    dpkg -L "$p" | while read -r f; do [ -f "$f" ] && echo "$f"; done
  done | grep -v -e "/doc/" -e "/man/" | sort -u >"$BUNDLE/openmpi.files"
  tar czf "$BUNDLE/openmpi.tar.gz" -T "$BUNDLE/openmpi.files" 2>/dev/null
  echo "gpu-check: wrote $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)): models:$compiled"
}

run() {
  [ -d "$BUNDLE/bin" ] || { echo "gpu-check: no $BUNDLE (run 'prepare' on the build machine and carry it)"; exit 1; }
  local out=${OUT:-$BUNDLE/out}
  mkdir -p "$out"
  local table=$out/gpu-check.txt
  : >"$table"
  say() { echo "$*" | tee -a "$table"; }
  say "== GPU check $(date -u +%FT%TZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$table"
  # Open MPI, unless the machine has one.
  if ! command -v mpirun >/dev/null 2>&1; then
    tar xzf "$BUNDLE/openmpi.tar.gz" -C / && ldconfig 2>/dev/null
    say "openmpi: unpacked the carried Debian 12 runtime"
  fi
  # The CUDA libraries: the toolkit's, then the Python wheels'.
  local dirs="/usr/local/cuda/lib64 /usr/local/cuda/lib"
  for py in python3 /opt/torch/.venv/bin/python3; do
    dirs="$dirs $($py - 2>/dev/null <<'PY'
import importlib, os
for name in ("nvidia.nccl", "nvidia.cublas", "nvidia.cufft", "nvidia.cudnn", "nvidia.cu13"):
    try:
        m = importlib.import_module(name)
        for p in getattr(m, "__path__", []):
            for sub in ("lib", "lib64"):
                if os.path.isdir(os.path.join(p, sub)): print(os.path.join(p, sub))
    except Exception:
        pass
PY
)"
  done
  for d in $dirs; do [ -d "$d" ] && LD_LIBRARY_PATH=$d:${LD_LIBRARY_PATH:-}; done
  export LD_LIBRARY_PATH NVIDIA_TF32_OVERRIDE=0
  local mpirun="mpirun --allow-run-as-root --oversubscribe"
  local pass=0 failed=0
  log_name() { echo "$1" | tr -c 'A-Za-z0-9._-' '_' | sed 's/$/.log/'; }
  check() { # name, command...
    local name=$1; shift
    local log=$out/$(log_name "$name") start=$SECONDS
    if timeout 120 "$@" >"$log" 2>&1; then
      pass=$((pass + 1)); say "PASS $name ($((SECONDS - start)) s) $(grep -m1 -o 'max rel error [^ ]*' "$log")"
    else
      failed=$((failed + 1)); say "FAIL $name ($((SECONDS - start)) s): $(grep -m1 'error' "$log" | cut -c1-200)"
    fi
  }
  check "device checks (quilt_cuda_no_gpu)" "$BUNDLE/bin/quilt_cuda_no_gpu"
  for m in $(cat "$BUNDLE/models.txt"); do
    local args=(--input=@"$BUNDLE/data/$m.input.npy" --output=@"$out/$m.npy"
                --expected_output=@"$BUNDLE/data/$m.ref.npy" --expected_f32_threshold=1e-4)
    check "$m on 1 rank" "$BUNDLE/bin/$m.p1" "${args[@]}" --iterations=20
    # NVIDIA_TF32_OVERRIDE=0 would turn TF32 off in every library.
    if [ -x "$BUNDLE/bin/$m.tf32.p1" ]; then
      check "$m on 1 rank, --tf32" env -u NVIDIA_TF32_OVERRIDE "$BUNDLE/bin/$m.tf32.p1" \
        "${args[@]:0:3}" --expected_f32_threshold=$TF32_THRESHOLD --iterations=20
      # The same error to the last digit: the libraries took no TF32 path
      # (small shapes may not), so the row above says nothing about TF32.
      local fp32_error tf32_error
      fp32_error=$(grep -m1 -o 'max abs error [^,]*' "$out/$(log_name "$m on 1 rank")")
      tf32_error=$(grep -m1 -o 'max abs error [^,]*' "$out/$(log_name "$m on 1 rank, --tf32")")
      [ -n "$tf32_error" ] && [ "$tf32_error" = "$fp32_error" ] &&
        say "NOTE $m --tf32: float32's $tf32_error exactly (no tensor-core path taken?)"
    fi
    # shellcheck disable=SC2086
    check "$m on 2 ranks, one GPU (mpi-staged)" env QUILT_DATA_COMM=mpi-staged $mpirun -n 2 \
      "$BUNDLE/bin/$m.p2" "${args[@]}"
  done
  say "== micro-benchmarks (targets: elementwise and pack >= 3.5 TB/s; GEMM near cuBLAS)"
  timeout 120 "$BUNDLE/bin/quilt_cuda_bench" 2>&1 | tee -a "$table"
  for m in $(cat "$BUNDLE/models.txt"); do
    for run in "$m on 1 rank" "$m on 1 rank, --tf32"; do
      grep -h -A5 "per iteration" "$out/$(log_name "$run")" 2>/dev/null |
        grep "total" | sed "s/^/time ${run#"$m on "}: $m /" | tee -a "$table"
    done
  done
  say "== $pass passed, $failed failed"
  [ "$failed" = 0 ]
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  run) run ;;
  *) echo "usage: $0 prepare [BUILD_DIR] | run"; exit 2 ;;
esac
