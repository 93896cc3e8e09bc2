#!/usr/bin/env python3
"""ArgMax/ArgMin, CumSum, GatherElements, Resize, Upsample, ConvTranspose,
Slice and Einsum on split dims.

  index_scan_e2e.py QUILTC WORK_DIR MODEL MESH...

MODEL is one of MODELS (onnx.helper, opset 17 unless OPSETS says otherwise:
Upsample is opset 9, Resize's opset-10 form is its own model). Each is
compiled for every
mesh with the axes these ops work along split (on a 1-D mesh H, dim 2; on
2x2 H over x and W over y, so both axes are split), run under mpirun and
compared with ONNX Runtime (run_ort.js): indices exactly, floats within 1e-4
of max|ref|. Checks too what the partitioner reports: arg reductions and
scans over a split axis gather only per-block pairs or totals (no remark),
a GatherElements along a split axis gathers it with a remark naming the
node, and one along another axis keeps the split; so does a Slice with a
negative step, while empty slices in a Concat vanish and an empty output
is written on every layout. The resize model's
outputs are also checked against ONNX's reference implementation
(onnx.backend.test.case.node.resize), the only reference where ONNX
Runtime differs from it (ORT_FLOORS). QUILTC_FLAGS (space-separated) adds
compiler flags, e.g. --target=cuda-emulated. Needs /usr/bin/python3
(onnx, numpy), node with onnxruntime-node in test/e2e/ort, and mpirun.
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
SHAPE = [1, 2, 13, 9]


def value(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def arg_model():
    """Ties everywhere (small integers): the lowest or highest index must win
    across blocks as within one."""
    nodes = [
        helper.make_node("ArgMax", ["x"], ["max_h"], name="argmax_h", axis=2),
        helper.make_node("ArgMin", ["x"], ["min_w_last"], name="argmin_w_last", axis=3,
                         keepdims=0, select_last_index=1),
        helper.make_node("ArgMax", ["x"], ["max_w"], name="argmax_w", axis=-1),
        helper.make_node("ArgMin", ["x"], ["min_h"], name="argmin_h", axis=2, keepdims=0),
        helper.make_node("ArgMax", ["x"], ["max_c_last"], name="argmax_c_last", axis=1,
                         select_last_index=1),
    ]
    outputs = [value("max_h", [1, 2, 1, 9], TensorProto.INT64),
               value("min_w_last", [1, 2, 13], TensorProto.INT64),
               value("max_w", [1, 2, 13, 1], TensorProto.INT64),
               value("min_h", [1, 2, 9], TensorProto.INT64),
               value("max_c_last", [1, 1, 13, 9], TensorProto.INT64)]
    rng = np.random.default_rng(3)
    feeds = {"x": np.round(rng.standard_normal(SHAPE)).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, [], feeds


def cumsum_model():
    axis2 = numpy_helper.from_array(np.array(2, np.int64), "axis2")
    axis3 = numpy_helper.from_array(np.array(-1, np.int32), "axis3")
    nodes = [
        helper.make_node("CumSum", ["x", "axis2"], ["h"], name="cumsum_h"),
        helper.make_node("CumSum", ["x", "axis3"], ["w_rev_excl"], name="cumsum_w_rev_excl",
                         exclusive=1, reverse=1),
        helper.make_node("CumSum", ["x", "axis2"], ["h_excl"], name="cumsum_h_excl", exclusive=1),
        helper.make_node("CumSum", ["x", "axis2"], ["h_rev"], name="cumsum_h_rev", reverse=1),
        helper.make_node("CumSum", ["x", "axis3"], ["w"], name="cumsum_w"),
    ]
    outputs = [value(n, SHAPE) for n in ("h", "w_rev_excl", "h_excl", "h_rev", "w")]
    rng = np.random.default_rng(4)
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, [axis2, axis3], feeds


def gather_model():
    """Indices computed by an ArgMax (so along H: the max of each column),
    given as an int64 input (negative too), and constant."""
    rng = np.random.default_rng(5)
    const = rng.integers(-SHAPE[2], SHAPE[2], [1, 2, 4, 9]).astype(np.int64)
    nodes = [
        helper.make_node("ArgMax", ["x"], ["at_max"], name="argmax_h", axis=2),
        helper.make_node("GatherElements", ["x", "at_max"], ["max_h"], name="gather_max_h",
                         axis=2),
        helper.make_node("GatherElements", ["x", "idx"], ["by_input_w"], name="gather_input_w",
                         axis=3),
        helper.make_node("GatherElements", ["x", "rows"], ["const_h"], name="gather_const_h",
                         axis=2),
    ]
    inputs = [value("x", SHAPE), value("idx", SHAPE, TensorProto.INT64)]
    outputs = [value("max_h", [1, 2, 1, 9]), value("by_input_w", SHAPE),
               value("const_h", [1, 2, 4, 9])]
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32),
             "idx": rng.integers(-SHAPE[3], SHAPE[3], SHAPE).astype(np.int64)}
    return nodes, inputs, outputs, [numpy_helper.from_array(const, "rows")], feeds


RESIZES = [
    # name, attributes (mode cubic unless given), scales or None, sizes or None
    ("up2_half_pixel", {}, [1, 1, 2, 2], None),
    ("up_asym_excl", {"coordinate_transformation_mode": "asymmetric", "cubic_coeff_a": -0.5,
                      "exclude_outside": 1}, [1, 1, 1.5, 1.25], None),
    ("down_align", {"coordinate_transformation_mode": "align_corners"}, None, [1, 2, 8, 5]),
    ("down_pytorch_excl", {"coordinate_transformation_mode": "pytorch_half_pixel",
                           "exclude_outside": 1}, None, [1, 2, 6, 4]),
    ("up_align", {"coordinate_transformation_mode": "align_corners", "cubic_coeff_a": -0.5},
     None, [1, 2, 20, 14]),
    # Scales 0.6: align_corners resizes to 7.8 x 5.4 positions, not 7 x 5.
    ("linear_down_align", {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
     [1, 1, 0.6, 0.6], None),
    # TensorFlow's nearest sampling: x = (o + 0.5) / scale, down H, up W.
    ("nearest_tf_half_pixel", {"mode": "nearest",
                               "coordinate_transformation_mode": "tf_half_pixel_for_nn"},
     None, [1, 2, 8, 14]),
]
# ONNX Runtime takes the floored output size there (as before ONNX's test
# test_resize_downsample_scales_linear_align_corners): compared with ONNX's
# reference only.
ORT_FLOORS = {"linear_down_align"}
# ONNX's reference (1.12) lacks tf_half_pixel_for_nn: compared with ONNX
# Runtime only.
ONNX_REF_LACKS = {"nearest_tf_half_pixel"}


def resize_shape(scales, sizes):
    return sizes if sizes else [int(np.floor(n * s)) for n, s in zip(SHAPE, scales)]


def resize_model():
    nodes, inits, outputs = [], [], []
    for name, attrs, scales, sizes in RESIZES:
        ins = ["x", ""]
        if scales:
            inits.append(numpy_helper.from_array(np.array(scales, np.float32), name + "_scales"))
            ins.append(name + "_scales")
        else:
            inits.append(numpy_helper.from_array(np.array(sizes, np.int64), name + "_sizes"))
            ins += ["", name + "_sizes"]
        attrs = dict({"mode": "cubic"}, **attrs)
        nodes.append(helper.make_node("Resize", ins, [name], name=name, **attrs))
        outputs.append(value(name, resize_shape(scales, sizes)))
    rng = np.random.default_rng(6)
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, inits, feeds


def resize_reference(x):
    """ONNX's own reference implementation of Resize."""
    from onnx.backend.test.case.node import resize as ref
    refs = []
    for name, attrs, scales, sizes in RESIZES:
        if name in ONNX_REF_LACKS:
            refs.append(None)
            continue
        a = attrs.get("cubic_coeff_a", -0.75)
        coeffs = ref.linear_coeffs if attrs.get("mode") == "linear" else (
            lambda r: ref.cubic_coeffs(r, A=a))
        kwargs = {"coordinate_transformation_mode":
                  attrs.get("coordinate_transformation_mode", "half_pixel"),
                  "exclude_outside": bool(attrs.get("exclude_outside", 0))}
        # The test data's scales are float32, as the model's.
        factors = np.array(scales, np.float32).astype(np.float64) if scales else None
        refs.append(ref.interpolate_nd(x, coeffs, output_size=sizes, scale_factors=factors,
                                       **kwargs).astype(np.float32))
    return refs


