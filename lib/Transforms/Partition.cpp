//===- Partition.cpp - from global tensors to one SPMD program -------------===//
//
// Every value takes its per-rank local type; communication is inserted where
// an op's rule needs operands laid out differently than they are (halo
// exchange for split windowed dims, all-to-all for a mesh axis moving from
// one dim to another, all-gather for dims needed whole, shard_slice for
// replicated values meeting split ones) and where a split reduction leaves a
// partial value (all-reduce).
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/Transforms/SpectralTranspose.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTPARTITION
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

class Partitioner {
public:
  Partitioner(MeshOp mesh, bool ringAttention)
      : mesh(mesh), meshRef(FlatSymbolRefAttr::get(mesh.getSymNameAttr())),
        ringAttention(ringAttention) {}

  LogicalResult run(func::FuncOp func);

private:
  /// The layout a value has now in the partitioned program.
  struct State {
    RankedTensorType global;
    AxisSplit split;
  };

  LogicalResult partitionAnnotate(AnnotateOp op);
  /// Lays the operands out as `plan` (the op's recorded factor axes) says.
  LogicalResult partitionRuled(ShardingRuleOpInterface op, const ShardingRule &rule,
                               const FactorAssignment &plan);
  LogicalResult partitionAttention(AttentionOp op);
  /// Returns `value` laid out per `want` (planReshard: an axis moving from one
  /// dim to another by all-to-all, others gathered, then local slices).
  /// `why(d)` says, for a remark, why dim d of the operand must change.
  Value reshard(Value value, const AxisSplit &want, Operation *user, OpBuilder &b,
                llvm::function_ref<std::string(int64_t)> why);
  /// A halo exchange for `user` (whose location names it in reports).
  Value haloExchange(Value value, int64_t dim, const Factor &factor, Operation *user,
                     OpBuilder &b);
  LogicalResult finishPartial(Operation *op, const AxisSplit &resultSplit);
  void expandSoftmax(Operation *op, int64_t axis, ArrayRef<std::string> statAxes);
  void expandNormalization(Operation *op, ArrayRef<std::string> statAxes);
  /// ArgMax/ArgMin and CumSum over a split axis (their statistic factor):
  /// per-block partials, gathered along the axis and combined on every rank.
  void expandArgReduce(ArgReduceOp op);
  void expandCumSum(CumSumOp op);
  /// All-gathers dim `dim` of `value` over every axis splitting it.
  Value gatherBlocks(Value value, int64_t dim, Location loc, OpBuilder &b);
  /// The number of blocks dim `dim` of `split` has (1 when whole).
  int64_t blockCount(const AxisSplit &split, int64_t dim);
  /// A DFT on a split axis, or a Pad/Concat feeding one along the dim it
  /// pads: the split moves to another dim by all-to-all (SpectralTranspose.h)
  /// before the op is partitioned by its rule.
  LogicalResult partitionSpectral(Operation *op, const ShardingRule &rule,
                                  const FactorAssignment &plan);
  /// An all-to-all moving `axes`, the minor-most axes of dim `from`, to be
  /// the minor-most axes of dim `to`.
  Value allToAll(Value value, int64_t from, int64_t to, ArrayRef<std::string> axes, Location loc,
                 OpBuilder &b);
  /// Creates an all-reduce of `value` over `axes`; the result keeps its layout.
  Value allReduce(OpBuilder &b, Location loc, Value value, ArrayRef<std::string> axes,
                  ReductionKind kind);
  /// Gives `value` its local type.
  void setLocal(Value value, RankedTensorType global, const AxisSplit &split,
                ArrayAttr halos = {});

  MeshOp mesh;
  FlatSymbolRefAttr meshRef;
  bool ringAttention;
  DenseMap<Value, State> states;
};

void Partitioner::setLocal(Value value, RankedTensorType global, const AxisSplit &split,
                           ArrayAttr halos) {
  AxisSplit whole = split;
  whole.partial.clear();
  states[value] = {global, whole};
  value.setType(localType(global, whole, meshRef, halos));
}

/// The shard_slices that follow `value` as its only use, one after the
/// other along one dim, each slicing one of `axes` (at most once each).
static SmallVector<ShardSliceOp> sliceChain(Value value, ArrayAttr axes) {
  SmallVector<ShardSliceOp> chain;
  while (value.hasOneUse()) {
    auto slice = dyn_cast<ShardSliceOp>(*value.getUsers().begin());
    if (!slice || (!chain.empty() && slice.getDim() != chain.front().getDim()) ||
        !llvm::is_contained(axes, slice.getAxisAttr()) ||
        llvm::any_of(chain, [&](ShardSliceOp s) { return s.getAxis() == slice.getAxis(); }))
      break;
    chain.push_back(slice);
    value = slice.getResult();
  }
  return chain;
}

