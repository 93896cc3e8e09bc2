// RUN: quilt-opt %s --quilt-annotate-inputs="mesh-shape=2,3" --quilt-propagate-sharding --quilt-partition | FileCheck %s
// A 2x3 mesh splits H over x and W over y: one halo exchange per split dim, in
// sequence, so the second one also carries the corners.

// CHECK: quilt.mesh @mesh ["x" = 2, "y" = 3]
// CHECK-LABEL: func @conv2d
// CHECK-SAME: tensor<1x2x?x?xf32, #quilt.local<@mesh, [1, 2, 9, 7], {{\[}}[], [], ["x"], ["y"]]>>
func.func @conv2d(%x: tensor<1x2x9x7xf32> {quilt.name = "input"}) -> tensor<1x1x1x1xf32> {
  %w = quilt.constant dense<1.0> : tensor<3x2x3x3xf32>
  // CHECK: %[[H:.*]] = quilt.halo_exchange %{{.*}} on @mesh axis "x" dim 2 {{.*}} global = 9 -> global_out = 9
  // CHECK: %[[W:.*]] = quilt.halo_exchange %[[H]] on @mesh axis "y" dim 3 {{.*}} global = 7 -> global_out = 7
  // CHECK-SAME: halos = [#quilt.halo<dim = 2, {{.*}}>, #quilt.halo<dim = 3, {{.*}}>]
  // CHECK: quilt.conv %[[W]], {{.*}}pads = array<i64: 1, 1, 1, 1>
  %c = quilt.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : tensor<1x2x9x7xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x9x7xf32>
  // Reducing both split dims leaves a sum owed over both axes.
  // CHECK: %[[S:.*]] = quilt.reduce_sum
  // CHECK: quilt.all_reduce %[[S]] on @mesh axes ["x", "y"] kind = sum
  %s = quilt.reduce_sum %c dims [1, 2, 3] : tensor<1x3x9x7xf32> -> tensor<1x1x1x1xf32>
  return %s : tensor<1x1x1x1xf32>
}
