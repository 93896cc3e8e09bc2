// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition | FileCheck %s
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=RANKS
// Cubic resizes on P=3 over 10 rows: each output reads the four rows around
// its coordinate (clamped to the domain), one more on each side than linear.

// CHECK-LABEL: func @cubic_up2
func.func @cubic_up2(%x: tensor<1x1x10x4xf32> {quilt.name = "input"}) -> tensor<1x1x20x4xf32> {
  // CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 window <stride = 1, dilation = 1, kernel = 1, pad_lo = 0, mode = resize, sampling = cubic, scale_num = 2> global = 10 -> global_out = 20 boundary = zero
  // CHECK: quilt.resize %[[H]] {coordinate = #quilt<coordinate half_pixel>, cubic_coeff_a = -5.000000e-01 : f32, exclude_outside = true, sampling = #quilt<sampling cubic>
  %y = quilt.resize %x {coordinate = #quilt<coordinate half_pixel>, sampling = #quilt<sampling cubic>, cubic_coeff_a = -0.5 : f32, exclude_outside = true, scale_nums = array<i64: 1, 1, 2, 1>, scale_dens = array<i64: 1, 1, 1, 1>} : tensor<1x1x10x4xf32> -> tensor<1x1x20x4xf32>
  return %y : tensor<1x1x20x4xf32>
}
// Output blocks [0,7) [7,14) [14,20); x(o) = (o + 0.5) / 2 - 0.5 reads
// rows floor(x) - 1 .. floor(x) + 2: rank 1's x(7) = 3.25, x(13) = 6.25.
// RANKS: remark: rank 0 owns [0, 4) needs [0, 5) receives 1 from ranks [1] pads 0
// RANKS: remark: rank 1 owns [4, 7) needs [2, 9) receives 4 from ranks [0, 2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [5, 10) receives 2 from ranks [1] pads 0

// CHECK-LABEL: func @cubic_align_corners_down
func.func @cubic_align_corners_down(%x: tensor<1x1x10x4xf32> {quilt.name = "input"}) -> tensor<1x1x5x4xf32> {
  // CHECK: quilt.halo_exchange {{.*}} window <stride = 1, dilation = 1, kernel = 1, pad_lo = 0, mode = resize, coordinate = align_corners, sampling = cubic, scale_num = 11, scale_den = 20> global = 10 -> global_out = 5
  %y = quilt.resize %x {coordinate = #quilt<coordinate align_corners>, sampling = #quilt<sampling cubic>, scale_nums = array<i64: 1, 1, 11, 1>, scale_dens = array<i64: 1, 1, 20, 1>} : tensor<1x1x10x4xf32> -> tensor<1x1x5x4xf32>
  return %y : tensor<1x1x5x4xf32>
}
// ONNX resizes to 10 * 11/20 = 5.5 rows (not 5): x(o) = o * 9 / 4.5 = 2 o.
// RANKS: remark: rank 0 owns [0, 4) needs [0, 5) receives 1 from ranks [1] pads 0
// RANKS: remark: rank 1 owns [4, 7) needs [3, 9) receives 3 from ranks [0, 2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [7, 10) receives 0 from ranks [] pads 0
