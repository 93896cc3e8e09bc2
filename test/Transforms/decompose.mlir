// RUN: quilt-opt %s | quilt-opt | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: quilt-opt %s --quilt-decompose | FileCheck %s
// quiltc ends the import phase of an .mlir input with the pass too.
// RUN: quiltc %s --compile-to=import -o - | FileCheck %s
// quilt.batch_norm, quilt.logic and quilt.matmul print and parse back to
// themselves, and quilt-decompose lowers each to the compute ops the importer
// built before the pass existed.

// ROUNDTRIP-LABEL: func @batch_norm_constant
// CHECK-LABEL: func @batch_norm_constant
func.func @batch_norm_constant(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %scale = quilt.constant dense<[2.58, 0.75]> : tensor<2xf32>
  %bias = quilt.constant dense<[1.15, -1.0]> : tensor<2xf32>
  %mean = quilt.constant dense<[0.26, 2.0]> : tensor<2xf32>
  %var = quilt.constant dense<[0.16, 0.25]> : tensor<2xf32>
  // ROUNDTRIP: quilt.batch_norm %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  // Folded in double and rounded once: channel 0's scale is 6.449798 and its
  // shift -0.5269475 (float32 arithmetic would give 6.4497986 and -0.5269476).
  // The parameters' constants are erased.
  // CHECK-NEXT: %[[A:.*]] = quilt.constant dense<{{\[\[\[\[}}6.44979811]], {{\[\[}}1.499970e+00]]]]> : tensor<1x2x1x1xf32>
  // CHECK-NEXT: %[[S:.*]] = quilt.mul %arg0, %[[A]] : tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x3x3xf32>
  // CHECK-NEXT: %[[B:.*]] = quilt.constant dense<{{\[\[\[\[}}-0.526947498]], {{\[\[}}-3.999940e+00]]]]> : tensor<1x2x1x1xf32>
  // CHECK-NEXT: %[[Y:.*]] = quilt.add %[[S]], %[[B]] : tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x3x3xf32>
  // CHECK-NEXT: return %[[Y]]
  %y = quilt.batch_norm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-5 : f32} : tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  return %y : tensor<1x2x3x3xf32>
}

// CHECK-LABEL: func @batch_norm_computed
func.func @batch_norm_computed(%x: tensor<1x2x3xf32>, %s: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>) -> tensor<1x2x3xf32> {
  // One computed parameter: the scale and shift are quilt ops, in float32.
  // A constant parameter stays, read by them.
  // CHECK: %[[V:.*]] = quilt.constant dense<[1.600000e-01, 2.500000e-01]> : tensor<2xf32>
  // CHECK-NEXT: %[[EPS:.*]] = quilt.constant dense<1.000000e-03> : tensor<1xf32>
  // CHECK-NEXT: %[[VE:.*]] = quilt.add %[[V]], %[[EPS]] : tensor<2xf32>, tensor<1xf32> -> tensor<2xf32>
  // CHECK-NEXT: %[[SD:.*]] = quilt.sqrt %[[VE]] : tensor<2xf32>
  // CHECK-NEXT: %[[A:.*]] = quilt.div %arg1, %[[SD]] : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  // CHECK-NEXT: %[[MA:.*]] = quilt.mul %arg3, %[[A]] : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  // CHECK-NEXT: %[[SH:.*]] = quilt.sub %arg2, %[[MA]] : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  // CHECK-NEXT: %[[AR:.*]] = quilt.reshape %[[A]] : tensor<2xf32> -> tensor<1x2x1xf32>
  // CHECK-NEXT: %[[XA:.*]] = quilt.mul %arg0, %[[AR]] : tensor<1x2x3xf32>, tensor<1x2x1xf32> -> tensor<1x2x3xf32>
  // CHECK-NEXT: %[[SR:.*]] = quilt.reshape %[[SH]] : tensor<2xf32> -> tensor<1x2x1xf32>
  // CHECK-NEXT: %[[Y:.*]] = quilt.add %[[XA]], %[[SR]] : tensor<1x2x3xf32>, tensor<1x2x1xf32> -> tensor<1x2x3xf32>
  // CHECK-NEXT: return %[[Y]]
  %v = quilt.constant dense<[0.16, 0.25]> : tensor<2xf32>
  %y = quilt.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-3 : f32} : tensor<1x2x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
  return %y : tensor<1x2x3xf32>
}

