// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2,3" --quilt-propagate-sharding --quilt-partition --quilt-share-halos | FileCheck %s
// quilt-share-halos on a 2x3 mesh (H over x, W over y): each reader exchanges
// H, then W of the H-halo'd value. The H exchanges merge first; the W
// exchanges then read one value and merge too, and the merged W exchange
// carries the merged H halo (the corners of the widest reader).

// CHECK-LABEL: func @pyramid2d
// CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 window <stride = 1, dilation = 2, kernel = 3, pad_lo = 2> global = 9 -> global_out = 9
// CHECK: %[[W:.*]] = quilt.halo_exchange %[[H]] on @mesh axis "y" dim 3 window <stride = 1, dilation = 2, kernel = 3, pad_lo = 2> global = 7 -> global_out = 7
// CHECK-SAME: halos = [#quilt.halo<dim = 2, window = <stride = 1, dilation = 2, kernel = 3, pad_lo = 2>, global_out = 9, boundary = zero>, #quilt.halo<dim = 3, window = <stride = 1, dilation = 2, kernel = 3, pad_lo = 2>, global_out = 7, boundary = zero>]
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.conv %[[W]], {{.*}}dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>
// CHECK: quilt.conv %[[W]], {{.*}}dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 2, 2, 2, 2>
// CHECK-NOT: quilt.halo_exchange
// CHECK: return
func.func @pyramid2d(%x: tensor<1x2x9x7xf32> {quilt.name = "input"}) -> tensor<1x4x9x7xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %a = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x9x7xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x9x7xf32>
  %b = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 1 : i64} : tensor<1x2x9x7xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x9x7xf32>
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x2x9x7xf32>, tensor<1x2x9x7xf32> -> tensor<1x4x9x7xf32>
  return %y : tensor<1x4x9x7xf32>
}
