// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-distribute-flatten-contraction --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-distribute-flatten-contraction 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// A Linear after Flatten of a split map: partial sums and one all-reduce, no gather.

quilt.mesh @mesh ["x" = 3]

// CHECK-LABEL: func @head
func.func @head(%x: tensor<1x2x5x3xf32>) -> tensor<1x4xf32> {
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x5x3xf32>
  %f = quilt.reshape %a : tensor<1x2x5x3xf32> -> tensor<1x30xf32>
  %w = quilt.constant dense<0.5> : tensor<4x30xf32>
  %b = quilt.constant dense<1.0> : tensor<1x4xf32>
  // CHECK-NOT: quilt.all_gather
  // CHECK: %[[X:.*]] = quilt.reshape %{{.*}} -> tensor<1x2x?x3x1xf32, #quilt.local<@mesh, [1, 2, 5, 3, 1], {{\[}}[], [], ["x"], [], []]>>
  // CHECK: %[[W:.*]] = quilt.constant dense<5.000000e-01> : tensor<1x2x5x3x4xf32>
  // CHECK: %[[WL:.*]] = quilt.shard_slice %[[W]] on @mesh axis "x" dim 2
  // CHECK: %[[P:.*]] = quilt.mul %[[X]], %[[WL]]
  // CHECK: %[[S:.*]] = quilt.reduce_sum %[[P]] dims [1, 2, 3] {{.*}} -> tensor<1x1x1x1x4xf32>
  // CHECK: %[[R:.*]] = quilt.all_reduce %[[S]] on @mesh axes ["x"] kind = sum
  // CHECK: %[[Y:.*]] = quilt.reshape %[[R]] : tensor<1x1x1x1x4xf32> -> tensor<1x4xf32>
  // CHECK: quilt.add %[[Y]], %{{.*}} : tensor<1x4xf32>, tensor<1x4xf32> -> tensor<1x4xf32>
  // REMARK: remark: contracting quilt.gemm over the unflattened dims of a split input (no all-gather)
  %y = quilt.gemm %f, %w, %b {trans_b = true} : tensor<1x30xf32>, tensor<4x30xf32>, tensor<1x4xf32> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
