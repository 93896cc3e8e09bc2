#!/usr/bin/python3
"""Generate the ONNX test models of the Quilt end-to-end tests.

    /usr/bin/python3 test/models/gen_models.py OUT_DIR [--bench] [--only=a,b,...]

Needs torch (tested with 1.13, CPU), onnx (1.12) and numpy; on the dev machines
these live in Debian's /usr/bin/python3, not in the python3 first on PATH.

For every model NAME it writes into OUT_DIR:
    NAME.onnx          the model (opset 13, checked with onnx.checker, with
                       shape-inferred value_info)
    NAME.input.npy     the input, float32 C order (all models have one input,
                       named "input"; the single output is named "output")
    NAME.torch.npy     torch eager output for that input (float32), used to
                       sanity-check the ONNX Runtime reference
and OUT_DIR/manifest.json describing all models (merged with an existing
manifest in OUT_DIR, so --only / --bench runs add to it).

Everything is deterministic: each model seeds torch and numpy with its own
fixed seed. Models are in eval mode (BatchNorm uses running statistics, which
are randomised so that BN is not the identity).

Export notes (torch 1.13, opset 13):
  * Conv followed directly by BatchNorm is folded into the Conv by the
    exporter; a BatchNorm that follows something else (Add, Relu, ...) stays a
    BatchNormalization node. Both situations appear in the models.
  * Asymmetric padding is written in torch as F.pad + conv/pool with padding
    0, which exports as Pad + Conv / Pad + AveragePool. fold_pads() below
    merges such Pads into the consumer's `pads` attribute (AveragePool gets
    count_include_pad=1, which is exactly what zero-Pad + pool computes).
    AvgPool2d(count_include_pad=True, padding>0) also exports as
    Pad + AveragePool and is folded the same way. No model contains a Pad op
    (checked).
  * nn.GELU() (exact) exports as Div, Erf, Add, Mul, Mul.
  * nn.Linear on a 2-D tensor exports as Gemm; nn.Flatten as Flatten;
    nn.AdaptiveAvgPool2d(1) as GlobalAveragePool.
  * `asym_pads` is built with onnx.helper directly (torch cannot express
    asymmetric conv/pool padding); its torch reference is emulated with
    F.pad.
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np

try:
    import onnx
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from onnx import helper, numpy_helper, TensorProto
except ImportError as e:  # pragma: no cover
    sys.exit(f"gen_models.py: {e}\nRun with /usr/bin/python3 (needs torch, onnx, numpy).")

OPSET = 13


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def randomize_bn(model, gen):
    """Give every BatchNorm non-trivial affine params and running stats."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)


def make_input(shape, seed):
    rs = np.random.RandomState(seed)
    return rs.standard_normal(shape).astype(np.float32)


def _const_value(graph, name):
    """numpy value of `name` if it is an initializer or Constant-node output."""
    for init in graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            for a in n.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
    return None


def _get_attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _set_attr(node, name, value):
    for i, a in enumerate(node.attribute):
        if a.name == name:
            del node.attribute[i]
            break
    node.attribute.extend([helper.make_attribute(name, value)])


