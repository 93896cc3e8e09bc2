// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=1" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime | FileCheck %s
// A 20000 x 40000 field: buffers of 3.2 GB, offsets past 2^31 stay 64-bit, and
// tanh overwrites the sigmoid's result in place (the input persists across runs).

func.func @main(%x: tensor<1x1x20000x40000xf32> {quilt.name = "input"}) -> (tensor<1x1x20000x40000xf32> {quilt.name = "output"}) {
  %r = quilt.sigmoid %x : tensor<1x1x20000x40000xf32>
  %t = quilt.tanh %r : tensor<1x1x20000x40000xf32>
  return %t : tensor<1x1x20000x40000xf32>
}
// CHECK: module attributes {quilt.arena_bytes = 6400000000 : i64
// CHECK: \22outputs\22:[{\22arena_offset\22:3200000000
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: %[[IN:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK: llvm.getelementptr %{{.*}}[%[[IN]]]
// CHECK: %[[MID:.*]] = llvm.mlir.constant(3200000000 : i64) : i64
// CHECK: llvm.getelementptr %{{.*}}[%[[MID]]]
// CHECK: llvm.call @quilt_rt_unary
// CHECK: llvm.mlir.constant(3200000000 : i64) : i64
// CHECK: llvm.mlir.constant(3200000000 : i64) : i64
// CHECK: llvm.call @quilt_rt_unary