/// An all-reduce (sum) whose only use slices one dim by some of its axes, one
/// after the other, is a reduce-scatter over those axes: each rank only needs
/// its nested block of the sum, and a ring reduce-scatter sends half of what
/// the all-reduce does. The axes no slice takes are all-reduced afterwards,
/// over the block: fewer bytes than the all-reduce of the whole buffer.
static void fuseReduceScatters(func::FuncOp func) {
  SmallVector<AllReduceOp> candidates;
  func.walk([&](AllReduceOp op) { candidates.push_back(op); });
  for (AllReduceOp reduce : candidates) {
    if (reduce.getKind() != ReductionKind::Sum)
      continue;
    SmallVector<ShardSliceOp> chain = sliceChain(reduce.getResult(), reduce.getAxes());
    if (chain.empty())
      continue;
    int64_t dim = chain.front().getDim();
    LocalAttr in = getLocalEncoding(reduce.getInput().getType());
    if (in && in.getHalo(dim))
      continue;
    SmallVector<Attribute> sliced, rest;
    for (ShardSliceOp slice : chain)
      sliced.push_back(slice.getAxisAttr());
    for (Attribute axis : reduce.getAxes())
      if (!llvm::is_contained(sliced, axis))
        rest.push_back(axis);
    ShardSliceOp last = chain.back();
    OpBuilder b(last);
    Value result = ReduceScatterOp::create(b, last.getLoc(), last.getResult().getType(),
                                           reduce.getInput(), last.getMesh(),
                                           b.getArrayAttr(sliced), dim, /*algorithm=*/nullptr);
    if (!rest.empty())
      result = AllReduceOp::create(b, reduce.getLoc(), result.getType(), result,
                                   reduce.getMesh(), b.getArrayAttr(rest), ReductionKind::Sum,
                                   /*algorithm=*/nullptr);
    last.getResult().replaceAllUsesWith(result);
    for (ShardSliceOp slice : llvm::reverse(chain))
      slice->erase();
    reduce->erase();
  }
}

LogicalResult Partitioner::run(func::FuncOp func) {
  // Rules are computed on global types, before any type is rewritten.
  DenseMap<Operation *, ShardingRule> rules;
  func.walk([&](ShardingRuleOpInterface op) { rules[op] = op.getShardingRule(); });
  for (BlockArgument arg : func.getArguments())
    if (auto type = dyn_cast<RankedTensorType>(arg.getType()))
      states[arg] = {type, AxisSplit::replicated(type.getRank())};

  for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
    // The plan is read once; its attributes are then spent (an expansion
    // below may erase `op`).
    FailureOr<FactorAssignment> plan = FactorAssignment();
    bool ruled = isa<ShardingRuleOpInterface>(op) && !isa<AttentionOp>(op);
    if (ruled)
      plan = readPlan(&op, rules[&op], mesh);
    if (failed(plan))
      return failure();
    op.removeAttr(kShardingsAttr);
    op.removeAttr(kOriginAttr);
    erasePlan(&op);
    LogicalResult result = success();
    if (auto annotate = dyn_cast<AnnotateOp>(op))
      result = partitionAnnotate(annotate);
    else if (auto attention = dyn_cast<AttentionOp>(op))
      result = partitionAttention(attention);
    else if (ruled && mayMoveSpectralAxis(&op))
      result = partitionSpectral(&op, rules[&op], *plan);
    else if (ruled)
      result = partitionRuled(cast<ShardingRuleOpInterface>(op), rules[&op], *plan);
    else if (auto constant = dyn_cast<ConstantOp>(op))
      states[constant] = {cast<RankedTensorType>(constant.getType()),
                          AxisSplit::replicated(constant.getType().getRank())};
    else if (!isa<func::ReturnOp>(op))
      result = op.emitOpError("has no partitioning rule");
    if (failed(result))
      return failure();
  }
  fuseReduceScatters(func);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  func.setType(FunctionType::get(func.getContext(), func.getBody().front().getArgumentTypes(),
                                 ret.getOperandTypes()));
  return success();
}

LogicalResult Partitioner::partitionAnnotate(AnnotateOp op) {
  Value input = op.getInput();
  AxisSplit want = AxisSplit::fromAttr(op.getSharding(), op.getInput().getType().getRank());
  if (!want.partial.empty())
    return op.emitOpError("a partial annotation cannot be partitioned");
  // A reshard propagation moved upstream of a conflict: its remark names the
  // op it lays the value out for, and says why.
  auto reason = op->getAttrOfType<StringAttr>(kReshardReasonAttr);
  auto arg = dyn_cast<BlockArgument>(input);
  if (arg && !reason && !states[arg].split.isSplit()) {
    // An input is read as slabs: each rank loads only its own block.
    setLocal(arg, states[arg].global, want);
  } else {
    OpBuilder b(op);
    Operation *user = reason && op->hasOneUse() ? *op->getUsers().begin() : op.getOperation();
    std::string why = reason ? reason.str() : "a quilt.annotate asks for another split";
    input = reshard(input, want, user, b, [&](int64_t) { return why; });
  }
  op.getResult().replaceAllUsesWith(input);
  op.erase();
  return success();
}

