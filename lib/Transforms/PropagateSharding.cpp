//===- PropagateSharding.cpp - give every value a sharding -----------------===//
//
// Propagation to a fixed point with priorities (Shardy's p0, p1, ...):
//  * forward, in program order: each op's rule maps operand dim splits to
//    factors and factors to result dim splits; where operands disagree, the
//    assignment that moves the fewest bytes of the strongest operands wins
//    (factorAxes), and the results carry the strongest priority they keep;
//  * backward: where a stronger split meets a weaker one (an annotation whose
//    input is laid out otherwise, or an op that reshards a weaker operand),
//    the weaker annotation upstream is rewritten to the layout that needs no
//    reshard, when ops that produce that layout lead there (an input's
//    default split is the weakest annotation);
//  * a reshard that stays then moves upstream while that moves fewer bytes
//    (a quilt.annotate marked quilt.reshard_reason), through single-use
//    results of ops that can produce the wanted layout, e.g. before a conv
//    that widens a one-channel forcing field to four channels.
// Each rewrite or move changes layouts downstream, so the sweep runs again
// until nothing changes; every rewrite makes an annotation strictly stronger
// and every move strictly cheaper, so this ends.
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

/// The strongest annotation each value's split derives from (kNoPriority if
/// absent).
using Priorities = DenseMap<Value, int64_t>;

static int64_t priorityOf(const Priorities &priorities, Value value) {
  auto it = priorities.find(value);
  return it == priorities.end() ? kNoPriority : it->second;
}

static SmallVector<OperandLayout> operandLayouts(Operation *op, const Priorities &priorities) {
  SmallVector<OperandLayout> layouts;
  for (Value v : op->getOperands())
    layouts.push_back({getValueSplit(v), cast<RankedTensorType>(v.getType()),
                       priorityOf(priorities, v)});
  return layouts;
}

/// Result shardings of one op plus a sentence on where they came from.
struct Propagated {
  SmallVector<AxisSplit> results;
  std::string origin;
  int64_t priority = kNoPriority;
};

static Propagated propagateThroughRule(ShardingRuleOpInterface op, MeshOp mesh,
                                       const Priorities &priorities) {
  ShardingRule rule = op.getShardingRule();
  SmallVector<OperandLayout> operands = operandLayouts(op, priorities);
  Propagated out;
  FactorAssignment assignment = factorAxes(rule, operands, resultTypes(op), mesh);
  out.origin = assignment.origin;
  // The results' priority is that of the splits the op keeps in place.
  out.priority = derivedPriority(rule, assignment, operands);
  // A DFT on a split axis (or a Pad/Concat feeding one) first moves the axis
  // to another dim by all-to-all; the factors are then those of the moved
  // layouts. Both go into the plan.
  std::optional<AxisMove> move;
  if (mayMoveSpectralAxis(op)) {
    SmallVector<AxisSplit> splits;
    for (const OperandLayout &operand : operands)
      splits.push_back(operand.split);
    move = spectralAxisMove(op, splits);
  }
  recordAxisMove(op, move);
  if (move) {
    for (OperandLayout &operand : operands)
      applyAxisMove(*move, operand.split);
    assignment = factorAxes(rule, operands, resultTypes(op), mesh);
    out.origin += (out.origin.empty() ? "" : "; ") + describeAxisMove(*move);
  }
  recordPlan(op, assignment);
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
    // Dims that pass through keep their split (normalized dims too: their
    // statistics are merged across ranks); a window keeps one axis's split.
    FactorKind kind = rule.factors[f].kind;
    if (kind != FactorKind::Parallel && kind != FactorKind::Statistic &&
        (kind != FactorKind::Windowed || wanted.size() > 1))
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
    layouts.push_back({wants.back(), cast<RankedTensorType>(operand.getType())});
  }
  // Propagation, seeing these layouts, must make the same choice.
  FactorAssignment check = factorAxes(rule, layouts, resultTypes(op), mesh);
  if (!(splitForResult(rule, 0, check.axes, check.baseGranules) == want))
    return std::nullopt;
  return wants;
}

/// Bytes per rank that laying `value` out per `want` sends.
static uint64_t bytesToReshard(Value value, const AxisSplit &want, MeshOp mesh) {
  AxisSplit have = getValueSplit(value);
  auto type = cast<RankedTensorType>(value.getType());
  return reshardBytes(planReshard(have, want, mesh, /*allowAllToAll=*/true, type.getShape()), have,
                      type, mesh);
}

