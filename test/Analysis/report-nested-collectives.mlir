// RUN: quiltc %s --mesh=3x2 --shard=x:2=0,2=1 --shard=y:3=0,3=1 --compile-to=runtime -o /dev/null \
// RUN:   --report=%t.json 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s --input-file=%t.json
// Adding two inputs split over both axes of a 3x2 mesh, x on H and y on W:
// both axes move from W to H in y by one all-to-all over all six ranks.
func.func @main(%x: tensor<1x2x10x7xf32> {quilt.name = "x"}, %y: tensor<1x2x10x7xf32> {quilt.name = "y"}) -> tensor<1x2x10x7xf32> {
  %s = quilt.add %x, %y : tensor<1x2x10x7xf32>, tensor<1x2x10x7xf32> -> tensor<1x2x10x7xf32> loc("combine")
  return %s : tensor<1x2x10x7xf32>
}
// REMARK: remark: {{.*}}all-to-all moves mesh axes "x", "y" from dim 3 to dim 2 before ONNX node 'combine' (quilt.add)
// REMARK-NOT: remark
// Nested blocks, owner (rank) = 2 x + y: W = 7 columns are 3, 2, 2 over x,
// then (2, 1), (1, 1), (1, 1) over y; H = 10 rows are 4, 3, 3, then (2, 2),
// (2, 1), (2, 1). Each rank sends its 2 x 10 x W block but its own rows:
// rank 0 2 x 8 x 2 floats (128 bytes), rank 3 2 x 9 x 1 (72 bytes).
// CHECK:      "ops": [
// CHECK-NEXT:   {"index":0,"kind":"all_to_all","node":"combine","dim":3,"axes":["x","y"],"bytes_sent_per_rank":[128,64,64,72,64,72]}
// CHECK-NEXT:  ],
// CHECK-NEXT:  "total_bytes_sent_per_rank": [128,64,64,72,64,72],
// CHECK-NEXT:  "pack_scratch_bytes_per_rank": [368,368,368,312,368,312]}
