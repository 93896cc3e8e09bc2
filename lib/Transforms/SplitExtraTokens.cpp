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

static std::optional<TokenConcat> firstTokenConcat(Operation *op) {
  for (Value v : op->getOperands())
    if (std::optional<TokenConcat> c = asTokenConcat(v))
      return c;
  return std::nullopt;
}

/// Elementwise ops (numpy broadcasting over equal ranks): a positional
/// embedding added to [cls; patches] is sliced alike.
struct SplitElementwise : RewritePattern {
  SplitElementwise(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rw) const override {
    if (!isa<ElementwiseKernelOpInterface, SelectOp, CompareOp>(op) || op->getNumResults() != 1)
      return failure();
    std::optional<TokenConcat> c = firstTokenConcat(op);
    auto out = cast<RankedTensorType>(op->getResult(0).getType());
    if (!c || !out.hasStaticShape() || c->dim >= out.getRank() ||
        out.getDimSize(c->dim) != c->extent(0) + c->extent(1))
      return failure();
    std::array<SmallVector<Value>, 2> operands;
    for (Value v : op->getOperands()) {
      std::optional<std::array<Value, 2>> p = piecesOf(rw, op->getLoc(), v, c->dim, *c);
      if (!p)
        return failure();
      operands[0].push_back((*p)[0]);
      operands[1].push_back((*p)[1]);
    }
    std::array<Value, 2> results;
    for (int i = 0; i < 2; ++i)
      results[i] = cloneWith(rw, op, operands[i], withExtent(out, c->dim, c->extent(i)));
    replaceByConcat(rw, op, results, c->dim);
    return success();
  }
};

/// Ops whose only operand is the concat and that work per position of the
/// token dim: transposes (the dim moves), layer_norm and softmax over later
/// dims, reshapes that keep the token dim, slices of it.
struct SplitTranspose : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rw) const override {
    std::optional<TokenConcat> c = asTokenConcat(op.getInput());
    if (!c)
      return failure();
    int64_t dim = llvm::find(op.getPerm(), c->dim) - op.getPerm().begin();
    splitPerPiece(rw, op, *c, 0, dim);
    return success();
  }
};

template <class NormOpT>
struct SplitRowOp : OpRewritePattern<NormOpT> {
  using OpRewritePattern<NormOpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(NormOpT op, PatternRewriter &rw) const override {
    std::optional<TokenConcat> c = asTokenConcat(op->getOperand(0));
    // layer_norm normalizes dims [axis, rank); softmax one axis.
    int64_t axis = op.getAxis();
    if (!c || (std::is_same_v<NormOpT, LayerNormOp> ? axis <= c->dim : axis == c->dim))
      return failure();
    splitPerPiece(rw, op, *c, 0, c->dim);
    return success();
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

/// Einsum keeping the token letter in its result, the other operand
/// without it (the QKV and MLP projections).
struct SplitEinsum : OpRewritePattern<EinsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EinsumOp op, PatternRewriter &rw) const override {
    auto letters = op.parseEquation();
    if (failed(letters))
      return failure();
    const auto &terms = *letters;
    SmallVector<Value, 2> inputs{op.getLhs(), op.getRhs()};
    for (int side = 0; side < 2; ++side) {
      std::optional<TokenConcat> c = asTokenConcat(inputs[side]);
      if (!c)
        continue;
      char letter = terms[side][c->dim];
      size_t at = terms[2].find(letter);
      if (at == std::string::npos || terms[1 - side].find(letter) != std::string::npos)
        continue;
      splitPerPiece(rw, op, *c, side, at);
      return success();
    }
    return failure();
  }
};

/// Gemm whose rows are the tokens (the attention's output projection).
struct SplitGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op, PatternRewriter &rw) const override {
    std::optional<TokenConcat> c = asTokenConcat(op.getA());
    if (!c || c->dim != 0 || op.getTransA())
      return failure();
    Value bias = op.getC();
    std::array<Value, 2> biases{bias, bias};
    if (bias) {
      auto type = cast<RankedTensorType>(bias.getType());
      if (type.getRank() == 2 && type.getDimSize(0) != 1) {
        std::optional<std::array<Value, 2>> p = piecesOf(rw, op.getLoc(), bias, 0, *c);
        if (!p)
          return failure();
        biases = *p;
      }
    }
    std::array<Value, 2> results;
    for (int i = 0; i < 2; ++i)
      results[i] = GemmOp::create(rw, op.getLoc(),
                                  withExtent(op.getResult().getType(), 0, c->extent(i)),
                                  c->pieces[i], op.getB(), biases[i], op.getTransAAttr(),
                                  op.getTransBAttr(), op.getAlphaAttr(), op.getBetaAttr());
    replaceByConcat(rw, op, results, 0);
    return success();
  }
};

/// Attention: queries split into the two streams (each attends to all keys);
/// keys and values split alike give the extra tokens as prefix keys.
struct SplitAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rw) const override {
    // A bias has a column per key: the extra tokens' would be cut off.
    if (op.getTokenDims() != 1 || op.getPrefixK() || op.getBias())
      return failure();
    int64_t tokenDim = op.getQ().getType().getRank() - 2;
    std::optional<TokenConcat> q = asTokenConcat(op.getQ()), k = asTokenConcat(op.getK()),
                               v = asTokenConcat(op.getV());
    if (q && q->dim != tokenDim)
      q.reset();
    bool keysSplit = k && v && k->dim == tokenDim && k->sameSplit(*v);
    if (!q && !keysSplit)
      return failure();
    // The smaller piece of the keys is the prefix; attention does not care
    // about the order of its keys.
    Value keys = op.getK(), values = op.getV(), prefixK, prefixV;
    if (keysSplit) {
      int extra = k->extent(0) < k->extent(1) ? 0 : 1;
      prefixK = k->pieces[extra];
      prefixV = v->pieces[extra];
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

/// Several extra tokens concatenated in one op before (or after) the many
/// (DeiT's class and distillation tokens, registers): the few are first
/// concatenated among themselves, so the patterns above see two pieces.
struct GroupExtraTokens : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &rw) const override {
    auto inputs = op.getInputs();
    auto out = op.getResult().getType();
    if (inputs.size() < 3 || !op->hasAttr(kExtraTokensAttr) || !out.hasStaticShape())
      return failure();
    int64_t dim = op.getAxis();
    auto extent = [&](Value v) { return cast<RankedTensorType>(v.getType()).getDimSize(dim); };
    bool manyFirst = extent(inputs.front()) > extent(inputs.back());
    Value many = manyFirst ? inputs.front() : inputs.back();
    auto few = manyFirst ? inputs.drop_front() : inputs.drop_back();
    int64_t fewTokens = 0;
    for (Value v : few)
      fewTokens += extent(v);
    if (fewTokens > kMaxExtraTokens || fewTokens >= extent(many))
      return failure();
    Value grouped = ConcatOp::create(rw, op.getLoc(), withExtent(out, dim, fewTokens), few,
                                     op.getAxisAttr());
    auto split = rw.replaceOpWithNewOp<ConcatOp>(
        op, out, manyFirst ? ValueRange{many, grouped} : ValueRange{grouped, many},
        op.getAxisAttr());
    split->setAttr(kExtraTokensAttr, rw.getUnitAttr());
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
    patterns.add<SplitElementwise, SplitTranspose, SplitRowOp<LayerNormOp>,
                 SplitRowOp<SoftmaxOp>, SplitRowOp<LogSoftmaxOp>, SplitReshape, SplitSlice,
                 SplitEinsum, SplitGemm, SplitAttention, GroupExtraTokens>(ctx);
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
