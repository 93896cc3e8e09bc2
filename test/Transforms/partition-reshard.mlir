// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// Operands split differently: the assignment whose reshards move the fewest
// bytes wins, a stronger annotation is never moved when another choice keeps it,
// and a mesh axis moving from one dim to another is one all-to-all.

quilt.mesh @mesh ["x" = 4, "y" = 3]

// CHECK-LABEL: func @bigger_operand_keeps_split
func.func @bigger_operand_keeps_split(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x8x10x6xf32>
  %ar = quilt.relu %aa : tensor<1x1x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // The second operand is 8 times larger: the first moves to its split.
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 2 to dim 3 before quilt.add: its operands are split differently and operand 1 dim 3's split is kept: moves 45 bytes per rank instead of 360
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 2 to 3 : tensor<1x1x?x6xf32, {{.*}}> -> tensor<1x1x10x?xf32, #quilt.local<@mesh, [1, 1, 10, 6], {{\[}}[], [], [], ["x"]]>>
  // CHECK: quilt.add %[[T]], %{{.*}} -> tensor<1x8x10x?xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], [], [], ["x"]]>>
  %s = quilt.add %ar, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @stronger_annotation_wins
func.func @stronger_annotation_wins(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x5x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>, priority = 1} : tensor<1x8x5x6xf32>
  %br = quilt.concat %ba, %ba {axis = 2 : i64} : tensor<1x8x5x6xf32>, tensor<1x8x5x6xf32> -> tensor<1x8x10x6xf32>
  // The first operand's annotation (p0) is stronger than the one the larger
  // operand derives from (p1): the larger one moves. (No layout of %b gives
  // the concat along H an H split, so the p1 annotation stays.)
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 3 to dim 2 before quilt.add: its operands are split differently and operand 0 dim 2's split is kept: moves 360 bytes per rank instead of 45, and a stronger annotation stays in place
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 3 to 2 : tensor<1x8x10x?xf32, {{.*}}> -> tensor<1x8x?x6xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], [], ["x"], []]>>
  // CHECK: quilt.add %{{.*}}, %[[T]] : {{.*}} -> tensor<1x8x?x6xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], [], ["x"], []]>>
  %s = quilt.add %aa, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @weaker_annotation_read_in_place
func.func @weaker_annotation_read_in_place(%a: tensor<1x1x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x1x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>, priority = 1} : tensor<1x8x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // The relu can produce the stronger split: the p1 annotation of the input
  // is rewritten, each rank reads its block of H, and nothing moves.
  // CHECK-SAME: %{{.*}}: tensor<1x8x?x6xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], [], ["x"], []]>>
  // CHECK-NOT: quilt.all_to_all
  // CHECK: quilt.add
  %s = quilt.add %aa, %br : tensor<1x1x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @replicated_operand_is_free
func.func @replicated_operand_is_free(%a: tensor<1x8x10x6xf32>, %c: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], [], ["y"]]>} : tensor<1x8x10x6xf32>
  // An unsplit operand is sliced, whatever its size: nothing moves.
  // CHECK: %[[S:.*]] = quilt.shard_slice %{{.*}} on @mesh axis "y" dim 3
  // CHECK: quilt.add %[[S]], %{{.*}}
  %s = quilt.add %c, %aa : tensor<1x8x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @moves_beside_another_axis
func.func @moves_beside_another_axis(%a: tensor<1x8x10x6xf32>, %b: tensor<1x8x10x6xf32>) -> tensor<1x8x10x6xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<1x8x10x6xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], ["x"], [], ["y"]]>} : tensor<1x8x10x6xf32>
  %br = quilt.relu %ba : tensor<1x8x10x6xf32>
  // W stays split over "y" while "x" moves from C to H, in uneven blocks
  // (10 rows over 4 ranks).
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 1 to dim 2 before quilt.add: its operands are split differently and operand 0 dim 2's split is kept: moves 120 bytes per rank either way, and the earlier operand wins
  // CHECK: %[[T:.*]] = quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 1 to 2 : tensor<1x?x10x?xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], ["x"], [], ["y"]]>> -> tensor<1x8x?x?xf32, #quilt.local<@mesh, [1, 8, 10, 6], {{\[}}[], [], ["x"], ["y"]]>>
  // CHECK: quilt.add %{{.*}}, %[[T]]
  %s = quilt.add %aa, %br : tensor<1x8x10x6xf32>, tensor<1x8x10x6xf32> -> tensor<1x8x10x6xf32>
  return %s : tensor<1x8x10x6xf32>
}

