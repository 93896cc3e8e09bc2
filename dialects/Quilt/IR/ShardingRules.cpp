//===- ShardingRules.cpp - the sharding rule of every compute op -----------===//
//
// One builder per op family; each returns plain data (ShardingRule).
//
//===----------------------------------------------------------------------===//
#include "Quilt/IR/QuiltDialect.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace quilt;

const char *quilt::stringifyFactorKind(FactorKind kind) {
  switch (kind) {
  case FactorKind::Parallel:
    return "parallel";
  case FactorKind::Reduction:
    return "reduction";
  case FactorKind::Windowed:
    return "windowed";
  case FactorKind::Whole:
    return "whole";
  case FactorKind::Statistic:
    return "statistic";
  }
  return "unknown";
}

int64_t ShardingRule::addFactor(FactorKind kind, int64_t size) {
  Factor f;
  f.kind = kind;
  f.size = size;
  f.resultSize = size;
  factors.push_back(f);
  return factors.size() - 1;
}

int64_t ShardingRule::addWindowedFactor(int64_t inSize, int64_t outSize, Window window,
                                        int64_t padHi) {
  int64_t index = addFactor(FactorKind::Windowed, inSize);
  factors[index].window = window;
  factors[index].padHi = padHi;
  factors[index].resultSize = outSize;
  return index;
}

static std::string factorName(int64_t index) {
  if (index == kNoFactor)
    return "_";
  std::string name(1, char('i' + index % 18));
  if (index >= 18)
    name += std::to_string(index / 18);
  return name;
}

/// " periodic", " reflect", " edge" or "" for a windowed factor's boundary.
static const char *boundaryNote(HaloBoundary boundary) {
  switch (boundary) {
  case HaloBoundary::Zero:
    return "";
  case HaloBoundary::Periodic:
    return " periodic";
  case HaloBoundary::Reflect:
    return " reflect";
  case HaloBoundary::Edge:
    return " edge";
  }
  return "";
}

std::string ShardingRule::str() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto printGroup = [&](const SmallVector<SmallVector<int64_t>> &group,
                        const SmallVector<SmallVector<int64_t>> &multipliers) {
    os << '(';
    for (auto [t, dims] : llvm::enumerate(group)) {
      if (t)
        os << ", ";
      os << '[';
      for (auto [d, f] : llvm::enumerate(dims)) {
        if (d)
          os << ", ";
        os << factorName(f);
        int64_t m = t < multipliers.size() && d < multipliers[t].size() ? multipliers[t][d] : 1;
        if (m != 1)
          os << '*' << m;
      }
      os << ']';
    }
    os << ')';
  };
  printGroup(operandFactors, operandMultipliers);
  os << " -> ";
  printGroup(resultFactors, resultMultipliers);
  os << " {";
  for (auto [i, f] : llvm::enumerate(factors)) {
    if (i)
      os << ", ";
    os << factorName(i) << " = " << stringifyFactorKind(f.kind) << ' ' << f.size;
    if (f.kind == FactorKind::Windowed && f.window.kind == WindowKind::Resize)
      os << "->" << f.resultSize << " (resize " << f.window.scaleNum << '/' << f.window.scaleDen
         << ')';
    else if (f.kind == FactorKind::Windowed)
      os << "->" << f.resultSize << " ("
         << (f.window.kind == WindowKind::ConvTranspose ? "transposed " : "")
         << "k=" << f.window.kernel << " s=" << f.window.stride << " d=" << f.window.dilation
         << " pad=" << f.window.padLo << "," << f.padHi << boundaryNote(f.boundary)
         << ')';
  }
  os << '}';
  return text;
}

static SmallVector<int64_t> parallelDims(ShardingRule &rule, RankedTensorType type) {
  SmallVector<int64_t> dims;
  for (int64_t size : type.getShape())
    dims.push_back(rule.addFactor(FactorKind::Parallel, size));
  return dims;
}

/// Spatial dims of a conv or pool: one windowed factor each, shared by the
/// input and the result.
static void addWindowedSpatialDims(ShardingRule &rule, RankedTensorType in, RankedTensorType out,
                                   ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads,
                                   SmallVector<int64_t> &inDims, SmallVector<int64_t> &outDims) {
  int64_t spatial = in.getRank() - 2;
  for (int64_t i = 0; i < spatial; ++i) {
    Window window{strides[i], dilations[i], kernel[i], pads[i]};
    int64_t f = rule.addWindowedFactor(in.getDimSize(2 + i), out.getDimSize(2 + i), window,
                                       pads[spatial + i]);
    inDims.push_back(f);
    outDims.push_back(f);
  }
}