def upsample_model(op="Upsample"):
    """Upsample (opset 9) or Resize of opset 10: x = o / scale (ONNX Runtime's
    asymmetric transform), nearest rounding down, or linear."""
    cases = [("nearest_int", "nearest", [1, 1, 2, 3]),
             ("nearest_frac", "nearest", [1, 1, 1.5, 2.5]),
             ("linear_frac", "linear", [1, 1, 1.75, 1.5])]
    nodes, inits, outputs = [], [], []
    for name, mode, scales in cases:
        inits.append(numpy_helper.from_array(np.array(scales, np.float32), name + "_scales"))
        nodes.append(helper.make_node(op, ["x", name + "_scales"], [name], name=name, mode=mode))
        outputs.append(value(name, resize_shape(scales, None)))
    rng = np.random.default_rng(7)
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, inits, feeds


def convtranspose_model():
    """Pads from auto_pad SAME_UPPER/SAME_LOWER (output = input * stride) and
    from output_shape: odd totals put the extra pad at the end (SAME_UPPER)
    or the start; an output one past the window is output padding."""
    rng = np.random.default_rng(8)
    w = numpy_helper.from_array(rng.standard_normal([2, 3, 3, 3]).astype(np.float32), "w")
    bias = numpy_helper.from_array(rng.standard_normal([3]).astype(np.float32), "bias")
    cases = [("same_upper", {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, [26, 18]),
             ("same_lower", {"auto_pad": "SAME_LOWER", "strides": [2, 2],
                             "dilations": [1, 2]}, [26, 18]),
             ("shape_odd", {"output_shape": [26, 18], "strides": [2, 2]}, [26, 18]),
             ("shape_upper", {"output_shape": [26, 17], "strides": [2, 2],
                              "auto_pad": "SAME_UPPER"}, [26, 17]),
             ("shape_past", {"output_shape": [28, 20], "strides": [2, 2]}, [28, 20])]
    nodes = [helper.make_node("ConvTranspose", ["x", "w", "bias"], [name], name=name, **attrs)
             for name, attrs, _ in cases]
    outputs = [value(name, [1, 3] + shape) for name, _, shape in cases]
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, [w, bias], feeds


def slice_model():
    """Negative steps (the dim is gathered when split, with a remark naming
    the node), empty slices dropped from a Concat, and an empty output."""
    def ints(name, values):
        return numpy_helper.from_array(np.array(values, np.int64), name)
    inits = [ints("h", [2]), ints("w", [3]), ints("hw", [2, 3]), ints("m1", [-1]),
             ints("big", [100]), ints("neg_big", [-100]), ints("s_rev", [-2, -3]),
             ints("e_rev", [-100, 0]), ints("steps_rev", [-3, -2]), ints("zero", [0]),
             ints("three", [3]), ints("five", [5]), ints("seven", [7])]
    nodes = [
        helper.make_node("Slice", ["x", "m1", "neg_big", "h", "m1"], ["rev_h"], name="rev_h"),
        helper.make_node("Slice", ["x", "s_rev", "e_rev", "hw", "steps_rev"], ["rev_hw"],
                         name="rev_hw"),
        helper.make_node("Slice", ["x", "zero", "three", "w"], ["left"], name="left"),
        helper.make_node("Slice", ["x", "big", "big", "w"], ["nothing"], name="nothing"),
        helper.make_node("Slice", ["x", "five", "seven", "w"], ["right"], name="right"),
        helper.make_node("Concat", ["left", "nothing", "right"], ["cat_w"], name="cat_w",
                         axis=3),
        helper.make_node("Slice", ["x", "big", "big", "w"], ["empty"], name="empty"),
    ]
    outputs = [value("rev_h", SHAPE), value("rev_hw", [1, 2, 4, 3]), value("cat_w", [1, 2, 13, 5]),
               value("empty", [1, 2, 13, 0])]
    rng = np.random.default_rng(9)
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, inits, feeds


def einsum_model():
    """One operand (a transpose, a sum), three (contracted pairwise), and an
    implicit output (a sum over the split H: an all-reduce)."""
    rng = np.random.default_rng(10)
    a = numpy_helper.from_array(rng.standard_normal([2, 4]).astype(np.float32), "a")
    b = numpy_helper.from_array(rng.standard_normal([4, 3]).astype(np.float32), "b")
    nodes = [
        helper.make_node("Einsum", ["x"], ["transposed"], name="transposed",
                         equation="nchw->nwhc"),
        helper.make_node("Einsum", ["x"], ["summed"], name="summed", equation="nchw->nh"),
        helper.make_node("Einsum", ["x", "a", "b"], ["chained"], name="chained",
                         equation="nchw,cd,de->nehw"),
        helper.make_node("Einsum", ["x", "x"], ["implicit"], name="implicit",
                         equation="nchw,nchw"),
    ]
    outputs = [value("transposed", [1, 9, 13, 2]), value("summed", [1, 13]),
               value("chained", [1, 3, 13, 9]), value("implicit", [])]
    feeds = {"x": rng.standard_normal(SHAPE).astype(np.float32)}
    return nodes, [value("x", SHAPE)], outputs, [a, b], feeds


MODELS = {"arg": arg_model, "cumsum": cumsum_model, "gather": gather_model,
          "resize": resize_model, "upsample": upsample_model,
          "resize10": lambda: upsample_model("Resize"), "convtranspose": convtranspose_model,
          "slice": slice_model, "einsum": einsum_model}
OPSETS = {"upsample": 9, "resize10": 10}


def expected_remarks(name, mesh, ranks):
    """The nodes whose inputs are gathered (each named in a remark)."""
    if ranks == 1:
        return []
    two_d = "x" in mesh
    if name == "gather":
        return ["gather_max_h", "gather_const_h"] + (["gather_input_w"] if two_d else [])
    if name == "slice":
        return ["rev_h", "rev_hw"] + (["cat_w"] if two_d else [])
    return []


def compare(name, got, ref):
    if got.shape != ref.shape:
        return f"{name}: shape {got.shape} vs {ref.shape}", False
    if np.issubdtype(got.dtype, np.integer):
        bad = int((got.astype(np.float64) != ref.astype(np.float64)).sum())
        return f"{name}: {bad} of {ref.size} indices differ", bad == 0
    if ref.size == 0:
        return f"{name}: empty, as the reference", True
    error = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30))
    return f"{name}: max|quilt-ref|/max|ref| = {error:.2e}", error <= 1e-4


