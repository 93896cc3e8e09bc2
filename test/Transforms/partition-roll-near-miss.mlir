// RUN: quilt-opt %s --quilt-fuse-periodic-pads --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// A roll that misses a row is not a roll: the concat gathers its axis, with
// a remark naming the op.
func.func @near_miss(%x: tensor<1x8x4xf32> {quilt.name = "input"}) -> tensor<1x7x4xf32> {
  // CHECK: remark: all-gather of dim 1
  // CHECK: quilt.all_gather
  %a = quilt.slice %x {starts = array<i64: 0, 6, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x2x4xf32>
  %b = quilt.slice %x {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x5x4xf32>
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x2x4xf32>, tensor<1x5x4xf32> -> tensor<1x7x4xf32>
  return %y : tensor<1x7x4xf32>
}
