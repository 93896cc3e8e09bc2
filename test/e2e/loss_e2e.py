#!/usr/bin/env python3
"""SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss over split spatial dims.

  loss_e2e.py QUILTC WORK_DIR MESH[:SPLIT]...

One model (onnx.helper, opset 13): a conv makes class scores (N, C, H, W)
from the field x; an int64 target (N, H, W) input holds a class per
position, some of them an ignore_index (negative, and one beyond the
classes). Its outputs: SoftmaxCrossEntropyLoss with reductions none, mean
(weighted, with ignore_index) and sum (with its log_prob output), and
NegativeLogLikelihoodLoss of the LogSoftmax with none (ignore_index beyond
C), mean (no weight, no ignore_index), mean (ignore_index, no weight) and
sum (weighted). Each MESH is compiled with x and the target split alike:
on a 1-D mesh H (SPLIT h, the default) or W (SPLIT w), on 2x2 H over x and
W over y. The class axis stays whole, so nothing may be gathered (no remark,
no all_gather in the report); each sum or mean over a split dim is an
all-reduce of partial sums. Outputs are compared with ONNX Runtime
(run_ort.js) within 1e-4 of max|ref|. QUILTC_FLAGS (space-separated) adds
compiler flags. Needs /usr/bin/python3 (onnx, numpy), node with
onnxruntime-node in test/e2e/ort, and mpirun.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
N, C_IN, C, H, W = 2, 3, 5, 13, 9
IGNORE_NEG, IGNORE_HIGH = -1, 9


def value(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def build_model():
    rng = np.random.default_rng(11)
    inits = [
        numpy_helper.from_array(rng.standard_normal([C, C_IN, 3, 3]).astype(np.float32), "conv_w"),
        numpy_helper.from_array(rng.standard_normal([C]).astype(np.float32), "conv_b"),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, [C]).astype(np.float32), "class_w"),
    ]
    sce = "SoftmaxCrossEntropyLoss"
    nll = "NegativeLogLikelihoodLoss"
    nodes = [
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["scores"], name="conv",
                         pads=[1, 1, 1, 1]),
        helper.make_node(sce, ["scores", "t"], ["sce_none"], name="sce_none", reduction="none",
                         ignore_index=IGNORE_NEG),
        helper.make_node(sce, ["scores", "t", "class_w"], ["sce_mean_w"], name="sce_mean_w",
                         ignore_index=IGNORE_NEG),
        helper.make_node(sce, ["scores", "t_high"], ["sce_sum", "log_prob"], name="sce_sum",
                         reduction="sum", ignore_index=IGNORE_HIGH),
        helper.make_node("LogSoftmax", ["scores"], ["log_p"], name="log_softmax", axis=1),
        helper.make_node(nll, ["log_p", "t_high"], ["nll_none"], name="nll_none",
                         reduction="none", ignore_index=IGNORE_HIGH),
        helper.make_node(nll, ["log_p", "t_valid"], ["nll_mean"], name="nll_mean"),
        helper.make_node(nll, ["log_p", "t"], ["nll_mean_ii"], name="nll_mean_ii",
                         ignore_index=IGNORE_NEG),
        helper.make_node(nll, ["log_p", "t_valid", "class_w"], ["nll_sum_w"], name="nll_sum_w",
                         reduction="sum"),
    ]
    target = [N, H, W]
    inputs = [value("x", [N, C_IN, H, W]), value("t", target, TensorProto.INT64),
              value("t_high", target, TensorProto.INT64),
              value("t_valid", target, TensorProto.INT64)]
    outputs = [value("sce_none", target), value("sce_mean_w", []), value("sce_sum", []),
               value("log_prob", [N, C, H, W]), value("nll_none", target), value("nll_mean", []),
               value("nll_mean_ii", []), value("nll_sum_w", [])]
    valid = rng.integers(0, C, target).astype(np.int64)
    # About a fifth of the positions ignored, on every rank's block.
    ignore = rng.random(target) < 0.2
    feeds = {"x": rng.standard_normal([N, C_IN, H, W]).astype(np.float32),
             "t": np.where(ignore, IGNORE_NEG, valid).astype(np.int64),
             "t_high": np.where(ignore, IGNORE_HIGH, valid).astype(np.int64),
             "t_valid": valid}
    graph = helper.make_graph(nodes, "loss", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model, feeds, outputs


def shard_flags(mesh, split):
    """x and the three targets split alike (their dims: x's 2, 3 are theirs 1, 2)."""
    if "x" in mesh:
        x_dims, t_dims = "2=0,3=1", "1=0,2=1"
    elif split == "w":
        x_dims, t_dims = "3", "2"
    else:
        x_dims, t_dims = "2", "1"
    specs = [f"x:{x_dims}"] + [f"{t}:{t_dims}" for t in ("t", "t_high", "t_valid")]
    return ["--shard=" + ",".join(specs)]


def compare(name, got, ref):
    if got.shape != ref.shape:
        return f"{name}: shape {got.shape} vs {ref.shape}", False
    if not np.all(np.isfinite(got)):
        return f"{name}: {int(np.sum(~np.isfinite(got)))} non-finite values", False
    error = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
    return f"{name}: max|quilt-ref|/max|ref| = {error:.2e}", error <= 1e-4


def main():
    quiltc, work, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    model, feeds, outputs = build_model()
    path = os.path.join(work, "loss.onnx")
    onnx.save(model, path)
    files = []
    for input_name, data in feeds.items():
        files.append(os.path.join(work, f"loss.{input_name}.npy"))
        np.save(files[-1], data)
    ref_dir = os.path.join(work, "loss.ort")
    node = shutil.which("node") or "/usr/bin/node"
    subprocess.run([node, os.path.join(HERE, "ort", "run_ort.js"), "--quiet", path, ref_dir]
                   + files, check=True)
    refs = [np.load(os.path.join(ref_dir, f"{i}.npy")) for i in range(len(outputs))]
    failures = 0
    for spec in specs:
        mesh, _, split = spec.partition(":")
        tag = f"loss mesh {mesh}" + (f" split {split}" if split else "")
        exe = os.path.join(work, f"loss.p{mesh}{split}")
        report = exe + ".predicted.json"
        flags = os.environ.get("QUILTC_FLAGS", "").split()
        compiled = subprocess.run([quiltc, path, "-o", exe, f"--mesh={mesh}",
                                   f"--report={report}"] + shard_flags(mesh, split) + flags,
                                  capture_output=True, text=True)
        sys.stderr.write(compiled.stderr)
        if compiled.returncode != 0:
            print(f"{tag}: quiltc failed")
            failures += 1
            continue
        ranks = int(np.prod([int(a) for a in mesh.split("x")]))
        # The class axis is never split: nothing is gathered, and with more
        # than one rank the sums over split dims are all-reduces.
        kinds = [op["kind"] for op in json.load(open(report)).get("ops", [])]
        remarks = [line for line in compiled.stderr.splitlines() if "remark" in line]
        if remarks or "all_gather" in kinds or (ranks > 1 and "all_reduce" not in kinds):
            print(f"{tag}: expected all-reduces only, got ops {sorted(set(kinds))}, "
                  f"remarks {remarks}")
            failures += 1
        outs = [f"{exe}.{i}.npy" for i in range(len(outputs))]
        subprocess.run(MPIRUN + ["-n", str(ranks), exe] + [f"--input=@{f}" for f in files]
                       + [f"--output=@{f}" for f in outs], check=True)
        for out, file, ref in zip(outputs, outs, refs):
            line, ok = compare(f"{tag} {out.name}", np.load(file), ref)
            print(line, "ok" if ok else "MISMATCH")
            failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