def main():
    quiltc, work, name, meshes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    os.makedirs(work, exist_ok=True)
    nodes, inputs, outputs, inits, feeds = MODELS[name]()
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    opset = helper.make_opsetid("", OPSETS.get(name, 17))
    model = helper.make_model(graph, opset_imports=[opset])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    files = []
    for input_name, data in feeds.items():
        files.append(os.path.join(work, f"{name}.{input_name}.npy"))
        np.save(files[-1], data)
    ref_dir = os.path.join(work, name + ".ort")
    node = shutil.which("node") or "/usr/bin/node"
    subprocess.run([node, os.path.join(HERE, "ort", "run_ort.js"), "--quiet", path, ref_dir]
                   + files, check=True)
    refs = [np.load(os.path.join(ref_dir, f"{i}.npy")) for i in range(len(outputs))]
    failures = 0
    if name == "resize":
        onnx_refs = resize_reference(feeds["x"])
        for i, (out, ort, onnx_ref) in enumerate(zip(outputs, refs, onnx_refs)):
            if out.name in ORT_FLOORS:
                refs[i] = onnx_ref
                continue
            if out.name in ONNX_REF_LACKS:
                continue
            line, ok = compare(out.name + " (ORT vs ONNX reference)", ort, onnx_ref)
            print(line, "ok" if ok else "MISMATCH")
            failures += not ok
    for mesh in meshes:
        exe = os.path.join(work, f"{name}.p{mesh}")
        shard = ["--shard=x:2=0,3=1"] if "x" in mesh else ["--shard=x:2"]
        if name == "gather":
            shard += ["--shard=idx:2=0,3=1"] if "x" in mesh else ["--shard=idx:2"]
        flags = os.environ.get("QUILTC_FLAGS", "").split()
        compiled = subprocess.run([quiltc, path, "-o", exe, f"--mesh={mesh}"] + shard + flags,
                                  capture_output=True, text=True)
        sys.stderr.write(compiled.stderr)
        if compiled.returncode != 0:
            print(f"{name} mesh {mesh}: quiltc failed")
            failures += 1
            continue
        ranks = int(np.prod([int(a) for a in mesh.split("x")]))
        remarks = [line for line in compiled.stderr.splitlines() if "remark" in line]
        # Only GatherElements along a split axis gathers it, with a remark
        # naming the node (H on every mesh, W on 2x2), and a reversing or
        # concatenating Slice; the rest gather none.
        expected = expected_remarks(name, mesh, ranks)
        stray = [r for r in remarks if not any(f"'{n}'" in r for n in expected)]
        missing = [n for n in expected if not any(f"'{n}'" in r for r in remarks)]
        if stray or missing:
            print(f"{name} mesh {mesh}: unexpected remarks {stray}, none for {missing}")
            failures += 1
        outs = [os.path.join(work, f"{name}.p{mesh}.{i}.npy") for i in range(len(outputs))]
        subprocess.run(MPIRUN + ["-n", str(ranks), exe] + [f"--input=@{f}" for f in files]
                       + [f"--output=@{f}" for f in outs], check=True)
        for out, file, ref in zip(outputs, outs, refs):
            line, ok = compare(f"{name} mesh {mesh} {out.name}", np.load(file), ref)
            print(line, "ok" if ok else "MISMATCH")
            failures += not ok
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
