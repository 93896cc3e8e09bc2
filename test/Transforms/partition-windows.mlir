// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// RUN: quilt-opt %s --quilt-keep-token-grid --quilt-annotate-inputs="mesh-shape=2,2 shard=input:1=0,2=1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=TILES
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=UNEVEN
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition --quilt-report-halos 2>&1 >/dev/null | FileCheck %s --check-prefix=OWNERS
// Swin's window partition and reverse: (B, H, W, C) -> (B, H/w, w, W/w, w, C)
// -> windows (B * H/w * W/w, w*w, C) -> back. Rows split over 2 ranks in
// blocks of 8 hold whole 4-row windows: the window-count dim keeps the split,
// the windows' tokens are local, and nothing moves. Over 3 ranks the blocks
// (6, 5, 5 rows) cut windows: they are re-blocked into whole windows (8, 4,
// 4 rows; only rows that change owner move), with a remark, and the roll's
// halo runs over those blocks.

// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-LABEL: func @windows
// CHECK: quilt.reshape %{{.*}} -> tensor<1x?x4x4x4x8xf32, #quilt.local<@mesh, [1, 4, 4, 4, 4, 8], {{\[}}[], ["x"], [], [], [], []]>>
// CHECK: quilt.transpose
// CHECK: quilt.reshape %{{.*}} -> tensor<?x16x8xf32, #quilt.local<@mesh, [16, 16, 8], {{\[}}["x"], [], []], granules = [4, 1, 1]>>
// CHECK: quilt.einsum
// CHECK: quilt.reshape
// CHECK: quilt.transpose
// CHECK: %[[G:.*]] = quilt.reshape %{{.*}} -> tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []], granules = [1, 4, 1, 1]>>
// The roll's halo (a same-size stride-1 window) runs over the blocks of
// whole windows as they are.
// CHECK-NEXT: quilt.halo_exchange %[[G]]
// On 2x2 (H over x, W over y) the window counts of both dims are split: the
// windows of a rank's tile stay apart (quilt-keep-token-grid) and the linear
// layer runs on them in place.
// TILES-NOT: remark
// TILES-NOT: quilt.all_gather
// TILES: quilt.einsum %{{.*}} {equation = "abwcx,xy->abwcy"} : tensor<?x?x4x4x8xf32, #quilt.local<@mesh, [4, 4, 4, 4, 8], {{\[}}["x"], ["y"], [], [], []]>>
// TILES: quilt.halo_exchange %{{.*}} axis "x" dim 1 {{.*}} boundary = periodic
// UNEVEN-NOT: all-gather
// UNEVEN: remark: re-block of dim 1 (split over mesh axis "x") from granules of 1 to granules of 4 before quilt.reshape: a reshape needs whole granules of 4 positions on each rank
// UNEVEN-NOT: remark
// UNEVEN-NOT: quilt.all_gather
// UNEVEN: quilt.reblock %arg0 on @mesh dim 1 : tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []]>> -> tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []], granules = [1, 4, 1, 1]>>
// UNEVEN-NOT: quilt.reblock
// UNEVEN: quilt.halo_exchange %{{.*}} : tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []], granules = [1, 4, 1, 1]>>
// UNEVEN-NOT: quilt.all_gather
// Rows [0, 6) [6, 11) [11, 16) become [0, 8) [8, 12) [12, 16): owner 0
// receives rows 6, 7 from owner 1, which receives row 11 from owner 2. The
// roll then reads 2 rows from the previous window block.
// OWNERS: remark: rank 0 owns [0, 8) needs [-2, 6) receives 2 from ranks [2] pads 0 sends 2 to ranks [1]
// OWNERS: remark: rank 1 owns [8, 12) needs [6, 10) receives 2 from ranks [0] pads 0 sends 2 to ranks [2]
// OWNERS: remark: rank 2 owns [12, 16) needs [10, 14) receives 2 from ranks [1] pads 0 sends 2 to ranks [0]
// OWNERS: remark: owner 0 held [0, 6) holds [0, 8) receives 2 from ranks [1] sends 0 to ranks []
// OWNERS: remark: owner 1 held [6, 11) holds [8, 12) receives 1 from ranks [2] sends 2 to ranks [0]
// OWNERS: remark: owner 2 held [11, 16) holds [12, 16) receives 0 from ranks [] sends 1 to ranks [1]
func.func @windows(%x: tensor<1x16x16x8xf32> {quilt.name = "input"}) -> tensor<1x16x16x8xf32> {
  %w = quilt.constant dense<0.5> : tensor<8x8xf32>
  %a = quilt.reshape %x : tensor<1x16x16x8xf32> -> tensor<1x4x4x4x4x8xf32>
  %b = quilt.transpose %a {perm = array<i64: 0, 1, 3, 2, 4, 5>} : tensor<1x4x4x4x4x8xf32> -> tensor<1x4x4x4x4x8xf32>
  %c = quilt.reshape %b : tensor<1x4x4x4x4x8xf32> -> tensor<16x16x8xf32>
  %d = quilt.einsum %c, %w {equation = "awx,xy->awy"} : tensor<16x16x8xf32>, tensor<8x8xf32> -> tensor<16x16x8xf32>
  %e = quilt.reshape %d : tensor<16x16x8xf32> -> tensor<1x4x4x4x4x8xf32>
  %f = quilt.transpose %e {perm = array<i64: 0, 1, 3, 2, 4, 5>} : tensor<1x4x4x4x4x8xf32> -> tensor<1x4x4x4x4x8xf32>
  %g = quilt.reshape %f : tensor<1x4x4x4x4x8xf32> -> tensor<1x16x16x8xf32>
  // The reverse cyclic shift (torch.roll by 2 along H).
  %h = quilt.pad %g {padding = array<i64: 0, 2, 0, 0, 0, -2, 0, 0>, value = 0.0 : f32, mode = #quilt<boundary periodic>} : tensor<1x16x16x8xf32> -> tensor<1x16x16x8xf32>
  return %h : tensor<1x16x16x8xf32>
}
