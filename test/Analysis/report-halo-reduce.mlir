// RUN: quiltc %s --mesh=3 --compile-to=runtime -o %t.p3.mlir --report=%t.p3.json
// RUN: cat %t.p3.json %t.p3.mlir | FileCheck %s --check-prefix=P3
// RUN: quiltc %s --mesh=2x2 --compile-to=runtime -o %t.2x2.mlir --report=%t.2x2.json
// RUN: cat %t.2x2.json %t.2x2.mlir | FileCheck %s --check-prefix=MESH2X2
// RUN: quiltc %s --mesh=3 --compile-to=partition -o /dev/null --report=%t.partition.json
// RUN: FileCheck %s --input-file=%t.partition.json --check-prefix=PARTITION
// RUN: not quiltc %s --mesh=3 --compile-to=propagate -o /dev/null --report=%t.bad.json 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TOO-EARLY
// Bytes per rank of a 3x3 conv's halo exchange and of the all-reduce of a
// spatial sum, worked out by hand below from the block and halo ranges.
func.func @main(%x: tensor<1x2x10x7xf32> {quilt.name = "input"}) -> tensor<1x3x1x1xf32> {
  %w = quilt.constant dense<1.0> : tensor<3x2x3x3xf32>
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x10x7xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x10x7xf32>
  %s = quilt.reduce_sum %c dims [2, 3] : tensor<1x3x10x7xf32> -> tensor<1x3x1x1xf32>
  return %s : tensor<1x3x1x1xf32>
}

// P=3 splits H (10 rows) into [0,4) [4,7) [7,10); the conv needs [-1,5)
// [3,8) [6,11). Rank 0 sends row 3 to rank 1, rank 1 rows 4 and 6 to ranks 0
// and 2, rank 2 row 7 to rank 1: one row is 2 channels x 7 columns x 4 bytes
// = 56 bytes. The all-reduce of 3 floats over 3 ranks sends 2*2/3 of 12 bytes.
// P3:      {"mesh": [3], "axes": ["x"],
// P3-NEXT:  "ranks": 3, "peak_arena_bytes": [[ARENA:[0-9]+]],
// P3-NEXT:  "ops": [
// P3-NEXT:   {"index":0,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[56,112,56]},
// P3-NEXT:   {"index":1,"kind":"all_reduce","node":null,"axes":["x"],"bytes_sent_per_rank":[16,16,16]}
// P3-NEXT:  ],
// P3-NEXT:  "total_bytes_sent_per_rank": [72,128,72],
// P3-NEXT:  "pack_scratch_bytes_per_rank": [312,368,312]}
// The pack region: H's slabs are strided (2 channels before it), so the
// runtime packs each row of 2 x 7 floats it sends and receives, the receives
// at the next 256 bytes: rank 0 256 + 56 = 312, rank 1 256 + 112 = 368.
// The memory plan's arena is the one the lowered module allocates.
// P3: module attributes {quilt.arena_bytes = [[ARENA]] : i64

// 2x2 splits H into [0,5) [5,10) over x and W into [0,4) [4,7) over y; ranks
// are row-major (rank = 2x + y). The H exchange moves one row each way, of
// 2 channels x the rank's 4 or 3 columns. The W exchange then moves one column
// each way of 2 channels x 7 halo'd rows (it carries the corners).
// MESH2X2:      {"mesh": [2,2], "axes": ["x","y"],
// MESH2X2-NEXT:  "ranks": 4, "peak_arena_bytes": [[ARENA:[0-9]+]],
// MESH2X2-NEXT:  "ops": [
// MESH2X2-NEXT:   {"index":0,"kind":"halo_exchange","node":null,"dim":2,"axis":"x","bytes_sent_per_rank":[32,24,32,24]},
// MESH2X2-NEXT:   {"index":1,"kind":"halo_exchange","node":null,"dim":3,"axis":"y","bytes_sent_per_rank":[56,56,56,56]},
// MESH2X2-NEXT:   {"index":2,"kind":"all_reduce","node":null,"axes":["x","y"],"bytes_sent_per_rank":[18,18,18,18]}
// MESH2X2-NEXT:  ],
// MESH2X2-NEXT:  "total_bytes_sent_per_rank": [106,98,106,98],
// MESH2X2-NEXT:  "pack_scratch_bytes_per_rank": [312,312,312,312]}
// MESH2X2: module attributes {quilt.arena_bytes = [[ARENA]] : i64

// Stopped before the memory plan, the arena is unknown.
// PARTITION: "peak_arena_bytes": null,
// PARTITION: "total_bytes_sent_per_rank": [72,128,72],
// PARTITION-NEXT:  "pack_scratch_bytes_per_rank": [312,368,312]}

// TOO-EARLY: quiltc: error: --report needs the partitioned program: --compile-to=partition or later
