// RUN: quiltc %s --mesh=3x2 --shard=x:2=0,2=1 --compile-to=runtime -o /dev/null --report=%t.json
// RUN: FileCheck %s --input-file=%t.json
// A contraction over a dim split by both axes of a 3x2 mesh feeds an add
// split the same way: one reduce-scatter over all six ranks.
func.func @main(%x: tensor<1x6x16xf32> {quilt.name = "x"}) -> tensor<1x6x16xf32> {
  %w = quilt.constant dense<0.5> : tensor<16x16xf32>
  %y = quilt.einsum %x, %w {equation = "bte,ef->btf"} : tensor<1x6x16xf32>, tensor<16x16xf32> -> tensor<1x6x16xf32> loc("mix")
  %z = quilt.add %y, %x : tensor<1x6x16xf32>, tensor<1x6x16xf32> -> tensor<1x6x16xf32> loc("residual")
  return %z : tensor<1x6x16xf32>
}
// Every rank sums the whole 1 x 6 x 16 buffer (384 bytes) and keeps its
// nested block of the 16 columns: 6, 5, 5 over x, then (3, 3), (3, 2),
// (3, 2) over y; it sends the rest: 384 - 6 x 3 x 4 = 312 bytes, or
// 384 - 6 x 2 x 4 = 336.
// CHECK:      "ops": [
// CHECK:        {"index":{{[0-9]+}},"kind":"reduce_scatter","node":"residual","dim":2,"axes":["x","y"],"bytes_sent_per_rank":[312,312,312,336,312,336]}
// CHECK-NEXT:  ],
