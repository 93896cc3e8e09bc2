// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// A DFT on the split H: quilt_rt_all_to_all (attrs: dim, to_dim, the number
// of moving mesh axes and their indices, the algorithm: 0, the library's, as
// no pass chose one), then quilt_rt_dft (attrs: axis, inverse, onesided).

func.func @main(%x: tensor<1x6x4x1xf32> {quilt.name = "input"}) -> (tensor<1x6x3x2xf32> {quilt.name = "output"}) {
  %y = quilt.dft %x {axis = 2 : i64, onesided = true} : tensor<1x6x4x1xf32> -> tensor<1x6x3x2xf32>
  return %y : tensor<1x6x3x2xf32>
}

// The default split is H (dim 2, 4 rows); the all-to-all moves it to dim 1
// (6 channels; dim 3 has 1 position): input [1, 6/x, 4, 1] -> [1, 6, 4/x, 1].
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_0(dense<[2, 4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 6, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2, 1, 1, 0, 0]>
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_1(dense<[2, 4, 1, -1, {{.*}}, 2, 0, 1]>
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: llvm.call @quilt_rt_all_to_all(
// CHECK: llvm.call @quilt_rt_dft(
// CHECK: llvm.return
