// RUN: quiltc %s --mesh=3 --shard=x:2 --shard=y:3 --compile-to=runtime -o /dev/null \
// RUN:   --report=%t.json 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s --input-file=%t.json
// Adding two inputs of one size split differently (x on H, y on W): the first
// operand's split is kept, and mesh axis "x" moves from W to H in y by one
// all-to-all (instead of an all-gather of W and a local slice of H).
func.func @main(%x: tensor<1x2x10x7xf32> {quilt.name = "x"}, %y: tensor<1x2x10x7xf32> {quilt.name = "y"}) -> tensor<1x2x10x7xf32> {
  %s = quilt.add %x, %y : tensor<1x2x10x7xf32>, tensor<1x2x10x7xf32> -> tensor<1x2x10x7xf32> loc("combine")
  return %s : tensor<1x2x10x7xf32>
}
// The estimate behind the choice: 560 bytes / 3 ranks x 2/3 per rank.
// REMARK: remark: {{.*}}all-to-all moves mesh axis "x" from dim 3 to dim 2 before ONNX node 'combine' (quilt.add): its operands are split differently and operand 0 dim 2's split is kept: moves 124 bytes per rank either way, and the earlier operand wins
// REMARK-NOT: remark
// Uneven blocks: W = 7 columns over 3 ranks (3, 2, 2), H = 10 rows (4, 3, 3).
// Each rank sends its 2 x 10 x W block but its own rows: rank 0 2 x 6 x 3
// floats (144 bytes), ranks 1, 2 2 x 7 x 2 (112 bytes).
// CHECK:      "ops": [
// CHECK-NEXT:   {"index":0,"kind":"all_to_all","node":"combine","dim":3,"axes":["x"],"bytes_sent_per_rank":[144,112,112]}
// CHECK-NEXT:  ],
// CHECK-NEXT:  "total_bytes_sent_per_rank": [144,112,112],
// CHECK-NEXT:  "pack_scratch_bytes_per_rank": [480,424,424]}
