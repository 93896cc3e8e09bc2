// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// ArgMax/ArgMin and CumSum over split axes keep them split: per-block pairs
// or totals cross ranks (P values per position, not the axis), without a
// remark. GatherElements gathers a split axis (with a remark) but keeps other
// dims split when its operands are split alike.

quilt.mesh @mesh ["x" = 3, "y" = 2]

// CHECK-LABEL: func @argmax_nested_axis
func.func @argmax_nested_axis(%x: tensor<2x13x4xf32> {quilt.name = "input"}) -> tensor<2x1x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"], []]>} : tensor<2x13x4xf32>
  // Six blocks of 13 rows (nested: x major): one pair each, the minor axis
  // gathered first.
  // CHECK: %[[C:.*]] = quilt.arg_candidates %{{.*}} {axis = 1 : i64, min = false, select_last = true} : tensor<2x?x4xf32, #quilt.local<@mesh, [2, 13, 4], {{\[}}[], ["x", "y"], []]>> -> tensor<2x?x4x2xf32, #quilt.local<@mesh, [2, 6, 4, 2], {{\[}}[], ["x", "y"], [], []]>>
  // CHECK-NEXT: %[[G1:.*]] = quilt.all_gather %[[C]] on @mesh axis "y" dim 1
  // CHECK-NEXT: %[[G2:.*]] = quilt.all_gather %[[G1]] on @mesh axis "x" dim 1 : {{.*}} -> tensor<2x6x4x2xf32>
  // CHECK-NEXT: %[[S:.*]] = quilt.arg_select %[[G2]] {axis = 1 : i64, min = false, select_last = true} : tensor<2x6x4x2xf32> -> tensor<2x1x4xf32>
  // CHECK-NEXT: return %[[S]]
  %y = quilt.arg_reduce %xa {axis = 1 : i64, select_last = true} : tensor<2x13x4xf32> -> tensor<2x1x4xf32>
  return %y : tensor<2x1x4xf32>
}

// CHECK-LABEL: func @argmin_other_dims_split
func.func @argmin_other_dims_split(%x: tensor<2x13x4xf32> {quilt.name = "input"}) -> tensor<2x1x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], ["y"]]>} : tensor<2x13x4xf32>
  // The other split dim stays split through the candidates and the result.
  // CHECK: quilt.arg_candidates %{{.*}} -> tensor<2x?x?x2xf32, #quilt.local<@mesh, [2, 3, 4, 2], {{\[}}[], ["x"], ["y"], []]>>
  // CHECK-NEXT: quilt.all_gather %{{.*}} on @mesh axis "x" dim 1 : {{.*}} -> tensor<2x3x?x2xf32, #quilt.local<@mesh, [2, 3, 4, 2], {{\[}}[], [], ["y"], []]>>
  // CHECK-NEXT: quilt.arg_select %{{.*}} -> tensor<2x1x?xf32, #quilt.local<@mesh, [2, 1, 4], {{\[}}[], [], ["y"]]>>
  %y = quilt.arg_reduce %xa {axis = 1 : i64, min = true} : tensor<2x13x4xf32> -> tensor<2x1x4xf32>
  return %y : tensor<2x1x4xf32>
}

// CHECK-LABEL: func @argmax_whole_axis
func.func @argmax_whole_axis(%x: tensor<2x13x4xf32> {quilt.name = "input"}) -> tensor<2x13x1xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x13x4xf32>
  // CHECK-NOT: all_gather
  // CHECK: quilt.arg_reduce %{{.*}} {axis = 2 : i64} : tensor<2x?x4xf32, {{.*}}> -> tensor<2x?x1xf32
  %y = quilt.arg_reduce %xa {axis = 2 : i64} : tensor<2x13x4xf32> -> tensor<2x13x1xf32>
  return %y : tensor<2x13x1xf32>
}

