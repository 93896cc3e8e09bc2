// Elementwise add/sub/mul/div with numpy broadcasting of the local extents.
#include "broadcast.h"

#include <cmath>
#include "context.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

template <class Op>
void broadcastApply(const BroadcastPlan &plan, const float *a, const float *b, float *y, Op op) {
  forEachBroadcastRun(plan, [&](int64_t oa, int64_t ob, int64_t oy, int64_t n, int64_t sa,
                                int64_t sb) {
    const float *pa = a + oa, *pb = b + ob;
    float *py = y + oy;
    // Separate loops for the common stride patterns let the compiler vectorize.
    if (sa == 1 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        py[i] = op(pa[i], pb[i]);
    else if (sa == 1 && sb == 0)
      for (int64_t i = 0; i < n; ++i)
        py[i] = op(pa[i], *pb);
    else if (sa == 0 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        py[i] = op(*pa, pb[i]);
    else
      for (int64_t i = 0; i < n; ++i)
        py[i] = op(pa[i * sa], pb[i * sb]);
  });
}

void binary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 3, 3);
  int64_t kind = op.attrs.next();
  BroadcastPlan plan =
      planBroadcast(op.tensors[0].extent, op.tensors[1].extent, op.tensors[2].extent);
  auto *a = static_cast<const float *>(buffers[0]);
  auto *b = static_cast<const float *>(buffers[1]);
  auto *y = static_cast<float *>(buffers[2]);
  switch (kind) {
  case QUILT_BINARY_ADD:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u + v; });
  case QUILT_BINARY_SUB:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u - v; });
  case QUILT_BINARY_MUL:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u * v; });
  case QUILT_BINARY_DIV:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u / v; });
  case QUILT_BINARY_POW:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return std::pow(u, v); });
  case QUILT_BINARY_MAX:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return std::fmax(u, v); });
  case QUILT_BINARY_MIN:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return std::fmin(u, v); });
  case QUILT_BINARY_LESS:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u < v ? 1.f : 0.f; });
  case QUILT_BINARY_LESS_EQUAL:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u <= v ? 1.f : 0.f; });
  case QUILT_BINARY_GREATER:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u > v ? 1.f : 0.f; });
  case QUILT_BINARY_GREATER_EQUAL:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u >= v ? 1.f : 0.f; });
  case QUILT_BINARY_EQUAL:
    return broadcastApply(plan, a, b, y, [](float u, float v) { return u == v ? 1.f : 0.f; });
  }
  raise("unknown binary kind ", kind);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_binary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "binary",
                  [&] { quilt::binary(ctx, params, buffers); });
}
