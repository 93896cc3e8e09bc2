//===- AnnotateInputs.cpp - create the mesh, pin input shardings -----------===//
#include "quilt/Transforms/Passes.h"

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
/// One input's requested split: tensor dim -> mesh axis index.
using DimToAxis = SmallVector<std::pair<int64_t, int64_t>>;

/// Parses `NAME:D[=A]` items; items without a colon continue the previous
/// input (`x:2=0,3=1` arrives as "x:2=0", "3=1").
static FailureOr<llvm::StringMap<DimToAxis>> parseShardSpecs(ArrayRef<std::string> items,
                                                             std::string &error) {
  llvm::StringMap<DimToAxis> specs;
  DimToAxis *current = nullptr;
  for (StringRef item : items) {
    StringRef dimPart = item;
    if (item.contains(':')) {
      auto [name, rest] = item.rsplit(':');
      current = &specs[name];
      dimPart = rest;
    }
    if (!current) {
      error = ("--shard item '" + item + "' must start with INPUT_NAME:").str();
      return failure();
    }
    auto [dimText, axisText] = dimPart.split('=');
    int64_t dim, axis = current->size();
    if (dimText.getAsInteger(10, dim) || (!axisText.empty() && axisText.getAsInteger(10, axis))) {
      error = ("--shard item '" + item + "' is not DIM or DIM=AXIS").str();
      return failure();
    }
    current->push_back({dim, axis});
  }
  return specs;
}

/// Default: split the largest spatial dims (2 and up), one per mesh axis;
/// ties go to the earlier dim.
static DimToAxis defaultSplit(RankedTensorType type, int64_t numAxes) {
  SmallVector<int64_t> spatial;
  for (int64_t d = 2; d < type.getRank(); ++d)
    spatial.push_back(d);
  llvm::stable_sort(spatial, [&](int64_t a, int64_t b) {
    return type.getDimSize(a) > type.getDimSize(b);
  });
  DimToAxis split;
  for (int64_t a = 0; a < numAxes && a < (int64_t)spatial.size(); ++a)
    split.push_back({spatial[a], a});
  llvm::sort(split);
  // Re-number axes so the earlier tensor dim gets the earlier mesh axis.
  for (auto [i, entry] : llvm::enumerate(split))
    entry.second = i;
  return split;
}

struct AnnotateInputs : quilt::impl::QuiltAnnotateInputsBase<AnnotateInputs> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SmallVector<int64_t> shape(meshShape.begin(), meshShape.end());
    if (shape.empty())
      shape.push_back(1);
    if (shape.size() > 3) {
      module.emitError("--mesh has ") << shape.size() << " axes; at most 3 are supported";
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
    const char *names[] = {"x", "y", "z"};
    for (size_t i = 0; i < shape.size(); ++i)
      axisNames.push_back(builder.getStringAttr(names[i]));
    if (!module.lookupSymbol<MeshOp>("mesh"))
      MeshOp::create(builder, module.getLoc(), "mesh", builder.getArrayAttr(axisNames),
                             builder.getDenseI64ArrayAttr(shape));

    llvm::StringSet<> used;
    module.walk([&](func::FuncOp func) {
      if (func.isExternal())
        return;
      annotateArguments(func, shape, axisNames, *specs, used);
    });
    for (auto &entry : *specs)
      if (!used.contains(entry.getKey())) {
        module.emitError("--shard names input '") << entry.getKey()
                                                   << "', which the model does not have";
        return signalPassFailure();
      }
  }

  void annotateArguments(func::FuncOp func, ArrayRef<int64_t> shape, ArrayRef<Attribute> axisNames,
                         const llvm::StringMap<DimToAxis> &specs, llvm::StringSet<> &used) {
    OpBuilder builder(func.getBody());
    auto meshRef = FlatSymbolRefAttr::get(func.getContext(), "mesh");
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type)
        continue;
      auto nameAttr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "quilt.name");
      std::string name = nameAttr ? nameAttr.str() : ("arg" + std::to_string(arg.getArgNumber()));
      DimToAxis split = defaultSplit(type, shape.size());
      if (auto it = specs.find(name); it != specs.end()) {
        split = it->second;
        used.insert(name);
      }
      SmallVector<SmallVector<Attribute>> dims(type.getRank());
      for (auto [dim, axis] : split) {
        if (dim < 0 || dim >= type.getRank() || axis < 0 || axis >= (int64_t)shape.size()) {
          func.emitError("--shard ") << name << ":" << dim << "=" << axis
                                     << " is out of range (input rank " << type.getRank()
                                     << ", mesh axes " << shape.size() << ")";
          return signalPassFailure();
        }
        for (auto &other : dims)
          if (llvm::is_contained(other, axisNames[axis])) {
            func.emitError("--shard ") << name << ": mesh axis " << axis
                                       << " splits two dims; each axis can split one";
            return signalPassFailure();
          }
        // An axis of one rank splits nothing: the program stays unsharded there.
        if (shape[axis] > 1)
          dims[dim].push_back(axisNames[axis]);
      }
      SmallVector<Attribute> dimAttrs;
      for (auto &axes : dims)
        dimAttrs.push_back(builder.getArrayAttr(axes));
      auto sharding = ShardingAttr::get(func.getContext(), meshRef,
                                        builder.getArrayAttr(dimAttrs), ArrayAttr(),
                                        DenseI64ArrayAttr());
      auto annotate = AnnotateOp::create(builder, arg.getLoc(), arg, sharding);
      arg.replaceAllUsesExcept(annotate.getResult(), annotate);
    }
  }
};
} // namespace