// CHECK-LABEL: func @cumsum_nested_reverse
func.func @cumsum_nested_reverse(%x: tensor<2x13xf32> {quilt.name = "input"}) -> tensor<2x13xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"]]>} : tensor<2x13xf32>
  // CHECK: %[[T:.*]] = quilt.block_sum %arg0 {axis = 1 : i64} : tensor<2x?xf32, #quilt.local<@mesh, [2, 13], {{\[}}[], ["x", "y"]]>> -> tensor<2x?xf32, #quilt.local<@mesh, [2, 6], {{\[}}[], ["x", "y"]]>>
  // CHECK-NEXT: %[[G1:.*]] = quilt.all_gather %[[T]] on @mesh axis "y" dim 1
  // CHECK-NEXT: %[[G2:.*]] = quilt.all_gather %[[G1]] on @mesh axis "x" dim 1 : {{.*}} -> tensor<2x6xf32>
  // CHECK-NEXT: %[[E:.*]] = quilt.cumsum %[[G2]] {axis = 1 : i64, exclusive = true, reverse = true} : tensor<2x6xf32>
  // CHECK-NEXT: %[[S1:.*]] = quilt.shard_slice %[[E]] on @mesh axis "x" dim 1
  // CHECK-NEXT: %[[S2:.*]] = quilt.shard_slice %[[S1]] on @mesh axis "y" dim 1 : {{.*}} -> tensor<2x?xf32, #quilt.local<@mesh, [2, 6], {{\[}}[], ["x", "y"]]>>
  // CHECK-NEXT: %[[Y:.*]] = quilt.cumsum %arg0, %[[S2]] {axis = 1 : i64, reverse = true}
  // CHECK-NEXT: return %[[Y]]
  %y = quilt.cumsum %xa {axis = 1 : i64, reverse = true} : tensor<2x13xf32>
  return %y : tensor<2x13xf32>
}

// CHECK-LABEL: func @gather_elements_rows_split
func.func @gather_elements_rows_split(%x: tensor<9x5xf32> {quilt.name = "input"}, %i: tensor<9x3xf32> {quilt.name = "indices"}) -> tensor<9x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["x"], []]>} : tensor<9x5xf32>
  %ia = quilt.annotate %i {sharding = #quilt.sharding<@mesh, [["x"], []]>} : tensor<9x3xf32>
  // CHECK-NOT: all_gather
  // CHECK: quilt.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<?x5xf32, {{.*}}>, tensor<?x3xf32, {{.*}}> -> tensor<?x3xf32, #quilt.local<@mesh, [9, 3], {{\[}}["x"], []]>>
  %y = quilt.gather_elements %xa, %ia {axis = 1 : i64} : tensor<9x5xf32>, tensor<9x3xf32> -> tensor<9x3xf32>
  return %y : tensor<9x3xf32>
}

// CHECK-LABEL: func @gather_elements_axis_split
func.func @gather_elements_axis_split(%x: tensor<9x5xf32> {quilt.name = "input"}, %i: tensor<9x3xf32> {quilt.name = "indices"}) -> tensor<9x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["x"], ["y"]]>} : tensor<9x5xf32>
  %ia = quilt.annotate %i {sharding = #quilt.sharding<@mesh, [["x"], []]>} : tensor<9x3xf32>
  // REMARK: remark: all-gather of dim 1 (split over mesh axis "y") before quilt.gather_elements: it needs that dim whole
  // CHECK: %[[G:.*]] = quilt.all_gather %{{.*}} on @mesh axis "y" dim 1 : {{.*}} -> tensor<?x5xf32, #quilt.local<@mesh, [9, 5], {{\[}}["x"], []]>>
  // CHECK: quilt.gather_elements %[[G]], %{{.*}} {axis = 1 : i64}
  %y = quilt.gather_elements %xa, %ia {axis = 1 : i64} : tensor<9x5xf32>, tensor<9x3xf32> -> tensor<9x3xf32>
  return %y : tensor<9x3xf32>
}
