// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>/dev/null | FileCheck %s
// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// A dim split over several mesh axes holds nested blocks (major axis first);
// gathering the minor axis leaves the major axis's block.

quilt.mesh @mesh ["x" = 2, "y" = 3]

// CHECK-LABEL: func @nested_tokens
func.func @nested_tokens(%x: tensor<2x13x4xf32> {quilt.name = "input"}, %s: tensor<4xf32>) -> tensor<2x4x13xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x", "y"], []]>} : tensor<2x13x4xf32>
  // Elementwise and row-wise ops keep both axes.
  // CHECK: quilt.normalize %arg0, {{.*}} : tensor<2x?x4xf32, #quilt.local<@mesh, [2, 13, 4], {{\[}}[], ["x", "y"], []]>>
  %n = quilt.layer_norm %xa, %s, %s {axis = 2 : i64, epsilon = 1.0e-5 : f32} : tensor<2x13x4xf32>, tensor<4xf32>, tensor<4xf32>
  %t = quilt.transpose %n {perm = array<i64: 0, 2, 1>} : tensor<2x13x4xf32> -> tensor<2x4x13xf32>
  // A windowed op keeps only the major axis: "y" is gathered, "x" exchanges the halo.
  // REMARK: remark: all-gather of dim 2 (split over mesh axis "y") before quilt.pad: a halo is exchanged along one mesh axis
  // CHECK: quilt.all_gather %{{.*}} on @mesh axis "y" dim 2 : tensor<2x4x?xf32, #quilt.local<@mesh, [2, 4, 13], {{\[}}[], [], ["x", "y"]]>> -> tensor<2x4x?xf32, #quilt.local<@mesh, [2, 4, 13], {{\[}}[], [], ["x"]]>>
  // CHECK: quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2
  %p = quilt.pad %t {padding = array<i64: 0, 0, 1, 0, 0, 1>, value = 0.0 : f32} : tensor<2x4x13xf32> -> tensor<2x4x15xf32>
  %y = quilt.slice %p {starts = array<i64: 0, 0, 1>, steps = array<i64: 1, 1, 1>} : tensor<2x4x15xf32> -> tensor<2x4x13xf32>
  return %y : tensor<2x4x13xf32>
}
