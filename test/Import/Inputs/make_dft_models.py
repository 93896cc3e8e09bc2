#!/usr/bin/python3
"""DFT models Quilt rejects with a one-line error (opset 17).

    make_dft_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def save(out_dir, name, nodes, inputs, inits, out_shape):
    graph = helper.make_graph(
        nodes, name, inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, f"{name}.onnx"))


def main():
    out = sys.argv[1]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8, 2])
    # dft_length 12 on an axis of 8: ONNX would zero-pad the signal.
    save(out, "dft_length", [helper.make_node("DFT", ["x", "n"], ["y"], name="dft", axis=1)],
         [x], [numpy_helper.from_array(np.array(12, np.int64), "n")], [2, 12, 2])
    # dft_length with two values.
    save(out, "dft_length_pair", [helper.make_node("DFT", ["x", "n"], ["y"], name="dft", axis=1)],
         [x], [numpy_helper.from_array(np.array([8, 8], np.int64), "n")], [2, 8, 2])


if __name__ == "__main__":
    main()