ShardingRule ConvOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), filter = getFilter().getType(), out = getResult().getType();
  bool grouped = getGroup() > 1;
  int64_t n = rule.addFactor(FactorKind::Parallel, in.getDimSize(0));
  // Grouped channels tie input and output channels together: keep them whole.
  int64_t c = rule.addFactor(grouped ? FactorKind::Whole : FactorKind::Reduction, in.getDimSize(1));
  int64_t m = rule.addFactor(grouped ? FactorKind::Whole : FactorKind::Parallel,
                             filter.getDimSize(0));
  SmallVector<int64_t> inDims{n, c}, outDims{n, m};
  SmallVector<int64_t> kernel(filter.getShape().drop_front(2));
  addWindowedSpatialDims(rule, in, out, kernel, getStrides(), getDilations(), getPads(), inDims,
                         outDims);
  SmallVector<int64_t> filterDims{m, grouped ? rule.addFactor(FactorKind::Whole,
                                                              filter.getDimSize(1))
                                             : c};
  for (int64_t k : kernel)
    filterDims.push_back(rule.addFactor(FactorKind::Whole, k));
  rule.operandFactors = {inDims, filterDims};
  if (getBias())
    rule.operandFactors.push_back({m});
  rule.resultFactors = {outDims};
  return rule;
}

ShardingRule ConvTransposeOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), filter = getFilter().getType(), out = getResult().getType();
  bool grouped = getGroup() > 1;
  int64_t n = rule.addFactor(FactorKind::Parallel, in.getDimSize(0));
  int64_t c = rule.addFactor(grouped ? FactorKind::Whole : FactorKind::Reduction, in.getDimSize(1));
  int64_t m = rule.addFactor(grouped ? FactorKind::Whole : FactorKind::Parallel, out.getDimSize(1));
  SmallVector<int64_t> inDims{n, c}, outDims{n, m};
  int64_t spatial = in.getRank() - 2;
  for (int64_t i = 0; i < spatial; ++i) {
    Window window{getStrides()[i], getDilations()[i], filter.getDimSize(2 + i), getPads()[i]};
    window.kind = WindowKind::ConvTranspose;
    int64_t f = rule.addWindowedFactor(in.getDimSize(2 + i), out.getDimSize(2 + i), window,
                                       getPads()[spatial + i]);
    inDims.push_back(f);
    outDims.push_back(f);
  }
  SmallVector<int64_t> filterDims{c, grouped ? rule.addFactor(FactorKind::Whole,
                                                              filter.getDimSize(1))
                                             : m};
  for (int64_t i = 0; i < spatial; ++i)
    filterDims.push_back(rule.addFactor(FactorKind::Whole, filter.getDimSize(2 + i)));
  rule.operandFactors = {inDims, filterDims};
  if (getBias())
    rule.operandFactors.push_back({m});
  rule.resultFactors = {outDims};
  return rule;
}

ShardingRule ResizeOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), out = getResult().getType();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < in.getRank(); ++d)
    dims.push_back(isCopiedDim(d) ? rule.addFactor(FactorKind::Parallel, in.getDimSize(d))
                                  : rule.addWindowedFactor(in.getDimSize(d), out.getDimSize(d),
                                                           getDimWindow(d), 0));
  rule.operandFactors = {dims};
  rule.resultFactors = {dims};
  return rule;
}

template <typename PoolOp> static ShardingRule poolRule(PoolOp op) {
  ShardingRule rule;
  auto in = op.getInput().getType(), out = op.getResult().getType();
  SmallVector<int64_t> inDims{rule.addFactor(FactorKind::Parallel, in.getDimSize(0)),
                              rule.addFactor(FactorKind::Parallel, in.getDimSize(1))};
  SmallVector<int64_t> outDims = inDims;
  addWindowedSpatialDims(rule, in, out, op.getKernelShape(), op.getStrides(), op.getDilations(),
                         op.getPads(), inDims, outDims);
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  return rule;
}
ShardingRule MaxPoolOp::getShardingRule() { return poolRule(*this); }
ShardingRule AvgPoolOp::getShardingRule() { return poolRule(*this); }