def fold_pads(model):
    """Merge constant zero Pad nodes into the following Conv / AveragePool.

    Raises if a Pad cannot be folded (the models must not contain Pad).
    """
    g = model.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_outputs = {o.name for o in g.output}
    remove = []
    for pad in [n for n in g.node if n.op_type == "Pad"]:
        mode = _get_attr(pad, "mode", b"constant")
        if isinstance(mode, bytes):
            mode = mode.decode()
        if mode != "constant":
            raise RuntimeError(f"cannot fold Pad {pad.name}: mode {mode}")
        pads = _const_value(g, pad.input[1]) if len(pad.input) > 1 else None
        if pads is None:
            raise RuntimeError(f"cannot fold Pad {pad.name}: non-constant pads")
        if len(pad.input) > 2 and pad.input[2]:
            cv = _const_value(g, pad.input[2])
            if cv is None or float(np.asarray(cv).reshape(-1)[0]) != 0.0:
                raise RuntimeError(f"cannot fold Pad {pad.name}: non-zero pad value")
        pads = [int(p) for p in np.asarray(pads).reshape(-1)]
        rank = len(pads) // 2
        begins, ends = pads[:rank], pads[rank:]
        if any(p < 0 for p in pads) or begins[:2] != [0, 0] or ends[:2] != [0, 0]:
            raise RuntimeError(f"cannot fold Pad {pad.name}: pads {pads}")
        users = consumers.get(pad.output[0], [])
        if len(users) != 1 or pad.output[0] in graph_outputs:
            raise RuntimeError(f"cannot fold Pad {pad.name}: {len(users)} consumers")
        user = users[0]
        if user.input[0] != pad.output[0] or user.op_type not in ("Conv", "AveragePool"):
            raise RuntimeError(f"cannot fold Pad {pad.name} into {user.op_type}")
        if _get_attr(user, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise RuntimeError(f"cannot fold Pad {pad.name}: consumer uses auto_pad")
        sp = rank - 2
        old = list(_get_attr(user, "pads", [0] * (2 * sp)))
        if user.op_type == "AveragePool":
            if any(old):
                raise RuntimeError(f"cannot fold Pad {pad.name}: AveragePool already padded")
            if _get_attr(user, "ceil_mode", 0):
                raise RuntimeError(f"cannot fold Pad {pad.name}: AveragePool ceil_mode")
            _set_attr(user, "count_include_pad", 1)
        new = [old[i] + begins[2 + i] for i in range(sp)] + \
              [old[sp + i] + ends[2 + i] for i in range(sp)]
        _set_attr(user, "pads", new)
        user.input[0] = pad.input[0]
        remove.append(pad)
    for n in remove:
        g.node.remove(n)
    # Drop now-unused Constant nodes and initializers.
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    for n in [n for n in g.node if n.op_type == "Constant" and n.output[0] not in used]:
        g.node.remove(n)
    for init in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(init)
    return model


def finalize(model, path, keep_pads=False):
    """Fold pads (unless the model tests Pad itself), check, shape-infer and save.
    Returns the op-type list."""
    if not keep_pads:
        model = fold_pads(model)
        if any(n.op_type == "Pad" for n in model.graph.node):
            raise RuntimeError("Pad op left in graph")
    onnx.checker.check_model(model, full_check=True)
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    ops = []
    for n in model.graph.node:
        if n.op_type not in ops:
            ops.append(n.op_type)
    return model, ops


def save_graph(graph, out_dir, keep_pads=False):
    """Wraps an onnx.helper graph in a model (opset OPSET, IR 7) and finalizes it
    as OUT_DIR/<graph name>.onnx. Returns (model, op types)."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="quilt-gen_models")
    model.ir_version = 7
    return finalize(model, os.path.join(out_dir, f"{graph.name}.onnx"), keep_pads=keep_pads)


def save_one_io(nodes, name, in_shape, out_shape, inits, out_dir, seed, keep_pads=False):
    """Saves an onnx.helper graph of `nodes` with one float input 'input' and
    one output 'output'; returns (model, ops, x), x its seeded input."""
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        initializer=inits)
    model, ops = save_graph(graph, out_dir, keep_pads=keep_pads)
    return model, ops, make_input(in_shape, seed + 1)


def export_torch(module, x, path, opset=OPSET):
    module.eval()
    # Attention modules take an inference fast path (no ONNX export) unless
    # gradients are enabled: keep them enabled for those.
    has_attention = any(isinstance(m, nn.MultiheadAttention) for m in module.modules())
    grad = torch.enable_grad() if has_attention else torch.no_grad()
    with grad, warnings.catch_warnings():
        # torch 1.13's exporter is chatty (deprecation/constant-folding notes).
        warnings.simplefilter("ignore")
        ref = module(torch.from_numpy(x)).detach().numpy().astype(np.float32)
        torch.onnx.export(module, (torch.from_numpy(x),), path, opset_version=opset,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
    return onnx.load(path), ref


def node_summary(model):
    """Compact per-node description (op type + relevant attributes)."""
    out = []
    keys = ("kernel_shape", "strides", "pads", "dilations", "group",
            "count_include_pad", "ceil_mode", "alpha", "axis", "transB", "epsilon")
    for n in model.graph.node:
        attrs = {}
        for a in n.attribute:
            if a.name in keys:
                v = helper.get_attribute_value(a)
                attrs[a.name] = list(v) if not isinstance(v, (int, float, bytes)) else v
        out.append({"op": n.op_type, **({"attrs": attrs} if attrs else {})})
    return out


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------

class _AsymConvFn(torch.autograd.Function):
    """conv over an asymmetrically zero-padded input. Eager: F.pad + conv.
    Export: a single ONNX Conv with pads=[begins..., ends...] (torch would
    otherwise emit a dynamically computed Pad)."""

    @staticmethod
    def forward(ctx, x, w, b, begins, ends, stride, dilation, groups):
        fp = []
        for lo, hi in zip(reversed(begins), reversed(ends)):
            fp += [lo, hi]
        conv = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[x.dim()]
        return conv(F.pad(x, fp), w, b, stride=stride, dilation=dilation, groups=groups)

    @staticmethod
    def symbolic(g, x, w, b, begins, ends, stride, dilation, groups):
        k = list(w.type().sizes()[2:]) if w.type().sizes() else None
        attrs = dict(pads_i=list(begins) + list(ends), strides_i=list(stride),
                     dilations_i=list(dilation), group_i=groups)
        if k:
            attrs["kernel_shape_i"] = k
        return g.op("Conv", x, w, b, **attrs)


class AsymConv1d(nn.Module):
    """Conv1d with asymmetric zero padding (left, right) -> Conv pads=[left, right]."""

    def __init__(self, cin, cout, k, left, right, stride=1, dilation=1, groups=1):
        super().__init__()
        self.begins, self.ends = [left], [right]
        self.stride, self.dilation, self.groups = [stride], [dilation], groups
        self.conv = nn.Conv1d(cin, cout, k, padding=0, stride=stride, dilation=dilation,
                              groups=groups)

    def forward(self, x):
        return _AsymConvFn.apply(x, self.conv.weight, self.conv.bias, self.begins, self.ends,
                                 self.stride, self.dilation, self.groups)


class CNN1d(nn.Module):
    # input [1, 4, 77]
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm1d(16)                      # folded into c1
        self.c2 = nn.Conv1d(16, 16, 3, stride=2, padding=1)  # 77 -> 39
        self.act2 = nn.LeakyReLU(0.1)
        self.c3 = nn.Conv1d(16, 16, 3, padding=2, dilation=2, groups=4)
        self.bn3 = nn.BatchNorm1d(16)                      # after Add: stays BN
        self.c4 = AsymConv1d(16, 8, 3, 0, 2)               # pads=[0,2]: 39 -> 39
        self.pool = nn.MaxPool1d(3, stride=2, padding=1)   # 39 -> 20
        self.c5 = nn.Conv1d(8, 8, 5, padding=2, stride=1, groups=2)
        self.c6 = nn.Conv1d(8, 4, 1)

    def forward(self, x):
        x = F.relu(self.bn1(self.c1(x)))
        x = self.act2(self.c2(x))
        r = x
        x = self.bn3(self.c3(x) + r)
        x = F.relu(x)
        x = F.leaky_relu(self.c4(x), 0.2)
        x = self.pool(x)
        x = x + F.relu(self.c5(x))
        return self.c6(x)                                  # [1, 4, 20]


class Backbone2d(nn.Module):
    # input [1, 3, 45, 37]
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)                      # folded
        self.c1 = nn.Conv2d(16, 16, 5, stride=2, padding=2)  # 45x37 -> 23x19
        self.bn1 = nn.BatchNorm2d(16)                      # folded
        self.gelu = nn.GELU()                              # exact -> Erf pattern
        self.dw = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=16)  # depthwise
        self.pw = nn.Conv2d(16, 16, 1)
        self.bn2 = nn.BatchNorm2d(16)                      # folded into pw
        self.bn_res = nn.BatchNorm2d(16)                   # after Add: stays BN
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)   # 23x19 -> 12x10
        self.c3 = nn.Conv2d(16, 32, 3, padding=1)
        self.avg_excl = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.c4 = nn.Conv2d(32, 32, (3, 5), padding=(1, 2), groups=4)
        self.avg_incl = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)  # Pad folded

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        x = self.gelu(self.bn1(self.c1(x)))
        b = torch.tanh(self.bn2(self.pw(self.dw(x))))
        x = F.relu(self.bn_res(x + b))
        x = self.pool(x)
        x = F.relu(self.c3(x))
        y = torch.sigmoid(self.avg_excl(x))
        x = x + y
        z = self.avg_incl(F.relu(self.c4(x)))
        return x + z                                       # [1, 32, 12, 10]


class CNN2dDense(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone2d()
        self.out = nn.Conv2d(32, 4, 1)

    def forward(self, x):
        return self.out(self.backbone(x))                  # [1, 4, 12, 10]


class CNN2dHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone2d()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.flat(self.gap(self.backbone(x))))  # [1, 10]


class CNN3d(nn.Module):
    # input [1, 2, 19, 17, 15]
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv3d(2, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm3d(8)                       # folded
        self.mp = nn.MaxPool3d(3, stride=1, padding=1)
        self.c2 = nn.Conv3d(8, 8, 3, padding=2, dilation=2)
        self.bn2 = nn.BatchNorm3d(8)                       # folded
        self.bn_res = nn.BatchNorm3d(8)                    # after Add: stays BN
        self.c3 = nn.Conv3d(8, 8, 3, stride=2, padding=1)  # -> 10x9x8
        self.ap = nn.AvgPool3d(3, stride=1, padding=1, count_include_pad=False)
        self.mp2 = nn.MaxPool3d((2, 1, 2), stride=(2, 1, 2))  # -> 5x9x4
        self.c4 = nn.Conv3d(8, 4, 1)

    def forward(self, x):
        x = F.relu(self.bn1(self.c1(x)))
        x = self.mp(x)
        x = F.relu(self.bn_res(self.bn2(self.c2(x)) + x))
        x = F.relu(self.c3(x))
        x = x + self.ap(x)
        x = self.mp2(x)                                    # [1, 8, 5, 9, 4]
        return self.c4(x)                                  # [1, 4, 5, 9, 4]


class FlattenGemm(nn.Module):
    # input [1, 3, 20, 16]
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.c2 = nn.Conv2d(4, 4, 3, stride=2, padding=1)  # -> 10x8
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4 * 10 * 8, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        return self.fc(self.flat(x))                       # [1, 10]


class ConvStack(nn.Module):
    # input [1, 32, 256, 256]; 4 residual blocks of 2 convs = 8 convs,
    # 2*32*32*9*256*256 = 1.208 GFLOP each -> 9.66 GFLOP.
    def __init__(self, blocks=4, c=32):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(2 * blocks)])
        with torch.no_grad():
            for cv in self.convs:
                cv.weight.mul_(0.5)

    def forward(self, x):
        for i in range(0, len(self.convs), 2):
            y = F.relu(self.convs[i](x))
            y = self.convs[i + 1](y)
            x = F.relu(x + y)
        return x


class Upsampling(nn.Module):
    """ConvTranspose (stride 2 + output_padding; dilation 2 + groups 2, stride 3)
    and Resize (nearest x2, bilinear x1.5 half-pixel, bilinear to a size with
    align_corners)."""

    def __init__(self):
        super().__init__()
        self.up1 = nn.ConvTranspose2d(3, 6, 3, stride=2, padding=1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(6, 4, 3, stride=(1, 3), padding=2, dilation=2, groups=2)

    def forward(self, x):
        y = torch.tanh(self.up1(x))
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = F.interpolate(y, scale_factor=1.5, mode="bilinear", align_corners=False)
        y = self.up2(y)
        return F.interpolate(y, size=(50, 43), mode="bilinear", align_corners=True)


class UNet2d(nn.Module):
    """A small U-Net: GroupNorm conv blocks, max-pool down, ConvTranspose and
    bilinear upsampling up, skip concatenations."""

    def __init__(self, cin=3, cout=2, w=8):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.GroupNorm(4, o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1), nn.ReLU())
        self.enc1, self.enc2 = block(cin, w), block(w, 2 * w)
        self.mid = block(2 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)
        self.dec2 = block(4 * w, 2 * w)
        self.reduce = nn.Conv2d(2 * w, w, 1)
        self.dec1 = block(2 * w, w)
        self.head = nn.Conv2d(w, cout, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        u1 = F.interpolate(self.reduce(d2), scale_factor=2, mode="bilinear", align_corners=False)
        return self.head(self.dec1(torch.cat([u1, e1], 1)))


class UNet3d(nn.Module):
    """3-D U-Net: InstanceNorm blocks, ConvTranspose3d and trilinear upsampling."""

    def __init__(self, cin=2, cout=2, w=4):
        super().__init__()

        def block(i, o):
            return nn.Sequential(nn.Conv3d(i, o, 3, padding=1),
                                 nn.InstanceNorm3d(o, affine=True), nn.LeakyReLU(0.1))
        self.enc1, self.enc2, self.mid = block(cin, w), block(w, 2 * w), block(2 * w, 2 * w)
        self.up2 = nn.ConvTranspose3d(2 * w, w, 2, stride=2)
        self.dec2 = block(3 * w, w)
        self.dec1 = block(2 * w, w)
        self.head = nn.Conv3d(w, cout, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool3d(e1, 2))
        m = self.mid(F.max_pool3d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        u1 = F.interpolate(d2, scale_factor=2, mode="trilinear", align_corners=False)
        return self.head(self.dec1(torch.cat([u1, e1], 1)))


def _gelu(x):
    # A plain function, not "gelu": torch 1.13's inference fast path
    # (aten::_transformer_encoder_layer_fwd) has no ONNX export.
    return F.gelu(x)


class TokenTransformer(nn.Module):
    """Two transformer encoder layers (MultiheadAttention, LayerNorm, GELU MLP)
    over a token sequence [1, T, E]: tokens are the split dim."""

    def __init__(self, e=16, heads=2, layers=2):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(e, heads, 2 * e, dropout=0.0, batch_first=True,
                                       activation=_gelu) for _ in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class ViT(nn.Module):
    """Patch conv, two transformer encoder layers over the patch tokens, and the
    tokens folded back onto the patch grid, then a 1x1 conv head."""

    def __init__(self, cin=2, e=16, patch=4, heads=2):
        super().__init__()
        self.patch = nn.Conv2d(cin, e, patch, stride=patch)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(e, heads, 2 * e, dropout=0.0, batch_first=True,
                                       activation=_gelu) for _ in range(2)])
        self.head = nn.Conv2d(e, cin, 1)

    def forward(self, x):
        t = self.patch(x)
        b, e, h, w = t.shape
        t = t.flatten(2).transpose(1, 2)
        for layer in self.layers:
            t = layer(t)
        return self.head(t.transpose(1, 2).reshape(b, e, h, w))


class ViTPos(ViT):
    """ViT on an uneven 9x5 patch grid with a learned positional embedding
    added to the tokens (a [1, T, E] constant in the exported model)."""

    def __init__(self):
        super().__init__()
        self.pos = nn.Parameter(0.5 * torch.randn(1, 45, 16))

    def forward(self, x):
        t = self.patch(x)
        b, e, h, w = t.shape
        t = t.flatten(2).transpose(1, 2) + self.pos
        for layer in self.layers:
            t = layer(t)
        return self.head(t.transpose(1, 2).reshape(b, e, h, w))


class ViTCls(ViT):
    """ViT classifier with a class token as torchvision writes it: the token
    (a parameter, expanded) concatenated before the 45 patch tokens of an
    uneven 9x5 grid, a learned positional embedding over all 46, two encoder
    layers, LayerNorm, and a Linear head on token 0."""

    def __init__(self):
        super().__init__()
        self.cls = nn.Parameter(0.5 * torch.randn(1, 1, 16))
        self.pos = nn.Parameter(0.5 * torch.randn(1, 46, 16))
        self.norm = nn.LayerNorm(16)
        self.classify = nn.Linear(16, 5)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], dim=1) + self.pos
        for layer in self.layers:
            t = layer(t)
        return self.classify(self.norm(t)[:, 0])


class ViTRegisters(ViTCls):
    """ViTCls with two register tokens appended after the 45 patch tokens
    (extra tokens on both sides of the patches in one Concat), a positional
    embedding over all 48, the head on the class token."""

    def __init__(self):
        super().__init__()
        self.regs = nn.Parameter(0.5 * torch.randn(1, 2, 16))
        self.pos = nn.Parameter(0.5 * torch.randn(1, 48, 16))

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        n = t.shape[0]
        t = torch.cat([self.cls.expand(n, -1, -1), t, self.regs.expand(n, -1, -1)], dim=1)
        t = t + self.pos
        for layer in self.layers:
            t = layer(t)
        return self.classify(self.norm(t)[:, 0])


def _shift_mask_3d(dims, window, shift):
    """Video Swin's attention mask for a cyclic shift: -100 between tokens of
    one window that came from different regions of the unshifted field.
    [windows, N, N] with N the tokens of a window (numpy, float32)."""
    region = np.zeros(dims, dtype=np.int64)
    for axis, (n, w, s) in enumerate(zip(dims, window, shift)):
        ids = np.zeros(n, dtype=np.int64)
        ids[n - w:n - s] = 1
        ids[n - s:] = 2
        shape = [1, 1, 1]
        shape[axis] = n
        region = region * 3 + ids.reshape(shape)
    (d, h, w), (wd, wh, ww) = dims, window
    r = region.reshape(d // wd, wd, h // wh, wh, w // ww, ww).transpose(0, 2, 4, 1, 3, 5)
    r = r.reshape(-1, wd * wh * ww)
    return np.where(r[:, None, :] != r[:, :, None], -100.0, 0.0).astype(np.float32)


class SwinBlock3D(nn.Module):
    """A Video-Swin block over (levels, lat, lon) windows, written as the
    exporters write it: LayerNorm, torch.roll over three dims when shifted,
    the 3-D window partition (an 8-D view and permute), multi-head attention
    with a learned bias per window position pair and the shift mask, the
    window reverse and the roll back, then an MLP."""

    def __init__(self, dims, c, heads, window, shift):
        super().__init__()
        self.window, self.shift, self.heads = window, shift, heads
        n = window[0] * window[1] * window[2]
        self.norm1, self.norm2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.mlp = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))
        self.bias = nn.Parameter(0.5 * torch.randn(heads, n, n))
        mask = _shift_mask_3d(dims, window, shift) if any(shift) else np.zeros((1, n, n), np.float32)
        self.register_buffer("mask", torch.from_numpy(mask))

    def forward(self, x):
        b, d, h, w, c = x.shape
        (wd, wh, ww), n, heads = self.window, self.window[0] * self.window[1] * self.window[2], self.heads
        shifted = any(self.shift)
        y = self.norm1(x)
        if shifted:
            y = torch.roll(y, shifts=tuple(-s for s in self.shift), dims=(1, 2, 3))
        y = y.view(b, d // wd, wd, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 5, 2, 4, 6, 7)
        y = y.reshape(-1, n, c)
        qkv = self.qkv(y).reshape(y.shape[0], n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * (c // heads) ** -0.5) @ k.transpose(-2, -1) + self.bias
        if shifted:
            windows = self.mask.shape[0]
            attn = attn.view(-1, windows, heads, n, n) + self.mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, n, n)
        y = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, n, c)
        y = self.proj(y).view(b, d // wd, h // wh, w // ww, wd, wh, ww, c)
        y = y.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, d, h, w, c)
        if shifted:
            y = torch.roll(y, shifts=tuple(self.shift), dims=(1, 2, 3))
        x = x + y
        return x + self.mlp(self.norm2(x))


class Swin3D(nn.Module):
    """A Swin-3D block stack on a (levels, lat, lon) field, as weather models
    use it: a (1, 2, 2) patch conv to a 4 x 16 x 24 grid, a block with
    2x4x4 windows, one shifted by (1, 2, 2), then back and a 1x1x1 conv."""

    def __init__(self, cin=2, c=16):
        super().__init__()
        dims, window = (4, 16, 24), (2, 4, 4)
        self.embed = nn.Conv3d(cin, c, (1, 2, 2), stride=(1, 2, 2))
        self.blocks = nn.Sequential(SwinBlock3D(dims, c, 2, window, (0, 0, 0)),
                                    SwinBlock3D(dims, c, 2, window, (1, 2, 2)))
        self.head = nn.Conv3d(c, cin, 1)

    def forward(self, x):
        y = self.blocks(self.embed(x).permute(0, 2, 3, 4, 1))
        return self.head(y.permute(0, 4, 1, 2, 3))


def _visible_relative_bias(module):
    """Swin's relative position bias tables drawn with std 0.5: visible in
    the output (torchvision initializes them near zero)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "relative_position_bias_table" in name:
                p.normal_(std=0.5)


class SwinWindows(nn.Module):
    """Swin's shifted-window attention as torchvision writes it: a 2x2 patch
    conv to a 48x48 grid, two Swin blocks with 4x4 windows (the second shifted
    by 2: torch.roll exported as Slice+Concat, attention masks built from
    static shapes, relative position bias), patch merging (strided slices,
    Concat on channels), two blocks with 2x2 windows (shift 1), then back to
    NCHW and a 1x1 conv head. 12 windows a side in both stages: blocks of 2,
    3 and 4 ranks (and 2x2) hold whole windows."""

    def __init__(self, cin=3, c=16):
        super().__init__()
        from torchvision.models.swin_transformer import PatchMerging, SwinTransformerBlock
        self.embed = nn.Conv2d(cin, c, 2, stride=2)
        self.norm = nn.LayerNorm(c)
        self.stage1 = nn.Sequential(SwinTransformerBlock(c, 2, [4, 4], [0, 0]),
                                    SwinTransformerBlock(c, 2, [4, 4], [2, 2]))
        self.merge = PatchMerging(c)
        self.stage2 = nn.Sequential(SwinTransformerBlock(2 * c, 4, [2, 2], [0, 0]),
                                    SwinTransformerBlock(2 * c, 4, [2, 2], [1, 1]))
        self.head = nn.Conv2d(2 * c, 5, 1)
        _visible_relative_bias(self)

    def forward(self, x):
        y = self.norm(self.embed(x).permute(0, 2, 3, 1))
        y = self.stage2(self.merge(self.stage1(y)))
        return self.head(y.permute(0, 3, 1, 2))


class SwinLastStage(nn.Module):
    """Swin-T's last stage, small: a 2x2 patch conv to an 8x8 grid, two
    torchvision SwinTransformerBlocks whose 8x8 window is the whole grid (the
    second's shift is then 0), a 1x1 conv head. The one window's tokens are
    split over the ranks, so attention runs as a ring with the relative
    position bias added block by block (quilt.attention's bias)."""

    def __init__(self, cin=3, c=16):
        super().__init__()
        from torchvision.models.swin_transformer import SwinTransformerBlock
        self.embed = nn.Conv2d(cin, c, 2, stride=2)
        self.norm = nn.LayerNorm(c)
        self.stage = nn.Sequential(SwinTransformerBlock(c, 2, [8, 8], [0, 0]),
                                   SwinTransformerBlock(c, 2, [8, 8], [4, 4]))
        self.head = nn.Conv2d(c, 5, 1)
        _visible_relative_bias(self)

    def forward(self, x):
        y = self.stage(self.norm(self.embed(x).permute(0, 2, 3, 1)))
        return self.head(y.permute(0, 3, 1, 2))


class ViTPool(ViT):
    """ViT classifier without a class token: the tokens' mean (a pooled head)
    feeds a linear layer, so the grid meets a reduction over the tokens."""

    def __init__(self):
        super().__init__()
        self.classify = nn.Linear(16, 5)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        for layer in self.layers:
            t = layer(t)
        return self.classify(t.mean(dim=1))


class Norms(nn.Module):
    """GroupNorm (torch's Reshape/InstanceNorm/Reshape export), InstanceNorm2d,
    LayerNorm over channels (NHWC rows) and LayerNorm over the spatial dims."""

    def __init__(self, h=21, w=13):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.group = nn.GroupNorm(4, 8)
        self.conv2 = nn.Conv2d(8, 6, 3, padding=1)
        self.instance = nn.InstanceNorm2d(6, affine=True)
        self.channels = nn.LayerNorm(6)
        self.spatial = nn.LayerNorm([h, w])
        with torch.no_grad():
            for norm in (self.group, self.instance, self.channels, self.spatial):
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        # An offset large next to the spread: statistics must be merged stably.
        y = F.relu(self.group(self.conv1(x) + 20.0))
        y = self.instance(self.conv2(y))
        y = self.channels(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.spatial(y)


class Masks(nn.Module):
    """Computed conditions between convs: comparisons (Greater, LessOrEqual,
    Less, Equal), And/Or/Xor/Not, Where and Casts of the masks, so masks are
    split like the field and feed a conv that needs a halo."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, x):
        y = self.conv1(x)
        band = (y > -0.2) & (y <= 0.3)
        y = torch.where(band, 2.0 * y, -y)
        flat = (F.relu(y) == 0) ^ (y < -0.5)
        y = torch.where(flat | ~band, y + 0.25, y)
        y = y * (y >= 0.1).float() + x.mean() * band.float()
        return self.conv2(y)


class AtrousPyramid(nn.Module):
    """DeepLabV3's atrous spatial pyramid, small: a 3x3 conv, then a 1x1 conv
    and 3x3 convs of dilations 2, 4 and 6 all reading its output (one shared
    halo exchange at the widest range), concatenated on channels, then a 1x1
    conv."""

    def __init__(self, cin=3, c=6, branch=4, classes=5):
        super().__init__()
        self.stem = nn.Conv2d(cin, c, 3, padding=1)
        self.branches = nn.ModuleList(
            [nn.Conv2d(c, branch, 1)]
            + [nn.Conv2d(c, branch, 3, padding=d, dilation=d) for d in (2, 4, 6)])
        self.head = nn.Conv2d(4 * branch, classes, 1)

    def forward(self, x):
        y = F.relu(self.stem(x))
        return self.head(torch.cat([F.relu(b(y)) for b in self.branches], 1))


def gen_torch(name, module_cls, in_shape, seed, out_dir, opset=OPSET, keep_pads=False):
    seed_all(seed)
    module = module_cls()
    randomize_bn(module, torch.Generator().manual_seed(seed + 1))
    module.eval()
    x = make_input(in_shape, seed + 2)
    path = os.path.join(out_dir, f"{name}.onnx")
    model, ref = export_torch(module, x, path, opset)
    model, ops = finalize(model, path, keep_pads)
    return model, ops, x, ref


def gen_torch_static_output(name, module_cls, in_shape, seed, out_dir):
    """gen_torch for exports whose output dims torch leaves unknown (shapes
    computed in the graph: Swin's masks and rolls); the file records the
    reference's dims. Pads stay (they are computed too)."""
    model, ops, x, ref = gen_torch(name, module_cls, in_shape, seed, out_dir, opset=17,
                                   keep_pads=True)
    for dim, size in zip(model.graph.output[0].type.tensor_type.shape.dim, ref.shape):
        dim.Clear()
        dim.dim_value = size
    onnx.save(model, os.path.join(out_dir, f"{name}.onnx"))
    return model, ops, x, ref


def _swin_t():
    from torchvision.models import swin_t
    return swin_t(weights=None)


def _vit_ti16_384():
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=384, patch_size=16, num_layers=12, num_heads=3,
                             hidden_dim=192, mlp_dim=768)


# --- asym_pads (onnx.helper) ----------------------------------------------

def _onnx_pads_to_fpad(pads):
    """ONNX 2-D pads [hb, wb, he, we] -> F.pad tuple (wl, wr, ht, hb)."""
    hb, wb, he, we = pads
    return (wb, we, hb, he)


def _torch_avgpool_asym(x, k, s, pads, count_include_pad):
    fp = _onnx_pads_to_fpad(pads)
    xs = F.pad(x, fp)
    if count_include_pad:
        return F.avg_pool2d(xs, k, s)
    area = k[0] * k[1]
    num = F.avg_pool2d(xs, k, s) * area
    cnt = F.avg_pool2d(F.pad(torch.ones_like(x), fp), k, s) * area
    return num / cnt


def gen_asym_pads(out_dir, seed=500):
    name = "asym_pads"
    seed_all(seed)
    rs = np.random.RandomState(seed)
    in_shape = [1, 3, 41, 35]
    w1 = (rs.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rs.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rs.standard_normal((4, 8, 3, 3)) * 0.2).astype(np.float32)
    b2 = (rs.standard_normal(4) * 0.1).astype(np.float32)
    c1 = dict(pads=[0, 2, 1, 0], strides=[2, 2], dilations=[2, 2])
    ap1 = dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 0, 0, 2], count_include_pad=0)
    c2 = dict(pads=[2, 0, 0, 1], strides=[1, 1], dilations=[1, 1])
    ap2 = dict(kernel_shape=[2, 3], strides=[2, 1], pads=[0, 1, 1, 1], count_include_pad=1)
    mp = dict(kernel_shape=[3, 2], strides=[1, 1], pads=[0, 1, 2, 0])
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], **c1),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("AveragePool", ["r1"], ["a1"], name="avgpool_excl", **ap1),
        helper.make_node("Conv", ["a1", "w2", "b2"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], **c2),
        helper.make_node("AveragePool", ["c2"], ["a2"], name="avgpool_incl", **ap2),
        helper.make_node("MaxPool", ["a2"], ["output"], name="maxpool", **mp),
    ]
    # Shapes: conv1 19x17, avgpool_excl 18x17, conv2 18x16, avgpool_incl 9x16, maxpool 9x16.
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4, 9, 16])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
                     numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")])
    model, ops = save_graph(graph, out_dir)

    x = make_input(in_shape, seed + 2)
    with torch.no_grad():
        t = torch.from_numpy(x)
        t = F.conv2d(F.pad(t, _onnx_pads_to_fpad(c1["pads"])), torch.from_numpy(w1),
                     torch.from_numpy(b1), stride=c1["strides"], dilation=c1["dilations"])
        t = F.relu(t)
        t = _torch_avgpool_asym(t, ap1["kernel_shape"], ap1["strides"], ap1["pads"], 0)
        t = F.conv2d(F.pad(t, _onnx_pads_to_fpad(c2["pads"])), torch.from_numpy(w2),
                     torch.from_numpy(b2))
        t = _torch_avgpool_asym(t, ap2["kernel_shape"], ap2["strides"], ap2["pads"], 1)
        t = F.max_pool2d(F.pad(t, _onnx_pads_to_fpad(mp["pads"]), value=float("-inf")),
                         mp["kernel_shape"], mp["strides"])
        ref = t.numpy().astype(np.float32)
    return model, ops, x, ref


