#!/usr/bin/env python3
"""Inputs and outputs of every dtype Quilt reads and writes, split over ranks.

  dtypes_e2e.py QUILTC WORK_DIR MESH...

Builds two models (onnx.helper; opset 17), compiles each for every mesh (the
H dim split), runs it under mpirun and checks every output's dtype and values
against numpy exactly:

  dtypes: inputs float32, bool and int64; outputs float32, int64, int32, bool
          and float64 (select, integer add, truncation, comparison, widening,
          an output that is an input, one computed from constants alone).
  small:  inputs uint8, int8, uint16, uint32, float16 and float32; outputs
          uint8, int8, uint16, int16, uint32, float16, float32 and bool (uint8
          add and uint16 sub that wrap around, int8 times an int8 constant,
          float16 products and sums rounded to nearest even, casts to float16
          that overflow to inf and underflow to subnormals, widening casts).

Also checks that an input .npy of the wrong dtype is refused in one line
naming the input, and a uint32 input beyond 2^24 in one line naming the input
and its file.
Needs /usr/bin/python3 (onnx, numpy).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

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


def build_small(path):
    """Edge dtypes narrower than 32 bits, and uint32."""
    vi = helper.make_tensor_value_info
    inputs = [vi("a", TensorProto.UINT8, SHAPE), vi("b", TensorProto.UINT8, SHAPE),
              vi("s", TensorProto.INT8, SHAPE), vi("w", TensorProto.UINT16, SHAPE),
              vi("big", TensorProto.UINT32, SHAPE), vi("h", TensorProto.FLOAT16, SHAPE),
              vi("xf", TensorProto.FLOAT, SHAPE)]
    outputs = [vi("sum8", TensorProto.UINT8, SHAPE), vi("dbl8", TensorProto.INT8, SHAPE),
               vi("w_less", TensorProto.UINT16, SHAPE), vi("s16", TensorProto.INT16, SHAPE),
               vi("big2", TensorProto.UINT32, SHAPE), vi("h_sq", TensorProto.FLOAT16, SHAPE),
               vi("h_add", TensorProto.FLOAT16, SHAPE), vi("w16", TensorProto.FLOAT16, SHAPE),
               vi("x16", TensorProto.FLOAT16, SHAPE), vi("af", TensorProto.FLOAT, SHAPE),
               vi("a_gt_b", TensorProto.BOOL, SHAPE)]
    two = helper.make_tensor("two", TensorProto.INT8, [], [2])
    thousand = helper.make_tensor("thousand", TensorProto.UINT16, [], [1000])
    tenth = numpy_helper.from_array(np.array(0.1, np.float16), "tenth")
    nodes = [
        helper.make_node("Add", ["a", "b"], ["sum8"], name="add_u8"),
        helper.make_node("Mul", ["s", "two"], ["dbl8"], name="mul_i8"),
        helper.make_node("Sub", ["w", "thousand"], ["w_less"], name="sub_u16"),
        helper.make_node("Cast", ["s"], ["s16"], to=TensorProto.INT16, name="widen_i8"),
        helper.make_node("Add", ["big", "big"], ["big2"], name="add_u32"),
        helper.make_node("Mul", ["h", "h"], ["h_sq"], name="square_f16"),
        helper.make_node("Add", ["h", "tenth"], ["h_add"], name="add_f16"),
        helper.make_node("Cast", ["w"], ["w16"], to=TensorProto.FLOAT16, name="u16_to_f16"),
        helper.make_node("Cast", ["xf"], ["x16"], to=TensorProto.FLOAT16, name="f32_to_f16"),
        helper.make_node("Cast", ["a"], ["af"], to=TensorProto.FLOAT, name="u8_to_f32"),
        helper.make_node("Greater", ["a", "b"], ["a_gt_b"], name="compare_u8"),
    ]
    graph = helper.make_graph(nodes, "small_dtypes", inputs, outputs, [two, thousand, tenth])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def small_feeds(rng):
    """Values that wrap, overflow float16 and reach its subnormals."""
    xf = (rng.standard_normal(SHAPE) * 3e4).astype(np.float32)
    flat = xf.reshape(-1)
    special = [65504, 65519.99, 65520, -1e5, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -24,
               1023.5 * 2.0 ** -24, 1e-45, -0.0, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11,
               np.inf, -np.inf, np.nan]
    flat[:len(special)] = np.array(special, np.float32)
    return {"a": rng.integers(0, 256, SHAPE).astype(np.uint8),
            "b": rng.integers(0, 256, SHAPE).astype(np.uint8),
            "s": rng.integers(-128, 128, SHAPE).astype(np.int8),
            "w": rng.integers(0, 65536, SHAPE).astype(np.uint16),
            "big": rng.integers(0, 2 ** 23, SHAPE).astype(np.uint32),
            "h": (rng.standard_normal(SHAPE) * 100).astype(np.float16),
            "xf": xf}


def small_expected(f):
    with np.errstate(over="ignore"):
        return {"sum8": f["a"] + f["b"], "dbl8": f["s"] * np.int8(2),
                "w_less": f["w"] - np.uint16(1000), "s16": f["s"].astype(np.int16),
                "big2": f["big"] + f["big"], "h_sq": f["h"] * f["h"],
                "h_add": f["h"] + np.float16(0.1), "w16": f["w"].astype(np.float16),
                "x16": f["xf"].astype(np.float16), "af": f["a"].astype(np.float32),
                "a_gt_b": f["a"] > f["b"]}


def run_case(quiltc, work, model, stem, feeds, expected, mesh):
    """Compiles `model` for `mesh`, runs it and returns how many outputs differ."""
    exe = os.path.join(work, f"{stem}.p{mesh}")
    subprocess.run([quiltc, model, "-o", exe, f"--mesh={mesh}"] +
                   [f"--shard={n}:2" for n in feeds], check=True)
    ranks = int(np.prod([int(a) for a in mesh.split("x")]))
    args = [f"--input=@{os.path.join(work, n)}.npy" for n in feeds]
    args += [f"--output=@{os.path.join(work, f'{n}.p{mesh}.npy')}" for n in expected]
    subprocess.run(MPIRUN + ["-n", str(ranks), exe] + args, check=True)
    failures = 0
    for name, ref in expected.items():
        got = np.load(os.path.join(work, f"{name}.p{mesh}.npy"))
        nan = ref.dtype.kind == "f"
        # Bit-exact, signed zeros included.
        ok = (got.dtype == ref.dtype and got.shape == ref.shape and
              np.array_equal(got, ref, equal_nan=nan) and
              (not nan or np.array_equal(np.signbit(got), np.signbit(ref))))
        print(f"mesh {mesh} output {name}: {got.dtype} {'ok' if ok else 'MISMATCH'}")
        if not ok and got.shape == ref.shape:
            bad = np.argwhere(~((got == ref) | (np.isnan(got) & np.isnan(ref)) if nan else
                                (got == ref)))[:3]
            for i in map(tuple, bad):
                print(f"  at {i}: got {got[i]!r}, expected {ref[i]!r}")
        failures += not ok
    return failures


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
    small_model = os.path.join(work, "small.onnx")
    build_small(small_model)
    small = small_feeds(rng)
    for name, value in small.items():
        np.save(os.path.join(work, name + ".npy"), value)
    small_ref = small_expected(small)
    failures = 0
    for mesh in meshes:
        failures += run_case(quiltc, work, model, "dtypes", feeds, expected, mesh)
        failures += run_case(quiltc, work, small_model, "small", small, small_ref, mesh)
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
    # A uint32 beyond 2^24 is refused in one line naming the input and its file.
    big = small["big"].copy()
    big.reshape(-1)[5] = 2 ** 24 + 1
    np.save(os.path.join(work, "big_bad.npy"), big)
    exe = os.path.join(work, f"small.p{meshes[0]}")
    args = [f"--input=@{os.path.join(work, n)}.npy" for n in small]
    args[list(small).index("big")] = f"--input=@{work}/big_bad.npy"
    bad = subprocess.run(MPIRUN + ["-n", str(ranks), exe] + args, capture_output=True, text=True)
    message = [line for line in bad.stderr.splitlines() if "big_bad.npy" in line]
    if (bad.returncode == 0 or not message or "input 'big'" not in message[0] or
            "integer 16777217 exceeds 2^24" not in message[0]):
        print("uint32 beyond 2^24 was not refused:", bad.returncode, bad.stderr[-400:])
        failures += 1
    else:
        print("uint32 beyond 2^24 refused:", message[0].strip())
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
