// RUN: quilt-opt %s --quilt-print-sharding-rules | FileCheck %s
// The table-driven activations are elementwise (trigonometry, predicates,
// Shrink, Mod and Fmod too); PRelu's per-channel slope carries only the
// channel factor; LogSoftmax's axis is a statistic.

// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<1x4x9x5xf32>, %slope: tensor<1x4x1x1xf32>) -> tensor<1x4x9x5xf32> {
  // CHECK: quilt.hard_sigmoid {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l]) {i = parallel 1, j = parallel 4, k = parallel 9, l = parallel 5}"
  %a = quilt.hard_sigmoid %x {alpha = 2.0e-01 : f32, beta = 5.0e-01 : f32} : tensor<1x4x9x5xf32>
  // CHECK: quilt.selu {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l])
  %b = quilt.selu %a {alpha = 1.5 : f32, gamma = 1.0 : f32} : tensor<1x4x9x5xf32>
  // CHECK: quilt.round {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l])
  %c = quilt.round %b : tensor<1x4x9x5xf32>
  // CHECK: quilt.prelu {{.*}}quilt.rule = "([i, j, k, l], [i, j, _, _]) -> ([i, j, k, l]) {i = parallel 1, j = parallel 4, k = parallel 9, l = parallel 5}"
  %d = quilt.prelu %c, %slope : tensor<1x4x9x5xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x9x5xf32>
  // CHECK: quilt.log_softmax {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l]) {i = parallel 1, j = statistic 4, k = parallel 9, l = parallel 5}"
  %e = quilt.log_softmax %d {axis = 1 : i64} : tensor<1x4x9x5xf32>
  return %e : tensor<1x4x9x5xf32>
}

// CHECK-LABEL: func @trigonometry_predicates_mod
func.func @trigonometry_predicates_mod(%x: tensor<1x4x9x5xf32>, %d: tensor<1x4x1x1xf32>) -> tensor<1x4x9x5xf32> {
  // CHECK: quilt.acosh {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l]) {i = parallel 1, j = parallel 4, k = parallel 9, l = parallel 5}"
  %a = quilt.acosh %x : tensor<1x4x9x5xf32>
  // CHECK: quilt.is_inf {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l])
  %b = quilt.is_inf %a {detect_negative = 0.0 : f32, detect_positive = 1.0 : f32} : tensor<1x4x9x5xf32>
  // CHECK: quilt.shrink {{.*}}quilt.rule = "([i, j, k, l]) -> ([i, j, k, l])
  %c = quilt.shrink %b {lambd = 5.0e-01 : f32, bias = 0.0 : f32} : tensor<1x4x9x5xf32>
  // CHECK: quilt.mod {{.*}}quilt.rule = "([i, j, k, l], [i, j, _, _]) -> ([i, j, k, l]) {i = parallel 1, j = parallel 4, k = parallel 9, l = parallel 5}"
  %e = quilt.mod %c, %d : tensor<1x4x9x5xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x9x5xf32>
  // CHECK: quilt.fmod {{.*}}quilt.rule = "([i, j, k, l], [i, j, _, _]) -> ([i, j, k, l])
  %f = quilt.fmod %e, %d : tensor<1x4x9x5xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x9x5xf32>
  return %f : tensor<1x4x9x5xf32>
}
