// RUN: quilt-opt %s --split-input-file --verify-diagnostics --quilt-partition

// Plans that do not fit the op's rule or the mesh: one error, on the op.
quilt.mesh @mesh ["x" = 2]
func.func @too_few_factors(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{quilt.factor_axes lists 2 factors; the op's sharding rule has 7}}
  %y = quilt.conv %x, %w {group = 1 : i64, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                          pads = array<i64: 1, 1, 1, 1>, quilt.factor_axes = [[], []]}
      : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @not_axes(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{quilt.factor_axes must list, per factor, its mesh axes}}
  %y = quilt.relu %x {quilt.factor_axes = [[], [1], [], []]} : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @bad_granules(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{quilt.factor_granules must be one positive granule per factor}}
  %y = quilt.relu %x {quilt.factor_axes = [[], [], [], []], quilt.factor_granules = array<i64: 1, 0, 1, 1>} : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @no_rule(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{quilt.factor_axes on an op without a sharding rule}}
  %y = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"], []]>, quilt.factor_axes = []} : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @unknown_axis(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{quilt.factor_axes[2] names "y", which is not an axis of mesh @mesh}}
  %y = quilt.relu %x {quilt.factor_axes = [[], [], ["y"], []]} : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 2]
func.func @axis_twice(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{quilt.factor_axes uses mesh axis "x" for two factors}}
  %y = quilt.relu %x {quilt.factor_axes = [[], [], ["x"], ["x"]]} : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @split_whole(%x: tensor<1x6x10x2xf32>) -> tensor<1x6x10x2xf32> {
  // expected-error @+1 {{quilt.factor_axes[2] splits a factor the op needs whole}}
  %y = quilt.dft %x {axis = 2 : i64, quilt.factor_axes = [[], [], ["x"], [], [], []]} : tensor<1x6x10x2xf32> -> tensor<1x6x10x2xf32>
  return %y : tensor<1x6x10x2xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @no_plan(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  // expected-error @+1 {{has no plan: no quilt.factor_axes (run quilt-propagate-sharding, or write the plan by hand)}}
  %y = quilt.relu %x : tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @bad_move(%x: tensor<1x6x10x2xf32>) -> tensor<1x6x10x2xf32> {
  // expected-error @+1 {{quilt.axis_move must be {axes = [mesh axes], from = dim, to = other dim}}}
  %y = quilt.dft %x {axis = 2 : i64, quilt.axis_move = {axes = ["x"], from = 2 : i64, to = 2 : i64},
                     quilt.factor_axes = [[], [], [], [], [], []]} : tensor<1x6x10x2xf32> -> tensor<1x6x10x2xf32>
  return %y : tensor<1x6x10x2xf32>
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @bad_attention_algorithm(%q: tensor<1x8x4xf32>) -> tensor<1x8x4xf32> {
  // expected-error @+1 {{quilt.attention_algorithm is "ring" or "all-gather", on a quilt.attention}}
  %y = quilt.attention %q, %q, %q {quilt.attention_algorithm = "tree"} : tensor<1x8x4xf32>, tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x4xf32>
  return %y : tensor<1x8x4xf32>
}
