// RUN: quilt-opt %s --quilt-print-sharding-rules | FileCheck %s
// Rules are data: factors shared between operand and result dims.

// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<1x3x10x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x5x8xf32> {
  // CHECK: quilt.rule = "([i, j, l, m], [k, j, n, o], [k]) -> ([i, k, l, m]) {i = parallel 1, j = reduction 3, k = parallel 4, l = windowed 10->5 (k=3 s=2 d=1 pad=1,0), m = windowed 8->8 (k=3 s=1 d=1 pad=1,1), n = whole 3, o = whole 3}"
  %y = quilt.conv %x, %w, %b {strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 1>, group = 1 : i64} : tensor<1x3x10x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<1x4x5x8xf32>
  return %y : tensor<1x4x5x8xf32>
}

// CHECK-LABEL: func @grouped_conv
func.func @grouped_conv(%x: tensor<1x4x9xf32>, %w: tensor<4x1x3xf32>) -> tensor<1x4x9xf32> {
  // Grouped channels are tied: whole.
  // CHECK: quilt.rule = "([i, j, l], [k, m, n]) -> ([i, k, l]) {i = parallel 1, j = whole 4, k = whole 4, l = windowed 9->9 (k=3 s=1 d=2 pad=2,2), m = whole 1, n = whole 3}"
  %y = quilt.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 2>, pads = array<i64: 2, 2>, group = 4 : i64} : tensor<1x4x9xf32>, tensor<4x1x3xf32> -> tensor<1x4x9xf32>
  return %y : tensor<1x4x9xf32>
}

// CHECK-LABEL: func @pool
func.func @pool(%x: tensor<1x2x9xf32>) -> tensor<1x2x4xf32> {
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 1, j = parallel 2, k = windowed 9->4 (k=2 s=2 d=1 pad=0,0)}"
  %y = quilt.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 2>, dilations = array<i64: 1>, pads = array<i64: 0, 0>} : tensor<1x2x9xf32> -> tensor<1x2x4xf32>
  return %y : tensor<1x2x4xf32>
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<1x2x9xf32>, %c: tensor<1x2x1xf32>) -> tensor<1x2x9xf32> {
  // A broadcast dim carries no factor.
  // CHECK: quilt.rule = "([i, j, k], [i, j, _]) -> ([i, j, k]) {i = parallel 1, j = parallel 2, k = parallel 9}"
  %y = quilt.mul %x, %c : tensor<1x2x9xf32>, tensor<1x2x1xf32> -> tensor<1x2x9xf32>
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k])
  %r = quilt.relu %y : tensor<1x2x9xf32>
  return %r : tensor<1x2x9xf32>
}

// CHECK-LABEL: func @gemm
func.func @gemm(%a: tensor<2x8xf32>, %b: tensor<4x8xf32>, %c: tensor<1x4xf32>) -> tensor<2x4xf32> {
  // CHECK: quilt.rule = "([i, k], [j, k], [_, j]) -> ([i, j]) {i = parallel 2, j = parallel 4, k = reduction 8}"
  %y = quilt.gemm %a, %b, %c {trans_b = true} : tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// CHECK-LABEL: func @reduce
func.func @reduce(%x: tensor<1x8x5x7xf32>) -> tensor<1x8x1x1xf32> {
  // CHECK: quilt.rule = "([i, j, k, l]) -> ([i, j, _, _]) {i = parallel 1, j = parallel 8, k = reduction 5, l = reduction 7}"
  %y = quilt.reduce_mean %x dims [2, 3] : tensor<1x8x5x7xf32> -> tensor<1x8x1x1xf32>
  return %y : tensor<1x8x1x1xf32>
}

// CHECK-LABEL: func @reshape
func.func @reshape(%x: tensor<2x8x5x7xf32>) -> tensor<2x280xf32> {
  // The batch dim maps one-to-one; the merged dim shares its major part's
  // factor, 35 positions per position of it (a split of it is in whole granules).
  // CHECK: quilt.rule = "([i, j, k, l]) -> ([i, j*35]) {i = parallel 2, j = parallel 8, k = whole 5, l = whole 7}"
  %y = quilt.reshape %x : tensor<2x8x5x7xf32> -> tensor<2x280xf32>
  return %y : tensor<2x280xf32>
}

// CHECK-LABEL: func @concat
func.func @concat(%a: tensor<1x2x9xf32>, %b: tensor<1x3x9xf32>) -> tensor<1x5x9xf32> {
  // CHECK: quilt.rule = "([i, k, j], [i, l, j]) -> ([i, m, j]) {i = parallel 1, j = parallel 9, k = whole 2, l = whole 3, m = whole 5}"
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x2x9xf32>, tensor<1x3x9xf32> -> tensor<1x5x9xf32>
  return %y : tensor<1x5x9xf32>
}

// CHECK-LABEL: func @softmax
func.func @softmax(%x: tensor<2x5x7xf32>) -> tensor<2x5x7xf32> {
  // The softmax axis is a statistic dim (stays split; max and sum all-reduced).
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 2, j = statistic 5, k = parallel 7}"
  %y = quilt.softmax %x {axis = 1 : i64} : tensor<2x5x7xf32>
  return %y : tensor<2x5x7xf32>
}

