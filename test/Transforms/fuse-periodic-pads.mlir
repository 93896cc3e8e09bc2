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
