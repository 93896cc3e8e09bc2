// RUN: quilt-opt %s --quilt-keep-token-grid --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=MERGED

// A ViT block on a 2x2 mesh, the image split over H (x) and W (y): patch
// tokens (Flatten, Transpose), the QKV projection, heads, attention, the
// output projection, and the tokens folded back for a 1x1 conv head.
// Keeping the token grid, every rank keeps its (H, W) tile from the input
// to the head conv: nothing is gathered, the keys circulate over all four
// ranks, and the head conv reads the tile where the input conv left it.
// Merged tokens keep only H's split (whole rows): W is gathered.

// CHECK-NOT: remark
// CHECK-NOT: quilt.all_gather
// CHECK-NOT: quilt.shard_slice
// CHECK: quilt.einsum %{{.*}}, %arg1 {equation = "abwx,xy->abwy"} : tensor<?x?x1x8xf32, #quilt.local<@mesh, [8, 6, 1, 8], {{\[}}["x"], ["y"], [], []]>>
// CHECK: quilt.ring_attention %{{.*}}, %{{.*}}, %{{.*}} on @mesh axis "x" {token_dims = 2 : i64} : tensor<2x?x?x4xf32, #quilt.local<@mesh, [2, 8, 6, 4], {{\[}}[], ["x"], ["y"], []]>>, {{.*}} -> tensor<2x?x?x4xf32, #quilt.local<@mesh, [2, 8, 6, 4], {{\[}}[], ["x"], ["y"], []]>>
// CHECK: quilt.einsum %{{.*}}, %arg2 {equation = "aby,zy->abz"} : tensor<?x?x8xf32, #quilt.local<@mesh, [8, 6, 8], {{\[}}["x"], ["y"], []]>>
// CHECK: %[[G:.*]] = quilt.transpose %{{.*}} {perm = array<i64: 2, 3, 0, 1>} : {{.*}} -> tensor<1x8x?x?xf32, #quilt.local<@mesh, [1, 8, 8, 6], {{\[}}[], [], ["x"], ["y"]]>>
// CHECK-NEXT: quilt.conv %[[G]], %arg3
// CHECK-NOT: quilt.all_gather

// MERGED: remark: all-gather of dim 3 (split over mesh axis "y") before quilt.reshape
// MERGED: quilt.all_gather

quilt.mesh @mesh ["x" = 2, "y" = 2]

func.func @vit_block(%img: tensor<1x8x8x6xf32> {quilt.name = "input"}, %wqkv: tensor<8x24xf32>, %wo: tensor<8x8xf32>, %wh: tensor<2x8x1x1xf32>) -> tensor<1x2x8x6xf32> {
  %x = quilt.annotate %img {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<1x8x8x6xf32>
  %f = quilt.reshape %x : tensor<1x8x8x6xf32> -> tensor<1x8x48xf32>
  %t = quilt.transpose %f {perm = array<i64: 2, 0, 1>} : tensor<1x8x48xf32> -> tensor<48x1x8xf32>
  %qkv = quilt.einsum %t, %wqkv {equation = "awx,xy->awy"} : tensor<48x1x8xf32>, tensor<8x24xf32> -> tensor<48x1x24xf32>
  %q = quilt.slice %qkv {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<48x1x24xf32> -> tensor<48x1x8xf32>
  %k = quilt.slice %qkv {starts = array<i64: 0, 0, 8>, steps = array<i64: 1, 1, 1>} : tensor<48x1x24xf32> -> tensor<48x1x8xf32>
  %v = quilt.slice %qkv {starts = array<i64: 0, 0, 16>, steps = array<i64: 1, 1, 1>} : tensor<48x1x24xf32> -> tensor<48x1x8xf32>
  %q2 = quilt.reshape %q : tensor<48x1x8xf32> -> tensor<48x2x4xf32>
  %k2 = quilt.reshape %k : tensor<48x1x8xf32> -> tensor<48x2x4xf32>
  %v2 = quilt.reshape %v : tensor<48x1x8xf32> -> tensor<48x2x4xf32>
  %qh = quilt.transpose %q2 {perm = array<i64: 1, 0, 2>} : tensor<48x2x4xf32> -> tensor<2x48x4xf32>
  %kh = quilt.transpose %k2 {perm = array<i64: 1, 0, 2>} : tensor<48x2x4xf32> -> tensor<2x48x4xf32>
  %vh = quilt.transpose %v2 {perm = array<i64: 1, 0, 2>} : tensor<48x2x4xf32> -> tensor<2x48x4xf32>
  %a = quilt.attention %qh, %kh, %vh : tensor<2x48x4xf32>, tensor<2x48x4xf32>, tensor<2x48x4xf32> -> tensor<2x48x4xf32>
  %o = quilt.transpose %a {perm = array<i64: 1, 0, 2>} : tensor<2x48x4xf32> -> tensor<48x2x4xf32>
  %m = quilt.reshape %o : tensor<48x2x4xf32> -> tensor<48x8xf32>
  %p = quilt.gemm %m, %wo {trans_b = true} : tensor<48x8xf32>, tensor<8x8xf32> -> tensor<48x8xf32>
  %r = quilt.reshape %p : tensor<48x8xf32> -> tensor<48x1x8xf32>
  %u = quilt.transpose %r {perm = array<i64: 1, 2, 0>} : tensor<48x1x8xf32> -> tensor<1x8x48xf32>
  %g = quilt.reshape %u : tensor<1x8x48xf32> -> tensor<1x8x8x6xf32>
  %y = quilt.conv %g, %wh {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x8x8x6xf32>, tensor<2x8x1x1xf32> -> tensor<1x2x8x6xf32>
  return %y : tensor<1x2x8x6xf32>
}
