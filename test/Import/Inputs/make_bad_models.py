"""Writes small malformed ONNX models (saved without ONNX's checker) into argv[1]."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def write(name, nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    save(model, os.path.join(out, name + ".onnx"))


w = numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")
write("conv_stride0", [helper.make_node("Conv", ["input", "w"], ["output"], strides=[0, 1])],
      [vi("input", [1, 2, 8, 8])], [vi("output", [1, 4, 6, 6])], [w])
# ONNX infers the output from kernel_shape (8x8 here) and never looks at the weights.
write("kernel_shape", [helper.make_node("Conv", ["input", "w"], ["output"], kernel_shape=[1, 1])],
      [vi("input", [1, 2, 8, 8])], [vi("output", [1, 4, 8, 8])], [w])
params = [numpy_helper.from_array(np.ones(2, np.float32), n) for n in ("s", "b", "m", "v")]
write("bn_short", [helper.make_node("BatchNormalization", ["input", "s", "b", "m", "v"], ["output"])],
      [vi("input", [1, 4, 5, 5])], [vi("output", [1, 4, 5, 5])], params)
shape = numpy_helper.from_array(np.array([-1, -1], np.int64), "shape")
write("reshape_two_infer", [helper.make_node("Reshape", ["input", "shape"], ["output"])],
      [vi("input", [2, 8])], [vi("output", [4, 4])], [shape])
# Built by hand: helper.make_tensor refuses a size that does not match its data.
huge = TensorProto(name="c", data_type=TensorProto.FLOAT, dims=[2 ** 32, 2 ** 32])
write("huge_initializer", [helper.make_node("Add", ["input", "c"], ["output"])],
      [vi("input", [1, 1])], [vi("output", [1, 1])], [huge])
