// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// Transposed convolutions, resizes, slices and periodic pads on split dims:
// each becomes a halo exchange whose window says which rows a rank reads.

quilt.mesh @mesh ["x" = 3, "y" = 2]

// CHECK-NOT: remark
// CHECK-LABEL: func @conv_transpose_uneven
func.func @conv_transpose_uneven(%x: tensor<1x2x5x7xf32> {quilt.name = "input"}, %w: tensor<2x3x3x3xf32>) -> tensor<1x3x10x14xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<1x2x5x7xf32>
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1, mode = conv_transpose> global = 5 -> global_out = 10 boundary = zero
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "y" dim 3 window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1, mode = conv_transpose> global = 7 -> global_out = 14 boundary = zero
  // CHECK: quilt.conv_transpose {{.*}} pads = array<i64: 1, 1, 0, 0>
  %y = quilt.conv_transpose %xa, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64} : tensor<1x2x5x7xf32>, tensor<2x3x3x3xf32> -> tensor<1x3x10x14xf32>
  return %y : tensor<1x3x10x14xf32>
}

// CHECK-LABEL: func @resize_split
func.func @resize_split(%x: tensor<1x2x5x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x9xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x5x6xf32>
  // CHECK: quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 1, pad_lo = 0, mode = resize, coordinate = pytorch_half_pixel, scale_num = 2> global = 5 -> global_out = 10
  // CHECK: quilt.resize
  %y = quilt.resize %xa {coordinate = #quilt<coordinate pytorch_half_pixel>, sampling = #quilt<sampling linear>, scale_nums = array<i64: 1, 1, 2, 3>, scale_dens = array<i64: 1, 1, 1, 2>} : tensor<1x2x5x6xf32> -> tensor<1x2x10x9xf32>
  return %y : tensor<1x2x10x9xf32>
}

// CHECK-LABEL: func @slice_split
func.func @slice_split(%x: tensor<1x10xf32> {quilt.name = "input"}) -> tensor<1x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<1x10xf32>
  // The rows 1, 4, 7 each rank's output block reads, and nothing else.
  // CHECK: quilt.halo_exchange %{{.*}} window <stride = 3, dilation = 1, kernel = 1, pad_lo = -1> global = 10 -> global_out = 3 boundary = zero
  %y = quilt.slice %xa {starts = array<i64: 0, 1>, steps = array<i64: 1, 3>} : tensor<1x10xf32> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// CHECK-LABEL: func @periodic_pad
func.func @periodic_pad(%x: tensor<1x10xf32> {quilt.name = "input"}) -> tensor<1x13xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<1x10xf32>
  // CHECK: quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 1, pad_lo = 2> global = 10 -> global_out = 13 boundary = periodic
  %y = quilt.pad %xa {padding = array<i64: 0, 2, 0, 1>, value = 0.0 : f32, mode = #quilt<boundary periodic>} : tensor<1x10xf32> -> tensor<1x13xf32>
  return %y : tensor<1x13xf32>
}
