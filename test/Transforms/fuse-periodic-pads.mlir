// RUN: quilt-opt %s --quilt-fuse-periodic-pads | FileCheck %s

// CHECK-LABEL: func @exact_wrap
func.func @exact_wrap(%x: tensor<1x2x9x5xf32>) -> tensor<1x2x12x5xf32> {
  // CHECK-NEXT: %[[P:.*]] = quilt.pad %arg0 {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, 2, 0, 0, 0, 1, 0>, value = 0.000000e+00 : f32}
  // CHECK-NEXT: return %[[P]]
  %top = quilt.slice %x {starts = array<i64: 0, 0, 7, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x2x9x5xf32> -> tensor<1x2x2x5xf32>
  %bottom = quilt.slice %x {starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x2x9x5xf32> -> tensor<1x2x1x5xf32>
  %y = quilt.concat %top, %x, %bottom {axis = 2 : i64} : tensor<1x2x2x5xf32>, tensor<1x2x9x5xf32>, tensor<1x2x1x5xf32> -> tensor<1x2x12x5xf32>
  return %y : tensor<1x2x12x5xf32>
}

// CHECK-LABEL: func @one_sided
func.func @one_sided(%x: tensor<1x9xf32>) -> tensor<1x10xf32> {
  // CHECK: quilt.pad %arg0 {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, 0, 1>
  %bottom = quilt.slice %x {starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x9xf32> -> tensor<1x1xf32>
  %y = quilt.concat %x, %bottom {axis = 1 : i64} : tensor<1x9xf32>, tensor<1x1xf32> -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// CHECK-LABEL: func @off_by_one_is_not_a_wrap
func.func @off_by_one_is_not_a_wrap(%x: tensor<1x9xf32>) -> tensor<1x11xf32> {
  // The top slice ends one short of the edge (torch 1.13's circular export): plain concat.
  // CHECK-NOT: quilt.pad
  // CHECK: quilt.concat
  %top = quilt.slice %x {starts = array<i64: 0, 7>, steps = array<i64: 1, 1>} : tensor<1x9xf32> -> tensor<1x1xf32>
  %bottom = quilt.slice %x {starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : tensor<1x9xf32> -> tensor<1x1xf32>
  %y = quilt.concat %top, %x, %bottom {axis = 1 : i64} : tensor<1x1xf32>, tensor<1x9xf32>, tensor<1x1xf32> -> tensor<1x11xf32>
  return %y : tensor<1x11xf32>
}

// CHECK-LABEL: func @other_dim_touched
func.func @other_dim_touched(%x: tensor<2x9xf32>) -> tensor<2x10xf32> {
  // The slice also narrows dim 0 (then re-broadcast elsewhere): not a wrap of %x.
  // CHECK-NOT: quilt.pad
  %s = quilt.slice %x {starts = array<i64: 1, 0>, steps = array<i64: 1, 1>} : tensor<2x9xf32> -> tensor<1x1xf32>
  %r = quilt.reshape %s : tensor<1x1xf32> -> tensor<1x1xf32>
  %c = quilt.concat %r, %r {axis = 0 : i64} : tensor<1x1xf32>, tensor<1x1xf32> -> tensor<2x1xf32>
  %y = quilt.concat %x, %c {axis = 1 : i64} : tensor<2x9xf32>, tensor<2x1xf32> -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// torch.roll(x, -2, 2): Concat(x[2:], x[:2]) reads x[(i + 2) mod n], a
// periodic pad of -2 below and 2 above.
// CHECK-LABEL: func @roll_back
func.func @roll_back(%x: tensor<1x16x16x8xf32>) -> tensor<1x16x16x8xf32> {
  // CHECK-NEXT: %[[R:.*]] = quilt.pad %arg0 {mode = #quilt<boundary periodic>, padding = array<i64: 0, -2, 0, 0, 0, 2, 0, 0>, value = 0.000000e+00 : f32}
  // CHECK-NEXT: return %[[R]]
  %a = quilt.slice %x {starts = array<i64: 0, 2, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x16x16x8xf32> -> tensor<1x14x16x8xf32>
  %b = quilt.slice %x {starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<1x16x16x8xf32> -> tensor<1x2x16x8xf32>
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x14x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x16x16x8xf32>
  return %y : tensor<1x16x16x8xf32>
}

// torch.roll(x, 3, 1) of 16 positions, then the same roll along dim 2 of the
// result (torch.roll over two dims is two Slice+Concat pairs in a chain).
// CHECK-LABEL: func @roll_two_dims
func.func @roll_two_dims(%x: tensor<1x16x10xf32>) -> tensor<1x16x10xf32> {
  // CHECK-NEXT: %[[H:.*]] = quilt.pad %arg0 {mode = #quilt<boundary periodic>, padding = array<i64: 0, 3, 0, 0, -3, 0>
  // CHECK-NEXT: %[[W:.*]] = quilt.pad %[[H]] {mode = #quilt<boundary periodic>, padding = array<i64: 0, 0, 3, 0, 0, -3>
  // CHECK-NEXT: return %[[W]]
  %a = quilt.slice %x {starts = array<i64: 0, 13, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x16x10xf32> -> tensor<1x3x10xf32>
  %b = quilt.slice %x {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x16x10xf32> -> tensor<1x13x10xf32>
  %h = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x3x10xf32>, tensor<1x13x10xf32> -> tensor<1x16x10xf32>
  %c = quilt.slice %h {starts = array<i64: 0, 0, 7>, steps = array<i64: 1, 1, 1>} : tensor<1x16x10xf32> -> tensor<1x16x3xf32>
  %d = quilt.slice %h {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x16x10xf32> -> tensor<1x16x7xf32>
  %y = quilt.concat %c, %d {axis = 2 : i64} : tensor<1x16x3xf32>, tensor<1x16x7xf32> -> tensor<1x16x10xf32>
  return %y : tensor<1x16x10xf32>
}

// A roll by more than half the dim is written the short way round: rolling
// 9 positions by 7 reads x[(i - 7) mod 9] == x[(i + 2) mod 9].
// CHECK-LABEL: func @roll_short_way
func.func @roll_short_way(%x: tensor<9xf32>) -> tensor<9xf32> {
  // CHECK-NEXT: quilt.pad %arg0 {mode = #quilt<boundary periodic>, padding = array<i64: -2, 2>
  %a = quilt.slice %x {starts = array<i64: 2>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<7xf32>
  %b = quilt.slice %x {starts = array<i64: 0>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<2xf32>
  %y = quilt.concat %a, %b {axis = 0 : i64} : tensor<7xf32>, tensor<2xf32> -> tensor<9xf32>
  return %y : tensor<9xf32>
}

// Near misses stay concats (and gather a split axis, with a remark): the
// pieces miss a row, overlap, or come from different tensors.
// CHECK-LABEL: func @not_a_roll
func.func @not_a_roll(%x: tensor<9xf32>, %z: tensor<9xf32>) -> (tensor<8xf32>, tensor<10xf32>, tensor<9xf32>) {
  // CHECK-NOT: quilt.pad
  // CHECK-COUNT-3: quilt.concat
  %a = quilt.slice %x {starts = array<i64: 3>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<6xf32>
  %b = quilt.slice %x {starts = array<i64: 0>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<2xf32>
  %gap = quilt.concat %a, %b {axis = 0 : i64} : tensor<6xf32>, tensor<2xf32> -> tensor<8xf32>
  %c = quilt.slice %x {starts = array<i64: 0>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<4xf32>
  %overlap = quilt.concat %a, %c {axis = 0 : i64} : tensor<6xf32>, tensor<4xf32> -> tensor<10xf32>
  %d = quilt.slice %z {starts = array<i64: 0>, steps = array<i64: 1>} : tensor<9xf32> -> tensor<3xf32>
  %two = quilt.concat %a, %d {axis = 0 : i64} : tensor<6xf32>, tensor<3xf32> -> tensor<9xf32>
  return %gap, %overlap, %two : tensor<8xf32>, tensor<10xf32>, tensor<9xf32>
}