ShardingRule quilt::elementwiseRule(Operation *op) {
  ShardingRule rule;
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> dims = parallelDims(rule, out);
  for (Value operand : op->getOperands()) {
    auto type = cast<RankedTensorType>(operand.getType());
    SmallVector<int64_t> operandDims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      // A broadcast dim of extent 1 carries nothing to split.
      operandDims.push_back(type.getDimSize(d) == 1 && out.getDimSize(d) != 1 ? kNoFactor
                                                                              : dims[d]);
    rule.operandFactors.push_back(operandDims);
  }
  rule.resultFactors = {dims};
  return rule;
}
ShardingRule CompareOp::getShardingRule() { return elementwiseRule(*this); }
ShardingRule SelectOp::getShardingRule() { return elementwiseRule(*this); }

/// Softmax and LogSoftmax: the axis a statistic, every other dim parallel.
static ShardingRule softmaxRule(RankedTensorType type, int64_t axis) {
  ShardingRule rule;
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < type.getRank(); ++d)
    dims.push_back(rule.addFactor(d == axis ? FactorKind::Statistic : FactorKind::Parallel,
                                  type.getDimSize(d)));
  rule.operandFactors = {dims};
  rule.resultFactors = {dims};
  return rule;
}
ShardingRule SoftmaxOp::getShardingRule() { return softmaxRule(getInput().getType(), getAxis()); }
ShardingRule LogSoftmaxOp::getShardingRule() {
  return softmaxRule(getInput().getType(), getAxis());
}

ShardingRule GroupNormOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType();
  SmallVector<int64_t> dims{rule.addFactor(FactorKind::Parallel, in.getDimSize(0)),
                            rule.addFactor(FactorKind::Whole, in.getDimSize(1))};
  for (int64_t d = 2; d < in.getRank(); ++d)
    dims.push_back(rule.addFactor(FactorKind::Statistic, in.getDimSize(d)));
  int64_t g = rule.addFactor(FactorKind::Whole, getGroups());
  rule.operandFactors = {dims, {g}, {g}};
  rule.resultFactors = {dims};
  return rule;
}

ShardingRule LayerNormOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType();
  int64_t axis = getAxis();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < in.getRank(); ++d)
    dims.push_back(rule.addFactor(d < axis ? FactorKind::Parallel : FactorKind::Statistic,
                                  in.getDimSize(d)));
  SmallVector<int64_t> affine(dims.begin() + axis, dims.end());
  rule.operandFactors = {dims, affine, affine};
  rule.resultFactors = {dims};
  return rule;
}

ShardingRule TransposeOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType();
  SmallVector<int64_t> inDims = parallelDims(rule, in), outDims;
  for (int64_t p : getPerm())
    outDims.push_back(inDims[p]);
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  return rule;
}

ShardingRule PadOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), out = getResult().getType();
  ArrayRef<int64_t> padding = getPadding();
  int64_t rank = in.getRank();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = padding[d], hi = padding[rank + d];
    if (lo == 0 && hi == 0) {
      dims.push_back(rule.addFactor(FactorKind::Parallel, in.getDimSize(d)));
      continue;
    }
    // A one-tap window: the halo brings the rows the output block reads,
    // including those a reflect or edge boundary mirrors from inside.
    int64_t f = rule.addWindowedFactor(in.getDimSize(d), out.getDimSize(d), Window{1, 1, 1, lo},
                                       hi);
    rule.factors[f].boundary = static_cast<HaloBoundary>(getMode());
    dims.push_back(f);
  }
  rule.operandFactors = {dims};
  rule.resultFactors = {dims};
  return rule;
}

ShardingRule SliceOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), out = getResult().getType();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t start = getStarts()[d], step = getSteps()[d];
    if (start == 0 && step == 1 && in.getDimSize(d) == out.getDimSize(d)) {
      dims.push_back(rule.addFactor(FactorKind::Parallel, in.getDimSize(d)));
      continue;
    }
    // A negative step reads the dim backwards, which no window of the halo
    // math describes: the dim is needed whole.
    if (step < 0) {
      int64_t f = rule.addFactor(FactorKind::Whole, in.getDimSize(d));
      rule.factors[f].resultSize = out.getDimSize(d);
      dims.push_back(f);
      continue;
    }
    // Output o reads input o * step + start: a window of one tap.
    dims.push_back(rule.addWindowedFactor(in.getDimSize(d), out.getDimSize(d),
                                          Window{step, 1, 1, -start},
                                          /*padHi=*/0));
  }
  rule.operandFactors = {dims};
  rule.resultFactors = {dims};
  return rule;
}

