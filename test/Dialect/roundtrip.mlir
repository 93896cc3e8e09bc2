// RUN: quilt-opt %s | quilt-opt | FileCheck %s
// Every op and attribute prints and parses back to itself.

// CHECK: quilt.mesh @mesh ["x" = 2, "y" = 4]
quilt.mesh @mesh ["x" = 2, "y" = 4]

// CHECK-LABEL: func @compute
func.func @compute(%x: tensor<1x3x77x53xf32>, %m: tensor<4x8xf32>) -> tensor<1x8x1x1xf32> {
  // CHECK: quilt.annotate %{{.*}} {sharding = #quilt.sharding<@mesh, {{\[}}[], [], ["x"], ["y"]]>}
  %a = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], ["y"]]>} : tensor<1x3x77x53xf32>
  // CHECK: quilt.annotate %{{.*}} {priority = 2 : i64, sharding = #quilt.sharding<@mesh, {{\[}}[], [], ["x"], []]>}
  %a2 = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>, priority = 2} : tensor<1x3x77x53xf32>
  // CHECK: quilt.constant dense<1.000000e+00> : tensor<8x3x3x3xf32>
  %w = quilt.constant dense<1.0> : tensor<8x3x3x3xf32>
  %b = quilt.constant dense<0.5> : tensor<8xf32>
  // CHECK: quilt.conv {{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %c = quilt.conv %a, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x3x77x53xf32>, tensor<8x3x3x3xf32>, tensor<8xf32> -> tensor<1x8x39x27xf32>
  // CHECK: quilt.relu
  %r = quilt.relu %c : tensor<1x8x39x27xf32>
  // CHECK: quilt.leaky_relu {{.*}} {alpha = 1.000000e-01 : f32}
  %l = quilt.leaky_relu %r {alpha = 0.1 : f32} : tensor<1x8x39x27xf32>
  %s = quilt.sigmoid %l : tensor<1x8x39x27xf32>
  %t = quilt.tanh %s : tensor<1x8x39x27xf32>
  %e = quilt.erf %t : tensor<1x8x39x27xf32>
  %g0 = quilt.gelu %e : tensor<1x8x39x27xf32>
  // CHECK: quilt.sqrt
  // CHECK: quilt.exp
  // CHECK: quilt.log
  // CHECK: quilt.neg
  // CHECK: quilt.abs
  %q0 = quilt.sqrt %g0 : tensor<1x8x39x27xf32>
  %q1 = quilt.exp %q0 : tensor<1x8x39x27xf32>
  %q2 = quilt.log %q1 : tensor<1x8x39x27xf32>
  %q3 = quilt.neg %q2 : tensor<1x8x39x27xf32>
  %g = quilt.abs %q3 : tensor<1x8x39x27xf32>
  // CHECK: quilt.max_pool {{.*}} -> tensor<1x8x19x13xf32>
  %p = quilt.max_pool %g {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : tensor<1x8x39x27xf32> -> tensor<1x8x19x13xf32>
  // CHECK: quilt.avg_pool {{.*}}count_include_pad = true
  %q = quilt.avg_pool %p {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, count_include_pad = true} : tensor<1x8x19x13xf32> -> tensor<1x8x19x13xf32>
  %k = quilt.constant dense<2.0> : tensor<1x8x1x1xf32>
  // CHECK: quilt.add {{.*}} : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %ad = quilt.add %q, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %sb = quilt.sub %ad, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %ml = quilt.mul %sb, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %dv0 = quilt.div %ml, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  // CHECK: quilt.pow
  // CHECK: quilt.max
  // CHECK: quilt.min
  %pw = quilt.pow %dv0, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %mx = quilt.max %pw, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  %dv = quilt.min %mx, %k : tensor<1x8x19x13xf32>, tensor<1x8x1x1xf32> -> tensor<1x8x19x13xf32>
  // CHECK: quilt.reduce_mean {{.*}} dims [2, 3] {divisor = 2.470000e+02 : f64}
  %mean = quilt.reduce_mean %dv dims [2, 3] {divisor = 247.0} : tensor<1x8x19x13xf32> -> tensor<1x8x1x1xf32>
  %sum = quilt.reduce_sum %mean dims [1] : tensor<1x8x1x1xf32> -> tensor<1x1x1x1xf32>
  %max = quilt.reduce_max %dv dims [2, 3] : tensor<1x8x19x13xf32> -> tensor<1x8x1x1xf32>
  // CHECK: quilt.compare ge, %{{.*}}, %{{.*}} : tensor<1x8x19x13xf32>, tensor<1x8x19x13xf32> -> tensor<1x8x19x13xf32>
  %cmp = quilt.compare ge, %dv, %dv : tensor<1x8x19x13xf32>, tensor<1x8x19x13xf32> -> tensor<1x8x19x13xf32>
  // CHECK: quilt.softmax {{.*}} {axis = 1 : i64} : tensor<1x8x19x13xf32>
  %sm = quilt.softmax %dv {axis = 1 : i64} : tensor<1x8x19x13xf32>
  // CHECK: quilt.pad {{.*}} {padding = array<i64: 0, 0, 1, 2, 0, 0, 3, 4>, value = 5.000000e-01 : f32} : tensor<1x8x19x13xf32> -> tensor<1x8x23x19xf32>
  %pd = quilt.pad %sm {padding = array<i64: 0, 0, 1, 2, 0, 0, 3, 4>, value = 0.5 : f32} : tensor<1x8x19x13xf32> -> tensor<1x8x23x19xf32>
  // CHECK: quilt.transpose {{.*}} {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x19x13xf32> -> tensor<1x19x13x8xf32>
  %tr = quilt.transpose %sm {perm = array<i64: 0, 2, 3, 1>} : tensor<1x8x19x13xf32> -> tensor<1x19x13x8xf32>
  // CHECK: quilt.reshape {{.*}} : tensor<1x8x1x1xf32> -> tensor<1x8xf32>
  %flat = quilt.reshape %max : tensor<1x8x1x1xf32> -> tensor<1x8xf32>
  // CHECK: quilt.gemm {{.*}} {trans_b = true}
  %y = quilt.gemm %flat, %m {trans_b = true} : tensor<1x8xf32>, tensor<4x8xf32> -> tensor<1x4xf32>
  // CHECK: quilt.concat {{.*}} {axis = 1 : i64}
  %cat = quilt.concat %mean, %max {axis = 1 : i64} : tensor<1x8x1x1xf32>, tensor<1x8x1x1xf32> -> tensor<1x16x1x1xf32>
  return %mean : tensor<1x8x1x1xf32>
}

