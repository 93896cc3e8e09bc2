//===- SplitExtraTokens.cpp - class tokens live beside split patch tokens --===//
//
// A ViT concatenates a class token (or register or distillation tokens) to
// its patch tokens: Concat([cls (1 token), patches (N tokens)]) along the
// token dim. The patches can be split over ranks, but a concat axis cannot:
// the partitioner would gather every patch token there and run the encoder
// replicated. This pass keeps the two streams apart instead. Each pattern
// below moves such a concat one op downstream, computing the op on each
// piece (the same function, as the op is per token along that dim), until
// it meets an op it cannot cross. Attention splits too: the patch queries
// and the class query each attend to the patch keys plus the class token's
// keys as `prefix` keys (quilt.attention's prefix operands), which every
// rank holds. The head's slice of token 0 is then the class stream itself.
// Only concats whose tokens reach an attention are split (not a CNN's
// concat of a few channels).
// The extra tokens are computed on every rank (a few rows); the patch tokens
// stay split, and quilt-keep-token-grid keeps their grid after this.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTSPLITEXTRATOKENS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Extra tokens are few: a class token, a distillation token, registers.
constexpr int64_t kMaxExtraTokens = 16;

/// On the concats this pass splits: those whose tokens reach an attention
/// (not a CNN's channel concat), and the concats it makes from them.
constexpr llvm::StringLiteral kExtraTokensAttr = "quilt.extra_tokens";

/// A value that is Concat(pieces) along `dim`, with `first` extra tokens or
/// main tokens first: pieces[0] then pieces[1].
struct TokenConcat {
  SmallVector<Value, 2> pieces;
  int64_t dim = 0;

  int64_t extent(size_t i) const {
    return cast<RankedTensorType>(pieces[i].getType()).getDimSize(dim);
  }
  bool sameSplit(const TokenConcat &o) const {
    return dim == o.dim && extent(0) == o.extent(0) && extent(1) == o.extent(1);
  }
};

static std::optional<TokenConcat> asTokenConcat(Value value) {
  auto concat = value.getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 || !concat->hasAttr(kExtraTokensAttr) ||
      !concat.getResult().getType().hasStaticShape())
    return std::nullopt;
  TokenConcat c{{concat.getInputs()[0], concat.getInputs()[1]}, (int64_t)concat.getAxis()};
  int64_t small = std::min(c.extent(0), c.extent(1)), large = std::max(c.extent(0), c.extent(1));
  if (small < 1 || small > kMaxExtraTokens || small >= large)
    return std::nullopt;
  return c;
}

/// `type` with dim `dim` of extent `size`.
static RankedTensorType withExtent(RankedTensorType type, int64_t dim, int64_t size) {
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  return RankedTensorType::get(shape, type.getElementType());
}

/// Positions [start, start + size) of `value` along `dim`: a sliced constant
/// when it is one, else a quilt.slice.
static Value sliceOf(PatternRewriter &rw, Location loc, Value value, int64_t dim, int64_t start,
                     int64_t size) {
  auto type = cast<RankedTensorType>(value.getType());
  auto out = withExtent(type, dim, size);
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
        dense && dense.getElementType().isF32() && type.hasStaticShape()) {
      if (dense.isSplat())
        return ConstantOp::create(rw, constant.getLoc(), out, dense.resizeSplat(out));
      SmallVector<float> values(dense.getValues<float>());
      int64_t inner = 1, outer = 1;
      for (int64_t d = dim + 1; d < type.getRank(); ++d)
        inner *= type.getDimSize(d);
      for (int64_t d = 0; d < dim; ++d)
        outer *= type.getDimSize(d);
      SmallVector<float> sliced;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < size * inner; ++i)
          sliced.push_back(values[(o * type.getDimSize(dim) + start) * inner + i]);
      return ConstantOp::create(rw, constant.getLoc(), out,
                                DenseElementsAttr::get(out, ArrayRef<float>(sliced)));
    }
  SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
  starts[dim] = start;
  return SliceOp::create(rw, loc, out, value, rw.getDenseI64ArrayAttr(starts),
                         rw.getDenseI64ArrayAttr(steps));
}

