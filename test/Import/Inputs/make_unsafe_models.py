"""Writes models that crashed ONNX 1.12's shape inference or Quilt's importer
before Quilt checked what they assume (each found by quilt-fuzz-import) into
argv[1]. Saved without ONNX's checker."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def write(name, nodes, inputs, outputs, inits=(), value_info=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits), value_info=list(value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    save(model, os.path.join(out, name + ".onnx"))


def weights(name, shape):
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


# convPoolShapeInference sizes its loop by the weights' rank, indexes the input's dims by it.
write("conv_weights_rank", [helper.make_node("Conv", ["input", "w"], ["output"])],
      [vi("input", [1, 2, 8, 8])], [vi("output", [1, 3, 6, 6])], [weights("w", [3, 2, 3, 3, 1])])
write("convtranspose_weights_rank",
      [helper.make_node("ConvTranspose", ["input", "w"], ["output"], name="mix")],
      [vi("input", [1, 6, 23])], [vi("output", [1, 6, 23])], [weights("w", [23, 23])])
# ParseData copies all raw bytes into whole elements: 25 bytes for 3 int64.
short = TensorProto(name="", data_type=TensorProto.INT64, dims=[3], raw_data=b"\x01" * 25)
write("raw_data_short",
      [helper.make_node("Constant", [], ["shape"], name="c", value=short),
       helper.make_node("Reshape", ["input", "shape"], ["output"])],
      [vi("input", [2, 3, 4])], [vi("output", [2, 3, 4])])
# LayerNormalization's inference writes the mean's dims from the axis on.
write("layernorm_scalar",
      [helper.make_node("LayerNormalization", ["k", "g"], ["output", "mean", "rstd"], axis=-1)],
      [vi("k", [])], [vi("output", []), vi("mean", []), vi("rstd", [])], [weights("g", [6])],
      opset=17)
# Shape-15's data propagation reads its input's type, which a node whose own
# inference failed (a Relu of an input of undefined dtype) leaves unset.
write("shape_untyped",
      [helper.make_node("Relu", ["x"], ["r"]),
       helper.make_node("Shape", ["r"], ["s"]),
       helper.make_node("Reshape", ["input", "s"], ["output"])],
      [vi("input", [2, 3]), vi("x", [2, 3], TensorProto.UNDEFINED)], [vi("output", [2, 3])],
      opset=17)
# A declared output shape ONNX's inference could not replace (the operands do
# not fit): the importer must not index the operands' dims by it.
write("matmul_declared_rank", [helper.make_node("MatMul", ["input", "w"], ["m"], name="mix"),
                               helper.make_node("Relu", ["m"], ["output"])],
      [vi("input", [1, 6, 23, 64])], [vi("output", [1, 6, 23])], [weights("w", [23, 23])],
      value_info=[vi("m", [1, 6, 23])])
sizes = numpy_helper.from_array(np.array([0, 2, 8, 8], np.int64), "sizes")
write("resize_empty", [helper.make_node("Resize", ["input", "", "", "sizes"], ["output"])],
      [vi("input", [0, 2, 4, 4])], [vi("output", [0, 2, 8, 8])], [sizes])
write("negative_dim", [helper.make_node("Relu", ["input"], ["output"])],
      [vi("input", [1, -3])], [vi("output", [1, -3])])
# DepthToSpace's inference divides the channels by blocksize squared (0 for 2^40).
write("depth_to_space_blocksize",
      [helper.make_node("DepthToSpace", ["input"], ["output"], blocksize=2 ** 40, mode="CRD")],
      [vi("input", [1, 8, 4, 6])], [vi("output", [1, 2, 8, 12])])
# Trilu's mask is a constant as large as the matrix: 4 x 2^31 floats took minutes.
write("trilu_huge", [helper.make_node("Trilu", ["input"], ["output"])],
      [vi("input", [4, 2 ** 31 - 1])], [vi("output", [4, 2 ** 31 - 1])], opset=14)
# Gemm-6's inference reads dims 0 and 1 of both operands, a scalar B has none.
scalar_b = numpy_helper.from_array(np.array(2.0, np.float32), "b")
write("gemm_scalar", [helper.make_node("Gemm", ["input", "b", "c"], ["output"])],
      [vi("input", [3, 7])], [vi("output", [3, 4])], [scalar_b, weights("c", [3, 4])], opset=6)
# ConstantOfShape of a computed shape of 2^31 - 1 values: ONNX made a tensor of that many dims.
write("constant_of_shape_rank",
      [helper.make_node("ConstantOfShape", ["s"], ["c"]),
       helper.make_node("Add", ["input", "c"], ["output"])],
      [vi("input", [2, 3]), vi("s", [2 ** 31 - 1], TensorProto.INT64)], [vi("output", [2, 3])],
      opset=9)
