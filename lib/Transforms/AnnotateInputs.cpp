//===- AnnotateInputs.cpp - create the mesh, pin input shardings -----------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/partition_math.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringMap.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTANNOTATEINPUTS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {
/// One value's requested split: tensor dim -> mesh axis index, and how
/// strongly (0 strongest).
struct ShardSpec {
  SmallVector<std::pair<int64_t, int64_t>> dims;
  int64_t priority = 0;
};

/// Parses `NAME:D[=A][@pN]` items; items without a colon continue the
/// previous value (`x:2=0,3=1@p1` arrives as "x:2=0", "3=1@p1"). The name is
/// everything before the last colon (torch names contain colons).
static FailureOr<llvm::StringMap<ShardSpec>> parseShardSpecs(ArrayRef<std::string> items,
                                                             std::string &error) {
  llvm::StringMap<ShardSpec> specs;
  ShardSpec *current = nullptr;
  for (StringRef item : items) {
    StringRef dimPart = item;
    if (item.contains(':')) {
      auto [name, rest] = item.rsplit(':');
      current = &specs[name];
      dimPart = rest;
    }
    if (!current) {
      error = ("--shard item '" + item + "' must start with NAME:").str();
      return failure();
    }
    if (auto at = dimPart.rfind("@p"); at != StringRef::npos) {
      int64_t priority;
      if (dimPart.drop_front(at + 2).getAsInteger(10, priority) || priority < 0 ||
          priority > kMaxUserPriority) {
        error = ("--shard item '" + item + "': a priority is @p0 to @p" +
                 Twine(kMaxUserPriority))
                    .str();
        return failure();
      }
      current->priority = priority;
      dimPart = dimPart.take_front(at);
    }
    auto [dimText, axisText] = dimPart.split('=');
    int64_t dim, axis = current->dims.size();
    if (dimText.getAsInteger(10, dim) || (!axisText.empty() && axisText.getAsInteger(10, axis))) {
      error = ("--shard item '" + item + "' is not DIM, DIM=AXIS or either with @pN").str();
      return failure();
    }
    current->dims.push_back({dim, axis});
  }
  return specs;
}

/// Default: split the largest spatial dims (2 and up), one per mesh axis;
/// ties go to the earlier dim.
static ShardSpec defaultSplit(RankedTensorType type, int64_t numAxes) {
  SmallVector<int64_t> spatial;
  for (int64_t d = 2; d < type.getRank(); ++d)
    spatial.push_back(d);
  llvm::stable_sort(spatial, [&](int64_t a, int64_t b) {
    return type.getDimSize(a) > type.getDimSize(b);
  });
  ShardSpec split;
  split.priority = kDefaultSplitPriority;
  for (int64_t a = 0; a < numAxes && a < (int64_t)spatial.size(); ++a)
    split.dims.push_back({spatial[a], a});
  llvm::sort(split.dims);
  // Re-number axes so the earlier tensor dim gets the earlier mesh axis.
  for (auto [i, entry] : llvm::enumerate(split.dims))
    entry.second = i;
  return split;
}

/// The values of `func` --shard can name: the ONNX values the importer
/// recorded and the model still computes, then outputs, then inputs (and
/// their aliases), later ones winning.
static llvm::StringMap<Value> namedValues(func::FuncOp func) {
  llvm::StringMap<Value> named;
  func.walk([&](Operation *op) {
    forEachOnnxValue(op, [&](StringRef name, OpResult result) { named[name] = result; });
  });
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, operand] : llvm::enumerate(ret.getOperands()))
    if (auto name = func.getResultAttrOfType<StringAttr>(i, "quilt.name"))
      named[name.getValue()] = operand;
  for (BlockArgument arg : func.getArguments()) {
    if (auto aliases = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "quilt.aliases"))
      for (auto alias : aliases.getAsRange<StringAttr>())
        named[alias.getValue()] = arg;
    if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "quilt.name"))
      named[name.getValue()] = arg;
  }
  return named;
}