/// The pieces of operand `value` for an op computing per token along `dim`
/// of a result split as `c`: its own pieces when it is a concat split alike,
/// itself twice when it broadcasts along `dim`, else its two slices.
static std::optional<std::array<Value, 2>> piecesOf(PatternRewriter &rw, Location loc,
                                                    Value value, int64_t dim,
                                                    const TokenConcat &c) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || dim >= type.getRank())
    return std::nullopt;
  if (std::optional<TokenConcat> own = asTokenConcat(value); own && own->dim == dim) {
    if (!own->sameSplit(TokenConcat{c.pieces, dim}))
      return std::nullopt;
    return std::array<Value, 2>{own->pieces[0], own->pieces[1]};
  }
  if (type.getDimSize(dim) == 1)
    return std::array<Value, 2>{value, value};
  if (type.getDimSize(dim) != c.extent(0) + c.extent(1))
    return std::nullopt;
  return std::array<Value, 2>{sliceOf(rw, loc, value, dim, 0, c.extent(0)),
                              sliceOf(rw, loc, value, dim, c.extent(0), c.extent(1))};
}

/// Replaces `op`'s only result by the concat of `pieces` along `dim`.
static void replaceByConcat(PatternRewriter &rw, Operation *op, std::array<Value, 2> pieces,
                            int64_t dim) {
  auto concat = rw.replaceOpWithNewOp<ConcatOp>(op, op->getResult(0).getType(),
                                                ValueRange{pieces[0], pieces[1]},
                                                rw.getI64IntegerAttr(dim));
  concat->setAttr(kExtraTokensAttr, rw.getUnitAttr());
}

/// `op` recreated with `operands` and result `type` (attributes kept).
static Value cloneWith(PatternRewriter &rw, Operation *op, ValueRange operands, Type type) {
  OperationState state(op->getLoc(), op->getName().getIdentifier(), operands, {type},
                       op->getAttrs());
  return rw.create(state)->getResult(0);
}

/// `op` computed on each piece of `c`, its operand `operand` (the concat)
/// replaced by the piece and its result's dim `dim` sized to it, concatenated
/// along `dim`.
static void splitPerPiece(PatternRewriter &rw, Operation *op, const TokenConcat &c,
                          unsigned operand, int64_t dim) {
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  std::array<Value, 2> results;
  for (int i = 0; i < 2; ++i) {
    SmallVector<Value> operands(op->getOperands());
    operands[operand] = c.pieces[i];
    results[i] = cloneWith(rw, op, operands, withExtent(out, dim, c.extent(i)));
  }
  replaceByConcat(rw, op, results, dim);
}

/// Whether piecesOf can cut `value` along `dim` for `c` (decided before any
/// rewrite: a pattern that fails must leave the IR as it was).
static bool canCut(Value value, int64_t dim, const TokenConcat &c) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || dim >= type.getRank())
    return false;
  if (std::optional<TokenConcat> own = asTokenConcat(value); own && own->dim == dim)
    return own->sameSplit(TokenConcat{c.pieces, dim});
  return type.getDimSize(dim) == 1 || type.getDimSize(dim) == c.extent(0) + c.extent(1);
}

/// Any op whose sharding rule carries the concat's token dim as a parallel
/// factor (each result position along it reads only the same positions of
/// the operands that carry it: elementwise ops, a positional embedding's
/// add, transposes, layer_norm and softmax over later dims, einsums and
/// gemms keeping the tokens as rows): computed on each piece, the operands
/// carrying the factor cut alike (piecesOf), the others whole. The rule is
/// the op's own statement of which dims pass through (ShardingRules.cpp):
/// this pass keeps no list of ops.
struct SplitParallelOp : RewritePattern {
  SplitParallelOp(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    auto ruled = dyn_cast<ShardingRuleOpInterface>(op);
    // The concat itself, attention (prefix keys), and reshapes and slices
    // (the token dim may move or be cut) have patterns of their own.
    if (!ruled || op->getNumResults() != 1 || isa<ConcatOp, AttentionOp, ReshapeOp, SliceOp>(op))
      return failure();
    auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!out || !out.hasStaticShape())
      return failure();
    ShardingRule rule = ruled.getShardingRule();
    if (rule.operandFactors.size() != op->getNumOperands() || rule.resultFactors.size() != 1)
      return failure();
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      std::optional<TokenConcat> c = asTokenConcat(operand);
      if (!c || c->dim >= (int64_t)rule.operandFactors[i].size())
        continue;
      int64_t f = rule.operandFactors[i][c->dim];
      if (f == kNoFactor || rule.factors[f].kind != FactorKind::Parallel ||
          rule.operandMultiplier(i, c->dim) != 1)
        continue;
      ArrayRef<int64_t> resultDims = rule.resultFactors[0];
      const int64_t *at = llvm::find(resultDims, f);
      if (at == resultDims.end())
        continue;
      int64_t dim = at - resultDims.begin();
      if (rule.resultMultiplier(0, dim) != 1 || out.getDimSize(dim) != c->extent(0) + c->extent(1))
        continue;
      // Where each operand carries the factor (-1: it does not).
      SmallVector<int64_t> cutAt;
      bool cuttable = true;
      for (auto [j, v] : llvm::enumerate(op->getOperands())) {
        ArrayRef<int64_t> dims = rule.operandFactors[j];
        const int64_t *found = llvm::find(dims, f);
        cutAt.push_back(found == dims.end() ? -1 : found - dims.begin());
        cuttable = cuttable && (cutAt.back() < 0 || canCut(v, cutAt.back(), *c));
      }
      if (!cuttable)
        continue;
      std::array<SmallVector<Value>, 2> operands;
      for (auto [j, v] : llvm::enumerate(op->getOperands())) {
        std::array<Value, 2> pieces{v, v};
        if (cutAt[j] >= 0)
          pieces = *piecesOf(rw, op->getLoc(), v, cutAt[j], *c);
        operands[0].push_back(pieces[0]);
        operands[1].push_back(pieces[1]);
      }
      std::array<Value, 2> results;
      for (int k = 0; k < 2; ++k)
        results[k] = cloneWith(rw, op, operands[k], withExtent(out, dim, c->extent(k)));
      replaceByConcat(rw, op, results, dim);
      return success();
    }
    return failure();
  }
};

