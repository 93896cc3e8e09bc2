// RUN: quilt-opt %s --quilt-propagate-sharding --quilt-partition 2>&1 | FileCheck %s --check-prefix=RING
// The algorithm is part of the plan: propagation records it, the partitioner follows it.
// RUN: quilt-opt %s --quilt-propagate-sharding="attention=all-gather" 2>/dev/null | FileCheck %s --check-prefix=PLAN
// RUN: quilt-opt %s --quilt-propagate-sharding="attention=all-gather" --quilt-partition 2>/dev/null | FileCheck %s --check-prefix=GATHER
// RUN: quilt-opt %s --quilt-propagate-sharding="attention=all-gather" --quilt-partition 2>&1 >/dev/null | FileCheck %s --check-prefix=GREMARK
// RUN: not quilt-opt %s --quilt-propagate-sharding --quilt-partition="attention=tree" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not quilt-opt %s --quilt-propagate-sharding="attention=tree" 2>&1 | FileCheck %s --check-prefix=BADPLAN

// PLAN: quilt.attention {{.*}}quilt.attention_algorithm = "all-gather"
// BADPLAN: quilt-propagate-sharding: attention='tree' is neither ring nor all-gather

quilt.mesh @mesh ["x" = 3]

// BAD: attention='tree' is neither ring nor all-gather

// RING-NOT: remark
// RING-LABEL: func @split_tokens
// GATHER-LABEL: func @split_tokens
func.func @split_tokens(%x: tensor<2x10x4xf32> {quilt.name = "input"}, %wv: tensor<4x3xf32>) -> tensor<2x10x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  %v = quilt.einsum %xa, %wv {equation = "btd,de->bte"} : tensor<2x10x4xf32>, tensor<4x3xf32> -> tensor<2x10x3xf32>
  // Queries, keys and values all keep their token split; blocks circulate.
  // RING: quilt.ring_attention %{{.*}}, %{{.*}}, %{{.*}} on @mesh axis "x" : tensor<2x?x4xf32, {{.*}}>, tensor<2x?x4xf32, {{.*}}>, tensor<2x?x3xf32, {{.*}}> -> tensor<2x?x3xf32, #quilt.local<@mesh, [2, 10, 3], {{\[}}[], ["x"], []]>>
  // GREMARK: remark: all-gather of dim 1 (split over mesh axis "x") before quilt.attention: attention=all-gather gathers keys and values
  // GATHER: quilt.all_gather
  // GATHER: quilt.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x?x4xf32, {{.*}}>, tensor<2x10x4xf32>, tensor<2x10x3xf32> -> tensor<2x?x3xf32
  %y = quilt.attention %xa, %xa, %v : tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x10x3xf32> -> tensor<2x10x3xf32>
  return %y : tensor<2x10x3xf32>
}

// A class token's keys and values as a prefix: replicated on every rank,
// merged once before the ring over the split patch tokens; the class query
// (replicated) attends to every block too, so its result is whole.
// RING-LABEL: func @prefix_keys
func.func @prefix_keys(%x: tensor<2x10x4xf32> {quilt.name = "input"}, %c: tensor<2x1x4xf32>) -> (tensor<2x10x4xf32>, tensor<2x1x4xf32>) {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  // RING: quilt.ring_attention %{{.*}}, %{{.*}}, %{{.*}} prefix %arg1, %arg1 on @mesh axis "x" : tensor<2x?x4xf32, {{.*}}>, tensor<2x?x4xf32, {{.*}}>, tensor<2x?x4xf32, {{.*}}>, tensor<2x1x4xf32>, tensor<2x1x4xf32> -> tensor<2x?x4xf32, #quilt.local<@mesh, [2, 10, 4], {{\[}}[], ["x"], []]>>
  // RING: quilt.ring_attention %arg1, %{{.*}}, %{{.*}} prefix %arg1, %arg1 on @mesh axis "x" : tensor<2x1x4xf32>, {{.*}} -> tensor<2x1x4xf32>
  %y = quilt.attention %xa, %xa, %xa prefix %c, %c : tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32> -> tensor<2x10x4xf32>
  %z = quilt.attention %c, %xa, %xa prefix %c, %c : tensor<2x1x4xf32>, tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32> -> tensor<2x1x4xf32>
  return %y, %z : tensor<2x10x4xf32>, tensor<2x1x4xf32>
}

// RING-LABEL: func @split_contraction
func.func @split_contraction(%x: tensor<2x10x4xf32> {quilt.name = "input"}, %w: tensor<4x3xf32>) -> tensor<2x10x3xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], [], ["x"]]>} : tensor<2x10x4xf32>
  // A split contracted letter: partial sums and one all-reduce.
  // RING: %[[P:.*]] = quilt.einsum
  // RING: quilt.all_reduce %[[P]] on @mesh axes ["x"] kind = sum
  %y = quilt.einsum %xa, %w {equation = "btd,de->bte"} : tensor<2x10x4xf32>, tensor<4x3xf32> -> tensor<2x10x3xf32>
  return %y : tensor<2x10x3xf32>
}

// A relative position bias [1, Tq, Tk]: sliced as the queries (rows), whole
// along the keys; the ring adds each block's columns. Gathered keys read it
// the same way.
// RING-LABEL: func @relative_bias
// GATHER-LABEL: func @relative_bias
func.func @relative_bias(%x: tensor<2x10x4xf32> {quilt.name = "input"}, %bias: tensor<1x10x10xf32>) -> tensor<2x10x4xf32> {
  %xa = quilt.annotate %x {sharding = #quilt.sharding<@mesh, [[], ["x"], []]>} : tensor<2x10x4xf32>
  // RING: %[[B:.*]] = quilt.shard_slice %arg1 on @mesh axis "x" dim 1 : tensor<1x10x10xf32> -> tensor<1x?x10xf32, #quilt.local<@mesh, [1, 10, 10], {{\[}}[], ["x"], []]>>
  // RING: quilt.ring_attention %arg0, %arg0, %arg0 bias %[[B]] on @mesh axis "x" : {{.*}} bias tensor<1x?x10xf32, {{.*}}> -> tensor<2x?x4xf32, {{.*}}>
  // GATHER: %[[B:.*]] = quilt.shard_slice %arg1 on @mesh axis "x" dim 1
  // GATHER: quilt.attention %arg0, %{{.*}}, %{{.*}} bias %[[B]] : {{.*}}, tensor<2x10x4xf32>, tensor<2x10x4xf32> bias tensor<1x?x10xf32, {{.*}}>
  %y = quilt.attention %xa, %xa, %xa bias %bias : tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x10x4xf32> bias tensor<1x10x10xf32> -> tensor<2x10x4xf32>
  return %y : tensor<2x10x4xf32>
}
