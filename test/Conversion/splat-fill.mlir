// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// A splat constant of more than 1024 elements (Expand's zeros, a constant
// bias map) is filled at run time into the arena, split like the value it
// meets; a small one stays in the weights blob.

func.func @main(%x: tensor<1x4x64x64xf32> {quilt.name = "input"}) -> (tensor<1x4x64x64xf32> {quilt.name = "output"}) {
  %big = quilt.constant dense<2.5> : tensor<1x4x64x64xf32>
  %a = quilt.add %x, %big : tensor<1x4x64x64xf32>, tensor<1x4x64x64xf32> -> tensor<1x4x64x64xf32>
  %s = quilt.constant dense<3.0> : tensor<1x4x1x1xf32>
  %b = quilt.mul %a, %s : tensor<1x4x64x64xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x64x64xf32>
  return %b : tensor<1x4x64x64xf32>
}

// Only the 4 floats of %s are weights.
// CHECK: module attributes {quilt.arena_bytes = {{[0-9]+}} : i64, quilt.pack_scratch_bytes = 0 : i64, quilt.weights_bytes = 16 : i64}
// The fill's params: one tensor (its layout: dim 2 split over the mesh), then
// 2.5 as double bits. The rank's block of the splat depends on the rank
// alone: it is filled once, before the first step.
// CHECK: llvm.mlir.global internal constant @__quilt_params_0(dense<[1, 4, {{.*}}, -1, 4612811918334230528]>
// CHECK-LABEL: llvm.func @quilt_model_init
// CHECK: llvm.call @quilt_rt_fill(
// CHECK-NOT: llvm.call
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK-NOT: quilt_rt_fill
// CHECK: llvm.call @quilt_rt_binary(
// CHECK: llvm.call @quilt_rt_binary(
// CHECK: llvm.return
