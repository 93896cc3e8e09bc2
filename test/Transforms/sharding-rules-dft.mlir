// RUN: quilt-opt %s --quilt-print-sharding-rules | FileCheck %s
// DFT: the axis and the trailing (real, imaginary) dim are whole, other dims
// parallel; onesided output bins and the complex result are their own factors.

// CHECK-LABEL: func @real_onesided
func.func @real_onesided(%x: tensor<2x8x10x1xf32>) -> tensor<2x8x6x2xf32> {
  // CHECK: quilt.rule = "([i, j, k, m]) -> ([i, j, l, n]) {i = parallel 2, j = parallel 8, k = whole 10, l = whole 6, m = whole 1, n = whole 2}"
  %y = quilt.dft %x {axis = 2 : i64, onesided = true} : tensor<2x8x10x1xf32> -> tensor<2x8x6x2xf32>
  return %y : tensor<2x8x6x2xf32>
}

// CHECK-LABEL: func @complex
func.func @complex(%x: tensor<3x7x2xf32>) -> tensor<3x7x2xf32> {
  // CHECK: quilt.rule = "([i, k, l]) -> ([j, k, m]) {i = whole 3, j = whole 3, k = parallel 7, l = whole 2, m = whole 2}"
  %y = quilt.dft %x {axis = 0 : i64, inverse = true} : tensor<3x7x2xf32> -> tensor<3x7x2xf32>
  return %y : tensor<3x7x2xf32>
}