// CHECK-LABEL: func @axes_trade_dims
func.func @axes_trade_dims(%a: tensor<1x2x12x9xf32>, %b: tensor<1x2x12x9xf32>) -> tensor<1x2x12x9xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<1x2x12x9xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], ["y"], ["x"]]>} : tensor<1x2x12x9xf32>
  // Each move waits on the other: the axis over fewer ranks ("y") is
  // gathered, "x" moves, "y" is sliced.
  // REMARK: remark: all-gather of dim 2 (split over mesh axis "y") before quilt.add: its operands are split differently and operand 0 dim 2's split is kept: moves 306 bytes per rank either way, and the earlier operand wins
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 3 to dim 2 before quilt.add: its operands are split differently and operand 0 dim 3's split is kept: moves 306 bytes per rank either way, and the earlier operand wins
  // CHECK: %[[G:.*]] = quilt.all_gather %{{.*}} on @mesh axis "y" dim 2
  // CHECK: %[[T:.*]] = quilt.all_to_all %[[G]] on @mesh axes ["x"] dim 3 to 2
  // CHECK: %[[S:.*]] = quilt.shard_slice %[[T]] on @mesh axis "y" dim 3
  // CHECK: quilt.add %{{.*}}, %[[S]]
  %s = quilt.add %aa, %ba : tensor<1x2x12x9xf32>, tensor<1x2x12x9xf32> -> tensor<1x2x12x9xf32>
  return %s : tensor<1x2x12x9xf32>
}

// CHECK-LABEL: func @contraction_or_gather
func.func @contraction_or_gather(%a: tensor<8x64xf32>, %b: tensor<64x4xf32>, %c: tensor<64x8xf32>, %d: tensor<8x64xf32>) -> (tensor<8x4xf32>, tensor<64x64xf32>) {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<8x64xf32>
  %ba = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<64x4xf32>
  %ar = quilt.relu %aa : tensor<8x64xf32>
  %br = quilt.relu %ba : tensor<64x4xf32>
  // K split (a partial 8x4 result, all-reduced) beats gathering the 8x64 A.
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 1 to dim 0 before quilt.gemm: its operands are split differently and operand 0 dim 1's split is kept: moves 384 bytes per rank instead of 1536
  // CHECK: quilt.all_to_all %{{.*}} on @mesh axes ["x"] dim 1 to 0 : tensor<64x?xf32
  // CHECK: %[[P:.*]] = quilt.gemm
  // CHECK: quilt.all_reduce %[[P]] on @mesh axes ["x"] kind = sum : tensor<8x4xf32>
  %y = quilt.gemm %ar, %br : tensor<8x64xf32>, tensor<64x4xf32> -> tensor<8x4xf32>
  %ca = quilt.annotate %c {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<64x8xf32>
  %da = quilt.annotate %d {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<8x64xf32>
  %cr = quilt.relu %ca : tensor<64x8xf32>
  %dr = quilt.relu %da : tensor<8x64xf32>
  // Here the partial result would be 64x64: gathering the small A is cheaper,
  // and the result stays split along N.
  // REMARK: remark: all-gather of dim 1 (split over mesh axis "x") before quilt.gemm: its operands are split differently and operand 1 dim 1's split is kept: moves 1536 bytes per rank instead of 24960
  // CHECK: %[[G:.*]] = quilt.all_gather %{{.*}} on @mesh axis "x" dim 1 : tensor<64x?xf32
  // CHECK: quilt.gemm %[[G]], %{{.*}} -> tensor<64x?xf32, #quilt.local<@mesh, [64, 64], {{\[}}[], ["x"]]>>
  // REMARK-NOT: remark
  %z = quilt.gemm %cr, %dr : tensor<64x8xf32>, tensor<8x64xf32> -> tensor<64x64xf32>
  return %y, %z : tensor<8x4xf32>, tensor<64x64xf32>
}

// CHECK-LABEL: func @annotation_priority_stays_on_its_uses
func.func @annotation_priority_stays_on_its_uses(%a: tensor<1x8x16x16xf32>, %b: tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32> {
  %aa = quilt.annotate %a {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x8x16x16xf32>
  %bb = quilt.annotate %b {sharding = #quilt.sharding<@mesh, [[], [], [], ["x"]]>} : tensor<1x8x16x16xf32>
  %r = quilt.relu %aa : tensor<1x8x16x16xf32>
  %rr = quilt.annotate %r {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>, priority = 5} : tensor<1x8x16x16xf32>
  // %r keeps p0 for the first add although its annotation (p5, already laid
  // out) reads the same value: as in propagation, the add keeps H, and only
  // %b moves, once.
  // REMARK: remark: all-to-all moves mesh axis "x" from dim 3 to dim 2 before quilt.add: its operands are split differently and operand 0 dim 2's split is kept: moves 1536 bytes per rank either way, and the earlier operand wins
  // REMARK-NOT: remark
  // CHECK: quilt.all_to_all %arg1 on @mesh axes ["x"] dim 3 to 2
  // CHECK-NOT: quilt.all_to_all
  // CHECK: return
  %s = quilt.add %r, %bb : tensor<1x8x16x16xf32>, tensor<1x8x16x16xf32> -> tensor<1x8x16x16xf32>
  %t = quilt.add %s, %rr : tensor<1x8x16x16xf32>, tensor<1x8x16x16xf32> -> tensor<1x8x16x16xf32>
  return %t : tensor<1x8x16x16xf32>
}
