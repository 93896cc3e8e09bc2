//===- LowerToRuntime.cpp - bufferize, plan memory, call the runtime -------===//
//
// The partitioned program is a straight line of ops over local tensors. Each
// tensor becomes a slice of one arena (or of the weights blob for constants);
// each op becomes `quilt_rt_<kernel>(ctx, params, buffers)` where `params` is
// a constant word array: tensor layouts, then attributes (docs/runtime-abi.md).
// Ops whose result depends on the rank alone (computedOnceAtStart: a rank's
// block of a weight, a large splat filled at run time) go into
// `quilt_model_init`, run once before the first step, into buffers that live
// as long as the program; everything else into `quilt_model_run`.
//
//===----------------------------------------------------------------------===//
#include "Quilt/IR/LocalBuffers.h"
#include "quilt/Analysis/CommunicationCost.h"
#include "quilt/Conversion/MemoryPlan.h"
#include "quilt/Conversion/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/halo_segments.h"
#include "quilt/runtime.h"
#include "quilt/weights_format.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"

#include <cstring>
#include <optional>

namespace quilt {
#define GEN_PASS_DEF_QUILTLOWERTORUNTIME
#include "quilt/Conversion/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {


/// The runtime's binary kind for a comparison.
static int64_t compareKind(ComparePredicate predicate) {
  switch (predicate) {
  case ComparePredicate::Less:
    return QUILT_BINARY_LESS;
  case ComparePredicate::LessEqual:
    return QUILT_BINARY_LESS_EQUAL;
  case ComparePredicate::Greater:
    return QUILT_BINARY_GREATER;
  case ComparePredicate::GreaterEqual:
    return QUILT_BINARY_GREATER_EQUAL;
  case ComparePredicate::Equal:
    return QUILT_BINARY_EQUAL;
  }
  return QUILT_BINARY_EQUAL;
}

static int64_t doubleBits(double value) {
  int64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// A splat constant larger than this is filled at run time (quilt_rt_fill)
/// into the arena rather than stored value by value in the weights blob: an
/// Expand to a huge shape must not cost its size in the compiler's memory and
/// on disk.
constexpr int64_t kFilledSplatElements = 1024;

/// The value an op's result is filled with at run time: a large splat
/// constant, or a rank's block of one (its shard_slice).
static std::optional<float> filledSplat(Operation *op) {
  if (auto slice = dyn_cast<ShardSliceOp>(op))
    op = slice->getOperand(0).getDefiningOp();
  auto constant = dyn_cast_or_null<ConstantOp>(op);
  if (!constant)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || !dense.isSplat() || !dense.getElementType().isF32() ||
      dense.getNumElements() <= kFilledSplatElements)
    return std::nullopt;
  return dense.getSplatValue<float>();
}

/// Whether a filled constant needs a buffer of its own: not when every user
/// is a shard_slice, which fills its block itself.
static bool needsOwnBuffer(ConstantOp constant) {
  return llvm::any_of(constant->getUsers(),
                      [](Operation *user) { return !isa<ShardSliceOp>(user); });
}

/// Layout words of one local tensor (runtime.h): rank, then 16 words per dim.
static void appendLayout(SmallVectorImpl<int64_t> &words, RankedTensorType type, MeshOp mesh) {
  LocalAttr local = getLocalEncoding(type);
  words.push_back(type.getRank());
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t global = local ? local.getGlobal()[d] : type.getDimSize(d);
    int64_t axis = -1;
    if (local) {
      auto axes = cast<ArrayAttr>(local.getDims()[d]);
      if (!axes.empty())
        axis = mesh.getAxisIndex(cast<StringAttr>(axes[0]).getValue());
    }
    HaloAttr halo = local ? local.getHalo(d) : HaloAttr();
    words.append({global, axis});
    if (halo) {
      WindowAttr w = halo.getWindow();
      words.append({w.getStride(), w.getDilation(), w.getKernel(), w.getPadLo(),
                    halo.getGlobalOut(), (int64_t)halo.getBoundary(), (int64_t)w.getMode(),
                    (int64_t)w.getCoordinate(), (int64_t)w.getSampling(), w.getScaleNum(),
                    w.getScaleDen()});
    } else {
      words.append({0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
    }
    words.push_back(local ? local.getGranule(d) : 1);
    // Minor mesh axes of a dim split in nested blocks.
    SmallVector<int64_t, 2> minor{-1, -1};
    if (local) {
      auto axes = cast<ArrayAttr>(local.getDims()[d]);
      for (size_t k = 1; k < axes.size() && k <= 2; ++k)
        minor[k - 1] = mesh.getAxisIndex(cast<StringAttr>(axes[k]).getValue());
    }
    words.append(minor.begin(), minor.end());
  }
}

/// The ABI number of a collective's recorded algorithm; none recorded: the
/// communicator's library.
static int64_t algorithmWord(Operation *collective) {
  return static_cast<int64_t>(
      recordedCollectiveAlgorithm(collective).value_or(CollectiveAlgorithm::Library));
}

static SmallVector<int64_t> spatialPads(ArrayRef<int64_t> pads, bool high) {
  size_t n = pads.size() / 2;
  return SmallVector<int64_t>(high ? pads.drop_front(n) : pads.take_front(n));
}

/// Kernel name and attribute words of an op, or failure for an op the runtime
/// does not implement.
static FailureOr<std::pair<StringRef, SmallVector<int64_t>>> kernelCall(Operation *op,
                                                                       MeshOp mesh) {
  auto pool = [&](auto poolOp, int64_t kind) -> FailureOr<std::pair<StringRef, SmallVector<int64_t>>> {
    SmallVector<int64_t> words{kind, poolOp.getCountIncludePad() ? 1 : 0,
                               (int64_t)poolOp.getKernelShape().size()};
    llvm::append_range(words, poolOp.getKernelShape());
    llvm::append_range(words, poolOp.getStrides());
    llvm::append_range(words, poolOp.getDilations());
    llvm::append_range(words, spatialPads(poolOp.getPads(), false));
    llvm::append_range(words, spatialPads(poolOp.getPads(), true));
    return std::make_pair(StringRef("quilt_rt_pool"), words);
  };
  auto reduce = [&](auto reduceOp, int64_t kind, double divisor) -> FailureOr<std::pair<StringRef, SmallVector<int64_t>>> {
    SmallVector<int64_t> words{kind, doubleBits(divisor), (int64_t)reduceOp.getDims().size()};
    llvm::append_range(words, reduceOp.getDims());
    return std::make_pair(StringRef("quilt_rt_reduce"), words);
  };
  auto axisIndex = [&](StringRef axis) { return mesh.getAxisIndex(axis); };
  // A list of mesh axes: its length, then each axis's index.
  auto appendAxes = [&](SmallVector<int64_t> &words, ArrayAttr axes) {
    words.push_back(axes.size());
    for (StringRef axis : axes.getAsValueRange<StringAttr>())
      words.push_back(axisIndex(axis));
  };
  using Result = FailureOr<std::pair<StringRef, SmallVector<int64_t>>>;
  return llvm::TypeSwitch<Operation *, Result>(op)
      .Case<ConvOp>([&](ConvOp conv) -> Result {
        SmallVector<int64_t> words{conv.getBias() ? 1 : 0, (int64_t)conv.getStrides().size(),
                                   (int64_t)conv.getGroup()};
        llvm::append_range(words, conv.getStrides());
        llvm::append_range(words, conv.getDilations());
        llvm::append_range(words, spatialPads(conv.getPads(), false));
        llvm::append_range(words, spatialPads(conv.getPads(), true));
        words.push_back(conv.getActivation() == Activation::Relu        ? QUILT_ACTIVATION_RELU
                        : conv.getActivation() == Activation::LeakyRelu ? QUILT_ACTIVATION_LEAKY_RELU
                                                                        : QUILT_ACTIVATION_NONE);
        words.push_back(doubleBits(conv.getActivationAlpha().convertToDouble()));
        return std::make_pair(StringRef("quilt_rt_conv"), words);
      })
      .Case<ConvTransposeOp>([&](ConvTransposeOp conv) -> Result {
        SmallVector<int64_t> words{conv.getBias() ? 1 : 0, (int64_t)conv.getStrides().size(),
                                   (int64_t)conv.getGroup()};
        llvm::append_range(words, conv.getStrides());
        llvm::append_range(words, conv.getDilations());
        llvm::append_range(words, conv.getPads().take_front(conv.getStrides().size()));
        return std::make_pair(StringRef("quilt_rt_conv_transpose"), words);
      })
      .Case<ResizeOp>([&](ResizeOp r) -> Result {
        SmallVector<int64_t> words{(int64_t)r.getScaleNums().size(), (int64_t)r.getCoordinate(),
                                   (int64_t)r.getSampling()};
        llvm::append_range(words, r.getScaleNums());
        llvm::append_range(words, r.getScaleDens());
        words.push_back(doubleBits(r.getCubicCoeffA().convertToDouble()));
        words.push_back(r.getExcludeOutside() ? 1 : 0);
        return std::make_pair(StringRef("quilt_rt_resize"), words);
      })
      .Case<ArgReduceOp, ArgCandidatesOp, ArgSelectOp>([&](auto a) -> Result {
        int64_t mode = isa<ArgCandidatesOp>(a.getOperation()) ? QUILT_ARG_CANDIDATES
                       : isa<ArgSelectOp>(a.getOperation())   ? QUILT_ARG_SELECT
                                                              : QUILT_ARG_INDEX;
        return std::make_pair(StringRef("quilt_rt_arg_reduce"),
                              SmallVector<int64_t>{(int64_t)a.getAxis(), a.getMin() ? 1 : 0,
                                                   a.getSelectLast() ? 1 : 0, mode});
      })
      .Case<CumSumOp>([&](CumSumOp c) -> Result {
        return std::make_pair(StringRef("quilt_rt_cumsum"),
                              SmallVector<int64_t>{(int64_t)c.getAxis(), c.getExclusive() ? 1 : 0,
                                                   c.getReverse() ? 1 : 0, c.getCarry() ? 1 : 0});
      })
      .Case<BlockSumOp>([&](BlockSumOp s) -> Result {
        // Each rank's local sum along the axis: a reduce over local extents.
        return std::make_pair(StringRef("quilt_rt_reduce"),
                              SmallVector<int64_t>{QUILT_REDUCE_SUM, doubleBits(1.0), 1,
                                                   (int64_t)s.getAxis()});
      })
      .Case<GatherElementsOp>([&](GatherElementsOp g) -> Result {
        return std::make_pair(StringRef("quilt_rt_gather_elements"),
                              SmallVector<int64_t>{(int64_t)g.getAxis()});
      })
      .Case<ElementwiseKernelOpInterface>([&](ElementwiseKernelOpInterface e) -> Result {
        if (e->getNumOperands() == 2)
          return std::make_pair(StringRef("quilt_rt_binary"),
                                SmallVector<int64_t>{e.getKernelKind()});
        // quilt_rt_unary takes two parameter words (alpha, beta), zero when unused.
        SmallVector<double, 2> params = e.getKernelParams();
        if (params.size() > 2)
          return e->emitOpError("has more kernel parameters than quilt_rt_unary takes");
        params.resize(2, 0.0);
        return std::make_pair(StringRef("quilt_rt_unary"),
                              SmallVector<int64_t>{e.getKernelKind(), doubleBits(params[0]),
                                                   doubleBits(params[1])});
      })
      .Case<CompareOp>([&](CompareOp c) -> Result {
        return std::make_pair(StringRef("quilt_rt_binary"),
                              SmallVector<int64_t>{compareKind(c.getPredicate())});
      })
      .Case<MaxPoolOp>([&](MaxPoolOp o) { return pool(o, QUILT_POOL_MAX); })
      .Case<AvgPoolOp>([&](AvgPoolOp o) { return pool(o, QUILT_POOL_AVG); })
      .Case<GemmOp>([&](GemmOp g) -> Result {
        return std::make_pair(StringRef("quilt_rt_gemm"),
                              SmallVector<int64_t>{g.getTransA(), g.getTransB(),
                                                   doubleBits(g.getAlpha().convertToDouble()),
                                                   doubleBits(g.getBeta().convertToDouble()),
                                                   g.getC() ? 1 : 0});
      })
      .Case<ReduceSumOp>([&](ReduceSumOp r) { return reduce(r, QUILT_REDUCE_SUM, 1.0); })
      .Case<ReduceMaxOp>([&](ReduceMaxOp r) { return reduce(r, QUILT_REDUCE_MAX, 1.0); })
      .Case<ReduceProdOp>([&](ReduceProdOp r) { return reduce(r, QUILT_REDUCE_PROD, 1.0); })
      .Case<ReduceMeanOp>([&](ReduceMeanOp r) {
        double count = 1;
        for (int64_t d : r.getDims())
          count *= r.getInput().getType().getDimSize(d);
        return reduce(r, QUILT_REDUCE_MEAN,
                      r.getDivisorAttr() ? r.getDivisorAttr().getValueAsDouble() : count);
      })
      .Case<ReshapeOp>([&](auto) -> Result {
        return std::make_pair(StringRef("quilt_rt_copy"), SmallVector<int64_t>{});
      })
      .Case<TransposeOp>([&](TransposeOp t) -> Result {
        SmallVector<int64_t> words{(int64_t)t.getPerm().size()};
        llvm::append_range(words, t.getPerm());
        return std::make_pair(StringRef("quilt_rt_transpose"), words);
      })
      .Case<PadOp>([&](PadOp pad) -> Result {
        int64_t rank = pad.getPadding().size() / 2;
        SmallVector<int64_t> words{rank};
        llvm::append_range(words, pad.getPadding().take_front(rank));
        words.push_back(doubleBits(pad.getValue().convertToDouble()));
        words.push_back((int64_t)pad.getMode());
        return std::make_pair(StringRef("quilt_rt_pad"), words);
      })
      .Case<SelectOp>([&](auto) -> Result {
        return std::make_pair(StringRef("quilt_rt_select"), SmallVector<int64_t>{});
      })
      .Case<AttentionOp>([&](AttentionOp a) -> Result {
        return std::make_pair(StringRef("quilt_rt_attention"),
                              SmallVector<int64_t>{(int64_t)a.getTokenDims()});
      })
      .Case<ReduceScatterOp>([&](ReduceScatterOp r) -> Result {
        SmallVector<int64_t> words{(int64_t)r.getDim()};
        appendAxes(words, r.getAxes());
        words.push_back(algorithmWord(r));
        return std::make_pair(StringRef("quilt_rt_reduce_scatter"), words);
      })
      .Case<CollectivePermuteOp>([&](CollectivePermuteOp c) -> Result {
        return std::make_pair(StringRef("quilt_rt_collective_permute"),
                              SmallVector<int64_t>{axisIndex(c.getAxis()), (int64_t)c.getShift()});
      })
      .Case<RingAttentionOp>([&](RingAttentionOp r) -> Result {
        return std::make_pair(StringRef("quilt_rt_ring_attention"),
                              SmallVector<int64_t>{axisIndex(r.getAxis()),
                                                   (int64_t)r.getTokenDims()});
      })
      .Case<EinsumOp>([&](EinsumOp e) -> Result {
        auto letters = e.parseEquation();
        if (failed(letters))
          return e.emitOpError("has a malformed equation");
        SmallVector<int64_t> words;
        for (const std::string &term : *letters) {
          words.push_back(term.size());
          for (char c : term)
            words.push_back(c - 'a');
        }
        return std::make_pair(StringRef("quilt_rt_einsum"), words);
      })
      .Case<SliceOp>([&](SliceOp slice) -> Result {
        SmallVector<int64_t> words{(int64_t)slice.getStarts().size()};
        llvm::append_range(words, slice.getStarts());
        llvm::append_range(words, slice.getSteps());
        return std::make_pair(StringRef("quilt_rt_slice"), words);
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](auto sm) -> Result {
        int64_t log = std::is_same_v<decltype(sm), LogSoftmaxOp> ? 1 : 0;
        return std::make_pair(StringRef("quilt_rt_softmax"),
                              SmallVector<int64_t>{(int64_t)sm.getAxis(), log});
      })
      .Case<MomentsOp>([&](MomentsOp m) -> Result {
        return std::make_pair(StringRef("quilt_rt_moments"),
                              SmallVector<int64_t>{(int64_t)m.getRowDims(), (int64_t)m.getGroups()});
      })
      .Case<NormalizeOp>([&](NormalizeOp n) -> Result {
        return std::make_pair(StringRef("quilt_rt_normalize"),
                              SmallVector<int64_t>{(int64_t)n.getRowDims(), (int64_t)n.getGroups(),
                                                   doubleBits(n.getEpsilon().convertToDouble()),
                                                   n.getPerGroup() ? 1 : 0});
      })
      .Case<ConcatOp>([&](ConcatOp c) -> Result {
        return std::make_pair(StringRef("quilt_rt_concat"), SmallVector<int64_t>{(int64_t)c.getAxis()});
      })
      .Case<DftOp>([&](DftOp d) -> Result {
        return std::make_pair(StringRef("quilt_rt_dft"),
                              SmallVector<int64_t>{(int64_t)d.getAxis(), d.getInverse() ? 1 : 0,
                                                   d.getOnesided() ? 1 : 0});
      })
      .Case<HaloExchangeOp>([&](HaloExchangeOp h) -> Result {
        return std::make_pair(StringRef("quilt_rt_halo_exchange"),
                              SmallVector<int64_t>{(int64_t)h.getDim()});
      })
      .Case<ReblockOp>([&](ReblockOp r) -> Result {
        return std::make_pair(StringRef("quilt_rt_reblock"),
                              SmallVector<int64_t>{(int64_t)r.getDim()});
      })
      .Case<AllReduceOp>([&](AllReduceOp a) -> Result {
        int64_t kind = a.getKind() == ReductionKind::Max       ? QUILT_REDUCE_MAX
                       : a.getKind() == ReductionKind::Moments ? QUILT_REDUCE_MOMENTS
                       : a.getKind() == ReductionKind::Prod    ? QUILT_REDUCE_PROD
                                                               : QUILT_REDUCE_SUM;
        SmallVector<int64_t> words{kind};
        appendAxes(words, a.getAxes());
        words.push_back(algorithmWord(a));
        return std::make_pair(StringRef("quilt_rt_all_reduce"), words);
      })
      .Case<AllGatherOp>([&](AllGatherOp g) -> Result {
        return std::make_pair(StringRef("quilt_rt_all_gather"),
                              SmallVector<int64_t>{(int64_t)g.getDim(), axisIndex(g.getAxis()),
                                                   algorithmWord(g)});
      })
      .Case<AllToAllOp>([&](AllToAllOp a) -> Result {
        SmallVector<int64_t> words{(int64_t)a.getDim(), (int64_t)a.getToDim()};
        appendAxes(words, a.getAxes());
        words.push_back(algorithmWord(a));
        return std::make_pair(StringRef("quilt_rt_all_to_all"), words);
      })
      .Case<ShardSliceOp>([&](auto) -> Result {
        return std::make_pair(StringRef("quilt_rt_shard_slice"), SmallVector<int64_t>{});
      })
      .Default([&](Operation *other) -> Result {
        return other->emitOpError("has no runtime lowering");
      });
}

/// Where a tensor value lives at run time.
struct Placement {
  bool inWeights = false;
  int64_t offset = 0;
};

class RuntimeLowering {
public:
  /// `target` and `alignment` come from the target registry (quiltc --target).
  RuntimeLowering(ModuleOp module, MeshOp mesh, StringRef target, int64_t alignment)
      : module(module), mesh(mesh), target(target.str()), alignment(alignment) {}
  LogicalResult run(func::FuncOp func, StringRef weightsFile);

private:
  LogicalResult placeValues(func::FuncOp func);
  /// `quilt_model_init` (the ops computed once at start-up) or
  /// `quilt_model_run` (one step: every other op).
  LogicalResult emitProgram(func::FuncOp func, StringRef name, bool once);
  /// `dtype`: the .npy dtype of a model input or output (float32 when null).
  llvm::json::Object describeValue(Value value, StringRef name, StringAttr dtype);
  void emitInfo(func::FuncOp func);
  LLVM::LLVMFuncOp declareRuntime(StringRef name, Type result, ArrayRef<Type> args);

  ModuleOp module;
  /// The op words' globals made so far (their names are numbered).
  int paramsCount = 0;
  MeshOp mesh;
  std::string target;
  int64_t alignment;
  DenseMap<Value, Placement> placements;
  std::vector<char> weights;
  int64_t arenaBytes = 0;
  /// The pack region every communication op packs into in turn: the most
  /// any op uses on any rank (CommunicationCost::packBytesPerRank).
  int64_t packScratchBytes = 0;
};

LogicalResult RuntimeLowering::placeValues(func::FuncOp func) {
  Block &body = func.getBody().front();
  SmallVector<Value> values;
  SmallVector<BufferRequest> requests;
  DenseMap<Value, int64_t> index;
  int64_t end = body.getOperations().size();
  SmallVector<std::pair<Value, Value>> aliases;
  // An elementwise op (or a reshape) may write its result over an operand
  // (LocalBuffers.h, which the plan cost model reads too).
  auto reusableOperand = [&](Operation &op) -> Value {
    return operandReusedInPlace(op, mesh, [&](Value v) { return index.count(v) > 0; });
  };
  // Layout words and buffer bounds trust the encodings: check them first.
  auto checkLocal = [&](Value v, Operation *at) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type)
      return at->emitOpError("only ranked tensors can be lowered");
    if (LocalAttr local = getLocalEncoding(type))
      return local.verifyFor(at, type);
    if (!type.hasStaticShape())
      return at->emitOpError("a dynamic dim needs a #quilt.local encoding");
    return success();
  };
  for (BlockArgument arg : body.getArguments())
    if (failed(checkLocal(arg, func)))
      return failure();
  for (Operation &op : body)
    for (Value result : op.getResults())
      if (failed(checkLocal(result, &op)))
        return failure();
  auto request = [&](Value v, int64_t first) {
    index[v] = values.size();
    values.push_back(v);
    requests.push_back({localBufferBytes(v.getType(), mesh), first, first});
  };
  for (BlockArgument arg : body.getArguments())
    request(arg, -1);
  // Results computed once at start-up, which every step reads.
  SmallVector<Value> persistent;
  for (auto [step, op] : llvm::enumerate(body)) {
    for (Value operand : op.getOperands())
      if (auto it = index.find(operand); it != index.end())
        requests[it->second].last = std::max<int64_t>(requests[it->second].last, step);
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      if (constant->use_empty())
        continue; // nothing reads it: keep it out of the weights file
      if (filledSplat(constant)) {
        if (needsOwnBuffer(constant)) {
          request(constant.getResult(), step);
          persistent.push_back(constant.getResult());
        }
        continue;
      }
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense || !dense.getElementType().isF32())
        return constant.emitOpError("only f32 dense constants can become weights");
      weights.resize((weights.size() + alignment - 1) / alignment * alignment);
      placements[constant] = {true, (int64_t)weights.size()};
      for (float f : dense.getValues<float>()) {
        const char *bytes = reinterpret_cast<const char *>(&f);
        weights.insert(weights.end(), bytes, bytes + sizeof(float));
      }
      continue;
    }
    if (isa<func::ReturnOp>(op)) {
      for (Value v : op.getOperands()) {
        if (!index.count(v) || isa<BlockArgument>(v))
          return op.emitOpError("returns an input or a constant directly; not supported");
        requests[index[v]].last = end; // outputs outlive the program
      }
      continue;
    }
    if (Value reused = reusableOperand(op)) {
      // The result overwrites an operand that dies here: one buffer for both.
      // Read before inserting: an insertion may move the map's storage.
      int64_t slot = index.lookup(reused);
      index[op.getResult(0)] = slot;
      aliases.push_back({op.getResult(0), reused});
      continue;
    }
    for (Value result : op.getResults()) {
      request(result, step);
      if (computedOnceAtStart(&op))
        persistent.push_back(result);
    }
  }
  // Inputs are written once before the first run and read by every run, as
  // are the results of quilt_model_init.
  for (Value v : llvm::concat<Value>(body.getArguments(), persistent))
    requests[index[v]] = {requests[index[v]].bytes, -1, end};
  MemoryPlan plan = planMemory(requests, alignment);
  for (auto [i, v] : llvm::enumerate(values))
    placements[v] = {false, plan.offsets[i]};
  for (auto [alias, reused] : aliases) {
    // Copy before inserting: an insertion may move the map's storage.
    Placement placement = placements.lookup(reused);
    placements[alias] = placement;
  }
  arenaBytes = plan.arenaBytes;
  return success();
}

