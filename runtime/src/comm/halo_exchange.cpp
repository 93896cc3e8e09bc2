// quilt_rt_halo_exchange: fills y (x's block widened to the range this rank's
// output block needs) from the ranks along one mesh axis that own parts of
// it, with every send and receive posted at once. quilt_rt_reblock is the
// same exchange for an identity window from x's blocks to y's (other
// granules over the same axes).
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"
#include "quilt/halo_segments.h"

namespace quilt {
namespace {

/// A segment to or from one peer, and where its packed copy lives.
struct Transfer {
  int peer = 0; // world rank
  int tag = 0;
  HaloSegment segment;
  size_t scratchOffset = 0; // in floats, when the slab is packed
};

class HaloPlan : public KernelPlan {
public:
  int dim = 0;
  bool packed = false;   // slabs along a non-outermost dim are strided
  int64_t inner = 1;     // elements per position along dim, below it
  std::vector<Transfer> sends, recvs;
  std::vector<HaloSegment> local; // from this rank's own block
  std::vector<Range> zeros;
  /// Packed slabs: the floats sent and received (in the pack region during
  /// a call).
  size_t sendFloats = 0, recvFloats = 0;
};

void checkHaloLayouts(const TensorView &x, const TensorView &y, int64_t dim) {
  if (dim < 0 || dim >= x.rank() || x.rank() != y.rank())
    raise("dim ", dim, " for ranks ", x.rank(), " and ", y.rank());
  const DimLayout &dx = x.dims[dim], &dy = y.dims[dim];
  if (!dx.isSplit() || dx.hasHalo())
    raise("input dim ", dim, " must be a plain block of a mesh axis");
  if (!dy.hasHalo() || dx.axes() != dy.axes() || dy.globalSize != dx.globalSize)
    raise("output dim ", dim, " must carry a window over the input's mesh axis and size");
  for (int d = 0; d < x.rank(); ++d)
    if (d != dim && x.extent[d] != y.extent[d])
      raise("input and output differ on dim ", d, " (", x.extent[d], " vs ", y.extent[d], ")");
}

HaloAxis haloAxis(const quilt_rt_ctx &ctx, const DimLayout &dx, const DimLayout &dy) {
  HaloAxis axis{dy.globalSize, 1, dy.window, dy.globalOut,
                static_cast<HaloBoundary>(dy.boundary), {}};
  axis.granule = dx.granule;
  axis.outGranule = dy.granule;
  for (int64_t a : dy.axes()) {
    axis.levels.push_back(ctx.axisSize(a));
    axis.parts *= axis.levels.back();
  }
  return axis;
}


void addTransfers(std::vector<Transfer> &list, const std::vector<HaloSegment> &segments,
                  int peer, int64_t inner, size_t &scratch, int64_t outer) {
  int tag = 0;
  for (const HaloSegment &s : segments) {
    list.push_back({peer, tag++, s, scratch});
    scratch += s.length * inner * outer;
  }
}

/// The exchange quilt.reblock runs: dim `dim` from x's blocks (granules of
/// x's granule) to y's (granules of y's), over the same mesh axes.
HaloAxis reblockAxisOf(const quilt_rt_ctx &ctx, const TensorView &x, const TensorView &y,
                       int64_t dim) {
  if (dim < 0 || dim >= x.rank() || x.rank() != y.rank())
    raise("dim ", dim, " for ranks ", x.rank(), " and ", y.rank());
  const DimLayout &dx = x.dims[dim], &dy = y.dims[dim];
  if (!dx.isSplit() || dx.hasHalo() || dy.hasHalo() || dx.axes() != dy.axes() ||
      dx.globalSize != dy.globalSize || dx.granule < 1 || dy.granule < 1)
    raise("re-block of dim ", dim, " needs plain blocks over the same mesh axes on both sides");
  for (int d = 0; d < x.rank(); ++d)
    if (d != dim && x.extent[d] != y.extent[d])
      raise("input and output differ on dim ", d, " (", x.extent[d], " vs ", y.extent[d], ")");
  std::vector<int64_t> levels;
  for (int64_t a : dx.axes())
    levels.push_back(ctx.axisSize(a));
  return reblockAxis(dx.globalSize, levels, dx.granule, dy.granule);
}

std::unique_ptr<HaloPlan> buildHaloPlan(const quilt_rt_ctx &ctx, const TensorView &x,
                                        const HaloAxis &axis, const std::vector<int64_t> &axes,
                                        int dim) {
  auto plan = std::make_unique<HaloPlan>();
  int64_t me = ctx.ownerIndex(axes);
  int64_t outer = x.product(0, dim);
  plan->dim = dim;
  plan->inner = x.product(dim + 1, x.rank());
  plan->packed = outer > 1;
  size_t sendFloats = 0, recvFloats = 0;
  for (int64_t q = 0; q < axis.parts; ++q) {
    if (q == me)
      continue;
    int peer = ctx.ownerRank(axes, q);
    addTransfers(plan->sends, haloSegments(axis, me, q), peer, plan->inner, sendFloats, outer);
    addTransfers(plan->recvs, haloSegments(axis, q, me), peer, plan->inner, recvFloats, outer);
  }
  plan->local = haloSegments(axis, me, me);
  plan->zeros = zeroPaddingRanges(axis, me);
  plan->sendFloats = sendFloats;
  plan->recvFloats = recvFloats;
  return plan;
}

/// The slab of `segment` positions along the plan's dim, as a box of `t`.
std::vector<int64_t> slabBox(const TensorView &t, int dim, int64_t length) {
  return withDim(t.extent, dim, length);
}

void packSends(Device &device, HaloPlan &plan, const TensorView &x, const float *xs,
               float *slabs, std::vector<Message> &out) {
  for (Transfer &t : plan.sends) {
    std::vector<int64_t> box = slabBox(x, plan.dim, t.segment.length);
    size_t bytes = t.segment.length * plan.inner * x.product(0, plan.dim) * sizeof(float);
    float *data;
    if (plan.packed) {
      data = slabs + t.scratchOffset;
      device.copyBox(xs, {&x.extent, offsetAt(x.rank(), plan.dim, t.segment.srcBegin)}, data,
              {&box, std::vector<int64_t>(x.rank(), 0)}, box);
    } else {
      data = const_cast<float *>(xs) + t.segment.srcBegin * plan.inner;
    }
    out.push_back({t.peer, data, bytes, t.tag});
  }
}

void postRecvs(HaloPlan &plan, const TensorView &y, float *ys, float *slabs,
               std::vector<Message> &out) {
  for (Transfer &t : plan.recvs) {
    size_t bytes = t.segment.length * plan.inner * y.product(0, plan.dim) * sizeof(float);
    float *data = plan.packed ? slabs + t.scratchOffset
                              : ys + t.segment.dstBegin * plan.inner;
    out.push_back({t.peer, data, bytes, t.tag});
  }
}

void unpackRecvs(Device &device, HaloPlan &plan, const TensorView &y, float *ys,
                 const float *slabs) {
  if (!plan.packed)
    return;
  for (Transfer &t : plan.recvs) {
    std::vector<int64_t> box = slabBox(y, plan.dim, t.segment.length);
    device.copyBox(slabs + t.scratchOffset, {&box, std::vector<int64_t>(y.rank(), 0)},
            ys, {&y.extent, offsetAt(y.rank(), plan.dim, t.segment.dstBegin)}, box);
  }
}

void fillLocal(Device &device, const HaloPlan &plan, const TensorView &x, const float *xs, const TensorView &y,
               float *ys) {
  for (const Range &r : plan.zeros)
    device.fillBox(ys, {&y.extent, offsetAt(y.rank(), plan.dim, r.begin)},
            slabBox(y, plan.dim, r.size()), 0.f);
  for (const HaloSegment &s : plan.local)
    device.copyBox(xs, {&x.extent, offsetAt(x.rank(), plan.dim, s.srcBegin)}, ys,
            {&y.extent, offsetAt(y.rank(), plan.dim, s.dstBegin)},
            slabBox(x, plan.dim, s.length));
}

/// Exchanges y's range of dim `dim` (the op's only attribute) from x under
/// the axis `axisOf` gives (built once, with the op's plan).
void exchange(quilt_rt_ctx *ctx, const int64_t *params, void **buffers,
              HaloAxis (*axisOf)(const quilt_rt_ctx &, const TensorView &, const TensorView &,
                                 int64_t)) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t dim = op.attrs.next();
  size_t words = op.attrs.position() - params;
  HaloPlan *plan = ctx->findPlan<HaloPlan>(params, words);
  if (!plan) {
    HaloAxis axis = axisOf(*ctx, x, y, dim);
    plan = &ctx->storePlan(params, words, buildHaloPlan(*ctx, x, axis, y.dims[dim].axes(),
                                                        static_cast<int>(dim)));
  }
  auto *xs = static_cast<const float *>(buffers[0]);
  auto *ys = static_cast<float *>(buffers[1]);
  std::vector<Message> sends, recvs;
  Device &device = ctx->device;
  std::pair<float *, float *> slabs{nullptr, nullptr};
  if (plan->packed)
    slabs = ctx->packSendsAndReceives(plan->sendFloats * sizeof(float),
                                      plan->recvFloats * sizeof(float));
  packSends(device, *plan, x, xs, slabs.first, sends);
  postRecvs(*plan, y, ys, slabs.second, recvs);
  fillLocal(device, *plan, x, xs, y, ys);
  device.commAfterCompute();
  ctx->comm.exchange(sends, recvs);
  device.computeAfterComm();
  unpackRecvs(device, *plan, y, ys, slabs.second);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_halo_exchange(quilt_rt_ctx *ctx, const int64_t *params,
                                       void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Halo, "halo_exchange", [&] {
    quilt::exchange(ctx, params, buffers,
                    [](const quilt_rt_ctx &c, const quilt::TensorView &x,
                       const quilt::TensorView &y, int64_t dim) {
                      quilt::checkHaloLayouts(x, y, dim);
                      return quilt::haloAxis(c, x.dims[dim], y.dims[dim]);
                    });
  });
}

extern "C" void quilt_rt_reblock(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Halo, "reblock",
                      [&] { quilt::exchange(ctx, params, buffers, quilt::reblockAxisOf); });
}
