//===- Simulation.h - quiltc --simulate: the predicted step ----*- C++ -*-===//
//
// The cost model's prediction of the partitioned program (PlanCost.h), kept
// past the lowering (which erases the ops it names), printed as text and
// written as JSON (docs/user-guide.md, "Planning").
//
//===----------------------------------------------------------------------===//
#ifndef QUILTC_SIMULATION_H
#define QUILTC_SIMULATION_H

#include "quilt/Analysis/PlanCost.h"
#include "quilt/Planning/PlanSearch.h"

#include "mlir/Pass/Pass.h"

#include <optional>
#include <string>
#include <vector>

namespace quilt {

/// One mesh axis under the placement: the ranks of its groups are `stride`
/// apart, and the innermost level holding a group.
struct AxisPlacement {
  std::string name;
  int64_t size = 1, stride = 1;
  std::string level;
};

struct Simulation {
  const Topology *topology = nullptr;
  std::vector<int64_t> mesh;
  std::vector<std::string> shards;
  std::string description;
  std::vector<AxisPlacement> placement;
  PlanCost cost;
  int64_t weightBytes = 0;
  std::optional<int64_t> arenaBytes;
  /// Evaluate every rank instead of one per rank class (a check).
  bool everyRank = false;
};

/// A pass over the partitioned module that predicts it into `simulation`.
std::unique_ptr<mlir::Pass> createCollectSimulation(Simulation &simulation);

void printSimulation(llvm::raw_ostream &os, const Simulation &simulation);
mlir::LogicalResult writeSimulationJson(const Simulation &simulation, llvm::StringRef path,
                                        std::string &error);

/// `--scaling`: one row per device count (the search's winner at each); in
/// weak scaling, with the main input grown with the devices.
struct ScalingRow {
  int64_t devices = 1;
  PlanCandidate plan;
  std::vector<int64_t> inputShape;
};
/// Strong scaling (the same problem): speedup and efficiency against the
/// first row's devices. Weak scaling (`weak`: the problem per device fixed):
/// efficiency is the first row's time over each row's.
void printScaling(llvm::raw_ostream &os, llvm::ArrayRef<ScalingRow> rows,
                  const Topology &topology, bool weak, llvm::StringRef inputName = "");

} // namespace quilt

#endif // QUILTC_SIMULATION_H