Value Partitioner::reshard(Value value, const AxisSplit &want, Operation *user, OpBuilder &b,
                           llvm::function_ref<std::string(int64_t)> why) {
  State state = states[value];
  LocalAttr local = getLocalEncoding(value.getType());
  bool haloed = local && local.getHalos() && !local.getHalos().empty();
  // A halo'd value is never relabelled (an identity reshape would drop the halo).
  SmallVector<ReshardStep> steps =
      planReshard(state.split, want, mesh, /*allowAllToAll=*/!haloed,
                  haloed ? ArrayRef<int64_t>() : state.global.getShape());
  // A reshape reads its operand's blocks as they are: relabels alone need no op.
  if (isa<ReshapeOp>(user) && llvm::all_of(steps, [](const ReshardStep &s) {
        return s.kind == ReshardStep::Kind::Relabel;
      }))
    return value;
  for (const ReshardStep &step : steps) {
    int64_t d = step.dim;
    switch (step.kind) {
    case ReshardStep::Kind::Relabel: {
      // The same layout under another name: an identity reshape retypes the
      // value (and reuses its buffer when nothing else reads it).
      state.split.granules.resize(state.split.dims.size(), 1);
      state.split.granules[d] = step.granule;
      value = ReshapeOp::create(b, user->getLoc(), localType(state.global, state.split, meshRef),
                                value);
      break;
    }
    case ReshardStep::Kind::Gather: {
      StringRef axis = step.axes.front();
      AxisSplit next = state.split;
      next.dims[d].pop_back();
      if (next.dims[d].empty() && d < (int64_t)next.granules.size())
        next.granules[d] = 1;
      auto type = localType(state.global, next, meshRef);
      value = AllGatherOp::create(b, user->getLoc(), type, value, meshRef.getValue(), axis, d,
                                  /*algorithm=*/nullptr);
      user->emitRemark() << "all-gather of dim " << d << " (split over mesh axis \"" << axis
                         << "\") before " << describeNode(user) << ": " << why(d);
      state.split = next;
      break;
    }
    case ReshardStep::Kind::AllToAll:
      states[value] = state;
      value = allToAll(value, d, step.toDim, step.axes, user->getLoc(), b);
      user->emitRemark() << "all-to-all moves " << describeAxes(step.axes) << " from dim " << d
                         << " to dim " << step.toDim << " before " << describeNode(user) << ": "
                         << why(d);
      state = states[value];
      break;
    case ReshardStep::Kind::Reblock: {
      // Rows that change owner move between neighbours; the remark says
      // why the blocks change (the reshard's reason) and what moves.
      AxisSplit next = state.split;
      next.granules.resize(next.dims.size(), 1);
      next.granules[d] = step.granule;
      auto type = localType(state.global, next, meshRef);
      value = ReblockOp::create(b, user->getLoc(), type, value, meshRef.getValue(), d);
      user->emitRemark() << "re-block of dim " << d << " (split over "
                         << describeAxes(step.axes) << ") from granules of "
                         << step.fromGranule << " to granules of " << step.granule
                         << " before " << describeNode(user) << ": " << why(d);
      state.split = next;
      break;
    }
    case ReshardStep::Kind::Slice: {
      AxisSplit next = state.split;
      next.dims[d].push_back(step.axes.front());
      next.granules.resize(next.dims.size(), 1);
      next.granules[d] = step.granule;
      auto type = localType(state.global, next, meshRef);
      value = ShardSliceOp::create(b, user->getLoc(), type, value, meshRef.getValue(),
                                   StringRef(step.axes.front()), d);
      state.split = next;
      break;
    }
    }
  }
  states[value] = state;
  return value;
}

Value Partitioner::haloExchange(Value value, int64_t dim, const Factor &factor, Operation *user,
                                OpBuilder &b) {
  State state = states[value];
  MLIRContext *ctx = b.getContext();
  auto window = WindowAttr::fromWindow(ctx, factor.window);
  auto boundary = static_cast<Boundary>(factor.boundary);
  auto halo = HaloAttr::get(ctx, dim, window, factor.resultSize, boundary);
  SmallVector<Attribute> halos;
  if (LocalAttr local = getLocalEncoding(value.getType()); local && local.getHalos())
    llvm::append_range(halos, local.getHalos());
  halos.push_back(halo);
  auto type = localType(state.global, state.split, meshRef, b.getArrayAttr(halos));
  auto op = HaloExchangeOp::create(b, user->getLoc(), type, value, meshRef.getValue(),
                                     StringRef(state.split.dims[dim].front()), dim, window,
                                     factor.size,
                                     factor.resultSize, boundary);
  states[op.getResult()] = state;
  return op.getResult();
}