// ROUNDTRIP-LABEL: func @logic
// CHECK-LABEL: func @logic
func.func @logic(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // ROUNDTRIP: quilt.logic and, %arg0, %arg1 : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  // ROUNDTRIP: quilt.logic or, %arg0, %arg1
  // ROUNDTRIP: quilt.logic xor, %arg0, %arg1
  // ROUNDTRIP: quilt.logic not, %arg0 : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: %[[AND:.*]] = quilt.mul %arg0, %arg1 : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: %[[OR:.*]] = quilt.max %arg0, %arg1 : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: %[[D:.*]] = quilt.sub %arg0, %arg1 : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: %[[XOR:.*]] = quilt.abs %[[D]] : tensor<2x3xf32>
  // CHECK-NEXT: %[[ONE:.*]] = quilt.constant dense<1.000000e+00> : tensor<1x1xf32>
  // CHECK-NEXT: %[[NOT:.*]] = quilt.sub %[[ONE]], %arg0 : tensor<1x1xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[AND]], %[[OR]], %[[XOR]], %[[NOT]]
  %0 = quilt.logic and, %a, %b : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  %1 = quilt.logic or, %a, %b : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  %2 = quilt.logic xor, %a, %b : tensor<2x3xf32>, tensor<1x3xf32> -> tensor<2x3xf32>
  %3 = quilt.logic not, %a : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// ROUNDTRIP-LABEL: func @matmul_2d
// CHECK-LABEL: func @matmul_2d
func.func @matmul_2d(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  // ROUNDTRIP: quilt.matmul %arg0, %arg1 : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  // CHECK-NEXT: %[[G:.*]] = quilt.gemm %arg0, %arg1 : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  // CHECK-NEXT: return %[[G]]
  %0 = quilt.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// CHECK-LABEL: func @matmul_batched
func.func @matmul_batched(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3x4xf32>, %d: tensor<2x4x5xf32>, %e: tensor<1x3x4xf32>, %f: tensor<1x4x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<1x3x5xf32>) {
  // Batch letters from 'a' per result batch dim; m, k, n are w, x, y.
  // CHECK-NEXT: %[[P:.*]] = quilt.einsum %arg0, %arg1 {equation = "awx,xy->awy"} : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  // CHECK-NEXT: %[[Q:.*]] = quilt.einsum %arg2, %arg3 {equation = "wx,axy->awy"} : tensor<3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  // CHECK-NEXT: %[[R:.*]] = quilt.einsum %arg0, %arg3 {equation = "awx,axy->awy"} : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  // Batch dims of extent 1 that the result keeps at 1 keep their letter.
  // CHECK-NEXT: %[[S:.*]] = quilt.einsum %arg4, %arg5 {equation = "awx,axy->awy"} : tensor<1x3x4xf32>, tensor<1x4x5xf32> -> tensor<1x3x5xf32>
  // CHECK-NEXT: return %[[P]], %[[Q]], %[[R]], %[[S]]
  %0 = quilt.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %1 = quilt.matmul %c, %d : tensor<3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %2 = quilt.matmul %a, %d : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %3 = quilt.matmul %e, %f : tensor<1x3x4xf32>, tensor<1x4x5xf32> -> tensor<1x3x5xf32>
  return %0, %1, %2, %3 : tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<1x3x5xf32>
}

// ROUNDTRIP-LABEL: func @matmul_broadcast
// CHECK-LABEL: func @matmul_broadcast
func.func @matmul_broadcast(%a: tensor<2x1x3x4xf32>, %b: tensor<1x5x4x6xf32>) -> tensor<2x5x3x6xf32> {
  // ROUNDTRIP: quilt.matmul %arg0, %arg1 : tensor<2x1x3x4xf32>, tensor<1x5x4x6xf32> -> tensor<2x5x3x6xf32>
  // Each operand's broadcast dim of extent 1 is reshaped away: its letter is
  // in the other operand and the result only.
  // CHECK-NEXT: %[[L:.*]] = quilt.reshape %arg0 : tensor<2x1x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK-NEXT: %[[R:.*]] = quilt.reshape %arg1 : tensor<1x5x4x6xf32> -> tensor<5x4x6xf32>
  // CHECK-NEXT: %[[E:.*]] = quilt.einsum %[[L]], %[[R]] {equation = "awx,bxy->abwy"} : tensor<2x3x4xf32>, tensor<5x4x6xf32> -> tensor<2x5x3x6xf32>
  // CHECK-NEXT: return %[[E]]
  %0 = quilt.matmul %a, %b : tensor<2x1x3x4xf32>, tensor<1x5x4x6xf32> -> tensor<2x5x3x6xf32>
  return %0 : tensor<2x5x3x6xf32>
}

// ROUNDTRIP-LABEL: func @matmul_1d
// CHECK-LABEL: func @matmul_1d
func.func @matmul_1d(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %v: tensor<4xf32>, %t: tensor<2x4x5xf32>, %u: tensor<2x3x4xf32>) -> (tensor<5xf32>, tensor<3xf32>, tensor<f32>, tensor<2x5xf32>, tensor<2x3xf32>) {
  // ROUNDTRIP: quilt.matmul %arg2, %arg2 : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  // No batch dims: a gemm of a row [1, K] or a column [K, 1], reshaped back.
  // CHECK-NEXT: %[[ROW:.*]] = quilt.reshape %arg2 : tensor<4xf32> -> tensor<1x4xf32>
  // CHECK-NEXT: %[[G0:.*]] = quilt.gemm %[[ROW]], %arg1 : tensor<1x4xf32>, tensor<4x5xf32> -> tensor<1x5xf32>
  // CHECK-NEXT: %[[R0:.*]] = quilt.reshape %[[G0]] : tensor<1x5xf32> -> tensor<5xf32>
  // A constant column is re-typed; its original is erased.
  // CHECK-NEXT: %[[COL:.*]] = quilt.constant dense<{{\[}}[1.000000e+00], [2.000000e+00], [3.000000e+00], [4.000000e+00]]> : tensor<4x1xf32>
  // CHECK-NEXT: %[[G1:.*]] = quilt.gemm %arg0, %[[COL]] : tensor<3x4xf32>, tensor<4x1xf32> -> tensor<3x1xf32>
  // CHECK-NEXT: %[[R1:.*]] = quilt.reshape %[[G1]] : tensor<3x1xf32> -> tensor<3xf32>
  // 1-D by 1-D: a scalar (rank 0).
  // CHECK-NEXT: %[[L2:.*]] = quilt.reshape %arg2 : tensor<4xf32> -> tensor<1x4xf32>
  // CHECK-NEXT: %[[C2:.*]] = quilt.reshape %arg2 : tensor<4xf32> -> tensor<4x1xf32>
  // CHECK-NEXT: %[[G2:.*]] = quilt.gemm %[[L2]], %[[C2]] : tensor<1x4xf32>, tensor<4x1xf32> -> tensor<1x1xf32>
  // CHECK-NEXT: %[[R2:.*]] = quilt.reshape %[[G2]] : tensor<1x1xf32> -> tensor<f32>
  // With batch dims, a 1-D operand's missing row or column has no letter.
  // CHECK-NEXT: %[[E3:.*]] = quilt.einsum %arg2, %arg3 {equation = "x,axy->ay"} : tensor<4xf32>, tensor<2x4x5xf32> -> tensor<2x5xf32>
  // CHECK-NEXT: %[[E4:.*]] = quilt.einsum %arg4, %arg2 {equation = "awx,x->aw"} : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: return %[[R0]], %[[R1]], %[[R2]], %[[E3]], %[[E4]]
  %0 = quilt.matmul %v, %b : tensor<4xf32>, tensor<4x5xf32> -> tensor<5xf32>
  %w = quilt.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %1 = quilt.matmul %a, %w : tensor<3x4xf32>, tensor<4xf32> -> tensor<3xf32>
  %2 = quilt.matmul %v, %v : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  %3 = quilt.matmul %v, %t : tensor<4xf32>, tensor<2x4x5xf32> -> tensor<2x5xf32>
  %4 = quilt.matmul %u, %v : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<5xf32>, tensor<3xf32>, tensor<f32>, tensor<2x5xf32>, tensor<2x3xf32>
}
