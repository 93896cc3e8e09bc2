// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// Partial sums over several mesh axes of an uneven 3x2 mesh, sliced by some
// of them: one reduce-scatter over the sliced axes (nested blocks, in slice
// order), and an all-reduce over the rest of the smaller block.

quilt.mesh @mesh ["x" = 3, "y" = 2]

// CHECK-LABEL: func @both_axes
func.func @both_axes(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32>) -> tensor<1x6x16xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x", "y"]]>} : tensor<1x6x16xf32>
  // CHECK: %[[P:.*]] = quilt.einsum
  // CHECK-NOT: quilt.all_reduce
  // CHECK-NOT: quilt.shard_slice
  // CHECK: %[[S:.*]] = quilt.reduce_scatter %[[P]] on @mesh axes ["x", "y"] dim 2 : tensor<1x6x16xf32> -> tensor<1x6x?xf32, #quilt.local<@mesh, [1, 6, 16], {{\[}}[], [], ["x", "y"]]>>
  // CHECK-NEXT: quilt.add %[[S]], %arg0
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %xa : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}

// CHECK-LABEL: func @axes_in_mesh_order_or_not
func.func @axes_in_mesh_order_or_not(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32>) -> tensor<1x6x16xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["y", "x"]]>} : tensor<1x6x16xf32>
  // CHECK: quilt.reduce_scatter %{{.*}} on @mesh axes ["y", "x"] dim 2 : tensor<1x6x16xf32> -> tensor<1x6x?xf32, #quilt.local<@mesh, [1, 6, 16], {{\[}}[], [], ["y", "x"]]>>
  %y = quilt.einsum %xa, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %xa : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}

// CHECK-LABEL: func @slices_one_of_two
func.func @slices_one_of_two(%x: tensor<4x6x16xf32> {quilt.name = "input"}, %w: tensor<6x16x8xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["y"], ["x"]]>} : tensor<4x6x16xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [["x"], []]>} : tensor<8x4xf32>
  // Two contracted letters leave a sum owed over x and y; the add wants it
  // split over x only: reduce-scatter over x, then all-reduce the third over y.
  // CHECK: %[[P:.*]] = quilt.einsum
  // CHECK-NEXT: %[[S:.*]] = quilt.reduce_scatter %[[P]] on @mesh axes ["x"] dim 0 : tensor<8x4xf32> -> tensor<?x4xf32, #quilt.local<@mesh, [8, 4], {{\[}}["x"], []]>>
  // CHECK-NEXT: %[[R:.*]] = quilt.all_reduce %[[S]] on @mesh axes ["y"] kind = sum : tensor<?x4xf32, #quilt.local<@mesh, [8, 4], {{\[}}["x"], []]>>
  // CHECK-NEXT: quilt.add %[[R]], %arg2
  %y = quilt.einsum %xa, %w {equation = "bte,tef->fb"} : tensor<4x6x16xf32>, tensor<6x16x8xf32> -> tensor<8x4xf32>
  %z = quilt.add %y, %ba : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %z : tensor<8x4xf32>
}

// CHECK-LABEL: func @minor_to_a_split_dim
func.func @minor_to_a_split_dim(%x: tensor<1x6x16xf32> {quilt.name = "input"}, %w: tensor<16x16xf32>, %b: tensor<1x6x16xf32>) -> tensor<1x6x16xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["y"]]>} : tensor<1x6x16xf32>
  %wa = quilt.annotate %w {sharding = #quilt.sharding<@mesh, [["y"], ["x"]]>} : tensor<16x16xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], ["x", "y"]]>} : tensor<1x6x16xf32>
  // The result's dim 2 is split by x and owes a sum over y; the add wants it
  // split by x then y: the reduce-scatter splits each rank's x block over y.
  // CHECK: %[[P:.*]] = quilt.einsum
  // CHECK-NEXT: %[[S:.*]] = quilt.reduce_scatter %[[P]] on @mesh axes ["y"] dim 2 : tensor<1x6x?xf32, #quilt.local<@mesh, [1, 6, 16], {{\[}}[], [], ["x"]]>> -> tensor<1x6x?xf32, #quilt.local<@mesh, [1, 6, 16], {{\[}}[], [], ["x", "y"]]>>
  // CHECK-NEXT: quilt.add %[[S]], %arg2
  %y = quilt.einsum %xa, %wa {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32>
  %z = quilt.add %y, %ba : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32>
  return %z : tensor<1x6x16xf32>
}
