// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=4" --quilt-propagate-sharding | FileCheck %s
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=4" --quilt-propagate-sharding=explain 2>&1 >/dev/null | FileCheck %s --check-prefix=EXPLAIN

// CHECK: quilt.mesh @mesh ["x" = 4]
// CHECK-LABEL: func @head
func.func @head(%x: tensor<1x3x45x37xf32> {quilt.name = "input"}, %m: tensor<10x8xf32>) -> tensor<1x10xf32> {
  // The default split is the largest spatial dim (45, dim 2).
  // CHECK: quilt.annotate %{{.*}} {{.*}}sharding = #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>}
  %w = quilt.constant dense<1.0> : tensor<8x3x3x3xf32>
  // CHECK: quilt.conv {{.*}}quilt.sharding_origin = "operand 0 dim 2 (windowed)", quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>]
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x3x45x37xf32>, tensor<8x3x3x3xf32> -> tensor<1x8x45x37xf32>
  // CHECK: quilt.relu {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>]
  %r = quilt.relu %c : tensor<1x8x45x37xf32>
  // A split reduced dim leaves a partial sum.
  // CHECK: quilt.reduce_mean {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], []], partial = ["x"]>]
  %g = quilt.reduce_mean %r dims [2, 3] : tensor<1x8x45x37xf32> -> tensor<1x8x1x1xf32>
  // CHECK: quilt.reshape {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], []]>]
  %f = quilt.reshape %g : tensor<1x8x1x1xf32> -> tensor<1x8xf32>
  %y = quilt.gemm %f, %m {trans_b = true} : tensor<1x8xf32>, tensor<10x8xf32> -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}
// EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from the default split of an input
// EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from operand 0 dim 2 (windowed)
// EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from operand 0 dim 2 (parallel)
// EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], [], []], partial = ["x"]> from operand 0 dim 2 (reduction)
// EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], []]> from no split operand
