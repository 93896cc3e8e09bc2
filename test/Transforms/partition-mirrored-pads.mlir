// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=4 shard=input:2" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=4 shard=input:2" --quilt-propagate-sharding --quilt-partition --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=RANKS
// Reflect and edge pads of a split dim: a halo exchange brings the rows each
// output block reads, including those the boundary mirrors from inside, so
// the dim is never gathered. 6 rows over 4 ranks: blocks of 2, 2, 1, 1, and
// a pad of 2 reaches past the one-row blocks.

// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-LABEL: func @reflect
func.func @reflect(%x: tensor<1x1x6x3xf32> {quilt.name = "input"}) -> tensor<1x1x9x3xf32> {
  // CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 window <stride = 1, dilation = 1, kernel = 1, pad_lo = 2> global = 6 -> global_out = 9 boundary = reflect
  // CHECK: quilt.pad %[[H]] {mode = #quilt<boundary reflect>
  %y = quilt.pad %x {padding = array<i64: 0, 0, 2, 0, 0, 0, 1, 0>, value = 0.0 : f32, mode = #quilt<boundary reflect>} : tensor<1x1x6x3xf32> -> tensor<1x1x9x3xf32>
  return %y : tensor<1x1x9x3xf32>
}
// Output blocks of 9 rows: [0,3) [3,5) [5,7) [7,9). Rank 0 reads rows -2..0,
// -2 and -1 mirrored to 2 and 1: it needs [-2, 3), and row 2 comes from rank
// 1. Rank 3 reads rows 5 and 6, 6 mirrored to 4 (from rank 2): it needs
// [4, 7), whose row 6 is padding it never reads.
// RANKS: rank 0 owns [0, 2) needs [-2, 3) receives 1 from ranks [1] pads 2
// RANKS: rank 3 owns [5, 6) needs [4, 7) receives 1 from ranks [2] pads 1

// CHECK-LABEL: func @edge
func.func @edge(%x: tensor<1x1x6x3xf32> {quilt.name = "input"}) -> tensor<1x1x10x3xf32> {
  // CHECK: quilt.halo_exchange %{{.*}} boundary = edge
  %y = quilt.pad %x {padding = array<i64: 0, 0, 1, 0, 0, 0, 3, 0>, value = 0.0 : f32, mode = #quilt<boundary edge>} : tensor<1x1x6x3xf32> -> tensor<1x1x10x3xf32>
  return %y : tensor<1x1x10x3xf32>
}
// Output blocks of 10 rows: [0,3) [3,6) [6,8) [8,10). Rank 3 reads rows 7 and
// 8, beyond the end, which take row 5: it needs [5, 9).
// RANKS: rank 3 owns [5, 6) needs [5, 9) receives 0 from ranks [] pads 3
