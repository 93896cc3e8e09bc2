#!/usr/bin/env python3
"""torchvision's own model classes, exported as a user would, compiled by
Quilt for several meshes and compared with ONNX Runtime.

  torchvision_e2e.py QUILTC WORK_DIR MODEL MESH...

MODEL is one of the names in MODELS: torchvision classes in small
configurations, and a module of the structural ops exporters emit (random weights, fixed seed, opset 17, eval mode), so the
exporter's real patterns are exercised (Swin's masks and rolls, ViT's class
token, MobileNetV3's HardSwish/HardSigmoid, atrous pyramids) in CI time. Each
mesh must match ONNX Runtime (run_ort.js) within 1e-4 relative. Needs
/usr/bin/python3 with torch, torchvision and onnx, and node with
onnxruntime-node in test/e2e/ort.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torchvision
from torchvision.models import swin_transformer, vision_transformer

HERE = os.path.dirname(os.path.abspath(__file__))
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]


def seg(model):
    class Out(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x)["out"]
    return Out()


class Structural(torch.nn.Module):
    """Ops exporters emit around fields: pixel shuffle and unshuffle
    (DepthToSpace, SpaceToDepth), repeat (Tile), triu (Trilu), a ceil_mode
    pool, a global max pool and a mean of three tensors."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(4, 8, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(3, 2, ceil_mode=True)

    def forward(self, x):
        y = torch.nn.functional.pixel_shuffle(self.conv1(x), 2)        # 4 x 2H x 2W
        y = torch.nn.functional.pixel_unshuffle(self.conv2(y), 2)      # 32 x H x W
        y = self.pool(torch.relu(y))
        y = y.repeat(1, 1, 1, 2)
        y = torch.triu(y, diagonal=1) + torch.amax(y, dim=(2, 3), keepdim=True)
        return (y + torch.sigmoid(y) + y * 0.5) / 3


MODELS = {
    "structural": (Structural, [1, 3, 23, 18]),
    # ViT with a class token (the expand of a parameter, then Concat).
    "vit": (lambda: vision_transformer.VisionTransformer(
        image_size=64, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64,
        num_classes=10), [1, 3, 64, 64]),
    # Swin-T's structure (shifted windows, masks built from static shapes,
    # patch merging) at a small width.
    "swin": (lambda: swin_transformer.SwinTransformer(
        patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
        num_classes=10), [1, 3, 64, 64]),
    # MobileNetV3 segmentation: HardSwish, HardSigmoid, squeeze-excitation.
    "lraspp": (lambda: seg(torchvision.models.segmentation.lraspp_mobilenet_v3_large(
        num_classes=3, weights_backbone=None)), [1, 3, 96, 96]),
    "deeplab_mbv3": (lambda: seg(torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
        num_classes=3, weights_backbone=None, aux_loss=False)), [1, 3, 96, 96]),
}


def export(name, path, input_path):
    build, shape = MODELS[name]
    torch.manual_seed(0)
    model = build().eval()
    # torchvision zero-initialises some heads: give every all-zero
    # parameter random values so the output depends on everything.
    with torch.no_grad():
        for p in model.parameters():
            if float(p.abs().max()) == 0:
                torch.nn.init.normal_(p, std=0.02)
    x = torch.randn(*shape)
    np.save(input_path, x.numpy())
    torch.onnx.export(model, x, path, opset_version=17, input_names=["input"],
                      output_names=["output"])


def main():
    quiltc, work, name, meshes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, name + ".onnx")
    x = os.path.join(work, name + ".input.npy")
    export(name, model, x)
    ref_dir = os.path.join(work, name + ".ort")
    node = shutil.which("node") or "/usr/bin/node"
    subprocess.run([node, os.path.join(HERE, "ort", "run_ort.js"), "--quiet", model, ref_dir, x],
                   check=True)
    ref = np.load(os.path.join(ref_dir, "0.npy"))
    failures = 0
    for mesh in meshes:
        exe = os.path.join(work, f"{name}.p{mesh}")
        subprocess.run([quiltc, model, "-o", exe, f"--mesh={mesh}"], check=True)
        ranks = int(np.prod([int(a) for a in mesh.split("x")]))
        out = os.path.join(work, f"{name}.p{mesh}.out.npy")
        subprocess.run(MPIRUN + ["-n", str(ranks), exe, f"--input=@{x}", f"--output=@{out}"],
                       check=True)
        got = np.load(out)
        error = float(np.abs(got - ref).max() / np.abs(ref).max())
        ok = got.shape == ref.shape and error <= 1e-4
        label = " (oversubscribed)" if ranks > (os.cpu_count() or 1) else ""
        print(f"{name} mesh {mesh}{label}: max|quilt-ort|/max|ort| = {error:.2e} "
              f"{'ok' if ok else 'MISMATCH'}")
        failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