/// A weaker annotation to rewrite, and the layout it takes.
struct Rewrite {
  AnnotateOp annotate;
  AxisSplit split;
};

/// Collects the annotations weaker than `priority` whose rewriting lays
/// `value` out per `want` with nothing resharded on the way: walks up through
/// ops that can produce the wanted layout from their operands' (an operand
/// that only needs a local slice stays). False when some path reaches an
/// annotation at least as strong, a partial value, or an op that cannot.
static bool collectRewrites(Value value, const AxisSplit &want, int64_t priority, MeshOp mesh,
                            SmallVectorImpl<Rewrite> &rewrites, int depth = 0) {
  if (getValueSplit(value) == want)
    return true;
  if (depth > 64)
    return false;
  if (auto annotate = value.getDefiningOp<AnnotateOp>()) {
    // A reshard placed by propagation is not an annotation to rewrite.
    if (annotate->hasAttr(kReshardReasonAttr) || annotationPriority(annotate) <= priority ||
        !want.partial.empty())
      return false;
    rewrites.push_back({annotate, want});
    return true;
  }
  auto producer = value.getDefiningOp<ShardingRuleOpInterface>();
  if (!producer)
    return false;
  std::optional<SmallVector<AxisSplit>> wants = operandsGiving(producer, want, mesh);
  if (!wants)
    return false;
  for (auto [j, operand] : llvm::enumerate(producer->getOperands()))
    if (bytesToReshard(operand, (*wants)[j], mesh) > 0 &&
        !collectRewrites(operand, (*wants)[j], priority, mesh, rewrites, depth + 1))
      return false;
  return true;
}

/// The op a rewrite serves, for its reason: an annotation by the value it
/// names, any other op by its ONNX node.
static std::string describeConsumer(Operation *consumer) {
  if (auto name = consumer->getAttrOfType<StringAttr>(kValueNameAttr);
      name && isa<AnnotateOp>(consumer))
    return "the annotation of '" + name.str() + "'";
  return describeNode(consumer);
}

/// Rewrites the annotations that `rewrites` names to their layouts, with
/// `priority` and `purpose` ("to ...") as the reason. False when none changes.
static bool applyRewrites(ArrayRef<Rewrite> rewrites, int64_t priority, const std::string &purpose,
                          FlatSymbolRefAttr meshRef) {
  bool changed = false;
  for (const Rewrite &rewrite : rewrites) {
    AnnotateOp annotate = rewrite.annotate;
    MLIRContext *ctx = annotate.getContext();
    ShardingAttr split = rewrite.split.toAttr(ctx, meshRef);
    if (split == annotate.getSharding() && annotationPriority(annotate) <= priority)
      continue;
    std::string reason = "rewritten from " + describePriority(annotationPriority(annotate)) +
                         " " + purpose + " (" + describePriority(priority) + ")";
    annotate.setShardingAttr(split);
    annotate.setPriorityAttr(IntegerAttr::get(IntegerType::get(ctx, 64), priority));
    annotate->setAttr(kRewriteReasonAttr, StringAttr::get(ctx, reason));
    changed = true;
  }
  return changed;
}

/// What factorAxes decides at an op that operands may disagree on.
struct Decision {
  ShardingRule rule;
  SmallVector<OperandLayout> layouts;
  FactorAssignment assignment;
};

/// The decision at `op`, or nullopt for ops whose reshards stay where they
/// are (no rule, attention, a DFT moving its axis).
static std::optional<Decision> decisionAt(Operation &op, MeshOp mesh,
                                          const Priorities &priorities) {
  auto ruled = dyn_cast<ShardingRuleOpInterface>(op);
  if (!ruled || isa<AttentionOp>(op) || mayMoveSpectralAxis(&op))
    return std::nullopt;
  Decision d{ruled.getShardingRule(), operandLayouts(&op, priorities), {}};
  d.assignment = factorAxes(d.rule, d.layouts, resultTypes(&op), mesh);
  return d;
}