LLVM::LLVMFuncOp RuntimeLowering::declareRuntime(StringRef name, Type result,
                                                 ArrayRef<Type> args) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name,
                                    LLVM::LLVMFunctionType::get(result, args));
}

LogicalResult RuntimeLowering::emitProgram(func::FuncOp func, StringRef programName, bool once) {
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto arenaFn = declareRuntime("quilt_rt_arena", ptr, {ptr});
  auto weightsFn = declareRuntime("quilt_rt_weights", ptr, {ptr});

  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = func.getLoc();
  auto run = LLVM::LLVMFuncOp::create(b, loc, programName,
                                        LLVM::LLVMFunctionType::get(voidType, {ptr}));
  Block *entry = run.addEntryBlock(b);
  Value ctxArg = entry->getArgument(0);
  b.setInsertionPointToStart(entry);
  Value arena = LLVM::CallOp::create(b, loc, arenaFn, ValueRange{ctxArg}).getResult();
  Value weightsBase = LLVM::CallOp::create(b, loc, weightsFn, ValueRange{ctxArg}).getResult();
  size_t maxBuffers = 1;
  for (Operation &op : func.getBody().front())
    maxBuffers = std::max<size_t>(maxBuffers, op.getNumOperands() + op.getNumResults());
  Value count = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(maxBuffers));
  Value buffers = LLVM::AllocaOp::create(b, loc, ptr, ptr, count, 8);

  auto addressOf = [&](Value v) -> Value {
    Placement p = placements.lookup(v);
    Value base = p.inWeights ? weightsBase : arena;
    // A 64-bit offset: arenas of large domains pass 2 GiB.
    Value offset = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(p.offset));
    return LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), base, ValueRange{offset});
  };

  for (Operation &op : func.getBody().front()) {
    if (isa<func::ReturnOp>(op) || computedOnceAtStart(&op) != once)
      continue;
    if (auto constant = dyn_cast<ConstantOp>(op);
        constant && (!filledSplat(constant) || !needsOwnBuffer(constant)))
      continue;
    // A reshape that reuses its operand's buffer moves no data.
    if (isa<ReshapeOp>(op) && placements.lookup(op.getResult(0)).offset ==
                                  placements.lookup(op.getOperand(0)).offset &&
        !placements.lookup(op.getOperand(0)).inWeights)
      continue;
    std::optional<float> fillValue = filledSplat(&op);
    // words: the value.
    auto call = fillValue ? FailureOr<std::pair<StringRef, SmallVector<int64_t>>>(std::make_pair(
                                StringRef("quilt_rt_fill"),
                                SmallVector<int64_t>{doubleBits(*fillValue)}))
                          : kernelCall(&op, mesh);
    if (failed(call))
      return failure();
    // A fill writes its result only (its constant operand has no buffer).
    SmallVector<Value> tensors;
    if (!fillValue)
      llvm::append_range(tensors, op.getOperands());
    llvm::append_range(tensors, op.getResults());
    SmallVector<int64_t> words{(int64_t)tensors.size()};
    for (Value t : tensors)
      appendLayout(words, cast<RankedTensorType>(t.getType()), mesh);
    llvm::append_range(words, call->second);

    // The op's constant parameter words.
    OpBuilder gb(ctx);
    gb.setInsertionPointToStart(module.getBody());
    auto arrayType = LLVM::LLVMArrayType::get(i64, words.size());
    std::string name = "__quilt_params_" + std::to_string(paramsCount++);
    auto global = LLVM::GlobalOp::create(gb, 
        loc, arrayType, /*isConstant=*/true, LLVM::Linkage::Internal, name,
        DenseElementsAttr::get(RankedTensorType::get({(int64_t)words.size()}, i64),
                               ArrayRef<int64_t>(words)));
    global.setAlignment(8);

    for (auto [i, t] : llvm::enumerate(tensors)) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, buffers,
                                         ArrayRef<LLVM::GEPArg>{(int32_t)i});
      LLVM::StoreOp::create(b, loc, addressOf(t), slot);
    }
    Value params = LLVM::AddressOfOp::create(b, loc, ptr, name);
    auto fn = declareRuntime(call->first, voidType, {ptr, ptr, ptr});
    LLVM::CallOp::create(b, op.getLoc(), fn, ValueRange{ctxArg, params, buffers});
  }
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

