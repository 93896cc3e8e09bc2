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
    `recursive-halving`, `pairwise`), each timed by the curve
    `quilt-calibrate` measured for it on the machine (the topology's
    `measured_collectives` for that kind, algorithm and group size) or,
    where none of them was measured, by its alpha-beta formula; and MPI's
    own collective (`library`), which competes only where the topology holds
    a measured curve for it. With
    `library-only` (the NCCL communicator, which leaves the choice to NCCL's
    tuner) every collective records `library`. With `prefer`
    (`KIND=ALGORITHM` entries, quiltc's `--collective-algorithm`) every
    collective of a kind named there records that algorithm instead of the
    cost model's choice; one it does not serve (recursive halving over 3
    ranks, anything but `library` with `library-only`) is an error naming
    the op. A collective that already records an algorithm (a hand-written
    plan) keeps it; one whose group is a single rank records `library`
    (nothing moves) unless a preference names its kind.
  }];
  let options = [
    Option<"topology", "topology", "std::string", "\"devbox-2core\"",
           "The machine: NAME of a file in topologies/ or a PATH">,
    Option<"libraryOnly", "library-only", "bool", "false",
           "The communicator runs only its library's collectives (NCCL)">,
    ListOption<"prefer", "prefer", "std::string",
               "KIND=ALGORITHM: record ALGORITHM on every collective of KIND "
               "(all_reduce, all_gather, reduce_scatter, all_to_all) instead of "
               "the cost model's choice">,
  ];
}

#endif // QUILT_PLANNING_PASSES
