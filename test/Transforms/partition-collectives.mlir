// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

quilt.mesh @mesh ["x" = 4]

// CHECK-LABEL: func @global_pool_head
func.func @global_pool_head(%x: tensor<1x8x45x37xf32> {quilt.name = "input"}, %m: tensor<10x8xf32>) -> tensor<1x10xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x8x45x37xf32>
  // Each rank divides its local sum by the global count; an all-reduce sums.
  // CHECK: %[[P:.*]] = quilt.reduce_mean %{{.*}} dims [2, 3] {divisor = 1.665000e+03 : f64} : tensor<1x8x?x37xf32, #quilt.local<@mesh, [1, 8, 45, 37], {{\[}}[], [], ["x"], []]>> -> tensor<1x8x1x1xf32>
  // CHECK: %[[S:.*]] = quilt.all_reduce %[[P]] on @mesh axes ["x"] kind = sum : tensor<1x8x1x1xf32>
  // CHECK: quilt.reshape %[[S]]
  %g = quilt.reduce_mean %xa dims [2, 3] : tensor<1x8x45x37xf32> -> tensor<1x8x1x1xf32>
  %f = quilt.reshape %g : tensor<1x8x1x1xf32> -> tensor<1x8xf32>
  %y = quilt.gemm %f, %m {trans_b = true} : tensor<1x8xf32>, tensor<10x8xf32> -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// CHECK-LABEL: func @flatten_gathers
func.func @flatten_gathers(%x: tensor<1x2x10x3xf32> {quilt.name = "input"}) -> tensor<1x60xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x10x3xf32>
  // REMARK: remark: all-gather of dim 2 (split over mesh axis "x") before quilt.reshape: it needs that dim whole
  // CHECK: %[[G:.*]] = quilt.all_gather %{{.*}} on @mesh axis "x" dim 2 : tensor<1x2x?x3xf32, {{.*}}> -> tensor<1x2x10x3xf32>
  // CHECK: quilt.reshape %[[G]] : tensor<1x2x10x3xf32> -> tensor<1x60xf32>
  %f = quilt.reshape %xa : tensor<1x2x10x3xf32> -> tensor<1x60xf32>
  return %f : tensor<1x60xf32>
}

// CHECK-LABEL: func @replicated_meets_split
func.func @replicated_meets_split(%x: tensor<1x2x10x3xf32> {quilt.name = "input"}) -> tensor<1x2x10x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x10x3xf32>
  // A full-size constant operand is sliced locally, with no communication.
  %c = quilt.constant dense<2.0> : tensor<1x2x10x3xf32>
  // CHECK: %[[C:.*]] = quilt.shard_slice %{{.*}} on @mesh axis "x" dim 2 : tensor<1x2x10x3xf32> -> tensor<1x2x?x3xf32
  // CHECK: quilt.add %{{.*}}, %[[C]]
  %y = quilt.add %xa, %c : tensor<1x2x10x3xf32>, tensor<1x2x10x3xf32> -> tensor<1x2x10x3xf32>
  return %y : tensor<1x2x10x3xf32>
}

// CHECK-LABEL: func @split_contraction_bias
func.func @split_contraction_bias(%x: tensor<12x8xf32> {quilt.name = "input"}, %w: tensor<8x5xf32>, %b: tensor<1x5xf32>) -> tensor<12x5xf32> {
  // The bias is added once, after the partial sums are reduced.
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<12x8xf32>
  // CHECK: %[[Y:.*]] = quilt.gemm %{{.*}}, %{{.*}} : tensor<12x?xf32
  // CHECK: %[[R:.*]] = quilt.all_reduce %[[Y]] on @mesh axes ["x"] kind = sum : tensor<12x5xf32>
  // CHECK: quilt.add %[[R]], %{{.*}} : tensor<12x5xf32>, tensor<1x5xf32> -> tensor<12x5xf32>
  %y = quilt.gemm %a, %w, %b : tensor<12x8xf32>, tensor<8x5xf32>, tensor<1x5xf32> -> tensor<12x5xf32>
  return %y : tensor<12x5xf32>
}

// CHECK-LABEL: func @split_contraction_scaled_bias
func.func @split_contraction_scaled_bias(%x: tensor<12x8xf32> {quilt.name = "input"}, %w: tensor<8x5xf32>, %b: tensor<1x5xf32>) -> tensor<12x5xf32> {
  // beta scales C, which is added once, after the partial sums are reduced.
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<12x8xf32>
  // CHECK: %[[Y:.*]] = quilt.gemm %{{.*}}, %{{.*}} {alpha = 2.500000e-01 : f32, beta = 5.000000e-01 : f32} : tensor<12x?xf32
  // CHECK: %[[R:.*]] = quilt.all_reduce %[[Y]] on @mesh axes ["x"] kind = sum : tensor<12x5xf32>
  // CHECK: %[[BETA:.*]] = quilt.constant dense<5.000000e-01> : tensor<1x1xf32>
  // CHECK: %[[C:.*]] = quilt.mul %{{.*}}, %[[BETA]] : tensor<1x5xf32>, tensor<1x1xf32> -> tensor<1x5xf32>
  // CHECK: quilt.add %[[R]], %[[C]] : tensor<12x5xf32>, tensor<1x5xf32> -> tensor<12x5xf32>
  %y = quilt.gemm %a, %w, %b {alpha = 0.25 : f32, beta = 0.5 : f32} : tensor<12x8xf32>, tensor<8x5xf32>, tensor<1x5xf32> -> tensor<12x5xf32>
  return %y : tensor<12x5xf32>
}

// CHECK-LABEL: func @different_splits
func.func @different_splits(%x: tensor<1x2x10x6xf32>, %y: tensor<1x2x10x6xf32>) -> tensor<1x2x10x6xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x10x6xf32>
  %ya = quilt.annotate %y {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x2x10x6xf32>
  // Moving either costs the same; the first operand's split (H) wins: mesh
  // axis "x" moves from W to H in the second by one all-to-all.
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 3 to dim 2 before quilt.add: its operands are split differently and operand 0 dim 2's split is kept: moves 90 bytes per rank either way, and the earlier operand wins
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 3 to 2 : tensor<1x2x10x?xf32, {{.*}}> -> tensor<1x2x?x6xf32, #quilt.local<@mesh, [1, 2, 10, 6], {{\[}}[], [], ["x"], []]>>
  // CHECK: quilt.add %{{.*}}, %[[T]]
  %s = quilt.add %xa, %ya : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  return %s : tensor<1x2x10x6xf32>
}

// CHECK-LABEL: func @channel_split_fused_relu
func.func @channel_split_fused_relu(%x: tensor<1x6x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], [], []]>} : tensor<1x6x4x4xf32>
  %w = quilt.constant dense<1.0> : tensor<2x6x1x1xf32>
  %b = quilt.constant dense<0.5> : tensor<2xf32>
  // Split input channels: each rank's conv is a partial sum; bias and ReLU apply once, after it.
  // CHECK: %[[C:.*]] = quilt.conv %{{.*}}, %{{[^,]*}} {dilations
  // CHECK-NOT: activation
  // CHECK-SAME: -> tensor<1x2x4x4xf32>
  // CHECK: %[[R:.*]] = quilt.all_reduce %[[C]] on @mesh axes ["x"] kind = sum
  // CHECK: %[[B:.*]] = quilt.add %[[R]], %{{.*}} : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>
  // CHECK: %[[Y:.*]] = quilt.relu %[[B]]
  // CHECK: return %[[Y]]
  %c = quilt.conv %xa, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, activation = #quilt.activation<relu>} : tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  return %c : tensor<1x2x4x4xf32>
}