LogicalResult Partitioner::partitionRuled(ShardingRuleOpInterface op, const ShardingRule &rule,
                                          const FactorAssignment &assignment) {
  // Rules and results are still global here.
  auto axes = assignment.axes;
  const auto &bases = assignment.baseGranules;

  // An op reading a halo'd operand keeps its global attributes (pads
  // included): the runtime reads the operand in global coordinates.
  OpBuilder b(op);
  for (auto [i, operand] : llvm::enumerate(op->getOpOperands())) {
    AxisSplit want = splitForOperand(rule, i, axes, bases);
    auto why = [&, i = i](int64_t d) -> std::string {
      int64_t f = rule.operandFactors[i][d];
      if (!assignment.changes[i][d].empty())
        return assignment.changes[i][d];
      if (f == kNoFactor || rule.factors[f].kind == FactorKind::Whole)
        return "it needs that dim whole";
      // A plan without propagation's reasons (written by hand, or searched).
      if (axes[f].empty())
        return "the plan does not split that dim's factor";
      return "the plan splits that dim's factor by " + describeAxes(axes[f]);
    };
    Value value = reshard(operand.get(), want, op, b, why);
    for (auto [d, f] : llvm::enumerate(rule.operandFactors[i])) {
      if (f == kNoFactor || axes[f].empty() || !rule.factors[f].needsHalo())
        continue;
      value = haloExchange(value, d, rule.factors[f], op, b);
    }
    operand.set(value);
  }

  // Recompute the result split from the laid-out operands: identical to
  // propagation's unless an operand was resharded.
  for (auto [r, result] : llvm::enumerate(op->getResults())) {
    AxisSplit split = splitForResult(rule, r, axes, bases);
    auto global = cast<RankedTensorType>(result.getType());
    if (getLocalEncoding(global))
      return op.emitOpError("is already partitioned");
    setLocal(result, global, split);
    if (!split.partial.empty() && failed(finishPartial(op, split)))
      return failure();
  }

  SmallVector<std::string> statAxes;
  for (auto [f, factor] : llvm::enumerate(rule.factors))
    if (factor.kind == FactorKind::Statistic)
      llvm::append_range(statAxes, axes[f]);
  if (auto softmax = dyn_cast<SoftmaxOp>(op.getOperation()); softmax && !statAxes.empty())
    expandSoftmax(softmax, softmax.getAxis(), statAxes);
  else if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op.getOperation());
           logSoftmax && !statAxes.empty())
    expandSoftmax(logSoftmax, logSoftmax.getAxis(), statAxes);
  else if (auto arg = dyn_cast<ArgReduceOp>(op.getOperation()); arg && !statAxes.empty())
    expandArgReduce(arg);
  else if (auto scan = dyn_cast<CumSumOp>(op.getOperation()); scan && !statAxes.empty())
    expandCumSum(scan);
  else if (isa<GroupNormOp, LayerNormOp>(op.getOperation()))
    expandNormalization(op, statAxes);
  return success();
}

