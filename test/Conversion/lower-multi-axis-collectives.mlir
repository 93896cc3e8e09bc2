// RUN: quilt-opt %s -split-input-file --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s
// Collectives over several mesh axes list them after their count, in the
// op's order (major first): quilt_rt_reduce_scatter (attrs: dim, naxes,
// axes, algorithm) and quilt_rt_all_to_all (attrs: dim, to_dim, naxes, axes,
// algorithm; 0, the library's, where no pass chose one).

quilt.mesh @mesh ["x" = 3, "y" = 2]

func.func @main(%x: tensor<1x6x16xf32> {quilt.name = "input"}) -> (tensor<1x6x16xf32> {quilt.name = "output"}) {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["y", "x"]]>} : tensor<1x6x16xf32>
  %w = quilt.constant dense<0.5> : tensor<16x16xf32>
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %xa : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}
// Dim 2 over "y" (1) then "x" (0): the layout words of the result name y
// as its mesh axis and x as its first minor one.
// CHECK: llvm.mlir.global internal constant @[[RS:__quilt_params_[0-9]+]](dense<[2, 3, 1, -1, {{.*}}, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, -1, 2, 2, 1, 0, 0]>
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: llvm.call @quilt_rt_einsum
// CHECK: llvm.mlir.addressof @[[RS]]
// CHECK-NEXT: llvm.call @quilt_rt_reduce_scatter

// -----

quilt.mesh @mesh ["x" = 3, "y" = 2]

func.func @main(%a: tensor<1x2x10x7xf32> {quilt.name = "a"}, %b: tensor<1x2x10x7xf32> {quilt.name = "b"}) -> (tensor<1x2x10x7xf32> {quilt.name = "output"}) {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], [], ["x", "y"]]>} : tensor<1x2x10x7xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], ["x", "y"], []]>} : tensor<1x2x10x7xf32>
  %br = quilt.relu %ba : tensor<1x2x10x7xf32>
  %s = quilt.add %aa, %br : tensor<1x2x10x7xf32>, tensor<1x2x10x7xf32> -> tensor<1x2x10x7xf32>
  return %s : tensor<1x2x10x7xf32>
}
// CHECK: llvm.mlir.global internal constant @[[A2A:__quilt_params_[0-9]+]](dense<[2, 4, {{.*}}, 2, 3, 2, 0, 1, 0]>
// CHECK-LABEL: llvm.func @quilt_model_run
// CHECK: llvm.mlir.addressof @[[A2A]]
// CHECK-NEXT: llvm.call @quilt_rt_all_to_all
