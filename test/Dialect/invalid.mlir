// RUN: quilt-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{axis "x" is declared twice}}
quilt.mesh @mesh ["x" = 2, "x" = 4]

// -----

// expected-error @+1 {{axis "x" must have at least one rank, got 0}}
quilt.mesh @mesh ["x" = 0]

// -----

quilt.mesh @mesh ["x" = 2]
func.func @unknown_axis(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis "y"}}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["y"], []]>} : tensor<4x4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @wrong_rank(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{sharding has 1 dims but the tensor has rank 2}}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["x"]]>} : tensor<4x4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @axis_twice(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{mesh axis "x" is used twice}}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["x"], ["x"]]>} : tensor<4x4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @priority_out_of_range(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{priority must be in [0, 1000] (1000: a default split), got 1001}}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [["x"], []]>, priority = 1001} : tensor<4x4xf32>
  return
}

// -----

func.func @no_mesh(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{no quilt.mesh named @nowhere}}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@nowhere, [[], []]>} : tensor<4x4xf32>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{input channels 3 do not match filter channels 2 x group 1}}
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_pads(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{needs 2 strides and dilations and 4 pads}}
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1>, group = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{strides must be positive}}
  %y = quilt.conv %x, %w {strides = array<i64: 0, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+1 {{dim 1 does not broadcast: 3 and 4 to 3}}
  %y = quilt.add %a, %b : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+1 {{contraction sizes differ: 3 vs 4}}
  %y = quilt.gemm %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @reduce(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{result dim 1 has the wrong extent}}
  %y = quilt.reduce_mean %a dims [1] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @reshape(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{changes the element count: 6 vs 8}}
  %y = quilt.reshape %a : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{result extent along the axis must be the sum of the inputs'}}
  %y = quilt.concat %a, %b {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x7xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @halo_axis(%x: tensor<1x3x?x8xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis "q"}}
  %h = quilt.halo_exchange %x on @mesh axis "q" dim 2 window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = zero : tensor<1x3x?x8xf32> -> tensor<1x3x?x8xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @halo_dim(%x: tensor<1x3x?x8xf32>) {
  // expected-error @+1 {{dim 5 is out of range for rank 4}}
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 5 window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = zero : tensor<1x3x?x8xf32> -> tensor<1x3x?x8xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @halo_window(%x: tensor<1x3x?x8xf32>) {
  // expected-error @+1 {{window stride, dilation and kernel must be positive}}
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 2 window <stride = 0, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = zero : tensor<1x3x?x8xf32> -> tensor<1x3x?x8xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @halo_other_dim(%x: tensor<1x3x?x8xf32>) {
  // expected-error @+1 {{only dim 2 may change extent}}
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 2 window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = zero : tensor<1x3x?x8xf32> -> tensor<1x3x?x9xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @all_reduce_axes(%x: tensor<4xf32>) {
  // expected-error @+1 {{needs at least one mesh axis}}
  %r = quilt.all_reduce %x on @mesh axes [] kind = sum : tensor<4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @all_gather_rank(%x: tensor<4x?xf32>) {
  // expected-error @+1 {{result rank must equal input rank}}
  %r = quilt.all_gather %x on @mesh axis "x" dim 1 : tensor<4x?xf32> -> tensor<4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @periodic_too_wide(%x: tensor<1x3x?x8xf32>) {
  // expected-error @+1 {{periodic halo wider than the domain}}
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 2 window <stride = 1, dilation = 1, kernel = 9, pad_lo = 4> global = 3 -> global_out = 3 boundary = periodic : tensor<1x3x?x8xf32> -> tensor<1x3x?x8xf32>
  return
}

// -----

func.func @conv_extent(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{result spatial dim 0 must be 8, got 12}}
  %y = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x12x8xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{result rank must equal input rank}}
  %y = quilt.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x3x8x8xf32> -> tensor<1x3x4xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>, %c: tensor<3x2xf32>) {
  // expected-error @+1 {{C does not broadcast to the 2x2 result}}
  %y = quilt.gemm %a, %b, %c : tensor<2x3xf32>, tensor<3x2xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
// expected-error @+1 {{#quilt.local has 3 global sizes but 2 dim entries}}
func.func @local_sizes(%x: tensor<4x?xf32, #quilt.local<@mesh, [4, 8, 2], [[], ["x"]]>>) {
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %y = quilt.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %y = quilt.transpose %x {perm = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @transpose_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result dim 0 must equal input dim 1}}
  %y = quilt.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @pad_extent(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{result dim 1 must be input + padding}}
  %y = quilt.pad %x {padding = array<i64: 0, 1, 0, 1>, value = 0.0 : f32} : tensor<2x3xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @group_norm_groups(%x: tensor<2x6x5xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{groups = 4 must divide the 6 channels}}
  %y = quilt.group_norm %x, %s, %s {groups = 4 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x5xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x6x5xf32>, %s: tensor<6xf32>) {
  // expected-error @+1 {{scale and bias must have the normalized shape (input dims 2..2)}}
  %y = quilt.layer_norm %x, %s, %s {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x5xf32>, tensor<6xf32>, tensor<6xf32>
  return
}

// -----

func.func @moments_shape(%x: tensor<2x6x5xf32>) {
  // expected-error @+1 {{result must be the input's first 1 dims, then [3, 3]}}
  %m = quilt.moments %x {row_dims = 1 : i64, groups = 3 : i64} : tensor<2x6x5xf32> -> tensor<2x3x2xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @moments_all_reduce(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{of kind moments needs (count, mean, M2) triples in the last dim}}
  %y = quilt.all_reduce %x on @mesh axes ["x"] kind = moments : tensor<2x4xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<2x9xf32>) {
  // expected-error @+1 {{dim 1 reads outside the input's 9 positions}}
  %y = quilt.slice %x {starts = array<i64: 0, 4>, steps = array<i64: 1, 3>} : tensor<2x9xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_reversed_past_start(%x: tensor<2x9xf32>) {
  // A negative step walks down from the start: 4, 1, -2.
  // expected-error @+1 {{dim 1 reads outside the input's 9 positions}}
  %y = quilt.slice %x {starts = array<i64: 0, 4>, steps = array<i64: 1, -3>} : tensor<2x9xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_step_zero(%x: tensor<2x9xf32>) {
  // expected-error @+1 {{starts must be non-negative and steps non-zero}}
  %y = quilt.slice %x {starts = array<i64: 0, 4>, steps = array<i64: 1, 0>} : tensor<2x9xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @conv_transpose_extent(%x: tensor<1x4x5xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{result spatial dim 0 must be 11, got 10}}
  %y = quilt.conv_transpose %x, %w {strides = array<i64: 2>, dilations = array<i64: 1>, pads = array<i64: 0, 0>, output_padding = array<i64: 0>, group = 1 : i64} : tensor<1x4x5xf32>, tensor<4x3x3xf32> -> tensor<1x3x10xf32>
  return
}

// -----

func.func @resize_scale(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{scales must be positive fractions}}
  %y = quilt.resize %x {coordinate = #quilt<coordinate asymmetric>, sampling = #quilt<sampling floor>, scale_nums = array<i64: 1, 0>, scale_dens = array<i64: 1, 1>} : tensor<1x4xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @einsum_equation(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{letter 'k' has extents 4 and 3}}
  %y = quilt.einsum %a, %b {equation = "ij,jk->ik"} : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @einsum_one_sided_sum(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{letter 'i' is summed within one operand; not supported}}
  %y = quilt.einsum %a, %b {equation = "ij,jk->k"} : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @attention_shapes(%q: tensor<2x7x4xf32>, %k: tensor<2x9x5xf32>, %v: tensor<2x9x3xf32>) {
  // expected-error @+1 {{q and k need the same feature size}}
  %y = quilt.attention %q, %k, %v : tensor<2x7x4xf32>, tensor<2x9x5xf32>, tensor<2x9x3xf32> -> tensor<2x7x3xf32>
  return
}

// -----

func.func @attention_grid_rank(%q: tensor<4x3xf32>) {
  // expected-error @+1 {{q, k, v and the result need one equal rank >= token_dims + 1 = 3}}
  %y = quilt.attention %q, %q, %q {token_dims = 2 : i64} : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @attention_grid_keys(%q: tensor<2x4x3x8xf32>, %k: tensor<2x5x2x8xf32>, %v: tensor<2x5x3x8xf32>) {
  // expected-error @+1 {{k and v need the same tokens (dim 2)}}
  %y = quilt.attention %q, %k, %v {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x5x2x8xf32>, tensor<2x5x3x8xf32> -> tensor<2x4x3x8xf32>
  return
}

// -----

func.func @attention_no_tokens(%q: tensor<2x4x8xf32>) {
  // expected-error @+1 {{attribute 'token_dims' failed to satisfy constraint}}
  %y = quilt.attention %q, %q, %q {token_dims = 0 : i64} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @select_shape(%c: tensor<2x6xf32>, %a: tensor<3x6xf32>) {
  // expected-error @+1 {{operand dim 0 neither matches the result nor is 1}}
  %y = quilt.select %c, %a, %a : tensor<2x6xf32>, tensor<3x6xf32>, tensor<3x6xf32> -> tensor<3x6xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @permute_split_axis(%p: tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>) {
  // expected-error @+1 {{cannot permute along "x", which splits dim 1: blocks may differ in size}}
  %q = quilt.collective_permute %p on @mesh axis "x" shift 1 : tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @reduce_scatter_split_input(%p: tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>) {
  // expected-error @+1 {{result must split dim 1 like the input, then over ["x"]}}
  %q = quilt.reduce_scatter %p on @mesh axes ["x"] dim 1 : tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>
  return
}

// -----

// Nested blocks over the summed axes come in the order the op lists them.
quilt.mesh @mesh ["x" = 2, "y" = 3]
func.func @reduce_scatter_axes_order(%p: tensor<4x6xf32>) {
  // expected-error @+1 {{result must split dim 1 like the input, then over ["x", "y"]}}
  %q = quilt.reduce_scatter %p on @mesh axes ["x", "y"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["y", "x"]]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 3]
func.func @reduce_scatter_unknown_axis(%p: tensor<4x6xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis "z"}}
  %q = quilt.reduce_scatter %p on @mesh axes ["x", "z"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 2]
func.func @ring_grid_split_unlike(%k: tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>,
                                  %v: tensor<1x?x6x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], [], []]>>) {
  // expected-error @+1 {{keys and values must be split alike along their tokens}}
  %y = quilt.ring_attention %k, %k, %v on @mesh axis "x" {token_dims = 2 : i64} : tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>, tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>, tensor<1x?x6x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], [], []]>> -> tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 2]
func.func @ring_grid_first_axis(%k: tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>) {
  // expected-error @+1 {{keys and values must be split along their tokens, first over "y"}}
  %y = quilt.ring_attention %k, %k, %k on @mesh axis "y" {token_dims = 2 : i64} : tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>, tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>, tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>> -> tensor<1x?x?x3xf32, #quilt.local<@mesh, [1, 4, 6, 3], [[], ["x"], ["y"], []]>>
  return
}

// -----

func.func @pad_crops_too_much(%x: tensor<4xf32>) -> tensor<0xf32> {
  // expected-error @+1 {{dim 0 is cropped by more than its size}}
  %y = quilt.pad %x {padding = array<i64: -3, -2>, value = 0.0 : f32} : tensor<4xf32> -> tensor<0xf32>
  return %y : tensor<0xf32>
}

// -----

func.func @attention_prefix_features(%q: tensor<2x7x4xf32>, %k: tensor<2x9x4xf32>, %v: tensor<2x9x3xf32>, %pk: tensor<2x1x5xf32>, %pv: tensor<2x1x3xf32>) -> tensor<2x7x3xf32> {
  // expected-error @+1 {{prefix keys must be [batch..., Tp, d] and values [batch..., Tp, dv]}}
  %y = quilt.attention %q, %k, %v prefix %pk, %pv : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x3xf32>, tensor<2x1x5xf32>, tensor<2x1x3xf32> -> tensor<2x7x3xf32>
  return %y : tensor<2x7x3xf32>
}

// -----

func.func @attention_prefix_grid(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x3x8xf32>, %pk: tensor<2x1x1x8xf32>) -> tensor<2x4x3x8xf32> {
  // expected-error @+1 {{prefix keys and values need the batch dims, one token dim and the features (rank 3)}}
  %y = quilt.attention %q, %k, %k prefix %pk, %pk {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x1x1x8xf32>, tensor<2x1x1x8xf32> -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// -----

func.func @periodic_pad_wraps_twice(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{periodic padding of dim 0 exceeds its size 8}}
  %y = quilt.pad %x {padding = array<i64: 20, -20>, value = 0.0 : f32, mode = #quilt<boundary periodic>} : tensor<8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @split_prefix(%q: tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, %pk: tensor<2x?x16xf32, #quilt.local<@mesh, [2, 2, 16], [[], ["x"], []]>>) {
  // expected-error @+1 {{prefix keys and values must be whole along tokens and features}}
  %y = quilt.ring_attention %q, %q, %q prefix %pk, %pk on @mesh axis "x" : tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 2, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 2, 16], [[], ["x"], []]>> -> tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>
  return
}

// -----

func.func @attention_bias_rank(%q: tensor<2x7x4xf32>, %b: tensor<7x7xf32>) -> tensor<2x7x4xf32> {
  // expected-error @+1 {{bias must be [batch..., Tq.., Tk..] (rank 3)}}
  %y = quilt.attention %q, %q, %q bias %b : tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32> bias tensor<7x7xf32> -> tensor<2x7x4xf32>
  return %y : tensor<2x7x4xf32>
}

// -----

func.func @attention_bias_extent(%q: tensor<2x7x4xf32>, %k: tensor<2x9x4xf32>, %b: tensor<1x7x7xf32>) -> tensor<2x7x4xf32> {
  // expected-error @+1 {{bias dim 2 is neither 1 nor the extent of k dim 1}}
  %y = quilt.attention %q, %k, %k bias %b : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x4xf32> bias tensor<1x7x7xf32> -> tensor<2x7x4xf32>
  return %y : tensor<2x7x4xf32>
}

// -----

func.func @attention_bias_and_prefix(%q: tensor<2x7x4xf32>, %p: tensor<2x1x4xf32>, %b: tensor<1x7x7xf32>) -> tensor<2x7x4xf32> {
  // expected-error @+1 {{takes a bias or prefix keys, not both}}
  %y = quilt.attention %q, %q, %q prefix %p, %p bias %b : tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32> bias tensor<1x7x7xf32> -> tensor<2x7x4xf32>
  return %y : tensor<2x7x4xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @split_bias_keys(%q: tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, %b: tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 10], [[], ["x"], ["x"]]>>) {
  // expected-error @+1 {{bias must be whole along the key tokens}}
  %y = quilt.ring_attention %q, %q, %q bias %b on @mesh axis "x" : tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>> bias tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 10], [[], ["x"], ["x"]]>> -> tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @whole_bias_rows(%q: tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, %b: tensor<1x10x10xf32>) {
  // expected-error @+1 {{bias dim 1 must be split as the queries' dim 1}}
  %y = quilt.ring_attention %q, %q, %q bias %b on @mesh axis "x" : tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>, tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>> bias tensor<1x10x10xf32> -> tensor<2x?x16xf32, #quilt.local<@mesh, [2, 10, 16], [[], ["x"], []]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 3]
func.func @reblock_same_granules(%x: tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["x"], []]>>) {
  // expected-error @+1 {{dim 0 has granules of 1 on both sides: nothing to re-block}}
  %y = quilt.reblock %x on @mesh dim 0 : tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["x"], []]>> -> tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["x"], []]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 3, "y" = 2]
func.func @reblock_other_axes(%x: tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["x"], []]>>) {
  // expected-error @+1 {{dim 0 must be split over the same mesh axes on both sides}}
  %y = quilt.reblock %x on @mesh dim 0 : tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["x"], []]>> -> tensor<?x16xf32, #quilt.local<@mesh, [16, 16], [["y"], []], granules = [4, 1]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 3, "y" = 2]
func.func @reblock_two_dims(%x: tensor<?x?xf32, #quilt.local<@mesh, [16, 16], [["x"], ["y"]]>>) {
  // expected-error @+1 {{only dim 0 may change its blocks}}
  %y = quilt.reblock %x on @mesh dim 0 : tensor<?x?xf32, #quilt.local<@mesh, [16, 16], [["x"], ["y"]]>> -> tensor<?x?xf32, #quilt.local<@mesh, [16, 16], [["x"], ["y"]], granules = [4, 2]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @unknown_algorithm(%x: tensor<4xf32>) {
  // expected-error @+1 {{has unknown algorithm "tree" (library, ring, recursive-doubling, rabenseifner, bruck, recursive-halving or pairwise)}}
  %r = quilt.all_reduce %x on @mesh axes ["x"] kind = sum {algorithm = "tree"} : tensor<4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @algorithm_of_another_kind(%x: tensor<4xf32>) {
  // expected-error @+1 {{algorithm "bruck" is not one the runtime runs for all_reduce over 2 ranks}}
  %r = quilt.all_reduce %x on @mesh axes ["x"] kind = sum {algorithm = "bruck"} : tensor<4xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 3, "y" = 2]
func.func @halving_needs_a_power_of_two(%x: tensor<6x4xf32>) {
  // expected-error @+1 {{algorithm "recursive-halving" is not one the runtime runs for reduce_scatter over 3 ranks}}
  %r = quilt.reduce_scatter %x on @mesh axes ["x"] dim 0 {algorithm = "recursive-halving"} : tensor<6x4xf32> -> tensor<?x4xf32>
  return
}

// -----

// quiltc --tf32's module attribute names one of two math modes.
// expected-error @+1 {{quilt.math is "fp32" or "tf32", on a module}}
module attributes {quilt.math = "fp16"} {
}

// -----

// expected-error @+1 {{quilt.math is "fp32" or "tf32", on a module}}
func.func @math_on_a_function() attributes {quilt.math = "tf32"} {
  return
}