struct SplitReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rw) const override {
    std::optional<TokenConcat> c = asTokenConcat(op.getInput());
    auto in = op.getInput().getType(), out = op.getResult().getType();
    if (!c || !out.hasStaticShape())
      return failure();
    // The token dim must survive as one dim: as many positions before it.
    int64_t before = 1, at = 1;
    for (int64_t d = 0; d < c->dim; ++d)
      before *= in.getDimSize(d);
    for (int64_t t = 0; t < out.getRank(); at *= out.getDimSize(t), ++t) {
      if (at != before || out.getDimSize(t) != in.getDimSize(c->dim))
        continue;
      splitPerPiece(rw, op, *c, 0, t);
      return success();
    }
    return failure();
  }
};

struct SplitSlice : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &rw) const override {
    std::optional<TokenConcat> c = asTokenConcat(op.getInput());
    if (!c)
      return failure();
    int64_t start = op.getStarts()[c->dim], step = op.getSteps()[c->dim];
    int64_t count = op.getResult().getType().getDimSize(c->dim);
    if (step != 1)
      return failure();
    auto sliceFrom = [&](int64_t piece, int64_t first, int64_t size) {
      SmallVector<int64_t> starts(op.getStarts());
      starts[c->dim] = first;
      return SliceOp::create(rw, op.getLoc(),
                             withExtent(op.getResult().getType(), c->dim, size), c->pieces[piece],
                             rw.getDenseI64ArrayAttr(starts), op.getStepsAttr())
          .getResult();
    };
    // Within one piece (the head's token 0): a slice of that piece alone.
    for (int64_t i = 0, offset = 0; i < 2; offset += c->extent(i), ++i)
      if (start >= offset && start + count <= offset + c->extent(i)) {
        rw.replaceOp(op, sliceFrom(i, start - offset, count));
        return success();
      }
    if (start != 0 || count != c->extent(0) + c->extent(1))
      return failure();
    replaceByConcat(rw, op, {sliceFrom(0, 0, c->extent(0)), sliceFrom(1, 0, c->extent(1))},
                    c->dim);
    return success();
  }
};

