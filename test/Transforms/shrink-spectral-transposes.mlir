// RUN: quilt-opt %s --quilt-shrink-spectral-transposes | FileCheck %s

// The W modes both slices keep ([0, 4) of 6) are cut before the DFT along H;
// the slices then only cut H.
// CHECK-LABEL: func @hoist_mode_slices
func.func @hoist_mode_slices(%x: tensor<1x4x12x6x2xf32>) -> (tensor<1x4x3x4x2xf32>, tensor<1x4x3x3x2xf32>) {
  // CHECK: %[[K:.*]] = quilt.slice %arg0 {starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>} : tensor<1x4x12x6x2xf32> -> tensor<1x4x12x4x2xf32>
  // CHECK: %[[D:.*]] = quilt.dft %[[K]] {axis = 2 : i64} : tensor<1x4x12x4x2xf32> -> tensor<1x4x12x4x2xf32>
  // CHECK: quilt.slice %[[D]] {starts = array<i64: 0, 0, 0, 0, 0>, {{.*}}} : tensor<1x4x12x4x2xf32> -> tensor<1x4x3x4x2xf32>
  // CHECK: quilt.slice %[[D]] {starts = array<i64: 0, 0, 9, 1, 0>, {{.*}}} : tensor<1x4x12x4x2xf32> -> tensor<1x4x3x3x2xf32>
  %b = quilt.dft %x {axis = 2 : i64} : tensor<1x4x12x6x2xf32> -> tensor<1x4x12x6x2xf32>
  %lo = quilt.slice %b {starts = array<i64: 0, 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1, 1>} : tensor<1x4x12x6x2xf32> -> tensor<1x4x3x4x2xf32>
  %hi = quilt.slice %b {starts = array<i64: 0, 0, 9, 1, 0>, steps = array<i64: 1, 1, 1, 1, 1>} : tensor<1x4x12x6x2xf32> -> tensor<1x4x3x3x2xf32>
  return %lo, %hi : tensor<1x4x3x4x2xf32>, tensor<1x4x3x3x2xf32>
}

