//===- PropagateSharding.cpp - give every value a sharding -----------------===//
//
// Forward propagation over the SSA graph in program order (a DAG, so one
// sweep reaches the fixed point): each op's rule maps operand dim splits to
// factors, and factors to result dim splits. Where operands disagree, the
// assignment whose reshards move the fewest bytes wins, never moving a user
// annotation when another assignment keeps it (factorAxes); the reshard
// that resolves it then moves upstream (a quilt.annotate marked
// quilt.reshard_reason) while that moves fewer bytes: through single-use
// results of ops that can produce the wanted layout, e.g. before a conv that
// widens a one-channel forcing field to four channels.
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
                        isUserAnnotated(v)});
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

/// The layouts of `op`'s operands under which its only result comes out split
/// per `want` (parallel and windowed factors only), or nullopt.
static std::optional<SmallVector<AxisSplit>> operandsGiving(ShardingRuleOpInterface op,
                                                           const AxisSplit &want, MeshOp mesh) {
  if (op->getNumResults() != 1 || isa<AttentionOp>(op.getOperation()) ||
      mayMoveSpectralAxis(op))
    return std::nullopt;
  ShardingRule rule = op.getShardingRule();
  size_t numFactors = rule.factors.size();
  SmallVector<SmallVector<std::string, 1>> axes(numFactors);
  SmallVector<int64_t> bases(numFactors, 1);
  for (auto [d, f] : llvm::enumerate(rule.resultFactors[0])) {
    const auto &wanted = want.dims[d];
    if (wanted.empty())
      continue;
    if (f == kNoFactor)
      return std::nullopt;
    FactorKind kind = rule.factors[f].kind;
    if (kind != FactorKind::Parallel && (kind != FactorKind::Windowed || wanted.size() > 1))
      return std::nullopt;
    int64_t m = rule.resultMultiplier(0, d), g = want.granule(d);
    if (g % m != 0 || (!axes[f].empty() && (axes[f] != wanted || bases[f] != g / m)))
      return std::nullopt;
    axes[f] = wanted;
    bases[f] = g / m;
  }
  if (!(splitForResult(rule, 0, axes, bases) == want))
    return std::nullopt;
  SmallVector<AxisSplit> wants;
  SmallVector<OperandLayout> layouts;
  for (auto [j, operand] : llvm::enumerate(op->getOperands())) {
    wants.push_back(splitForOperand(rule, j, axes, bases));
    layouts.push_back({wants.back(), cast<RankedTensorType>(operand.getType()), false});
  }
  // The partitioner, seeing these layouts, must make the same choice.
  SmallVector<RankedTensorType> results{cast<RankedTensorType>(op->getResult(0).getType())};
  FactorAssignment check = factorAxes(rule, layouts, results, mesh);
  if (!(splitForResult(rule, 0, check.axes, check.baseGranules) == want))
    return std::nullopt;
  return wants;
}

/// A reshard of an operand of a conflict, moved upstream: quilt.annotates on
/// the operands of `producer` that must change.
struct Hoist {
  Operation *producer = nullptr;
  SmallVector<AxisSplit> wants;
  uint64_t bytes = 0;
};

/// Walks up from `value` (which `want` asks to reshard, moving `bytes` per
/// rank) through single-use results of ops that can produce the wanted
/// layout from their operands', while one operand carries the reshard, and
/// returns the cheapest place strictly below `bytes`.
static std::optional<Hoist> cheapestUpstream(Value value, AxisSplit want, uint64_t bytes,
                                             MeshOp mesh) {
  std::optional<Hoist> best;
  for (int depth = 0; depth < 64 && value.hasOneUse(); ++depth) {
    auto producer = value.getDefiningOp<ShardingRuleOpInterface>();
    if (!producer)
      break;
    std::optional<SmallVector<AxisSplit>> wants = operandsGiving(producer, want, mesh);
    if (!wants)
      break;
    uint64_t total = 0;
    SmallVector<unsigned> moving;
    for (auto [j, operand] : llvm::enumerate(producer->getOperands())) {
      AxisSplit have = getValueSplit(operand);
      uint64_t moved = reshardBytes(planReshard(have, (*wants)[j], mesh), have,
                                    cast<RankedTensorType>(operand.getType()), mesh);
      total += moved;
      if (moved > 0)
        moving.push_back(j);
    }
    if (total < bytes && (!best || total < best->bytes))
      best = Hoist{producer, *wants, total};
    if (moving.size() != 1)
      break;
    value = producer->getOperand(moving.front());
    want = (*wants)[moving.front()];
  }
  return best;
}

