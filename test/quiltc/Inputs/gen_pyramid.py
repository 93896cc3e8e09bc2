# A pyramid of 3x3 convolutions, each level after the first 2x2 max-pooled
# from the one above (the encoder half of a U-Net), over a 1x8x256x256 field:
# split over H its blocks halve per level, so each level's halo exchanges
# cost the same latency for ever less compute, and where gathering starts
# to pay is a per-level decision.
#   gen_pyramid.py OUT.onnx [LEVELS N C H W]
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(0)
LEVELS, N, C, H, W = [int(v) for v in sys.argv[2:7]] if len(sys.argv) > 2 else (6, 1, 8, 256, 256)
nodes, inits = [], []
x = "field"
for level in range(LEVELS):
    if level:
        nodes.append(helper.make_node("MaxPool", [x], [f"p{level}"], kernel_shape=[2, 2],
                                      strides=[2, 2], name=f"pool{level}"))
        x = f"p{level}"
    for i in range(2):
        w = numpy_helper.from_array(rng.standard_normal((C, C, 3, 3)).astype(np.float32) * 0.1,
                                    f"w{level}_{i}")
        inits.append(w)
        nodes.append(helper.make_node("Conv", [x, w.name], [f"c{level}_{i}"], pads=[1, 1, 1, 1],
                                      name=f"conv{level}_{i}"))
        nodes.append(helper.make_node("Relu", [f"c{level}_{i}"], [f"r{level}_{i}"],
                                      name=f"relu{level}_{i}"))
        x = f"r{level}_{i}"
shape = [N, C, H >> (LEVELS - 1), W >> (LEVELS - 1)]
g = helper.make_graph(nodes, "pyramid",
                      [helper.make_tensor_value_info("field", TensorProto.FLOAT, [N, C, H, W])],
                      [helper.make_tensor_value_info(x, TensorProto.FLOAT, shape)], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, out)