ShardingRule GemmOp::getShardingRule() {
  ShardingRule rule;
  auto y = getResult().getType();
  int64_t m = rule.addFactor(FactorKind::Parallel, y.getDimSize(0));
  int64_t n = rule.addFactor(FactorKind::Parallel, y.getDimSize(1));
  int64_t kSize = getTransA() ? getA().getType().getDimSize(0) : getA().getType().getDimSize(1);
  int64_t k = rule.addFactor(FactorKind::Reduction, kSize);
  rule.operandFactors.push_back(getTransA() ? SmallVector<int64_t>{k, m}
                                            : SmallVector<int64_t>{m, k});
  rule.operandFactors.push_back(getTransB() ? SmallVector<int64_t>{n, k}
                                            : SmallVector<int64_t>{k, n});
  if (getC()) {
    auto c = getC().getType();
    SmallVector<int64_t> cDims;
    // C broadcasts numpy-style against the MxN result.
    for (int64_t d = 0; d < c.getRank(); ++d) {
      int64_t resultDim = 2 - c.getRank() + d;
      cDims.push_back(c.getDimSize(d) == 1 && y.getDimSize(resultDim) != 1
                          ? kNoFactor
                          : (resultDim == 0 ? m : n));
    }
    rule.operandFactors.push_back(cDims);
  }
  rule.resultFactors = {{m, n}};
  return rule;
}

ShardingRule AttentionOp::getShardingRule() {
  ShardingRule rule;
  auto q = getQ().getType(), k = getK().getType(), v = getV().getType();
  int64_t rank = q.getRank(), firstToken = rank - 1 - getTokenDims();
  SmallVector<int64_t> batch, tq, tk;
  for (int64_t d = 0; d < firstToken; ++d)
    batch.push_back(rule.addFactor(FactorKind::Parallel, q.getDimSize(d)));
  for (int64_t d = firstToken; d < rank - 1; ++d)
    tq.push_back(rule.addFactor(FactorKind::Parallel, q.getDimSize(d)));
  int64_t d = rule.addFactor(FactorKind::Whole, q.getDimSize(rank - 1));
  for (int64_t t = firstToken; t < rank - 1; ++t)
    tk.push_back(rule.addFactor(FactorKind::Statistic, k.getDimSize(t)));
  int64_t dv = rule.addFactor(FactorKind::Whole, v.getDimSize(rank - 1));
  auto with = [&](ArrayRef<int64_t> tokens, int64_t feature) {
    SmallVector<int64_t> dims = batch;
    llvm::append_range(dims, tokens);
    dims.push_back(feature);
    return dims;
  };
  rule.operandFactors = {with(tq, d), with(tk, d), with(tk, dv)};
  if (getPrefixK()) {
    // Prefix tokens are whole: every rank attends to all of them.
    int64_t tp = rule.addFactor(FactorKind::Whole, getPrefixK().getType().getDimSize(firstToken));
    rule.operandFactors.push_back(with({tp}, d));
    rule.operandFactors.push_back(with({tp}, dv));
  }
  if (getBias()) {
    // The bias's dims are the scores': batch, Tq then Tk (broadcast dims of
    // extent 1 carry no factor). The partitioner keeps its Tk dims whole.
    auto bias = getBias().getType();
    SmallVector<int64_t> factors = batch;
    llvm::append_range(factors, tq);
    llvm::append_range(factors, tk);
    SmallVector<int64_t> dims;
    for (auto [d, f] : llvm::enumerate(factors))
      dims.push_back(bias.getDimSize(d) == 1 && rule.factors[f].size != 1 ? kNoFactor : f);
    rule.operandFactors.push_back(dims);
  }
  rule.resultFactors = {with(tq, dv)};
  return rule;
}

