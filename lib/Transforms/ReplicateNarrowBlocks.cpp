//===- ReplicateNarrowBlocks.cpp - gather the coarse levels ----------------===//
//
// A rewrite of the plan, not of the program: spatial factors split into
// blocks narrower than `min-block` lose their mesh axes in each op's
// quilt.factor_axes, and the results' recorded shardings follow. The
// partitioner, which only reads the plan, then gathers once where such a
// region begins and slices locally where it ends.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTREPLICATENARROWBLOCKS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Ranks along `axes` of `mesh`.
int64_t ranksOn(MeshOp mesh, ArrayRef<std::string> axes) {
  int64_t parts = 1;
  for (const std::string &axis : axes)
    parts *= std::max<int64_t>(1, mesh.getAxisSize(axis));
  return parts;
}

struct ReplicateNarrowBlocks
    : quilt::impl::QuiltReplicateNarrowBlocksBase<ReplicateNarrowBlocks> {
  using Base::Base;

  void runOnOperation() override {
    if (minBlock <= 0)
      return;
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    if (meshes.size() != 1) {
      module.emitError("quilt-replicate-narrow-blocks needs exactly one quilt.mesh, found ")
          << meshes.size();
      return signalPassFailure();
    }
    MeshOp mesh = meshes.front();
    auto meshRef = FlatSymbolRefAttr::get(mesh.getSymNameAttr());
    WalkResult walk = module.walk([&](ShardingRuleOpInterface op) {
      if (!op->hasAttr(kFactorAxesAttr))
        return WalkResult::advance();
      ShardingRule rule = op.getShardingRule();
      FailureOr<FactorAssignment> plan = readPlan(op, rule, mesh);
      if (failed(plan))
        return WalkResult::interrupt();
      bool changed = false;
      for (const auto &dims : rule.resultFactors)
        for (auto [d, f] : llvm::enumerate(dims)) {
          if (d < 2 || f == kNoFactor || plan->axes[f].empty())
            continue;
          FactorKind kind = rule.factors[f].kind;
          if (kind == FactorKind::Reduction || kind == FactorKind::Whole)
            continue;
          if (rule.factors[f].size / ranksOn(mesh, plan->axes[f]) >= minBlock)
            continue;
          plan->axes[f].clear();
          plan->baseGranules[f] = 1;
          changed = true;
        }
      if (!changed)
        return WalkResult::advance();
      recordPlan(op, *plan);
      SmallVector<Attribute> results;
      for (size_t r = 0; r < rule.resultFactors.size(); ++r)
        results.push_back(splitForResult(rule, r, plan->axes, plan->baseGranules)
                              .toAttr(op->getContext(), meshRef));
      op->setAttr(kShardingsAttr, ArrayAttr::get(op->getContext(), results));
      op->setAttr(kOriginAttr,
                  StringAttr::get(op->getContext(),
                                  "replicated: its split blocks had fewer than " +
                                      std::to_string(minBlock) + " positions"));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
