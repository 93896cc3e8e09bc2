#!/usr/bin/env python3
"""MatMul in numpy's every form, and BatchNormalization with computed parameters.

  matmul_batchnorm_e2e.py QUILTC WORK_DIR MESH...

One model (onnx.helper, opset 13) over a field x [N, C, H, W]: MatMuls with
broadcast batch dims (x by [1, C, W, 3], and x's slice [N, 1, H, W] by
[3, W, 2]), with a 1-D operand (x by [W]; [H] by x; [W] by [W, 3]; [W] by
[W], a scalar) and a BatchNormalization whose scale is computed from an input
(the others constants). The importer states them as quilt.matmul and
quilt.batch_norm, quilt-decompose lowers them (einsums with dims reshaped
away, gemms between reshapes, per-channel quilt ops). Each MESH is compiled
with quiltc's default splits; every output is compared with ONNX Runtime
(run_ort.js) within 1e-4 of max|ref|. QUILTC_FLAGS (space-separated) adds
compiler flags. Needs /usr/bin/python3 (onnx, numpy), node with
onnxruntime-node in test/e2e/ort, and mpirun.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
N, C, H, W = 2, 4, 7, 5


def value(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def build_model():
    rng = np.random.default_rng(5)

    def init(name, shape, low=-1.0, high=1.0):
        return numpy_helper.from_array(rng.uniform(low, high, shape).astype(np.float32), name)

    inits = [init("w_bcast", [1, C, W, 3]), init("w_batch", [3, W, 2]), init("v_w", [W]),
             init("v_h", [H]), init("m", [W, 3]), init("bias", [C]), init("mean", [C]),
             init("var", [C], 0.1, 2.0)]
    for name, v in (("starts", 0), ("ends", 1), ("axes", 1)):
        inits.append(numpy_helper.from_array(np.array([v], np.int64), name))
    nodes = [
        helper.make_node("MatMul", ["x", "w_bcast"], ["bcast"], name="bcast"),
        helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["x1"], name="slice"),
        helper.make_node("MatMul", ["x1", "w_batch"], ["bcast_both"], name="bcast_both"),
        helper.make_node("MatMul", ["x", "v_w"], ["column"], name="column"),
        helper.make_node("MatMul", ["v_h", "x"], ["row"], name="row"),
        helper.make_node("MatMul", ["v", "m"], ["vector"], name="vector"),
        helper.make_node("MatMul", ["v", "v"], ["dot"], name="dot"),
        helper.make_node("Sigmoid", ["s"], ["scale"], name="scale"),
        helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["bn"],
                         name="bn", epsilon=1e-3),
    ]
    inputs = [value("x", [N, C, H, W]), value("s", [C]), value("v", [W])]
    outputs = [value("bcast", [N, C, H, 3]), value("bcast_both", [N, 3, H, 2]),
               value("column", [N, C, H]), value("row", [N, C, W]), value("vector", [3]),
               value("dot", []), value("bn", [N, C, H, W])]
    feeds = {"x": rng.standard_normal([N, C, H, W]).astype(np.float32),
             "s": rng.standard_normal([C]).astype(np.float32),
             "v": rng.standard_normal([W]).astype(np.float32)}
    graph = helper.make_graph(nodes, "matmul_batchnorm", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model, feeds, outputs


def compare(name, got, ref):
    if got.shape != ref.shape:
        return f"{name}: shape {got.shape} vs {ref.shape}", False
    if not np.all(np.isfinite(got)):
        return f"{name}: {int(np.sum(~np.isfinite(got)))} non-finite values", False
    error = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
    return f"{name}: max|quilt-ref|/max|ref| = {error:.2e}", error <= 1e-4


def main():
    quiltc, work, meshes = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    model, feeds, outputs = build_model()
    path = os.path.join(work, "matmul_batchnorm.onnx")
    onnx.save(model, path)
    files = []
    for input_name, data in feeds.items():
        files.append(os.path.join(work, f"matmul_batchnorm.{input_name}.npy"))
        np.save(files[-1], data)
    ref_dir = os.path.join(work, "matmul_batchnorm.ort")
    node = shutil.which("node") or "/usr/bin/node"
    subprocess.run([node, os.path.join(HERE, "ort", "run_ort.js"), "--quiet", path, ref_dir]
                   + files, check=True)
    refs = [np.load(os.path.join(ref_dir, f"{i}.npy")) for i in range(len(outputs))]
    failures = 0
    for mesh in meshes:
        tag = f"matmul_batchnorm mesh {mesh}"
        exe = os.path.join(work, f"matmul_batchnorm.p{mesh}")
        flags = os.environ.get("QUILTC_FLAGS", "").split()
        compiled = subprocess.run([quiltc, path, "-o", exe, f"--mesh={mesh}"] + flags,
                                  capture_output=True, text=True)
        sys.stderr.write(compiled.stderr)
        if compiled.returncode != 0:
            print(f"{tag}: quiltc failed")
            failures += 1
            continue
        ranks = int(np.prod([int(a) for a in mesh.split("x")]))
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
