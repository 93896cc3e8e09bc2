//===- PropagateSharding.cpp - give every value a sharding -----------------===//
//
// Forward propagation over the SSA graph in program order (a DAG, so one
// sweep reaches the fixed point): each op's rule maps operand dim splits to
// factors, and factors to result dim splits. Where operands disagree, the
// assignment whose reshards move the fewest bytes wins, never moving a user
// annotation when another assignment keeps it (factorAxes).
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/Transforms/SpectralTranspose.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTPROPAGATESHARDING
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Result shardings of one op plus a sentence on where they came from.
struct Propagated {
  SmallVector<AxisSplit> results;
  std::string origin;
};

static Propagated propagateThroughRule(ShardingRuleOpInterface op, MeshOp mesh) {
  ShardingRule rule = op.getShardingRule();
  // The partitioner makes the same choice from the same layouts.
  SmallVector<OperandLayout> operands;
  for (Value v : op->getOperands())
    operands.push_back({getValueSplit(v), cast<RankedTensorType>(v.getType()),
                        isa_and_nonnull<AnnotateOp>(v.getDefiningOp())});
  SmallVector<RankedTensorType> results;
  for (Type type : op->getResultTypes())
    results.push_back(dyn_cast<RankedTensorType>(type));
  Propagated out;
  FactorAssignment assignment = factorAxes(rule, operands, results, mesh);
  out.origin = assignment.origin;
  // A split reduction factor leaves a partial value on those axes.
  for (size_t r = 0; r < rule.resultFactors.size(); ++r)
    out.results.push_back(
        splitForResult(rule, r, assignment.axes, assignment.baseGranules));
  if (out.origin.empty())
    out.origin = "no split operand";
  return out;
}

struct PropagateSharding : quilt::impl::QuiltPropagateShardingBase<PropagateSharding> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    if (meshes.size() != 1) {
      module.emitError("quilt-propagate-sharding needs exactly one quilt.mesh, found ")
          << meshes.size();
      return signalPassFailure();
    }
    meshOp = meshes.front();
    auto mesh = FlatSymbolRefAttr::get(meshOp.getSymNameAttr());
    module.walk([&](Operation *op) { propagateOp(op, mesh); });
  }

  MeshOp meshOp;

  void propagateOp(Operation *op, FlatSymbolRefAttr mesh) {
    Propagated p;
    if (auto annotate = dyn_cast<AnnotateOp>(op)) {
      p.results.push_back(AxisSplit::fromAttr(annotate.getSharding(),
                                              annotate.getInput().getType().getRank()));
      p.origin = "user annotation";
    } else if (auto ruled = dyn_cast<ShardingRuleOpInterface>(op)) {
      p = propagateThroughRule(ruled, meshOp);
      moveSpectralSplits(op, p.results, p.origin);
    } else {
      return;
    }
    SmallVector<Attribute> attrs;
    for (const AxisSplit &split : p.results)
      attrs.push_back(split.toAttr(op->getContext(), mesh));
    op->setAttr(kShardingsAttr, ArrayAttr::get(op->getContext(), attrs));
    op->setAttr(kOriginAttr, StringAttr::get(op->getContext(), p.origin));
    if (explain)
      op->emitRemark() << "sharding " << attrs.front() << " from " << p.origin;
  }
};
} // namespace
