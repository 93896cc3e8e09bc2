// RUN: quilt-opt %s --quilt-shrink-spectral-transposes --quilt-annotate-inputs="mesh-shape=3,2 shard=x:2=0,2=1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// The spectral half of an FNO layer on a 3x2 mesh with H (9 rows, uneven)
// split by both axes in nested blocks. The DFT along W is local; the DFT
// along H moves both axes at once, by one all-to-all over all six ranks, to
// the 3 kept W modes (a signal dim, though three ranks get no mode: split
// channels would make an FNO's channel mixing partial), and back to H, still
// carrying only the kept modes, before the zero-fill and the inverse along
// W. Nothing is gathered.

// CHECK-NOT: remark
// CHECK-LABEL: func @fno_spectral
// CHECK: %[[W:.*]] = quilt.dft %arg0 {axis = 3 : i64, onesided = true}
// CHECK: %[[K:.*]] = quilt.slice %[[W]] {{.*}} -> tensor<1x6x?x3x2xf32
// CHECK: %[[A:.*]] = quilt.all_to_all %[[K]] on @mesh axes ["x", "y"] dim 2 to 3 : tensor<1x6x?x3x2xf32, #quilt.local<@mesh, [1, 6, 9, 3, 2], {{\[}}[], [], ["x", "y"], [], []]>> -> tensor<1x6x9x?x2xf32, #quilt.local<@mesh, [1, 6, 9, 3, 2], {{\[}}[], [], [], ["x", "y"], []]>>
// CHECK: quilt.dft %[[A]] {axis = 2 : i64}
// CHECK: %[[I:.*]] = quilt.dft %{{.*}} {axis = 2 : i64, inverse = true}
// CHECK: %[[B:.*]] = quilt.all_to_all %[[I]] on @mesh axes ["x", "y"] dim 3 to 2 : tensor<1x6x9x?x2xf32, {{.*}}> -> tensor<1x6x?x3x2xf32
// CHECK: quilt.pad %[[B]]
// CHECK: quilt.dft %{{.*}} {axis = 3 : i64, inverse = true} : {{.*}} -> tensor<1x6x?x8x2xf32, #quilt.local<@mesh, [1, 6, 9, 8, 2], {{\[}}[], [], ["x", "y"], [], []]>>
// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-NOT: quilt.all_to_all
func.func @fno_spectral(%x: tensor<1x6x9x8x1xf32> {quilt.name = "x"}) -> tensor<1x6x9x8x2xf32> {
  %a = quilt.dft %x {axis = 3 : i64, onesided = true} : tensor<1x6x9x8x1xf32> -> tensor<1x6x9x5x2xf32>
  %b = quilt.dft %a {axis = 2 : i64} : tensor<1x6x9x5x2xf32> -> tensor<1x6x9x5x2xf32>
  %m = quilt.slice %b {starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>} : tensor<1x6x9x5x2xf32> -> tensor<1x6x9x3x2xf32>
  %p = quilt.pad %m {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 5, 0>, value = 0.0 : f32} : tensor<1x6x9x3x2xf32> -> tensor<1x6x9x8x2xf32>
  %i = quilt.dft %p {axis = 2 : i64, inverse = true} : tensor<1x6x9x8x2xf32> -> tensor<1x6x9x8x2xf32>
  %j = quilt.dft %i {axis = 3 : i64, inverse = true} : tensor<1x6x9x8x2xf32> -> tensor<1x6x9x8x2xf32>
  return %j : tensor<1x6x9x8x2xf32>
}
