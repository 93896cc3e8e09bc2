// RUN: quilt-opt %s --quilt-fuse-periodic-pads --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// RUN: quilt-opt %s --quilt-fuse-periodic-pads --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=RANKS
// A cyclic shift of a split dim (torch.roll, as Swin's shifted windows write
// it) is a periodic shift exchange: each rank receives the rows its block
// reads from the blocks before it, never a gather. 8 rows over 3 ranks:
// blocks [0,3) [3,6) [6,8).

// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-LABEL: func @roll_by_two
func.func @roll_by_two(%x: tensor<1x8x4xf32> {quilt.name = "input"}) -> tensor<1x8x4xf32> {
  // CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 1 window <stride = 1, dilation = 1, kernel = 1, pad_lo = 2> global = 8 -> global_out = 8 boundary = periodic
  // CHECK: quilt.pad %[[H]] {mode = #quilt<boundary periodic>, padding = array<i64: 0, 2, 0, 0, -2, 0>
  %a = quilt.slice %x {starts = array<i64: 0, 6, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x2x4xf32>
  %b = quilt.slice %x {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x6x4xf32>
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x2x4xf32>, tensor<1x6x4xf32> -> tensor<1x8x4xf32>
  return %y : tensor<1x8x4xf32>
}
// Rank 0 reads rows 6 and 7 (rank 2's) and its own 0: output [0,3) needs
// [-2, 1), the wrapped rows from the last rank.
// RANKS: rank 0 owns [0, 3) needs [-2, 1) receives 2 from ranks [2] pads 0
// RANKS: rank 1 owns [3, 6) needs [1, 4) receives 2 from ranks [0] pads 0
// RANKS: rank 2 owns [6, 8) needs [4, 6) receives 2 from ranks [1] pads 0

// A shift wider than a block: rolling by 4 (the short way round of 8) reads
// rows from two blocks back, across ranks.
// CHECK-LABEL: func @roll_past_a_block
func.func @roll_past_a_block(%x: tensor<1x8x4xf32> {quilt.name = "input"}) -> tensor<1x8x4xf32> {
  // CHECK: quilt.halo_exchange %{{.*}} window <stride = 1, dilation = 1, kernel = 1, pad_lo = 4> global = 8 -> global_out = 8 boundary = periodic
  %a = quilt.slice %x {starts = array<i64: 0, 4, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x4x4xf32>
  %b = quilt.slice %x {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x8x4xf32> -> tensor<1x4x4xf32>
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<1x4x4xf32>, tensor<1x4x4xf32> -> tensor<1x8x4xf32>
  return %y : tensor<1x8x4xf32>
}
// RANKS: rank 0 owns [0, 3) needs [-4, -1) receives 3 from ranks [1, 2] pads 0
// RANKS: rank 1 owns [3, 6) needs [-1, 2) receives 3 from ranks [0, 2] pads 0
// RANKS: rank 2 owns [6, 8) needs [2, 4) receives 2 from ranks [0, 1] pads 0