# --- two_fields (onnx.helper): two inputs split alike, two outputs ----------

def gen_two_fields(out_dir, seed=800):
    name = "two_fields"
    rs = np.random.RandomState(seed)
    field_shape, forcing_shape = [1, 2, 22, 17], [1, 1, 22, 17]
    wf = (rs.standard_normal((4, 2, 3, 3)) * 0.3).astype(np.float32)
    wg = (rs.standard_normal((4, 1, 5, 1)) * 0.3).astype(np.float32)
    bg = (rs.standard_normal(4) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["field", "wf"], ["cf"], name="field_conv", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["forcing", "wg", "bg"], ["cg"], name="forcing_conv",
                         pads=[2, 0, 2, 0]),
        helper.make_node("Add", ["cf", "cg"], ["s"], name="combine"),
        helper.make_node("Tanh", ["s"], ["state"], name="state"),
        helper.make_node("GlobalAveragePool", ["state"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["energy"], name="energy", axis=1),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("field", TensorProto.FLOAT, field_shape),
         helper.make_tensor_value_info("forcing", TensorProto.FLOAT, forcing_shape)],
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, 4, 22, 17]),
         helper.make_tensor_value_info("energy", TensorProto.FLOAT, [1, 4])],
        initializer=[numpy_helper.from_array(wf, "wf"), numpy_helper.from_array(wg, "wg"),
                     numpy_helper.from_array(bg, "bg")])
    model, ops = save_graph(graph, out_dir)
    xs = [make_input(field_shape, seed + 1), make_input(forcing_shape, seed + 2)]
    with torch.no_grad():
        f, g = (torch.from_numpy(x) for x in xs)
        state = torch.tanh(F.conv2d(f, torch.from_numpy(wf), padding=1) +
                           F.conv2d(g, torch.from_numpy(wg), torch.from_numpy(bg), padding=(2, 0)))
        ref = state.numpy().astype(np.float32)
    return model, ops, xs, ref


