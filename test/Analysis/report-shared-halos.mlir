// RUN: quiltc %s --mesh=3 --compile-to=partition -o /dev/null --report=%t.json
// RUN: FileCheck %s --input-file=%t.json --check-prefix=SHARED
// RUN: quiltc %s --mesh=3 --compile-to=partition -o /dev/null --report=%t.unshared.json --share-halos=false
// RUN: FileCheck %s --input-file=%t.unshared.json --check-prefix=UNSHARED
// Bytes per rank of an atrous pyramid (3x3 convs of dilations 1, 2 and 3 on
// one split value) with one shared halo exchange and with one per conv,
// worked out by hand below.
func.func @main(%x: tensor<1x2x10x6xf32> {quilt.name = "input"}) -> tensor<1x6x10x6xf32> {
  %w = quilt.constant dense<1.0> : tensor<2x2x3x3xf32>
  %a = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %b = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 3, 3>, pads = array<i64: 3, 3, 3, 3>, group = 1 : i64} : tensor<1x2x10x6xf32>, tensor<2x2x3x3xf32> -> tensor<1x2x10x6xf32>
  %y = quilt.concat %a, %b, %c {axis = 1 : i64} : tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32>, tensor<1x2x10x6xf32> -> tensor<1x6x10x6xf32>
  return %y : tensor<1x6x10x6xf32>
}

// P=3 splits H (10 rows) into [0,4) [4,7) [7,10); a row is 2 channels x 6
// columns x 4 bytes = 48 bytes. Dilation d needs [o0-d, o1+d): rank 0 sends
// its last d rows to rank 1, rank 1 its first d rows to rank 0 and its last d
// to rank 2, rank 2 its first d to rank 1 (d <= 3, the smallest block).
// Shared: once at d = 3, [144, 288, 144]: what the widest conv alone sends.
// SHARED:      "ops": [
// SHARED-NEXT:   {"index":0,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[144,288,144]}
// SHARED-NEXT:  ],
// SHARED-NEXT:  "total_bytes_sent_per_rank": [144,288,144],
// SHARED-NEXT:  "pack_scratch_bytes_per_rank": [400,800,400]}
// One per conv: d = 1, 2, 3: [48, 96, 48] + [96, 192, 96] + [144, 288, 144].
// UNSHARED:      "ops": [
// UNSHARED-NEXT:   {"index":0,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[48,96,48]},
// UNSHARED-NEXT:   {"index":1,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[96,192,96]},
// UNSHARED-NEXT:   {"index":2,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[144,288,144]}
// UNSHARED-NEXT:  ],
// UNSHARED-NEXT:  "total_bytes_sent_per_rank": [288,576,288],
// UNSHARED-NEXT:  "pack_scratch_bytes_per_rank": [400,800,400]}
