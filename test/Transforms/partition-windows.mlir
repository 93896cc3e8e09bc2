// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// RUN: quilt-opt %s --quilt-keep-token-grid --quilt-annotate-inputs="mesh-shape=2,2 shard=input:1=0,2=1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=TILES
// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=3 shard=input:1" --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=UNEVEN
// Swin's window partition and reverse: (B, H, W, C) -> (B, H/w, w, W/w, w, C)
// -> windows (B * H/w * W/w, w*w, C) -> back. Rows split over 2 ranks in
// blocks of 8 hold whole 4-row windows: the window-count dim keeps the split,
// the windows' tokens are local, and nothing moves. Over 3 ranks the blocks
// (6, 5, 5 rows) cut windows: the rows are gathered, with a remark.

// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-LABEL: func @windows
// CHECK: quilt.reshape %{{.*}} -> tensor<1x?x4x4x4x8xf32, #quilt.local<@mesh, [1, 4, 4, 4, 4, 8], {{\[}}[], ["x"], [], [], [], []]>>
// CHECK: quilt.transpose
// CHECK: quilt.reshape %{{.*}} -> tensor<?x16x8xf32, #quilt.local<@mesh, [16, 16, 8], {{\[}}["x"], [], []], granules = [4, 1, 1]>>
// CHECK: quilt.einsum
// CHECK: quilt.reshape
// CHECK: quilt.transpose
// CHECK: quilt.reshape %{{.*}} -> tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []], granules = [1, 4, 1, 1]>>
// The result's 4-row granules are plain 8-row blocks: an identity reshape
// retypes it for the halo of the next op, and no data moves.
// CHECK: quilt.reshape %{{.*}} -> tensor<1x?x16x8xf32, #quilt.local<@mesh, [1, 16, 16, 8], {{\[}}[], ["x"], [], []]>>
// CHECK: quilt.halo_exchange
// On 2x2 (H over x, W over y) the window counts of both dims are split: the
// windows of a rank's tile stay apart (quilt-keep-token-grid) and the linear
// layer runs on them in place.
// TILES-NOT: remark
// TILES-NOT: quilt.all_gather
// TILES: quilt.einsum %{{.*}} {equation = "abwcx,xy->abwcy"} : tensor<?x?x4x4x8xf32, #quilt.local<@mesh, [4, 4, 4, 4, 8], {{\[}}["x"], ["y"], [], [], []]>>
// TILES: quilt.halo_exchange %{{.*}} axis "x" dim 1 {{.*}} boundary = periodic
// UNEVEN: remark: all-gather of dim 1 (split over mesh axis "x") before quilt.reshape: it is split inside the positions a reshape merges
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
