// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s

quilt.mesh @mesh ["x" = 3]

// CHECK-LABEL: func @contraction_feeds_split_consumer
func.func @contraction_feeds_split_consumer(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32>) -> tensor<1x6x16xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"]]>} : tensor<1x6x16xf32>
  // Contracting the split dim leaves partial sums; the add needs them split
  // like %xa, so each rank reduces only its block: a reduce-scatter, not an
  // all-reduce followed by a slice.
  // CHECK: %[[P:.*]] = quilt.einsum
  // CHECK-NOT: quilt.all_reduce
  // CHECK: %[[S:.*]] = quilt.reduce_scatter %[[P]] on @mesh axes ["x"] dim 2 : tensor<1x6x16xf32> -> tensor<1x6x?xf32, #quilt.local<@mesh, [1, 6, 16], {{\[}}[], [], ["x"]]>>
  // CHECK: quilt.add %[[S]], %arg0
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %xa : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}

// CHECK-LABEL: func @contraction_feeds_whole_consumer
func.func @contraction_feeds_whole_consumer(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32>) -> tensor<1x6x16xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"]]>} : tensor<1x6x16xf32>
  // Nobody slices the sum: it stays an all-reduce.
  // CHECK: quilt.all_reduce %{{.*}} on @mesh axes ["x"] kind = sum
  // CHECK-NOT: quilt.reduce_scatter
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  return %y : tensor<1x6x16xf32>
}
