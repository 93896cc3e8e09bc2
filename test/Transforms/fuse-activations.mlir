// RUN: quilt-opt %s -split-input-file --quilt-fuse-activations | FileCheck %s
// RUN: quilt-opt %s -split-input-file --quilt-fuse-activations --quilt-annotate-inputs="mesh-shape=2" --quilt-propagate-sharding --quilt-partition --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=100000 | FileCheck %s --check-prefix=LOWER

// CHECK-LABEL: func @fused
func.func @fused(%x: tensor<1x2x8x8xf32> {quilt.name = "input"}) -> tensor<1x2x8x8xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  // CHECK: %[[C:.*]] = quilt.conv {{.*}}activation = #quilt.activation<leaky_relu>, activation_alpha = 1.000000e-01 : f32
  // CHECK-NOT: quilt.leaky_relu
  // CHECK: %[[D:.*]] = quilt.conv %[[C]]
  // CHECK-SAME: activation = #quilt.activation<relu>
  // CHECK-NOT: quilt.relu
  // CHECK: return %[[D]]
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x8xf32>
  %l = quilt.leaky_relu %c {alpha = 0.1 : f32} : tensor<1x2x8x8xf32>
  %d = quilt.conv %l, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x8xf32>
  %r = quilt.relu %d : tensor<1x2x8x8xf32>
  return %r : tensor<1x2x8x8xf32>
}
// The activation words follow the pads: 2 = leaky_relu with alpha 0.1 (double bits), 1 = relu.
// (strides 1 1, dilations 1 1, pads lo 1 1 hi 1 1: global, also on the split H, whose
// halo'd input the runtime reads in global coordinates)
// LOWER-DAG: @__quilt_params_{{[0-9]+}}(dense<[{{.*}}, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4591870180174331904]>
// LOWER-DAG: @__quilt_params_{{[0-9]+}}(dense<[{{.*}}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]>

// -----

// CHECK-LABEL: func @shared
func.func @shared(%x: tensor<1x2x8x8xf32>) -> (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  // The conv result is used twice: the ReLU stays.
  // CHECK: quilt.conv
  // CHECK-NOT: activation
  // CHECK: quilt.relu
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x8xf32>
  %r = quilt.relu %c : tensor<1x2x8x8xf32>
  return %r, %c : tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x5xf32>)
func.func @gelu(%x: tensor<1x4x5xf32>) -> tensor<1x4x5xf32> {
  // CHECK-NEXT: %[[G:.*]] = quilt.gelu %[[X]] : tensor<1x4x5xf32>
  // CHECK-NEXT: return %[[G]]
  %s = quilt.constant dense<1.41421354> : tensor<1x1x1xf32>
  %one = quilt.constant dense<1.0> : tensor<1x1x1xf32>
  %half = quilt.constant dense<0.5> : tensor<1x1x1xf32>
  %d = quilt.div %x, %s : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  %e = quilt.erf %d : tensor<1x4x5xf32>
  %a = quilt.add %e, %one : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  %m = quilt.mul %x, %a : tensor<1x4x5xf32>, tensor<1x4x5xf32> -> tensor<1x4x5xf32>
  %h = quilt.mul %m, %half : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  return %h : tensor<1x4x5xf32>
}

// -----

// CHECK-LABEL: func @not_gelu
func.func @not_gelu(%x: tensor<1x4x5xf32>) -> tensor<1x4x5xf32> {
  // A different constant (0.6 instead of 0.5) is left alone.
  // CHECK: quilt.erf
  // CHECK-NOT: quilt.gelu
  %s = quilt.constant dense<1.41421354> : tensor<1x1x1xf32>
  %one = quilt.constant dense<1.0> : tensor<1x1x1xf32>
  %half = quilt.constant dense<0.6> : tensor<1x1x1xf32>
  %d = quilt.div %x, %s : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  %e = quilt.erf %d : tensor<1x4x5xf32>
  %a = quilt.add %e, %one : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  %m = quilt.mul %x, %a : tensor<1x4x5xf32>, tensor<1x4x5xf32> -> tensor<1x4x5xf32>
  %h = quilt.mul %m, %half : tensor<1x4x5xf32>, tensor<1x1x1xf32> -> tensor<1x4x5xf32>
  return %h : tensor<1x4x5xf32>
}

// -----

// Mish as torch exports it before opset 18: x * tanh(softplus(x)).
// CHECK-LABEL: func @mish
func.func @mish(%x: tensor<1x2x8xf32>) -> tensor<1x2x8xf32> {
  // CHECK: %[[M:.*]] = quilt.mish %arg0 : tensor<1x2x8xf32>
  // CHECK-NOT: quilt.softplus
  // CHECK-NOT: quilt.tanh
  // CHECK-NOT: quilt.mul
  // CHECK: return %[[M]]
  %s = quilt.softplus %x : tensor<1x2x8xf32>
  %t = quilt.tanh %s : tensor<1x2x8xf32>
  %y = quilt.mul %x, %t : tensor<1x2x8xf32>, tensor<1x2x8xf32> -> tensor<1x2x8xf32>
  return %y : tensor<1x2x8xf32>
}
// Mish is unary kind 20 with no parameters.
// LOWER-DAG: @__quilt_params_{{[0-9]+}}(dense<[{{.*}}, 20, 0, 0]>

// -----

// The tanh is used elsewhere: nothing fuses.
// CHECK-LABEL: func @mish_shared
func.func @mish_shared(%x: tensor<1x2x8xf32>) -> (tensor<1x2x8xf32>, tensor<1x2x8xf32>) {
  // CHECK: quilt.softplus
  // CHECK: quilt.tanh
  // CHECK: quilt.mul
  // CHECK-NOT: quilt.mish
  %s = quilt.softplus %x : tensor<1x2x8xf32>
  %t = quilt.tanh %s : tensor<1x2x8xf32>
  %y = quilt.mul %x, %t : tensor<1x2x8xf32>, tensor<1x2x8xf32> -> tensor<1x2x8xf32>
  return %y, %t : tensor<1x2x8xf32>, tensor<1x2x8xf32>
}