# --- pointwise (onnx.helper): the elementwise math ops after a conv --------

def gen_pointwise(out_dir, seed=900):
    name = "pointwise"
    rs = np.random.RandomState(seed)
    in_shape = [1, 2, 19, 13]
    w = (rs.standard_normal((3, 2, 3, 3)) * 0.4).astype(np.float32)
    consts = {"half": 0.5, "two": 2.0, "lo": 0.05, "hi": 0.9}
    inits = [numpy_helper.from_array(w, "w")] + [
        numpy_helper.from_array(np.array(v, np.float32), k) for k, v in consts.items()]
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Abs", ["c"], ["a"], name="abs"),
        helper.make_node("Add", ["a", "half"], ["a1"], name="shift"),
        helper.make_node("Sqrt", ["a1"], ["s"], name="sqrt"),
        helper.make_node("Log", ["s"], ["l"], name="log"),
        helper.make_node("Neg", ["l"], ["n"], name="neg"),
        helper.make_node("Exp", ["n"], ["e"], name="exp"),
        helper.make_node("Pow", ["e", "two"], ["p"], name="pow"),
        helper.make_node("Clip", ["p", "lo", "hi"], ["k"], name="clip"),
        helper.make_node("Min", ["k", "c"], ["m"], name="min"),
        helper.make_node("Max", ["m", "a"], ["output"], name="max"),
    ]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 3, 19, 13], inits,
                                out_dir, seed)
    with torch.no_grad():
        c = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
        a = c.abs()
        k = torch.exp(-torch.log(torch.sqrt(a + 0.5))).pow(2.0).clamp(0.05, 0.9)
        ref = torch.maximum(torch.minimum(k, c), a).numpy().astype(np.float32)
    return model, ops, x, ref


# --- activations2d (torch, opset 17): the activations exporters emit -------