llvm::json::Object RuntimeLowering::describeValue(Value value, StringRef name, StringAttr dtype) {
  SmallVector<int64_t> layout;
  appendLayout(layout, cast<RankedTensorType>(value.getType()), mesh);
  llvm::json::Array words;
  for (int64_t w : layout)
    words.push_back(w);
  return llvm::json::Object{{"name", name.str()},
                            {"dtype", dtype ? dtype.getValue().str() : "float32"},
                            {"layout", std::move(words)},
                            {"arena_offset", placements.lookup(value).offset}};
}

void RuntimeLowering::emitInfo(func::FuncOp func) {
  llvm::json::Array axes, inputs, outputs;
  for (auto [name, size] : llvm::zip(mesh.getAxisNames(), mesh.getShape()))
    axes.push_back(llvm::json::Object{{"name", cast<StringAttr>(name).str()}, {"size", size}});
  for (BlockArgument arg : func.getArguments()) {
    auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "quilt.name");
    inputs.push_back(describeValue(arg, name ? name.getValue() : "input",
                                   func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                                     "quilt.dtype")));
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "quilt.name");
    outputs.push_back(describeValue(v, name ? name.getValue() : "output",
                                    func.getResultAttrOfType<StringAttr>(i, "quilt.dtype")));
  }
  llvm::json::Object info{
      {"version", 1},
      {"target", target},
      // quiltc --tf32 (the module's quilt.math): the runtime's libraries may
      // compute products and convolutions on tensor cores.
      {"math", allowsTf32(module) ? "tf32" : "fp32"},
      {"mesh", llvm::json::Object{{"name", mesh.getSymName().str()}, {"axes", std::move(axes)}}},
      {"arena_bytes", arenaBytes},
      {"arena_alignment", alignment},
      {"pack_scratch_bytes", packScratchBytes},
      {"weights",
       llvm::json::Object{
           {"bytes", (int64_t)weights.size()},
           {"checksum", weights::checksumHex(weights::fnv1a64(weights.data(), weights.size()))}}},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(info));
  text.push_back('\0');

  OpBuilder b(module.getContext());
  b.setInsertionPointToStart(module.getBody());
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
  LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true, LLVM::Linkage::External,
                           "quilt_model_info", b.getStringAttr(text));
}

