// RUN: quilt-opt %s --split-input-file --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --split-input-file --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quilt-opt %s --split-input-file | quilt-opt --split-input-file | FileCheck %s --check-prefix=ROUNDTRIP

// A plan written by hand, not by propagation: the partitioner reads each op's
// quilt.factor_axes and does what they say. Propagation would keep H split
// through the conv (a halo exchange); this plan splits the output channels
// instead, so H is gathered and the weights sliced.
// CHECK-LABEL: func @channels_by_hand
// CHECK-NOT: quilt.halo_exchange
// CHECK: %[[G:.*]] = quilt.all_gather %arg0 on @mesh axis "x" dim 2 : tensor<1x3x?x8xf32, {{.*}}> -> tensor<1x3x8x8xf32>
// CHECK: %[[W:.*]] = quilt.shard_slice %arg1 on @mesh axis "x" dim 0 : tensor<4x3x3x3xf32> -> tensor<?x3x3x3xf32
// CHECK: quilt.conv %[[G]], %[[W]] {{.*}} -> tensor<1x?x8x8xf32, #quilt.local<@mesh, [1, 4, 8, 8], {{\[}}[], ["x"], [], []]>>
// CHECK-NOT: quilt.factor_axes
// REMARK: remark: all-gather of dim 2 (split over mesh axis "x") before quilt.conv: the plan does not split that dim's factor
// ROUNDTRIP: quilt.factor_axes = {{\[}}[], [], ["x"], [], [], [], []]
quilt.mesh @mesh ["x" = 2]
func.func @channels_by_hand(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x3x8x8xf32>
  %y = quilt.conv %a, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                          pads = array<i64: 1, 1, 1, 1>, quilt.factor_axes = [[], [], ["x"], [], [], [], []]}
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// The same conv with the plan propagation writes: H stays split, one halo.
// CHECK-LABEL: func @rows_by_hand
// CHECK: quilt.halo_exchange %arg0 on @mesh axis "x" dim 2
// CHECK-NOT: quilt.all_gather
quilt.mesh @mesh ["x" = 2]
func.func @rows_by_hand(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x3x8x8xf32>
  %y = quilt.conv %a, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                          pads = array<i64: 1, 1, 1, 1>, quilt.factor_axes = [[], [], [], ["x"], [], [], []]}
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// A DFT's axis move is part of the plan too (quilt.axis_move).
// CHECK-LABEL: func @dft_move_by_hand
// CHECK: quilt.all_to_all %arg0 on @mesh axes ["x"] dim 2 to 1
// CHECK: quilt.dft {{.*}} -> tensor<1x?x10x2xf32
quilt.mesh @mesh ["x" = 2]
func.func @dft_move_by_hand(%x: tensor<1x6x10x2xf32>) -> tensor<1x6x10x2xf32> {
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x6x10x2xf32>
  %y = quilt.dft %a {axis = 2 : i64, quilt.axis_move = {axes = ["x"], from = 2 : i64, to = 1 : i64},
                     quilt.factor_axes = [[], ["x"], [], [], [], []]} : tensor<1x6x10x2xf32> -> tensor<1x6x10x2xf32>
  return %y : tensor<1x6x10x2xf32>
}