/// The first place (in program order) where a stronger split meets a weaker
/// one that rewriting weaker annotations upstream reconciles: rewrites them
/// and returns true.
static bool rewriteOneWeakerAnnotation(func::FuncOp func, MeshOp mesh, FlatSymbolRefAttr meshRef,
                                       const Priorities &priorities) {
  for (Operation &op : func.getBody().getOps()) {
    // An annotation whose input is laid out otherwise: the weaker of the
    // two yields (the annotation itself when its input is stronger).
    if (auto annotate = dyn_cast<AnnotateOp>(op)) {
      // A reshard propagation placed stays: it is what resolves a conflict.
      if (annotate->hasAttr(kReshardReasonAttr))
        continue;
      int64_t priority = annotationPriority(annotate);
      Value input = annotate.getInput();
      AxisSplit want = AxisSplit::fromAttr(annotate.getSharding(),
                                           cast<RankedTensorType>(input.getType()).getRank());
      AxisSplit have = getValueSplit(input);
      if (priority == kNoPriority || have == want)
        continue;
      SmallVector<Rewrite> rewrites;
      int64_t inputPriority = priorityOf(priorities, input);
      if (inputPriority < priority && have.partial.empty()) {
        std::string purpose = "to keep the layout " + describeNode(input.getDefiningOp()) +
                              " gives it";
        if (applyRewrites({{annotate, have}}, inputPriority, purpose, meshRef))
          return true;
      } else if (collectRewrites(input, want, priority, mesh, rewrites) &&
                 applyRewrites(rewrites, priority,
                               "to lay the value out for " + describeConsumer(&op), meshRef)) {
        return true;
      }
      continue;
    }
    // An op that reshards a weaker operand to keep a stronger one's split.
    std::optional<Decision> d = decisionAt(op, mesh, priorities);
    if (!d)
      continue;
    int64_t priority = derivedPriority(d->rule, d->assignment, d->layouts);
    for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
      if (d->layouts[i].priority <= priority)
        continue;
      AxisSplit want =
          splitForOperand(d->rule, i, d->assignment.axes, d->assignment.baseGranules);
      SmallVector<Rewrite> rewrites;
      if (bytesToReshard(operand, want, mesh) > 0 &&
          collectRewrites(operand, want, priority, mesh, rewrites) &&
          applyRewrites(rewrites, priority, "to lay the value out for " + describeNode(&op),
                        meshRef))
        return true;
    }
  }
  return false;
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
      uint64_t moved = bytesToReshard(operand, (*wants)[j], mesh);
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
static bool hoistOneReshard(func::FuncOp func, MeshOp mesh, FlatSymbolRefAttr meshRef,
                            const Priorities &priorities) {
  for (Operation &op : func.getBody().getOps()) {
    std::optional<Decision> d = decisionAt(op, mesh, priorities);
    if (!d)
      continue;
    const ShardingRule &rule = d->rule;
    const SmallVector<OperandLayout> &layouts = d->layouts;
    const FactorAssignment &assignment = d->assignment;
    for (auto [i, operand] : llvm::enumerate(op.getOperands())) {
      // Only the reshards of a conflict: a dim the op needs whole stays here.
      if (llvm::any_of(llvm::enumerate(rule.operandFactors[i]), [&](auto df) {
            auto [d, f] = df;
            return !layouts[i].split.dims[d].empty() &&
                   (f == kNoFactor || rule.factors[f].kind == FactorKind::Whole);
          }))
        continue;
      AxisSplit want = splitForOperand(rule, i, assignment.axes, assignment.baseGranules);
      uint64_t bytes = bytesToReshard(operand, want, mesh);
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
      // Values downstream of the reshard keep the strength of the split it serves.
      int64_t served = derivedPriority(rule, assignment, layouts);
      IntegerAttr priority = served == kNoPriority ? IntegerAttr() : IntegerAttr::get(
          IntegerType::get(op.getContext(), 64), served);
      OpBuilder b(hoist->producer);
      for (OpOperand &input : hoist->producer->getOpOperands()) {
        AxisSplit have = getValueSplit(input.get());
        const AxisSplit &wanted = hoist->wants[input.getOperandNumber()];
        if (!have.isSplit() || have == wanted)
          continue; // a replicated operand is sliced where it is used
        auto annotate = AnnotateOp::create(b, hoist->producer->getLoc(), input.get(),
                                           wanted.toAttr(b.getContext(), meshRef), priority);
        annotate->setAttr(kReshardReasonAttr, b.getStringAttr(why));
        input.set(annotate.getResult());
      }
      return true;
    }
  }
  return false;
}

