#!/usr/bin/python3
"""The models of bench/plan_accuracy.sh, at sizes where one step takes a few
milliseconds on this 2-core machine (so a step is not launch noise).

    /usr/bin/python3 bench/plan_models.py OUT_DIR [--only=a,b,...] [--list] [--probes]

Reuses the torch modules and the FNO builder of test/models/gen_models.py
(same export path: opset 13/17, pads folded, shape-inferred). For every model
NAME it writes OUT_DIR/NAME.onnx, OUT_DIR/NAME.input.npy, the reference output
OUT_DIR/NAME.torch.npy (torch eager; numpy float64 for the FNO), and
OUT_DIR/plan_models.json: per model its input shape, the plans to measure and
whether it is held out. Models already present (same size) are kept.

Plans: P=1; P=2 with the split on H, W, channels (and batch when > 1);
P=4 on mesh 4 (H, W) and 2x2 (H over x, W over y). On a 2-core machine the
P=4 plans are oversubscribed (bench/plan_accuracy.py keeps them apart).

--probes also writes one-kernel models (probe_*.onnx, probes.json): each
kernel class of the models alone, so a misjudged kernel shows apart from any
plan.

`held_out`: the model was NOT looked at while the cost model was tuned (a
3-D conv net: Conv3d with dilation and stride, pools, a standalone BN);
its errors are reported separately, as a check on over-fitting.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "models"))
import gen_models as G  # noqa: E402  (torch, onnx, numpy; exits with a hint if missing)
import numpy as np  # noqa: E402


def _convstack(d):
    # 4 x (3x3 conv 32->32) in 2 residual blocks: 4 x 1.21 GFLOP.
    return G.gen_torch("pa_convstack", lambda: G.ConvStack(blocks=2, c=32),
                       [1, 32, 256, 256], 3100, d)


def _unet(d):
    # The unet2d U-Net (GroupNorm blocks, max-pool, ConvTranspose, bilinear
    # upsampling, skip concatenations), width 16, 1x3x256x256.
    return G.gen_torch("pa_unet", lambda: G.UNet2d(cin=3, cout=2, w=16), [1, 3, 256, 256],
                       3200, d)


def _fno(d):
    # FNO-2D (lift, 2 Fourier layers, projection), width 16, 12+12 H modes and
    # 12 W modes kept, 1x2x256x256.
    return G.gen_fno2d(d, 3300, "pa_fno2d", c=16, h=256, w=256, m1=12, m2=12)


def _vit(d):
    # ViT: 4x4 patch conv, two encoder layers (width 32, 2 heads) over a
    # 32x32 grid of 1024 patch tokens, folded back, 1x1 conv head.
    return G.gen_torch("pa_vit", lambda: G.ViT(cin=2, e=32, patch=4, heads=2),
                       [1, 2, 128, 128], 3400, d, opset=17)


def _cnn3d(d):
    # HELD OUT: the cnn3d net (Conv3d, dilation 2, stride 2, max/avg pools,
    # standalone BN after a residual Add) at 1x2x48x48x48.
    return G.gen_torch("pa_cnn3d", G.CNN3d, [1, 2, 48, 48, 48], 3500, d)


def _plans(rank, channels=True, batch=False):
    """(mesh, shard) pairs; shard '' = P=1. Dims: 1 = channels, 2 = H, 3 = W
    (for 3-D: 2 = D, 3 = H, 4 = W; the 'main spatial' splits are the first two)."""
    plans = [("1", "")]
    names = {2: "H", 3: "W"} if rank == 4 else {2: "D", 3: "H", 4: "W"}
    for dim in sorted(names):
        plans.append(("2", f"input:{dim}"))
    if channels:
        plans.append(("2", "input:1"))
    if batch:
        plans.append(("2", "input:0"))
    plans += [("4", "input:2"), ("4", "input:3"), ("2x2", "input:2=0,3=1")]
    return plans


MODELS = {
    "pa_convstack": dict(gen=_convstack, shape=[1, 32, 256, 256], kind="conv stack",
                         plans=_plans(4), held_out=False),
    "pa_unet": dict(gen=_unet, shape=[1, 3, 256, 256], kind="U-Net 2-D",
                    plans=_plans(4), held_out=False),
    "pa_fno2d": dict(gen=_fno, shape=[1, 2, 256, 256], kind="FNO-2D",
                     plans=_plans(4), held_out=False),
    "pa_vit": dict(gen=_vit, shape=[1, 2, 128, 128], kind="ViT (1024 patch tokens)",
                   plans=_plans(4), held_out=False),
    "pa_cnn3d": dict(gen=_cnn3d, shape=[1, 2, 48, 48, 48], kind="3-D conv net",
                     plans=_plans(5), held_out=True),
}


# ---- single-op probes ----------------------------------------------------------
# One kernel per model, run at P=2 (split on dim 2: one thread per rank, each
# rank on its own core) so that measured compute is that kernel's time: which
# kernels the cost model misjudges, apart from any plan. Not in the accuracy
# statistics.

class _Op(G.nn.Module):
    def __init__(self, make):
        super().__init__()
        self.f = make()

    def forward(self, x):
        return self.f(x)


class _Fn(G.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


F = G.F
nn = G.nn
PROBES = {
    "conv2d 3x3 16->16": (lambda: _Op(lambda: nn.Conv2d(16, 16, 3, padding=1)), [1, 16, 256, 256]),
    "conv3d 3x3x3 2->8": (lambda: _Op(lambda: nn.Conv3d(2, 8, 3, padding=1)), [1, 2, 48, 48, 48]),
    "conv3d 3x3x3 8->8 dilation 2": (lambda: _Op(lambda: nn.Conv3d(8, 8, 3, padding=2, dilation=2)),
                                     [1, 8, 48, 48, 48]),
    "conv_transpose2d 2x2 stride 2 32->32": (
        lambda: _Op(lambda: nn.ConvTranspose2d(32, 32, 2, stride=2)), [1, 32, 64, 64]),
    "max_pool2d 2x2 stride 2": (lambda: _Fn(lambda x: F.max_pool2d(x, 2)), [1, 16, 256, 256]),
    # Bound by its 9 taps where the 2x2 one is bound by its bytes: the two
    # give the pool class its compute and memory efficiencies.
    "max_pool2d 3x3 stride 1": (lambda: _Fn(lambda x: F.max_pool2d(x, 3, 1, 1)), [1, 16, 256, 256]),
    "max_pool3d 3x3x3 stride 1": (lambda: _Fn(lambda x: F.max_pool3d(x, 3, 1, 1)), [1, 8, 48, 48, 48]),
    "avg_pool3d 3x3x3 stride 1": (
        lambda: _Op(lambda: nn.AvgPool3d(3, stride=1, padding=1, count_include_pad=False)),
        [1, 8, 24, 24, 24]),
    "resize bilinear x2": (
        lambda: _Fn(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
        [1, 16, 128, 128]),
    "group_norm 4 groups": (lambda: _Op(lambda: nn.GroupNorm(4, 16)), [1, 16, 256, 256]),
    "relu": (lambda: _Fn(F.relu), [1, 8, 48, 48, 48]),
}


def probe_name(label):
    return "probe_" + "".join(c if c.isalnum() else "_" for c in label)


def write_probes(out_dir):
    manifest = {}
    for i, (label, (make, shape)) in enumerate(PROBES.items()):
        name = probe_name(label)
        onnx_path = os.path.join(out_dir, f"{name}.onnx")
        x_path = os.path.join(out_dir, f"{name}.input.npy")
        if not (os.path.exists(onnx_path) and os.path.exists(x_path) and
                os.path.getmtime(onnx_path) > os.path.getmtime(__file__)):
            _, _, x, _ = G.gen_torch(name, make, shape, 3900 + 10 * i, out_dir)
            np.save(x_path, np.ascontiguousarray(x))
        manifest[name] = {"label": label, "shape": shape, "mesh": "2", "shard": "input:2"}
    with open(os.path.join(out_dir, "probes.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true", help="only write plan_models.json")
    ap.add_argument("--probes", action="store_true",
                    help="also write the single-op probes (probe_*.onnx, probes.json)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    names = [n for n in args.only.split(",") if n] or list(MODELS)
    bad = [n for n in names if n not in MODELS]
    if bad:
        sys.exit(f"plan_models.py: unknown model(s) {bad}; known: {list(MODELS)}")
    G.torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    manifest = {}
    for name in names:
        spec = MODELS[name]
        onnx_path = os.path.join(args.out_dir, f"{name}.onnx")
        x_path = os.path.join(args.out_dir, f"{name}.input.npy")
        ref_path = os.path.join(args.out_dir, f"{name}.torch.npy")
        fresh = (os.path.exists(onnx_path) and os.path.exists(x_path) and
                 os.path.exists(ref_path) and
                 list(np.load(x_path, mmap_mode="r").shape) == spec["shape"] and
                 os.path.getmtime(onnx_path) > max(os.path.getmtime(__file__),
                                                   os.path.getmtime(G.__file__)))
        if not args.list and not fresh:
            _, ops, x, ref = spec["gen"](args.out_dir)
            np.save(x_path, np.ascontiguousarray(x))
            np.save(os.path.join(args.out_dir, f"{name}.torch.npy"),
                    np.ascontiguousarray(ref.astype(np.float32)))
            print(f"{name}: input {list(x.shape)}; ops: {', '.join(ops)}")
        manifest[name] = {"onnx": f"{name}.onnx", "input": f"{name}.input.npy",
                          "shape": spec["shape"], "kind": spec["kind"],
                          "held_out": spec["held_out"],
                          "plans": [{"mesh": m, "shard": s} for m, s in spec["plans"]]}
    with open(os.path.join(args.out_dir, "plan_models.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if args.probes:
        write_probes(args.out_dir)


if __name__ == "__main__":
    main()
