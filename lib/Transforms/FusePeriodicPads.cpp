//===- FusePeriodicPads.cpp - exact Slice+Concat wraps become periodic pads ===//
//
// Exporters write circular padding of dim d as
//   Concat(Slice(x, [n - lo, n) on d), x, Slice(x, [0, hi) on d)) along d.
// That is a pad whose out-of-domain positions wrap around; as a quilt.pad with
// mode periodic a split d becomes a periodic halo exchange instead of slices
// of the whole dim. Only exact wraps match: any other slice keeps plain ONNX
// semantics (torch 1.13's circular export, off by one, is one of those).
//
// torch.roll(x, k, d) is exported as Concat(Slice(x, [n - k, n)),
// Slice(x, [0, n - k))) along d: y[i] = x[(i - k) mod n]. That is a periodic
// pad of k below and -k above (it crops what it wraps): a split d becomes a
// periodic shift exchange, each rank receiving the k rows its block reads from
// the ranks before it (however many blocks k spans), never a gather. The
// shift is written the short way round (|k| <= n/2), which sends fewer rows.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTFUSEPERIODICPADS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// The extent of `value` along `dim` when it is a unit-step slice of `x` that
/// touches only `dim` and starts at `start` (-1 for the top: ends at n).
static int64_t wrapSliceLength(Value value, Value x, int64_t dim, bool top) {
  auto slice = value.getDefiningOp<SliceOp>();
  if (!slice || slice.getInput() != x)
    return -1;
  auto in = slice.getInput().getType(), out = slice.getResult().getType();
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (slice.getSteps()[d] != 1)
      return -1;
    if (d != dim && (slice.getStarts()[d] != 0 || in.getDimSize(d) != out.getDimSize(d)))
      return -1;
  }
  int64_t length = out.getDimSize(dim), n = in.getDimSize(dim);
  int64_t expectedStart = top ? n - length : 0;
  return slice.getStarts()[dim] == expectedStart && length <= n ? length : -1;
}

/// Concat(x[n - k, n), x[0, n - k)) along `dim`: a roll of x by k.
static bool fuseRoll(ConcatOp concat) {
  auto inputs = concat.getInputs();
  if (inputs.size() != 2)
    return false;
  auto top = inputs[0].getDefiningOp<SliceOp>(), bottom = inputs[1].getDefiningOp<SliceOp>();
  if (!top || !bottom || top.getInput() != bottom.getInput())
    return false;
  Value x = top.getInput();
  int64_t dim = concat.getAxis();
  int64_t shift = wrapSliceLength(inputs[0], x, dim, /*top=*/true);
  int64_t rest = wrapSliceLength(inputs[1], x, dim, /*top=*/false);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t n = type.getDimSize(dim);
  if (shift <= 0 || rest <= 0 || shift + rest != n)
    return false;
  if (2 * shift > n)
    shift -= n;
  SmallVector<int64_t> padding(2 * type.getRank(), 0);
  padding[dim] = shift;
  padding[type.getRank() + dim] = -shift;
  OpBuilder b(concat);
  Value roll = PadOp::create(b, concat.getLoc(), concat.getResult().getType(), x,
                             b.getDenseI64ArrayAttr(padding), b.getF32FloatAttr(0),
                             BoundaryAttr::get(b.getContext(), Boundary::Periodic));
  concat.getResult().replaceAllUsesWith(roll);
  concat->erase();
  for (SliceOp slice : {top, bottom})
    if (slice->use_empty())
      slice->erase();
  return true;
}

static void fuseWrap(ConcatOp concat) {
  if (fuseRoll(concat))
    return;
  int64_t dim = concat.getAxis();
  auto inputs = concat.getInputs();
  // [top slice] x [bottom slice]: find x, the operand the others slice.
  for (size_t center = 0; center < inputs.size(); ++center) {
    Value x = inputs[center];
    if (center > 1 || inputs.size() - center > 2 || inputs.size() < 2)
      continue;
    int64_t lo = center == 1 ? wrapSliceLength(inputs[0], x, dim, /*top=*/true) : 0;
    int64_t hi = center + 1 < inputs.size() ? wrapSliceLength(inputs[center + 1], x, dim, false)
                                            : 0;
    if (lo < 0 || hi < 0 || lo + hi == 0)
      continue;
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> padding(2 * type.getRank(), 0);
    padding[dim] = lo;
    padding[type.getRank() + dim] = hi;
    OpBuilder b(concat);
    Value pad = PadOp::create(b, concat.getLoc(), concat.getResult().getType(), x,
                              b.getDenseI64ArrayAttr(padding), b.getF32FloatAttr(0),
                              BoundaryAttr::get(b.getContext(), Boundary::Periodic));
    SmallVector<Operation *> slices;
    for (Value v : inputs)
      if (v != x)
        slices.push_back(v.getDefiningOp());
    concat.getResult().replaceAllUsesWith(pad);
    concat->erase();
    for (Operation *slice : slices)
      if (slice->use_empty())
        slice->erase();
    return;
  }
}

struct FusePeriodicPads : quilt::impl::QuiltFusePeriodicPadsBase<FusePeriodicPads> {
  void runOnOperation() override {
    SmallVector<ConcatOp> concats;
    getOperation()->walk([&](ConcatOp concat) { concats.push_back(concat); });
    for (ConcatOp concat : concats)
      fuseWrap(concat);
  }
};
} // namespace