/// " (ONNX value 'v' of node 'n')" for --explain-sharding, naming the first
/// result's ONNX value and node when the importer recorded them, else "".
static std::string onnxWhere(Operation *op) {
  if (auto annotate = dyn_cast<AnnotateOp>(op))
    if (auto name = annotate->getAttrOfType<StringAttr>(kValueNameAttr))
      return " (ONNX value '" + name.str() + "')";
  std::string value;
  forEachOnnxValue(op, [&](StringRef name, OpResult result) {
    if (value.empty() && result.getResultNumber() == 0)
      value = name.str();
  });
  std::string node = onnxNodeName(op);
  if (value.empty() && node.empty())
    return "";
  if (value.empty())
    return " (ONNX node '" + node + "')";
  return " (ONNX value '" + value + "'" + (node.empty() ? "" : " of node '" + node + "'") + ")";
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
    if (attention != "ring" && attention != "all-gather") {
      module.emitError("quilt-propagate-sharding: attention='")
          << attention << "' is neither ring nor all-gather";
      return signalPassFailure();
    }
    attentionAlgorithm = attention;
    auto mesh = FlatSymbolRefAttr::get(meshOp.getSymNameAttr());
    for (auto func : module.getOps<func::FuncOp>()) {
      bool settled = false;
      for (int changes = 0; changes < 256 && !settled; ++changes) {
        sweep(func, mesh, /*remark=*/false);
        settled = !rewriteOneWeakerAnnotation(func, meshOp, mesh, priorities) &&
                  !hoistOneReshard(func, meshOp, mesh, priorities);
      }
      // Each change is sound on its own; stopping early only leaves
      // reshards a later change would have removed.
      if (!settled)
        func.emitWarning("sharding propagation stopped after 256 rewrites and reshard moves; "
                         "some reshards may remain that annotations could remove");
    }
    module.walk([&](func::FuncOp func) { sweep(func, mesh, explain); });
  }

  MeshOp meshOp;
  Priorities priorities;
  std::string attentionAlgorithm;

  void sweep(func::FuncOp func, FlatSymbolRefAttr mesh, bool remark) {
    priorities.clear();
    func.walk([&](Operation *op) { propagateOp(op, mesh, remark); });
  }

  void propagateOp(Operation *op, FlatSymbolRefAttr mesh, bool remark) {
    Propagated p;
    if (auto annotate = dyn_cast<AnnotateOp>(op)) {
      p.results.push_back(AxisSplit::fromAttr(annotate.getSharding(),
                                              annotate.getInput().getType().getRank()));
      p.priority = annotationPriority(annotate);
      auto reshard = annotate->getAttrOfType<StringAttr>(kReshardReasonAttr);
      auto rewrite = annotate->getAttrOfType<StringAttr>(kRewriteReasonAttr);
      if (reshard)
        p.origin = "a reshard " + reshard.str();
      else if (rewrite)
        p.origin = "an annotation " + rewrite.str();
      else if (p.priority >= kDefaultSplitPriority)
        p.origin = "the default split of an input";
      else
        p.origin = "user annotation (" + describePriority(p.priority) + ")";
    } else if (auto attention = dyn_cast<AttentionOp>(op)) {
      // As the partitioner lays it out: the queries' split (keys split alike
      // circulate in a ring, whatever axes their token dims use).
      AxisSplit q = getValueSplit(attention.getQ());
      q.dims.back().clear();
      q.partial.clear();
      p.results.push_back(q);
      p.origin = "the queries' split (attention keeps it)";
      // The result is laid out as the queries: it carries their priority.
      p.priority = priorityOf(priorities, attention.getQ());
      op->setAttr(kAttentionAlgorithmAttr, StringAttr::get(op->getContext(), attentionAlgorithm));
    } else if (auto ruled = dyn_cast<ShardingRuleOpInterface>(op)) {
      p = propagateThroughRule(ruled, meshOp, priorities);
    } else {
      return;
    }
    SmallVector<Attribute> attrs;
    for (auto [r, split] : llvm::enumerate(p.results)) {
      attrs.push_back(split.toAttr(op->getContext(), mesh));
      priorities[op->getResult(r)] = p.priority;
    }
    op->setAttr(kShardingsAttr, ArrayAttr::get(op->getContext(), attrs));
    op->setAttr(kOriginAttr, StringAttr::get(op->getContext(), p.origin));
    if (remark)
      op->emitRemark() << "sharding " << attrs.front() << " from " << p.origin
                       << onnxWhere(op);
  }
};
} // namespace
