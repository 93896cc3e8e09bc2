// RUN: quilt-opt %s --quilt-split-extra-tokens -split-input-file | FileCheck %s

// A ViT's class token: Concat([cls, patches]) + positional embedding,
// LayerNorm, self-attention, and the head's token 0. The concat moves past
// every op; the embedding constant is sliced; each stream's queries attend
// to the patch keys with the class token's as prefix keys; token 0 is the
// class stream; the residual's concat is left at the return.
// CHECK-LABEL: func @class_token
func.func @class_token(%cls: tensor<1x1x8xf32>, %patches: tensor<1x6x8xf32>) -> (tensor<1x1x8xf32>, tensor<1x7x8xf32>) {
  %pos = quilt.constant dense<0.5> : tensor<1x7x8xf32>
  %s = quilt.constant dense<1.0> : tensor<8xf32>
  %b = quilt.constant dense<0.0> : tensor<8xf32>
  // CHECK-DAG: %[[PC:.*]] = quilt.constant dense<5.000000e-01> : tensor<1x1x8xf32>
  // CHECK-DAG: %[[PP:.*]] = quilt.constant dense<5.000000e-01> : tensor<1x6x8xf32>
  // CHECK-DAG: %[[C:.*]] = quilt.add %arg0, %[[PC]]
  // CHECK-DAG: %[[P:.*]] = quilt.add %arg1, %[[PP]]
  // CHECK-DAG: %[[NC:.*]] = quilt.layer_norm %[[C]]
  // CHECK-DAG: %[[NP:.*]] = quilt.layer_norm %[[P]]
  // CHECK-DAG: %[[AC:.*]] = quilt.attention %[[NC]], %[[NP]], %[[NP]] prefix %[[NC]], %[[NC]] : tensor<1x1x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x1x8xf32>, tensor<1x1x8xf32> -> tensor<1x1x8xf32>
  // CHECK-DAG: %[[AP:.*]] = quilt.attention %[[NP]], %[[NP]], %[[NP]] prefix %[[NC]], %[[NC]] : tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x1x8xf32>, tensor<1x1x8xf32> -> tensor<1x6x8xf32>
  // CHECK-DAG: %[[RC:.*]] = quilt.add %[[AC]], %[[C]]
  // CHECK-DAG: %[[RP:.*]] = quilt.add %[[AP]], %[[P]]
  // CHECK: %[[R:.*]] = quilt.concat %[[RC]], %[[RP]] {axis = 1 : i64}
  // CHECK-NOT: quilt.concat
  // CHECK: %[[H:.*]] = quilt.slice %[[AC]]
  // CHECK: return %[[H]], %[[R]]
  %t = quilt.concat %cls, %patches {axis = 1 : i64} : tensor<1x1x8xf32>, tensor<1x6x8xf32> -> tensor<1x7x8xf32>
  %e = quilt.add %t, %pos : tensor<1x7x8xf32>, tensor<1x7x8xf32> -> tensor<1x7x8xf32>
  %n = quilt.layer_norm %e, %s, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<1x7x8xf32>, tensor<8xf32>, tensor<8xf32>
  %a = quilt.attention %n, %n, %n : tensor<1x7x8xf32>, tensor<1x7x8xf32>, tensor<1x7x8xf32> -> tensor<1x7x8xf32>
  %r = quilt.add %a, %e : tensor<1x7x8xf32>, tensor<1x7x8xf32> -> tensor<1x7x8xf32>
  %head = quilt.slice %a {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x7x8xf32> -> tensor<1x1x8xf32>
  return %head, %r : tensor<1x1x8xf32>, tensor<1x7x8xf32>
}

// -----

// The MultiheadAttention export moves the tokens to dim 0 and back, runs
// the projections as einsums and the output projection as a gemm over
// token rows: each is computed per stream.
// CHECK-LABEL: func @projections
func.func @projections(%cls: tensor<1x1x8xf32>, %patches: tensor<1x6x8xf32>, %w: tensor<8x8xf32>) -> (tensor<7x8xf32>, tensor<1x7x8xf32>) {
  // CHECK-DAG: quilt.einsum %{{.*}}, %arg2 {equation = "awx,xy->awy"} : tensor<1x1x8xf32>, tensor<8x8xf32> -> tensor<1x1x8xf32>
  // CHECK-DAG: quilt.einsum %{{.*}}, %arg2 {equation = "awx,xy->awy"} : tensor<6x1x8xf32>, tensor<8x8xf32> -> tensor<6x1x8xf32>
  // CHECK-DAG: quilt.gemm %{{.*}}, %arg2 {trans_b = true} : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
  // CHECK-DAG: quilt.gemm %{{.*}}, %arg2 {trans_b = true} : tensor<6x8xf32>, tensor<8x8xf32> -> tensor<6x8xf32>
  // CHECK: %[[R:.*]] = quilt.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : tensor<1x8xf32>, tensor<6x8xf32> -> tensor<7x8xf32>
  // CHECK: return %[[R]], %{{.*}}
  %t = quilt.concat %cls, %patches {axis = 1 : i64} : tensor<1x1x8xf32>, tensor<1x6x8xf32> -> tensor<1x7x8xf32>
  %tt = quilt.transpose %t {perm = array<i64: 1, 0, 2>} : tensor<1x7x8xf32> -> tensor<7x1x8xf32>
  %p = quilt.einsum %tt, %w {equation = "awx,xy->awy"} : tensor<7x1x8xf32>, tensor<8x8xf32> -> tensor<7x1x8xf32>
  %f = quilt.reshape %p : tensor<7x1x8xf32> -> tensor<7x8xf32>
  %o = quilt.gemm %f, %w {trans_b = true} : tensor<7x8xf32>, tensor<8x8xf32> -> tensor<7x8xf32>
  // The tokens reach an attention: what makes the concat one of extra tokens.
  %a = quilt.attention %t, %t, %t : tensor<1x7x8xf32>, tensor<1x7x8xf32>, tensor<1x7x8xf32> -> tensor<1x7x8xf32>
  return %o, %a : tensor<7x8xf32>, tensor<1x7x8xf32>
}

// -----

// Not extra tokens: two halves of a sequence, or a concat of a few
// channels that reaches no attention (a CNN's coordinate channel). Both stay
// as they are.
// CHECK-LABEL: func @not_extra_tokens
func.func @not_extra_tokens(%a: tensor<1x6x8xf32>, %b: tensor<1x6x8xf32>, %c: tensor<1x6x1xf32>) -> (tensor<1x12x8xf32>, tensor<1x6x9xf32>) {
  // CHECK: quilt.concat %arg0, %arg1 {axis = 1 : i64}
  // CHECK-NEXT: quilt.relu
  // CHECK: %[[F:.*]] = quilt.concat %arg0, %arg2 {axis = 2 : i64}
  // CHECK-NEXT: quilt.relu %[[F]]
  %t = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x6x8xf32>, tensor<1x6x8xf32> -> tensor<1x12x8xf32>
  %r = quilt.relu %t : tensor<1x12x8xf32>
  %f = quilt.concat %a, %c {axis = 2 : i64} : tensor<1x6x8xf32>, tensor<1x6x1xf32> -> tensor<1x6x9xf32>
  %n = quilt.relu %f : tensor<1x6x9xf32>
  return %r, %n : tensor<1x12x8xf32>, tensor<1x6x9xf32>
}

// -----

// A class and a distillation token in one Concat with the patches (DeiT):
// the two extra tokens are grouped, then split off like one.
// CHECK-LABEL: func @two_extra_tokens
func.func @two_extra_tokens(%cls: tensor<1x1x8xf32>, %dist: tensor<1x1x8xf32>, %patches: tensor<1x6x8xf32>) -> (tensor<1x8x8xf32>, tensor<1x8x8xf32>) {
  // CHECK: %[[E:.*]] = quilt.concat %arg0, %arg1 {axis = 1 : i64} : tensor<1x1x8xf32>, tensor<1x1x8xf32> -> tensor<1x2x8xf32>
  // CHECK-DAG: %[[RE:.*]] = quilt.relu %[[E]] : tensor<1x2x8xf32>
  // CHECK-DAG: %[[RP:.*]] = quilt.relu %arg2 : tensor<1x6x8xf32>
  // CHECK: quilt.concat %[[RE]], %[[RP]] {axis = 1 : i64} : tensor<1x2x8xf32>, tensor<1x6x8xf32> -> tensor<1x8x8xf32>
  %t = quilt.concat %cls, %dist, %patches {axis = 1 : i64} : tensor<1x1x8xf32>, tensor<1x1x8xf32>, tensor<1x6x8xf32> -> tensor<1x8x8xf32>
  %r = quilt.relu %t : tensor<1x8x8xf32>
  %a = quilt.attention %t, %t, %t : tensor<1x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32> -> tensor<1x8x8xf32>
  return %r, %a : tensor<1x8x8xf32>, tensor<1x8x8xf32>
}

// -----

// A class token before the patches and two register tokens after them: the
// concat nests as ((cls, patches), registers), each level split off in
// turn. Attention runs on the patch keys with both extra streams as one
// prefix (registers, then the class token), and every query stream attends
// to the same keys.
// CHECK-LABEL: func @extra_tokens_on_both_sides
func.func @extra_tokens_on_both_sides(%cls: tensor<1x1x8xf32>, %patches: tensor<1x6x8xf32>, %regs: tensor<1x2x8xf32>) -> tensor<1x9x8xf32> {
  // CHECK-NOT: tensor<1x9x8xf32>, tensor<1x9x8xf32>, tensor<1x9x8xf32>
  // CHECK: %[[PK:.*]] = quilt.concat %arg2, %arg0 {axis = 1 : i64} : tensor<1x2x8xf32>, tensor<1x1x8xf32> -> tensor<1x3x8xf32>
  // CHECK: %[[PV:.*]] = quilt.concat %arg2, %arg0 {axis = 1 : i64} : tensor<1x2x8xf32>, tensor<1x1x8xf32> -> tensor<1x3x8xf32>
  // CHECK-DAG: quilt.attention %arg0, %arg1, %arg1 prefix %[[PK]], %[[PV]] : tensor<1x1x8xf32>,
  // CHECK-DAG: quilt.attention %arg1, %arg1, %arg1 prefix %[[PK]], %[[PV]] : tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32> -> tensor<1x6x8xf32>
  // CHECK: quilt.attention %arg2, %arg1, %arg1 prefix %{{.*}}, %{{.*}} : tensor<1x2x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32> -> tensor<1x2x8xf32>
  %t = quilt.concat %cls, %patches, %regs {axis = 1 : i64} : tensor<1x1x8xf32>, tensor<1x6x8xf32>, tensor<1x2x8xf32> -> tensor<1x9x8xf32>
  %a = quilt.attention %t, %t, %t : tensor<1x9x8xf32>, tensor<1x9x8xf32>, tensor<1x9x8xf32> -> tensor<1x9x8xf32>
  return %a : tensor<1x9x8xf32>
}
