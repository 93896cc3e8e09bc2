//===- FuseNormalizations.cpp - torch's GroupNorm export as one op ---------===//
//
// torch exports GroupNorm(G) of x [N, C, spatial...] as
//   Reshape(x -> [N, G, R]), InstanceNormalization (one "channel" per group),
//   Reshape(back to x's shape), then Mul/Add for the per-channel affine.
// The reshapes merge the spatial dims into R, which no split survives; the
// fused quilt.group_norm keeps x's dims, so spatial splits pass through and
// only the per-group moments cross ranks.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTFUSENORMALIZATIONS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

static void fuseGroupNorm(GroupNormOp norm) {
  auto merge = norm.getInput().getDefiningOp<ReshapeOp>();
  if (!merge || !merge->hasOneUse() || !norm->hasOneUse())
    return;
  auto split = dyn_cast<ReshapeOp>(*norm->getUsers().begin());
  auto x = merge.getInput();
  auto xType = cast<RankedTensorType>(x.getType());
  auto grouped = norm.getInput().getType();
  int64_t groups = norm.getGroups();
  // [N, C, spatial...] -> [N, G, (C/G) * spatial] and back, C a multiple of G.
  if (!split || split.getResult().getType() != xType || xType.getRank() < 3 ||
      grouped.getRank() != 3 || grouped.getDimSize(0) != xType.getDimSize(0) ||
      grouped.getDimSize(1) != groups || xType.getDimSize(1) % groups != 0)
    return;
  OpBuilder b(split);
  // The group norm computes the last reshape's value; the others are gone.
  Location loc = FusedLoc::get(norm->getContext(), {withoutOnnxValueNames(merge->getLoc()),
                                                    withoutOnnxValueNames(norm->getLoc()),
                                                    split->getLoc()});
  Value fused = GroupNormOp::create(b, loc, x, norm.getScale(), norm.getBias(), norm.getGroupsAttr(),
                                    norm.getEpsilonAttr());
  split.getResult().replaceAllUsesWith(fused);
  split->erase();
  norm->erase();
  merge->erase();
}

struct FuseNormalizations : quilt::impl::QuiltFuseNormalizationsBase<FuseNormalizations> {
  void runOnOperation() override {
    SmallVector<GroupNormOp> norms;
    getOperation()->walk([&](GroupNormOp norm) { norms.push_back(norm); });
    for (GroupNormOp norm : norms)
      fuseGroupNorm(norm);
  }
};
} // namespace
