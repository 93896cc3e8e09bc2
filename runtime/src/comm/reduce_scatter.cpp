// quilt_rt_reduce_scatter and quilt_rt_collective_permute.
#include "axis_group.h"
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

/// x holds its block of dim `dim` left by the axes already splitting it (a
/// partial sum over `axes`); y is this rank's nested block of that over
/// `axes`. Blocks are packed in member order (a copy unless `dim` is the
/// outermost non-trivial dim) and summed by one reduce-scatter over the group.
void reduceScatter(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t dim = op.attrs.next();
  AxisList axes = readAxes(op.attrs, *ctx);
  int64_t members = groupSize(*ctx, axes);
  CollectiveAlgorithm algorithm = readAlgorithm(op.attrs, CollectiveKind::ReduceScatter, members);
  if (dim < 0 || dim >= x.rank() || y.rank() != x.rank())
    raise("dim ", dim, " for ranks ", x.rank(), " and ", y.rank());
  int d = static_cast<int>(dim);
  const DimLayout &dx = x.dims[d], &dy = y.dims[d];
  AxisList before = dx.axes();
  if (!splitByThen(dx, before, {}) || !splitByThen(dy, before, axes) ||
      (dx.isSplit() && dx.granule != dy.granule))
    raise("the output must split dim ", dim, " like the input, then by the summed mesh axes");
  std::vector<int64_t> parts = axisSizes(*ctx, axes);
  int levels = static_cast<int>(parts.size());
  int64_t n = x.extent[d], g = dy.granule;
  int64_t outer = x.product(0, d), inner = x.product(d + 1, x.rank());
  std::vector<Range> blocks;
  std::vector<size_t> counts;
  for (int64_t c = 0; c < members; ++c) {
    blocks.push_back(nestedOwnerBlock(n, g, parts.data(), levels, c));
    counts.push_back(blocks.back().size() * outer * inner);
  }
  const auto *in = static_cast<const float *>(buffers[0]);
  auto *out = static_cast<float *>(buffers[1]);
  if (outer != 1) {
    // Blocks in member order, in the pack region.
    float *packed = reinterpret_cast<float *>(ctx->packScratch(x.numElements() * sizeof(float)));
    float *to = packed;
    for (int64_t c = 0; c < members; ++c) {
      std::vector<int64_t> box = x.extent;
      box[d] = blocks[c].size();
      std::vector<int64_t> from(x.rank(), 0);
      from[d] = blocks[c].begin;
      ctx->device.copyBox(in, {&x.extent, from}, to, {&box, std::vector<int64_t>(x.rank(), 0)}, box);
      to += counts[c];
    }
    in = packed;
  }
  ctx->device.commAfterCompute();
  ctx->comm.reduceScatter(in, out, counts, axes, algorithm);
  ctx->device.computeAfterComm();
}

void collectivePermute(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t axis = op.attrs.next(), shift = op.attrs.next();
  const TensorView &x = op.tensors[0];
  for (const DimLayout &dim : x.dims)
    for (int64_t a : dim.axes())
      if (a == axis)
        raise("cannot permute along mesh axis ", axis, ", which splits the tensor");
  size_t bytes = x.numElements() * sizeof(float);
  int64_t parts = ctx->axisSize(axis);
  if (((shift % parts) + parts) % parts == 0) {
    ctx->device.copy(buffers[1], buffers[0], bytes, CopyKind::DeviceToDevice);
    return;
  }
  int64_t coord = ctx->axisCoord(axis);
  Message send{ctx->rankAlong(axis, coord + shift), buffers[0], bytes, 0};
  Message recv{ctx->rankAlong(axis, coord - shift), buffers[1], bytes, 0};
  ctx->device.commAfterCompute();
  ctx->comm.exchange({send}, {recv});
  ctx->device.computeAfterComm();
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_reduce_scatter(quilt_rt_ctx *ctx, const int64_t *params,
                                        void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "reduce_scatter",
                      [&] { quilt::reduceScatter(ctx, params, buffers); });
}

extern "C" void quilt_rt_collective_permute(quilt_rt_ctx *ctx, const int64_t *params,
                                            void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "collective_permute",
                      [&] { quilt::collectivePermute(ctx, params, buffers); });
}
