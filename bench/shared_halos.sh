#!/usr/bin/env bash
# Shared halos benchmark: DeepLabV3-ResNet50's atrous pyramid (three dilated
# 3x3 convs, dilations 12, 24, 36, and a 1x1 conv reading one 2048-channel
# tensor) with one halo exchange per reader and with one shared exchange
# (quilt-share-halos).
#
#   bench/shared_halos.sh BUILD_DIR
#
# 1. exports torchvision's deeplabv3_resnet50(num_classes=21, weights=None,
#    weights_backbone=None, aux_loss=False) at 1x3x256x256, opset 17 (cached);
# 2. compiles it for each mesh with --share-halos=false and as quiltc does by
#    default, with --report (the bytes every rank sends in every op);
# 3. unless BENCH_RUN=0, runs both under mpirun through test/e2e/run_e2e.sh:
#    output against ONNX Runtime (1e-4) and measured bytes == predicted;
# 4. prints the bytes per rank before and after, and the one-shared-halo
#    count worked out from the unshared program (each group of exchanges of
#    one value and dim counted once, at its widest), which the shared program
#    must match within 10%.
#
# Environment (optional):
#   QUILTC            quiltc path (default: BUILD_DIR/tools/quiltc/quiltc)
#   BENCH_DIR         work dir (default: BUILD_DIR/bench/shared_halos)
#   BENCH_MESHES      meshes (default "2")
#   BENCH_RUN         0: compile only (no mpirun, no ONNX Runtime)
#   PYTHON, MPIRUN, MPIRUN_FLAGS   as in test/e2e/run_e2e.sh
set -u -o pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD_DIR=$(cd "$1" 2>/dev/null && pwd) || { echo "shared_halos.sh: no such build dir: $1" >&2; exit 2; }
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
. "$REPO/scripts/tool-env.sh"
QUILTC=${QUILTC:-$BUILD_DIR/tools/quiltc/quiltc}
WORK=${BENCH_DIR:-$BUILD_DIR/bench/shared_halos}
MESHES=${BENCH_MESHES:-2}
M=deeplabv3

die() { echo "shared_halos.sh: error: $*" >&2; exit 1; }
[ -x "$QUILTC" ] || die "quiltc not found at $QUILTC (set QUILTC=...)"
MODELS=$WORK/models
mkdir -p "$MODELS" || die "cannot create $WORK"

if [ ! -f "$MODELS/$M.onnx" ] || [ ! -f "$MODELS/$M.input.npy" ]; then
  echo "== exporting torchvision deeplabv3_resnet50 at 1x3x256x256 (opset 17)"
  "$PYTHON" - "$MODELS" "$M" <<'PY' || die "export failed (needs torch and torchvision)"
import os, sys, warnings
warnings.filterwarnings("ignore")  # torch's export notes on constants
import numpy as np
import torch, torchvision
out, name = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
net = torchvision.models.segmentation.deeplabv3_resnet50(
    num_classes=21, weights=None, weights_backbone=None, aux_loss=False).eval()
class Out(torch.nn.Module):  # the dict's "out" only
    def __init__(self, net):
        super().__init__()
        self.net = net
    def forward(self, x):
        return self.net(x)["out"]
x = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(1))
torch.onnx.export(Out(net), x, os.path.join(out, name + ".onnx"), opset_version=17,
                  input_names=["input"], output_names=["output"])
np.save(os.path.join(out, name + ".input.npy"), x.numpy())
PY
fi

status=0
for mesh in $MESHES; do
  for variant in unshared shared; do
    flags=()
    [ $variant = unshared ] && flags=(--share-halos=false)
    dir=$WORK/$M.$mesh.$variant
    rm -rf "$dir" && mkdir -p "$dir"
    echo "== quiltc $M --mesh=$mesh ${flags[*]}"
    # Weights elided: the report script reads only the halo exchanges.
    "$QUILTC" "$MODELS/$M.onnx" --mesh="$mesh" "${flags[@]}" --compile-to=partition \
      --mlir-elide-elementsattrs-if-larger=16 -o "$dir/partition.mlir" \
      --report="$dir/predicted.json" >"$dir/compile.log" 2>&1 ||
      { tail -n 20 "$dir/compile.log"; die "quiltc failed"; }
    if [ "${BENCH_RUN:-1}" != 0 ]; then
      echo "== mpirun -n $(( ${mesh//x/*} )) ($variant), against ONNX Runtime"
      QUILTC_FLAGS="${flags[*]}" bash "$REPO/test/e2e/run_e2e.sh" "$QUILTC" "$MODELS" \
        "$dir/e2e" "$M" "$mesh" | tail -n 40 | tee "$dir/e2e.log" | cut -c1-300
      grep -q '^PASS' "$dir/e2e.log" || status=1
      cp "$dir/e2e/$M.p$mesh.run/measured.json" "$dir/" 2>/dev/null
      rm -rf "$dir/e2e" # the executable and its 160 MB of weights
    fi
  done
  echo "== mesh $mesh"
  "$PYTHON" "$SCRIPT_DIR/shared_halos_report.py" "$WORK/$M.$mesh.unshared" "$WORK/$M.$mesh.shared" ||
    status=1
done
exit $status
