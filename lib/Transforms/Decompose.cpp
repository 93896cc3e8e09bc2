//===- Decompose.cpp - ONNX-level ops to Quilt's compute ops ---------------===//
//
// The importer states BatchNormalization, And/Or/Xor/Not and MatMul as ONNX
// does (quilt.batch_norm, quilt.logic, quilt.matmul); these patterns lower
// them to the compute ops that carry sharding rules. quiltc runs the pass as
// the last step of the import phase, so `--compile-to=import` shows the
// lowered ops, exactly as the importer built them before the pass existed.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <optional>

namespace quilt {
#define GEN_PASS_DEF_QUILTDECOMPOSE
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// The location of an op that computes part of `op`'s value: its node, less
/// the ONNX value names, which only the op computing the value keeps.
static Location partLoc(Operation *op) { return withoutOnnxValueNames(op->getLoc()); }

/// A float32 constant of `shape` (the importer's form: one value per element,
/// or one value for a shape of one element).
static Value constant(PatternRewriter &rw, Location loc, ArrayRef<int64_t> shape,
                      ArrayRef<float> data) {
  auto type = RankedTensorType::get(shape, rw.getF32Type());
  return ConstantOp::create(rw, loc, type, DenseElementsAttr::get(type, data));
}

/// `value` with `shape`: a constant's data re-typed, else a quilt.reshape.
static Value reshapeTo(PatternRewriter &rw, Location loc, Value value, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, rw.getF32Type());
  if (value.getType() == type)
    return value;
  if (auto c = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()))
      return ConstantOp::create(rw, loc, type, dense.reshape(type));
  return ReshapeOp::create(rw, loc, type, value);
}

/// The float32 values of a constant, or nothing when `value` is computed.
static std::optional<SmallVector<float>> constantValues(Value value) {
  auto c = value.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense || !dense.getElementType().isF32())
    return std::nullopt;
  return llvm::to_vector(dense.getValues<float>());
}

/// y = x * a + b per channel, a = scale / sqrt(variance + epsilon) and
/// b = bias - mean * a, each [1, C, 1, ...].
struct DecomposeBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op, PatternRewriter &rw) const override {
    RankedTensorType type = op.getType();
    Location part = partLoc(op);
    int64_t channels = type.getDimSize(1);
    SmallVector<int64_t> perChannel(type.getRank(), 1);
    perChannel[1] = channels;
    SmallVector<Value> params{op.getScale(), op.getBias(), op.getMean(), op.getVariance()};
    SmallVector<SmallVector<float>> known;
    for (Value p : params)
      if (auto values = constantValues(p))
        known.push_back(std::move(*values));
    Value scaled;
    if (known.size() == params.size()) {
      // Folded in double, each value rounded to float32 once.
      double epsilon = op.getEpsilon().convertToDouble();
      SmallVector<float> factor, shift;
      for (int64_t c = 0; c < channels; ++c) {
        double a = known[0][c] / std::sqrt((double)known[3][c] + epsilon);
        factor.push_back(a);
        shift.push_back(known[1][c] - known[2][c] * a);
      }
      scaled = MulOp::create(rw, part, type, op.getInput(), constant(rw, part, perChannel, factor));
      rw.replaceOpWithNewOp<AddOp>(op, type, scaled, constant(rw, part, perChannel, shift));
    } else {
      auto vector = RankedTensorType::get({channels}, rw.getF32Type());
      Value epsilon = constant(rw, part, {1}, {(float)op.getEpsilon().convertToDouble()});
      Value deviation =
          SqrtOp::create(rw, part, AddOp::create(rw, part, vector, op.getVariance(), epsilon));
      Value factor = DivOp::create(rw, part, vector, op.getScale(), deviation);
      Value shift = SubOp::create(rw, part, vector, op.getBias(),
                                  MulOp::create(rw, part, vector, op.getMean(), factor));
      scaled =
          MulOp::create(rw, part, type, op.getInput(), reshapeTo(rw, part, factor, perChannel));
      rw.replaceOpWithNewOp<AddOp>(op, type, scaled, reshapeTo(rw, part, shift, perChannel));
    }
    return success();
  }
};

/// Masks of 0 and 1: and = l * r, or = max(l, r), xor = |l - r|, not = 1 - x.
struct DecomposeLogic : OpRewritePattern<LogicOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogicOp op, PatternRewriter &rw) const override {
    RankedTensorType type = op.getType();
    Value l = op.getOperands()[0];
    switch (op.getKind()) {
    case LogicKind::Not: {
      SmallVector<int64_t> ones(type.getRank(), 1);
      rw.replaceOpWithNewOp<SubOp>(op, type, constant(rw, partLoc(op), ones, {1.f}), l);
      return success();
    }
    case LogicKind::And:
      rw.replaceOpWithNewOp<MulOp>(op, type, l, op.getOperands()[1]);
      return success();
    case LogicKind::Or:
      rw.replaceOpWithNewOp<MaxOp>(op, type, l, op.getOperands()[1]);
      return success();
    case LogicKind::Xor:
      rw.replaceOpWithNewOp<AbsOp>(
          op, SubOp::create(rw, partLoc(op), type, l, op.getOperands()[1]).getResult());
      return success();
    }
    return failure();
  }
};

