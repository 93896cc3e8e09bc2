//===- KeepTokenGrid.cpp - tokens of a split grid keep their dims ----------===//
//
// A reshape merging dims [.., H, W, ..] -> [.., H*W, ..] (the Flatten that
// turns an image into tokens) can keep only H's split: a block of H*W is a
// run of whole rows, not a tile. Each pattern below moves such a merge one op
// downstream, rewriting the op to work on the separate dims (the same
// function, on unmerged operands), until the merge meets the reshape that
// splits H*W back (both cancel) or an op it cannot cross (it stays there).
// The tokens in between keep every split of the grid.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/runtime.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTKEEPTOKENGRID
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// A value `merged` that is `source` with dims [pos, pos + parts.size())
/// merged into dim `pos` (every part > 1, every other dim unchanged).
struct Merge {
  Value source;
  int64_t pos = 0;
  SmallVector<int64_t> parts;

  /// Where dim `d` (not the merged one) of the merged value is in `source`.
  int64_t sourceDim(int64_t d) const { return d < pos ? d : d + (int64_t)parts.size() - 1; }
};

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

static std::optional<Merge> asMerge(Value merged) {
  auto reshape = merged.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return std::nullopt;
  auto in = reshape.getInput().getType(), out = reshape.getResult().getType();
  if (!in.hasStaticShape() || !out.hasStaticShape() || !in.getElementType().isF32())
    return std::nullopt;
  int64_t k = in.getRank() - out.getRank() + 1;
  if (k < 2)
    return std::nullopt;
  ArrayRef<int64_t> inShape = in.getShape(), outShape = out.getShape();
  for (int64_t pos = 0; pos < out.getRank(); ++pos) {
    ArrayRef<int64_t> parts = inShape.slice(pos, k);
    if (inShape.take_front(pos) == outShape.take_front(pos) &&
        inShape.drop_front(pos + k) == outShape.drop_front(pos + 1) &&
        product(parts) == outShape[pos] && llvm::all_of(parts, [](int64_t p) { return p > 1; }))
      return Merge{reshape.getInput(), pos, SmallVector<int64_t>(parts)};
  }
  return std::nullopt;
}

/// Whether `op`'s results and operands still fit the runtime's layouts
/// (QUILT_MAX_RANK dims) with `merge` unmerged, with `extra` dims to spare
/// (a layer_norm's statistics add one): a merge stays where unmerging it
/// would exceed that (3-D windows with heads).
static bool unmergedFits(Operation *op, const Merge &merge, int64_t extra = 0) {
  return llvm::all_of(llvm::concat<Type>(op->getResultTypes(), op->getOperandTypes()),
                      [&](Type t) {
                        auto type = dyn_cast<RankedTensorType>(t);
                        return !type || type.getRank() + (int64_t)merge.parts.size() - 1 +
                                                extra <=
                                            QUILT_MAX_RANK;
                      });
}

/// `type` with dim `pos` replaced by `parts`.
static RankedTensorType expand(RankedTensorType type, int64_t pos, ArrayRef<int64_t> parts) {
  SmallVector<int64_t> shape(type.getShape().take_front(pos));
  llvm::append_range(shape, parts);
  llvm::append_range(shape, type.getShape().drop_front(pos + 1));
  return RankedTensorType::get(shape, type.getElementType());
}

/// `value` reshaped to `type`: a reshaped constant when it is one.
static Value reshapeTo(PatternRewriter &rw, Location loc, Value value, RankedTensorType type) {
  if (value.getType() == type)
    return value;
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return ConstantOp::create(rw, constant.getLoc(), type, dense.reshape(type));
  return ReshapeOp::create(rw, loc, type, value);
}

/// `operand` (whose dim `pos` has the merged extent `size`, or 1 to
/// broadcast) on the unmerged dims `parts`, or null when it cannot be.
static Value unmerge(PatternRewriter &rw, Location loc, Value operand, int64_t pos,
                     ArrayRef<int64_t> parts, int64_t size) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || !type.hasStaticShape() || pos >= type.getRank())
    return {};
  if (std::optional<Merge> m = asMerge(operand); m && m->pos == pos && m->parts == parts)
    return m->source;
  int64_t extent = type.getDimSize(pos);
  if (extent == 1)
    return reshapeTo(rw, loc, operand, expand(type, pos, SmallVector<int64_t>(parts.size(), 1)));
  if (extent == size)
    return reshapeTo(rw, loc, operand, expand(type, pos, parts));
  return {};
}

