// RUN: quilt-opt %s --quilt-propagate-sharding | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding=explain 2>&1 >/dev/null | FileCheck %s --check-prefix=EXPLAIN
// Operands that split a factor differently, or put one mesh axis on different
// factors: propagation picks the assignment whose reshards move the fewest
// bytes (per rank, from global shapes and mesh axis sizes), never moving a
// user annotation when another assignment keeps it, and says why.

quilt.mesh @mesh ["x" = 4]

// CHECK-LABEL: func @bigger_second_operand
func.func @bigger_second_operand(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x8x10x6xf32>
  %ar = quilt.relu %aa : tensor<1x1x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // Moving the 240-byte first operand (60 bytes per rank, 3/4 of them sent)
  // beats moving the 1920-byte second one.
  // CHECK: quilt.add {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]> from operand 1 dim 3 (parallel), chosen over operand 0 dim 2's split: moves 45 bytes per rank instead of 360
  %s = quilt.add %ar, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @annotation_wins
func.func @annotation_wins(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x8x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // The smaller operand is a user annotation: it keeps its split although
  // moving it would be cheaper.
  // CHECK: quilt.add {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from operand 0 dim 2 (parallel), chosen over operand 1 dim 3's split: moves 360 bytes per rank instead of 45, and a user annotation stays in place
  %s = quilt.add %aa, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @both_annotated
func.func @both_annotated(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x8x10x6xf32>
  // Two annotations: the cheaper one moves.
  // CHECK: quilt.add {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]> from operand 1 dim 3 (parallel), chosen over operand 0 dim 2's split: moves 45 bytes per rank instead of 360
  %s = quilt.add %aa, %ba : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @equal_cost
func.func @equal_cost(%a: tensor<1x2x10x6xf32>, %b: tensor<1x2x10x6xf32>) -> tensor<1x2x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x2x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x10x6xf32>
  // A tie keeps the earlier operand's split.
  // CHECK: quilt.sub {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]> from operand 0 dim 3 (parallel), chosen over operand 1 dim 2's split: moves 90 bytes per rank either way, and the earlier operand wins
  %s = quilt.sub %aa, %ba : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x2x10x6xf32>
  return %s : tensor<1x2x10x6xf32>
}
