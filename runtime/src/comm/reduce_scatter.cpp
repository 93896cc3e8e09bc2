// quilt_rt_reduce_scatter and quilt_rt_collective_permute.
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"

#include <cstring>
#include <vector>

namespace quilt {
namespace {

class ReduceScatterPlan : public KernelPlan {
public:
  std::vector<float> packed;
};

/// x holds dim `dim` whole (a partial sum over `axis`); y is this rank's
/// block of it. Blocks are packed in member order (a copy unless `dim` is the
/// outermost non-trivial dim) and summed by one reduce-scatter.
void reduceScatter(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t dim = op.attrs.next(), axis = op.attrs.next();
  if (dim < 0 || dim >= x.rank() || y.rank() != x.rank())
    raise("dim ", dim, " for ranks ", x.rank(), " and ", y.rank());
  int d = static_cast<int>(dim);
  const DimLayout &dy = y.dims[d];
  if (x.dims[d].isSplit() || !dy.splitByOnly(axis) || dy.hasHalo())
    raise("input must hold dim ", dim, " whole and the output a block of mesh axis ", axis);
  int64_t parts = ctx->axisSize(axis), n = dy.globalSize, g = dy.granule;
  int64_t outer = x.product(0, d), inner = x.product(d + 1, x.rank());
  std::vector<size_t> counts(parts);
  for (int64_t c = 0; c < parts; ++c)
    counts[c] = granularBlockSize(n, g, parts, c) * outer * inner;
  const auto *in = static_cast<const float *>(buffers[0]);
  auto *out = static_cast<float *>(buffers[1]);
  if (outer != 1) {
    size_t words = op.attrs.position() - params;
    auto *plan = ctx->findPlan<ReduceScatterPlan>(params, words);
    if (!plan)
      plan = &ctx->storePlan(params, words, std::make_unique<ReduceScatterPlan>());
    plan->packed.resize(x.numElements());
    float *to = plan->packed.data();
    for (int64_t c = 0; c < parts; ++c) {
      std::vector<int64_t> box = x.extent;
      box[d] = granularBlockSize(n, g, parts, c);
      std::vector<int64_t> from(x.rank(), 0);
      from[d] = granularBlockRange(n, g, parts, c).begin;
      copyBox(in, {&x.extent, from}, to, {&box, std::vector<int64_t>(x.rank(), 0)}, box);
      to += counts[c];
    }
    in = plan->packed.data();
  }
  ctx->comm.reduceScatter(in, out, counts, static_cast<int>(axis));
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
    if (buffers[0] != buffers[1] && bytes)
      std::memcpy(buffers[1], buffers[0], bytes);
    return;
  }
  int64_t coord = ctx->axisCoord(axis);
  Message send{ctx->rankAlong(axis, coord + shift), buffers[0], bytes, 0};
  Message recv{ctx->rankAlong(axis, coord - shift), buffers[1], bytes, 0};
  ctx->comm.exchange({send}, {recv});
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