/// Whether unmerge() can put `operand` on the unmerged dims (without
/// rewriting anything).
static bool canUnmerge(Value operand, int64_t pos, int64_t size) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  return type && type.hasStaticShape() && pos < type.getRank() &&
         (type.getDimSize(pos) == 1 || type.getDimSize(pos) == size);
}

/// Replaces `op`'s only result by `expanded` merged back at `pos`.
static void replaceMerged(PatternRewriter &rw, Operation *op, Value expanded) {
  rw.replaceOpWithNewOp<ReshapeOp>(op, op->getResult(0).getType(), expanded);
}

/// The first operand of `op` that is a merge.
static std::optional<Merge> firstMergedOperand(Operation *op) {
  for (Value v : op->getOperands())
    if (std::optional<Merge> m = asMerge(v))
      return m;
  return std::nullopt;
}

/// Elementwise ops (numpy broadcasting over equal ranks): every operand is
/// unmerged alike; broadcast dims of extent 1 get one dim of 1 per part.
struct SinkIntoElementwise : RewritePattern {
  SinkIntoElementwise(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    if (!isa<ElementwiseKernelOpInterface, SelectOp, CompareOp>(op))
      return failure();
    std::optional<Merge> m = firstMergedOperand(op);
    auto out = cast<RankedTensorType>(op->getResult(0).getType());
    if (!m || !unmergedFits(op, *m) || !out.hasStaticShape() || m->pos >= out.getRank() ||
        out.getDimSize(m->pos) != product(m->parts))
      return failure();
    SmallVector<Value> operands;
    for (Value v : op->getOperands()) {
      Value u = unmerge(rw, op->getLoc(), v, m->pos, m->parts, product(m->parts));
      if (!u)
        return failure();
      operands.push_back(u);
    }
    OperationState state(op->getLoc(), op->getName().getIdentifier(), operands,
                         {expand(out, m->pos, m->parts)}, op->getAttrs());
    replaceMerged(rw, op, rw.create(state)->getResult(0));
    return success();
  }
};

/// Transpose: the merged dim's parts move together.
struct SinkIntoTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    if (!m || !unmergedFits(op, *m))
      return failure();
    int64_t k = m->parts.size(), resultPos = -1;
    SmallVector<int64_t> perm;
    for (auto [j, p] : llvm::enumerate(op.getPerm())) {
      if (p == m->pos) {
        resultPos = j;
        for (int64_t i = 0; i < k; ++i)
          perm.push_back(p + i);
      } else {
        perm.push_back(m->sourceDim(p));
      }
    }
    auto type = expand(op.getResult().getType(), resultPos, m->parts);
    Value t = TransposeOp::create(rw, op.getLoc(), type, m->source, rw.getDenseI64ArrayAttr(perm));
    replaceMerged(rw, op, t);
    return success();
  }
};

/// LayerNorm and Softmax over other dims than the merged one: axes renumbered.
struct SinkIntoLayerNorm : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    int64_t axis = op.getAxis();
    if (!m || m->pos >= axis || !unmergedFits(op, *m, /*extra=*/1))
      return failure();
    axis = m->sourceDim(axis);
    Value n = LayerNormOp::create(rw, op.getLoc(), m->source.getType(), m->source, op.getScale(),
                                  op.getBias(), rw.getI64IntegerAttr(axis), op.getEpsilonAttr());
    replaceMerged(rw, op, n);
    return success();
  }
};

struct SinkIntoSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    int64_t axis = op.getAxis();
    if (!m || m->pos == axis || !unmergedFits(op, *m))
      return failure();
    axis = m->sourceDim(axis);
    Value s = SoftmaxOp::create(rw, op.getLoc(), m->source.getType(), m->source,
                                rw.getI64IntegerAttr(axis));
    replaceMerged(rw, op, s);
    return success();
  }
};

