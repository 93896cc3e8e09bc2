//===- ShrinkSpectralTransposes.cpp - transpose spectra, not padding -------===//
//
// Rewrites on global tensors so that the all-to-all of a DFT on a split axis
// moves as little as possible: in a Fourier layer (DFT, keep low modes, mix,
// zero-fill, inverse DFT) it should move the kept modes only.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/SpectralTranspose.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTSHRINKSPECTRALTRANSPOSES
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

RankedTensorType withShape(RankedTensorType type, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, type.getElementType());
}

/// slice(dft(x)) on dims other than the axis == dft(slice(x)): slices the
/// DFT's input to the hull of what its (slice-only) users keep of each other
/// dim, and shifts the users' starts.
bool hoistSlices(DftOp dft) {
  Value result = dft.getResult();
  if (result.use_empty() || !llvm::all_of(result.getUsers(), [](Operation *u) {
        return isa<SliceOp>(u);
      }))
    return false;
  auto in = dft.getInput().getType(), out = dft.getResult().getType();
  int64_t rank = in.getRank(), axis = dft.getAxis();
  SmallVector<int64_t> lo(rank, 0), inShape(in.getShape()), outShape(out.getShape());
  bool shrinks = false;
  for (int64_t d = 0; d < rank - 1; ++d) {
    if (d == axis)
      continue;
    int64_t first = out.getDimSize(d), end = 0;
    for (Operation *user : result.getUsers()) {
      auto slice = cast<SliceOp>(user);
      int64_t start = slice.getStarts()[d], n = slice.getResult().getType().getDimSize(d);
      int64_t last = start + (n - 1) * slice.getSteps()[d]; // below start for a negative step
      first = std::min({first, start, last});
      end = std::max({end, start + 1, last + 1});
    }
    if (first >= end || end - first == out.getDimSize(d))
      continue;
    lo[d] = first;
    inShape[d] = outShape[d] = end - first;
    shrinks = true;
  }
  if (!shrinks)
    return false;
  auto firstUser = cast<SliceOp>(*result.getUsers().begin());
  OpBuilder b(dft);
  Value kept = SliceOp::create(b, firstUser.getLoc(), withShape(in, inShape), dft.getInput(),
                               b.getDenseI64ArrayAttr(lo),
                               b.getDenseI64ArrayAttr(SmallVector<int64_t>(rank, 1)));
  auto moved = DftOp::create(b, dft.getLoc(), withShape(out, outShape), kept, dft.getAxisAttr(),
                             dft.getInverseAttr(), dft.getOnesidedAttr());
  for (Operation *user : llvm::make_early_inc_range(result.getUsers())) {
    auto slice = cast<SliceOp>(user);
    SmallVector<int64_t> starts(slice.getStarts());
    for (int64_t d = 0; d < rank; ++d)
      starts[d] -= lo[d];
    slice.setStarts(starts);
    slice.getInputMutable().set(moved);
    bool identity = slice.getType() == moved.getType() &&
                    llvm::all_of(starts, [](int64_t s) { return s == 0; }) &&
                    llvm::all_of(slice.getSteps(), [](int64_t s) { return s == 1; });
    if (identity) {
      slice.replaceAllUsesWith(moved.getResult());
      slice.erase();
    }
  }
  dft.erase();
  return true;
}

/// dft(pad(x)) with zero padding on dims other than the axis ==
/// pad(dft(x)): the transform of the zeros is zero.
bool sinkZeroPad(DftOp dft) {
  auto pad = dft.getInput().getDefiningOp<PadOp>();
  if (!pad || !pad.getResult().hasOneUse() || pad.getMode() != Boundary::Zero ||
      !pad.getValue().isZero())
    return false;
  auto in = pad.getInput().getType(), out = dft.getResult().getType();
  int64_t rank = in.getRank(), axis = dft.getAxis();
  ArrayRef<int64_t> padding = pad.getPadding();
  for (int64_t d : {axis, rank - 1})
    if (padding[d] != 0 || padding[rank + d] != 0)
      return false;
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = out.getDimSize(axis);
  shape[rank - 1] = 2;
  OpBuilder b(dft);
  auto moved = DftOp::create(b, dft.getLoc(), withShape(out, shape), pad.getInput(),
                             dft.getAxisAttr(), dft.getInverseAttr(), dft.getOnesidedAttr());
  auto padded = PadOp::create(b, pad.getLoc(), out, moved, pad.getPaddingAttr(),
                              pad.getValueAttr(), pad.getModeAttr());
  dft.replaceAllUsesWith(padded.getResult());
  dft.erase();
  pad.erase();
  return true;
}

/// A Pad or Concat feeding only a DFT along the dim it pads or concatenates.
bool feedsDftAlongItsDim(Operation *op) {
  if (!op->getResult(0).hasOneUse())
    return false;
  auto dft = dyn_cast<DftOp>(*op->getResult(0).getUsers().begin());
  if (!dft)
    return false;
  int64_t axis = dft.getAxis();
  if (auto concat = dyn_cast<ConcatOp>(op))
    return concat.getAxis() == axis;
  if (auto pad = dyn_cast<PadOp>(op)) {
    int64_t rank = pad.getInput().getType().getRank();
    return pad.getPadding()[axis] != 0 || pad.getPadding()[rank + axis] != 0;
  }
  return false;
}

struct ShrinkSpectralTransposes
    : quilt::impl::QuiltShrinkSpectralTransposesBase<ShrinkSpectralTransposes> {
  void runOnOperation() override {
    getOperation()->walk([](func::FuncOp func) {
      // Each rewrite shrinks a DFT or moves a pad below one: a fixed point.
      bool changed = true;
      while (changed) {
        changed = false;
        SmallVector<DftOp> dfts;
        func.walk([&](DftOp dft) { dfts.push_back(dft); });
        for (DftOp dft : dfts)
          if (hoistSlices(dft) || sinkZeroPad(dft)) {
            changed = true;
            break;
          }
      }
      func.walk([](Operation *op) {
        if (isa<PadOp, ConcatOp>(op) && feedsDftAlongItsDim(op))
          op->setAttr(kTransposeForDftAttr, UnitAttr::get(op->getContext()));
      });
    });
  }
};

} // namespace