ShardingRule EinsumOp::getShardingRule() {
  ShardingRule rule;
  auto letters = parseEquation();
  if (failed(letters))
    return rule;
  auto [a, b, r] = *letters;
  llvm::DenseMap<char, int64_t> factorOf;
  auto factorFor = [&](char c, int64_t size) {
    auto it = factorOf.find(c);
    if (it != factorOf.end())
      return it->second;
    int64_t f = rule.addFactor(r.find(c) == std::string::npos ? FactorKind::Reduction
                                                              : FactorKind::Parallel,
                               size);
    factorOf[c] = f;
    return f;
  };
  auto dimsOf = [&](const std::string &term, RankedTensorType type) {
    SmallVector<int64_t> dims;
    for (auto [d, c] : llvm::enumerate(term))
      dims.push_back(factorFor(c, type.getDimSize(d)));
    return dims;
  };
  rule.operandFactors = {dimsOf(a, getLhs().getType()), dimsOf(b, getRhs().getType())};
  rule.resultFactors = {dimsOf(r, getResult().getType())};
  return rule;
}

static ShardingRule reduceRule(RankedTensorType in, ArrayRef<int64_t> reduced) {
  ShardingRule rule;
  SmallVector<int64_t> inDims, outDims;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool isReduced = llvm::is_contained(reduced, d);
    int64_t f = rule.addFactor(isReduced ? FactorKind::Reduction : FactorKind::Parallel,
                               in.getDimSize(d));
    inDims.push_back(f);
    outDims.push_back(isReduced ? kNoFactor : f);
  }
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  return rule;
}
ShardingRule ReduceSumOp::getShardingRule() { return reduceRule(getInput().getType(), getDims()); }
ShardingRule ReduceMaxOp::getShardingRule() { return reduceRule(getInput().getType(), getDims()); }
ShardingRule ReduceProdOp::getShardingRule() {
  return reduceRule(getInput().getType(), getDims());
}
ShardingRule ReduceMeanOp::getShardingRule() {
  return reduceRule(getInput().getType(), getDims());
}

/// Reshape: dims are matched in groups of equal extent products. A dim that
/// maps one-to-one onto a result dim passes its split through. When a group
/// merges dims into one (h, w -> h*w) or splits one into several, the major
/// dim of the finer side shares a factor with the coarse dim, which spans the
/// minor dims' product per factor position (its multiplier): a split of h is
/// a split of h*w in whole granules of w, and back. Other dims of a group are
/// whole (a block of a merged dim is not a block of its minor parts).
ShardingRule ReshapeOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), out = getResult().getType();
  int64_t inRank = in.getRank(), outRank = out.getRank();
  SmallVector<int64_t> inDims(inRank, kNoFactor), outDims(outRank, kNoFactor);
  SmallVector<int64_t> inMult(inRank, 1), outMult(outRank, 1);
  auto whole = [&](int64_t size) { return rule.addFactor(FactorKind::Whole, size); };
  int64_t i = 0, o = 0;
  while (i < inRank || o < outRank) {
    if (i < inRank && o < outRank && in.getDimSize(i) == out.getDimSize(o)) {
      int64_t size = in.getDimSize(i);
      int64_t f = rule.addFactor(size == 1 ? FactorKind::Whole : FactorKind::Parallel, size);
      inDims[i++] = f;
      outDims[o++] = f;
      continue;
    }
    if (i < inRank && in.getDimSize(i) == 1) {
      inDims[i] = whole(1);
      ++i;
      continue;
    }
    if (o < outRank && out.getDimSize(o) == 1) {
      outDims[o] = whole(1);
      ++o;
      continue;
    }
    if (i >= inRank || o >= outRank)
      break; // extents disagree: the verifier reports it
    int64_t i0 = i, o0 = o, inProduct = in.getDimSize(i++), outProduct = out.getDimSize(o++);
    while (inProduct != outProduct && (i < inRank || o < outRank)) {
      if (inProduct < outProduct && i < inRank)
        inProduct *= in.getDimSize(i++);
      else if (o < outRank)
        outProduct *= out.getDimSize(o++);
      else
        break;
    }
    // One coarse dim against several fine ones: the major fine dim and the
    // coarse dim share a factor; the rest of the group is whole.
    bool shared = inProduct == outProduct && (i - i0 == 1 || o - o0 == 1);
    bool merge = o - o0 == 1;
    if (shared) {
      int64_t major = merge ? in.getDimSize(i0) : out.getDimSize(o0);
      int64_t f = rule.addFactor(FactorKind::Parallel, major);
      inDims[i0] = f;
      outDims[o0] = f;
      (merge ? outMult[o0] : inMult[i0]) = (merge ? inProduct : outProduct) / major;
    }
    for (int64_t k = i0; k < i; ++k)
      if (!shared || k != i0)
        inDims[k] = whole(in.getDimSize(k));
    for (int64_t k = o0; k < o; ++k)
      if (!shared || k != o0)
        outDims[k] = whole(out.getDimSize(k));
  }
  for (auto &d : inDims)
    if (d == kNoFactor)
      d = whole(1);
  for (auto &d : outDims)
    if (d == kNoFactor)
      d = whole(1);
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  rule.operandMultipliers = {inMult};
  rule.resultMultipliers = {outMult};
  return rule;
}

