// Elementwise activations over the local extents.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <cmath>

namespace quilt {
namespace {

template <class Fn> void apply(const float *x, float *y, int64_t n, Fn fn) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = fn(x[i]);
}

void unary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t kind = op.attrs.next();
  float alpha = static_cast<float>(op.attrs.nextDouble());
  int64_t n = op.tensors[0].numElements();
  if (op.tensors[1].numElements() != n)
    raise("input has ", n, " elements, output ", op.tensors[1].numElements());
  const float *x = static_cast<const float *>(buffers[0]);
  float *y = static_cast<float *>(buffers[1]);
  switch (kind) {
  case QUILT_UNARY_RELU:
    return apply(x, y, n, [](float v) { return v > 0.f ? v : 0.f; });
  case QUILT_UNARY_LEAKY_RELU:
    return apply(x, y, n, [alpha](float v) { return v >= 0.f ? v : alpha * v; });
  case QUILT_UNARY_SIGMOID:
    return apply(x, y, n, [](float v) { return 1.f / (1.f + std::exp(-v)); });
  case QUILT_UNARY_TANH:
    return apply(x, y, n, [](float v) { return std::tanh(v); });
  case QUILT_UNARY_ERF:
    return apply(x, y, n, [](float v) { return std::erf(v); });
  case QUILT_UNARY_GELU:
    return apply(x, y, n, [](float v) {
      return 0.5f * v * (1.f + std::erf(v * 0.70710678118654752f));
    });
  case QUILT_UNARY_IDENTITY:
    return apply(x, y, n, [](float v) { return v; });
  case QUILT_UNARY_SQRT:
    return apply(x, y, n, [](float v) { return std::sqrt(v); });
  case QUILT_UNARY_EXP:
    return apply(x, y, n, [](float v) { return std::exp(v); });
  case QUILT_UNARY_LOG:
    return apply(x, y, n, [](float v) { return std::log(v); });
  case QUILT_UNARY_NEG:
    return apply(x, y, n, [](float v) { return -v; });
  case QUILT_UNARY_ABS:
    return apply(x, y, n, [](float v) { return std::fabs(v); });
  }
  raise("unknown unary kind ", kind);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_unary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "unary",
                  [&] { quilt::unary(ctx, params, buffers); });
}
