// RUN: quilt-opt %s -split-input-file -verify-diagnostics
// The verifiers of the ops quilt-decompose lowers.

func.func @batch_norm_rank(%x: tensor<4xf32>, %p: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{needs an input of rank >= 2 ([N, C, ...]), got rank 1}}
  %y = quilt.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @batch_norm_channels(%x: tensor<1x3x5xf32>, %p: tensor<3xf32>, %q: tensor<4xf32>) -> tensor<1x3x5xf32> {
  // expected-error @+1 {{scale, bias, mean and variance must have shape [3], got 'tensor<4xf32>'}}
  %y = quilt.batch_norm %x, %p, %p, %p, %q {epsilon = 1.0e-5 : f32} : tensor<1x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<4xf32>
  return %y : tensor<1x3x5xf32>
}

// -----

func.func @batch_norm_params_rank(%x: tensor<1x3x5xf32>, %p: tensor<3xf32>, %q: tensor<1x3xf32>) -> tensor<1x3x5xf32> {
  // expected-error @+1 {{scale, bias, mean and variance must have shape [3], got 'tensor<1x3xf32>'}}
  %y = quilt.batch_norm %x, %q, %p, %p, %p {epsilon = 1.0e-5 : f32} : tensor<1x3x5xf32>, tensor<1x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
  return %y : tensor<1x3x5xf32>
}

// -----

func.func @not_two_operands(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{not takes one operand of the result's type}}
  %y = quilt.logic not, %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @not_type(%a: tensor<1x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{not takes one operand of the result's type}}
  %y = quilt.logic not, %a : tensor<1x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @and_one_operand(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{and takes two operands, got 1}}
  %y = quilt.logic and, %a : tensor<2x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @xor_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{dim 1 does not broadcast: 3 and 4 to 3}}
  %y = quilt.logic xor, %a, %b : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @or_ranks(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operands and result must have equal rank}}
  %y = quilt.logic or, %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) -> tensor<3x6xf32> {
  // expected-error @+1 {{contraction sizes differ: 4 vs 5}}
  %y = quilt.matmul %a, %b : tensor<3x4xf32>, tensor<5x6xf32> -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

// -----

func.func @matmul_1d_contraction(%a: tensor<3x4xf32>, %v: tensor<5xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{contraction sizes differ: 4 vs 5}}
  %y = quilt.matmul %a, %v : tensor<3x4xf32>, tensor<5xf32> -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{batch dims do not broadcast: 2 and 3}}
  %y = quilt.matmul %a, %b : tensor<2x3x4xf32>, tensor<3x4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

func.func @matmul_result(%a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{result must be 'tensor<2x5x3x6xf32>', got 'tensor<2x1x3x6xf32>'}}
  %y = quilt.matmul %a, %b : tensor<2x1x3x4xf32>, tensor<5x4x6xf32> -> tensor<2x1x3x6xf32>
  return %y : tensor<2x1x3x6xf32>
}

// -----

func.func @matmul_1d_result(%v: tensor<4xf32>, %b: tensor<4x5xf32>) -> tensor<1x5xf32> {
  // A 1-D lhs's row is dropped from the result.
  // expected-error @+1 {{result must be 'tensor<5xf32>', got 'tensor<1x5xf32>'}}
  %y = quilt.matmul %v, %b : tensor<4xf32>, tensor<4x5xf32> -> tensor<1x5xf32>
  return %y : tensor<1x5xf32>
}

// -----

func.func @matmul_scalar(%s: tensor<f32>, %b: tensor<4x5xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{operands must have rank >= 1, got 0 and 2}}
  %y = quilt.matmul %s, %b : tensor<f32>, tensor<4x5xf32> -> tensor<5xf32>
  return %y : tensor<5xf32>
}
