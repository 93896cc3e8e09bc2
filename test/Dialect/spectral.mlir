// RUN: quilt-opt %s | quilt-opt | FileCheck %s
// quilt.dft and quilt.all_to_all print and parse back to themselves.

// CHECK: quilt.mesh @mesh ["x" = 3]
quilt.mesh @mesh ["x" = 3]

// CHECK-LABEL: func @dft
func.func @dft(%x: tensor<2x8x6x1xf32>) -> tensor<2x8x6x2xf32> {
  // CHECK: %[[R:.*]] = quilt.dft %{{.*}} {axis = 2 : i64, onesided = true} : tensor<2x8x6x1xf32> -> tensor<2x8x4x2xf32>
  %r = quilt.dft %x {axis = 2 : i64, onesided = true} : tensor<2x8x6x1xf32> -> tensor<2x8x4x2xf32>
  // CHECK: %[[C:.*]] = quilt.dft %[[R]] {axis = 1 : i64} : tensor<2x8x4x2xf32> -> tensor<2x8x4x2xf32>
  %c = quilt.dft %r {axis = 1 : i64} : tensor<2x8x4x2xf32> -> tensor<2x8x4x2xf32>
  // CHECK: quilt.dft %[[C]] {axis = 1 : i64, inverse = true}
  %i = quilt.dft %c {axis = 1 : i64, inverse = true} : tensor<2x8x4x2xf32> -> tensor<2x8x4x2xf32>
  // A real input transformed whole.
  // CHECK: quilt.dft %{{.*}} {axis = 2 : i64} : tensor<2x8x6x1xf32> -> tensor<2x8x6x2xf32>
  %f = quilt.dft %x {axis = 2 : i64} : tensor<2x8x6x1xf32> -> tensor<2x8x6x2xf32>
  return %f : tensor<2x8x6x2xf32>
}

// CHECK-LABEL: func @all_to_all
func.func @all_to_all(%x: tensor<1x?x7x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], ["x"], [], []]>>) -> tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], [], ["x"], []]>> {
  // CHECK: quilt.all_to_all %{{.*}} on @mesh axis "x" dim 1 to 2 : tensor<1x?x7x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], {{\[}}[], ["x"], [], []]>> -> tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], {{\[}}[], [], ["x"], []]>>
  %y = quilt.all_to_all %x on @mesh axis "x" dim 1 to 2 : tensor<1x?x7x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], ["x"], [], []]>> -> tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], [], ["x"], []]>>
  return %y : tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], [], ["x"], []]>>
}
