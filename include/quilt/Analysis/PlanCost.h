//===- PlanCost.h - predicted time of a partitioned program -----*- C++ -*-===//
//
// The one cost model (docs/user-guide.md, "Planning"). The time of a plan is
// the sum over the partitioned program's ops of the slowest rank's time in
// that op (bulk-synchronous: every op waits for its slowest rank):
//  * compute: a roofline of the op's FLOPs and bytes on that rank's exact
//    local extents (ComputeCost.h), at the efficiency the topology gives its
//    class, plus the launch cost; uneven blocks show up as imbalance;
//  * communication: the exact bytes and messages the runtime sends
//    (CommunicationCost.h, what `--report` checks against the executable),
//    over the network level the messages cross under the placement (device d
//    is rank d: the mesh's last axis varies fastest, so it stays inside a
//    node), with the NICs of a node shared by the ranks sending off it at
//    once, pack and unpack of halo slabs, and per collective the cheapest
//    algorithm by alpha-beta (CostFormulas.h), or the topology's measured
//    curve where it was calibrated.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_ANALYSIS_PLANCOST_H
#define QUILT_ANALYSIS_PLANCOST_H

#include "quilt/Analysis/CommunicationCost.h"
#include "quilt/Analysis/Topology.h"
#include "quilt/collective_algorithms.h"

#include <optional>
#include <string>
#include <vector>

namespace quilt {

/// Which term an op's time counts to.
enum class CostPhase { Compute, Halo, Collective };
const char *stringifyCostPhase(CostPhase phase);

/// The predicted time of one op of the partitioned program.
struct OpCost {
  mlir::Operation *op = nullptr;
  /// The op's name without `quilt.`, and its ONNX node ("" if none).
  std::string kind, node;
  CostPhase phase = CostPhase::Compute;
  /// Compute ops: their class; communication: the algorithm, as the op
  /// records it or the model picks it ("ring", "recursive-doubling", the
  /// library's "library: measured" or "library: two-level", a halo's
  /// "point-to-point", ...).
  std::string opClass, algorithm;
  /// Collectives that carry an algorithm (quilt.all_reduce, ...): the one
  /// timed, which quilt-choose-collective-algorithms records; none where
  /// nothing moves.
  std::optional<CollectiveAlgorithm> collectiveAlgorithm;
  /// The network level the slowest rank's messages cross ("" for compute).
  std::string level;
  /// The slowest rank and its time (compute plus communication).
  int64_t criticalRank = 0;
  double us = 0, computeUs = 0, commUs = 0;
  /// On the slowest rank.
  double flops = 0;
  uint64_t bytesSent = 0, messages = 0;
  /// The op's first result: its global shape and, per dim, the mesh axes
  /// splitting it (empty when the op has no tensor result).
  std::vector<int64_t> resultShape;
  std::vector<std::vector<std::string>> resultSplit;
};

/// The predicted time of a whole plan.
struct PlanCost {
  std::vector<OpCost> ops;
  /// Sums over ops of the slowest rank's time, split by phase (an op with
  /// compute and communication, a ring attention, splits its critical
  /// rank's time between them).
  double totalUs = 0, computeUs = 0, haloUs = 0, collectiveUs = 0;
  int64_t ranks = 1;
  /// Ranks sharing one node; more than its cores: oversubscribed.
  int64_t ranksPerNode = 1;
  bool oversubscribed = false;
};

/// Predicts `func` (partitioned over `mesh`) on `topology`. Fails with an
/// error on an op with no byte formula. By rank class (the default), each op
/// is evaluated once per class of ranks that cost alike in it (equal local
/// extents, neighbours' extents, halo sends and node boundaries, per group
/// of axes that nest on one dim), so the time does not grow with the ranks;
/// otherwise on every rank (the two agree: test/unit/PlanCostTest.cpp).
/// A collective is timed by the algorithm it records (`algorithm`); one that
/// records none by the cheapest the communicator runs: the runtime's own
/// schedules or, where measured, the library's collective; only the
/// library's (modelled as the cheapest algorithm a library picks among)
/// with `libraryCollectivesOnly` (NCCL).
mlir::FailureOr<PlanCost> evaluatePlan(mlir::func::FuncOp func, MeshOp mesh,
                                       const Topology &topology, bool byRankClass = true,
                                       bool libraryCollectivesOnly = false);

} // namespace quilt

#endif // QUILT_ANALYSIS_PLANCOST_H
