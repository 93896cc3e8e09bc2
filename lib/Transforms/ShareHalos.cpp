//===- ShareHalos.cpp - one halo exchange for many readers -----------------===//
//
// The partitioner gives every windowed op its own quilt.halo_exchange, at its
// own width. Where several read one split value along one dim (DeepLab's
// atrous pyramid: three dilated 3x3 convs of one tensor), their exchanges
// send the same rows over and over. This pass merges such exchanges into one
// whose range, on every rank, covers the range each reader needs; each reader
// then reads its own sub-range of it in global coordinates (the layout says
// where the buffer starts, the op's own attributes where its window starts:
// runtime/src/kernels/window_map.h). Purely a function of the partitioned IR.
//
//===----------------------------------------------------------------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <optional>

namespace quilt {
#define GEN_PASS_DEF_QUILTSHAREHALOS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Whether `a` and `b` exchange the same dim of the same value the same way,
/// so that one window can serve both: equal halos, or conv-like windows of
/// one stride serving one output dim. A conv-like window needs, for output
/// block [o0, o1), input [o0*s - below, (o1-1)*s + above + 1) with
/// below = pad_lo and above = (kernel-1)*dilation - pad_lo: for every rank,
/// the hull of such ranges is again such a range (widest below, widest above).
bool shareable(HaloExchangeOp a, HaloExchangeOp b) {
  if (a.getInput() != b.getInput() || a.getMesh() != b.getMesh() || a.getDim() != b.getDim() ||
      a.getAxis() != b.getAxis() || a.getBoundary() != b.getBoundary() ||
      a.getGlobal() != b.getGlobal() || a.getGlobalOut() != b.getGlobalOut() ||
      a->getBlock() != b->getBlock())
    return false;
  WindowAttr wa = a.getWindow(), wb = b.getWindow();
  if (wa == wb)
    return true;
  return wa.getMode() == WindowMode::Conv && wb.getMode() == WindowMode::Conv &&
         wa.getStride() == wb.getStride();
}

int64_t below(WindowAttr w) { return w.getPadLo(); }
int64_t above(WindowAttr w) { return (w.getKernel() - 1) * w.getDilation() - w.getPadLo(); }

/// The window whose range is the hull of every member's: a member's own
/// window when it is the widest on both sides (the IR then reads as that
/// reader's exchange), else a dense one (dilation 1) spanning the hull.
WindowAttr hullWindow(ArrayRef<HaloExchangeOp> group) {
  WindowAttr first = HaloExchangeOp(group.front()).getWindow();
  if (llvm::all_of(group, [&](HaloExchangeOp e) { return e.getWindow() == first; }))
    return first;
  // Either side may be negative (a slice's window starts inside the domain):
  // start from the first member, not from 0.
  int64_t lo = below(first), hi = above(first);
  for (HaloExchangeOp e : group) {
    lo = std::max(lo, below(e.getWindow()));
    hi = std::max(hi, above(e.getWindow()));
  }
  for (HaloExchangeOp e : group)
    if (below(e.getWindow()) == lo && above(e.getWindow()) == hi)
      return e.getWindow();
  return WindowAttr::get(first.getContext(), first.getStride(), /*dilation=*/1,
                         /*kernel=*/lo + hi + 1, /*pad_lo=*/lo);
}

/// `type` with the halo on `dim` replaced by `halo`.
RankedTensorType withHalo(RankedTensorType type, int64_t dim, HaloAttr halo) {
  LocalAttr local = getLocalEncoding(type);
  if (!local || !local.getHalos())
    return type;
  SmallVector<Attribute> halos;
  for (Attribute a : local.getHalos()) {
    auto h = dyn_cast<HaloAttr>(a);
    halos.push_back(h && h.getDim() == dim ? halo : a);
  }
  auto encoding =
      LocalAttr::get(local.getContext(), local.getMesh(), local.getGlobal(), local.getDims(),
                     ArrayAttr::get(local.getContext(), halos), local.getGranules());
  return RankedTensorType::get(type.getShape(), type.getElementType(), encoding);
}

/// Exchanges of further dims downstream of `value` carry its halo on `dim`
/// in their result types: rewrite them (the readers' operands follow).
void propagateHalo(Value value, int64_t dim, HaloAttr halo) {
  for (Operation *user : value.getUsers())
    if (auto next = dyn_cast<HaloExchangeOp>(user)) {
      Value result = next.getResult();
      result.setType(withHalo(cast<RankedTensorType>(result.getType()), dim, halo));
      propagateHalo(result, dim, halo);
    }
}

/// Merges `group` (in program order) into its first exchange.
void merge(ArrayRef<HaloExchangeOp> group) {
  HaloExchangeOp keep = group.front();
  MLIRContext *ctx = keep.getContext();
  WindowAttr window = hullWindow(group);
  int64_t dim = keep.getDim();
  auto halo = HaloAttr::get(ctx, dim, window, keep.getGlobalOut(), keep.getBoundary());
  SmallVector<Location> locs;
  for (HaloExchangeOp e : group)
    locs.push_back(e.getLoc());
  keep.setWindowAttr(window);
  keep->setLoc(FusedLoc::get(ctx, locs));
  keep.getResult().setType(withHalo(cast<RankedTensorType>(keep.getResult().getType()), dim, halo));
  for (HaloExchangeOp e : group.drop_front()) {
    e.getResult().replaceAllUsesWith(keep.getResult());
    e->erase();
  }
  propagateHalo(keep.getResult(), dim, halo);
}

/// One round: every set of shareable exchanges becomes one. Returns whether
/// anything merged (exchanges of a further dim may then share an input).
bool shareOnce(func::FuncOp func) {
  SmallVector<HaloExchangeOp> all;
  func.walk([&](HaloExchangeOp e) { all.push_back(e); });
  SmallVector<SmallVector<HaloExchangeOp>> groups;
  DenseSet<Operation *> taken;
  for (auto [i, e] : llvm::enumerate(all)) {
    if (taken.contains(e))
      continue;
    SmallVector<HaloExchangeOp> group{e};
    for (HaloExchangeOp other : ArrayRef(all).drop_front(i + 1))
      if (!taken.contains(other) && shareable(e, other)) {
        group.push_back(other);
        taken.insert(other);
      }
    if (group.size() > 1)
      groups.push_back(std::move(group));
  }
  for (SmallVector<HaloExchangeOp> &group : groups) {
    // Program order: the first one dominates every reader.
    llvm::sort(group, [](HaloExchangeOp a, HaloExchangeOp b) { return a->isBeforeInBlock(b); });
    merge(group);
  }
  return !groups.empty();
}

struct ShareHalos : quilt::impl::QuiltShareHalosBase<ShareHalos> {
  void runOnOperation() override {
    getOperation()->walk([](func::FuncOp func) {
      while (shareOnce(func)) {
      }
    });
  }
};

} // namespace
