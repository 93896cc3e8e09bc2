// RUN: quilt-opt %s --quilt-shrink-spectral-transposes --quilt-annotate-inputs="mesh-shape=2,3 shard=x:2=0,3=1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// The spectral half of an FNO layer on a 2x3 mesh, H (9 rows) over x and W
// (8 columns) over y, both uneven. The real DFT along W moves y to the
// channels (H is taken); the DFT along H moves x to the kept W modes (cut
// before it: 3 of 5); the inverse's zero-fill of W moves x back to H first.

// CHECK-LABEL: func @fno_spectral
func.func @fno_spectral(%x: tensor<1x6x9x8x1xf32> {quilt.name = "x"}) -> tensor<1x6x9x8x2xf32> {
  // CHECK: %[[A:.*]] = quilt.all_to_all %arg0 on @mesh axes ["y"] dim 3 to 1 : tensor<1x6x?x?x1xf32, {{.*}}> -> tensor<1x?x?x8x1xf32, #quilt.local<@mesh, [1, 6, 9, 8, 1], {{\[}}[], ["y"], ["x"], [], []]>>
  // CHECK: %[[W:.*]] = quilt.dft %[[A]] {axis = 3 : i64, onesided = true}
  // CHECK: %[[K:.*]] = quilt.slice %[[W]] {{.*}} -> tensor<1x?x?x3x2xf32
  // CHECK: %[[B:.*]] = quilt.all_to_all %[[K]] on @mesh axes ["x"] dim 2 to 3 : {{.*}} -> tensor<1x?x9x?x2xf32, #quilt.local<@mesh, [1, 6, 9, 3, 2], {{\[}}[], ["y"], [], ["x"], []]>>
  // CHECK: %[[H:.*]] = quilt.dft %[[B]] {axis = 2 : i64}
  // CHECK: %[[I:.*]] = quilt.dft %{{.*}} {axis = 2 : i64, inverse = true}
  // CHECK: %[[C:.*]] = quilt.all_to_all %[[I]] on @mesh axes ["x"] dim 3 to 2 : {{.*}} -> tensor<1x?x?x3x2xf32, #quilt.local<@mesh, [1, 6, 9, 3, 2], {{\[}}[], ["y"], ["x"], [], []]>>
  // CHECK: %[[P:.*]] = quilt.pad %[[C]]
  // CHECK: quilt.dft %[[P]] {axis = 3 : i64, inverse = true}
  // CHECK-NOT: quilt.all_gather
  // CHECK-NOT: quilt.halo_exchange
  %a = quilt.dft %x {axis = 3 : i64, onesided = true} : tensor<1x6x9x8x1xf32> -> tensor<1x6x9x5x2xf32>
  %b = quilt.dft %a {axis = 2 : i64} : tensor<1x6x9x5x2xf32> -> tensor<1x6x9x5x2xf32>
  %m = quilt.slice %b {starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>} : tensor<1x6x9x5x2xf32> -> tensor<1x6x9x3x2xf32>
  %p = quilt.pad %m {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 5, 0>, value = 0.0 : f32} : tensor<1x6x9x3x2xf32> -> tensor<1x6x9x8x2xf32>
  %i = quilt.dft %p {axis = 2 : i64, inverse = true} : tensor<1x6x9x8x2xf32> -> tensor<1x6x9x8x2xf32>
  %j = quilt.dft %i {axis = 3 : i64, inverse = true} : tensor<1x6x9x8x2xf32> -> tensor<1x6x9x8x2xf32>
  return %j : tensor<1x6x9x8x2xf32>
}
