// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// Every op becomes quilt_rt_<kernel>(ctx, params, buffers); constants go to the weights blob.

func.func @main(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> (tensor<1x2x5x6xf32> {quilt.name = "output"}) {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %y = quilt.conv %x, %w {strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x5x6xf32>
  %r = quilt.relu %y : tensor<1x2x5x6xf32>
  return %r : tensor<1x2x5x6xf32>
}

// 4-D input block: max 4 of 10 rows, 1*2*4*6 floats; halo'd: max 5 rows; conv out: max 2 rows.
// The pack region: rank 1 (rows 4..6, outputs 2 and 3) receives row 3 and
// row 7, two strided slabs of 2 x 6 floats (96 bytes), and sends none; rank 0
// sends one (48). The most of any rank sizes the region.
// CHECK: module attributes {quilt.arena_bytes = {{[0-9]+}} : i64, quilt.pack_scratch_bytes = 96 : i64, quilt.weights_bytes = 144 : i64}
// CHECK: llvm.mlir.global external constant @quilt_model_info("{{.*}}\22mesh\22:{\22axes\22:[{\22name\22:\22x\22,\22size\22:3}]{{.*}}\22pack_scratch_bytes\22:96
// The halo exchange's params: 2 tensors; the input (dim 2 split on axis 0), then the output (dim 2 with its window), then the dim.
// CHECK: llvm.mlir.global internal constant @__quilt_params_0(dense<[2, 4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 6, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 10, 0, 2, 1, 3, 1, 5, 0, 0, 0, 4, 1, 1, 1, -1, -1, 6, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2]>
// CHECK-LABEL: llvm.func @quilt_model_run(%{{.*}}: !llvm.ptr)
// CHECK: llvm.call @quilt_rt_arena
// CHECK: llvm.call @quilt_rt_weights
// CHECK: llvm.call @quilt_rt_halo_exchange(%{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK: llvm.call @quilt_rt_conv(
// CHECK: llvm.call @quilt_rt_unary(
// CHECK: llvm.return
// CHECK-NOT: quilt.