/// Queries keep their split (batch dims and Tq dims); keys and values follow
/// the queries' batch splits. Keys split along Tk dims stay split for a ring
/// over every axis splitting them (not used by a batch dim), otherwise they
/// are gathered.
LogicalResult Partitioner::partitionAttention(AttentionOp op) {
  OpBuilder b(op);
  int64_t rank = op.getQ().getType().getRank(), firstToken = rank - 1 - op.getTokenDims();
  AxisSplit qWant = states[op.getQ()].split;
  qWant.dims[rank - 1].clear();
  AxisSplit kSplit = states[op.getK()].split, vSplit = states[op.getV()].split;
  // The ring runs over every axis splitting the keys (nested owners, the
  // major token dim's axes first).
  SmallVector<std::string, 2> ring;
  bool ringPlanned = ringAttention;
  if (auto planned = op->getAttrOfType<StringAttr>(kAttentionAlgorithmAttr))
    ringPlanned = planned.getValue() == "ring";
  op->removeAttr(kAttentionAlgorithmAttr);
  bool usable = ringPlanned;
  for (int64_t d = firstToken; d < rank - 1; ++d) {
    llvm::append_range(ring, kSplit.dims[d]);
    usable = usable && vSplit.sameDim(kSplit, d);
  }
  usable = usable && !ring.empty();
  for (int64_t d = 0; d < firstToken && usable; ++d)
    for (const std::string &axis : ring)
      usable = usable && !llvm::is_contained(qWant.dims[d], axis);
  if (!usable)
    ring.clear();
  // Keys, values and prefix keys of `dims` dims: the queries' batch split,
  // the rest whole.
  auto queriesBatch = [&](int64_t dims) {
    AxisSplit want = AxisSplit::replicated(dims);
    want.granules.assign(dims, 1);
    for (int64_t d = 0; d < firstToken; ++d) {
      want.dims[d] = qWant.dims[d];
      want.granules[d] = qWant.granule(d);
    }
    return want;
  };
  auto wantFor = [&](int64_t) {
    AxisSplit want = queriesBatch(rank);
    for (int64_t d = firstToken; d < rank - 1 && !ring.empty(); ++d) {
      want.dims[d] = kSplit.dims[d];
      want.granules[d] = kSplit.granule(d);
    }
    return want;
  };
  auto why = [&](int64_t d) -> std::string {
    if (d == rank - 1)
      return "attention needs feature dims whole";
    if (d >= firstToken)
      return ringPlanned ? "keys and values split differently from each other or on an axis "
                             "a batch dim uses cannot circulate in a ring"
                           : "attention=all-gather gathers keys and values";
    return "keys and values follow the queries' batch split";
  };
  Value q = reshard(op.getQ(), qWant, op, b, why);
  Value k = reshard(op.getK(), wantFor(1), op, b, why);
  Value v = reshard(op.getV(), wantFor(2), op, b, why);
  // Prefix keys and values: the queries' batch split, their tokens whole
  // (every rank attends to all of them, in or out of a ring).
  Value prefixK = op.getPrefixK(), prefixV = op.getPrefixV();
  if (prefixK && prefixV) {
    AxisSplit want = queriesBatch(firstToken + 2);
    auto prefixWhy = [&](int64_t d) -> std::string {
      return d < firstToken ? "prefix keys follow the queries' batch split"
                            : "every rank attends to all prefix tokens";
    };
    prefixK = reshard(prefixK, want, op, b, prefixWhy);
    prefixV = reshard(prefixV, want, op, b, prefixWhy);
  }
  // A bias [batch..., Tq.., Tk..]: the queries' split on batch and Tq dims
  // (broadcast dims of extent 1 stay whole), whole along Tk (a ring reads
  // the columns of every block).
  Value bias = op.getBias();
  if (bias) {
    RankedTensorType biasType = states[bias].global;
    int64_t biasRank = biasType.getRank(), tokens = op.getTokenDims();
    AxisSplit want = AxisSplit::replicated(biasRank);
    want.granules.assign(biasRank, 1);
    for (int64_t d = 0; d < firstToken + tokens; ++d)
      if (biasType.getDimSize(d) != 1) {
        want.dims[d] = qWant.dims[d];
        want.granules[d] = qWant.granule(d);
      }
    auto biasWhy = [&](int64_t d) -> std::string {
      return d < firstToken + tokens ? "the bias follows the queries' split"
                                     : "every key's column of the bias is read";
    };
    bias = reshard(bias, want, op, b, biasWhy);
  }
  auto global = cast<RankedTensorType>(op.getResult().getType());
  AxisSplit outSplit = qWant;
  Value result;
  if (ring.empty()) {
    op.getQMutable().set(q);
    op.getKMutable().set(k);
    op.getVMutable().set(v);
    if (prefixK && prefixV) {
      op.getPrefixKMutable().assign(prefixK);
      op.getPrefixVMutable().assign(prefixV);
    }
    if (bias)
      op.getBiasMutable().assign(bias);
    result = op.getResult();
  } else {
    result = RingAttentionOp::create(b, op.getLoc(), global, q, k, v, prefixK, prefixV, bias,
                                     meshRef.getValue(), StringRef(ring.front()),
                                     op.getTokenDims())
                 .getResult();
    op.getResult().replaceAllUsesWith(result);
    op->erase();
  }
  setLocal(result, global, outSplit);
  return success();
}

Value Partitioner::allReduce(OpBuilder &b, Location loc, Value value, ArrayRef<std::string> axes,
                             ReductionKind kind) {
  SmallVector<Attribute> names;
  for (const std::string &a : axes)
    names.push_back(b.getStringAttr(a));
  Value reduced = AllReduceOp::create(b, loc, value.getType(), value, meshRef.getValue(),
                                      b.getArrayAttr(names), kind, /*algorithm=*/nullptr);
  // A copy first: inserting `reduced` may grow the map under a reference.
  State state = states[value];
  states[reduced] = state;
  return reduced;
}

