// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition --quilt-share-halos | FileCheck %s
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition | FileCheck %s --check-prefix=UNSHARED
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition --quilt-share-halos --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=RANKS
// quilt-share-halos: windowed ops reading one split value along one dim share
// one halo exchange at the widest range (P=3 over 10 rows).

// An atrous pyramid: 3x3 convs of dilations 1, 2 and 3 (pads = dilation) and
// a 1x1 conv read %x. One exchange at the widest window; every conv keeps its
// global pads and reads its own sub-range; the 1x1 conv needs no halo.
// CHECK-LABEL: func @pyramid
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x?x6xf32
// CHECK: %[[H:.*]] = quilt.halo_exchange %[[X]] on @mesh axis "x" dim 2 window <stride = 1, dilation = 3, kernel = 3, pad_lo = 3> global = 10 -> global_out = 10 boundary = zero
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.conv %[[H]], {{.*}}dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>
// CHECK-SAME: tensor<1x2x?x6xf32, #quilt.local<@mesh, [1, 2, 10, 6], {{\[}}[], [], ["x"], []], halos = [#quilt.halo<dim = 2, window = <stride = 1, dilation = 3, kernel = 3, pad_lo = 3>, global_out = 10, boundary = zero>]>>
// CHECK: quilt.conv %[[H]], {{.*}}dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 2, 2, 2, 2>
// CHECK: quilt.conv %[[H]], {{.*}}dilations = array<i64: 3, 3>, group = 1 : i64, pads = array<i64: 3, 3, 3, 3>
// CHECK: quilt.conv %[[X]], {{.*}}pads = array<i64: 0, 0, 0, 0>
// CHECK-NOT: quilt.halo_exchange
// CHECK: return
// Without the pass: one exchange per dilated conv.
// UNSHARED-LABEL: func @pyramid
// UNSHARED-COUNT-3: quilt.halo_exchange
// UNSHARED-NOT: quilt.halo_exchange
// UNSHARED: return
func.func @pyramid(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x8x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %w1 = quilt.constant dense<1.0> : tensor<2x2x1x1xf32>
  %a = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %b = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 3, 3>, pads = array<i64: 3, 3, 3, 3>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %d = quilt.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x10x6xf32>
  %y = quilt.concat %a, %b, %c, %d {axis = 1 : i64} : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x8x10x6xf32>
  return %y : tensor<1x8x10x6xf32>
}
// The dilation-3 range, rank by rank (blocks [0,4) [4,7) [7,10)).
// RANKS: remark: rank 0 owns [0, 4) needs [-3, 7) receives 3 from ranks [1] pads 3
// RANKS: remark: rank 1 owns [4, 7) needs [1, 10) receives 6 from ranks [0, 2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [4, 13) receives 3 from ranks [1] pads 3

// Neither reader is widest on both sides (pads 2 above and 0 below, and the
// reverse): the shared window is the hull, dense (dilation 1) over 5 rows.
// CHECK-LABEL: func @hull
// CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 5, pad_lo = 2> global = 10 -> global_out = 10 boundary = zero
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.conv %[[H]], {{.*}}pads = array<i64: 2, 0, 0, 0>
// CHECK: quilt.conv %[[H]], {{.*}}pads = array<i64: 0, 0, 2, 0>
func.func @hull(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x1xf32>
  %a = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 2, 0, 0, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x1xf32> -> tensor<1x2x10x6xf32>
  %b = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 2, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x1xf32> -> tensor<1x2x10x6xf32>
  %y = quilt.add %a, %b : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  return %y : tensor<1x2x10x6xf32>
}
// RANKS: remark: rank 0 owns [0, 4) needs [-2, 6) receives 2 from ranks [1] pads 2

// A max pool and a conv of the same window share their equal halo as it is.
// CHECK-LABEL: func @pool_and_conv
// CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = zero
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.max_pool %[[H]]
// CHECK: quilt.conv %[[H]]
func.func @pool_and_conv(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %p = quilt.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %y = quilt.add %p, %c : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  return %y : tensor<1x2x10x6xf32>
}
// RANKS: remark: rank 0 owns [0, 4) needs [-1, 5) receives 1 from ranks [1] pads 1

// Near-misses, never merged: pads of the same width with different
// boundaries (zero and reflect), and convs of different strides.
// CHECK-LABEL: func @near_misses
// CHECK: quilt.halo_exchange {{.*}} boundary = zero
// CHECK: quilt.halo_exchange {{.*}} boundary = reflect
// CHECK: quilt.halo_exchange {{.*}} window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10
// CHECK: quilt.halo_exchange {{.*}} window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 5
// CHECK-NOT: quilt.halo_exchange
// CHECK: return
func.func @near_misses(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> (tensor<1x2x12x6xf32>, tensor<1x2x10x6xf32>, tensor<1x2x5x6xf32>) {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %z = quilt.pad %x {mode = #quilt<boundary zero>, padding = array<i64: 0, 0, 1, 0, 0, 0, 1, 0>, value = 0.000000e+00 : f32} : tensor<1x2x10x6xf32> -> tensor<1x2x12x6xf32>
  %r = quilt.pad %x {mode = #quilt<boundary reflect>, padding = array<i64: 0, 0, 1, 0, 0, 0, 1, 0>, value = 0.000000e+00 : f32} : tensor<1x2x10x6xf32> -> tensor<1x2x12x6xf32>
  %s = quilt.add %z, %r : tensor<1x2x12x6xf32>, tensor<1x2x12x6xf32> -> tensor<1x2x12x6xf32>
  %a = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %b = quilt.conv %x, %w {strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x5x6xf32>
  return %s, %a, %b : tensor<1x2x12x6xf32>, tensor<1x2x10x6xf32>, tensor<1x2x5x6xf32>
}

// Rolls of one value by different shifts (periodic pads of k and -k) share
// one periodic exchange at the hull of their ranges: 2 rows below, 1 above.
// CHECK-LABEL: func @rolls
// CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 4, pad_lo = 2> global = 10 -> global_out = 10 boundary = periodic
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.pad %[[H]] {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, 2, 0, 0, 0, -2, 0>
// CHECK: quilt.pad %[[H]] {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, -1, 0, 0, 0, 1, 0>
func.func @rolls(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x6xf32> {
  %a = quilt.pad %x {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, 2, 0, 0, 0, -2, 0>, value = 0.000000e+00 : f32} : tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  %b = quilt.pad %x {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, -1, 0, 0, 0, 1, 0>, value = 0.000000e+00 : f32} : tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  %y = quilt.add %a, %b : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  return %y : tensor<1x2x10x6xf32>
}
// RANKS: remark: rank 0 owns [0, 4) needs [-2, 5) receives 3 from ranks [1, 2] pads 0
