// Elementwise add/sub/mul/div/... with numpy broadcasting of the local
// extents (kernel: elementwise_kernels.h).
#include "broadcast.h"

#include "context.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void binary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 3, 3);
  int64_t kind = op.attrs.next();
  BroadcastPlan plan =
      planBroadcast(op.tensors[0].extent, op.tensors[1].extent, op.tensors[2].extent);
  BinaryKernel kernel{broadcastIndex<2>(plan.extent, {plan.strideA, plan.strideB}),
                      static_cast<const float *>(buffers[0]),
                      static_cast<const float *>(buffers[1]), static_cast<float *>(buffers[2]),
                      kind};
  if (!kernel.withKind([](auto) {}))
    raise("unknown binary kind ", kind);
  if (kernel.threads())
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_binary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "binary",
                  [&] { quilt::binary(ctx, params, buffers); });
}
