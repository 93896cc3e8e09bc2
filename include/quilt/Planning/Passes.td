//===- Passes.td - passes that consult the cost model ------*- tablegen -*-===//
#ifndef QUILT_PLANNING_PASSES
#define QUILT_PLANNING_PASSES

include "mlir/Pass/PassBase.td"

def QuiltChooseCollectiveAlgorithms
    : Pass<"quilt-choose-collective-algorithms", "mlir::ModuleOp"> {
  let summary = "Record on every collective the algorithm the cost model times cheapest";
  let description = [{
    On the partitioned program, predicts every `quilt.all_reduce`,
    `quilt.all_gather`, `quilt.reduce_scatter` and `quilt.all_to_all` with
    the plan cost model (the machine of `topology`, the group's network
    level under the placement, the exact bytes) and records the cheapest
    algorithm the communicator runs as its `algorithm` attribute, which the
    runtime then follows. The MPI communicator runs Quilt's own schedules
    (`ring`, `recursive-doubling`, `rabenseifner`, `bruck`,
    `recursive-halving`, `pairwise`, each timed by its alpha-beta formula)
    and MPI's own collective (`library`), which competes only where the
    topology holds a measured curve for that kind and group size. With
    `library-only` (the NCCL communicator, which leaves the choice to NCCL's
    tuner) every collective records `library`. A collective that already
    records an algorithm (a hand-written plan) keeps it; one whose group is a
    single rank records `library` (nothing moves).
  }];
  let options = [
    Option<"topology", "topology", "std::string", "\"devbox-2core\"",
           "The machine: NAME of a file in topologies/ or a PATH">,
    Option<"libraryOnly", "library-only", "bool", "false",
           "The communicator runs only its library's collectives (NCCL)">,
  ];
}

#endif // QUILT_PLANNING_PASSES
