//===- FuseAttention.cpp - MatMul, Softmax, MatMul become quilt.attention --===//
//
// Exporters write scaled dot-product attention as
//   s = MatMul(q, kT); p = Softmax(s, axis = -1); o = MatMul(p, v)
// (batched MatMuls import as einsums). Fused, the scores never exist as a
// whole [Tq, Tk] tensor per rank: split keys run as a ring, block by block.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTFUSEATTENTION
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Whether `op` is a batched matmul `P m x, P x n -> P m n` (one letter each).
static bool isBatchedMatmul(EinsumOp op) {
  auto letters = op.parseEquation();
  if (failed(letters))
    return false;
  auto [a, b, r] = *letters;
  size_t rank = a.size();
  if (rank < 2 || b.size() != rank || r.size() != rank)
    return false;
  std::string batch = a.substr(0, rank - 2);
  char m = a[rank - 2], x = a[rank - 1], n = b[rank - 1];
  return b.substr(0, rank - 2) == batch && r.substr(0, rank - 2) == batch && b[rank - 2] == x &&
         r[rank - 2] == m && r[rank - 1] == n && m != x && x != n && m != n;
}

/// `kT` with its last two dims swapped, folding into a transpose that made it.
static Value swapLastTwo(OpBuilder &b, Location loc, Value kT) {
  auto type = cast<RankedTensorType>(kT.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm, shape(type.getShape());
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d);
  std::swap(perm[rank - 1], perm[rank - 2]);
  std::swap(shape[rank - 1], shape[rank - 2]);
  Value source = kT;
  if (auto t = kT.getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(t.getPerm()[p]);
    perm = composed;
    source = t.getInput();
  }
  auto result = RankedTensorType::get(shape, type.getElementType());
  bool identity = llvm::all_of(llvm::enumerate(perm), [](auto e) {
    return (int64_t)e.index() == e.value();
  });
  if (identity && source.getType() == result)
    return source;
  return TransposeOp::create(b, loc, result, source, b.getDenseI64ArrayAttr(perm));
}

static void fuse(EinsumOp values) {
  auto softmax = values.getLhs().getDefiningOp<SoftmaxOp>();
  if (!softmax || !softmax->hasOneUse() || !isBatchedMatmul(values))
    return;
  int64_t rank = softmax.getInput().getType().getRank();
  auto scores = softmax.getInput().getDefiningOp<EinsumOp>();
  if (softmax.getAxis() != rank - 1 || !scores || !scores->hasOneUse() ||
      !isBatchedMatmul(scores))
    return;
  OpBuilder b(values);
  // The scores and their softmax are gone; the attention computes the
  // second MatMul's value.
  Location loc = FusedLoc::get(values->getContext(),
                               {withoutOnnxValueNames(scores->getLoc()),
                                withoutOnnxValueNames(softmax->getLoc()), values->getLoc()});
  Value kT = scores.getRhs();
  Value k = swapLastTwo(b, withoutOnnxValueNames(loc), kT);
  Value attention = AttentionOp::create(b, loc, values.getResult().getType(), scores.getLhs(), k,
                                        values.getRhs(), /*token_dims=*/1);
  values.getResult().replaceAllUsesWith(attention);
  values->erase();
  softmax->erase();
  scores->erase();
  if (auto t = kT.getDefiningOp<TransposeOp>(); t && t->use_empty())
    t->erase();
}

struct FuseAttention : quilt::impl::QuiltFuseAttentionBase<FuseAttention> {
  void runOnOperation() override {
    SmallVector<EinsumOp> einsums;
    getOperation()->walk([&](EinsumOp op) { einsums.push_back(op); });
    for (EinsumOp op : einsums)
      fuse(op);
  }
};
} // namespace
