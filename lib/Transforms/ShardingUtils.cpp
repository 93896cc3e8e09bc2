//===- ShardingUtils.cpp - shardings as editable per-dim axis lists --------===//
#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace quilt;

AxisSplit AxisSplit::replicated(int64_t rank) {
  AxisSplit split;
  split.dims.resize(rank);
  return split;
}

AxisSplit AxisSplit::fromAttr(ShardingAttr attr, int64_t rank) {
  AxisSplit split = replicated(rank);
  if (!attr)
    return split;
  for (int64_t d = 0; d < rank; ++d)
    for (StringRef axis : attr.getDimAxes(d))
      split.dims[d].push_back(axis.str());
  for (StringRef axis : attr.getPartialAxes())
    split.partial.push_back(axis.str());
  if (attr.getGranules())
    split.granules.assign(attr.getGranules().asArrayRef().begin(),
                          attr.getGranules().asArrayRef().end());
  return split;
}

/// The granules attribute of `split`, or null when every split dim is plain.
static DenseI64ArrayAttr granulesAttr(MLIRContext *ctx, const AxisSplit &split) {
  SmallVector<int64_t> granules;
  bool any = false;
  for (size_t d = 0; d < split.dims.size(); ++d) {
    int64_t g = split.dims[d].empty() ? 1 : split.granule(d);
    any |= g != 1;
    granules.push_back(g);
  }
  return any ? DenseI64ArrayAttr::get(ctx, granules) : DenseI64ArrayAttr();
}

static ArrayAttr toArrayAttr(Builder &b, ArrayRef<std::string> names) {
  SmallVector<Attribute> attrs;
  for (const std::string &name : names)
    attrs.push_back(b.getStringAttr(name));
  return b.getArrayAttr(attrs);
}

ShardingAttr AxisSplit::toAttr(MLIRContext *ctx, FlatSymbolRefAttr mesh) const {
  Builder b(ctx);
  SmallVector<Attribute> dimAttrs;
  for (const auto &axes : dims)
    dimAttrs.push_back(toArrayAttr(b, axes));
  return ShardingAttr::get(ctx, mesh, b.getArrayAttr(dimAttrs),
                           partial.empty() ? ArrayAttr() : toArrayAttr(b, partial),
                           granulesAttr(ctx, *this));
}

bool AxisSplit::isSplit() const {
  return llvm::any_of(dims, [](const auto &axes) { return !axes.empty(); });
}

RankedTensorType quilt::localType(RankedTensorType global, const AxisSplit &split,
                                  FlatSymbolRefAttr mesh, ArrayAttr halos) {
  if (!split.isSplit())
    return RankedTensorType::get(global.getShape(), global.getElementType());
  SmallVector<int64_t> shape(global.getShape());
  for (auto [d, axes] : llvm::enumerate(split.dims))
    if (!axes.empty())
      shape[d] = ShapedType::kDynamic;
  AxisSplit whole = split;
  whole.partial.clear();
  MLIRContext *ctx = global.getContext();
  auto encoding = LocalAttr::get(ctx, mesh, global.getShape(), whole.toAttr(ctx, mesh).getDims(),
                                 halos, granulesAttr(ctx, whole));
  return RankedTensorType::get(shape, global.getElementType(), encoding);
}

AxisSplit quilt::getResultSplit(Operation *op, unsigned index) {
  auto rank = cast<RankedTensorType>(op->getResult(index).getType()).getRank();
  auto all = op->getAttrOfType<ArrayAttr>(kShardingsAttr);
  if (!all || index >= all.size())
    return AxisSplit::replicated(rank);
  return AxisSplit::fromAttr(dyn_cast<ShardingAttr>(all[index]), rank);
}

AxisSplit quilt::getValueSplit(Value value) {
  if (Operation *op = value.getDefiningOp())
    return getResultSplit(op, cast<OpResult>(value).getResultNumber());
  return AxisSplit::replicated(cast<RankedTensorType>(value.getType()).getRank());
}

