// RUN: quiltc %s --mesh=3x2 --shard=x:2=0,3=1 --shard=y:2=1,3=0 --compile-to=runtime \
// RUN:   -o /dev/null --report=%t.json
// RUN: FileCheck %s --input-file=%t.json
// Two inputs of one size whose mesh axes trade dims (x: H over "x", W over
// "y"; y: H over "y", W over "x"): the first operand's split is kept. Neither
// axis of y can move first (its target dim is split by the other), so y
// gathers the axis over fewer ranks ("y", along H; a ring all-gather forwards
// every block but the rank's own), then moves "x" from W to H by all-to-all,
// then slices "y" along W locally, which sends nothing.
func.func @main(%x: tensor<1x2x10x7xf32> {quilt.name = "x"}, %y: tensor<1x2x10x7xf32> {quilt.name = "y"}) -> tensor<1x2x10x7xf32> {
  %s = quilt.add %x, %y : tensor<1x2x10x7xf32>, tensor<1x2x10x7xf32> -> tensor<1x2x10x7xf32>
  return %s : tensor<1x2x10x7xf32>
}
// Rank 2c + w has coordinate c on "x" and w on "y". In y, H (10) is split 5, 5
// over "y" and W (7) 3, 2, 2 over "x". The gather sends the rank's 2 x 5 x W
// block: 120 bytes for c = 0, else 80. The all-to-all then holds 2 x 10 x W
// and keeps its own H block of "x" (4, 3, 3 rows): c = 0 sends 2 x 3 x 6 x 4
// = 144 bytes, c = 1, 2 send 2 x 2 x 7 x 4 = 112.
// CHECK:      {"mesh": [3,2], "axes": ["x","y"],
// CHECK-NEXT:  "ranks": 6, "peak_arena_bytes": {{[0-9]+}},
// CHECK-NEXT:  "ops": [
// CHECK-NEXT:   {"index":0,"kind":"all_gather","node":null,"dim":2,"axis":"y","bytes_sent_per_rank":[120,120,80,80,80,80]},
// CHECK-NEXT:   {"index":1,"kind":"all_to_all","node":null,"dim":3,"axes":["x"],"bytes_sent_per_rank":[144,144,112,112,112,112]},
// CHECK-NEXT:   {"index":2,"kind":"shard_slice","node":null,"dim":3,"axis":"y","bytes_sent_per_rank":[0,0,0,0,0,0]}
// CHECK-NEXT:  ],
// CHECK-NEXT:  "total_bytes_sent_per_rank": [264,264,192,192,192,192],
// CHECK-NEXT:  "pack_scratch_bytes_per_rank": [480,480,424,424,424,424]}