/// Attention: queries split into the two streams (each attends to all keys);
/// keys and values split alike give the extra tokens as prefix keys.
struct SplitAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rw) const override {
    // A bias has a column per key: the extra tokens' would be cut off.
    if (op.getTokenDims() != 1 || op.getBias())
      return failure();
    int64_t tokenDim = op.getQ().getType().getRank() - 2;
    std::optional<TokenConcat> q = asTokenConcat(op.getQ()), k = asTokenConcat(op.getK()),
                               v = asTokenConcat(op.getV());
    if (q && q->dim != tokenDim)
      q.reset();
    bool keysSplit = k && v && k->dim == tokenDim && k->sameSplit(*v);
    if (!q && !keysSplit)
      return failure();
    // The smaller piece of the keys is the prefix (joining a prefix split
    // off before: extra tokens on both sides of the patches); attention
    // does not care about the order of its keys.
    Value keys = op.getK(), values = op.getV(), prefixK = op.getPrefixK(),
          prefixV = op.getPrefixV();
    if (keysSplit) {
      int extra = k->extent(0) < k->extent(1) ? 0 : 1;
      auto join = [&](Value prefix, Value piece) -> Value {
        if (!prefix)
          return piece;
        auto a = cast<RankedTensorType>(prefix.getType());
        int64_t tokens = a.getDimSize(tokenDim) +
                         cast<RankedTensorType>(piece.getType()).getDimSize(tokenDim);
        return ConcatOp::create(rw, op.getLoc(), withExtent(a, tokenDim, tokens),
                                ValueRange{prefix, piece}, rw.getI64IntegerAttr(tokenDim));
      };
      prefixK = join(prefixK, k->pieces[extra]);
      prefixV = join(prefixV, v->pieces[extra]);
      keys = k->pieces[1 - extra];
      values = v->pieces[1 - extra];
    }
    auto out = op.getResult().getType();
    auto attend = [&](Value queries, RankedTensorType type) {
      return AttentionOp::create(rw, op.getLoc(), type, queries, keys, values, prefixK, prefixV,
                                 (int64_t)1)
          .getResult();
    };
    if (!q) {
      rw.replaceOp(op, attend(op.getQ(), out));
      return success();
    }
    replaceByConcat(rw, op,
                    {attend(q->pieces[0], withExtent(out, tokenDim, q->extent(0))),
                     attend(q->pieces[1], withExtent(out, tokenDim, q->extent(1)))},
                    tokenDim);
    return success();
  }
};

/// A concat of the many tokens and several few ones (DeiT's class and
/// distillation tokens before the patches; registers after them) becomes
/// two-piece concats the patterns move: the few before the many grouped into
/// one concat with it, and the few after it concatenated to that.
struct GroupExtraTokens : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rw) const override {
    auto inputs = op.getInputs();
    auto out = op.getResult().getType();
    if (inputs.size() < 3 || !op->hasAttr(kExtraTokensAttr) || !out.hasStaticShape())
      return failure();
    int64_t dim = op.getAxis();
    auto extent = [&](Value v) { return cast<RankedTensorType>(v.getType()).getDimSize(dim); };
    auto many = llvm::max_element(inputs, [&](Value a, Value b) { return extent(a) < extent(b); });
    int64_t manyAt = many - inputs.begin(), fewTokens = out.getDimSize(dim) - extent(*many);
    if (fewTokens > kMaxExtraTokens || fewTokens >= extent(*many))
      return failure();
    auto group = [&](ValueRange few) -> Value {
      if (few.size() == 1)
        return few.front();
      int64_t tokens = 0;
      for (Value v : few)
        tokens += extent(v);
      return ConcatOp::create(rw, op.getLoc(), withExtent(out, dim, tokens), few,
                              op.getAxisAttr());
    };
    auto split = [&](Value first, Value second) {
      auto c = ConcatOp::create(rw, op.getLoc(),
                                withExtent(out, dim, extent(first) + extent(second)),
                                ValueRange{first, second}, op.getAxisAttr());
      c->setAttr(kExtraTokensAttr, rw.getUnitAttr());
      return c.getResult();
    };
    ValueRange before = inputs.take_front(manyAt), after = inputs.drop_front(manyAt + 1);
    Value tokens = before.empty() ? *many : split(group(before), *many);
    if (!after.empty())
      tokens = split(tokens, group(after));
    rw.replaceOp(op, tokens);
    return success();
  }
};

/// Whether a value of `op` reaches an attention through its users.
static bool reachesAttention(Operation *op) {
  SmallVector<Operation *> work{op};
  DenseSet<Operation *> seen{op};
  while (!work.empty()) {
    Operation *next = work.pop_back_val();
    if (isa<AttentionOp>(next))
      return true;
    for (Operation *user : next->getUsers())
      if (seen.insert(user).second)
        work.push_back(user);
  }
  return false;
}

struct SplitExtraTokens : quilt::impl::QuiltSplitExtraTokensBase<SplitExtraTokens> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation()->walk([&](ConcatOp concat) {
      if (concat.getInputs().size() >= 2 && reachesAttention(concat))
        concat->setAttr(kExtraTokensAttr, UnitAttr::get(ctx));
    });
    RewritePatternSet patterns(ctx);
    patterns.add<SplitParallelOp, SplitReshape, SplitSlice, SplitAttention, GroupExtraTokens>(
        ctx);
    // Weights stay where the importer put them: no folding, no constant CSE.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config))) {
      getOperation()->emitError("quilt-split-extra-tokens did not reach a fixed point");
      signalPassFailure();
    }
    getOperation()->walk([](ConcatOp concat) { concat->removeAttr(kExtraTokensAttr); });
  }
};
} // namespace
