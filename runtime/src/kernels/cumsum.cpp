// Cumulative sum along one dim of the local tensor (quilt_rt_cumsum), plus
// the carry the compiler computes when the dim is split: the total of the
// blocks before this rank's (after it, reversed). Kernel: cumsum_kernels.h.
#include "context.h"
#include "cumsum_kernels.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void cumsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 3);
  int64_t axis = op.attrs.next();
  bool exclusive = op.attrs.next() != 0, reverse = op.attrs.next() != 0;
  bool hasCarry = op.attrs.next() != 0;
  if (op.tensors.size() != (hasCarry ? 3u : 2u))
    raise("expected ", hasCarry ? 3 : 2, " tensors, got ", op.tensors.size());
  const TensorView &x = op.tensors[0], &y = op.tensors.back();
  if (axis < 0 || axis >= x.rank())
    raise("axis ", axis, " is out of range for rank ", x.rank());
  if (y.extent != x.extent)
    raise("input and output extents differ");
  int a = static_cast<int>(axis);
  if (hasCarry) {
    const TensorView &carry = op.tensors[1];
    bool ok = carry.rank() == x.rank();
    for (int d = 0; ok && d < x.rank(); ++d)
      ok = carry.extent[d] == (d == a ? 1 : x.extent[d]);
    if (!ok)
      raise("the carry must have the input's extents and extent 1 along axis ", axis);
  }
  CumSumKernel kernel{static_cast<const float *>(buffers[0]),
                      hasCarry ? static_cast<const float *>(buffers[1]) : nullptr,
                      static_cast<float *>(buffers[hasCarry ? 2 : 1]),
                      x.product(0, a),
                      x.extent[a],
                      x.product(a + 1, x.rank()),
                      exclusive,
                      reverse};
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_cumsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "cumsum",
                  [&] { quilt::cumsum(ctx, params, buffers); });
}