// A slice that becomes the identity disappears; the onesided real DFT keeps
// its axis (slices of the axis itself cannot move).
// CHECK-LABEL: func @hoist_to_identity
func.func @hoist_to_identity(%x: tensor<5x8x1xf32>) -> tensor<2x3x2xf32> {
  // CHECK: %[[K:.*]] = quilt.slice %arg0 {starts = array<i64: 1, 0, 0>, {{.*}}} : tensor<5x8x1xf32> -> tensor<2x8x1xf32>
  // CHECK: %[[D:.*]] = quilt.dft %[[K]] {axis = 1 : i64, onesided = true} : tensor<2x8x1xf32> -> tensor<2x5x2xf32>
  // CHECK: %[[S:.*]] = quilt.slice %[[D]] {starts = array<i64: 0, 0, 0>, {{.*}}} : tensor<2x5x2xf32> -> tensor<2x3x2xf32>
  // CHECK: return %[[S]]
  %d = quilt.dft %x {axis = 1 : i64, onesided = true} : tensor<5x8x1xf32> -> tensor<5x5x2xf32>
  %s = quilt.slice %d {starts = array<i64: 1, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<5x5x2xf32> -> tensor<2x3x2xf32>
  return %s : tensor<2x3x2xf32>
}

// Not hoisted: a user that is not a slice, or slices of the axis only.
// CHECK-LABEL: func @no_hoist
func.func @no_hoist(%x: tensor<4x6x2xf32>) -> (tensor<4x6x2xf32>, tensor<4x6x2xf32>, tensor<2x6x2xf32>) {
  // CHECK: %[[A:.*]] = quilt.dft %arg0 {axis = 0 : i64} : tensor<4x6x2xf32> -> tensor<4x6x2xf32>
  // CHECK: quilt.slice %[[A]]
  %a = quilt.dft %x {axis = 0 : i64} : tensor<4x6x2xf32> -> tensor<4x6x2xf32>
  %s = quilt.slice %a {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<4x6x2xf32> -> tensor<4x3x2xf32>
  %r = quilt.relu %a : tensor<4x6x2xf32>
  // CHECK: %[[B:.*]] = quilt.dft %arg0 {axis = 0 : i64, inverse = true} : tensor<4x6x2xf32> -> tensor<4x6x2xf32>
  // CHECK: quilt.slice %[[B]] {{.*}} -> tensor<2x6x2xf32>
  %b = quilt.dft %x {axis = 0 : i64, inverse = true} : tensor<4x6x2xf32> -> tensor<4x6x2xf32>
  %t = quilt.slice %b {starts = array<i64: 2, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<4x6x2xf32> -> tensor<2x6x2xf32>
  return %r, %a, %t : tensor<4x6x2xf32>, tensor<4x6x2xf32>, tensor<2x6x2xf32>
}

// The zero-fill of the W modes moves below the inverse DFT along H, and then
// feeds the inverse DFT along W: it is marked to transpose first. So is the
// zero-fill Concat along H ahead of the DFT along H.
// CHECK-LABEL: func @sink_zero_fill
func.func @sink_zero_fill(%lo: tensor<1x4x3x4x2xf32>, %hi: tensor<1x4x3x4x2xf32>) -> tensor<1x4x12x10x2xf32> {
  %z = quilt.constant dense<0.0> : tensor<1x4x6x4x2xf32>
  // CHECK: %[[F:.*]] = quilt.concat %arg0, %{{.*}}, %arg1 {axis = 2 : i64, quilt.transpose_for_dft}
  // CHECK: %[[H:.*]] = quilt.dft %[[F]] {axis = 2 : i64, inverse = true} : tensor<1x4x12x4x2xf32> -> tensor<1x4x12x4x2xf32>
  // CHECK: %[[P:.*]] = quilt.pad %[[H]] {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 6, 0>, quilt.transpose_for_dft, value = 0.000000e+00 : f32} : tensor<1x4x12x4x2xf32> -> tensor<1x4x12x10x2xf32>
  // CHECK: quilt.dft %[[P]] {axis = 3 : i64, inverse = true}
  %f = quilt.concat %lo, %z, %hi {axis = 2 : i64} : tensor<1x4x3x4x2xf32>, tensor<1x4x6x4x2xf32>, tensor<1x4x3x4x2xf32> -> tensor<1x4x12x4x2xf32>
  %p = quilt.pad %f {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 6, 0>, value = 0.0 : f32} : tensor<1x4x12x4x2xf32> -> tensor<1x4x12x10x2xf32>
  %i = quilt.dft %p {axis = 2 : i64, inverse = true} : tensor<1x4x12x10x2xf32> -> tensor<1x4x12x10x2xf32>
  %j = quilt.dft %i {axis = 3 : i64, inverse = true} : tensor<1x4x12x10x2xf32> -> tensor<1x4x12x10x2xf32>
  return %j : tensor<1x4x12x10x2xf32>
}

// Not sunk: a non-zero pad value, or padding of the transformed axis.
// CHECK-LABEL: func @no_sink
func.func @no_sink(%x: tensor<4x6x2xf32>) -> (tensor<4x8x2xf32>, tensor<6x6x2xf32>) {
  // CHECK: quilt.pad %arg0 {{.*}}value = 1.000000e+00
  // CHECK-NEXT: quilt.dft
  %p = quilt.pad %x {padding = array<i64: 0, 1, 0, 0, 1, 0>, value = 1.0 : f32} : tensor<4x6x2xf32> -> tensor<4x8x2xf32>
  %a = quilt.dft %p {axis = 0 : i64} : tensor<4x8x2xf32> -> tensor<4x8x2xf32>
  // CHECK: quilt.pad %arg0 {padding = array<i64: 1, 0, 0, 1, 0, 0>, quilt.transpose_for_dft
  // CHECK-NEXT: quilt.dft
  %q = quilt.pad %x {padding = array<i64: 1, 0, 0, 1, 0, 0>, value = 0.0 : f32} : tensor<4x6x2xf32> -> tensor<6x6x2xf32>
  %b = quilt.dft %q {axis = 0 : i64} : tensor<6x6x2xf32> -> tensor<6x6x2xf32>
  return %a, %b : tensor<4x8x2xf32>, tensor<6x6x2xf32>
}
