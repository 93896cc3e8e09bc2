//===- PlanSearch.h - choose the mesh and splits by predicted time -*- C++ -*-===//
//
// `quiltc --mesh=auto --devices=N`: enumerate meshes (ordered factorizations
// of N into up to four axes) and, per mesh axis, the dim of the model's
// main input it splits (batch, channels or a spatial dim; two axes may nest
// on one dim; the mesh's last axis is the fastest-varying, so it is the one
// kept inside a node), screen every candidate with a closed form, then run
// the real pipeline (annotate, propagate, partition, lowering for the arena)
// on the best few and predict each with the one cost model (PlanCost.h). The
// winner is the fastest that fits in device memory; its mesh and --shard
// specs then produce the plan exactly as a user's would.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_PLANNING_PLANSEARCH_H
#define QUILT_PLANNING_PLANSEARCH_H

#include "quilt/Analysis/PlanCost.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace quilt {

/// The passes quiltc runs, as options (one place for quiltc and the search).
struct PipelineOptions {
  std::vector<int64_t> mesh{1};
  std::vector<std::string> shards;
  std::string attention = "ring";
  bool shrinkSpectralTransposes = true;
  bool keepTokenGrid = true;
  /// quilt-split-extra-tokens before quilt-keep-token-grid.
  bool splitExtraTokens = true;
  /// quilt-share-halos after the partitioner.
  bool shareHalos = true;
  bool explainSharding = false;
  /// quilt-replicate-narrow-blocks: replicate spatial blocks narrower than
  /// this (0: off).
  int64_t replicateBelow = 0;
  /// quilt-choose-collective-algorithms after the partitioner, on this
  /// topology (NAME or PATH; empty: collectives record no algorithm and run
  /// the communicator's library), with `libraryCollectivesOnly` for a
  /// communicator that runs only its library's collectives.
  std::string collectiveTopology;
  /// That topology already loaded (quiltc's): the pass reads it rather than
  /// the file again. Unset: the pass loads `collectiveTopology`.
  std::shared_ptr<const Topology> collectiveMachine;
  bool libraryCollectivesOnly = false;
  /// KIND=ALGORITHM preferences over the cost model's choice (the pass's
  /// `prefer`, quiltc's --collective-algorithm).
  std::vector<std::string> collectivePreferences;
};

/// Fusions and rewrites that do not depend on the mesh (run once).
void addPreparePasses(mlir::PassManager &pm, const PipelineOptions &options);
/// Annotate, propagate (the plan), and the partitioner.
void addPlanPasses(mlir::PassManager &pm, const PipelineOptions &options);
/// The partitioner, halo sharing and each collective's algorithm.
void addPartitionPass(mlir::PassManager &pm, const PipelineOptions &options);

/// One mesh and split of the main input, and what it is predicted to cost.
struct PlanCandidate {
  std::vector<int64_t> mesh;
  /// The --shard list items that produce it ("input:2=0", "3=1@p0"); joined
  /// by commas, one --shard flag.
  std::vector<std::string> shards;
  std::string shardFlag() const;
  /// "H over x (2), W over y (2)".
  std::string description;
  /// Spatial blocks narrower than this are computed whole (0: never).
  int64_t replicateBelow = 0;
  /// The closed-form screen's estimate, microseconds.
  double screenUs = 0;
  /// Evaluated candidates: the cost model's prediction, the peak arena and
  /// the weights per rank; `error` when the pipeline rejected the plan.
  std::optional<PlanCost> cost;
  int64_t arenaBytes = 0, weightBytes = 0;
  bool fits = true;
  std::string error;

  int64_t memoryBytes() const { return arenaBytes + weightBytes; }
  std::string meshString() const;
  /// The quiltc flags that compile it: --mesh, --shard, --replicate-below.
  std::string flags() const;
};

struct PlanSearchOptions {
  int64_t devices = 1;
  const Topology *topology = nullptr;
  /// How many screened candidates run the real pipeline.
  size_t evaluate = 10;
  /// Halo exchange versus gather, per resolution level: each evaluated
  /// candidate is also tried with blocks narrower than each of these
  /// replicated (ascending; each gathers at one more level of a U-Net that
  /// halves its field per level), and the cheapest variant that changes the
  /// plan is ranked with the rest. Empty: not tried.
  std::vector<int64_t> replicateThresholds{4, 8, 16, 32};
  PipelineOptions pipeline;
};

/// The ranked candidates: evaluated ones first, fastest first (those that do
/// not fit in memory after those that do), then the rest by screen. `prepared`
/// has run addPreparePasses; it is cloned, never changed. Fails with one
/// line in `error` when no candidate compiles.
mlir::FailureOr<std::vector<PlanCandidate>> searchPlans(mlir::ModuleOp prepared,
                                                        const PlanSearchOptions &options,
                                                        std::string &error);

/// Runs the plan and partition passes (and the runtime lowering, for the
/// arena) of `options` on a clone of `prepared` and predicts it.
mlir::LogicalResult evaluateCandidate(mlir::ModuleOp prepared, const PipelineOptions &options,
                                      const Topology &topology, PlanCandidate &candidate);

/// The input the search splits: the model input with the most elements
/// (static shape, named). Its name and type, or nullopt.
std::optional<std::pair<std::string, mlir::RankedTensorType>> mainInputOf(mlir::ModuleOp module);

/// Bytes of the program's weights (its constants), which every rank holds.
int64_t weightBytesOf(mlir::ModuleOp module);

/// Microseconds as milliseconds with three decimals, as the tables print them.
std::string formatMs(double us);

/// `--explain-plan`: the ranked table and why the winner beat the runner-up.
void printPlanExplanation(llvm::raw_ostream &os, llvm::ArrayRef<PlanCandidate> ranked,
                          const Topology &topology, int64_t devices);

} // namespace quilt

#endif // QUILT_PLANNING_PLANSEARCH_H
