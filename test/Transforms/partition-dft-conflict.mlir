// RUN: quilt-opt %s --quilt-propagate-sharding | FileCheck %s --check-prefix=PROP
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// A concat feeding an inverse DFT along its split dim, whose operands use the
// moving axis elsewhere: the axis cannot move to another dim of the result
// (it would split two dims), so the operands' decision stands and the second
// operand is resharded once (x moves from H to C by one all-to-all, y is
// sliced), not transposed twice.

quilt.mesh @mesh ["x" = 2, "y" = 2]
// PROP: quilt.concat {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], ["x"], [], ["y"], []]>]
// CHECK-LABEL: func @concat_before_inverse_dft
func.func @concat_before_inverse_dft(%a: tensor<1x8x4x6x2xf32>, %b: tensor<1x8x4x6x2xf32>) -> tensor<1x8x8x6x2xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], ["x"], [], ["y"], []]>} : tensor<1x8x4x6x2xf32>
  %bb = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], ["x"], [], []]>} : tensor<1x8x4x6x2xf32>
  // CHECK: quilt.all_to_all %arg1 on @mesh axes ["x"] dim 2 to 1
  // CHECK-NOT: quilt.all_to_all
  // CHECK: quilt.shard_slice %{{.*}} on @mesh axis "y" dim 3
  // CHECK-NOT: quilt.all_to_all
  // CHECK: quilt.concat
  // CHECK-NOT: quilt.all_to_all
  // CHECK: quilt.dft
  %c = quilt.concat %aa, %bb {axis = 2 : i64, quilt.transpose_for_dft} : tensor<1x8x4x6x2xf32>, tensor<1x8x4x6x2xf32> -> tensor<1x8x8x6x2xf32>
  %d = quilt.dft %c {axis = 2 : i64, inverse = true} : tensor<1x8x8x6x2xf32> -> tensor<1x8x8x6x2xf32>
  return %d : tensor<1x8x8x6x2xf32>
}
