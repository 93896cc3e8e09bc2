// RUN: quiltc %s --mesh=3 --shard=x:2 --compile-to=runtime -o /dev/null --report=%t.json
// RUN: FileCheck %s --input-file=%t.json
// A DFT along the split H (10 rows over 3 ranks: 4, 3, 3) moves the axis to
// W (7: blocks 3, 2, 2): each rank keeps its own block of W and sends the
// others theirs: rows x (7 - own W block) x 2 channels x 2 floats x 4 bytes.
// Rank 0: 4 x 4 x 16 = 256; ranks 1, 2: 3 x 5 x 16 = 240. The inverse DFT's
// zero-fill Pad of W moves the axis back to H before padding (the report
// names the DFT it serves): 10 rows, 3 or 2 columns; rank 0 keeps 4 rows and
// sends 6 x 3 x 16 = 288, ranks 1, 2 send 7 x 2 x 16 = 224.
func.func @main(%x: tensor<1x2x10x7x2xf32> {quilt.name = "x"}) -> tensor<1x2x10x12x2xf32> {
  %y = quilt.dft %x {axis = 2 : i64} : tensor<1x2x10x7x2xf32> -> tensor<1x2x10x7x2xf32> loc("fft_h")
  %p = quilt.pad %y {padding = array<i64: 0, 0, 0, 0, 0, 0, 0, 0, 5, 0>, value = 0.0 : f32} : tensor<1x2x10x7x2xf32> -> tensor<1x2x10x12x2xf32> loc("fill_w")
  %z = quilt.dft %p {axis = 3 : i64, inverse = true} : tensor<1x2x10x12x2xf32> -> tensor<1x2x10x12x2xf32> loc("ifft_w")
  return %z : tensor<1x2x10x12x2xf32>
}
// CHECK:      "ops": [
// CHECK-NEXT:   {"index":0,"kind":"all_to_all","node":"fft_h","dim":2,"axes":["x"],"bytes_sent_per_rank":[256,240,240]},
// CHECK-NEXT:   {"index":1,"kind":"all_to_all","node":"ifft_w","dim":3,"axes":["x"],"bytes_sent_per_rank":[288,224,224]}
// CHECK-NEXT:  ],
// CHECK-NEXT:  "total_bytes_sent_per_rank": [544,464,464],
// CHECK-NEXT:  "pack_scratch_bytes_per_rank": [992,848,848]}
// The pack region holds an all-to-all's packed input, then (at the next 256
// bytes) its result: rank 0 packs 1x2x4x7x2 floats (448 B) and receives
// 1x2x10x3x2 (480 B): 512 + 480 = 992; ranks 1 and 2 at most in the inverse
// move, 320 B then 3 rows (336 B): 512 + 336 = 848.