/// Slice that keeps the merged dim whole.
struct SinkIntoSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    if (!m || !unmergedFits(op, *m) || op.getStarts()[m->pos] != 0 || op.getSteps()[m->pos] != 1 ||
        op.getResult().getType().getDimSize(m->pos) != product(m->parts))
      return failure();
    int64_t k = m->parts.size();
    SmallVector<int64_t> starts(op.getStarts()), steps(op.getSteps());
    starts.insert(starts.begin() + m->pos, k - 1, 0);
    steps.insert(steps.begin() + m->pos, k - 1, 1);
    auto type = expand(op.getResult().getType(), m->pos, m->parts);
    Value s = SliceOp::create(rw, op.getLoc(), type, m->source, rw.getDenseI64ArrayAttr(starts),
                              rw.getDenseI64ArrayAttr(steps));
    replaceMerged(rw, op, s);
    return success();
  }
};

/// Einsum where the merged dim's letter is kept in the result (a batch or
/// free dim): it becomes one letter per part.
struct SinkIntoEinsum : OpRewritePattern<EinsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EinsumOp op, PatternRewriter &rw) const override {
    auto letters = op.parseEquation();
    if (failed(letters))
      return failure();
    std::array<std::string, 3> terms = *letters;
    SmallVector<Value, 2> inputs{op.getLhs(), op.getRhs()};
    std::optional<Merge> m;
    char letter = 0;
    for (auto [i, v] : llvm::enumerate(inputs))
      if ((m = asMerge(v))) {
        letter = terms[i][m->pos];
        break;
      }
    if (!m || !unmergedFits(op, *m) || terms[2].find(letter) == std::string::npos)
      return failure();
    std::string fresh;
    for (char c = 'a'; c <= 'z' && fresh.size() + 1 < m->parts.size(); ++c)
      if (llvm::none_of(terms, [&](const std::string &t) { return t.find(c) != t.npos; }))
        fresh.push_back(c);
    if (fresh.size() + 1 != m->parts.size())
      return failure();
    // Both operands carry the letter's full extent (einsum does not broadcast).
    for (auto [i, v] : llvm::enumerate(inputs)) {
      size_t at = terms[i].find(letter);
      if (at != std::string::npos &&
          cast<RankedTensorType>(v.getType()).getDimSize(at) != product(m->parts))
        return failure();
    }
    SmallVector<Value> operands;
    for (auto [i, v] : llvm::enumerate(inputs)) {
      size_t at = terms[i].find(letter);
      Value u = at == std::string::npos
                    ? v
                    : unmerge(rw, op.getLoc(), v, at, m->parts, product(m->parts));
      if (!u)
        return failure();
      operands.push_back(u);
    }
    int64_t resultPos = terms[2].find(letter);
    std::string equation;
    for (auto [i, term] : llvm::enumerate(terms)) {
      size_t at = term.find(letter);
      if (at != std::string::npos)
        term.insert(at + 1, fresh);
      equation += term + (i == 0 ? "," : i == 1 ? "->" : "");
    }
    auto type = expand(op.getResult().getType(), resultPos, m->parts);
    Value e = EinsumOp::create(rw, op.getLoc(), type, operands[0], operands[1],
                               rw.getStringAttr(equation));
    replaceMerged(rw, op, e);
    return success();
  }
};

/// Gemm whose rows are the merged dim: an einsum over the parts plus the
/// bias, broadcast over them.
struct SinkIntoGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getA());
    if (!m || !unmergedFits(op, *m) || m->pos != 0 || op.getTransA() || op.getAlpha().convertToFloat() != 1.0f ||
        (op.getC() && op.getBeta().convertToFloat() != 1.0f) || m->parts.size() > 20)
      return failure();
    std::string rows;
    for (size_t i = 0; i < m->parts.size(); ++i)
      rows.push_back('a' + i);
    std::string equation = rows + "y," + (op.getTransB() ? "zy" : "yz") + "->" + rows + "z";
    auto type = expand(op.getResult().getType(), 0, m->parts);
    Value c;
    if (Value bias = op.getC()) {
      auto biasType = cast<RankedTensorType>(bias.getType());
      if (!biasType.hasStaticShape())
        return failure();
      if (biasType.getRank() == 1) {
        SmallVector<int64_t> shape(m->parts.size(), 1);
        shape.push_back(biasType.getDimSize(0));
        c = reshapeTo(rw, op.getLoc(), bias, RankedTensorType::get(shape, type.getElementType()));
      } else {
        c = unmerge(rw, op.getLoc(), bias, 0, m->parts, product(m->parts));
      }
      if (!c)
        return failure();
    }
    Value e = EinsumOp::create(rw, op.getLoc(), type, m->source, op.getB(),
                               rw.getStringAttr(equation));
    if (c)
      e = AddOp::create(rw, op.getLoc(), type, e, c);
    replaceMerged(rw, op, e);
    return success();
  }
};

