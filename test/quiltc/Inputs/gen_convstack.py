# A stack of four 3x3 convolutions over a 2x8x128x128 field (batch 2), for
# the plan search tests: batch splits need no communication, spatial ones halos.
#   gen_convstack.py OUT.onnx [N C H W]   (other sizes, e.g. for the user guide)
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(0)
N, C, H, W = [int(v) for v in sys.argv[2:6]] if len(sys.argv) > 2 else (2, 8, 128, 128)
nodes, inits = [], []
x = "field"
for i in range(4):
    w = numpy_helper.from_array(rng.standard_normal((C, C, 3, 3)).astype(np.float32) * 0.1, f"w{i}")
    inits.append(w)
    nodes.append(helper.make_node("Conv", [x, f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1], name=f"conv{i}"))
    nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"))
    x = f"r{i}"
g = helper.make_graph(nodes, "convstack",
                      [helper.make_tensor_value_info("field", TensorProto.FLOAT, [N, C, H, W])],
                      [helper.make_tensor_value_info(x, TensorProto.FLOAT, [N, C, H, W])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 8
onnx.save(m, out)
