//===- DistributeFlattenContraction.cpp - contract split dims in place -----===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTDISTRIBUTEFLATTENCONTRACTION
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// B as [1, d1..dk, M]: rows of B (K = d1*..*dk) in the order Flatten reads x.
static DenseElementsAttr contractionWeights(DenseElementsAttr b, bool transB,
                                            ArrayRef<int64_t> merged, int64_t m) {
  SmallVector<float> values(b.getValues<float>());
  int64_t k = values.size() / m;
  SmallVector<float> rows(values.size());
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < m; ++j)
      rows[i * m + j] = transB ? values[j * k + i] : values[i * m + j];
  SmallVector<int64_t> shape{1};
  llvm::append_range(shape, merged);
  shape.push_back(m);
  auto type = RankedTensorType::get(shape, Float32Type::get(b.getContext()));
  return DenseElementsAttr::get(type, ArrayRef<float>(rows));
}

/// Rewrites one gemm when its A is a flatten of a tensor split on a merged dim.
static void distribute(GemmOp gemm) {
  auto reshape = gemm.getA().getDefiningOp<ReshapeOp>();
  auto weights = gemm.getB().getDefiningOp<ConstantOp>();
  if (!reshape || !weights || gemm.getTransA() || gemm.getAlpha().convertToFloat() != 1.0f ||
      (gemm.getC() && gemm.getBeta().convertToFloat() != 1.0f))
    return;
  auto b = dyn_cast<DenseElementsAttr>(weights.getValue());
  auto x = reshape.getInput();
  auto xType = cast<RankedTensorType>(x.getType());
  auto flat = reshape.getResult().getType();
  // Only Flatten(axis=1): [N, d1..dk] -> [N, d1*..*dk].
  if (!b || xType.getRank() < 3 || flat.getRank() != 2 || flat.getDimSize(0) != xType.getDimSize(0))
    return;
  AxisSplit split = getValueSplit(x);
  bool mergedSplit = llvm::any_of(llvm::drop_begin(split.dims),
                                  [](const auto &axes) { return !axes.empty(); });
  if (!mergedSplit)
    return;

  OpBuilder builder(gemm);
  Location loc = gemm.getLoc();
  int64_t n = xType.getDimSize(0), m = gemm.getResult().getType().getDimSize(1);
  SmallVector<int64_t> merged(xType.getShape().drop_front());
  SmallVector<int64_t> xShape(xType.getShape());
  xShape.push_back(1);
  auto f32 = builder.getF32Type();
  Value x1 = ReshapeOp::create(builder, loc, RankedTensorType::get(xShape, f32), x);
  DenseElementsAttr rowsAttr = contractionWeights(b, gemm.getTransB(), merged, m);
  Value rows = ConstantOp::create(builder, loc, rowsAttr.getType(), rowsAttr);
  SmallVector<int64_t> productShape{n};
  llvm::append_range(productShape, merged);
  productShape.push_back(m);
  Value product =
      MulOp::create(builder, loc, RankedTensorType::get(productShape, f32), x1, rows);
  SmallVector<int64_t> dims, summedShape{n};
  for (int64_t d = 1; d <= (int64_t)merged.size(); ++d) {
    dims.push_back(d);
    summedShape.push_back(1);
  }
  summedShape.push_back(m);
  Value summed = ReduceSumOp::create(builder, loc, RankedTensorType::get(summedShape, f32), product,
                                             builder.getDenseI64ArrayAttr(dims));
  Value result = ReshapeOp::create(builder, loc, gemm.getResult().getType(), summed);
  if (gemm.getC())
    result = AddOp::create(builder, loc, gemm.getResult().getType(), result, gemm.getC());
  gemm.emitRemark() << "contracting " << describeNode(gemm)
                    << " over the unflattened dims of a split input (no all-gather)";
  gemm.getResult().replaceAllUsesWith(result);
  gemm.erase();
  if (reshape->use_empty())
    reshape.erase();
  if (weights->use_empty())
    weights.erase();
}

struct DistributeFlattenContraction
    : quilt::impl::QuiltDistributeFlattenContractionBase<DistributeFlattenContraction> {
  void runOnOperation() override {
    SmallVector<GemmOp> gemms;
    getOperation().walk([&](GemmOp gemm) { gemms.push_back(gemm); });
    for (GemmOp gemm : gemms)
      distribute(gemm);
  }
};
} // namespace
