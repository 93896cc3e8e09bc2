#!/usr/bin/env python3
"""Inputs and outputs of every dtype Quilt reads and writes, split over ranks.

  dtypes_e2e.py QUILTC WORK_DIR MESH...

Builds one model (onnx.helper; opset 17) whose inputs are float32, bool and
int64 and whose outputs are float32, int64, int32, bool and float64, compiles
it for each mesh (the H dim split), runs it under mpirun and checks every
output's dtype and values against numpy (the ops are exact: select, integer
add, truncation, comparison, widening, an output that is an input, one
computed from constants alone). Also checks that an input .npy of the
wrong dtype is refused in one line naming the input. Needs /usr/bin/python3
(onnx, numpy).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
SHAPE = [1, 2, 11, 6]


def build(path):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE),
              helper.make_tensor_value_info("mask", TensorProto.BOOL, SHAPE),
              helper.make_tensor_value_info("offset", TensorProto.INT64, SHAPE)]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, SHAPE),
               helper.make_tensor_value_info("k", TensorProto.INT64, SHAPE),
               helper.make_tensor_value_info("k32", TensorProto.INT32, SHAPE),
               helper.make_tensor_value_info("positive", TensorProto.BOOL, SHAPE),
               helper.make_tensor_value_info("wide", TensorProto.DOUBLE, SHAPE),
               helper.make_tensor_value_info("same", TensorProto.FLOAT, SHAPE),
               helper.make_tensor_value_info("table", TensorProto.INT64, [4])]
    three = helper.make_tensor("three", TensorProto.FLOAT, [], [3.0])
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    step = helper.make_tensor("step", TensorProto.INT64, [], [5])
    limit = helper.make_tensor("limit", TensorProto.INT64, [], [25])
    nodes = [
        helper.make_node("Where", ["mask", "x", "zero"], ["masked"], name="select"),
        helper.make_node("Add", ["offset", "step"], ["shifted"], name="int_add"),
        helper.make_node("Cast", ["shifted"], ["offset_f"], to=TensorProto.FLOAT, name="widen"),
        helper.make_node("Add", ["masked", "offset_f"], ["y"], name="sum"),
        helper.make_node("Mul", ["x", "three"], ["x3"], name="scale"),
        helper.make_node("Cast", ["x3"], ["k"], to=TensorProto.INT64, name="truncate"),
        helper.make_node("Cast", ["x3"], ["k32"], to=TensorProto.INT32, name="truncate32"),
        helper.make_node("Greater", ["x", "zero"], ["positive"], name="compare"),
        helper.make_node("Cast", ["x"], ["wide"], to=TensorProto.DOUBLE, name="to_double"),
        # An output that is an input, and one computed from constants alone.
        helper.make_node("Identity", ["x"], ["same"], name="pass"),
        helper.make_node("Range", ["step", "limit", "step"], ["table"], name="table"),
    ]
    graph = helper.make_graph(nodes, "dtypes", inputs, outputs, [three, zero, step, limit])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    quiltc, work, meshes = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "dtypes.onnx")
    build(model)
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(SHAPE) * 4).astype(np.float32)
    mask = rng.random(SHAPE) < 0.5
    offset = rng.integers(-1000, 1000, SHAPE).astype(np.int64)
    feeds = {"x": x, "mask": mask, "offset": offset}
    for name, value in feeds.items():
        np.save(os.path.join(work, name + ".npy"), value)
    x3 = x * np.float32(3)
    expected = {"y": np.where(mask, x, 0).astype(np.float32) + (offset + 5).astype(np.float32),
                "k": np.trunc(x3).astype(np.int64), "k32": np.trunc(x3).astype(np.int32),
                "positive": x > 0, "wide": x.astype(np.float64), "same": x,
                "table": np.arange(5, 25, 5, dtype=np.int64)}
    failures = 0
    for mesh in meshes:
        exe = os.path.join(work, f"dtypes.p{mesh}")
        subprocess.run([quiltc, model, "-o", exe, f"--mesh={mesh}", "--shard=x:2",
                        "--shard=mask:2", "--shard=offset:2"], check=True)
        ranks = int(np.prod([int(a) for a in mesh.split("x")]))
        args = [f"--input=@{os.path.join(work, n)}.npy" for n in ("x", "mask", "offset")]
        args += [f"--output=@{os.path.join(work, f'{n}.p{mesh}.npy')}" for n in expected]
        subprocess.run(MPIRUN + ["-n", str(ranks), exe] + args, check=True)
        for name, ref in expected.items():
            got = np.load(os.path.join(work, f"{name}.p{mesh}.npy"))
            ok = got.dtype == ref.dtype and got.shape == ref.shape and np.array_equal(got, ref)
            print(f"mesh {mesh} output {name}: {got.dtype} {'ok' if ok else 'MISMATCH'}")
            failures += not ok
    # The signature is checked: an int32 file for the int64 input is refused in one line.
    np.save(os.path.join(work, "offset32.npy"), offset.astype(np.int32))
    exe = os.path.join(work, f"dtypes.p{meshes[0]}")
    ranks = int(np.prod([int(a) for a in meshes[0].split("x")]))
    bad = subprocess.run(MPIRUN + ["-n", str(ranks), exe, f"--input=@{work}/x.npy",
                                   f"--input=@{work}/mask.npy", f"--input=@{work}/offset32.npy"],
                         capture_output=True, text=True)
    message = [line for line in bad.stderr.splitlines() if "offset" in line]
    if bad.returncode == 0 or not message or "'<i8' (int64)" not in message[0]:
        print("wrong-dtype input was not refused by name:", bad.returncode, bad.stderr[-400:])
        failures += 1
    else:
        print("wrong-dtype input refused:", message[0].strip())
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