// CHECK-LABEL: func @communication
func.func @communication(%x: tensor<1x3x?x53xf32>, %p: tensor<1x8xf32>, %r: tensor<1x3x77x53xf32>) {
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1> global = 77 -> global_out = 39 boundary = zero
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 2 window <stride = 2, dilation = 1, kernel = 3, pad_lo = 1> global = 77 -> global_out = 39 boundary = zero : tensor<1x3x?x53xf32> -> tensor<1x3x?x53xf32>
  // CHECK: quilt.all_reduce %{{.*}} on @mesh axes ["x", "y"] kind = sum
  %s = quilt.all_reduce %p on @mesh axes ["x", "y"] kind = sum : tensor<1x8xf32>
  // CHECK: quilt.all_gather %{{.*}} on @mesh axis "x" dim 2 : tensor<1x3x?x53xf32> -> tensor<1x3x77x53xf32>
  %g = quilt.all_gather %x on @mesh axis "x" dim 2 : tensor<1x3x?x53xf32> -> tensor<1x3x77x53xf32>
  // CHECK: quilt.shard_slice %{{.*}} on @mesh axis "y" dim 3
  %l = quilt.shard_slice %r on @mesh axis "y" dim 3 : tensor<1x3x77x53xf32> -> tensor<1x3x77x?xf32>
  // A recorded algorithm round-trips in the attribute dictionary.
  // CHECK: quilt.all_reduce %{{.*}} on @mesh axes ["x"] kind = max {algorithm = "rabenseifner"} : tensor<1x8xf32>
  %sa = quilt.all_reduce %p on @mesh axes ["x"] kind = max {algorithm = "rabenseifner"} : tensor<1x8xf32>
  // CHECK: quilt.all_gather %{{.*}} on @mesh axis "x" dim 2 {algorithm = "bruck"}
  %ga = quilt.all_gather %x on @mesh axis "x" dim 2 {algorithm = "bruck"} : tensor<1x3x?x53xf32> -> tensor<1x3x77x53xf32>
  return
}

// CHECK-LABEL: func @local_types
// CHECK-SAME: tensor<1x3x?x53xf32, #quilt.local<@mesh, [1, 3, 77, 53], {{\[}}[], [], ["x"], []], halos = [#quilt.halo<dim = 2, window = <stride = 1, dilation = 2, kernel = 3, pad_lo = 2>, global_out = 77, boundary = periodic>]>>
func.func @local_types(%x: tensor<1x3x?x53xf32, #quilt.local<@mesh, [1, 3, 77, 53], [[], [], ["x"], []], halos = [#quilt.halo<dim = 2, window = <stride = 1, dilation = 2, kernel = 3, pad_lo = 2>, global_out = 77, boundary = periodic>]>>) {
  return
}

