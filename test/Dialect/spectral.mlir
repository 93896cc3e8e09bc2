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
  // CHECK: quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 1 to 2 : tensor<1x?x7x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], {{\[}}[], ["x"], [], []]>> -> tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], {{\[}}[], [], ["x"], []]>>
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 1 to 2 : tensor<1x?x7x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], ["x"], [], []]>> -> tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], [], ["x"], []]>>
  return %y : tensor<1x8x?x2xf32, #quilt.local<@mesh, [1, 8, 7, 2], [[], [], ["x"], []]>>
}

quilt.mesh @mesh2 ["x" = 2, "y" = 3]

// Several axes move at once: both from dim 2 to dim 3; the minor one only;
// and into a dim another axis splits already (they land minor to it).
// CHECK-LABEL: func @all_to_all_several_axes
func.func @all_to_all_several_axes(%a: tensor<1x2x?x5xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], ["x", "y"], []]>>, %b: tensor<1x?x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], ["y"], [], ["x"]]>>) {
  // CHECK: quilt.all_to_all %arg0 on @mesh2 axes ["x", "y"] dim 2 to 3 : {{.*}} -> tensor<1x2x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], {{\[}}[], [], [], ["x", "y"]]>>
  %0 = quilt.all_to_all %a on @mesh2 axes ["x", "y"] dim 2 to 3 : tensor<1x2x?x5xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], ["x", "y"], []]>> -> tensor<1x2x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], [], ["x", "y"]]>>
  // CHECK: quilt.all_to_all %arg0 on @mesh2 axes ["y"] dim 2 to 3 : {{.*}} -> tensor<1x2x?x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], {{\[}}[], [], ["x"], ["y"]]>>
  %1 = quilt.all_to_all %a on @mesh2 axes ["y"] dim 2 to 3 : tensor<1x2x?x5xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], ["x", "y"], []]>> -> tensor<1x2x?x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], ["x"], ["y"]]>>
  // CHECK: quilt.all_to_all %arg1 on @mesh2 axes ["y"] dim 1 to 3 : {{.*}} -> tensor<1x2x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], {{\[}}[], [], [], ["x", "y"]]>>
  %2 = quilt.all_to_all %b on @mesh2 axes ["y"] dim 1 to 3 : tensor<1x?x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], ["y"], [], ["x"]]>> -> tensor<1x2x9x?xf32, #quilt.local<@mesh2, [1, 2, 9, 5], [[], [], [], ["x", "y"]]>>
  return
}
