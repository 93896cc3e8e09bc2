// Max and average pooling (kernel: pool_kernels.h). Each spatial dim's
// window is mapped to local indices, with the range of input positions that
// hold data, so halo positions outside the global domain are recognized from
// the layout as padding.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "pool_kernels.h"
#include "window_map.h"

namespace quilt {
namespace {

struct PoolAttrs {
  int64_t kind = QUILT_POOL_MAX;
  bool countIncludePad = false;
  int spatial = 0;
  std::vector<int64_t> kernel, strides, dilations, padsLo, padsHi;
};

PoolAttrs readPoolAttrs(AttrReader &r) {
  PoolAttrs a;
  a.kind = r.next();
  a.countIncludePad = r.next() != 0;
  int64_t n = r.next();
  if (n < 1 || n > QUILT_MAX_RANK - 2)
    raise("spatial rank ", n);
  a.spatial = static_cast<int>(n);
  a.kernel = r.nextList(n);
  a.strides = r.nextList(n);
  a.dilations = r.nextList(n);
  a.padsLo = r.nextList(n);
  a.padsHi = r.nextList(n);
  if (a.kind != QUILT_POOL_MAX && a.kind != QUILT_POOL_AVG)
    raise("unknown pool kind ", a.kind);
  return a;
}

/// The window of tensor dim `dim` in local indices, with the range of input
/// indices that hold data (isPaddingPosition is false exactly there).
PoolDim poolDim(const TensorView &x, const TensorView &y, int dim, const Window &w,
                int64_t elemStride) {
  LocalWindow lw = mapWindowDim(x, y, dim, w);
  PoolDim p;
  p.outExtent = lw.outputExtent;
  p.first = lw.firstInput;
  p.stride = lw.stride;
  p.dilation = lw.dilation;
  p.kernel = lw.kernel;
  p.elemStride = elemStride;
  p.tapStep = lw.dilation * elemStride;
  int64_t n = x.extent[dim], lo = 0;
  while (lo < n && isPaddingPosition(x, dim, lo))
    ++lo;
  int64_t hi = lo;
  while (hi < n && !isPaddingPosition(x, dim, hi))
    ++hi;
  for (int64_t i = hi; i < n; ++i)
    if (!isPaddingPosition(x, dim, i))
      raise("dim ", dim, ": the data positions of the local input are not one range");
  p.validLo = lo;
  p.validHi = hi;
  return p;
}

void pool(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  PoolAttrs a = readPoolAttrs(op.attrs);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  if (x.rank() != a.spatial + 2 || y.rank() != a.spatial + 2)
    raise("tensors must have rank ", a.spatial + 2, " for ", a.spatial, " spatial dims");
  if (x.extent[0] != y.extent[0] || x.extent[1] != y.extent[1])
    raise("batch and channel extents of input and output differ");
  if (y.isEmpty())
    return;
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  PoolKernel kernel{};
  kernel.x = static_cast<const float *>(buffers[0]);
  kernel.y = static_cast<float *>(buffers[1]);
  kernel.planes = x.extent[0] * x.extent[1];
  kernel.xPlane = x.product(2, x.rank());
  kernel.yPlane = y.product(2, y.rank());
  kernel.kind = a.kind;
  kernel.countIncludePad = a.countIncludePad;
  kernel.kernelSize = 1;
  kernel.spatial = a.spatial;
  for (int i = 0; i < a.spatial; ++i) {
    Window w{a.strides[i], a.dilations[i], a.kernel[i], a.padsLo[i]};
    kernel.dim[i] = poolDim(x, y, 2 + i, w, xStrides[2 + i]);
    kernel.kernelSize *= a.kernel[i];
  }
  ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_pool(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "pool",
                  [&] { quilt::pool(ctx, params, buffers); });
}
