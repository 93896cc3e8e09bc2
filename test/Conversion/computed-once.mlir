// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime | FileCheck %s
// A replicated weight meeting a split value is sliced to the rank's block
// (quilt.shard_slice). The block depends on the rank alone, so it is taken
// once, in quilt_model_init, into an arena slot that lives as long as the
// program: the step (quilt_model_run) only reads it, and the add does not
// write its result over it although the slice dies there.

func.func @main(%x: tensor<1x2x4x4xf32> {quilt.name = "input"}) -> (tensor<1x2x4x4xf32> {quilt.name = "output"}) {
  %w = quilt.constant dense<[[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]], [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]]]> : tensor<1x2x4x4xf32>
  %a = quilt.add %x, %w : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// Input block (2x2x4 floats, 64 bytes) at 0, the weight's block at 64, the
// sum at 128: three slots, none shared.
// CHECK: module attributes {quilt.arena_bytes = 192 : i64, quilt.pack_scratch_bytes = 0 : i64, quilt.weights_bytes = 128 : i64}
// CHECK-LABEL: llvm.func @quilt_model_init
// The slice reads the weights blob ...
// CHECK: llvm.call @quilt_rt_weights
// CHECK: %[[W:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: %[[SLICE_AT:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-NEXT: llvm.getelementptr %{{.*}}[%[[SLICE_AT]]]
// CHECK: llvm.call @quilt_rt_shard_slice(
// CHECK-NOT: llvm.call
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK-NOT: quilt_rt_shard_slice
// CHECK: llvm.mlir.constant(0 : i64) : i64
// CHECK: llvm.mlir.constant(64 : i64) : i64
// CHECK: llvm.mlir.constant(128 : i64) : i64
// CHECK: llvm.call @quilt_rt_binary(
// CHECK-NOT: llvm.call
// CHECK: llvm.return
