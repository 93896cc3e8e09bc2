#!/usr/bin/env bash
# The CUDA target on a machine without a GPU (what CI can check of it):
#   cuda_no_gpu.sh QUILTC WORK_DIR
# (1) quiltc --target=cuda compiles and links a model of Quilt's own kernels
#     and a cuBLAS GEMM (the model object is the one every target gets);
# (2) the executable needs no libcuda (it would not start without a driver);
# (3) --help and --print-signature work without a GPU;
# (4) under mpirun -n 2 every rank exits non-zero within 10 s and the job
#     prints one line naming the CUDA error;
# (5) a model with a convolution (cuDNN) compiles and links too, and fails
#     on 2 ranks the same way. (No op is missing from the CUDA runtime any
#     more, so no model is refused: quiltc refuses only calls a target lists
#     as missing, lib/Target/Targets.cpp.)
# Prints PASS or FAIL lines; exits 0 only if all pass.
set -u -o pipefail
QUILTC=$1
WORK=$2
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/../../scripts/tool-env.sh"
MPIRUN=${MPIRUN:-mpirun}
MPIRUN_FLAGS=${MPIRUN_FLAGS:---allow-run-as-root --oversubscribe}
mkdir -p "$WORK"
fail() { echo "FAIL cuda target: $1"; [ -n "${2:-}" ] && [ -f "$2" ] && tail -n 20 "$2"; exit 1; }

"$PYTHON" - "$WORK" <<'PY' || fail "cannot generate the test models"
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
work = sys.argv[1]
rng = np.random.default_rng(1)
w = numpy_helper.from_array(rng.standard_normal((16, 24)).astype(np.float32), "w")
b = numpy_helper.from_array(rng.standard_normal((24,)).astype(np.float32), "b")
nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="gemm"),
         helper.make_node("Relu", ["g"], ["r"], name="relu"),
         helper.make_node("Softmax", ["r"], ["y"], axis=1, name="softmax")]
g = helper.make_graph(nodes, "gemm_softmax",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [12, 16])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [12, 24])], [w, b])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, f"{work}/gemm_softmax.onnx")
np.save(f"{work}/x.npy", rng.standard_normal((12, 16)).astype(np.float32))
wc = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "wc")
g = helper.make_graph([helper.make_node("Conv", ["x", "wc"], ["y"], pads=[1, 1, 1, 1], name="stem")],
                      "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], [wc])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, f"{work}/conv.onnx")
np.save(f"{work}/xc.npy", rng.standard_normal((1, 2, 8, 8)).astype(np.float32))
PY

EXE=$WORK/gemm_softmax.cuda
"$QUILTC" "$WORK/gemm_softmax.onnx" -o "$EXE" --mesh=2 --shard=x:0 --target=cuda >"$WORK/compile.log" 2>&1 \
  || fail "quiltc --target=cuda failed" "$WORK/compile.log"
echo "PASS compile and link for --target=cuda"

readelf -d "$EXE" >"$WORK/needed.txt" || fail "readelf failed"
grep -q "libcuda\.so" "$WORK/needed.txt" && fail "the executable needs libcuda.so" "$WORK/needed.txt"
grep -q "libcublas" "$WORK/needed.txt" || fail "the executable does not link cuBLAS" "$WORK/needed.txt"
echo "PASS no libcuda among: $(grep -o '\[lib[^]]*\]' "$WORK/needed.txt" | tr -d '[]' | tr '\n' ' ')"

"$EXE" --help >"$WORK/help.txt" 2>&1 || fail "--help failed without a GPU" "$WORK/help.txt"
"$EXE" --print-signature >"$WORK/sig.txt" 2>&1 || fail "--print-signature failed" "$WORK/sig.txt"
grep -q "x: float32 (12, 16) split" "$WORK/sig.txt" || fail "unexpected signature" "$WORK/sig.txt"
echo "PASS --help and --print-signature without a GPU"

# Runs $1 on 2 ranks without a GPU: every rank exits non-zero within 10 s and
# the job prints one line naming the CUDA error.
run_fails() {
  local exe=$1 log=$2 start rc seconds lines
  start=$(date +%s)
  # shellcheck disable=SC2086
  timeout 10 "$MPIRUN" $MPIRUN_FLAGS -n 2 "$exe" --input=@"$3" --output=@"$WORK/y.npy" \
    >"$log" 2>&1
  rc=$?
  seconds=$(( $(date +%s) - start ))
  [ $rc = 124 ] && fail "the run of $exe hung (killed after 10 s)" "$log"
  [ $rc = 0 ] && fail "the run of $exe succeeded without a GPU?" "$log"
  lines=$(grep -c "^quilt: error: " "$log")
  [ "$lines" = 1 ] || fail "expected one error line, got $lines" "$log"
  grep -q "^quilt: error: CUDA cudaGetDeviceCount: cudaError[A-Za-z]* (" "$log" \
    || fail "the error line does not name the CUDA error" "$log"
  echo "PASS $(basename "$exe") on 2 ranks exits $rc after ${seconds} s: $(grep '^quilt: error: ' "$log")"
}
run_fails "$EXE" "$WORK/run.log" "$WORK/x.npy"

"$QUILTC" "$WORK/conv.onnx" -o "$WORK/conv.cuda" --mesh=2 --shard=x:2 --target=cuda \
  >"$WORK/conv_compile.log" 2>&1 || fail "quiltc --target=cuda failed for a convolution" \
  "$WORK/conv_compile.log"
readelf -d "$WORK/conv.cuda" >"$WORK/conv_needed.txt" || fail "readelf failed"
grep -q "libcudnn" "$WORK/conv_needed.txt" || fail "the executable does not link cuDNN" \
  "$WORK/conv_needed.txt"
grep -q "libcuda\.so" "$WORK/conv_needed.txt" && fail "the conv executable needs libcuda.so" \
  "$WORK/conv_needed.txt"
echo "PASS a convolution compiles and links for --target=cuda (cuDNN)"
run_fails "$WORK/conv.cuda" "$WORK/conv_run.log" "$WORK/xc.npy"

# --tf32: the model info records it, --print-signature says it, and the run
# still fails cleanly without a GPU.
"$QUILTC" "$WORK/conv.onnx" -o "$WORK/conv_tf32.cuda" --mesh=2 --shard=x:2 --target=cuda --tf32 \
  >"$WORK/tf32_compile.log" 2>&1 || fail "quiltc --target=cuda --tf32 failed" "$WORK/tf32_compile.log"
"$WORK/conv_tf32.cuda" --print-signature >"$WORK/tf32_sig.txt" 2>&1 \
  || fail "--print-signature failed" "$WORK/tf32_sig.txt"
grep -q "^math: tf32 " "$WORK/tf32_sig.txt" || fail "the signature does not say tf32" "$WORK/tf32_sig.txt"
grep -q "^math: " "$WORK/sig.txt" && fail "a float32 model's signature names a math mode" "$WORK/sig.txt"
echo "PASS --tf32 compiles, links and shows in --print-signature"
run_fails "$WORK/conv_tf32.cuda" "$WORK/tf32_run.log" "$WORK/xc.npy"