/// A reshape of a merged value that keeps the merged dim (it only splits or
/// merges other dims), or that splits it back into exactly its parts (the
/// two cancel). Of two merges in a row, the one of more major dims moves
/// last (else the two would trade places forever).
struct SinkIntoReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    auto out = op.getResult().getType();
    if (!m || !out.hasStaticShape())
      return failure();
    if (std::optional<Merge> outer = asMerge(op.getResult()); outer && outer->pos <= m->pos)
      return failure();
    ArrayRef<int64_t> shape = out.getShape();
    int64_t before = product(op.getInput().getType().getShape().take_front(m->pos));
    int64_t size = product(m->parts), k = m->parts.size();
    for (int64_t t = 0; t < out.getRank(); ++t) {
      if (product(shape.take_front(t)) != before)
        continue;
      if (t + k <= out.getRank() && shape.slice(t, k) == ArrayRef<int64_t>(m->parts)) {
        rw.replaceOp(op, reshapeTo(rw, op.getLoc(), m->source, out));
        return success();
      }
      if (shape[t] == size && unmergedFits(op, *m)) {
        replaceMerged(rw, op, reshapeTo(rw, op.getLoc(), m->source, expand(out, t, m->parts)));
        return success();
      }
    }
    return failure();
  }
};

/// Reductions: a reduced merged dim is reduced over all its parts (a mean
/// over the tokens is a mean over the grid); other dims are renumbered.
template <class ReduceOpT>
struct SinkIntoReduce : OpRewritePattern<ReduceOpT> {
  using OpRewritePattern<ReduceOpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOpT op, PatternRewriter &rw) const override {
    std::optional<Merge> m = asMerge(op.getInput());
    if (!m || !unmergedFits(op, *m))
      return failure();
    int64_t k = m->parts.size();
    bool reducesMerged = llvm::is_contained(op.getDims(), m->pos);
    SmallVector<int64_t> dims;
    for (int64_t d : op.getDims()) {
      if (d == m->pos)
        for (int64_t i = 0; i < k; ++i)
          dims.push_back(d + i);
      else
        dims.push_back(m->sourceDim(d));
    }
    auto type = expand(op.getResult().getType(), m->pos,
                       reducesMerged ? SmallVector<int64_t>(k, 1) : m->parts);
    Operation *reduced = rw.clone(*op);
    reduced->setOperand(0, m->source);
    reduced->setAttr("dims", rw.getDenseI64ArrayAttr(dims));
    reduced->getResult(0).setType(type);
    replaceMerged(rw, op, reduced->getResult(0));
    return success();
  }
};

/// Queries of a class or register token: few, and no grid.
constexpr int64_t kMaxGridlessQueries = 16;

