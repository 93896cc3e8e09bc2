//===- ChooseCollectiveAlgorithms.cpp - record each collective's algorithm -===//
//
// The decision is the cost model's (PlanCost.h: evaluatePlan times every
// collective by the algorithm it records, else by the cheapest the
// communicator runs); this pass writes that choice into the IR, where the
// lowering passes it to the runtime and later cost queries read it back.
//
//===----------------------------------------------------------------------===//
#include "quilt/Planning/Passes.h"
#include "quilt/Analysis/PlanCost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>

namespace quilt {
#define GEN_PASS_DEF_QUILTCHOOSECOLLECTIVEALGORITHMS
#include "quilt/Planning/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

FailureOr<CollectivePreference> quilt::parseCollectivePreference(StringRef entry,
                                                                 std::string &error) {
  auto [kindName, algorithmName] = entry.split('=');
  CollectiveKind kind;
  CollectiveAlgorithm algorithm;
  if (!parseCollectiveKind(kindName.data(), kindName.size(), kind) ||
      !parseCollectiveAlgorithm(algorithmName.data(), algorithmName.size(), algorithm)) {
    error = "'" + entry.str() +
            "' is not KIND=ALGORITHM (KIND: all_reduce, all_gather, reduce_scatter, all_to_all; "
            "ALGORITHM: library, ring, recursive-doubling, rabenseifner, bruck, "
            "recursive-halving, pairwise)";
    return failure();
  }
  return CollectivePreference{kind, algorithm};
}

namespace {

struct ChooseCollectiveAlgorithms
    : quilt::impl::QuiltChooseCollectiveAlgorithmsBase<ChooseCollectiveAlgorithms> {
  using QuiltChooseCollectiveAlgorithmsBase::QuiltChooseCollectiveAlgorithmsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The user's preferences, by kind.
    std::map<CollectiveKind, std::pair<CollectiveAlgorithm, std::string>> preferred;
    for (const std::string &entry : prefer) {
      std::string error;
      FailureOr<CollectivePreference> preference = parseCollectivePreference(entry, error);
      if (failed(preference)) {
        module.emitError("quilt-choose-collective-algorithms: prefer ") << error;
        return signalPassFailure();
      }
      if (libraryOnly && preference->algorithm != CollectiveAlgorithm::Library) {
        module.emitError("quilt-choose-collective-algorithms: prefer '")
            << entry << "': this communicator runs only its library's collectives (NCCL)";
        return signalPassFailure();
      }
      auto [earlier, added] =
          preferred.try_emplace(preference->kind, preference->algorithm, entry);
      if (!added) {
        module.emitError("quilt-choose-collective-algorithms: prefer '")
            << earlier->second.second << "' and '" << entry << "' name the same kind";
        return signalPassFailure();
      }
    }
    bool any = false;
    module.walk([&](Operation *op) { any |= collectiveKindOf(op).has_value(); });
    if (!any)
      return;
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    if (meshes.size() != 1) {
      module.emitError("quilt-choose-collective-algorithms needs one quilt.mesh, found ")
          << meshes.size();
      return signalPassFailure();
    }
    std::string error;
    FailureOr<Topology> machine = loadTopology(topology, error);
    if (failed(machine)) {
      module.emitError("quilt-choose-collective-algorithms: ") << error;
      return signalPassFailure();
    }
    for (auto func : module.getOps<func::FuncOp>()) {
      FailureOr<PlanCost> cost =
          evaluatePlan(func, meshes.front(), *machine, /*byRankClass=*/true, libraryOnly);
      if (failed(cost))
        return signalPassFailure();
      for (const OpCost &op : cost->ops) {
        std::optional<CollectiveKind> kind = collectiveKindOf(op.op);
        if (!kind || op.op->hasAttr(kCollectiveAlgorithmAttr))
          continue;
        CollectiveAlgorithm chosen = op.collectiveAlgorithm.value_or(CollectiveAlgorithm::Library);
        if (auto preference = preferred.find(*kind); preference != preferred.end()) {
          chosen = preference->second.first;
          std::optional<int64_t> members = collectiveGroupSize(op.op);
          if (!members)
            return signalPassFailure();
          if (!collectiveAlgorithmServes(*kind, chosen, *members)) {
            op.op->emitError("quilt-choose-collective-algorithms: prefer '")
                << preference->second.second << "': " << collectiveAlgorithmName(chosen)
                << " does not run " << collectiveKindName(*kind) << " over " << *members
                << " ranks";
            return signalPassFailure();
          }
        }
        op.op->setAttr(kCollectiveAlgorithmAttr,
                       StringAttr::get(op.op->getContext(), collectiveAlgorithmName(chosen)));
      }
    }
  }
};

} // namespace
