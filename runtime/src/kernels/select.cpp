// y = condition != 0 ? a : b with numpy broadcasting of the local extents
// (every operand has y's rank; a dim of extent 1 broadcasts; kernel:
// elementwise_kernels.h).
#include "broadcast.h"
#include "context.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

void select(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 4, 4);
  const TensorView &y = op.tensors[3];
  int rank = y.rank();
  // Per operand: element strides over y's dims, 0 where it broadcasts.
  std::vector<int64_t> strides[3];
  for (int i = 0; i < 3; ++i) {
    const TensorView &x = op.tensors[i];
    if (x.rank() != rank)
      raise("operand ", i, " has rank ", x.rank(), ", the result ", rank);
    std::vector<int64_t> dense = denseStrides(x.extent);
    strides[i].assign(rank, 0);
    for (int d = 0; d < rank; ++d) {
      if (x.extent[d] != y.extent[d] && x.extent[d] != 1)
        raise("operand ", i, " dim ", d, " has extent ", x.extent[d], ", the result ",
              y.extent[d]);
      strides[i][d] = x.extent[d] == 1 && y.extent[d] != 1 ? 0 : dense[d];
    }
  }
  SelectKernel kernel{broadcastIndex<3>(y.extent, strides),
                      static_cast<const float *>(buffers[0]),
                      static_cast<const float *>(buffers[1]),
                      static_cast<const float *>(buffers[2]), static_cast<float *>(buffers[3])};
  if (kernel.threads())
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_select(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "select",
                  [&] { quilt::select(ctx, params, buffers); });
}