// CHECK-LABEL: func @normalizations
func.func @normalizations(%x: tensor<2x6x5x7xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %ls: tensor<5x7xf32>) -> tensor<2x6x5x7xf32> {
  // CHECK: quilt.group_norm %arg0, %arg1, %arg2 {epsilon = 9.99999974E-6 : f32, groups = 3 : i64} : tensor<2x6x5x7xf32>, tensor<3xf32>, tensor<3xf32>
  %g = quilt.group_norm %x, %s, %b {groups = 3 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x5x7xf32>, tensor<3xf32>, tensor<3xf32>
  // CHECK: quilt.layer_norm
  %l = quilt.layer_norm %g, %ls, %ls {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x6x5x7xf32>, tensor<5x7xf32>, tensor<5x7xf32>
  // CHECK: quilt.moments %{{.*}} {groups = 3 : i64, row_dims = 1 : i64} : tensor<2x6x5x7xf32> -> tensor<2x3x3xf32>
  %m = quilt.moments %l {row_dims = 1 : i64, groups = 3 : i64} : tensor<2x6x5x7xf32> -> tensor<2x3x3xf32>
  // CHECK: quilt.normalize
  %n = quilt.normalize %l, %m, %s, %b {row_dims = 1 : i64, groups = 3 : i64, epsilon = 1.0e-5 : f32, per_group = true} : tensor<2x6x5x7xf32>, tensor<2x3x3xf32>, tensor<3xf32>, tensor<3xf32>
  return %n : tensor<2x6x5x7xf32>
}

// CHECK-LABEL: func @upsampling_ops
func.func @upsampling_ops(%x: tensor<1x4x5xf32>, %w: tensor<4x3x3xf32>) -> tensor<1x3x5xf32> {
  // CHECK: quilt.conv_transpose %arg0, %arg1 {dilations = array<i64: 1>, group = 1 : i64, output_padding = array<i64: 1>, pads = array<i64: 1, 1>, strides = array<i64: 2>}
  %t = quilt.conv_transpose %x, %w {strides = array<i64: 2>, dilations = array<i64: 1>, pads = array<i64: 1, 1>, output_padding = array<i64: 1>, group = 1 : i64} : tensor<1x4x5xf32>, tensor<4x3x3xf32> -> tensor<1x3x10xf32>
  // CHECK: quilt.resize %{{.*}} {coordinate = #quilt<coordinate align_corners>, sampling = #quilt<sampling linear>
  %r = quilt.resize %t {coordinate = #quilt<coordinate align_corners>, sampling = #quilt<sampling linear>, scale_nums = array<i64: 1, 1, 1>, scale_dens = array<i64: 1, 1, 2>} : tensor<1x3x10xf32> -> tensor<1x3x5xf32>
  // CHECK: quilt.slice %{{.*}} {starts = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 2>}
  %s = quilt.slice %r {starts = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 2>} : tensor<1x3x5xf32> -> tensor<1x3x2xf32>
  // CHECK: quilt.pad %{{.*}} {mode = #quilt<boundary edge>
  %p = quilt.pad %s {padding = array<i64: 0, 0, 1, 0, 0, 2>, value = 0.0 : f32, mode = #quilt<boundary edge>} : tensor<1x3x2xf32> -> tensor<1x3x5xf32>
  return %p : tensor<1x3x5xf32>
}

// CHECK-LABEL: func @attention_ops
func.func @attention_ops(%q: tensor<2x7x4xf32>, %k: tensor<2x9x4xf32>, %v: tensor<2x9x3xf32>) -> tensor<2x7x3xf32> {
  // CHECK: quilt.einsum %arg0, %arg1 {equation = "bqd,bkd->bqk"}
  %s = quilt.einsum %q, %k {equation = "bqd,bkd->bqk"} : tensor<2x7x4xf32>, tensor<2x9x4xf32> -> tensor<2x7x9xf32>
  // CHECK: quilt.attention %arg0, %arg1, %arg2
  %y = quilt.attention %q, %k, %v : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x3xf32> -> tensor<2x7x3xf32>
  return %y : tensor<2x7x3xf32>
}

// CHECK-LABEL: func @attention_over_a_grid
func.func @attention_over_a_grid(%q: tensor<2x4x3x8xf32>, %k: tensor<2x5x2x8xf32>, %v: tensor<2x5x2x6xf32>) -> tensor<2x4x3x6xf32> {
  // CHECK: quilt.attention %arg0, %arg1, %arg2 {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x5x2x8xf32>, tensor<2x5x2x6xf32> -> tensor<2x4x3x6xf32>
  %y = quilt.attention %q, %k, %v {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x5x2x8xf32>, tensor<2x5x2x6xf32> -> tensor<2x4x3x6xf32>
  return %y : tensor<2x4x3x6xf32>
}

// CHECK-LABEL: func @attention_with_prefix
func.func @attention_with_prefix(%q: tensor<2x7x4xf32>, %k: tensor<2x9x4xf32>, %v: tensor<2x9x3xf32>, %pk: tensor<2x1x4xf32>, %pv: tensor<2x1x3xf32>) -> tensor<2x7x3xf32> {
  // CHECK: quilt.attention %arg0, %arg1, %arg2 prefix %arg3, %arg4 : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x3xf32>, tensor<2x1x4xf32>, tensor<2x1x3xf32> -> tensor<2x7x3xf32>
  %y = quilt.attention %q, %k, %v prefix %pk, %pv : tensor<2x7x4xf32>, tensor<2x9x4xf32>, tensor<2x9x3xf32>, tensor<2x1x4xf32>, tensor<2x1x3xf32> -> tensor<2x7x3xf32>
  return %y : tensor<2x7x3xf32>
}

// CHECK-LABEL: func @attention_with_bias
func.func @attention_with_bias(%q: tensor<2x4x3x8xf32>, %b: tensor<1x4x3x4x3xf32>) -> tensor<2x4x3x8xf32> {
  // CHECK: quilt.attention %arg0, %arg0, %arg0 bias %arg1 {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32> bias tensor<1x4x3x4x3xf32> -> tensor<2x4x3x8xf32>
  %y = quilt.attention %q, %q, %q bias %b {token_dims = 2 : i64} : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32> bias tensor<1x4x3x4x3xf32> -> tensor<2x4x3x8xf32>
  return %y : tensor<2x4x3x8xf32>
}

// CHECK-LABEL: func @select
func.func @select(%c: tensor<1x6xf32>, %a: tensor<3x6xf32>, %b: tensor<3x1xf32>) -> tensor<3x6xf32> {
  // CHECK: quilt.select %arg0, %arg1, %arg2 : tensor<1x6xf32>, tensor<3x6xf32>, tensor<3x1xf32> -> tensor<3x6xf32>
  %y = quilt.select %c, %a, %b : tensor<1x6xf32>, tensor<3x6xf32>, tensor<3x1xf32> -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

quilt.mesh @comm_mesh ["x" = 2, "y" = 3]

// CHECK-LABEL: func @reblock
func.func @reblock(%x: tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], [[], ["y"], []]>>) -> tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], [[], ["y"], []], granules = [1, 4, 1]>> {
  // CHECK: quilt.reblock %arg0 on @comm_mesh dim 1 : tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], {{\[}}[], ["y"], []]>> -> tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], {{\[}}[], ["y"], []], granules = [1, 4, 1]>>
  %y = quilt.reblock %x on @comm_mesh dim 1 : tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], [[], ["y"], []]>> -> tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], [[], ["y"], []], granules = [1, 4, 1]>>
  return %y : tensor<1x?x16xf32, #quilt.local<@comm_mesh, [1, 16, 16], [[], ["y"], []], granules = [1, 4, 1]>>
}

// CHECK-LABEL: func @reduce_scatter_and_permute
func.func @reduce_scatter_and_permute(%p: tensor<4x6xf32>) -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y"]]>> {
  // CHECK: quilt.collective_permute %arg0 on @comm_mesh axis "x" shift 1 : tensor<4x6xf32>
  %q = quilt.collective_permute %p on @comm_mesh axis "x" shift 1 : tensor<4x6xf32>
  // CHECK: quilt.reduce_scatter %{{.*}} on @comm_mesh axes ["y"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], {{\[}}[], ["y"]]>>
  %s = quilt.reduce_scatter %q on @comm_mesh axes ["y"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y"]]>>
  return %s : tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y"]]>>
}

// Over several axes: nested blocks in the order listed, after the axes that
// split the dim already.
// CHECK-LABEL: func @reduce_scatter_several_axes
func.func @reduce_scatter_several_axes(%p: tensor<4x6xf32>, %h: tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["x"]]>>) -> (tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y", "x"]]>>, tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["x", "y"]]>>) {
  // CHECK: quilt.reduce_scatter %arg0 on @comm_mesh axes ["y", "x"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], {{\[}}[], ["y", "x"]]>>
  %s = quilt.reduce_scatter %p on @comm_mesh axes ["y", "x"] dim 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y", "x"]]>>
  // CHECK: quilt.reduce_scatter %arg1 on @comm_mesh axes ["y"] dim 1
  %t = quilt.reduce_scatter %h on @comm_mesh axes ["y"] dim 1 : tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["x"]]>> -> tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["x", "y"]]>>
  return %s, %t : tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["y", "x"]]>>, tensor<4x?xf32, #quilt.local<@comm_mesh, [4, 6], [[], ["x", "y"]]>>
}