class Activations2d(nn.Module):
    """A conv, then each activation of the conv's output side by side along
    the channels: HardSwish, HardSigmoid, ELU, SELU, CELU, Softplus, Softsign,
    Mish (Softplus, Tanh, Mul), per-channel PReLU, Reciprocal, LogSoftmax over
    the channels and over H (the split dim), Dropout in eval mode; a second
    conv of the first branch needs a halo after them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.prelu = nn.PReLU(4)
        with torch.no_grad():
            self.prelu.weight.copy_(torch.tensor([0.1, -0.2, 0.3, 0.7]))
        self.drop = nn.Dropout(0.5)
        self.mix = nn.Conv2d(4, 2, 3, padding=1)

    def forward(self, x):
        c = self.conv(x) * 2.0
        branches = [F.hardswish(c), F.hardsigmoid(c), F.elu(c, 0.7), F.selu(c),
                    F.celu(c, 1.3), F.softplus(c), F.softsign(c), F.mish(c), self.prelu(c),
                    torch.reciprocal(c.abs() + 0.5), F.log_softmax(c, dim=1),
                    F.log_softmax(c, dim=2), self.drop(c)]
        return torch.cat(branches + [self.mix(branches[0])], dim=1)


# --- rounding2d (onnx.helper): rounding, sign, thresholds, reductions -------

def gen_rounding2d(out_dir, seed=2800):
    """Sign, Floor, Ceil, Round (ties to even), ThresholdedRelu, Reciprocal,
    Identity, Dropout with a constant false training_mode, LogSoftmax over H,
    and ReduceL1/L2/LogSumExp/Prod/Min over H and over H and W (split dims:
    statistics all-reduced), broadcast back onto the field and concatenated
    along the channels."""
    name = "rounding2d"
    rs = np.random.RandomState(seed)
    in_shape = [1, 2, 19, 14]
    w = (rs.standard_normal((2, 2, 3, 3)) * 0.5).astype(np.float32)
    consts = {"eight": 8.0, "half": 0.5, "quarter": 0.25, "one": 1.0}
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array(False), "train_off")] + [
        numpy_helper.from_array(np.array(v, np.float32), k) for k, v in consts.items()]
    n = helper.make_node
    nodes = [
        n("Mul", ["input", "eight"], ["x8"], name="times8"),
        n("Floor", ["x8"], ["f8"], name="floor"),
        n("Mul", ["f8", "half"], ["halves"], name="halves"),   # multiples of 1/2: ties
        n("Round", ["halves"], ["round"], name="round"),
        n("Ceil", ["x8"], ["ceil"], name="ceil"),
        n("Sign", ["f8"], ["sign"], name="sign"),              # exact zeros too
        n("ThresholdedRelu", ["input"], ["thr"], name="thresholded_relu", alpha=0.3),
        n("Abs", ["input"], ["absx"], name="abs"),
        n("Add", ["absx", "half"], ["absx1"], name="shift"),
        n("Reciprocal", ["absx1"], ["recip"], name="reciprocal"),
        n("Identity", ["input"], ["ident"], name="identity"),
        n("Dropout", ["ident", "half", "train_off"], ["dropped"], name="dropout"),
        n("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        n("LogSoftmax", ["c"], ["lsm"], name="log_softmax_h", axis=2),
        n("ReduceL1", ["c"], ["l1"], name="reduce_l1_h", axes=[2]),
        n("Add", ["c", "l1"], ["l1b"], name="add_l1"),
        n("ReduceL2", ["c"], ["l2"], name="reduce_l2_hw", axes=[2, 3]),
        n("Mul", ["c", "l2"], ["l2b"], name="mul_l2"),
        n("ReduceLogSumExp", ["c"], ["lse"], name="reduce_lse_hw", axes=[2, 3]),
        n("Sub", ["c", "lse"], ["lseb"], name="sub_lse"),
        n("Mul", ["c", "quarter"], ["cq"], name="scale_c"),
        n("Add", ["cq", "one"], ["cq1"], name="near_one"),
        n("ReduceProd", ["cq1"], ["prod"], name="reduce_prod_h", axes=[2]),
        n("Mul", ["c", "prod"], ["prodb"], name="mul_prod"),
        n("ReduceMin", ["c"], ["mn"], name="reduce_min_h", axes=[2]),
        n("Sub", ["c", "mn"], ["mnb"], name="sub_min"),
        n("Concat", ["round", "ceil", "sign", "thr", "recip", "dropped", "lsm", "l1b", "l2b",
                     "lseb", "prodb", "mnb"], ["output"], name="concat", axis=1),
    ]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 24, 19, 14], inits, out_dir, seed)
    c = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy().astype(np.float64)
    xd = x.astype(np.float64)
    f8 = np.floor(xd * 8)
    parts = [np.round(f8 * 0.5), np.ceil(xd * 8), np.sign(f8), np.where(xd > 0.3, xd, 0.0),
             1.0 / (np.abs(xd) + 0.5), xd,
             c - c.max(2, keepdims=True)
             - np.log(np.exp(c - c.max(2, keepdims=True)).sum(2, keepdims=True)),
             c + np.abs(c).sum(2, keepdims=True),
             c * np.sqrt((c * c).sum((2, 3), keepdims=True)),
             c - np.log(np.exp(c).sum((2, 3), keepdims=True)),
             c * (c * 0.25 + 1).prod(2, keepdims=True),
             c - c.min(2, keepdims=True)]
    ref = np.concatenate(parts, axis=1).astype(np.float32)
    return model, ops, x, ref


# --- elementwise2d (onnx.helper): trigonometry, predicates, Mod, Hardmax ----

def gen_elementwise2d(out_dir, seed=2900):
    """Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh (each
    fed its domain), IsNaN of a Sqrt and IsInf (both attribute forms) of a
    Reciprocal, cast to float; Shrink; Mod with fmod=1 on floats and with
    fmod 0 and 1 on int64 (the divisor's or the dividend's sign; per-channel
    divisors of both signs); Pow with int32 outputs (an int32 and a float
    exponent); Max and Min of three inputs and Min of one; Hardmax over the
    channels, over H (the default split dim: a statistic) and over W;
    concatenated along the channels."""
    name = "elementwise2d"
    in_shape = [1, 2, 19, 14]
    consts = {"three": 3.0, "eight": 8.0, "four": 4.0, "tenth3": 0.3, "nine10": 0.9,
              "one": 1.0, "two": 2.0, "threehalves": 1.5}
    per_channel = {"fdiv": np.array([1.3, -0.7], np.float32).reshape(1, 2, 1, 1),
                   "cmax": np.array([0.5, -0.25], np.float32).reshape(1, 2, 1, 1)}
    inits = ([numpy_helper.from_array(np.array(v, np.float32), k) for k, v in consts.items()] +
             [numpy_helper.from_array(v, k) for k, v in per_channel.items()] +
             [numpy_helper.from_array(np.array([3, -5], np.int64).reshape(1, 2, 1, 1), "idiv"),
              numpy_helper.from_array(np.array(2, np.int32), "two_i32")])
    n = helper.make_node
    nodes = [
        n("Sin", ["input"], ["sin"]),
        n("Cos", ["input"], ["cos"]),
        n("Mul", ["input", "tenth3"], ["small"]),
        n("Tan", ["small"], ["tan"]),
        n("Tanh", ["input"], ["th"]),
        n("Mul", ["th", "nine10"], ["unit"]),                  # in (-0.9, 0.9)
        n("Asin", ["unit"], ["asin"]),
        n("Acos", ["unit"], ["acos"]),
        n("Mul", ["input", "two"], ["x2"]),
        n("Atan", ["x2"], ["atan"]),
        n("Sinh", ["input"], ["sinh"]),
        n("Cosh", ["input"], ["cosh"]),
        n("Mul", ["input", "three"], ["x3"]),
        n("Asinh", ["x3"], ["asinh"]),
        n("Abs", ["input"], ["absx"]),
        n("Add", ["absx", "one"], ["above1"]),
        n("Acosh", ["above1"], ["acosh"]),
        n("Atanh", ["unit"], ["atanh"]),
        n("Sqrt", ["input"], ["root"]),                        # NaN below zero
        n("IsNaN", ["root"], ["nanb"]),
        n("Cast", ["nanb"], ["nan"], to=TensorProto.FLOAT),
        n("Mul", ["input", "four"], ["x4"]),
        n("Floor", ["x4"], ["f4"]),
        n("Reciprocal", ["f4"], ["inv"]),                      # +inf where 0 <= x < 1/4
        n("Neg", ["inv"], ["ninv"]),
        n("IsInf", ["ninv"], ["infab"]),
        n("Cast", ["infab"], ["infa"], to=TensorProto.FLOAT),
        n("IsInf", ["inv"], ["infbb"], detect_negative=0),
        n("Cast", ["infbb"], ["infb"], to=TensorProto.FLOAT),
        n("Shrink", ["input"], ["shrink"], lambd=0.6, bias=0.25),
        n("Mod", ["x3", "fdiv"], ["fmodf"], fmod=1),
        n("Mul", ["input", "eight"], ["x8"]),
        n("Floor", ["x8"], ["f8"]),
        n("Cast", ["f8"], ["i8"], to=TensorProto.INT64),
        n("Mod", ["i8", "idiv"], ["imodi"]),
        n("Cast", ["imodi"], ["imod"], to=TensorProto.FLOAT),
        n("Mod", ["i8", "idiv"], ["ifmodi"], fmod=1),
        n("Cast", ["ifmodi"], ["ifmod"], to=TensorProto.FLOAT),
        n("Cast", ["f4"], ["i4"], to=TensorProto.INT32),
        n("Pow", ["i4", "two_i32"], ["sqi"]),
        n("Cast", ["sqi"], ["sq"], to=TensorProto.FLOAT),
        n("Abs", ["i4"], ["absi4"]),
        n("Pow", ["absi4", "threehalves"], ["powfi"]),       # truncated toward zero
        n("Cast", ["powfi"], ["powf"], to=TensorProto.FLOAT),
        n("Max", ["input", "sin", "cmax"], ["max3"]),
        n("Min", ["input", "cos", "cmax"], ["min3"]),
        n("Min", ["sin"], ["min1"]),
        n("Hardmax", ["input"], ["hmc"], axis=1),
        n("Hardmax", ["input"], ["hmh"], axis=2),
        n("Hardmax", ["input"], ["hmw"]),
        n("Concat", ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                     "acosh", "atanh", "nan", "infa", "infb", "shrink", "fmodf", "imod", "ifmod",
                     "sq", "powf", "max3", "min3", "min1", "hmc", "hmh", "hmw"], ["output"],
          axis=1),
    ]
    for i, node in enumerate(nodes):
        node.name = f"{node.op_type.lower()}_{i}"
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 52, 19, 14], inits, out_dir, seed)
    xd = x.astype(np.float64)
    unit = np.tanh(xd) * 0.9
    f4 = np.floor(xd * 4)
    i8 = np.floor(xd * 8).astype(np.int64)
    idiv = np.array([3, -5]).reshape(1, 2, 1, 1)
    fdiv = per_channel["fdiv"].astype(np.float64)
    cmax = per_channel["cmax"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / f4

    def hardmax(a, axis):
        return (np.arange(a.shape[axis]).reshape([-1 if d == axis else 1 for d in range(a.ndim)])
                == np.argmax(a, axis=axis)[(slice(None),) * axis + (None,)]).astype(np.float64)

    parts = [np.sin(xd), np.cos(xd), np.tan(xd * 0.3), np.arcsin(unit), np.arccos(unit),
             np.arctan(xd * 2), np.sinh(xd), np.cosh(xd), np.arcsinh(xd * 3),
             np.arccosh(np.abs(xd) + 1), np.arctanh(unit), (xd < 0).astype(np.float64),
             np.isinf(-inv).astype(np.float64), (inv == np.inf).astype(np.float64),
             np.where(xd < -0.6, xd + 0.25, np.where(xd > 0.6, xd - 0.25, 0.0)),
             np.fmod(xd * 3, fdiv), np.mod(i8, idiv), np.fmod(i8, idiv), f4 * f4,
             np.trunc(np.abs(f4) ** 1.5),
             np.maximum(np.maximum(xd, np.sin(xd)), cmax),
             np.minimum(np.minimum(xd, np.cos(xd)), cmax), np.sin(xd),
             hardmax(xd, 1), hardmax(xd, 2), hardmax(xd, 3)]
    ref = np.concatenate([np.broadcast_to(p, xd.shape) for p in parts], axis=1).astype(np.float32)
    return model, ops, x, ref


# --- softmax (onnx.helper): over channels (parallel) and over width --------

def gen_softmax(out_dir, seed=1000):
    name = "softmax"
    rs = np.random.RandomState(seed)
    in_shape = [1, 2, 17, 11]
    w = (rs.standard_normal((5, 2, 3, 3)) * 0.8).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Softmax", ["c"], ["s"], name="softmax_channels", axis=1),
        helper.make_node("Softmax", ["s"], ["output"], name="softmax_width", axis=-1),
    ]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 5, 17, 11],
                                [numpy_helper.from_array(w, "w")], out_dir, seed)
    with torch.no_grad():
        c = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
        ref = torch.softmax(torch.softmax(c, 1), -1).numpy().astype(np.float32)
    return model, ops, x, ref


# --- channels_last (onnx.helper): Transpose to NHWC and back --------------

def gen_channels_last(out_dir, seed=1100):
    name = "channels_last"
    rs = np.random.RandomState(seed)
    in_shape = [1, 3, 15, 12]
    w = (rs.standard_normal((6, 3, 3, 3)) * 0.5).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Transpose", ["c"], ["t"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Softmax", ["t"], ["s"], name="softmax_channels", axis=-1),
        helper.make_node("Transpose", ["s"], ["output"], name="to_nwch", perm=[0, 2, 1, 3]),
    ]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 12, 15, 6],
                                [numpy_helper.from_array(w, "w")], out_dir, seed)
    with torch.no_grad():
        c = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
        s = torch.softmax(c.permute(0, 2, 3, 1), -1)
        ref = s.permute(0, 2, 1, 3).contiguous().numpy().astype(np.float32)
    return model, ops, x, ref


# --- padded (onnx.helper): Pad with a non-zero constant on split dims -----

def gen_padded(out_dir, seed=1200):
    name = "padded"
    rs = np.random.RandomState(seed)
    in_shape = [1, 2, 13, 10]
    w = (rs.standard_normal((3, 2, 3, 3)) * 0.5).astype(np.float32)
    pads = [0, 0, 3, 1, 0, 0, 2, 4]
    nodes = [
        helper.make_node("Pad", ["input", "pads", "value"], ["p"], name="pad", mode="constant"),
        helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
        helper.make_node("Pad", ["c", "pads2"], ["output"], name="pad_zero"),
    ]
    inits = [numpy_helper.from_array(np.array(pads, np.int64), "pads"),
             numpy_helper.from_array(np.array(0.75, np.float32), "value"),
             numpy_helper.from_array(np.array([0, 1, 1, 0, 0, 0, 0, 2], np.int64), "pads2"),
             numpy_helper.from_array(w, "w")]
    out_shape = [1, 4, 17, 15]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        initializer=inits)
    model, ops = save_graph(graph, out_dir, keep_pads=True)
    x = make_input(in_shape, seed + 1)
    with torch.no_grad():
        t = F.pad(torch.from_numpy(x), (1, 4, 3, 2), value=0.75)
        t = F.conv2d(t, torch.from_numpy(w))
        ref = F.pad(t, (0, 2, 1, 0, 1, 0)).numpy().astype(np.float32)
    return model, ops, x, ref


# --- pad_modes (onnx.helper): reflect and edge Pad around a conv ----------

def gen_pad_modes(out_dir, seed=1800):
    name = "pad_modes"
    rs = np.random.RandomState(seed)
    in_shape = [1, 2, 11, 9]
    w = (rs.standard_normal((3, 2, 3, 3)) * 0.5).astype(np.float32)
    nodes = [
        helper.make_node("Pad", ["input", "pads1"], ["p"], name="pad_reflect", mode="reflect"),
        helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
        helper.make_node("Pad", ["c", "pads2"], ["output"], name="pad_edge", mode="edge"),
    ]
    inits = [numpy_helper.from_array(np.array([0, 0, 2, 1, 0, 0, 0, 1], np.int64), "pads1"),
             numpy_helper.from_array(np.array([0, 0, 1, 3, 0, 0, 2, 0], np.int64), "pads2"),
             numpy_helper.from_array(w, "w")]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 3, 14, 12], inits,
                                out_dir, seed, keep_pads=True)
    with torch.no_grad():
        t = F.pad(torch.from_numpy(x), (1, 1, 2, 0), mode="reflect")
        t = F.conv2d(t, torch.from_numpy(w))
        ref = F.pad(t, (3, 0, 1, 2), mode="replicate").numpy().astype(np.float32)
    return model, ops, x, ref


# --- indexing (onnx.helper): Gather, Expand, Where, Cast --------------------

def gen_indexing(out_dir, seed=2400):
    name = "indexing"
    rs = np.random.RandomState(seed)
    in_shape = [1, 4, 10, 9]
    mask = (np.add.outer(np.arange(10), np.arange(9)) % 3 == 0)[None, None]
    bias = rs.standard_normal((1, 3, 1, 1)).astype(np.float32)
    nodes = [
        # Channels 3, 0, 2 (not a progression: concatenated unit slices).
        helper.make_node("Gather", ["input", "channels"], ["g"], name="pick_channels", axis=1),
        helper.make_node("Expand", ["bias", "shape"], ["eb"], name="expand_bias"),
        helper.make_node("Add", ["g", "eb"], ["a"], name="add_bias"),
        helper.make_node("Neg", ["a"], ["n"], name="neg"),
        helper.make_node("Where", ["mask", "a", "n"], ["w"], name="where"),
        helper.make_node("Cast", ["w"], ["c"], name="cast", to=TensorProto.FLOAT),
        # Every second row of the split dim: a strided slice (halo of exactly those rows).
        helper.make_node("Gather", ["c", "rows"], ["output"], name="pick_rows", axis=2),
    ]
    inits = [numpy_helper.from_array(np.array([3, 0, 2], np.int64), "channels"),
             numpy_helper.from_array(bias, "bias"),
             numpy_helper.from_array(np.array([1, 3, 10, 1], np.int64), "shape"),
             numpy_helper.from_array(mask, "mask"),
             numpy_helper.from_array(np.array([1, 3, 5, 7, 9], np.int64), "rows")]
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 3, 5, 9], inits,
                                out_dir, seed)
    a = x[:, [3, 0, 2]] + bias
    ref = np.where(mask, a, -a)[:, :, 1::2].astype(np.float32)
    return model, ops, x, ref


# --- contraction (onnx.helper): MatMul over the split dim into a split Add ---

def gen_contraction(out_dir, seed=2500):
    """A MatMul contracting the split (last) dim feeds an Add with the split
    input: the partial sums are reduce-scattered, not all-reduced."""
    name = "contraction"
    rs = np.random.RandomState(seed)
    in_shape = [1, 6, 23]
    w = (rs.standard_normal((23, 23)) * 0.3).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["input", "w"], ["m"], name="mix"),
        helper.make_node("Add", ["m", "input"], ["a"], name="residual"),
        helper.make_node("Tanh", ["a"], ["output"], name="tanh"),
    ]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, in_shape)],
        initializer=[numpy_helper.from_array(w, "w")])
    model, ops = save_graph(graph, out_dir)
    x = make_input(in_shape, seed + 1)
    ref = np.tanh(x @ w + x).astype(np.float32)
    return model, ops, x, ref


# --- periodic (onnx.helper): circular padding as exact Slice+Concat wraps --

def _wrap(x, name, axis, n, lo, hi, nodes, inits):
    """Concat(Slice(x, [n-lo, n)), x, Slice(x, [0, hi))) along `axis`: an exact wrap."""
    parts = []
    for tag, (start, end) in (("top", (n - lo, n)), ("bottom", (0, hi))):
        if end - start <= 0:
            continue
        for k, v in (("s", start), ("e", end), ("a", axis)):
            inits.append(numpy_helper.from_array(np.array([v], np.int64), f"{name}_{tag}_{k}"))
        nodes.append(helper.make_node("Slice", [x, f"{name}_{tag}_s", f"{name}_{tag}_e",
                                                f"{name}_{tag}_a"], [f"{name}_{tag}"],
                                      name=f"{name}_{tag}"))
        parts.append(f"{name}_{tag}")
    ordered = ([parts[0]] if lo else []) + [x] + ([parts[-1]] if hi else [])
    nodes.append(helper.make_node("Concat", ordered, [name], name=name, axis=axis))
    return name


def gen_periodic(out_dir, seed=1700):
    """A periodic PDE stencil: wrap H and W (circular padding written as exact
    Slice+Concat wraps), 3x3 conv, tanh, a wider 5x5 wrap-and-conv, plus a
    Slice that is not a wrap (plain semantics) and a Split."""
    name = "periodic"
    rs = np.random.RandomState(seed)
    h, w = 19, 14
    in_shape = [1, 2, h, w]
    w1 = (rs.standard_normal((4, 2, 3, 3)) * 0.4).astype(np.float32)
    w2 = (rs.standard_normal((2, 4, 5, 5)) * 0.2).astype(np.float32)
    nodes, inits = [], [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")]
    a = _wrap("input", "wrap_h1", 2, h, 1, 1, nodes, inits)
    a = _wrap(a, "wrap_w1", 3, w, 1, 1, nodes, inits)
    nodes.append(helper.make_node("Conv", [a, "w1"], ["c1"], name="stencil1"))
    nodes.append(helper.make_node("Tanh", ["c1"], ["t1"], name="tanh"))
    b = _wrap("t1", "wrap_h2", 2, h, 2, 2, nodes, inits)
    b = _wrap(b, "wrap_w2", 3, w, 2, 2, nodes, inits)
    nodes.append(helper.make_node("Conv", [b, "w2"], ["c2"], name="stencil2"))
    # Not a wrap: rows 1..h-1 then the first row (a shifted copy, stride 1).
    for k, v in (("s", 1), ("e", h), ("a", 2)):
        inits.append(numpy_helper.from_array(np.array([v], np.int64), f"shift_{k}"))
    nodes.append(helper.make_node("Slice", ["c2", "shift_s", "shift_e", "shift_a"], ["shifted"],
                                  name="not_a_wrap"))
    inits.append(numpy_helper.from_array(np.array([1, h - 1], np.int64), "split_sizes"))
    nodes.append(helper.make_node("Split", ["c2", "split_sizes"], ["first_row", "rest"],
                                  name="split_rows", axis=2))
    nodes.append(helper.make_node("Concat", ["shifted", "first_row"], ["rolled"], name="roll",
                                  axis=2))
    nodes.append(helper.make_node("Add", ["rolled", "c2"], ["output"], name="residual"))
    model, ops, x = save_one_io(nodes, name, in_shape, [1, 2, h, w], inits,
                                out_dir, seed)
    with torch.no_grad():
        t = torch.from_numpy(x)
        t = torch.tanh(F.conv2d(F.pad(t, (1, 1, 1, 1), mode="circular"), torch.from_numpy(w1)))
        c2 = F.conv2d(F.pad(t, (2, 2, 2, 2), mode="circular"), torch.from_numpy(w2))
        ref = (torch.roll(c2, -1, 2) + c2).numpy().astype(np.float32)
    return model, ops, x, ref


# --- fno2d (onnx.helper, opset 17): a 2-D Fourier neural operator ----------

FNO_OPSET = 17


def _fno_spectral_nodes(v, tag, c, h, w, m1, m2, nodes, inits, rs):
    """One spectral convolution of an FNO layer on v [1, c, h, w]: real DFT
    along W (onesided), DFT along H, keep the low and high H modes and the low
    W modes, mix channels per mode with complex weights, zero-fill, inverse
    DFTs along H then W, real part. Returns (output name, numpy weights)."""
    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), f"{tag}_{name}"))
        return f"{tag}_{name}"

    def node(op, inputs, name, **attrs):
        out = f"{tag}_{name}"
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def slice_(x, name, starts, ends, axes):
        return node("Slice", [x, const(f"{name}_s", np.array(starts, np.int64)),
                              const(f"{name}_e", np.array(ends, np.int64)),
                              const(f"{name}_a", np.array(axes, np.int64))], name)

    scale = 1.0 / (c * c)
    wr = (scale * rs.standard_normal((c, c, 2 * m1, m2))).astype(np.float32)
    wi = (scale * rs.standard_normal((c, c, 2 * m1, m2))).astype(np.float32)
    u = node("Unsqueeze", [v, const("ax4", np.array([4], np.int64))], "unsqueeze")
    a = node("DFT", [u], "rfft_w", axis=3, onesided=1)
    b = node("DFT", [a], "fft_h", axis=2)
    lo = slice_(b, "modes_lo", [0, 0], [m1, m2], [2, 3])
    hi = slice_(b, "modes_hi", [h - m1, 0], [h, m2], [2, 3])
    modes = node("Concat", [lo, hi], "modes", axis=2)
    x6 = node("Unsqueeze", [modes, const("ax2", np.array([2], np.int64))], "modes6")
    # (xr, xi) * (wr, wr) + swap((xr, xi) * (wi, -wi)) = x * w, complex.
    wa = np.stack([wr, wr], -1)[None]
    wb = np.stack([wi, -wi], -1)[None]
    pa = node("Mul", [x6, const("wa", wa)], "mix_a")
    pb = node("Mul", [x6, const("wb", wb)], "mix_b")
    pb_re = slice_(pb, "mix_b_re", [0], [1], [5])
    pb_im = slice_(pb, "mix_b_im", [1], [2], [5])
    swapped = node("Concat", [pb_im, pb_re], "mix_b_swapped", axis=5)
    prod = node("Add", [pa, swapped], "mix_product")
    mixed = node("ReduceSum", [prod, const("ax1", np.array([1], np.int64))], "mix", keepdims=0)
    mlo = slice_(mixed, "out_lo", [0], [m1], [2])
    mhi = slice_(mixed, "out_hi", [m1], [2 * m1], [2])
    zeros = const("zeros", np.zeros((1, c, h - 2 * m1, m2, 2), np.float32))
    filled = node("Concat", [mlo, zeros, mhi], "fill_h", axis=2)
    full = node("Pad", [filled, const("pads_w", np.array([0, 0, 0, 0, 0, 0, 0, 0, w - m2, 0],
                                                          np.int64))], "fill_w")
    i = node("DFT", [full], "ifft_h", axis=2, inverse=1)
    j = node("DFT", [i], "ifft_w", axis=3, inverse=1)
    re = slice_(j, "real", [0], [1], [4])
    out = node("Squeeze", [re, const("ax4b", np.array([4], np.int64))], "spectral")
    return out, (wr, wi)


def _fno_spectral_ref(v, wr, wi, m1, m2):
    """numpy (float64) of _fno_spectral_nodes."""
    n, c, h, w = v.shape
    b = np.fft.fft(np.fft.rfft(v, axis=3), axis=2)
    modes = np.concatenate([b[:, :, :m1, :m2], b[:, :, h - m1:, :m2]], axis=2)
    mixed = np.einsum("bixy,ioxy->boxy", modes, wr.astype(np.float64) + 1j * wi)
    full = np.zeros((n, c, h, w), np.complex128)
    full[:, :, :m1, :m2] = mixed[:, :, :m1]
    full[:, :, h - m1:, :m2] = mixed[:, :, m1:]
    return np.fft.ifft(np.fft.ifft(full, axis=2), axis=3).real


def gen_fno2d(out_dir, seed=2000, name="fno2d", c=8, h=24, w=20, m1=4, m2=5):
    """Lift (1x1 conv), two Fourier layers (spectral conv + 1x1 conv, ReLU
    after the first), projection (1x1 conv, ReLU, 1x1 conv). By default H = 24
    rows (the default split), m1 = 4 low and 4 high H modes and m2 = 5 of the
    11 W modes are kept."""
    rs = np.random.RandomState(seed)
    cin = 2
    in_shape = [1, cin, h, w]
    nodes, inits = [], []

    def conv(x, tag, cout, cin_):
        wt = (rs.standard_normal((cout, cin_, 1, 1)) / np.sqrt(cin_)).astype(np.float32)
        bt = (0.1 * rs.standard_normal(cout)).astype(np.float32)
        inits.extend([numpy_helper.from_array(wt, f"{tag}_w"),
                      numpy_helper.from_array(bt, f"{tag}_b")])
        nodes.append(helper.make_node("Conv", [x, f"{tag}_w", f"{tag}_b"], [tag], name=tag))
        return tag, (wt, bt)

    params = {}
    v, params["lift"] = conv("input", "lift", c, cin)
    for layer in range(2):
        tag = f"layer{layer}"
        s, params[f"{tag}_spectral"] = _fno_spectral_nodes(v, tag, c, h, w, m1, m2, nodes,
                                                           inits, rs)
        skip, params[f"{tag}_skip"] = conv(v, f"{tag}_skip", c, c)
        nodes.append(helper.make_node("Add", [s, skip], [f"{tag}_sum"], name=f"{tag}_sum"))
        v = f"{tag}_sum"
        if layer == 0:
            nodes.append(helper.make_node("Relu", [v], [f"{tag}_act"], name=f"{tag}_act"))
            v = f"{tag}_act"
    p, params["proj1"] = conv(v, "proj1", 16, c)
    nodes.append(helper.make_node("Relu", [p], ["proj1_act"], name="proj1_act"))
    _, params["proj2"] = conv("proj1_act", "output", 1, 16)
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, h, w])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", FNO_OPSET)],
                              producer_name="quilt-gen_models")
    model.ir_version = 8
    model, ops = finalize(model, os.path.join(out_dir, f"{name}.onnx"), keep_pads=True)
    x = make_input(in_shape, seed + 1)

    def conv_ref(t, wb):
        wt, bt = wb
        return np.einsum("oi,bihw->bohw", wt[:, :, 0, 0].astype(np.float64), t) + \
            bt[None, :, None, None]

    t = conv_ref(x.astype(np.float64), params["lift"])
    for layer in range(2):
        tag = f"layer{layer}"
        t = _fno_spectral_ref(t, *params[f"{tag}_spectral"], m1, m2) + \
            conv_ref(t, params[f"{tag}_skip"])
        if layer == 0:
            t = np.maximum(t, 0)
    t = conv_ref(np.maximum(conv_ref(t, params["proj1"]), 0), params["proj2"])
    return model, ops, x, t.astype(np.float32)


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------

# name -> (generator, shard values to test (null = compiler default), notes)
MODELS = {
    "cnn1d": dict(
        gen=lambda d: gen_torch("cnn1d", CNN1d, [1, 4, 77], 100, d),
        shard=[None, "input:2"],
        notes="Conv1d stride 2 / dilation 2 / groups / asymmetric pads [0,2]; "
              "BN (folded + standalone), Relu, LeakyRelu, MaxPool1d, residual Add. L=77."),
    "cnn2d_dense": dict(
        gen=lambda d: gen_torch("cnn2d_dense", CNN2dDense, [1, 3, 45, 37], 200, d),
        shard=[None, "input:2", "input:3"],
        notes="Conv2d 3x3/5x5/3x5 strides, dilation, depthwise + grouped, BN, Relu, "
              "Sigmoid, Tanh, exact GELU (Erf), MaxPool, AveragePool cip=0 and cip=1, "
              "residual Adds; dense [1,4,12,10] output. 45x37 input."),
    "cnn2d_head": dict(
        gen=lambda d: gen_torch("cnn2d_head", CNN2dHead, [1, 3, 45, 37], 300, d),
        shard=[None, "input:2", "input:3"],
        notes="same backbone as cnn2d_dense + GlobalAveragePool + Flatten + Gemm -> [1,10]."),
    "cnn3d": dict(
        gen=lambda d: gen_torch("cnn3d", CNN3d, [1, 2, 19, 17, 15], 400, d),
        shard=[None, "input:2", "input:3", "input:4"],
        notes="Conv3d stride 2 / dilation 2, BN (folded + standalone), Relu, MaxPool3d "
              "(3,s1,p1) and kernel=stride=(2,1,2) pool, AvgPool3d cip=0, residual Adds."),
    "flatten_gemm": dict(
        gen=lambda d: gen_torch("flatten_gemm", FlattenGemm, [1, 3, 20, 16], 600, d),
        shard=[None, "input:2", "input:3"],
        notes="conv -> Flatten of the spatial map -> Gemm: contraction over the split dim."),
    "pointwise": dict(
        gen=gen_pointwise,
        shard=[None, "input:3"],
        notes="onnx.helper: conv then Abs, Add, Sqrt, Log, Neg, Exp, Pow, Clip, Min, Max."),
    "activations2d": dict(
        gen=lambda d: gen_torch("activations2d", Activations2d, [1, 2, 19, 14], 2700, d,
                                opset=17),
        shard=[None, "input:3"],
        notes="opset 17: conv, then HardSwish, HardSigmoid, Elu, Selu, Celu, Softplus, "
              "Softsign, Mish (Softplus, Tanh, Mul), PRelu per channel, Reciprocal, LogSoftmax "
              "over channels and over H, Dropout (eval), concatenated; a conv of the first."),
    "rounding2d": dict(
        gen=gen_rounding2d,
        shard=[None, "input:3"],
        notes="onnx.helper: Round (ties), Floor, Ceil, Sign, ThresholdedRelu, Reciprocal, "
              "Identity, Dropout (training_mode false), LogSoftmax over H, ReduceL1/L2/"
              "LogSumExp/Prod/Min over split dims broadcast back, concatenated."),
    "elementwise2d": dict(
        gen=gen_elementwise2d,
        shard=[None, "input:3"],
        notes="onnx.helper: Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, "
              "IsNaN, IsInf (both signs, and +inf only), Shrink, Mod (fmod=1 on floats, fmod 0 "
              "and 1 on int64), Pow with int32 outputs, Max/Min of three inputs and Min of one, "
              "Hardmax over the channels, H (split) and W, concatenated."),
    "softmax": dict(
        gen=gen_softmax,
        shard=[None, "input:3"],
        notes="onnx.helper: conv, Softmax over channels, Softmax over the last (width) axis."),
    "channels_last": dict(
        gen=gen_channels_last,
        shard=[None, "input:3"],
        notes="onnx.helper: conv, Transpose to NHWC, Softmax over channels, Transpose "
              "swapping H and W: splits follow their dims through both permutations."),
    "padded": dict(
        gen=gen_padded,
        shard=[None, "input:3"],
        notes="onnx.helper: Pad (constant 0.75, asymmetric) on H and W, conv, Pad (zero) "
              "on C, H and W: the padding of a split dim travels as a halo."),
    "upsampling": dict(
        gen=lambda d: gen_torch("upsampling", Upsampling, [1, 3, 9, 7], 1400, d),
        shard=[None, "input:3"],
        notes="ConvTranspose2d s2 p1 output_padding 1; nearest x2; bilinear x1.5 "
              "(pytorch_half_pixel); grouped dilated ConvTranspose2d stride (1,3); bilinear "
              "to size (50, 43) with align_corners."),
    "unet2d": dict(
        gen=lambda d: gen_torch("unet2d", UNet2d, [1, 3, 36, 28], 1500, d),
        shard=[None, "input:3"],
        notes="U-Net: conv+GroupNorm blocks, max-pool, ConvTranspose2d k2 s2, skip Concat, "
              "bilinear x2 upsampling, 1x1 head."),
    "unet3d": dict(
        gen=lambda d: gen_torch("unet3d", UNet3d, [1, 2, 12, 16, 12], 1600, d),
        shard=[None],
        notes="3-D U-Net: conv+InstanceNorm3d blocks, max-pool, ConvTranspose3d k2 s2, "
              "skip Concat, trilinear x2 upsampling."),
    "contraction": dict(
        gen=gen_contraction,
        shard=[None],
        notes="onnx.helper: MatMul contracting the split dim, then an Add with the split "
              "input: a reduce-scatter instead of all-reduce + slice."),
    "indexing": dict(
        gen=gen_indexing,
        shard=[None],
        notes="onnx.helper: Gather of channels (3, 0, 2), Expand of a per-channel bias, Where "
              "with a constant mask, Cast to float, Gather of every second row of the split dim."),
    "pad_modes": dict(
        gen=gen_pad_modes,
        shard=[None],
        notes="onnx.helper: reflect Pad on H and W, conv, edge Pad: split mirrored dims "
              "get halos widened to the rows the boundary mirrors."),
    "periodic": dict(
        gen=gen_periodic,
        shard=[None, "input:3"],
        notes="onnx.helper: exact Slice+Concat wraps on H and W (widths 1 and 2) around "
              "convs, a non-wrapping Slice and a Split forming a roll, residual Add."),
    "fno2d": dict(
        gen=gen_fno2d,
        shard=[None, "input:3"],
        tolerance=1e-3,
        notes="onnx.helper, opset 17: FNO-2D (lift, two Fourier layers, projection): DFT "
              "along W (onesided) and H, low/high H modes and low W modes kept, complex "
              "channel mixing (Mul, ReduceSum), zero-fill (Concat, Pad), inverse DFTs, real "
              "part; reference in numpy float64 (np.fft)."),
    "transformer": dict(
        gen=lambda d: gen_torch("transformer", TokenTransformer, [1, 37, 16], 1900, d, opset=17),
        shard=[None, "input:1"],
        notes="opset 17: two TransformerEncoderLayers (2 heads, GELU) over 37 tokens: "
              "attention over split tokens (ring, or all-gather by flag)."),
    "vit": dict(
        gen=lambda d: gen_torch("vit", ViT, [1, 2, 32, 24], 2000, d, opset=17),
        shard=[None],
        notes="opset 17: 4x4 patch conv, two TransformerEncoderLayers over 48 patch tokens, "
              "tokens folded back to the 8x6 grid, 1x1 conv head."),
    "masks": dict(
        gen=lambda d: gen_torch("masks", Masks, [1, 2, 19, 14], 2600, d),
        shard=[None, "input:3"],
        notes="Greater, LessOrEqual, Less, Equal, And, Or, Xor, Not, Where with computed "
              "conditions and Cast of masks to float, between two 3x3 convs."),
    "vit_pos": dict(
        gen=lambda d: gen_torch("vit_pos", ViTPos, [1, 2, 36, 20], 2100, d, opset=17),
        shard=[None],
        notes="opset 17: the ViT on a 9x5 patch grid (uneven over 2 and 3 ranks) with a "
              "learned positional embedding added to the 45 tokens."),
    "vit_pool": dict(
        gen=lambda d: gen_torch("vit_pool", ViTPool, [1, 2, 36, 20], 2700, d, opset=17),
        shard=[None],
        notes="opset 17: the ViT on a 9x5 patch grid with a pooled head (mean over the "
              "tokens, then a Linear to 5 classes) instead of folding back to the grid."),
    "norms": dict(
        gen=lambda d: gen_torch("norms", Norms, [2, 3, 21, 13], 1300, d, opset=17),
        shard=[None, "input:3"],
        notes="opset 17: GroupNorm(4) export, InstanceNorm2d, LayerNorm over NHWC "
              "channels and LayerNorm over [H, W]; offset 20 before the GroupNorm."),
    "two_fields": dict(
        gen=gen_two_fields,
        shard=[None, "field:3"],
        notes="onnx.helper: two inputs (field, forcing) split alike, conv each, Add, Tanh; "
              "two outputs: the dense state and its GlobalAveragePool 'energy'."),
    "atrous_pyramid": dict(
        gen=lambda d: gen_torch("atrous_pyramid", AtrousPyramid, [1, 3, 23, 17], 3000, d),
        shard=[None, "input:3"],
        notes="DeepLabV3's atrous pyramid, small: conv, then a 1x1 conv and 3x3 convs of "
              "dilations 2, 4, 6 reading one tensor (one shared halo exchange), Concat on "
              "channels, 1x1 conv. 23x17 input."),
    "vit_cls": dict(
        gen=lambda d: gen_torch("vit_cls", ViTCls, [1, 2, 36, 20], 3400, d, opset=17),
        shard=[None],
        notes="opset 17: a class token concatenated to 45 patch tokens (9x5 grid), positional "
              "embedding, two encoder layers, Linear head on token 0: the class token is "
              "computed on every rank beside the split patch tokens, never a gather."),
    "vit_regs": dict(
        gen=lambda d: gen_torch("vit_regs", ViTRegisters, [1, 2, 36, 20], 3450, d, opset=17),
        shard=[None],
        notes="opset 17: a class token before and two register tokens after 45 patch tokens "
              "in one Concat: both extra streams are computed on every rank and attended to "
              "as one prefix, never a gather."),
    "swin3d": dict(
        gen=lambda d: gen_torch_static_output("swin3d", Swin3D, [1, 2, 4, 32, 48], 3500, d),
        shard=[None],
        notes="opset 17: a Swin-3D block stack on (levels, lat, lon) = 4 x 16 x 24 patches: "
              "2x4x4 windows, the second block shifted by (1, 2, 2) (rolls over three dims, "
              "shift masks), split over lon (and lat on 2-D meshes): never a gather."),
    "swin_windows": dict(
        gen=lambda d: gen_torch_static_output("swin_windows", SwinWindows, [1, 3, 96, 96], 3100,
                                              d),
        shard=[None],
        notes="opset 17: torchvision's SwinTransformerBlock x2 (4x4 windows, shift 2), "
              "PatchMerging, x2 (2x2 windows, shift 1) on a 48x48 patch grid: rolls are "
              "periodic shift exchanges, windows stay on their ranks, never a gather."),
    "swin_last_stage": dict(
        gen=lambda d: gen_torch_static_output("swin_last_stage", SwinLastStage, [1, 3, 16, 16],
                                              3400, d),
        shard=[None],
        notes="opset 17: torchvision's SwinTransformerBlock x2 with one 8x8 window over the "
              "whole 8x8 grid (Swin-T's last stage): the window's tokens are split, attention "
              "is a ring adding the relative position bias per block, never a gather."),
    "asym_pads": dict(
        gen=gen_asym_pads,
        shard=[None, "input:2", "input:3"],
        notes="onnx.helper: Conv pads=[0,2,1,0] stride 2 dilation 2; AveragePool "
              "pads=[1,0,0,2] cip=0; Conv pads=[2,0,0,1]; AveragePool k=[2,3] s=[2,1] "
              "pads=[0,1,1,1] cip=1; MaxPool pads=[0,1,2,0]."),
}
BENCH_MODELS = {
    "bench_fno2d": dict(
        gen=lambda d: gen_fno2d(d, 2100, "bench_fno2d", c=16, h=128, w=96, m1=12, m2=12),
        shard=[None],
        tolerance=1e-3,
        notes="FNO-2D as fno2d, 1x2x128x96, width 16, 12+12 H modes and 12 of 49 W modes "
              "kept: bench/fno_alltoall.sh measures its all-to-all bytes.",
        bench=True),
    "bench_unet": dict(
        gen=lambda d: gen_torch("bench_unet", UNet2d, [1, 3, 1024, 1024], 2200, d),
        shard=[None],
        notes="the unet2d U-Net at 1x3x1024x1024: bench/unet_memory.sh measures the peak "
              "arena and resident memory per rank on 1, 2, 4, 8 ranks.",
        bench=True),
    "bench_attention": dict(
        gen=lambda d: gen_torch("bench_attention", lambda: TokenTransformer(e=32, heads=2,
                                                                            layers=1),
                                [1, 4096, 32], 2300, d, opset=17),
        shard=[None],
        notes="one TransformerEncoderLayer (2 heads, width 32) over 4096 tokens: "
              "bench/attention.sh compares ring and all-gather attention on 1-4 ranks.",
        bench=True),
    "bench_vit": dict(
        gen=lambda d: gen_torch("bench_vit", lambda: ViT(cin=2, e=32, patch=4, heads=2),
                                [1, 2, 256, 192], 2400, d, opset=17),
        shard=[None],
        notes="the vit model at 1x2x256x192 (a 64x48 grid of 3072 patch tokens, width 32): "
              "bench/vit_tiles.sh compares tiled tokens (H and W split) with merged ones.",
        bench=True),
    "bench_swin_t": dict(
        gen=lambda d: gen_torch_static_output("bench_swin_t", _swin_t, [1, 3, 224, 224], 3200,
                                              d),
        shard=[None],
        tolerance=1e-3,
        notes="torchvision's swin_t at 224 (random weights): bench/transformers.sh times it "
              "on 1, 2 and 2x2 ranks and counts its all-gathers.",
        bench=True),
    "bench_vit_ti": dict(
        gen=lambda d: gen_torch_static_output("bench_vit_ti", _vit_ti16_384, [1, 3, 384, 384],
                                              3300, d),
        shard=[None],
        tolerance=1e-3,
        notes="torchvision's VisionTransformer in the ViT-Ti/16 configuration at 384 (a class "
              "token and 576 patch tokens, width 192, 12 layers): bench/transformers.sh.",
        bench=True),
    "bench_convstack": dict(
        gen=lambda d: gen_torch("bench_convstack", ConvStack, [1, 32, 256, 256], 700, d),
        shard=[None],
        notes="8 x (3x3 conv 32->32) in 4 residual blocks, 1x32x256x256, ~9.66 GFLOP.",
        bench=True),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--bench", action="store_true", help="also generate the benchmark model(s)")
    ap.add_argument("--only", default="", help="comma-separated model names to generate")
    args = ap.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    registry = dict(MODELS)
    if args.bench:
        registry.update(BENCH_MODELS)
    all_known = {**MODELS, **BENCH_MODELS}
    names = list(registry)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in all_known]
        if bad:
            sys.exit(f"gen_models.py: unknown model(s) {bad}; known: {list(all_known)}")

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    mpath = os.path.join(args.out_dir, "manifest.json")
    manifest = {"opset": OPSET, "models": {}}
    if os.path.exists(mpath):
        try:
            old = json.load(open(mpath))
            if isinstance(old.get("models"), dict):
                manifest["models"].update(old["models"])
        except (ValueError, OSError):
            pass

    for name in names:
        spec = all_known[name]
        model, ops, x, ref = spec["gen"](args.out_dir)
        xs = x if isinstance(x, list) else [x]
        files = [f"{name}.input.npy"] if len(xs) == 1 else \
            [f"{name}.input{i}.npy" for i in range(len(xs))]
        for f, xi in zip(files, xs):
            np.save(os.path.join(args.out_dir, f), np.ascontiguousarray(xi))
        graph_inputs = [i.name for i in model.graph.input
                        if i.name not in {t.name for t in model.graph.initializer}]
        np.save(os.path.join(args.out_dir, f"{name}.torch.npy"), np.ascontiguousarray(ref))
        outs = []
        for o in model.graph.output:
            dims = [d.dim_value for d in o.type.tensor_type.shape.dim]
            outs.append({"name": o.name, "shape": dims})
        if outs and list(ref.shape) != outs[0]["shape"]:
            raise RuntimeError(f"{name}: torch output shape {ref.shape} != ONNX {outs[0]['shape']}")
        manifest["models"][name] = {
            "onnx": f"{name}.onnx",
            "inputs": [{"name": n, "shape": list(xi.shape), "dtype": "float32", "file": f}
                       for n, xi, f in zip(graph_inputs, xs, files)],
            "outputs": outs,
            "torch_reference": f"{name}.torch.npy",
            "shard": spec["shard"],
            "bench": bool(spec.get("bench", False)),
            "ops": ops,
            "nodes": node_summary(model),
            "notes": spec["notes"],
            # Relative error run_e2e.sh allows (FFTs in float32 round more).
            "tolerance": spec.get("tolerance", 1e-4),
        }
        print(f"{name}: input {[list(xi.shape) for xi in xs]} -> output {list(ref.shape)}; ops: {', '.join(ops)}")

    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(names)} model(s) and {mpath}")


if __name__ == "__main__":
    main()
