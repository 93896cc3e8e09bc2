// RUN: quilt-opt %s --split-input-file --quilt-annotate-inputs="mesh-shape=3 shard=x:2" --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --split-input-file --quilt-annotate-inputs="mesh-shape=3 shard=x:2" --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quilt-opt %s --split-input-file --quilt-annotate-inputs="mesh-shape=3 shard=x:2" --quilt-propagate-sharding 2>&1 | FileCheck %s --check-prefix=PROP

// A DFT along the split H (10 rows over 3 ranks: 4, 3, 3) moves the mesh axis
// to W (7 columns: 3, 2, 2), the larger free signal dim, by one all-to-all;
// the result keeps that layout, and so does the next op.
// CHECK-LABEL: func @dft_on_split_axis
// CHECK: %[[T:.*]] = quilt.all_to_all %arg0 on @mesh axes ["x"] dim 2 to 3 : tensor<1x4x?x7x2xf32, #quilt.local<@mesh, [1, 4, 10, 7, 2], {{\[}}[], [], ["x"], [], []]>> -> tensor<1x4x10x?x2xf32, #quilt.local<@mesh, [1, 4, 10, 7, 2], {{\[}}[], [], [], ["x"], []]>>
// CHECK: %[[D:.*]] = quilt.dft %[[T]] {axis = 2 : i64} : tensor<1x4x10x?x2xf32, {{.*}}> -> tensor<1x4x10x?x2xf32, #quilt.local<@mesh, [1, 4, 10, 7, 2], {{\[}}[], [], [], ["x"], []]>>
// CHECK: quilt.relu %[[D]] : tensor<1x4x10x?x2xf32
// CHECK-NOT: quilt.all_gather
// PROP-LABEL: func @dft_on_split_axis
// PROP: quilt.dft {{.*}}quilt.sharding_origin = "operand 0 dim 2 is needed whole; mesh axis \22x\22 moves from dim 2 to dim 3 (all-to-all)", quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], [], [], ["x"], []]>]
func.func @dft_on_split_axis(%x: tensor<1x4x10x7x2xf32> {quilt.name = "x"}) -> tensor<1x4x10x7x2xf32> {
  %y = quilt.dft %x {axis = 2 : i64} : tensor<1x4x10x7x2xf32> -> tensor<1x4x10x7x2xf32>
  %r = quilt.relu %y : tensor<1x4x10x7x2xf32>
  return %r : tensor<1x4x10x7x2xf32>
}

// -----

// W has fewer positions (2) than the axis has ranks: it takes the axis all
// the same (a rank gets nothing), since split channels would make an FNO's
// channel mixing that follows partial.
// CHECK-LABEL: func @narrow_signal_dim
// CHECK: quilt.all_to_all %arg0 on @mesh axes ["x"] dim 2 to 3
// CHECK: quilt.dft %{{.*}} {axis = 2 : i64, onesided = true} : tensor<1x6x9x?x1xf32, {{.*}}> -> tensor<1x6x5x?x2xf32
func.func @narrow_signal_dim(%x: tensor<1x6x9x2x1xf32> {quilt.name = "x"}) -> tensor<1x6x5x2x2xf32> {
  %y = quilt.dft %x {axis = 2 : i64, onesided = true} : tensor<1x6x9x2x1xf32> -> tensor<1x6x5x2x2xf32>
  return %y : tensor<1x6x5x2x2xf32>
}

// -----

// No other dim can take the axis: gathered, with a remark naming the node.
// REMARK-NOT: remark
// REMARK: remark: {{.*}}all-gather of dim 2 (split over mesh axis "x") before ONNX node 'fft' (quilt.dft): it needs that dim whole
// CHECK-LABEL: func @nothing_to_move_to
// CHECK: quilt.all_gather %arg0 on @mesh axis "x" dim 2
func.func @nothing_to_move_to(%x: tensor<1x1x12x2xf32> {quilt.name = "x"}) -> tensor<1x1x12x2xf32> {
  %y = quilt.dft %x {axis = 2 : i64} : tensor<1x1x12x2xf32> -> tensor<1x1x12x2xf32> loc("fft")
  return %y : tensor<1x1x12x2xf32>
}

// -----

// A zero-fill Pad of the split dim ahead of a DFT along it (marked by
// quilt-shrink-spectral-transposes) transposes its input, then pads locally:
// no halo exchange, and the all-to-all carries 4 modes, not 10.
// CHECK-LABEL: func @transpose_before_pad
// CHECK: %[[T:.*]] = quilt.all_to_all %arg0 on @mesh axes ["x"] dim 2 to 1 {{.*}} -> tensor<1x?x4x2xf32, {{.*}}>
// CHECK: %[[P:.*]] = quilt.pad %[[T]] {{.*}} : tensor<1x?x4x2xf32, {{.*}}> -> tensor<1x?x10x2xf32
// CHECK: quilt.dft %[[P]] {axis = 2 : i64, inverse = true}
// CHECK-NOT: quilt.halo_exchange
// PROP-LABEL: func @transpose_before_pad
// PROP: quilt.pad {{.*}}quilt.shardings = [#quilt.sharding<@mesh, {{\[}}[], ["x"], [], []]>]
func.func @transpose_before_pad(%x: tensor<1x8x4x2xf32> {quilt.name = "x"}) -> tensor<1x8x10x2xf32> {
  %p = quilt.pad %x {padding = array<i64: 0, 0, 0, 0, 0, 0, 6, 0>, value = 0.0 : f32, quilt.transpose_for_dft} : tensor<1x8x4x2xf32> -> tensor<1x8x10x2xf32>
  %y = quilt.dft %p {axis = 2 : i64, inverse = true} : tensor<1x8x10x2xf32> -> tensor<1x8x10x2xf32> loc("ifft")
  return %y : tensor<1x8x10x2xf32>
}

// -----

// The same for a Concat along the split dim: the zeros are sliced locally.
// CHECK-LABEL: func @transpose_before_concat
// CHECK: %[[T:.*]] = quilt.all_to_all %arg0 on @mesh axes ["x"] dim 2 to 1
// CHECK: %[[Z:.*]] = quilt.shard_slice %{{.*}} on @mesh axis "x" dim 1
// CHECK: quilt.concat %[[T]], %[[Z]] {axis = 2 : i64
// CHECK-NOT: quilt.all_gather
func.func @transpose_before_concat(%x: tensor<1x8x4x2xf32> {quilt.name = "x"}) -> tensor<1x8x10x2xf32> {
  %z = quilt.constant dense<0.0> : tensor<1x8x6x2xf32>
  %c = quilt.concat %x, %z {axis = 2 : i64, quilt.transpose_for_dft} : tensor<1x8x4x2xf32>, tensor<1x8x6x2xf32> -> tensor<1x8x10x2xf32>
  %y = quilt.dft %c {axis = 2 : i64} : tensor<1x8x10x2xf32> -> tensor<1x8x10x2xf32>
  return %y : tensor<1x8x10x2xf32>
}
// REMARK-NOT: remark
