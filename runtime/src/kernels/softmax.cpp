// Softmax along one dim of the local tensor (the compiler keeps that dim whole).
#include "context.h"
#include "error.h"
#include "layout.h"

#include <algorithm>
#include <cmath>

namespace quilt {
namespace {

void softmax(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t axis = op.attrs.next();
  const TensorView &x = op.tensors[0];
  if (axis < 0 || axis >= x.rank())
    raise("axis ", axis, " is out of range for rank ", x.rank());
  if (op.tensors[1].extent != x.extent)
    raise("input and output extents differ");
  int64_t outer = x.product(0, axis), n = x.extent[axis], inner = x.product(axis + 1, x.rank());
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float *xs = in + o * n * inner + i;
      float *ys = out + o * n * inner + i;
      // Subtract the max so exp never overflows.
      float top = -INFINITY;
      for (int64_t k = 0; k < n; ++k)
        top = std::max(top, xs[k * inner]);
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        ys[k * inner] = std::exp(xs[k * inner] - top);
        sum += ys[k * inner];
      }
      float scale = static_cast<float>(1.0 / sum);
      for (int64_t k = 0; k < n; ++k)
        ys[k * inner] *= scale;
    }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_softmax(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "softmax",
                  [&] { quilt::softmax(ctx, params, buffers); });
}
