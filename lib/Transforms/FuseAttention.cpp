//===- FuseAttention.cpp - MatMul, Softmax, MatMul become quilt.attention --===//
//
// Exporters write scaled dot-product attention as
//   s = MatMul(q, kT); p = Softmax(s, axis = -1); o = MatMul(p, v)
// (batched MatMuls import as einsums), Swin with a relative position bias
// added to s before the Softmax (the attention's `bias`). Fused, the scores never exist as a
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

/// The scores MatMul under `logits` (the softmax's input): the MatMul
/// itself, or an Add of it and a bias broadcast to the scores (a relative
/// position bias), which `bias` and `add` then hold.
static EinsumOp scoresUnder(Value logits, Value &bias, AddOp &add) {
  if (auto scores = logits.getDefiningOp<EinsumOp>())
    return scores;
  add = logits.getDefiningOp<AddOp>();
  if (!add || !add->hasOneUse())
    return {};
  auto type = cast<RankedTensorType>(logits.getType());
  for (int side = 0; side < 2; ++side) {
    auto scores = add->getOperand(side).getDefiningOp<EinsumOp>();
    auto other = dyn_cast<RankedTensorType>(add->getOperand(1 - side).getType());
    if (!scores || scores.getResult().getType() != type || !other ||
        other.getRank() != type.getRank())
      continue;
    bool broadcasts = llvm::all_of(llvm::seq<int64_t>(0, type.getRank()), [&](int64_t d) {
      return other.getDimSize(d) == 1 || other.getDimSize(d) == type.getDimSize(d);
    });
    if (!broadcasts)
      continue;
    bias = add->getOperand(1 - side);
    return scores;
  }
  return {};
}

static void fuse(EinsumOp values) {
  auto softmax = values.getLhs().getDefiningOp<SoftmaxOp>();
  if (!softmax || !softmax->hasOneUse() || !isBatchedMatmul(values))
    return;
  int64_t rank = softmax.getInput().getType().getRank();
  Value bias;
  AddOp add;
  EinsumOp scores = scoresUnder(softmax.getInput(), bias, add);
  if (softmax.getAxis() != rank - 1 || !scores || !scores->hasOneUse() ||
      !isBatchedMatmul(scores))
    return;
  OpBuilder b(values);
  // The scores and their softmax are gone; the attention computes the
  // second MatMul's value.
  SmallVector<Location> parts{withoutOnnxValueNames(scores->getLoc())};
  if (add)
    parts.push_back(withoutOnnxValueNames(add->getLoc()));
  parts.push_back(withoutOnnxValueNames(softmax->getLoc()));
  parts.push_back(values->getLoc());
  Location loc = FusedLoc::get(values->getContext(), parts);
  Value kT = scores.getRhs();
  Value k = swapLastTwo(b, withoutOnnxValueNames(loc), kT);
  Value attention =
      AttentionOp::create(b, loc, values.getResult().getType(), scores.getLhs(), k,
                          values.getRhs(), Value(), Value(), bias, /*token_dims=*/1);
  values.getResult().replaceAllUsesWith(attention);
  values->erase();
  softmax->erase();
  if (add)
    add->erase();
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
