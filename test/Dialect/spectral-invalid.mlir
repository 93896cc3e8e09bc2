// RUN: quilt-opt %s -split-input-file -verify-diagnostics
// One-line errors of quilt.dft and quilt.all_to_all.

func.func @trailing_dim(%x: tensor<4x3xf32>) {
  // expected-error @+1 {{input needs a trailing dim of 1 (real) or 2 (complex), got 3}}
  %y = quilt.dft %x {axis = 0 : i64} : tensor<4x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @axis_is_complex_dim(%x: tensor<4x2xf32>) {
  // expected-error @+1 {{axis 1 must be a signal dim in [0, 1)}}
  %y = quilt.dft %x {axis = 1 : i64} : tensor<4x2xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @onesided_complex(%x: tensor<4x2xf32>) {
  // expected-error @+1 {{onesided needs a real input and a forward transform}}
  %y = quilt.dft %x {axis = 0 : i64, onesided = true} : tensor<4x2xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @onesided_inverse(%x: tensor<4x1xf32>) {
  // expected-error @+1 {{onesided needs a real input and a forward transform}}
  %y = quilt.dft %x {axis = 0 : i64, onesided = true, inverse = true} : tensor<4x1xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @onesided_extent(%x: tensor<6x1xf32>) {
  // expected-error @+1 {{result dim 0 must be 4, got 6}}
  %y = quilt.dft %x {axis = 0 : i64, onesided = true} : tensor<6x1xf32> -> tensor<6x2xf32>
  return
}

// -----

func.func @real_result(%x: tensor<6x2xf32>) {
  // expected-error @+1 {{result needs a trailing dim of 2 (complex), got 1}}
  %y = quilt.dft %x {axis = 0 : i64, inverse = true} : tensor<6x2xf32> -> tensor<6x1xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @split_axis(%x: tensor<?x2xf32, #quilt.local<@mesh, [6, 2], [["x"], []]>>) {
  // expected-error @+1 {{axis 0 must be whole on every rank, but it is split}}
  %y = quilt.dft %x {axis = 0 : i64} : tensor<?x2xf32, #quilt.local<@mesh, [6, 2], [["x"], []]>> -> tensor<?x2xf32, #quilt.local<@mesh, [6, 2], [["x"], []]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @same_dim(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{to 1 must be a dim of rank 2 other than dim 1}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 1 to 1 : tensor<4x6xf32> -> tensor<4x6xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @unknown_axis(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{mesh @mesh has no axis "y"}}
  %y = quilt.all_to_all %x on @mesh axes ["y"] dim 0 to 1 : tensor<4x6xf32> -> tensor<4x6xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @other_dim_changes(%x: tensor<4x6x3xf32>) {
  // expected-error @+1 {{only dims 0 and 1 may change extent}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 0 to 1 : tensor<4x6x3xf32> -> tensor<4x6x5xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 2]
func.func @wrong_result_split(%x: tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x"], []]>>) {
  // expected-error @+1 {{the result must split dim 1 like the input, then over the moving axes ["x"]}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 0 to 1 : tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x"], []]>> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["y"]]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @input_not_split(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{the input must split dim 0 like the result, then over the moving axes ["x"]}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 0 to 1 : tensor<4x6xf32> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x"]]>>
  return
}

// -----

// Only the minor-most axes of a dim can move: "x" is major to "y" on dim 0.
quilt.mesh @mesh ["x" = 2, "y" = 3]
func.func @major_axis_moves(%x: tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x", "y"], []]>>) {
  // expected-error @+1 {{the input must split dim 0 like the result, then over the moving axes ["x"]}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 0 to 1 : tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x", "y"], []]>> -> tensor<?x?xf32, #quilt.local<@mesh, [4, 6], [["y"], ["x"]]>>
  return
}

// -----

// The moving axes land after the target's own axes, not before them.
quilt.mesh @mesh ["x" = 2, "y" = 3]
func.func @moving_axes_land_major(%x: tensor<?x?xf32, #quilt.local<@mesh, [4, 6], [["x"], ["y"]]>>) {
  // expected-error @+1 {{the result must split dim 1 like the input, then over the moving axes ["x"]}}
  %y = quilt.all_to_all %x on @mesh axes ["x"] dim 0 to 1 : tensor<?x?xf32, #quilt.local<@mesh, [4, 6], [["x"], ["y"]]>> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x", "y"]]>>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 3]
func.func @axis_twice(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{lists mesh axis "x" twice}}
  %y = quilt.all_to_all %x on @mesh axes ["x", "x"] dim 0 to 1 : tensor<4x6xf32> -> tensor<4x6xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2]
func.func @no_axes(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{needs at least one mesh axis}}
  %y = quilt.all_to_all %x on @mesh axes [] dim 0 to 1 : tensor<4x6xf32> -> tensor<4x6xf32>
  return
}

// -----

quilt.mesh @mesh ["x" = 2, "y" = 2]
func.func @haloed_input(%x: tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x", "y"], []], halos = [#quilt.halo<dim = 0, window = <stride = 1, dilation = 1, kernel = 3, pad_lo = 1>, global_out = 4, boundary = zero>]>>) {
  // expected-error @+1 {{dims 0 and 1 must be plain blocks (no halo, no granules)}}
  %y = quilt.all_to_all %x on @mesh axes ["x", "y"] dim 0 to 1 : tensor<?x6xf32, #quilt.local<@mesh, [4, 6], [["x", "y"], []], halos = [#quilt.halo<dim = 0, window = <stride = 1, dilation = 1, kernel = 3, pad_lo = 1>, global_out = 4, boundary = zero>]>> -> tensor<4x?xf32, #quilt.local<@mesh, [4, 6], [[], ["x", "y"]]>>
  return
}
