// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime | FileCheck %s
// reduce_scatter becomes quilt_rt_reduce_scatter (attrs: dim, mesh axis index).

quilt.mesh @mesh ["x" = 3]

func.func @main(%x: tensor<1x6x16xf32> {quilt.name = "input"}) -> (tensor<1x6x16xf32> {quilt.name = "output"}) {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"]]>} : tensor<1x6x16xf32>
  %w = quilt.constant dense<0.5> : tensor<16x16xf32>
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %xa : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: llvm.call @quilt_rt_einsum
// CHECK: llvm.call @quilt_rt_reduce_scatter
// CHECK: llvm.call @quilt_rt_binary
