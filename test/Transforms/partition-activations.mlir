// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// Activations keep every split with no communication; LogSoftmax over a split
// axis merges per-rank statistics (a max and a sum all-reduce), never a gather.

quilt.mesh @mesh ["x" = 3]

// CHECK-NOT: remark
// CHECK-LABEL: func @activations_split
func.func @activations_split(%x: tensor<1x4x10x6xf32> {quilt.name = "input"}, %slope: tensor<1x4x1x1xf32>) -> tensor<1x4x10x6xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x4x10x6xf32>
  // CHECK: %[[A:.*]] = quilt.hard_swish %{{.*}} : tensor<1x4x?x6xf32, #quilt.local<@mesh, [1, 4, 10, 6], {{\[}}[], [], ["x"], []]>>
  // CHECK: %[[B:.*]] = quilt.celu %[[A]] {alpha = 2.000000e+00 : f32} : tensor<1x4x?x6xf32, #quilt.local
  // The per-channel slope is replicated: it broadcasts over the split rows.
  // CHECK: quilt.prelu %[[B]], %arg1 : tensor<1x4x?x6xf32, #quilt.local<{{.*}}>>, tensor<1x4x1x1xf32> -> tensor<1x4x?x6xf32, #quilt.local
  // CHECK-NOT: quilt.all_gather
  %a = quilt.hard_swish %xa : tensor<1x4x10x6xf32>
  %b = quilt.celu %a {alpha = 2.0 : f32} : tensor<1x4x10x6xf32>
  %c = quilt.prelu %b, %slope : tensor<1x4x10x6xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x10x6xf32>
  return %c : tensor<1x4x10x6xf32>
}

// CHECK-LABEL: func @log_softmax_split_axis
func.func @log_softmax_split_axis(%x: tensor<2x10x4xf32> {quilt.name = "input"}) -> tensor<2x10x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  // CHECK: %[[M:.*]] = quilt.reduce_max %{{.*}} dims [1] : tensor<2x?x4xf32, #quilt.local<@mesh, [2, 10, 4], {{\[}}[], ["x"], []]>> -> tensor<2x1x4xf32>
  // CHECK: %[[GM:.*]] = quilt.all_reduce %[[M]] on @mesh axes ["x"] kind = max
  // CHECK: %[[D:.*]] = quilt.sub %{{.*}}, %[[GM]]
  // CHECK: %[[E:.*]] = quilt.exp %[[D]]
  // CHECK: %[[S:.*]] = quilt.reduce_sum %[[E]] dims [1]
  // CHECK: %[[GS:.*]] = quilt.all_reduce %[[S]] on @mesh axes ["x"] kind = sum
  // CHECK: %[[L:.*]] = quilt.log %[[GS]] : tensor<2x1x4xf32>
  // CHECK: %[[Y:.*]] = quilt.sub %[[D]], %[[L]] : tensor<2x?x4xf32, #quilt.local<{{.*}}>>, tensor<2x1x4xf32> -> tensor<2x?x4xf32
  // CHECK: return %[[Y]]
  %y = quilt.log_softmax %xa {axis = 1 : i64} : tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}

// CHECK-LABEL: func @log_softmax_whole_axis
func.func @log_softmax_whole_axis(%x: tensor<2x10x4xf32> {quilt.name = "input"}) -> tensor<2x10x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  // An unsplit axis stays one local log-softmax.
  // CHECK: quilt.log_softmax %{{.*}} {axis = 2 : i64}
  // CHECK-NOT: all_reduce
  %y = quilt.log_softmax %xa {axis = 2 : i64} : tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}
