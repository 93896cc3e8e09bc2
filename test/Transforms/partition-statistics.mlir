// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// Softmax and normalizations over split dims keep them split: statistics
// cross ranks in all-reduces, and nothing is gathered.

quilt.mesh @mesh ["x" = 3, "y" = 2]

// CHECK-NOT: remark
// CHECK-LABEL: func @softmax_split_axis
func.func @softmax_split_axis(%x: tensor<2x10x4xf32> {quilt.name = "input"}) -> tensor<2x10x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], ["y"]]>} : tensor<2x10x4xf32>
  // CHECK: %[[M:.*]] = quilt.reduce_max %{{.*}} dims [1] : tensor<2x?x?xf32, #quilt.local<@mesh, [2, 10, 4], {{\[}}[], ["x"], ["y"]]>> -> tensor<2x1x?xf32, #quilt.local<@mesh, [2, 1, 4], {{\[}}[], [], ["y"]]>>
  // CHECK: %[[GM:.*]] = quilt.all_reduce %[[M]] on @mesh axes ["x"] kind = max
  // CHECK: %[[D:.*]] = quilt.sub %{{.*}}, %[[GM]]
  // CHECK: %[[E:.*]] = quilt.exp %[[D]]
  // CHECK: %[[S:.*]] = quilt.reduce_sum %[[E]] dims [1]
  // CHECK: %[[GS:.*]] = quilt.all_reduce %[[S]] on @mesh axes ["x"] kind = sum
  // CHECK: %[[Y:.*]] = quilt.div %[[E]], %[[GS]]
  // CHECK: return %[[Y]]
  %y = quilt.softmax %xa {axis = 1 : i64} : tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}

// CHECK-LABEL: func @softmax_whole_axis
func.func @softmax_whole_axis(%x: tensor<2x10x4xf32> {quilt.name = "input"}) -> tensor<2x10x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  // An unsplit axis stays one local softmax.
  // CHECK: quilt.softmax %{{.*}} {axis = 2 : i64}
  // CHECK-NOT: all_reduce
  %y = quilt.softmax %xa {axis = 2 : i64} : tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}

// CHECK-LABEL: func @group_norm_2d_split
func.func @group_norm_2d_split(%x: tensor<2x6x11x5xf32> {quilt.name = "input"}, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x6x11x5xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<2x6x11x5xf32>
  // CHECK: %[[M:.*]] = quilt.moments %{{.*}} {groups = 3 : i64, row_dims = 1 : i64} : tensor<2x6x?x?xf32, {{.*}}> -> tensor<2x3x3xf32>
  // CHECK: %[[G:.*]] = quilt.all_reduce %[[M]] on @mesh axes ["x", "y"] kind = moments : tensor<2x3x3xf32>
  // CHECK: quilt.normalize %{{.*}}, %[[G]], %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32, groups = 3 : i64, per_group = true, row_dims = 1 : i64}
  %y = quilt.group_norm %xa, %s, %b {groups = 3 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x11x5xf32>, tensor<3xf32>, tensor<3xf32>
  return %y : tensor<2x6x11x5xf32>
}

// CHECK-LABEL: func @layer_norm_split_rows
func.func @layer_norm_split_rows(%x: tensor<2x9x8xf32> {quilt.name = "input"}, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x9x8xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x9x8xf32>
  // Split rows (tokens) need no communication at all.
  // CHECK: %[[M:.*]] = quilt.moments %{{.*}} {groups = 1 : i64, row_dims = 2 : i64} : tensor<2x?x8xf32, {{.*}}> -> tensor<2x?x1x3xf32, #quilt.local<@mesh, [2, 9, 1, 3], {{\[}}[], ["x"], [], []]>>
  // CHECK-NOT: all_reduce
  // CHECK: quilt.normalize %{{.*}}, %[[M]]
  %y = quilt.layer_norm %xa, %s, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x9x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %y : tensor<2x9x8xf32>
}

// CHECK-LABEL: func @layer_norm_split_normalized
func.func @layer_norm_split_normalized(%x: tensor<2x9x8xf32> {quilt.name = "input"}, %s: tensor<9x8xf32>, %b: tensor<9x8xf32>) -> tensor<2x9x8xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x9x8xf32>
  // Scale and bias are sliced like the normalized dims; moments all-reduced.
  // CHECK-DAG: quilt.shard_slice %{{.*}} on @mesh axis "x" dim 0 : tensor<9x8xf32> -> tensor<?x8xf32
  // CHECK: %[[M:.*]] = quilt.moments %{{.*}} {groups = 1 : i64, row_dims = 1 : i64}
  // CHECK: %[[G:.*]] = quilt.all_reduce %[[M]] on @mesh axes ["x"] kind = moments : tensor<2x1x3xf32>
  // CHECK: quilt.normalize %{{.*}}, %[[G]]
  %y = quilt.layer_norm %xa, %s, %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : tensor<2x9x8xf32>, tensor<9x8xf32>, tensor<9x8xf32>
  return %y : tensor<2x9x8xf32>
}
