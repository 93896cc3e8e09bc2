// y = alpha * op(a) op(b) + beta * c through oneDNN's sgemm; c is first
// broadcast into y so sgemm's beta term applies it.
#include "broadcast.h"
#include "context.h"
#include "error.h"
#include "layout.h"

#include <dnnl.hpp>

#include <algorithm>

namespace quilt {
namespace {

struct GemmDims {
  int64_t m = 0, n = 0, k = 0;
};

GemmDims gemmDims(const TensorView &a, const TensorView &b, const TensorView &y, bool transA,
                  bool transB) {
  if (a.rank() != 2 || b.rank() != 2 || y.rank() != 2)
    raise("a, b and y must have rank 2");
  GemmDims d;
  d.m = transA ? a.extent[1] : a.extent[0];
  d.k = transA ? a.extent[0] : a.extent[1];
  int64_t kb = transB ? b.extent[1] : b.extent[0];
  d.n = transB ? b.extent[0] : b.extent[1];
  if (kb != d.k || y.extent[0] != d.m || y.extent[1] != d.n)
    raise("op(a) is ", d.m, "x", d.k, ", op(b) ", kb, "x", d.n, ", y ", y.extent[0], "x",
          y.extent[1]);
  return d;
}

void broadcastInto(const float *c, const std::vector<int64_t> &cShape, float *y,
                   const std::vector<int64_t> &yShape) {
  BroadcastPlan plan = planBroadcast(cShape, yShape, yShape);
  forEachBroadcastRun(plan, [&](int64_t oc, int64_t, int64_t oy, int64_t n, int64_t sc,
                                int64_t) {
    for (int64_t i = 0; i < n; ++i)
      y[oy + i] = c[oc + i * sc];
  });
}

void gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  bool transA = op.attrs.next() != 0, transB = op.attrs.next() != 0;
  float alpha = static_cast<float>(op.attrs.nextDouble());
  float beta = static_cast<float>(op.attrs.nextDouble());
  bool hasC = op.attrs.next() != 0;
  expectTensorCount(op, hasC ? 4 : 3, hasC ? 4 : 3);
  const TensorView &a = op.tensors[0], &b = op.tensors[1], &y = op.tensors.back();
  GemmDims d = gemmDims(a, b, y, transA, transB);
  float *out = static_cast<float *>(buffers[op.tensors.size() - 1]);
  if (d.m == 0 || d.n == 0)
    return;
  if (hasC)
    broadcastInto(static_cast<const float *>(buffers[2]), op.tensors[2].extent, out, y.extent);
  if (d.k == 0) { // sgemm leaves C alone when there is nothing to sum
    std::for_each(out, out + d.m * d.n, [&](float &v) { v = hasC ? beta * v : 0.f; });
    return;
  }
  dnnl::status status = dnnl::sgemm(
      transA ? 'T' : 'N', transB ? 'T' : 'N', d.m, d.n, d.k, alpha,
      static_cast<const float *>(buffers[0]), a.extent[1], static_cast<const float *>(buffers[1]),
      b.extent[1], hasC ? beta : 0.f, out, d.n);
  if (status != dnnl::status::success)
    raise("oneDNN sgemm failed with status ", static_cast<int>(status));
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "gemm",
                  [&] { quilt::gemm(ctx, params, buffers); });
}
