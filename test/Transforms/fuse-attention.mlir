// RUN: quilt-opt %s --quilt-fuse-attention | FileCheck %s

// CHECK-LABEL: func @scaled_dot_product
func.func @scaled_dot_product(%q: tensor<2x7x4xf32>, %kr: tensor<9x2x4xf32>, %v: tensor<2x9x3xf32>) -> tensor<2x7x3xf32> {
  // The transpose that made k^T folds with the swap into one transpose of %kr.
  // CHECK: %[[K:.*]] = quilt.transpose %arg1 {perm = array<i64: 1, 0, 2>} : tensor<9x2x4xf32> -> tensor<2x9x4xf32>
  // CHECK-NEXT: %[[A:.*]] = quilt.attention %arg0, %[[K]], %arg2
  // CHECK-NEXT: return %[[A]]
  %kt = quilt.transpose %kr {perm = array<i64: 1, 2, 0>} : tensor<9x2x4xf32> -> tensor<2x4x9xf32>
  %s = quilt.einsum %q, %kt {equation = "awx,axy->awy"} : tensor<2x7x4xf32>, tensor<2x4x9xf32> -> tensor<2x7x9xf32>
  %p = quilt.softmax %s {axis = 2 : i64} : tensor<2x7x9xf32>
  %o = quilt.einsum %p, %v {equation = "awx,axy->awy"} : tensor<2x7x9xf32>, tensor<2x9x3xf32> -> tensor<2x7x3xf32>
  return %o : tensor<2x7x3xf32>
}

// CHECK-LABEL: func @softmax_on_other_axis
func.func @softmax_on_other_axis(%q: tensor<2x7x4xf32>, %kt: tensor<2x4x9xf32>, %v: tensor<2x9x3xf32>) -> tensor<2x7x3xf32> {
  // A softmax over the queries is not attention: nothing fuses.
  // CHECK-NOT: quilt.attention
  %s = quilt.einsum %q, %kt {equation = "awx,axy->awy"} : tensor<2x7x4xf32>, tensor<2x4x9xf32> -> tensor<2x7x9xf32>
  %p = quilt.softmax %s {axis = 1 : i64} : tensor<2x7x9xf32>
  %o = quilt.einsum %p, %v {equation = "awx,axy->awy"} : tensor<2x7x9xf32>, tensor<2x9x3xf32> -> tensor<2x7x3xf32>
  return %o : tensor<2x7x3xf32>
}

// Swin's relative position bias: an Add of the scores and a bias broadcast
// over the windows, between the MatMul and the Softmax, becomes the
// attention's bias (either operand order).
// CHECK-LABEL: func @relative_position_bias
func.func @relative_position_bias(%q: tensor<4x2x9x8xf32>, %kt: tensor<4x2x8x9xf32>, %v: tensor<4x2x9x8xf32>, %bias: tensor<1x2x9x9xf32>) -> (tensor<4x2x9x8xf32>, tensor<4x2x9x8xf32>) {
  // CHECK: %[[K:.*]] = quilt.transpose %arg1 {perm = array<i64: 0, 1, 3, 2>}
  // CHECK-NEXT: quilt.attention %arg0, %[[K]], %arg2 bias %arg3 : tensor<4x2x9x8xf32>, tensor<4x2x9x8xf32>, tensor<4x2x9x8xf32> bias tensor<1x2x9x9xf32> -> tensor<4x2x9x8xf32>
  // CHECK: quilt.attention %arg0, %{{.*}}, %arg2 bias %arg3
  // CHECK-NOT: quilt.softmax
  // CHECK-NOT: quilt.add
  %s = quilt.einsum %q, %kt {equation = "abwx,abxy->abwy"} : tensor<4x2x9x8xf32>, tensor<4x2x8x9xf32> -> tensor<4x2x9x9xf32>
  %a = quilt.add %s, %bias : tensor<4x2x9x9xf32>, tensor<1x2x9x9xf32> -> tensor<4x2x9x9xf32>
  %p = quilt.softmax %a {axis = 3 : i64} : tensor<4x2x9x9xf32>
  %o = quilt.einsum %p, %v {equation = "abwx,abxy->abwy"} : tensor<4x2x9x9xf32>, tensor<4x2x9x8xf32> -> tensor<4x2x9x8xf32>
  %s2 = quilt.einsum %q, %kt {equation = "abwx,abxy->abwy"} : tensor<4x2x9x8xf32>, tensor<4x2x8x9xf32> -> tensor<4x2x9x9xf32>
  %a2 = quilt.add %bias, %s2 : tensor<1x2x9x9xf32>, tensor<4x2x9x9xf32> -> tensor<4x2x9x9xf32>
  %p2 = quilt.softmax %a2 {axis = 3 : i64} : tensor<4x2x9x9xf32>
  %o2 = quilt.einsum %p2, %v {equation = "abwx,abxy->abwy"} : tensor<4x2x9x9xf32>, tensor<4x2x9x8xf32> -> tensor<4x2x9x8xf32>
  return %o, %o2 : tensor<4x2x9x8xf32>, tensor<4x2x9x8xf32>
}

// Near-misses stay as they are: an Add that broadcasts the scores (the
// bias has more of a dim), and scores the Add's result is not alone in
// reading.
// CHECK-LABEL: func @bias_near_misses
func.func @bias_near_misses(%q: tensor<1x2x9x8xf32>, %kt: tensor<1x2x8x9xf32>, %v: tensor<4x2x9x8xf32>, %bias: tensor<4x2x9x9xf32>, %v1: tensor<1x2x9x8xf32>) -> (tensor<4x2x9x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x9xf32>) {
  // CHECK-NOT: quilt.attention
  // CHECK: return
  %s = quilt.einsum %q, %kt {equation = "abwx,abxy->abwy"} : tensor<1x2x9x8xf32>, tensor<1x2x8x9xf32> -> tensor<1x2x9x9xf32>
  %a = quilt.add %s, %bias : tensor<1x2x9x9xf32>, tensor<4x2x9x9xf32> -> tensor<4x2x9x9xf32>
  %p = quilt.softmax %a {axis = 3 : i64} : tensor<4x2x9x9xf32>
  %o = quilt.einsum %p, %v {equation = "abwx,abxy->abwy"} : tensor<4x2x9x9xf32>, tensor<4x2x9x8xf32> -> tensor<4x2x9x8xf32>
  %s2 = quilt.einsum %q, %kt {equation = "abwx,abxy->abwy"} : tensor<1x2x9x8xf32>, tensor<1x2x8x9xf32> -> tensor<1x2x9x9xf32>
  %b2 = quilt.slice %bias {starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>} : tensor<4x2x9x9xf32> -> tensor<1x2x9x9xf32>
  %a2 = quilt.add %s2, %b2 : tensor<1x2x9x9xf32>, tensor<1x2x9x9xf32> -> tensor<1x2x9x9xf32>
  %p2 = quilt.softmax %a2 {axis = 3 : i64} : tensor<1x2x9x9xf32>
  %o2 = quilt.einsum %p2, %v1 {equation = "abwx,abxy->abwy"} : tensor<1x2x9x9xf32>, tensor<1x2x9x8xf32> -> tensor<1x2x9x8xf32>
  return %o, %o2, %a2 : tensor<4x2x9x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x9xf32>
}
