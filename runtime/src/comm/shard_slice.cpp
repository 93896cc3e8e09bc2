// quilt_rt_shard_slice: this rank's part of a value every rank holds whole.
// Works dim by dim from the two layouts, so any mix of split dims is sliced
// in one copy.
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void shardSlice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  if (x.rank() != y.rank())
    raise("input rank ", x.rank(), " differs from output rank ", y.rank());
  std::vector<int64_t> from(x.rank());
  for (int d = 0; d < x.rank(); ++d) {
    from[d] = y.start[d] - x.start[d];
    if (y.dims[d].globalSize != x.dims[d].globalSize || from[d] < 0 ||
        from[d] + y.extent[d] > x.extent[d])
      raise("dim ", d, ": output range [", y.start[d], ", ", y.start[d] + y.extent[d],
            ") is not inside the input's [", x.start[d], ", ", x.start[d] + x.extent[d], ")");
  }
  ctx->device.copyBox(static_cast<const float *>(buffers[0]), {&x.extent, from},
          static_cast<float *>(buffers[1]), {&y.extent, std::vector<int64_t>(y.rank(), 0)},
          y.extent);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_shard_slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Compute, "shard_slice",
                  [&] { quilt::shardSlice(ctx, params, buffers); });
}
