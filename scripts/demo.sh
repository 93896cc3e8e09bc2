#!/usr/bin/env bash
# The main job on a bundled example: install and build, make a small 2-D CNN
# (torch -> ONNX), compile it for 4 ranks, run it with mpirun (each rank reads
# and writes only its own slab), check it against the unsharded model run by
# ONNX Runtime, and print timings.
#   scripts/demo.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
"$ROOT/scripts/setup.sh" "$BUILD_DIR"

DEMO="$BUILD_DIR/demo"
MODEL=cnn2d_dense
RANKS=4
mkdir -p "$DEMO"
echo "== 1. model: $MODEL (torch -> ONNX)"
/usr/bin/python3 "$ROOT/test/models/gen_models.py" "$DEMO" --only=$MODEL
echo "== 2. reference: the unsharded model in ONNX Runtime"
node "$ROOT/test/e2e/ort/run_ort.js" --quiet "$DEMO/$MODEL.onnx" "$DEMO/ref" "$DEMO/$MODEL.input.npy"
echo "== 3. compile for a mesh of $RANKS ranks"
"$BUILD_DIR/tools/quiltc/quiltc" "$DEMO/$MODEL.onnx" -o "$DEMO/$MODEL" --mesh=$RANKS
"$DEMO/$MODEL" --print-signature
echo "== 4. run on $RANKS ranks and compare with the reference"
mpirun --allow-run-as-root --oversubscribe -n $RANKS "$DEMO/$MODEL" \
  --input=@"$DEMO/$MODEL.input.npy" --output=@"$DEMO/$MODEL.out.npy" \
  --expected_output=@"$DEMO/ref/0.npy" --expected_f32_threshold=1e-4 --iterations=20
echo "== demo passed: $DEMO/$MODEL.out.npy equals the unsharded model"