/// numpy matmul: a gemm when no operand has batch dims, else an einsum.
struct DecomposeMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter &rw) const override {
    Value lhs = op.getLhs(), rhs = op.getRhs();
    auto a = op.getLhs().getType(), b = op.getRhs().getType();
    RankedTensorType type = op.getType();
    int64_t ra = a.getRank(), rb = b.getRank();
    Location part = partLoc(op);
    auto falseAttr = rw.getBoolAttr(false);
    auto oneAttr = rw.getF32FloatAttr(1);
    if (ra == 2 && rb == 2) {
      rw.replaceOpWithNewOp<GemmOp>(op, type, lhs, rhs, Value(), falseAttr, falseAttr, oneAttr,
                                    oneAttr);
      return success();
    }
    if (ra <= 2 && rb <= 2) {
      // A 1-D lhs is a row [1, K], a 1-D rhs a column [K, 1]; the result
      // drops the dim they add.
      int64_t k = a.getDimSize(ra - 1);
      int64_t m = ra == 2 ? a.getDimSize(0) : 1, n = rb == 2 ? b.getDimSize(1) : 1;
      Value row = reshapeTo(rw, part, lhs, {m, k}), column = reshapeTo(rw, part, rhs, {k, n});
      Value product = GemmOp::create(rw, part, RankedTensorType::get({m, n}, rw.getF32Type()), row,
                                     column, Value(), falseAttr, falseAttr, oneAttr, oneAttr);
      rw.replaceOpWithNewOp<ReshapeOp>(op, type, product);
      return success();
    }
    // One letter per result batch dim; m, k, n after them. An operand's
    // batch dim of extent 1 that the result broadcasts is reshaped away.
    int64_t batch = type.getRank() - (ra >= 2) - (rb >= 2);
    const char m = 'w', k = 'x', n = 'y';
    if (batch > m - 'a')
      return rw.notifyMatchFailure(op, "more batch dims than einsum letters");
    auto operand = [&](Value v, RankedTensorType t, bool isLhs) {
      int64_t rank = t.getRank(), own = std::max<int64_t>(rank - 2, 0);
      SmallVector<int64_t> kept;
      std::string term;
      for (int64_t d = 0; d < own; ++d) {
        int64_t resultDim = batch - own + d;
        if (t.getDimSize(d) == 1 && type.getDimSize(resultDim) != 1)
          continue;
        kept.push_back(t.getDimSize(d));
        term += char('a' + resultDim);
      }
      for (int64_t d = own; d < rank; ++d)
        kept.push_back(t.getDimSize(d));
      if (rank == 1)
        term += k;
      else
        term += isLhs ? std::string{m, k} : std::string{k, n};
      return std::make_pair(reshapeTo(rw, part, v, kept), term);
    };
    auto [l, lTerm] = operand(lhs, a, true);
    auto [r, rTerm] = operand(rhs, b, false);
    std::string result;
    for (int64_t d = 0; d < batch; ++d)
      result += char('a' + d);
    if (ra >= 2)
      result += m;
    if (rb >= 2)
      result += n;
    rw.replaceOpWithNewOp<EinsumOp>(op, type, l, r,
                                    rw.getStringAttr(lTerm + "," + rTerm + "->" + result));
    return success();
  }
};

struct Decompose : quilt::impl::QuiltDecomposeBase<Decompose> {
  void runOnOperation() override {
    // The constants the lowered ops read: parameters folded into new
    // constants, and operands re-typed, leave them unused.
    llvm::SetVector<Operation *> operandConstants;
    getOperation()->walk([&](Operation *op) {
      if (isa<BatchNormOp, LogicOp, MatMulOp>(op))
        for (Value v : op->getOperands())
          if (auto c = v.getDefiningOp<ConstantOp>())
            operandConstants.insert(c);
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeBatchNorm, DecomposeLogic, DecomposeMatMul>(&getContext());
    // One walk, no folding or dead-code removal: every other op stays as built.
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    for (Operation *c : operandConstants)
      if (c->use_empty())
        c->erase();
    getOperation()->walk([&](Operation *op) {
      if (isa<BatchNormOp, LogicOp, MatMulOp>(op)) {
        op->emitOpError("could not be lowered (more batch dims than einsum letters)");
        signalPassFailure();
      }
    });
  }
};
} // namespace
