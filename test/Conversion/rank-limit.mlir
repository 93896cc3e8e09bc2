// RUN: not quilt-opt %s --quilt-annotate-inputs="mesh-shape=1" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime 2>&1 | FileCheck %s
// The runtime's layouts hold at most 8 dims: a larger tensor is refused at
// compile time, naming the op, instead of failing in every rank at run time.

// CHECK: error: 'quilt.reshape' op has a tensor of rank 9; the runtime handles at most 8 dims
func.func @main(%x: tensor<1x1x1x1x1x1x2x4xf32> {quilt.name = "input"}) -> tensor<1x1x1x1x1x1x2x2x2xf32> {
  %y = quilt.reshape %x : tensor<1x1x1x1x1x1x2x4xf32> -> tensor<1x1x1x1x1x1x2x2x2xf32>
  return %y : tensor<1x1x1x1x1x1x2x2x2xf32>
}
