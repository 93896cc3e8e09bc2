// RUN: quilt-opt %s --quilt-propagate-sharding | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding=explain 2>&1 >/dev/null | FileCheck %s --check-prefix=EXPLAIN
// Operands that split a factor differently, or put one mesh axis on different
// factors: propagation picks the assignment whose reshards move the fewest
// bytes (per rank, from global shapes and mesh axis sizes), never moving a
// split of a stronger priority when another assignment keeps it, and says why.

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
func.func @annotation_wins(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x5x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>, priority = 1} : tensor<1x8x5x6xf32>
  %br = quilt.concat %ba, %ba {axis = 2 : i64} : tensor<1x8x5x6xf32>, tensor<1x8x5x6xf32> -> tensor<1x8x10x6xf32>
  // The smaller operand's annotation (p0) is stronger than the one the
  // larger derives from (p1): it keeps its split although moving it would be
  // cheaper. No layout of %b gives the concat along H an H split, so the p1
  // annotation is not rewritten.
  // CHECK: quilt.annotate %{{.*}} {priority = 1 : i64, {{.*}}sharding = #quilt.sharding<@mesh, {{\[}}[], [], [], ["x"]]>}
  // CHECK: quilt.add {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from operand 0 dim 2 (parallel), chosen over operand 1 dim 3's split: moves 360 bytes per rank instead of 45, and a stronger annotation stays in place
  %s = quilt.add %aa, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @weaker_annotation_rewritten
func.func @weaker_annotation_rewritten(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>, priority = 1} : tensor<1x8x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // The relu can produce the stronger split from its operand's: the weaker
  // annotation takes the p0 layout (and priority), so nothing is resharded.
  // CHECK: quilt.annotate %{{.*}} {priority = 0 : i64, quilt.rewrite_reason = "rewritten from p1 to lay the value out for quilt.add (p0)", {{.*}}sharding = #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>}
  // CHECK: quilt.add {{.*}}quilt.sharding_origin = "operand 0 dim 2 (parallel)", quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>]
  // EXPLAIN: remark: sharding #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]> from an annotation rewritten from p1 to lay the value out for quilt.add (p0)
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
