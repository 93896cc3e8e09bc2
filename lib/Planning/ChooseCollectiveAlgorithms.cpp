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

namespace {

struct ChooseCollectiveAlgorithms
    : quilt::impl::QuiltChooseCollectiveAlgorithmsBase<ChooseCollectiveAlgorithms> {
  using QuiltChooseCollectiveAlgorithmsBase::QuiltChooseCollectiveAlgorithmsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
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
        if (!collectiveKindOf(op.op) || op.op->hasAttr(kCollectiveAlgorithmAttr))
          continue;
        CollectiveAlgorithm chosen = op.collectiveAlgorithm.value_or(CollectiveAlgorithm::Library);
        op.op->setAttr(kCollectiveAlgorithmAttr,
                       StringAttr::get(op.op->getContext(), collectiveAlgorithmName(chosen)));
      }
    }
  }
};

} // namespace
