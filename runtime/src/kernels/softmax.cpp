// Softmax or log-softmax along one dim of the local tensor (the compiler keeps that dim
// whole). Kernel: softmax_kernels.h.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "softmax_kernels.h"

namespace quilt {
namespace {

void softmax(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t axis = op.attrs.next();
  bool log = op.attrs.next() != 0;
  const TensorView &x = op.tensors[0];
  if (axis < 0 || axis >= x.rank())
    raise("axis ", axis, " is out of range for rank ", x.rank());
  if (op.tensors[1].extent != x.extent)
    raise("input and output extents differ");
  SoftmaxKernel kernel{static_cast<const float *>(buffers[0]), static_cast<float *>(buffers[1]),
                       x.product(0, static_cast<int>(axis)), x.extent[axis],
                       x.product(static_cast<int>(axis) + 1, x.rank()), log};
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_softmax(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "softmax",
                  [&] { quilt::softmax(ctx, params, buffers); });
}
