"""Writes models whose constants exporters compute at run time into argv[1]:
float16/bfloat16 weights cast to float32, float16 weight arithmetic, a Swin-style shifted-window mask
(Range, Mod, ConstantOfShape, ScatterND, Equal, Where over static shapes),
and an FNO-style Einsum whose output has no value_info."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def write(name, nodes, inputs, outputs, inits=(), value_info=()):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits), value_info=list(value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    save(model, os.path.join(out, name + ".onnx"))


def const(name, value, dtype=np.int64):
    return numpy_helper.from_array(np.array(value, dtype), name)


# Half-precision weights.
w16 = numpy_helper.from_array(np.array([0.5, -1.25, 3], np.float16).reshape(1, 3, 1, 1), "w16")
b16 = helper.make_tensor("b16", TensorProto.BFLOAT16, [1, 3, 1, 1], [1.0, 2.0, -0.5])
write("half_weights",
      [helper.make_node("Cast", ["w16"], ["w"], to=TensorProto.FLOAT),
       helper.make_node("Cast", ["b16"], ["b"], to=TensorProto.FLOAT),
       helper.make_node("Mul", ["x", "w"], ["t"]), helper.make_node("Add", ["t", "b"], ["y"])],
      [vi("x", [1, 3, 5, 4])], [vi("y", [1, 3, 5, 4])], [w16, b16])

# float16 arithmetic on a float16 weight folds in float16 (ONNX's type and
# rounding), feeding a float16 input.
h16 = numpy_helper.from_array(np.array([0.1, 0.2, 0.3], np.float16), "h16")
write("half_arith",
      [helper.make_node("Add", ["h16", "h16"], ["h2"]), helper.make_node("Mul", ["x", "h2"], ["y"])],
      [vi("x", [3], TensorProto.FLOAT16)], [vi("y", [3], TensorProto.FLOAT16)], [h16])

# A shifted-window mask over a 4x4 grid: region ids from Range/Mod/Div,
# a ScatterND into ConstantOfShape, windows by Reshape/Transpose, pairs by Sub,
# Where(Equal) -> 0 / -100; added to the scores input.
nodes = [
    helper.make_node("Shape", ["scores"], ["s"]),
    helper.make_node("Gather", ["s", "last"], ["n"], axis=0),            # 4 tokens per window
    helper.make_node("Range", ["zero", "sixteen", "one"], ["pos"]),
    helper.make_node("Div", ["pos", "four"], ["row"]),
    helper.make_node("Mod", ["pos", "four"], ["col"]),
    helper.make_node("Less", ["row", "three"], ["top"]),
    helper.make_node("Less", ["col", "three"], ["left"]),
    helper.make_node("Cast", ["top"], ["topi"], to=TensorProto.INT64),
    helper.make_node("Cast", ["left"], ["lefti"], to=TensorProto.INT64),
    helper.make_node("Mul", ["topi", "two"], ["t2"]),
    helper.make_node("Add", ["t2", "lefti"], ["ids"]),
    helper.make_node("ConstantOfShape", ["grid"], ["blank"],
                     value=numpy_helper.from_array(np.array([0], np.int64))),
    helper.make_node("Reshape", ["ids", "grid"], ["ids2d"]),
    helper.make_node("ScatterND", ["blank", "rows", "ids2d_rows"], ["region"]),
    helper.make_node("Reshape", ["region", "win6"], ["w6"]),
    helper.make_node("Transpose", ["w6"], ["wt"], perm=[0, 2, 1, 3]),
    helper.make_node("Reshape", ["wt", "wins"], ["w"]),
    helper.make_node("Unsqueeze", ["w", "ax2"], ["wa"]),
    helper.make_node("Unsqueeze", ["w", "ax1"], ["wb"]),
    helper.make_node("Sub", ["wb", "wa"], ["diff"]),
    helper.make_node("Equal", ["diff", "zero"], ["same"]),
    helper.make_node("Where", ["same", "fzero", "neg"], ["mask"]),
    helper.make_node("Add", ["scores", "mask"], ["y"]),
]
inits = [const("last", -1), const("zero", 0), const("one", 1), const("two", 2),
         const("three", 3), const("four", 4), const("sixteen", 16), const("grid", [4, 4]),
         const("rows", [[0], [1], [2], [3]]), const("win6", [2, 2, 2, 2]), const("wins", [4, 4]),
         const("ax1", [1]), const("ax2", [2]),
         numpy_helper.from_array(np.array(0, np.float32), "fzero"),
         numpy_helper.from_array(np.array(-100, np.float32), "neg")]
# ScatterND's updates are the rows of ids2d: a Gather of rows 0..3 (identity).
nodes.insert(13, helper.make_node("Gather", ["ids2d", "rowidx"], ["ids2d_rows"], axis=0))
inits.append(const("rowidx", [0, 1, 2, 3]))
write("window_mask", nodes, [vi("scores", [1, 4, 4, 4])], [vi("y", [1, 4, 4, 4])], inits)

# Spectral weights applied by Einsum; no value_info anywhere.
wr = numpy_helper.from_array(np.linspace(-1, 1, 4 * 6 * 3 * 5, dtype=np.float32).reshape(4, 6, 3, 5), "wr")
write("einsum_no_value_info",
      [helper.make_node("Einsum", ["x", "wr"], ["e"], equation="bixy,ioxy->boxy"),
       helper.make_node("Relu", ["e"], ["y"])],
      [vi("x", [1, 4, 3, 5])], [vi("y", [1, 6, 3, 5])], [wr])
