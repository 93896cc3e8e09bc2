// RUN: quilt-opt %s --quilt-fuse-normalizations | FileCheck %s

// CHECK-LABEL: func @torch_group_norm
func.func @torch_group_norm(%x: tensor<2x8x5x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x8x5x6xf32> {
  // CHECK-NEXT: %[[Y:.*]] = quilt.group_norm %arg0, %arg1, %arg2 {epsilon = 9.99999974E-6 : f32, groups = 4 : i64} : tensor<2x8x5x6xf32>
  // CHECK-NEXT: return %[[Y]]
  %r = quilt.reshape %x : tensor<2x8x5x6xf32> -> tensor<2x4x60xf32>
  %n = quilt.group_norm %r, %s, %b {groups = 4 : i64, epsilon = 1.0e-5 : f32} : tensor<2x4x60xf32>, tensor<4xf32>, tensor<4xf32>
  %y = quilt.reshape %n : tensor<2x4x60xf32> -> tensor<2x8x5x6xf32>
  return %y : tensor<2x8x5x6xf32>
}

// CHECK-LABEL: func @other_reshape_kept
func.func @other_reshape_kept(%x: tensor<2x8x5x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4x60xf32> {
  // Not reshaped back to the input's shape: not a group norm of %x.
  // CHECK: quilt.reshape
  // CHECK: quilt.group_norm %{{.*}} : tensor<2x4x60xf32>
  %r = quilt.reshape %x : tensor<2x8x5x6xf32> -> tensor<2x4x60xf32>
  %n = quilt.group_norm %r, %s, %b {groups = 4 : i64, epsilon = 1.0e-5 : f32} : tensor<2x4x60xf32>, tensor<4xf32>, tensor<4xf32>
  return %n : tensor<2x4x60xf32>
}