/// The first reshard of a conflict (in program order) that moves fewer bytes
/// further up: places quilt.annotates there and returns true.
static bool hoistOneReshard(func::FuncOp func, MeshOp mesh, FlatSymbolRefAttr meshRef) {
  for (Operation &op : func.getBody().getOps()) {
    auto ruled = dyn_cast<ShardingRuleOpInterface>(op);
    if (!ruled || isa<AttentionOp>(op) || mayMoveSpectralAxis(&op))
      continue;
    ShardingRule rule = ruled.getShardingRule();
    SmallVector<OperandLayout> layouts;
    for (Value v : op.getOperands())
      layouts.push_back({getValueSplit(v), cast<RankedTensorType>(v.getType()), isUserAnnotated(v)});
    SmallVector<RankedTensorType> results;
    for (Type type : op.getResultTypes())
      results.push_back(dyn_cast<RankedTensorType>(type));
    FactorAssignment assignment = factorAxes(rule, layouts, results, mesh);
    for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
      // Only the reshards of a conflict: a dim the op needs whole stays here.
      if (llvm::any_of(llvm::enumerate(rule.operandFactors[i]), [&](auto df) {
            auto [d, f] = df;
            return !layouts[i].split.dims[d].empty() &&
                   (f == kNoFactor || rule.factors[f].kind == FactorKind::Whole);
          }))
        continue;
      AxisSplit want = splitForOperand(rule, i, assignment.axes, assignment.baseGranules);
      uint64_t bytes = reshardBytes(planReshard(layouts[i].split, want, mesh), layouts[i].split,
                                    layouts[i].global, mesh);
      if (bytes == 0)
        continue;
      std::optional<Hoist> hoist = cheapestUpstream(operand, want, bytes, mesh);
      if (!hoist)
        continue;
      std::string why;
      for (const auto &change : assignment.changes[i])
        if (!change.empty()) {
          why = change;
          break;
        }
      why = "moved up from " + describeNode(&op) + ", where " + why + "; here it moves " +
            std::to_string(hoist->bytes) + " bytes per rank instead of " + std::to_string(bytes);
      OpBuilder b(hoist->producer);
      for (OpOperand &input : hoist->producer->getOpOperands()) {
        AxisSplit have = getValueSplit(input.get());
        const AxisSplit &wanted = hoist->wants[input.getOperandNumber()];
        if (!have.isSplit() || have == wanted)
          continue; // a replicated operand is sliced where it is used
        auto annotate = AnnotateOp::create(b, hoist->producer->getLoc(), input.get(),
                                           wanted.toAttr(b.getContext(), meshRef));
        annotate->setAttr(kReshardReasonAttr, b.getStringAttr(why));
        input.set(annotate.getResult());
      }
      return true;
    }
  }
  return false;
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
    // A conflict's reshard moves upstream while that moves fewer bytes; each
    // move changes layouts downstream of it, so propagation runs again.
    for (auto func : module.getOps<func::FuncOp>()) {
      for (int moves = 0; moves < 64; ++moves) {
        func.walk([&](Operation *op) { propagateOp(op, mesh, /*remark=*/false); });
        if (!hoistOneReshard(func, meshOp, mesh))
          break;
      }
    }
    module.walk([&](Operation *op) { propagateOp(op, mesh, explain); });
  }

  MeshOp meshOp;

  void propagateOp(Operation *op, FlatSymbolRefAttr mesh, bool remark) {
    Propagated p;
    if (auto annotate = dyn_cast<AnnotateOp>(op)) {
      p.results.push_back(AxisSplit::fromAttr(annotate.getSharding(),
                                              annotate.getInput().getType().getRank()));
      auto reason = annotate->getAttrOfType<StringAttr>(kReshardReasonAttr);
      p.origin = reason ? "a reshard " + reason.str() : "user annotation";
    } else if (auto attention = dyn_cast<AttentionOp>(op)) {
      // As the partitioner lays it out: the queries' split (keys split alike
      // circulate in a ring, whatever axes their token dims use).
      AxisSplit q = getValueSplit(attention.getQ());
      q.dims.back().clear();
      q.partial.clear();
      p.results.push_back(q);
      p.origin = "the queries' split (attention keeps it)";
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
    if (remark)
      op->emitRemark() << "sharding " << attrs.front() << " from " << p.origin;
  }
};
} // namespace
