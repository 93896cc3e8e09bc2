// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// Table-driven elementwise ops lower to one runtime entry each: the kind and
// its parameters (alpha, beta as double bits, 0 when unused) after the layouts.

func.func @main(%x: tensor<1x2x8x6xf32> {quilt.name = "input"}) -> (tensor<1x2x8x6xf32> {quilt.name = "output"}) {
  %slope = quilt.constant dense<[[[[0.25]], [[0.5]]]]> : tensor<1x2x1x1xf32>
  %a = quilt.hard_sigmoid %x {alpha = 2.5e-01 : f32, beta = 5.0e-01 : f32} : tensor<1x2x8x6xf32>
  %b = quilt.round %a : tensor<1x2x8x6xf32>
  %c = quilt.prelu %b, %slope : tensor<1x2x8x6xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x8x6xf32>
  %d = quilt.log_softmax %c {axis = 1 : i64} : tensor<1x2x8x6xf32>
  return %d : tensor<1x2x8x6xf32>
}

// hard_sigmoid: kind 12, alpha 0.25 (0x3FD0000000000000), beta 0.5 (0x3FE0000000000000).
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_0(dense<[2, {{.*}}, 12, 4598175219545276416, 4602678819172646912]>
// round: kind 25, no parameters.
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_1(dense<[2, {{.*}}, 25, 0, 0]>
// prelu: binary kind 12.
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_2(dense<[3, {{.*}}, 12]>
// log_softmax: the softmax entry with axis 1 and log = 1.
// CHECK-DAG: llvm.mlir.global internal constant @__quilt_params_3(dense<[2, {{.*}}, 1, 1]>
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: llvm.call @quilt_rt_unary(
// CHECK: llvm.call @quilt_rt_unary(
// CHECK-NOT: all_gather
// CHECK: llvm.call @quilt_rt_binary(
// CHECK: llvm.call @quilt_rt_softmax(
// CHECK: llvm.return