// CHECK-LABEL: func @transpose
func.func @transpose(%x: tensor<2x5x7xf32>) -> tensor<7x2x5xf32> {
  // Each result dim carries its source dim's factor.
  // CHECK: quilt.rule = "([i, j, k]) -> ([k, i, j]) {i = parallel 2, j = parallel 5, k = parallel 7}"
  %y = quilt.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x5x7xf32> -> tensor<7x2x5xf32>
  return %y : tensor<7x2x5xf32>
}

// CHECK-LABEL: func @pad
func.func @pad(%x: tensor<2x5x7xf32>) -> tensor<2x8x7xf32> {
  // A padded dim is a window of one position shifted by pad_lo.
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 2, j = windowed 5->8 (k=1 s=1 d=1 pad=2,1), k = parallel 7}"
  %y = quilt.pad %x {padding = array<i64: 0, 2, 0, 0, 1, 0>, value = 0.0 : f32} : tensor<2x5x7xf32> -> tensor<2x8x7xf32>
  return %y : tensor<2x8x7xf32>
}

// CHECK-LABEL: func @group_norm
func.func @group_norm(%x: tensor<2x6x5x7xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x6x5x7xf32> {
  // Channels are grouped (whole); spatial dims are statistic dims.
  // CHECK: quilt.rule = "([i, j, k, l], [m], [m]) -> ([i, j, k, l]) {i = parallel 2, j = whole 6, k = statistic 5, l = statistic 7, m = whole 3}"
  %y = quilt.group_norm %x, %s, %b {groups = 3 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x5x7xf32>, tensor<3xf32>, tensor<3xf32>
  return %y : tensor<2x6x5x7xf32>
}

// CHECK-LABEL: func @layer_norm
func.func @layer_norm(%x: tensor<2x9x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x9x8xf32> {
  // Leading dims pass through; scale and bias share the normalized dims.
  // CHECK: quilt.rule = "([i, j, k], [k], [k]) -> ([i, j, k]) {i = parallel 2, j = parallel 9, k = statistic 8}"
  %y = quilt.layer_norm %x, %s, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x9x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %y : tensor<2x9x8xf32>
}

// CHECK-LABEL: func @conv_transpose
func.func @conv_transpose(%x: tensor<1x4x5x6xf32>, %w: tensor<4x3x3x2xf32>, %b: tensor<3xf32>) -> tensor<1x3x10x12xf32> {
  // Spatial dims are windowed in the transposed sense; C_in is a reduction.
  // CHECK: quilt.rule = "([i, j, l, m], [j, k, n, o], [k]) -> ([i, k, l, m]) {i = parallel 1, j = reduction 4, k = parallel 3, l = windowed 5->10 (transposed k=3 s=2 d=1 pad=1,0), m = windowed 6->12 (transposed k=2 s=2 d=1 pad=0,0), n = whole 3, o = whole 2}"
  %y = quilt.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1 : i64} : tensor<1x4x5x6xf32>, tensor<4x3x3x2xf32>, tensor<3xf32> -> tensor<1x3x10x12xf32>
  return %y : tensor<1x3x10x12xf32>
}

// CHECK-LABEL: func @resize
func.func @resize(%x: tensor<1x2x5x6xf32>) -> tensor<1x2x10x9xf32> {
  // CHECK: quilt.rule = "([i, j, k, l]) -> ([i, j, k, l]) {i = parallel 1, j = parallel 2, k = windowed 5->10 (resize 2/1), l = windowed 6->9 (resize 3/2)}"
  %y = quilt.resize %x {coordinate = #quilt<coordinate half_pixel>, sampling = #quilt<sampling linear>, scale_nums = array<i64: 1, 1, 2, 3>, scale_dens = array<i64: 1, 1, 1, 2>} : tensor<1x2x5x6xf32> -> tensor<1x2x10x9xf32>
  return %y : tensor<1x2x10x9xf32>
}

// CHECK-LABEL: func @slice
func.func @slice(%x: tensor<2x9x8xf32>) -> tensor<2x3x8xf32> {
  // A sliced dim reads o * step + start: one-tap window with pad_lo = -start.
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 2, j = windowed 9->3 (k=1 s=3 d=1 pad=-2,0), k = parallel 8}"
  %y = quilt.slice %x {starts = array<i64: 0, 2, 0>, steps = array<i64: 1, 3, 1>} : tensor<2x9x8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// CHECK-LABEL: func @slice_reversed
func.func @slice_reversed(%x: tensor<2x9x8xf32>) -> tensor<2x3x8xf32> {
  // A negative step reads the dim backwards: no window describes it, so it is whole.
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 2, j = whole 9, k = parallel 8}"
  %y = quilt.slice %x {starts = array<i64: 0, 8, 0>, steps = array<i64: 1, -3, 1>} : tensor<2x9x8xf32> -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// CHECK-LABEL: func @pad_modes
func.func @pad_modes(%x: tensor<2x9xf32>) -> (tensor<2x12xf32>, tensor<2x12xf32>) {
  // Padding is a one-tap window whose boundary wraps (periodic) or mirrors
  // from inside (reflect, edge): a split dim gets a halo, never a gather.
  // CHECK: quilt.rule = "([i, j]) -> ([i, j]) {i = parallel 2, j = windowed 9->12 (k=1 s=1 d=1 pad=2,1 periodic)}"
  %p = quilt.pad %x {padding = array<i64: 0, 2, 0, 1>, value = 0.0 : f32, mode = #quilt<boundary periodic>} : tensor<2x9xf32> -> tensor<2x12xf32>
  // CHECK: quilt.rule = "([i, j]) -> ([i, j]) {i = parallel 2, j = windowed 9->12 (k=1 s=1 d=1 pad=2,1 reflect)}"
  %r = quilt.pad %x {padding = array<i64: 0, 2, 0, 1>, value = 0.0 : f32, mode = #quilt<boundary reflect>} : tensor<2x9xf32> -> tensor<2x12xf32>
  return %p, %r : tensor<2x12xf32>, tensor<2x12xf32>
}

// CHECK-LABEL: func @einsum
func.func @einsum(%a: tensor<3x5x4xf32>, %b: tensor<4x6xf32>) -> tensor<3x5x6xf32> {
  // One factor per letter: result letters parallel, contracted letters reductions.
  // CHECK: quilt.rule = "([i, j, k], [k, l]) -> ([i, j, l]) {i = parallel 3, j = parallel 5, k = reduction 4, l = parallel 6}"
  %y = quilt.einsum %a, %b {equation = "tbe,ef->tbf"} : tensor<3x5x4xf32>, tensor<4x6xf32> -> tensor<3x5x6xf32>
  return %y : tensor<3x5x6xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<2x7x4xf32>, %k: tensor<2x9x4xf32>, %v: tensor<2x9x3xf32>) -> tensor<2x7x3xf32> {
  // Keys' tokens are a statistic dim: split keys stay split (a ring).
  // CHECK: quilt.rule = "([i, j, k], [i, l, k], [i, l, m]) -> ([i, j, m]) {i = parallel 2, j = parallel 7, k = whole 4, l = statistic 9, m = whole 3}"
  %y = quilt.attention %q, %k, %v : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x3xf32> -> tensor<2x7x3xf32>
  return %y : tensor<2x7x3xf32>
}

// CHECK-LABEL: func @attention_over_a_grid
func.func @attention_over_a_grid(%q: tensor<2x4x3x8xf32>, %k: tensor<2x5x2x8xf32>, %v: tensor<2x5x2x6xf32>) -> tensor<2x4x3x6xf32> {
  // A grid of tokens: one parallel factor per query token dim, one statistic
  // factor per key token dim.
  // CHECK: quilt.rule = "([i, j, k, l], [i, m, n, l], [i, m, n, o]) -> ([i, j, k, o]) {i = parallel 2, j = parallel 4, k = parallel 3, l = whole 8, m = statistic 5, n = statistic 2, o = whole 6}"
  %y = quilt.attention %q, %k, %v {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x5x2x8xf32>, tensor<2x5x2x6xf32> -> tensor<2x4x3x6xf32>
  return %y : tensor<2x4x3x6xf32>
}
