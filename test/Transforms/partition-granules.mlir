// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// Tokens of an image split by rows stay split through Flatten and back: the
// merged dim is split in whole rows (granules of the row length).

quilt.mesh @mesh ["x" = 3]

// Only the plain-meets-granular add moves data: a re-block (48 bytes from
// the busiest rank, where a gather would move 373).
// REMARK: remark: re-block of dim 2 (split over mesh axis "x") from granules of 5 to granules of 1 before quilt.add: its operands are split differently and operand 1 dim 2's split is kept: moves 48 bytes per rank either way, and a stronger annotation stays in place
// REMARK-NOT: remark

// CHECK-LABEL: func @tokens_of_split_rows
func.func @tokens_of_split_rows(%x: tensor<1x4x7x5xf32> {quilt.name = "input"}, %w: tensor<4x4xf32>) -> tensor<1x4x7x5xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x4x7x5xf32>
  // CHECK: quilt.reshape %{{.*}} : tensor<1x4x?x5xf32, {{.*}}> -> tensor<1x4x?xf32, #quilt.local<@mesh, [1, 4, 35], {{\[}}[], [], ["x"]], granules = [1, 1, 5]>>
  %t = quilt.reshape %xa : tensor<1x4x7x5xf32> -> tensor<1x4x35xf32>
  // CHECK: quilt.transpose {{.*}} -> tensor<1x?x4xf32, #quilt.local<@mesh, [1, 35, 4], {{\[}}[], ["x"], []], granules = [1, 5, 1]>>
  %tt = quilt.transpose %t {perm = array<i64: 0, 2, 1>} : tensor<1x4x35xf32> -> tensor<1x35x4xf32>
  // CHECK: quilt.ring_attention
  %a = quilt.attention %tt, %tt, %tt : tensor<1x35x4xf32>, tensor<1x35x4xf32>, tensor<1x35x4xf32> -> tensor<1x35x4xf32>
  %b = quilt.transpose %a {perm = array<i64: 0, 2, 1>} : tensor<1x35x4xf32> -> tensor<1x4x35xf32>
  // Back onto the grid: rows split, plain blocks again.
  // CHECK: quilt.reshape %{{.*}} -> tensor<1x4x?x5xf32, #quilt.local<@mesh, [1, 4, 7, 5], {{\[}}[], [], ["x"], []]>>
  %y = quilt.reshape %b : tensor<1x4x35xf32> -> tensor<1x4x7x5xf32>
  return %y : tensor<1x4x7x5xf32>
}

// CHECK-LABEL: func @plain_tokens_meet_granular
func.func @plain_tokens_meet_granular(%x: tensor<1x4x7x5xf32> {quilt.name = "input"}, %t: tensor<1x4x35xf32> {quilt.name = "tokens"}) -> tensor<1x4x35xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>, priority = 1} : tensor<1x4x7x5xf32>
  %ta = quilt.annotate %t {sharding = #quilt.sharding<@mesh, [[], [], ["x"]]>} : tensor<1x4x35xf32>
  %f = quilt.reshape %xa : tensor<1x4x7x5xf32> -> tensor<1x4x35xf32>
  // Plain blocks of 35 are not whole rows. Either operand costs the same to
  // move, and the tokens' annotation (p0) is stronger than the image's (p1):
  // the flattened image is re-blocked from whole rows to plain blocks (no
  // layout of the image gives plain token blocks, so p1 is not rewritten);
  // only the positions that change owner move.
  // CHECK-NOT: quilt.all_gather
  // CHECK: %[[S:.*]] = quilt.reblock %{{.*}} on @mesh dim 2 : tensor<1x4x?xf32, #quilt.local<@mesh, [1, 4, 35], {{\[}}[], [], ["x"]], granules = [1, 1, 5]>> -> tensor<1x4x?xf32, #quilt.local<@mesh, [1, 4, 35], {{\[}}[], [], ["x"]]>>
  // CHECK: quilt.add %[[S]], %{{.*}} -> tensor<1x4x?xf32, #quilt.local<@mesh, [1, 4, 35], {{\[}}[], [], ["x"]]>>
  %y = quilt.add %f, %ta : tensor<1x4x35xf32>, tensor<1x4x35xf32> -> tensor<1x4x35xf32>
  return %y : tensor<1x4x35xf32>
}