/// Attention whose q, k and v have merged tokens: the token grids become
/// token_dims.
struct SinkIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rw) const override {
    if (succeeded(sinkBatchMerge(op, rw)))
      return success();
    int64_t pos = op.getQ().getType().getRank() - 2;
    std::optional<Merge> q = asMerge(op.getQ()), k = asMerge(op.getK()), v = asMerge(op.getV());
    if (op.getTokenDims() != 1 || !k || !v || k->pos != pos || v->pos != pos ||
        k->parts != v->parts || !unmergedFits(op, *k))
      return failure();
    auto qType = op.getQ().getType();
    int64_t queries = qType.getDimSize(pos);
    if (!q && queries <= kMaxGridlessQueries && queries < product(k->parts)) {
      // A few queries that are no grid (a class token's) attend to a grid of
      // keys: their tokens become a grid of 1 x ... x Tq, so the keys keep
      // theirs. (As many queries as keys are self-attention whose queries'
      // merge has not arrived yet.)
      SmallVector<int64_t> grid(k->parts.size() - 1, 1);
      grid.push_back(queries);
      Value bias = griddedBias(rw, op, grid, k->parts);
      if (op.getBias() && !bias)
        return failure();
      Value gridded = reshapeTo(rw, op.getLoc(), op.getQ(), expand(qType, pos, grid));
      auto type = expand(op.getResult().getType(), pos, grid);
      Value a = AttentionOp::create(rw, op.getLoc(), type, gridded, k->source, v->source,
                                    op.getPrefixK(), op.getPrefixV(), bias, (int64_t)grid.size());
      rw.replaceOpWithNewOp<ReshapeOp>(op, op.getResult().getType(), a);
      return success();
    }
    if (!q || q->pos != pos || q->parts.size() != k->parts.size())
      return failure();
    Value bias = griddedBias(rw, op, q->parts, k->parts);
    if (op.getBias() && !bias)
      return failure();
    auto type = expand(op.getResult().getType(), pos, q->parts);
    // Prefix keys (a class token's) keep their one token dim.
    Value a = AttentionOp::create(rw, op.getLoc(), type, q->source, k->source, v->source,
                                  op.getPrefixK(), op.getPrefixV(), bias,
                                  (int64_t)q->parts.size());
    replaceMerged(rw, op, a);
    return success();
  }

  /// q, k and v merged alike in a batch dim (Swin's windows: the grid of
  /// windows merged into one batch dim): the attention runs on the unmerged
  /// batch dims; a bias and prefix keys are unmerged with them.
  static LogicalResult sinkBatchMerge(AttentionOp op, PatternRewriter &rw) {
    std::optional<Merge> q = asMerge(op.getQ()), k = asMerge(op.getK()), v = asMerge(op.getV());
    int64_t firstToken = op.getQ().getType().getRank() - 1 - op.getTokenDims();
    if (!q || !k || !v || q->pos >= firstToken || k->pos != q->pos || v->pos != q->pos ||
        k->parts != q->parts || v->parts != q->parts || !unmergedFits(op, *q))
      return failure();
    int64_t size = product(q->parts);
    // Decide before rewriting anything: each of them must unmerge.
    for (Value extra : {op.getPrefixK(), op.getPrefixV(), op.getBias()})
      if (extra && !canUnmerge(extra, q->pos, size))
        return failure();
    auto unmerged = [&](Value extra) -> Value {
      return extra ? unmerge(rw, op.getLoc(), extra, q->pos, q->parts, size) : Value();
    };
    Value prefixK = unmerged(op.getPrefixK()), prefixV = unmerged(op.getPrefixV()),
          bias = unmerged(op.getBias());
    auto type = expand(op.getResult().getType(), q->pos, q->parts);
    Value a = AttentionOp::create(rw, op.getLoc(), type, q->source, k->source, v->source, prefixK,
                                  prefixV, bias, op.getTokenDims());
    replaceMerged(rw, op, a);
    return success();
  }

  /// The bias [batch..., Tq, Tk] on the grids `queries` and `keys`
  /// ([batch..., Tq_1.., Tk_1..]), or null (also without a bias, or when its
  /// rank would pass QUILT_MAX_RANK).
  static Value griddedBias(PatternRewriter &rw, AttentionOp op, ArrayRef<int64_t> queries,
                           ArrayRef<int64_t> keys) {
    Value bias = op.getBias();
    if (!bias)
      return {};
    int64_t rank = cast<RankedTensorType>(bias.getType()).getRank();
    if (rank + (int64_t)queries.size() + (int64_t)keys.size() - 2 > QUILT_MAX_RANK)
      return {};
    int64_t tq = rank - 2;
    bias = unmerge(rw, op.getLoc(), bias, tq, queries, product(queries));
    if (!bias)
      return {};
    return unmerge(rw, op.getLoc(), bias, tq + queries.size(), keys, product(keys));
  }
};

