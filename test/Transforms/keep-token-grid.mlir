// RUN: quilt-opt %s --quilt-keep-token-grid -split-input-file | FileCheck %s

// Round trip: image -> tokens -> LayerNorm, bias, GELU -> image. The merge
// sinks through every op and cancels with the split back: no reshape is left.
// CHECK-LABEL: func @round_trip
func.func @round_trip(%x: tensor<1x16x8x6xf32>, %s: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<1x16x8x6xf32> {
  // CHECK-NOT: quilt.reshape
  // CHECK: %[[T:.*]] = quilt.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : tensor<1x16x8x6xf32> -> tensor<1x8x6x16xf32>
  // CHECK: %[[N:.*]] = quilt.layer_norm %[[T]], %arg1, %arg2 {axis = 3 : i64, {{.*}}} : tensor<1x8x6x16xf32>
  // CHECK: %[[C:.*]] = quilt.constant dense<5.000000e-01> : tensor<1x1x1x16xf32>
  // CHECK: %[[A:.*]] = quilt.add %[[N]], %[[C]] : tensor<1x8x6x16xf32>, tensor<1x1x1x16xf32> -> tensor<1x8x6x16xf32>
  // CHECK: %[[G:.*]] = quilt.gelu %[[A]] : tensor<1x8x6x16xf32>
  // CHECK: %[[B:.*]] = quilt.transpose %[[G]] {perm = array<i64: 0, 3, 1, 2>} : tensor<1x8x6x16xf32> -> tensor<1x16x8x6xf32>
  // CHECK-NOT: quilt.reshape
  // CHECK: return %[[B]]
  %f = quilt.reshape %x : tensor<1x16x8x6xf32> -> tensor<1x16x48xf32>
  %t = quilt.transpose %f {perm = array<i64: 0, 2, 1>} : tensor<1x16x48xf32> -> tensor<1x48x16xf32>
  %n = quilt.layer_norm %t, %s, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<1x48x16xf32>, tensor<16xf32>, tensor<16xf32>
  %c = quilt.constant dense<0.5> : tensor<1x1x16xf32>
  %a = quilt.add %n, %c : tensor<1x48x16xf32>, tensor<1x1x16xf32> -> tensor<1x48x16xf32>
  %g = quilt.gelu %a : tensor<1x48x16xf32>
  %u = quilt.transpose %g {perm = array<i64: 0, 2, 1>} : tensor<1x48x16xf32> -> tensor<1x16x48xf32>
  %y = quilt.reshape %u : tensor<1x16x48xf32> -> tensor<1x16x8x6xf32>
  return %y : tensor<1x16x8x6xf32>
}

// -----

// A positional embedding [1, T, C] is reshaped to the grid [1, H, W, C] as a
// constant (position h * W + w of T is (h, w)).
// CHECK-LABEL: func @positional_embedding
func.func @positional_embedding(%x: tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32> {
  // CHECK: %[[P:.*]] = quilt.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+00], [2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00]], {{\[\[}}6.000000e+00, 7.000000e+00], [8.000000e+00, 9.000000e+00], [1.000000e+01, 1.100000e+01]]]]> : tensor<1x2x3x2xf32>
  // CHECK: %[[A:.*]] = quilt.add %arg0, %[[P]] : tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32> -> tensor<1x2x3x2xf32>
  // CHECK-NEXT: return %[[A]]
  %f = quilt.reshape %x : tensor<1x2x3x2xf32> -> tensor<1x6x2xf32>
  %p = quilt.constant dense<[[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0], [8.0, 9.0], [10.0, 11.0]]]> : tensor<1x6x2xf32>
  %a = quilt.add %f, %p : tensor<1x6x2xf32>, tensor<1x6x2xf32> -> tensor<1x6x2xf32>
  %y = quilt.reshape %a : tensor<1x6x2xf32> -> tensor<1x2x3x2xf32>
  return %y : tensor<1x2x3x2xf32>
}

// -----

// Where the merged dim meets an op that needs it as one dim (a softmax over
// the tokens, a contraction over the flattened features), the merge stays
// right in front of that op: the function is unchanged.
// CHECK-LABEL: func @stops_at_softmax_over_tokens
func.func @stops_at_softmax_over_tokens(%x: tensor<1x4x3x5xf32>) -> tensor<1x12x5xf32> {
  // CHECK: %[[R:.*]] = quilt.relu %arg0 : tensor<1x4x3x5xf32>
  // CHECK: %[[M:.*]] = quilt.reshape %[[R]] : tensor<1x4x3x5xf32> -> tensor<1x12x5xf32>
  // CHECK: %[[S:.*]] = quilt.softmax %[[M]] {axis = 1 : i64} : tensor<1x12x5xf32>
  // CHECK: return %[[S]]
  %f = quilt.reshape %x : tensor<1x4x3x5xf32> -> tensor<1x12x5xf32>
  %r = quilt.relu %f : tensor<1x12x5xf32>
  %s = quilt.softmax %r {axis = 1 : i64} : tensor<1x12x5xf32>
  return %s : tensor<1x12x5xf32>
}

// CHECK-LABEL: func @flatten_into_gemm
func.func @flatten_into_gemm(%x: tensor<2x3x4x5xf32>, %w: tensor<60x7xf32>) -> tensor<2x7xf32> {
  // CHECK: %[[M:.*]] = quilt.reshape %arg0 : tensor<2x3x4x5xf32> -> tensor<2x60xf32>
  // CHECK: quilt.gemm %[[M]], %arg1
  %f = quilt.reshape %x : tensor<2x3x4x5xf32> -> tensor<2x60xf32>
  %y = quilt.gemm %f, %w : tensor<2x60xf32>, tensor<60x7xf32> -> tensor<2x7xf32>
  return %y : tensor<2x7xf32>
}

// -----

// Tokens as the rows of a gemm (the attention's output projection) become an
// einsum over the grid plus the bias; a head split [T, C] -> [T, h, d] of
// other dims lets the merge through, and so does the merge of those heads
// back (the token merge, of more major dims, moves last).
// CHECK-LABEL: func @projection_and_heads
func.func @projection_and_heads(%x: tensor<4x3x6xf32>, %w: tensor<6x6xf32>) -> tensor<4x3x6xf32> {
  // CHECK: %[[H:.*]] = quilt.reshape %arg0 : tensor<4x3x6xf32> -> tensor<4x3x2x3xf32>
  // CHECK: %[[C:.*]] = quilt.reshape %[[H]] : tensor<4x3x2x3xf32> -> tensor<4x3x6xf32>
  // CHECK: %[[B:.*]] = quilt.constant dense<1.000000e+00> : tensor<1x1x6xf32>
  // CHECK: %[[E:.*]] = quilt.einsum %[[C]], %arg1 {equation = "aby,zy->abz"} : tensor<4x3x6xf32>, tensor<6x6xf32> -> tensor<4x3x6xf32>
  // CHECK: %[[A:.*]] = quilt.add %[[E]], %[[B]] : tensor<4x3x6xf32>, tensor<1x1x6xf32> -> tensor<4x3x6xf32>
  // CHECK-NOT: quilt.reshape
  // CHECK: return %[[A]]
  %f = quilt.reshape %x : tensor<4x3x6xf32> -> tensor<12x6xf32>
  %h = quilt.reshape %f : tensor<12x6xf32> -> tensor<12x2x3xf32>
  %m = quilt.reshape %h : tensor<12x2x3xf32> -> tensor<12x6xf32>
  %bias = quilt.constant dense<1.0> : tensor<1x6xf32>
  %p = quilt.gemm %m, %w, %bias {trans_b = true} : tensor<12x6xf32>, tensor<6x6xf32>, tensor<1x6xf32> -> tensor<12x6xf32>
  %y = quilt.reshape %p : tensor<12x6xf32> -> tensor<4x3x6xf32>
  return %y : tensor<4x3x6xf32>
}

// -----

// Attention whose queries, keys and values come from one grid attends over
// the grid: token_dims = 2, no merge in between.
// CHECK-LABEL: func @attention_over_grid
func.func @attention_over_grid(%x: tensor<2x4x3x8xf32>, %wq: tensor<8x8xf32>) -> tensor<2x4x3x8xf32> {
  // CHECK: %[[Q:.*]] = quilt.einsum %arg0, %arg1 {equation = "atbx,xy->atby"} : tensor<2x4x3x8xf32>, tensor<8x8xf32> -> tensor<2x4x3x8xf32>
  // CHECK: %[[A:.*]] = quilt.attention %[[Q]], %arg0, %arg0 {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32> -> tensor<2x4x3x8xf32>
  // CHECK-NOT: quilt.reshape
  // CHECK: return %[[A]]
  %f = quilt.reshape %x : tensor<2x4x3x8xf32> -> tensor<2x12x8xf32>
  %q = quilt.einsum %f, %wq {equation = "atx,xy->aty"} : tensor<2x12x8xf32>, tensor<8x8xf32> -> tensor<2x12x8xf32>
  %a = quilt.attention %q, %f, %f : tensor<2x12x8xf32>, tensor<2x12x8xf32>, tensor<2x12x8xf32> -> tensor<2x12x8xf32>
  %y = quilt.reshape %a : tensor<2x12x8xf32> -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

// A relative position bias [heads, Tq, Tk] (a constant) follows the grids:
// [heads, 4, 3, 4, 3], reshaped where it is.
// CHECK-LABEL: func @attention_bias_over_grid
func.func @attention_bias_over_grid(%x: tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32> {
  // CHECK: %[[B:.*]] = quilt.constant dense<{{.*}}> : tensor<2x4x3x4x3xf32>
  // CHECK: %[[A:.*]] = quilt.attention %arg0, %arg0, %arg0 bias %[[B]] {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32> bias tensor<2x4x3x4x3xf32> -> tensor<2x4x3x8xf32>
  // CHECK-NOT: quilt.reshape
  // CHECK: return %[[A]]
  %b = quilt.constant dense<0.5> : tensor<2x12x12xf32>
  %f = quilt.reshape %x : tensor<2x4x3x8xf32> -> tensor<2x12x8xf32>
  %a = quilt.attention %f, %f, %f bias %b : tensor<2x12x8xf32>, tensor<2x12x8xf32>, tensor<2x12x8xf32> bias tensor<2x12x12xf32> -> tensor<2x12x8xf32>
  %y = quilt.reshape %a : tensor<2x12x8xf32> -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

// Swin's windows: a grid of 3x2 windows merged into the batch dim of q, k
// and v alike. The attention runs on the unmerged window grid (so a split
// of either window count survives); the bias, broadcast over the windows,
// gets unit dims for them.
// CHECK-LABEL: func @attention_over_window_grid
func.func @attention_over_window_grid(%x: tensor<3x2x4x8xf32>, %b: tensor<1x4x4xf32>) -> tensor<3x2x4x8xf32> {
  // CHECK: %[[B:.*]] = quilt.reshape %arg1 : tensor<1x4x4xf32> -> tensor<1x1x4x4xf32>
  // CHECK: %[[A:.*]] = quilt.attention %arg0, %arg0, %arg0 bias %[[B]] : tensor<3x2x4x8xf32>, tensor<3x2x4x8xf32>, tensor<3x2x4x8xf32> bias tensor<1x1x4x4xf32> -> tensor<3x2x4x8xf32>
  // CHECK-NOT: quilt.reshape
  // CHECK: return %[[A]]
  %f = quilt.reshape %x : tensor<3x2x4x8xf32> -> tensor<6x4x8xf32>
  %a = quilt.attention %f, %f, %f bias %b : tensor<6x4x8xf32>, tensor<6x4x8xf32>, tensor<6x4x8xf32> bias tensor<1x4x4xf32> -> tensor<6x4x8xf32>
  %y = quilt.reshape %a : tensor<6x4x8xf32> -> tensor<3x2x4x8xf32>
  return %y : tensor<3x2x4x8xf32>
}

// -----

// Keys from another sequence (not merged): attention stays over merged
// tokens, and the merge stays in front of it.
// CHECK-LABEL: func @attention_to_other_keys
func.func @attention_to_other_keys(%x: tensor<2x4x3x8xf32>, %k: tensor<2x5x8xf32>) -> tensor<2x12x8xf32> {
  // CHECK: %[[M:.*]] = quilt.reshape %arg0 : tensor<2x4x3x8xf32> -> tensor<2x12x8xf32>
  // CHECK: quilt.attention %[[M]], %arg1, %arg1 : tensor<2x12x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x12x8xf32>
  %f = quilt.reshape %x : tensor<2x4x3x8xf32> -> tensor<2x12x8xf32>
  %a = quilt.attention %f, %k, %k : tensor<2x12x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32> -> tensor<2x12x8xf32>
  return %a : tensor<2x12x8xf32>
}

// -----

// Softmax over the features and a slice of the features: axes and slice
// bounds are renumbered around the grid; a slice of the tokens themselves
// needs them as one dim and stops the merge.
// CHECK-LABEL: func @softmax_and_slices
func.func @softmax_and_slices(%x: tensor<1x4x3x6xf32>) -> tensor<1x5x2xf32> {
  // CHECK: %[[S:.*]] = quilt.softmax %arg0 {axis = 3 : i64} : tensor<1x4x3x6xf32>
  // CHECK: %[[F:.*]] = quilt.slice %[[S]] {starts = array<i64: 0, 0, 0, 2>, steps = array<i64: 1, 1, 1, 2>} : tensor<1x4x3x6xf32> -> tensor<1x4x3x2xf32>
  // CHECK: %[[M:.*]] = quilt.reshape %[[F]] : tensor<1x4x3x2xf32> -> tensor<1x12x2xf32>
  // CHECK: %[[T:.*]] = quilt.slice %[[M]] {starts = array<i64: 0, 1, 0>, steps = array<i64: 1, 2, 1>} : tensor<1x12x2xf32> -> tensor<1x5x2xf32>
  // CHECK: return %[[T]]
  %f = quilt.reshape %x : tensor<1x4x3x6xf32> -> tensor<1x12x6xf32>
  %s = quilt.softmax %f {axis = 2 : i64} : tensor<1x12x6xf32>
  %c = quilt.slice %s {starts = array<i64: 0, 0, 2>, steps = array<i64: 1, 1, 2>} : tensor<1x12x6xf32> -> tensor<1x12x2xf32>
  %t = quilt.slice %c {starts = array<i64: 0, 1, 0>, steps = array<i64: 1, 2, 1>} : tensor<1x12x2xf32> -> tensor<1x5x2xf32>
  return %t : tensor<1x5x2xf32>
}

// -----

// A mean over the tokens (a pooled head) is a mean over the grid's dims: each
// rank reduces its tile and one all-reduce finishes it. A reduction over
// other dims keeps the parts.
// CHECK-LABEL: func @mean_over_tokens
func.func @mean_over_tokens(%x: tensor<1x4x3x5xf32>) -> (tensor<1x1x4xf32>, tensor<1x15x1xf32>) {
  // CHECK: %[[T:.*]] = quilt.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x3x5xf32> -> tensor<1x3x5x4xf32>
  // CHECK: %[[M:.*]] = quilt.reduce_mean %[[T]] dims [1, 2] : tensor<1x3x5x4xf32> -> tensor<1x1x1x4xf32>
  // CHECK: %[[P:.*]] = quilt.reshape %[[M]] : tensor<1x1x1x4xf32> -> tensor<1x1x4xf32>
  // CHECK: %[[X:.*]] = quilt.reduce_max %[[T]] dims [3] : tensor<1x3x5x4xf32> -> tensor<1x3x5x1xf32>
  // CHECK: %[[Y:.*]] = quilt.reshape %[[X]] : tensor<1x3x5x1xf32> -> tensor<1x15x1xf32>
  // CHECK: return %[[P]], %[[Y]]
  %f = quilt.reshape %x : tensor<1x4x3x5xf32> -> tensor<1x4x15xf32>
  %t = quilt.transpose %f {perm = array<i64: 0, 2, 1>} : tensor<1x4x15xf32> -> tensor<1x15x4xf32>
  %m = quilt.reduce_mean %t dims [1] : tensor<1x15x4xf32> -> tensor<1x1x4xf32>
  %x2 = quilt.reduce_max %t dims [2] : tensor<1x15x4xf32> -> tensor<1x15x1xf32>
  return %m, %x2 : tensor<1x1x4xf32>, tensor<1x15x1xf32>
}

// Swin's window partition merges two groups at once and drops the batch dim
// of 1: the reshape becomes a chain (drop the unit dim, merge the window's
// rows and columns, then the window counts) whose merges both move down
// through the window attention's linear layer and cancel with the window
// reverse.
// CHECK-LABEL: func @window_partition
func.func @window_partition(%x: tensor<1x4x4x2x2x8xf32>, %w: tensor<8x8xf32>) -> tensor<1x4x4x2x2x8xf32> {
  // CHECK-NEXT: %[[D:.*]] = quilt.reshape %arg0 : tensor<1x4x4x2x2x8xf32> -> tensor<4x4x2x2x8xf32>
  // CHECK-NEXT: %[[E:.*]] = quilt.einsum %[[D]], %arg1 {equation = "abwcx,xy->abwcy"} : tensor<4x4x2x2x8xf32>, tensor<8x8xf32> -> tensor<4x4x2x2x8xf32>
  // CHECK-NEXT: %[[R:.*]] = quilt.reshape %[[E]] : tensor<4x4x2x2x8xf32> -> tensor<1x4x4x2x2x8xf32>
  // CHECK-NEXT: return %[[R]]
  %a = quilt.reshape %x : tensor<1x4x4x2x2x8xf32> -> tensor<16x4x8xf32>
  %b = quilt.einsum %a, %w {equation = "awx,xy->awy"} : tensor<16x4x8xf32>, tensor<8x8xf32> -> tensor<16x4x8xf32>
  %c = quilt.reshape %b : tensor<16x4x8xf32> -> tensor<1x4x4x2x2x8xf32>
  return %c : tensor<1x4x4x2x2x8xf32>
}

// -----

// A class token's query (one token, no grid) attending to a grid of patch
// keys with its own key as prefix: the query becomes a 1 x 1 grid so the
// keys keep theirs (and their tiles), and the result is reshaped back.
// CHECK-LABEL: func @class_query_over_grid
func.func @class_query_over_grid(%q: tensor<2x1x8xf32>, %grid: tensor<2x4x3x8xf32>) -> tensor<2x1x8xf32> {
  // CHECK: %[[Q:.*]] = quilt.reshape %arg0 : tensor<2x1x8xf32> -> tensor<2x1x1x8xf32>
  // CHECK: %[[A:.*]] = quilt.attention %[[Q]], %arg1, %arg1 prefix %arg0, %arg0 {token_dims = 2 : i64} : tensor<2x1x1x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32> -> tensor<2x1x1x8xf32>
  // CHECK: quilt.reshape %[[A]] : tensor<2x1x1x8xf32> -> tensor<2x1x8xf32>
  %k = quilt.reshape %grid : tensor<2x4x3x8xf32> -> tensor<2x12x8xf32>
  %y = quilt.attention %q, %k, %k prefix %q, %q : tensor<2x1x8xf32>, tensor<2x12x8xf32>, tensor<2x12x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32> -> tensor<2x1x8xf32>
  return %y : tensor<2x1x8xf32>
}

// -----

// Unmerging must leave tensors the runtime can hold (8 dims): a merge of
// four window dims into a 5-D tensor stays in front of a layer_norm, whose
// statistics would need a ninth dim.
// CHECK-LABEL: func @rank_limit
func.func @rank_limit(%x: tensor<2x2x2x2x5x6x7x8xf32>, %s: tensor<8xf32>) -> tensor<16x5x6x7x8xf32> {
  // CHECK: %[[M:.*]] = quilt.reshape %arg0 : tensor<2x2x2x2x5x6x7x8xf32> -> tensor<16x5x6x7x8xf32>
  // CHECK: quilt.layer_norm %[[M]]
  %m = quilt.reshape %x : tensor<2x2x2x2x5x6x7x8xf32> -> tensor<16x5x6x7x8xf32>
  %n = quilt.layer_norm %m, %s, %s {axis = 4 : i64, epsilon = 1.0e-5 : f32} : tensor<16x5x6x7x8xf32>, tensor<8xf32>, tensor<8xf32>
  return %n : tensor<16x5x6x7x8xf32>
}
