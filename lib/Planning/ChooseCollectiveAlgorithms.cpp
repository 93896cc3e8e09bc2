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

namespace quilt {
#define GEN_PASS_DEF_QUILTCHOOSECOLLECTIVEALGORITHMS
#include "quilt/Planning/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

FailureOr<std::vector<CollectivePreference>>
quilt::parseCollectivePreferences(ArrayRef<std::string> entries, std::string &error) {
  std::vector<CollectivePreference> preferences;
  for (const std::string &entry : entries) {
    auto [kindName, algorithmName] = StringRef(entry).split('=');
    CollectivePreference preference{CollectiveKind::AllReduce, CollectiveAlgorithm::Library, entry};
    if (!parseCollectiveKind(kindName.data(), kindName.size(), preference.kind) ||
        !parseCollectiveAlgorithm(algorithmName.data(), algorithmName.size(),
                                  preference.algorithm)) {
      error = "'" + entry + "' is not KIND=ALGORITHM (KIND: " + kCollectiveKindNames +
              "; ALGORITHM: " + kCollectiveAlgorithmNames + ")";
      return failure();
    }
    for (const CollectivePreference &earlier : preferences)
      if (earlier.kind == preference.kind) {
        error = "'" + earlier.entry + "' and '" + entry + "' name the same kind";
        return failure();
      }
    preferences.push_back(std::move(preference));
  }
  return preferences;
}

namespace {

struct ChooseCollectiveAlgorithms
    : quilt::impl::QuiltChooseCollectiveAlgorithmsBase<ChooseCollectiveAlgorithms> {
  using QuiltChooseCollectiveAlgorithmsBase::QuiltChooseCollectiveAlgorithmsBase;
  ChooseCollectiveAlgorithms(QuiltChooseCollectiveAlgorithmsOptions options,
                             std::shared_ptr<const Topology> machine)
      : QuiltChooseCollectiveAlgorithmsBase(std::move(options)), loaded(std::move(machine)) {}

  /// The topology the pass's creator loaded, if any; else the pass loads
  /// `topology` itself.
  std::shared_ptr<const Topology> loaded;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    FailureOr<std::vector<CollectivePreference>> preferred =
        parseCollectivePreferences(prefer, error);
    if (failed(preferred)) {
      module.emitError("quilt-choose-collective-algorithms: prefer ") << error;
      return signalPassFailure();
    }
    for (const CollectivePreference &preference : *preferred)
      if (libraryOnly && preference.algorithm != CollectiveAlgorithm::Library) {
        module.emitError("quilt-choose-collective-algorithms: prefer '")
            << preference.entry << "': this communicator runs only its library's collectives (NCCL)";
        return signalPassFailure();
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
    std::shared_ptr<const Topology> machine = loaded;
    if (!machine) {
      FailureOr<Topology> read = loadTopology(topology, error);
      if (failed(read)) {
        module.emitError("quilt-choose-collective-algorithms: ") << error;
        return signalPassFailure();
      }
      machine = std::make_shared<const Topology>(std::move(*read));
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
        auto preference = llvm::find_if(
            *preferred, [&](const CollectivePreference &p) { return p.kind == *kind; });
        if (preference != preferred->end()) {
          chosen = preference->algorithm;
          std::optional<int64_t> members = collectiveGroupSize(op.op);
          if (!members)
            return signalPassFailure();
          if (!collectiveAlgorithmServes(*kind, chosen, *members)) {
            op.op->emitError("quilt-choose-collective-algorithms: prefer '")
                << preference->entry << "': " << collectiveAlgorithmName(chosen)
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

std::unique_ptr<Pass>
quilt::createQuiltChooseCollectiveAlgorithms(QuiltChooseCollectiveAlgorithmsOptions options,
                                             std::shared_ptr<const Topology> machine) {
  return std::make_unique<ChooseCollectiveAlgorithms>(std::move(options), std::move(machine));
}
