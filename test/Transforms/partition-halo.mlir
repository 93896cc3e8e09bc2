// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition | FileCheck %s
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:2" --quilt-propagate-sharding --quilt-partition --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=RANKS
// Halo widths on P=3 over 10 rows: stride 2, dilation 2 and asymmetric pads, rank by rank.

// CHECK-LABEL: func @stride2
// CHECK-SAME: %[[X:.*]]: tensor<1x2x?x6xf32, #quilt.local<@mesh, [1, 2, 10, 6], {{\[}}[], [], ["x"], []]>>
func.func @stride2(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x5x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  // CHECK: %[[H:.*]] = quilt.halo_exchange %[[X]] on @mesh axis "x" dim 2 window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 5 boundary = zero
  // CHECK: quilt.conv %[[H]], {{.*}}pads = array<i64: 1, 1, 0, 1>
  // CHECK-SAME: -> tensor<1x2x?x6xf32, #quilt.local<@mesh, [1, 2, 5, 6], {{\[}}[], [], ["x"], []]>>
  %y = quilt.conv %x, %w {strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x5x6xf32>
  return %y : tensor<1x2x5x6xf32>
}
// Output blocks [0,2) [2,4) [4,5); rows o*2-1 .. o*2+1.
// RANKS: remark: rank 0 owns [0, 4) needs [-1, 4) receives 0 from ranks [] pads 1
// RANKS: remark: rank 1 owns [4, 7) needs [3, 8) receives 2 from ranks [0, 2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [7, 10) receives 0 from ranks [] pads 0

// CHECK-LABEL: func @dilation2
func.func @dilation2(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x1xf32>
  // CHECK: quilt.halo_exchange {{.*}} window <stride = 1, dilation = 2, kernel = 3, pad_lo = 2> global = 10 -> global_out = 10
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 1>, pads = array<i64: 2, 0, 2, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x1xf32> -> tensor<1x2x10x6xf32>
  return %y : tensor<1x2x10x6xf32>
}
// RANKS: remark: rank 0 owns [0, 4) needs [-2, 6) receives 2 from ranks [1] pads 2
// RANKS: remark: rank 1 owns [4, 7) needs [2, 9) receives 4 from ranks [0, 2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [5, 12) receives 2 from ranks [1] pads 2

// CHECK-LABEL: func @asymmetric
func.func @asymmetric(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x4x1xf32>
  // pads: 0 rows above, 3 below: every rank reads ahead only.
  // CHECK: quilt.halo_exchange {{.*}} window <stride = 1, dilation = 1, kernel = 4, pad_lo = 0> global = 10 -> global_out = 10
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 3, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x4x1xf32> -> tensor<1x2x10x6xf32>
  return %y : tensor<1x2x10x6xf32>
}
// RANKS: remark: rank 0 owns [0, 4) needs [0, 7) receives 3 from ranks [1] pads 0
// RANKS: remark: rank 1 owns [4, 7) needs [4, 10) receives 3 from ranks [2] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [7, 13) receives 0 from ranks [] pads 3

// CHECK-LABEL: func @wide
func.func @wide(%x: tensor<1x1x10x1xf32> {quilt.name = "input"}) -> tensor<1x1x10x1xf32> {
  %w = quilt.constant dense<1.0> : tensor<1x1x9x1xf32>
  // A halo of 4 rows each side is wider than a 3-row neighbour: several hops.
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 4, 0, 4, 0>, group = 1 : i64} : tensor<1x1x10x1xf32>, tensor<1x1x9x1xf32> -> tensor<1x1x10x1xf32>
  return %y : tensor<1x1x10x1xf32>
}
// Rank 0 sends rows [0, 4) to rank 1 and row 3 to rank 2; what each sends is
// what the others receive from it.
// RANKS: remark: rank 0 owns [0, 4) needs [-4, 8) receives 4 from ranks [1, 2] pads 4 sends 5 to ranks [1, 2]
// RANKS: remark: rank 1 owns [4, 7) needs [0, 11) receives 7 from ranks [0, 2] pads 1 sends 6 to ranks [0, 2]
// RANKS: remark: rank 2 owns [7, 10) needs [3, 14) receives 4 from ranks [0, 1] pads 4 sends 4 to ranks [0, 1]

// CHECK-LABEL: func @pointwise
func.func @pointwise(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x3x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<3x2x1x1xf32>
  // A 1x1 stride-1 conv reads only what each rank owns.
  // CHECK-NOT: quilt.halo_exchange
  // CHECK: quilt.conv
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<3x2x1x1xf32> -> tensor<1x3x10x6xf32>
  return %y : tensor<1x3x10x6xf32>
}

// CHECK-LABEL: func @pad
func.func @pad(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x2x13x6xf32> {
  // Padding a split dim: a halo exchange with the pad as its window's pad_lo;
  // the pad itself then only fills the global boundary with its value.
  // CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 1, pad_lo = 2> global = 10 -> global_out = 13
  // CHECK: quilt.pad %[[H]] {padding = array<i64: 0, 0, 2, 0, 0, 0, 1, 0>
  %y = quilt.pad %x {padding = array<i64: 0, 0, 2, 0, 0, 0, 1, 0>, value = 1.5 : f32} : tensor<1x2x10x6xf32> -> tensor<1x2x13x6xf32>
  return %y : tensor<1x2x13x6xf32>
}
// Output blocks of 13 rows over 3: [0,5) [5,9) [9,13); rank r reads [o0-2, o1-2).
// RANKS: remark: rank 0 owns [0, 4) needs [-2, 3) receives 0 from ranks [] pads 2
// RANKS: remark: rank 1 owns [4, 7) needs [3, 7) receives 1 from ranks [0] pads 0
// RANKS: remark: rank 2 owns [7, 10) needs [7, 11) receives 0 from ranks [] pads 1