/// A reshape that merges several groups of dims at once, or drops or adds
/// unit dims besides a merge (Swin's window partition: (B=1, H/w, W/w, w, w,
/// C) -> (H/w * W/w, w*w, C)), becomes a chain the patterns above can move:
/// first the unit dims go or come, then each group merges on its own, the
/// minor groups first, so the merge of the most major dims is outermost and
/// moves downstream first.
struct SplitMultiGroupMerge : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rw) const override {
    auto in = op.getInput().getType(), out = op.getResult().getType();
    if (!in.hasStaticShape() || !out.hasStaticShape() || asMerge(op.getResult()))
      return failure();
    ArrayRef<int64_t> inShape = in.getShape(), outShape = out.getShape();
    // Walk both shapes: each output dim is one input dim, a unit dim, or
    // the product of consecutive input dims (all > 1); unit input dims that
    // no output dim keeps are dropped.
    struct Group {
      int64_t outDim, inBegin, inEnd; // inBegin == inEnd: an added unit dim
    };
    SmallVector<Group> groups;
    SmallVector<int64_t> unmerged; // the shape once unit dims are settled
    int64_t i = 0, merges = 0, unitChanges = 0;
    for (int64_t o = 0; o < out.getRank(); ++o) {
      while (i < in.getRank() && inShape[i] == 1 && outShape[o] != 1) {
        ++i;
        ++unitChanges;
      }
      if (outShape[o] == 1 && i < in.getRank() && inShape[i] == 1) {
        groups.push_back({o, i, i + 1});
        unmerged.push_back(1);
        ++i;
        continue;
      }
      if (outShape[o] == 1) {
        groups.push_back({o, i, i});
        unmerged.push_back(1);
        ++unitChanges;
        continue;
      }
      int64_t begin = i, size = 1;
      while (i < in.getRank() && size < outShape[o] && (size == 1 || inShape[i] > 1))
        size *= inShape[i++];
      if (size != outShape[o] || i == begin)
        return failure();
      if (i - begin > 1 && llvm::any_of(inShape.slice(begin, i - begin),
                                         [](int64_t p) { return p == 1; }))
        return failure();
      merges += i - begin > 1;
      groups.push_back({o, begin, i});
      llvm::append_range(unmerged, inShape.slice(begin, i - begin));
    }
    for (; i < in.getRank(); ++i) {
      if (inShape[i] != 1)
        return failure();
      ++unitChanges;
    }
    if (merges == 0 || merges + (unitChanges > 0) < 2)
      return failure();
    Type element = in.getElementType();
    Value value = op.getInput();
    if (unitChanges)
      value = ReshapeOp::create(rw, op.getLoc(), RankedTensorType::get(unmerged, element), value);
    // Merge the groups from the minor end, so positions before them hold.
    SmallVector<int64_t> shape = unmerged;
    int64_t at = unmerged.size();
    for (const Group &g : llvm::reverse(groups)) {
      int64_t parts = std::max<int64_t>(g.inEnd - g.inBegin, 1);
      at -= parts;
      if (parts == 1)
        continue;
      int64_t merged = product(ArrayRef<int64_t>(shape).slice(at, parts));
      shape.erase(shape.begin() + at, shape.begin() + at + parts);
      shape.insert(shape.begin() + at, merged);
      value = ReshapeOp::create(rw, op.getLoc(), RankedTensorType::get(shape, element), value);
    }
    rw.replaceOp(op, value);
    return success();
  }
};

struct KeepTokenGrid : quilt::impl::QuiltKeepTokenGridBase<KeepTokenGrid> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<SinkIntoElementwise, SinkIntoTranspose, SinkIntoLayerNorm, SinkIntoSoftmax,
                 SinkIntoSlice, SinkIntoEinsum, SinkIntoGemm, SinkIntoReshape, SinkIntoAttention,
                 SplitMultiGroupMerge,
                 SinkIntoReduce<ReduceSumOp>, SinkIntoReduce<ReduceMeanOp>,
                 SinkIntoReduce<ReduceMaxOp>, SinkIntoReduce<ReduceProdOp>>(ctx);
    // Weights stay where the importer put them: no folding, no constant CSE.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config))) {
      getOperation()->emitError("quilt-keep-token-grid did not reach a fixed point; "
                                "--keep-token-grid=false skips it");
      signalPassFailure();
    }
  }
};
} // namespace