ShardingRule ConcatOp::getShardingRule() {
  ShardingRule rule;
  auto out = getResult().getType();
  int64_t axis = getAxis();
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < out.getRank(); ++d)
    dims.push_back(d == axis ? kNoFactor : rule.addFactor(FactorKind::Parallel, out.getDimSize(d)));
  for (Value v : getInputs()) {
    SmallVector<int64_t> operandDims = dims;
    operandDims[axis] =
        rule.addFactor(FactorKind::Whole, cast<RankedTensorType>(v.getType()).getDimSize(axis));
    rule.operandFactors.push_back(operandDims);
  }
  dims[axis] = rule.addFactor(FactorKind::Whole, out.getDimSize(axis));
  rule.resultFactors = {dims};
  return rule;
}

/// DFT: the transformed axis and the trailing (real, imaginary) dim are
/// needed whole; every other dim is parallel. A split axis is moved to
/// another dim by an all-to-all (Partition.cpp), not gathered, when one is free.
ShardingRule DftOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), out = getResult().getType();
  int64_t rank = in.getRank(), axis = getAxis();
  SmallVector<int64_t> inDims, outDims;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis || d == rank - 1) {
      inDims.push_back(rule.addFactor(FactorKind::Whole, in.getDimSize(d)));
      outDims.push_back(rule.addFactor(FactorKind::Whole, out.getDimSize(d)));
      continue;
    }
    int64_t f = rule.addFactor(FactorKind::Parallel, in.getDimSize(d));
    inDims.push_back(f);
    outDims.push_back(f);
  }
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  return rule;
}

/// ArgMax/ArgMin and CumSum: `axis` a statistic (a split stays split; the
/// partitioner merges the blocks' candidates or totals), every other dim
/// parallel. The arg reduction keeps the axis with extent 1 and no factor.
static ShardingRule alongAxisRule(RankedTensorType in, int64_t axis, bool keepsAxis) {
  ShardingRule rule;
  SmallVector<int64_t> inDims, outDims;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t f = rule.addFactor(d == axis ? FactorKind::Statistic : FactorKind::Parallel,
                               in.getDimSize(d));
    inDims.push_back(f);
    outDims.push_back(d == axis && !keepsAxis ? kNoFactor : f);
  }
  rule.operandFactors = {inDims};
  rule.resultFactors = {outDims};
  return rule;
}
ShardingRule ArgReduceOp::getShardingRule() {
  return alongAxisRule(getInput().getType(), getAxis(), /*keepsAxis=*/false);
}
ShardingRule CumSumOp::getShardingRule() {
  ShardingRule rule = alongAxisRule(getInput().getType(), getAxis(), /*keepsAxis=*/true);
  if (getCarry()) {
    // After partitioning only: the carry has one position per block.
    SmallVector<int64_t> carryDims = rule.operandFactors[0];
    carryDims[getAxis()] =
        rule.addFactor(FactorKind::Whole, getCarry().getType().getDimSize(getAxis()));
    rule.operandFactors.push_back(carryDims);
  }
  return rule;
}

/// GatherElements: the input's axis is read at data-dependent positions, so
/// it is whole; the result has the indices' shape, each dim parallel and
/// shared with the input's dim of the same extent (a smaller or larger input
/// dim is whole: its blocks would not line up with the indices').
ShardingRule GatherElementsOp::getShardingRule() {
  ShardingRule rule;
  auto in = getInput().getType(), indices = getIndices().getType();
  SmallVector<int64_t> inDims, outDims;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t f = rule.addFactor(FactorKind::Parallel, indices.getDimSize(d));
    outDims.push_back(f);
    bool shared = d != (int64_t)getAxis() && in.getDimSize(d) == indices.getDimSize(d);
    inDims.push_back(shared ? f : rule.addFactor(FactorKind::Whole, in.getDimSize(d)));
  }
  rule.operandFactors = {inDims, outDims};
  rule.resultFactors = {outDims};
  return rule;
}
