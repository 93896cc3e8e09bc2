// RUN: quilt-opt %s --quilt-print-sharding-rules | FileCheck %s
// ArgMax/ArgMin and CumSum: the axis a statistic (a split stays split), the
// arg reduction's result without a factor there. GatherElements: the input's
// axis whole; the indices' and result's dims parallel, shared with the input
// dims of equal extent.

// CHECK-LABEL: func @arg_reduce
func.func @arg_reduce(%x: tensor<2x10x4xf32>) -> tensor<2x1x4xf32> {
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, _, k]) {i = parallel 2, j = statistic 10, k = parallel 4}"
  %y = quilt.arg_reduce %x {axis = 1 : i64, min = true} : tensor<2x10x4xf32> -> tensor<2x1x4xf32>
  return %y : tensor<2x1x4xf32>
}

// CHECK-LABEL: func @cumsum
func.func @cumsum(%x: tensor<2x10x4xf32>) -> tensor<2x10x4xf32> {
  // CHECK: quilt.rule = "([i, j, k]) -> ([i, j, k]) {i = parallel 2, j = parallel 10, k = statistic 4}"
  %y = quilt.cumsum %x {axis = 2 : i64, reverse = true} : tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}

// CHECK-LABEL: func @gather_elements
func.func @gather_elements(%x: tensor<6x5x3xf32>, %i: tensor<6x8x2xf32>) -> tensor<6x8x2xf32> {
  // CHECK: quilt.rule = "([i, k, m], [i, j, l]) -> ([i, j, l]) {i = parallel 6, j = parallel 8, k = whole 5, l = parallel 2, m = whole 3}"
  %y = quilt.gather_elements %x, %i {axis = 1 : i64} : tensor<6x5x3xf32>, tensor<6x8x2xf32> -> tensor<6x8x2xf32>
  return %y : tensor<6x8x2xf32>
}
