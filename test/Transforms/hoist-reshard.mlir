// RUN: quilt-opt %s --quilt-propagate-sharding | FileCheck %s --check-prefix=PROP
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// The reshard that resolves a conflict moves upstream while that moves fewer
// bytes: through single-use results of ops that can produce the wanted
// layout from their operands' (here a conv that widens one channel to four).

quilt.mesh @mesh ["x" = 3]

// PROP-LABEL: func @before_widening_conv
// CHECK-LABEL: func @before_widening_conv
func.func @before_widening_conv(%f: tensor<1x2x12x9xf32>, %g: tensor<1x1x12x9xf32>) -> tensor<1x4x12x9xf32> {
  %fa = quilt.annotate %f {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x2x12x9xf32>
  %ga = quilt.annotate %g {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x12x9xf32>
  %wf = quilt.constant dense<0.5> : tensor<4x2x3x3xf32>
  %wg = quilt.constant dense<0.25> : tensor<4x1x5x1xf32>
  %cf = quilt.conv %fa, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x12x9xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x12x9xf32>
  // The add keeps the first operand's split (W); the 1-channel input of the
  // second conv moves instead of its 4-channel result, and that conv's 5x1
  // kernel then needs no halo along the split W.
  // PROP: %[[R:.*]] = quilt.annotate %{{.*}} {priority = 0 : i64, quilt.reshard_reason = "moved up from quilt.add, where its operands are split differently and operand 0 dim 3's split is kept: moves 384 bytes per rank either way, and the earlier operand wins; here it moves 96 bytes per rank instead of 384", quilt.sharding_origin = "a reshard moved up from quilt.add{{.*}}", quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>], sharding = #quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>} : tensor<1x1x12x9xf32>
  // PROP: quilt.conv %[[R]], {{.*}}quilt.sharding_origin = "operand 0 dim 3 (windowed)"
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 2 to 3 : tensor<1x1x?x9xf32, {{.*}}> -> tensor<1x1x12x?xf32, #quilt.local<@mesh, [1, 1, 12, 9], {{\[}}[], [], [], ["x"]]>>
  // CHECK-NOT: quilt.halo_exchange
  // CHECK: quilt.conv %[[T]]
  // CHECK-NOT: quilt.all_to_all
  // CHECK: quilt.add
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 2 to dim 3 before quilt.conv: moved up from quilt.add, where its operands are split differently and operand 0 dim 3's split is kept: moves 384 bytes per rank either way, and the earlier operand wins; here it moves 96 bytes per rank instead of 384
  %cg = quilt.conv %ga, %wg {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 2, 0, 2, 0>, group = 1 : i64} : tensor<1x1x12x9xf32>, tensor<4x1x5x1xf32> -> tensor<1x4x12x9xf32>
  %s = quilt.add %cf, %cg : tensor<1x4x12x9xf32>, tensor<1x4x12x9xf32> -> tensor<1x4x12x9xf32>
  return %s : tensor<1x4x12x9xf32>
}

// PROP-LABEL: func @shared_value_stays
// CHECK-LABEL: func @shared_value_stays
func.func @shared_value_stays(%f: tensor<1x2x12x9xf32>, %g: tensor<1x1x12x9xf32>) -> (tensor<1x4x12x9xf32>, tensor<1x4x12x9xf32>) {
  %fa = quilt.annotate %f {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x2x12x9xf32>
  %ga = quilt.annotate %g {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x12x9xf32>
  %wf = quilt.constant dense<0.5> : tensor<4x2x3x3xf32>
  %wg = quilt.constant dense<0.25> : tensor<4x1x5x1xf32>
  %cf = quilt.conv %fa, %wf {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x12x9xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x12x9xf32>
  %cg = quilt.conv %ga, %wg {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 2, 0, 2, 0>, group = 1 : i64} : tensor<1x1x12x9xf32>, tensor<4x1x5x1xf32> -> tensor<1x4x12x9xf32>
  // The second conv's result has another user, which keeps its H split: the
  // reshard stays at the add.
  // PROP-NOT: quilt.reshard_reason
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 2 to 3
  // CHECK: quilt.add %{{.*}}, %[[T]]
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 2 to dim 3 before quilt.add: its operands are split differently and operand 0 dim 3's split is kept
  %s = quilt.add %cf, %cg : tensor<1x4x12x9xf32>, tensor<1x4x12x9xf32> -> tensor<1x4x12x9xf32>
  %r = quilt.relu %cg : tensor<1x4x12x9xf32>
  return %s, %r : tensor<1x4x12x9xf32>, tensor<1x4x12x9xf32>
}
