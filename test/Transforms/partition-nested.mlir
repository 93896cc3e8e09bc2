// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// A dim split over several mesh axes holds nested blocks (major axis first):
// halos run over all of them (the owner order is row-major over the axes), and
// gathering the minor axis leaves the major axis's block.

quilt.mesh @mesh ["x" = 2, "y" = 3]

// CHECK-LABEL: func @nested_tokens
func.func @nested_tokens(%x: tensor<2x13x4xf32> {quilt.name = "input"}, %s: tensor<4xf32>) -> tensor<2x4x13xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"], []]>} : tensor<2x13x4xf32>
  // Elementwise and row-wise ops keep both axes.
  // CHECK: quilt.normalize %arg0, {{.*}} : tensor<2x?x4xf32, #quilt.local<@mesh, [2, 13, 4], {{\[}}[], ["x", "y"], []]>>
  %n = quilt.layer_norm %xa, %s, %s {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x13x4xf32>, tensor<4xf32>, tensor<4xf32>
  %t = quilt.transpose %n {perm = array<i64: 0, 2, 1>} : tensor<2x13x4xf32> -> tensor<2x4x13xf32>
  // A windowed op exchanges its halo over the nested blocks of both axes.
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 {{.*}} : tensor<2x4x?xf32, #quilt.local<@mesh, [2, 4, 13], {{\[}}[], [], ["x", "y"]]>>
  %p = quilt.pad %t {padding = array<i64: 0, 0, 1, 0, 0, 1>, value = 0.0 : f32} : tensor<2x4x13xf32> -> tensor<2x4x15xf32>
  %y = quilt.slice %p {starts = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 1>} : tensor<2x4x15xf32> -> tensor<2x4x13xf32>
  return %y : tensor<2x4x13xf32>
}

// CHECK-LABEL: func @gather_minor_axis
func.func @gather_minor_axis(%x: tensor<2x13xf32> {quilt.name = "input"}) -> tensor<2x13xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"]]>} : tensor<2x13xf32>
  // Only the minor axis is gathered: the major axis's block remains.
  // REMARK: remark: all-gather of dim 1 (split over mesh axis "y")
  // REMARK-NOT: all-gather of dim 1 (split over mesh axis "x")
  // CHECK: quilt.all_gather %{{.*}} on @mesh axis "y" dim 1 : tensor<2x?xf32, #quilt.local<@mesh, [2, 13], {{\[}}[], ["x", "y"]]>> -> tensor<2x?xf32, #quilt.local<@mesh, [2, 13], {{\[}}[], ["x"]]>>
  %ya = quilt.annotate %xa {sharding = #quilt.sharding<@mesh, [[], ["x"]]>} : tensor<2x13xf32>
  return %ya : tensor<2x13xf32>
}

// CHECK-LABEL: func @ring_over_nested_tokens
func.func @ring_over_nested_tokens(%x: tensor<2x13x4xf32> {quilt.name = "input"}) -> tensor<2x13x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"], []]>} : tensor<2x13x4xf32>
  // The ring runs over all six owners of the nested token blocks: nothing is gathered.
  // CHECK-NOT: quilt.all_gather
  // CHECK: quilt.ring_attention %{{.*}}, %{{.*}}, %{{.*}} on @mesh axis "x" : tensor<2x?x4xf32, #quilt.local<@mesh, [2, 13, 4], {{\[}}[], ["x", "y"], []]>>
  %y = quilt.attention %xa, %xa, %xa : tensor<2x13x4xf32>, tensor<2x13x4xf32>, tensor<2x13x4xf32> -> tensor<2x13x4xf32>
  return %y : tensor<2x13x4xf32>
}
