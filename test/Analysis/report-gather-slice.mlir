// RUN: quiltc %s --mesh=3 --shard=x:2 --shard=y:3 --compile-to=runtime -o /dev/null \
// RUN:   --report=%t.json
// RUN: FileCheck %s --input-file=%t.json
// Adding two inputs split differently gathers the second along W (a ring
// all-gather forwards every block but the rank's own), then slices it along H
// locally, which sends nothing.
func.func @main(%x: tensor<1x2x10x7xf32> {quilt.name = "x"}, %y: tensor<1x2x10x7xf32> {quilt.name = "y"}) -> tensor<1x2x10x7xf32> {
  %s = quilt.add %x, %y : tensor<1x2x10x7xf32>, tensor<1x2x10x7xf32> -> tensor<1x2x10x7xf32>
  return %s : tensor<1x2x10x7xf32>
}
// W = 7 columns over 3 ranks: [0,3) [3,5) [5,7), each column 2 x 10 floats
// (80 bytes): the 560-byte result minus the rank's own 240, 160 and 160.
// CHECK:      {"mesh": [3], "axes": ["x"],
// CHECK-NEXT:  "ranks": 3, "peak_arena_bytes": {{[0-9]+}},
// CHECK-NEXT:  "ops": [
// CHECK-NEXT:   {"index":0,"kind":"all_gather","node":null,"dim":3,"axis":"x","bytes_sent_per_rank":[320,400,400]},
// CHECK-NEXT:   {"index":1,"kind":"shard_slice","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[0,0,0]}
// CHECK-NEXT:  ],
// CHECK-NEXT:  "total_bytes_sent_per_rank": [320,400,400]}
