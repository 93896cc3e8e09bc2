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