/// Softmax over a split axis: every rank subtracts the global max (one
/// all-reduce of max) and divides by the global sum of exponentials (one
/// all-reduce of sums), so the axis never has to be gathered. LogSoftmax
/// subtracts the log of that sum from the shifted input instead.
void Partitioner::expandSoftmax(Operation *op, int64_t axis, ArrayRef<std::string> statAxes) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value x = op->getOperand(0);
  State in = states[x];
  SmallVector<int64_t> shape(in.global.getShape());
  shape[axis] = 1;
  auto statGlobal = RankedTensorType::get(shape, in.global.getElementType());
  AxisSplit statSplit = in.split;
  statSplit.dims[axis].clear();
  auto axisAttr = b.getDenseI64ArrayAttr({axis});
  auto local = [&](Value v, RankedTensorType global, const AxisSplit &split) {
    setLocal(v, global, split);
    return v;
  };
  Value max = local(ReduceMaxOp::create(b, loc, statGlobal, x, axisAttr), statGlobal, statSplit);
  max = allReduce(b, loc, max, statAxes, ReductionKind::Max);
  Value shifted = local(SubOp::create(b, loc, x.getType(), x, max), in.global, in.split);
  Value exp = local(ExpOp::create(b, loc, shifted), in.global, in.split);
  Value sum = local(ReduceSumOp::create(b, loc, statGlobal, exp, axisAttr), statGlobal, statSplit);
  sum = allReduce(b, loc, sum, statAxes, ReductionKind::Sum);
  Value y;
  if (isa<LogSoftmaxOp>(op)) {
    Value logSum = local(LogOp::create(b, loc, sum), statGlobal, statSplit);
    y = local(SubOp::create(b, loc, x.getType(), shifted, logSum), in.global, in.split);
  } else {
    y = local(DivOp::create(b, loc, x.getType(), exp, sum), in.global, in.split);
  }
  op->getResult(0).replaceAllUsesWith(y);
  op->erase();
}

/// A normalization becomes local moments, a moments all-reduce over the
/// split statistic dims (when there are any), and the normalization proper.
void Partitioner::expandNormalization(Operation *op, ArrayRef<std::string> statAxes) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value x = op->getOperand(0);
  State in = states[x];
  int64_t rowDims = 1, groups = 1;
  bool perGroup = false;
  float epsilon = 0;
  if (auto norm = dyn_cast<GroupNormOp>(op)) {
    groups = norm.getGroups();
    perGroup = true;
    epsilon = norm.getEpsilon().convertToFloat();
  } else {
    auto layer = cast<LayerNormOp>(op);
    rowDims = layer.getAxis();
    epsilon = layer.getEpsilon().convertToFloat();
  }
  SmallVector<int64_t> shape(in.global.getShape().take_front(rowDims));
  shape.append({groups, 3});
  auto statGlobal = RankedTensorType::get(shape, in.global.getElementType());
  AxisSplit statSplit = AxisSplit::replicated(rowDims + 2);
  statSplit.granules.assign(rowDims + 2, 1);
  for (int64_t d = 0; d < rowDims; ++d) {
    statSplit.dims[d] = in.split.dims[d];
    statSplit.granules[d] = in.split.granule(d);
  }
  Value moments = MomentsOp::create(b, loc, statGlobal, x, b.getI64IntegerAttr(rowDims),
                                    b.getI64IntegerAttr(groups));
  setLocal(moments, statGlobal, statSplit);
  if (!statAxes.empty())
    moments = allReduce(b, loc, moments, statAxes, ReductionKind::Moments);
  Value y = NormalizeOp::create(b, loc, x.getType(), x, moments, op->getOperand(1),
                                op->getOperand(2), b.getI64IntegerAttr(rowDims),
                                b.getI64IntegerAttr(groups), b.getF32FloatAttr(epsilon),
                                b.getBoolAttr(perGroup));
  setLocal(y, in.global, in.split);
  op->getResult(0).replaceAllUsesWith(y);
  op->erase();
}

int64_t Partitioner::blockCount(const AxisSplit &split, int64_t dim) {
  int64_t blocks = 1;
  for (const std::string &axis : split.dims[dim])
    blocks *= mesh.getAxisSize(axis);
  return blocks;
}

/// The gathered values are per-block partials (one or two floats per rank
/// and position), not the split dim itself: no remark.
Value Partitioner::gatherBlocks(Value value, int64_t dim, Location loc, OpBuilder &b) {
  State state = states[value];
  while (!state.split.dims[dim].empty()) {
    std::string axis = state.split.dims[dim].back();
    state.split.dims[dim].pop_back();
    value = AllGatherOp::create(b, loc, localType(state.global, state.split, meshRef), value,
                                meshRef.getValue(), axis, dim, /*algorithm=*/nullptr);
    states[value] = state;
  }
  return value;
}

