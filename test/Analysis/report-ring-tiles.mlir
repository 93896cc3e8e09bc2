// RUN: quiltc %s --mesh=3x2 --shard=input:1=0,2=1 --compile-to=partition -o %t.mlir --report=%t.json
// RUN: cat %t.json %t.mlir | FileCheck %s
// Ring attention over a 5x4 grid of tokens split over H (x, 3 ranks: 2, 2, 1
// rows) and W (y, 2 ranks: 2, 2 columns): the ring runs over all six ranks,
// owners row-major over (x, y), so the tiles hold 4, 4, 4, 4, 2, 2 tokens.
// Each step a rank forwards the tile it holds; over 5 steps it forwards every
// tile but that of its successor (owner + 1). A token is 3 key + 3 value
// floats: 24 bytes. Rank 0: (20 - 4) * 24 = 384; rank 3: (20 - 2) * 24 = 432;
// rank 5 skips owner 0's 4 tokens: 384.
func.func @main(%x: tensor<1x5x4x3xf32> {quilt.name = "input"}) -> tensor<1x5x4x3xf32> {
  %y = quilt.attention %x, %x, %x {token_dims = 2 : i64} : tensor<1x5x4x3xf32>, tensor<1x5x4x3xf32>, tensor<1x5x4x3xf32> -> tensor<1x5x4x3xf32>
  return %y : tensor<1x5x4x3xf32>
}

// CHECK: {"index":0,"kind":"ring_attention",{{.*}}"axis":"x","bytes_sent_per_rank":[384,384,384,432,432,384]}
// CHECK-NOT: "kind"
// The pack region holds the tile a rank merges and the one arriving, each
// sized for the largest tile (4 tokens, 96 bytes), the second at 256: 352.
// CHECK: "pack_scratch_bytes_per_rank": [352,352,352,352,352,352]}
// CHECK: quilt.ring_attention %{{.*}}, %{{.*}}, %{{.*}} on @mesh axis "x" {token_dims = 2 : i64} : tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 5, 4, 3], {{\[}}[], ["x"], ["y"], []]>>
