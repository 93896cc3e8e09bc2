// Elementwise activations over the local extents (kernel: unary_kernels.h).
#include "context.h"
#include "error.h"
#include "layout.h"
#include "unary_kernels.h"

namespace quilt {
namespace {

void unary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t kind = op.attrs.next();
  float alpha = static_cast<float>(op.attrs.nextDouble());
  float beta = static_cast<float>(op.attrs.nextDouble());
  int64_t n = op.tensors[0].numElements();
  if (op.tensors[1].numElements() != n)
    raise("input has ", n, " elements, output ", op.tensors[1].numElements());
  UnaryKernel kernel{static_cast<const float *>(buffers[0]), static_cast<float *>(buffers[1]), n,
                     kind, alpha, beta};
  if (!kernel.withKind([](auto) {}))
    raise("unknown unary kind ", kind);
  ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_unary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "unary",
                  [&] { quilt::unary(ctx, params, buffers); });
}
