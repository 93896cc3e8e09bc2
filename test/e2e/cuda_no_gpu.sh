#!/usr/bin/env bash
# The CUDA target on a machine without a GPU (what CI can check of it):
#   cuda_no_gpu.sh QUILTC WORK_DIR
# (1) quiltc --target=cuda compiles and links a model of Quilt's own kernels
#     and a cuBLAS GEMM (the model object is the one every target gets);
# (2) the executable needs no libcuda (it would not start without a driver);
# (3) --help and --print-signature work without a GPU;
# (4) under mpirun -n 2 every rank exits non-zero within 10 s and the job
#     prints one line naming the CUDA error;
# (5) a model with a convolution is refused in one line naming the node.
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

start=$(date +%s)
# shellcheck disable=SC2086
timeout 10 "$MPIRUN" $MPIRUN_FLAGS -n 2 "$EXE" --input=@"$WORK/x.npy" --output=@"$WORK/y.npy" \
  >"$WORK/run.log" 2>&1
rc=$?
seconds=$(( $(date +%s) - start ))
[ $rc = 124 ] && fail "the run hung (killed after 10 s)" "$WORK/run.log"
[ $rc = 0 ] && fail "the run succeeded without a GPU?" "$WORK/run.log"
lines=$(grep -c "^quilt: error: " "$WORK/run.log")
[ "$lines" = 1 ] || fail "expected one error line, got $lines" "$WORK/run.log"
grep -q "^quilt: error: CUDA cudaGetDeviceCount: cudaError[A-Za-z]* (" "$WORK/run.log" \
  || fail "the error line does not name the CUDA error" "$WORK/run.log"
echo "PASS 2 ranks exit $rc after ${seconds} s: $(grep '^quilt: error: ' "$WORK/run.log")"

out=$("$QUILTC" "$WORK/conv.onnx" -o "$WORK/conv.cuda" --mesh=2 --target=cuda 2>&1) \
  && fail "a convolution compiled for --target=cuda"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "expected one line, got: $out"
printf '%s\n' "$out" | grep -q "has no kernel yet for conv (ONNX node 'stem')" \
  || fail "unexpected refusal: $out"
echo "PASS refusal: $out"