struct AnnotateInputs : quilt::impl::QuiltAnnotateInputsBase<AnnotateInputs> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SmallVector<int64_t> shape(meshShape.begin(), meshShape.end());
    if (shape.empty())
      shape.push_back(1);
    if (shape.size() > static_cast<size_t>(kMaxMeshAxes)) {
      module.emitError("--mesh has ") << shape.size() << " axes; at most " << kMaxMeshAxes
                                      << " are supported";
      return signalPassFailure();
    }
    std::string error;
    auto specs = parseShardSpecs(SmallVector<std::string>(shard.begin(), shard.end()), error);
    if (failed(specs)) {
      module.emitError(error);
      return signalPassFailure();
    }

    OpBuilder builder(ctx);
    builder.setInsertionPointToStart(module.getBody());
    SmallVector<Attribute> axisNames;
    for (size_t i = 0; i < shape.size(); ++i)
      axisNames.push_back(builder.getStringAttr(meshAxisName(static_cast<int>(i))));
    if (!module.lookupSymbol<MeshOp>("mesh"))
      MeshOp::create(builder, module.getLoc(), "mesh", builder.getArrayAttr(axisNames),
                     builder.getDenseI64ArrayAttr(shape));

    llvm::StringSet<> used;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(annotateFunction(func, shape, axisNames, *specs, used)))
        return signalPassFailure();
    }
    for (auto &entry : *specs)
      if (!used.contains(entry.getKey())) {
        module.emitError("--shard names '")
            << entry.getKey()
            << "', which is no input, output or value of the model (a value fused into its "
               "consumer, e.g. a conv's output before its activation, is gone, and so are "
               "tokens quilt-keep-token-grid keeps as a grid: --keep-token-grid=false keeps "
               "them)";
        return signalPassFailure();
      }
  }

  /// Annotates every input (its --shard split, or the default one at the
  /// weakest priority) and every other value --shard names.
  LogicalResult annotateFunction(func::FuncOp func, ArrayRef<int64_t> shape,
                                 ArrayRef<Attribute> axisNames,
                                 const llvm::StringMap<ShardSpec> &specs, llvm::StringSet<> &used) {
    llvm::StringMap<Value> named = namedValues(func);
    // An input's spec, by its name or an alias (an Identity of it).
    DenseMap<Value, const ShardSpec *> inputSpecs;
    for (const auto &entry : specs)
      if (auto it = named.find(entry.getKey());
          it != named.end() && isa<BlockArgument>(it->second)) {
        inputSpecs[it->second] = &entry.getValue();
        used.insert(entry.getKey());
      }
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type)
        continue;
      auto nameAttr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "quilt.name");
      std::string name = nameAttr ? nameAttr.str() : ("arg" + std::to_string(arg.getArgNumber()));
      ShardSpec spec = defaultSplit(type, shape.size());
      if (const ShardSpec *given = inputSpecs.lookup(arg))
        spec = *given;
      else if (auto it = specs.find(name); it != specs.end()) {
        spec = it->second; // "argN" for an input without a name
        used.insert(name);
      }
      if (failed(annotate(func, arg, name, spec, shape, axisNames)))
        return failure();
    }
    for (const auto &entry : specs) {
      auto it = named.find(entry.getKey());
      if (it == named.end() || isa<BlockArgument>(it->second))
        continue;
      used.insert(entry.getKey());
      if (failed(annotate(func, it->second, entry.getKey(), entry.getValue(), shape, axisNames)))
        return failure();
    }
    return success();
  }

  /// Inserts a quilt.annotate of `value` per `spec` that all its uses read.
  LogicalResult annotate(func::FuncOp func, Value value, StringRef name, const ShardSpec &spec,
                         ArrayRef<int64_t> shape, ArrayRef<Attribute> axisNames) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return func.emitError("--shard names '") << name << "', which is not a ranked tensor";
    OpBuilder builder(func.getContext());
    if (auto result = dyn_cast<OpResult>(value))
      builder.setInsertionPointAfter(result.getOwner());
    else
      builder.setInsertionPointToStart(&func.getBody().front());
    SmallVector<SmallVector<Attribute>> dims(type.getRank());
    for (auto [dim, axis] : spec.dims) {
      if (dim < 0 || dim >= type.getRank() || axis < 0 || axis >= (int64_t)shape.size())
        return func.emitError("--shard ")
               << name << ":" << dim << "=" << axis << " is out of range (rank " << type.getRank()
               << ", mesh axes " << shape.size() << ")";
      for (auto &other : dims)
        if (llvm::is_contained(other, axisNames[axis]))
          return func.emitError("--shard ")
                 << name << ": mesh axis " << axis << " splits two dims; each axis can split one";
      // An axis of one rank splits nothing: the program stays unsharded there.
      if (shape[axis] > 1)
        dims[dim].push_back(axisNames[axis]);
    }
    SmallVector<Attribute> dimAttrs;
    for (auto &axes : dims)
      dimAttrs.push_back(builder.getArrayAttr(axes));
    auto meshRef = FlatSymbolRefAttr::get(func.getContext(), "mesh");
    auto sharding = ShardingAttr::get(func.getContext(), meshRef, builder.getArrayAttr(dimAttrs),
                                      ArrayAttr(), DenseI64ArrayAttr());
    IntegerAttr priority =
        spec.priority == 0 ? IntegerAttr() : builder.getI64IntegerAttr(spec.priority);
    auto annotate = AnnotateOp::create(builder, value.getLoc(), value, sharding, priority);
    annotate->setAttr(kValueNameAttr, builder.getStringAttr(name));
    value.replaceAllUsesExcept(annotate.getResult(), annotate);
    return success();
  }
};
} // namespace