LogicalResult RuntimeLowering::run(func::FuncOp func, StringRef weightsFile) {
  if (!llvm::hasSingleElement(func.getBody()))
    return func.emitOpError("must have a single block");
  auto costs = communicationCosts(func, mesh);
  if (failed(costs))
    return failure();
  for (uint64_t bytes : packScratchBytesPerRank(*costs, MeshGrid(mesh).numRanks()))
    packScratchBytes = std::max(packScratchBytes, static_cast<int64_t>(bytes));
  if (failed(placeValues(func)) || failed(emitProgram(func, "quilt_model_init", /*once=*/true)) ||
      failed(emitProgram(func, "quilt_model_run", /*once=*/false)))
    return failure();
  emitInfo(func);
  MLIRContext *ctx = module.getContext();
  module->setAttr("quilt.arena_bytes", IntegerAttr::get(IntegerType::get(ctx, 64), arenaBytes));
  module->setAttr("quilt.pack_scratch_bytes",
                  IntegerAttr::get(IntegerType::get(ctx, 64), packScratchBytes));
  module->setAttr("quilt.weights_bytes",
                  IntegerAttr::get(IntegerType::get(ctx, 64), (int64_t)weights.size()));
  if (!weightsFile.empty()) {
    std::string error;
    if (!weights::writeFile(weightsFile.str(), weights.data(), weights.size(), error))
      return module.emitError(error);
  }
  return success();
}