std::string quilt::describeNode(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (name.empty())
    return op->getName().getStringRef().str();
  return "ONNX node '" + name + "' (" + op->getName().getStringRef().str() + ")";
}

/// The axes each factor of `rule` is split by, taken from the operands in
/// order (the first operand to split a factor wins; later ones are resharded
/// by the partitioner). Whole factors get none.
SmallVector<SmallVector<std::string, 1>> quilt::factorAxes(const ShardingRule &rule,
                                                           ArrayRef<AxisSplit> operands,
                                                           std::string &origin,
                                                           SmallVectorImpl<int64_t> *baseGranules) {
  SmallVector<SmallVector<std::string, 1>> axes(rule.factors.size());
  SmallVector<int64_t> bases(rule.factors.size(), 1);
  llvm::StringSet<> taken;
  auto note = [&](size_t operandIndex, size_t dim, StringRef what) {
    origin += (origin.empty() ? "" : "; ") + ("operand " + Twine(operandIndex) + " dim " +
                                              Twine(dim) + " " + what).str();
  };
  for (auto [i, operand] : llvm::enumerate(operands)) {
    for (auto [d, factor] : llvm::enumerate(rule.operandFactors[i])) {
      if (factor == kNoFactor || operand.dims[d].empty() || !axes[factor].empty())
        continue;
      const Factor &f = rule.factors[factor];
      if (f.kind == FactorKind::Whole) {
        note(i, d, "is needed whole");
        continue;
      }
      if (llvm::any_of(operand.dims[d], [&](const std::string &a) { return taken.contains(a); }))
        continue;
      // The split must fall on whole positions of the factor: a dim spanning
      // `m` positions per factor position needs granules that are multiples of m.
      int64_t m = rule.operandMultiplier(i, d), g = operand.granule(d);
      if (g % m != 0) {
        note(i, d, "is split inside the positions a reshape merges");
        continue;
      }
      bases[factor] = g / m;
      for (const std::string &a : operand.dims[d])
        taken.insert(a);
      axes[factor] = operand.dims[d];
      note(i, d, ("(" + Twine(stringifyFactorKind(f.kind)) + ")").str());
    }
  }
  if (baseGranules)
    baseGranules->assign(bases.begin(), bases.end());
  return axes;
}

static AxisSplit splitFor(ArrayRef<int64_t> factors, llvm::function_ref<int64_t(size_t)> multiplier,
                          ArrayRef<SmallVector<std::string, 1>> axes,
                          ArrayRef<int64_t> baseGranules, bool dropReductions,
                          const ShardingRule &rule) {
  AxisSplit split = AxisSplit::replicated(factors.size());
  split.granules.assign(factors.size(), 1);
  for (auto [d, f] : llvm::enumerate(factors)) {
    if (f == kNoFactor || (dropReductions && rule.factors[f].kind == FactorKind::Reduction))
      continue;
    split.dims[d] = axes[f];
    if (!axes[f].empty())
      split.granules[d] = (f < (int64_t)baseGranules.size() ? baseGranules[f] : 1) * multiplier(d);
  }
  return split;
}

AxisSplit quilt::splitForOperand(const ShardingRule &rule, size_t operand,
                                 ArrayRef<SmallVector<std::string, 1>> axes,
                                 ArrayRef<int64_t> baseGranules) {
  return splitFor(rule.operandFactors[operand],
                  [&](size_t d) { return rule.operandMultiplier(operand, d); }, axes,
                  baseGranules, /*dropReductions=*/false, rule);
}

AxisSplit quilt::splitForResult(const ShardingRule &rule, size_t result,
                                ArrayRef<SmallVector<std::string, 1>> axes,
                                ArrayRef<int64_t> baseGranules) {
  AxisSplit split = splitFor(rule.resultFactors[result],
                             [&](size_t d) { return rule.resultMultiplier(result, d); }, axes,
                             baseGranules, /*dropReductions=*/true, rule);
  for (auto [f, factor] : llvm::enumerate(rule.factors))
    if (factor.kind == FactorKind::Reduction)
      llvm::append_range(split.partial, axes[f]);
  return split;
}

