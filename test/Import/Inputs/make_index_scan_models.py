#!/usr/bin/python3
"""ArgMax/ArgMin, CumSum, GatherElements and cubic Resize models Quilt
rejects with a one-line error (opset 17).

    make_index_scan_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def save(out_dir, name, node, inputs, inits, out_shape, out_type=TensorProto.FLOAT):
    graph = helper.make_graph(
        [node], name, inputs, [helper.make_tensor_value_info("y", out_type, out_shape)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(out_dir, f"{name}.onnx"))


def main():
    out = sys.argv[1]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    axis = helper.make_tensor_value_info("axis", TensorProto.INT64, [])
    # The axis of a CumSum computed at run time.
    save(out, "cumsum_axis_input", helper.make_node("CumSum", ["x", "axis"], ["y"], name="scan"),
         [x, axis], [], [2, 4])
    # A constant index past the end of the gathered axis.
    idx = numpy_helper.from_array(np.array([[0, 1], [4, 2]], np.int64), "idx")
    save(out, "gather_elements_range",
         helper.make_node("GatherElements", ["x", "idx"], ["y"], name="pick", axis=1), [x],
         [idx], [2, 2])
    # Indices with more rows than the data (ONNX leaves it undefined).
    rows = numpy_helper.from_array(np.zeros([3, 4], np.int64), "rows")
    save(out, "gather_elements_rows",
         helper.make_node("GatherElements", ["x", "rows"], ["y"], name="pick", axis=1), [x],
         [rows], [3, 4])
    # A cubic resize of a coordinate mode Quilt does not implement.
    scales = numpy_helper.from_array(np.array([1, 2], np.float32), "scales")
    roi = numpy_helper.from_array(np.array([0, 0, 1, 1], np.float32), "roi")
    save(out, "resize_cubic_crop",
         helper.make_node("Resize", ["x", "roi", "scales"], ["y"], name="zoom", mode="cubic",
                          coordinate_transformation_mode="tf_crop_and_resize"), [x],
         [roi, scales], [2, 8])
    # An ArgMax over an empty axis has no index to give.
    empty = helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 0])
    save(out, "argmax_empty", helper.make_node("ArgMax", ["e"], ["y"], name="best", axis=1),
         [empty], [], [2, 1], TensorProto.INT64)


if __name__ == "__main__":
    main()