struct LowerToRuntime : quilt::impl::QuiltLowerToRuntimeBase<LowerToRuntime> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
    if (meshes.size() != 1 || funcs.size() != 1) {
      module.emitError("quilt-lower-to-runtime needs one quilt.mesh and one function, found ")
          << meshes.size() << " and " << funcs.size();
      return signalPassFailure();
    }
    if (alignment < 1 || (alignment & (alignment - 1))) {
      module.emitError("quilt-lower-to-runtime: alignment ") << alignment
                                                             << " is not a power of two";
      return signalPassFailure();
    }
    // The runtime's layouts hold at most QUILT_MAX_RANK dims.
    for (BlockArgument arg : funcs.front().getArguments())
      if (auto tensor = dyn_cast<RankedTensorType>(arg.getType());
          tensor && tensor.getRank() > QUILT_MAX_RANK) {
        funcs.front().emitOpError("input ")
            << arg.getArgNumber() << " has rank " << tensor.getRank()
            << "; the runtime handles at most " << static_cast<int64_t>(QUILT_MAX_RANK) << " dims";
        return signalPassFailure();
      }
    WalkResult ranks = funcs.front().walk([&](Operation *op) {
      for (Type type : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
        if (auto tensor = dyn_cast<RankedTensorType>(type);
            tensor && tensor.getRank() > QUILT_MAX_RANK) {
          op->emitOpError("has a tensor of rank ")
              << tensor.getRank() << "; the runtime handles at most "
              << static_cast<int64_t>(QUILT_MAX_RANK) << " dims";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (ranks.wasInterrupted())
      return signalPassFailure();
    RuntimeLowering lowering(module, meshes.front(), target, alignment);
    if (failed(lowering.run(funcs.front(), weightsFile)))
      return signalPassFailure();
    funcs.front().erase();
    meshes.front().erase();
  }
};
} // namespace