/// ArgMax/ArgMin over a split axis: each rank proposes its block's best
/// (value, global index) pair, the ranks along the axis all-gather the pairs
/// (P per position instead of the axis), and every rank picks the winner.
/// Blocks are in rank order, so ties resolve as on one rank.
void Partitioner::expandArgReduce(ArgReduceOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  State in = states[op.getInput()];
  int64_t axis = op.getAxis(), rank = in.global.getRank();
  SmallVector<int64_t> shape(in.global.getShape());
  shape[axis] = blockCount(in.split, axis);
  shape.push_back(2);
  auto pairsGlobal = RankedTensorType::get(shape, in.global.getElementType());
  AxisSplit pairsSplit = in.split;
  pairsSplit.dims.emplace_back();
  pairsSplit.granules.resize(rank + 1, 1);
  pairsSplit.granules[axis] = 1;
  auto min = b.getBoolAttr(op.getMin()), last = b.getBoolAttr(op.getSelectLast());
  Value pairs = ArgCandidatesOp::create(b, loc, pairsGlobal, op.getInput(), op.getAxisAttr(), min,
                                        last);
  setLocal(pairs, pairsGlobal, pairsSplit);
  pairs = gatherBlocks(pairs, axis, loc, b);
  State result = states[op.getResult()];
  Value index =
      ArgSelectOp::create(b, loc, op.getResult().getType(), pairs, op.getAxisAttr(), min, last);
  states[index] = result;
  op.getResult().replaceAllUsesWith(index);
  op->erase();
}

/// CumSum over a split axis: each rank scans its block and adds the total of
/// the blocks before it (after it, with reverse). The blocks' totals are
/// all-gathered along the axis (P per position), scanned exclusively on
/// every rank, and each rank slices out its own as the scan's carry.
void Partitioner::expandCumSum(CumSumOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  State in = states[op.getInput()];
  int64_t axis = op.getAxis(), rank = in.global.getRank();
  SmallVector<int64_t> shape(in.global.getShape());
  shape[axis] = blockCount(in.split, axis);
  auto totalsGlobal = RankedTensorType::get(shape, in.global.getElementType());
  AxisSplit totalsSplit = in.split;
  totalsSplit.granules.resize(rank, 1);
  totalsSplit.granules[axis] = 1;
  Value totals = BlockSumOp::create(b, loc, totalsGlobal, op.getInput(), op.getAxisAttr());
  setLocal(totals, totalsGlobal, totalsSplit);
  Value all = gatherBlocks(totals, axis, loc, b);
  State gathered = states[all];
  Value before = CumSumOp::create(b, loc, all.getType(), all, Value(), op.getAxisAttr(),
                                  b.getBoolAttr(true), b.getBoolAttr(op.getReverse()));
  states[before] = gathered;
  Value carry = reshard(before, totalsSplit, op, b, [](int64_t) {
    return std::string("each rank keeps its own block's carry");
  });
  op.getCarryMutable().assign(carry);
}

LogicalResult Partitioner::partitionSpectral(Operation *op, const ShardingRule &rule,
                                             const FactorAssignment &plan) {
  FailureOr<std::optional<AxisMove>> move = readAxisMove(op);
  if (failed(move))
    return failure();
  if (*move) {
    OpBuilder b(op);
    // The transpose serves a DFT: it carries the DFT's node (a Pad or Concat
    // ahead of one has it as its only user).
    Location loc = isa<DftOp>(op) ? op->getLoc() : (*op->getUsers().begin())->getLoc();
    for (OpOperand &operand : op->getOpOperands()) {
      AxisSplit moved = states[operand.get()].split;
      if (applyAxisMove(**move, moved))
        operand.set(allToAll(operand.get(), (*move)->from, (*move)->to, (*move)->axes, loc, b));
    }
  }
  op->removeAttr(kAxisMoveAttr);
  return partitionRuled(cast<ShardingRuleOpInterface>(op), rule, plan);
}

Value Partitioner::allToAll(Value value, int64_t from, int64_t to, ArrayRef<std::string> axes,
                            Location loc, OpBuilder &b) {
  State state = states[value];
  AxisSplit next = state.split;
  next.dims[from].resize(next.dims[from].size() - axes.size());
  llvm::append_range(next.dims[to], axes);
  next.granules.resize(next.dims.size(), 1);
  next.granules[to] = 1;
  if (next.dims[from].empty())
    next.granules[from] = 1;
  auto type = localType(state.global, next, meshRef);
  SmallVector<StringRef> names(axes.begin(), axes.end());
  Value moved = AllToAllOp::create(b, loc, type, value, meshRef.getValue(),
                                   b.getStrArrayAttr(names), from, to, /*algorithm=*/nullptr);
  states[moved] = {state.global, next};
  return moved;
}

