// RUN: quilt-opt %s --split-input-file --quilt-propagate-sharding --quilt-replicate-narrow-blocks="min-block=3" 2>&1 | FileCheck %s --check-prefix=PLAN
// RUN: quilt-opt %s --split-input-file --quilt-propagate-sharding --quilt-replicate-narrow-blocks="min-block=3" --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --split-input-file --quilt-propagate-sharding --quilt-replicate-narrow-blocks="min-block=3" --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quilt-opt %s --split-input-file --quilt-propagate-sharding --quilt-replicate-narrow-blocks --quilt-partition 2>/dev/null | FileCheck %s --check-prefix=OFF

// After the pool, H (8 rows) over 4 ranks leaves blocks of 2 rows, fewer
// than min-block = 3: the plan of the conv over them loses H's axis, so the
// partitioner gathers once before it instead of exchanging a halo as wide as
// the block, and the relu after it (same narrow factor) stays whole too. The
// first conv and the pool read 16 rows (4 per rank) and keep their split.
// PLAN-LABEL: func @coarse_level
// PLAN: quilt.conv {{.*}}quilt.factor_axes = {{\[}}[], [], [], ["x"], [], [], []]
// PLAN: quilt.max_pool {{.*}}quilt.factor_axes = {{\[}}[], [], ["x"], []]
// PLAN: quilt.conv {{.*}}quilt.factor_axes = {{\[}}[], [], [], [], [], [], []]
// PLAN-SAME: quilt.sharding_origin = "replicated: its split blocks had fewer than 3 positions"
// PLAN: quilt.relu {{.*}}quilt.factor_axes = {{\[}}[], [], [], []]
// CHECK-LABEL: func @coarse_level
// CHECK: quilt.halo_exchange %arg0 on @mesh axis "x" dim 2
// CHECK: quilt.conv
// CHECK: %[[P:.*]] = quilt.max_pool
// CHECK: %[[G:.*]] = quilt.all_gather %[[P]] on @mesh axis "x" dim 2
// CHECK-NOT: quilt.halo_exchange
// CHECK: quilt.conv %[[G]]
// CHECK: quilt.relu {{.*}} : tensor<1x2x8x8xf32>
// REMARK: remark: all-gather of dim 2 (split over mesh axis "x") before quilt.conv: the plan does not split that dim's factor
// OFF-LABEL: func @coarse_level
// OFF-NOT: quilt.all_gather
quilt.mesh @mesh ["x" = 4]
func.func @coarse_level(%x: tensor<1x2x16x8xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x8x8xf32> {
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>} : tensor<1x2x16x8xf32>
  %c = quilt.conv %a, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x16x8xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x16x8xf32>
  %p = quilt.max_pool %c {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 1>} : tensor<1x2x16x8xf32> -> tensor<1x2x8x8xf32>
  %d = quilt.conv %p, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x8x8xf32>
  %r = quilt.relu %d : tensor<1x2x8x8xf32>
  return %r : tensor<1x2x8x8xf32>
}
