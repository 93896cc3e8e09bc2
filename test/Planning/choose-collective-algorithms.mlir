// RUN: quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast" | FileCheck %s
// RUN: quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast library-only=true" | FileCheck %s --check-prefix=NCCL
// RUN: quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast" --quilt-lower-to-runtime --mlir-print-elementsattrs-with-hex-if-larger=-1 | FileCheck %s --check-prefix=ABI
// RUN: not quilt-opt %s --quilt-choose-collective-algorithms="topology=no-such-machine" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast prefer=all_reduce=library,reduce_scatter=ring" | FileCheck %s --check-prefix=PREFER
// RUN: not quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast prefer=all_reduce=tree" 2>&1 | FileCheck %s --check-prefix=PREFER-BAD
// RUN: not quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast prefer=all_reduce=ring,all_reduce=library" 2>&1 | FileCheck %s --check-prefix=PREFER-TWICE
// RUN: not quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast library-only=true prefer=all_gather=bruck" 2>&1 | FileCheck %s --check-prefix=PREFER-NCCL
// RUN: not quilt-opt %s --quilt-choose-collective-algorithms="topology=toy-flat-fast prefer=all_gather=rabenseifner" 2>&1 | FileCheck %s --check-prefix=PREFER-UNSERVED
// Each collective records the algorithm the cost model times cheapest on an
// 8-rank flat machine (alpha 1 us, 100 GB/s); the runtime runs it.

quilt.mesh @mesh ["x" = 8]
func.func @main(%small: tensor<4xf32> {quilt.name = "small"}, %large: tensor<4194304xf32> {quilt.name = "large"},
                %split: tensor<16x?xf32, #quilt.local<@mesh, [16, 64], [[], ["x"]]>> {quilt.name = "split"})
    -> (tensor<4xf32>, tensor<4194304xf32>, tensor<4194304xf32>, tensor<16x64xf32>, tensor<?x64xf32, #quilt.local<@mesh, [16, 64], [["x"], []]>>, tensor<?xf32, #quilt.local<@mesh, [4194304], [["x"]]>>) {
  // 16 bytes: latency-bound. Ring 14 alpha, Rabenseifner 6, recursive
  // doubling 3 (lg 8 exchanges of the whole buffer).
  // CHECK: quilt.all_reduce %{{.*}} kind = sum {algorithm = "recursive-doubling"}
  // NCCL: quilt.all_reduce %{{.*}} kind = sum {algorithm = "library"}
  %a = quilt.all_reduce %small on @mesh axes ["x"] kind = sum : tensor<4xf32>
  // 16 MiB: bandwidth-bound. Recursive doubling 3 (1 + 167.8) = 506 us,
  // ring 14 + 293.6, Rabenseifner 6 + 293.6 us.
  // CHECK: quilt.all_reduce %{{.*}} kind = max {algorithm = "rabenseifner"}
  %b = quilt.all_reduce %large on @mesh axes ["x"] kind = max : tensor<4194304xf32>
  // A hand-written choice stays.
  // CHECK: quilt.all_reduce %{{.*}} kind = sum {algorithm = "ring"}
  // NCCL: quilt.all_reduce %{{.*}} kind = sum {algorithm = "ring"}
  %c = quilt.all_reduce %large on @mesh axes ["x"] kind = sum {algorithm = "ring"} : tensor<4194304xf32>
  // 4 KiB gathered: Bruck's 3 steps beat the ring's 7.
  // CHECK: quilt.all_gather %{{.*}} {algorithm = "bruck"}
  // NCCL: quilt.all_gather %{{.*}} {algorithm = "library"}
  %d = quilt.all_gather %split on @mesh axis "x" dim 1 : tensor<16x?xf32, #quilt.local<@mesh, [16, 64], [[], ["x"]]>> -> tensor<16x64xf32>
  // The only all-to-all schedule the runtime has: pairwise.
  // CHECK: quilt.all_to_all %{{.*}} {algorithm = "pairwise"}
  %e = quilt.all_to_all %split on @mesh axes ["x"] dim 1 to 0 : tensor<16x?xf32, #quilt.local<@mesh, [16, 64], [[], ["x"]]>> -> tensor<?x64xf32, #quilt.local<@mesh, [16, 64], [["x"], []]>>
  // Recursive halving: lg 8 steps where the ring takes 7.
  // CHECK: quilt.reduce_scatter %{{.*}} {algorithm = "recursive-halving"}
  %f = quilt.reduce_scatter %large on @mesh axes ["x"] dim 0 : tensor<4194304xf32> -> tensor<?xf32, #quilt.local<@mesh, [4194304], [["x"]]>>
  return %a, %b, %c, %d, %e, %f : tensor<4xf32>, tensor<4194304xf32>, tensor<4194304xf32>, tensor<16x64xf32>, tensor<?x64xf32, #quilt.local<@mesh, [16, 64], [["x"], []]>>, tensor<?xf32, #quilt.local<@mesh, [4194304], [["x"]]>>
}

// `prefer` overrides the cost model for a kind, except where the plan
// already records an algorithm (%c keeps its ring); the other kinds keep the
// cost model's pick.
// PREFER: quilt.all_reduce %{{.*}} kind = sum {algorithm = "library"}
// PREFER: quilt.all_reduce %{{.*}} kind = max {algorithm = "library"}
// PREFER: quilt.all_reduce %{{.*}} kind = sum {algorithm = "ring"}
// PREFER: quilt.all_gather %{{.*}} {algorithm = "bruck"}
// PREFER: quilt.reduce_scatter %{{.*}} {algorithm = "ring"}
// PREFER-BAD: error: quilt-choose-collective-algorithms: prefer 'all_reduce=tree' is not KIND=ALGORITHM
// PREFER-TWICE: error: quilt-choose-collective-algorithms: prefer 'all_reduce=ring' and 'all_reduce=library' name the same kind
// PREFER-NCCL: error: quilt-choose-collective-algorithms: prefer 'all_gather=bruck': this communicator runs only its library's collectives (NCCL)
// PREFER-UNSERVED: error: quilt-choose-collective-algorithms: prefer 'all_gather=rabenseifner': rabenseifner does not run all_gather over 8 ranks

// The lowering passes each algorithm's number (collective_algorithms.h) as
// the call's last attribute word: recursive doubling 2, Rabenseifner 3, ring
// 1, Bruck 4, pairwise 6, recursive halving 5.
// ABI-DAG: dense<[2, 1, 4, {{.*}}, 0, 1, 0, 2]>
// ABI-DAG: dense<[2, 1, 4194304, {{.*}}, 2, 1, 0, 3]>
// ABI-DAG: dense<[2, 1, 4194304, {{.*}}, 0, 1, 0, 1]>
// ABI-DAG: dense<[2, 2, 16, {{.*}}, 1, 0, 4]>
// ABI-DAG: dense<[2, 2, 16, {{.*}}, 1, 0, 1, 0, 6]>
// ABI-DAG: dense<[2, 1, 4194304, {{.*}}, 0, 1, 0, 5]>

// BAD: error: quilt-choose-collective-algorithms: {{.*}}no-such-machine