/// Completes an op whose result is a partial sum (or max, or product): the mean's divisor
/// becomes the global count, a bias is added once after the reduction
/// instead of once per rank, and an all-reduce makes the value whole.
LogicalResult Partitioner::finishPartial(Operation *op, const AxisSplit &resultSplit) {
  Value result = op->getResult(0);
  OpBuilder b(op->getContext());
  b.setInsertionPointAfter(op);
  if (auto mean = dyn_cast<ReduceMeanOp>(op)) {
    double count = 1;
    auto global = states[mean.getInput()].global;
    for (int64_t d : mean.getDims())
      count *= global.getDimSize(d);
    if (!mean.getDivisorAttr())
      mean.setDivisorAttr(b.getF64FloatAttr(count));
  }
  Value bias;
  // Gemm's C is scaled by beta; the scaled C, too, is added once.
  float biasScale = 1;
  Activation activation = Activation::None;
  float alpha = 0;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    if (conv.getBias()) {
      bias = conv.getBias();
      conv.getBiasMutable().clear();
    }
    // A fused activation applies to the whole sum, not to each rank's part.
    activation = conv.getActivation();
    alpha = conv.getActivationAlpha().convertToFloat();
    conv.setActivation(Activation::None);
  }
  if (auto convT = dyn_cast<ConvTransposeOp>(op); convT && convT.getBias()) {
    bias = convT.getBias();
    convT.getBiasMutable().clear();
  }
  if (auto gemm = dyn_cast<GemmOp>(op); gemm && gemm.getC()) {
    biasScale = gemm.getBeta().convertToFloat();
    bias = gemm.getC();
    gemm.getCMutable().clear();
  }
  auto kind = isa<ReduceMaxOp>(op)    ? ReductionKind::Max
              : isa<ReduceProdOp>(op) ? ReductionKind::Prod
                                      : ReductionKind::Sum;
  SmallVector<Attribute> axes;
  for (const std::string &a : resultSplit.partial)
    axes.push_back(b.getStringAttr(a));
  auto reduced = AllReduceOp::create(b, op->getLoc(), result.getType(), result, meshRef.getValue(),
                                       b.getArrayAttr(axes), kind, /*algorithm=*/nullptr);
  Value whole = reduced.getResult();
  // Copies, not references into `states`: an insertion may grow the map.
  State resultState = states[result];
  states[whole] = resultState;
  if (bias) {
    // The bias must broadcast against the result: same rank, extent 1 elsewhere.
    auto resultType = cast<RankedTensorType>(result.getType());
    auto biasType = cast<RankedTensorType>(bias.getType());
    SmallVector<int64_t> shape(resultType.getRank(), 1);
    int64_t channelDim = isa<ConvOp, ConvTransposeOp>(op) ? 1 : resultType.getRank() - 1;
    if (biasType.getRank() == resultType.getRank())
      shape.assign(biasType.getShape().begin(), biasType.getShape().end());
    else
      shape[channelDim] = biasType.getNumElements();
    auto biasShape = RankedTensorType::get(shape, biasType.getElementType());
    if (biasShape != biasType)
      bias = ReshapeOp::create(b, op->getLoc(), biasShape, bias);
    if (biasScale != 1.0f) {
      auto scaleType =
          RankedTensorType::get(SmallVector<int64_t>(shape.size(), 1), biasType.getElementType());
      Value scale = ConstantOp::create(b, op->getLoc(), scaleType,
                                       DenseElementsAttr::get(scaleType, biasScale));
      bias = MulOp::create(b, op->getLoc(), bias.getType(), bias, scale);
    }
    auto add = AddOp::create(b, op->getLoc(), result.getType(), whole, bias);
    states[add.getResult()] = resultState;
    whole = add.getResult();
  }
  if (activation != Activation::None) {
    Value activated = activation == Activation::Relu
                          ? ReluOp::create(b, op->getLoc(), whole).getResult()
                          : LeakyReluOp::create(b, op->getLoc(), whole, b.getF32FloatAttr(alpha))
                                .getResult();
    states[activated] = resultState;
    whole = activated;
  }
  result.replaceAllUsesExcept(whole, reduced);
  return success();
}

struct Partition : quilt::impl::QuiltPartitionBase<Partition> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    if (meshes.size() != 1) {
      module.emitError("quilt-partition needs exactly one quilt.mesh, found ") << meshes.size();
      return signalPassFailure();
    }
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (attention != "ring" && attention != "all-gather") {
        module.emitError("quilt-partition: attention='") << attention
                                                           << "' is neither ring nor all-gather";
        return signalPassFailure();
      }
      Partitioner partitioner(meshes.front(), attention == "ring");
      if (failed(partitioner.run(func)))
        return signalPassFailure();
    }
  }
};
} // namespace
