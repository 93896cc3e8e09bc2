// Elementwise activations: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_UNARY_KERNELS_H
#define QUILT_RUNTIME_UNARY_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace quilt {

/// log(exp(v) + 1) without overflow for large v.
QUILT_HD inline float softplus(float v) {
  return v > 0.f ? v + log1pf(expf(-v)) : log1pf(expf(v));
}

/// The kinds, each with its body: X(kind, expression of v, alpha and beta).
/// Only functions valid in __host__ __device__ code (nvcc compiles these).
#define QUILT_UNARY_KINDS(X)                                                                     \
  X(QUILT_UNARY_RELU, v > 0.f ? v : 0.f)                                                         \
  X(QUILT_UNARY_LEAKY_RELU, v >= 0.f ? v : alpha * v)                                            \
  X(QUILT_UNARY_SIGMOID, 1.f / (1.f + expf(-v)))                                                 \
  X(QUILT_UNARY_TANH, tanhf(v))                                                                  \
  X(QUILT_UNARY_ERF, erff(v))                                                                    \
  X(QUILT_UNARY_GELU, 0.5f * v * (1.f + erff(v * 0.70710678118654752f)))                         \
  X(QUILT_UNARY_IDENTITY, v)                                                                     \
  X(QUILT_UNARY_SQRT, sqrtf(v))                                                                  \
  X(QUILT_UNARY_EXP, expf(v))                                                                    \
  X(QUILT_UNARY_LOG, logf(v))                                                                    \
  X(QUILT_UNARY_NEG, -v)                                                                         \
  X(QUILT_UNARY_ABS, fabsf(v))                                                                   \
  X(QUILT_UNARY_HARD_SIGMOID, fmaxf(0.f, fminf(1.f, alpha * v + beta)))                          \
  X(QUILT_UNARY_HARD_SWISH, v * fmaxf(0.f, fminf(1.f, v * (1.f / 6.f) + 0.5f)))                  \
  X(QUILT_UNARY_RECIPROCAL, 1.f / v)                                                             \
  X(QUILT_UNARY_SOFTPLUS, softplus(v))                                                           \
  X(QUILT_UNARY_SOFTSIGN, v / (1.f + fabsf(v)))                                                  \
  X(QUILT_UNARY_ELU, v >= 0.f ? v : alpha * expm1f(v))                                           \
  X(QUILT_UNARY_SELU, v > 0.f ? beta * v : beta * alpha * expm1f(v))                             \
  X(QUILT_UNARY_CELU, fmaxf(0.f, v) + fminf(0.f, alpha * expm1f(v / alpha)))                     \
  X(QUILT_UNARY_MISH, v * tanhf(softplus(v)))                                                    \
  X(QUILT_UNARY_THRESHOLDED_RELU, v > alpha ? v : 0.f)                                           \
  X(QUILT_UNARY_SIGN, v > 0.f ? 1.f : v < 0.f ? -1.f : v)                                        \
  X(QUILT_UNARY_FLOOR, floorf(v))                                                                \
  X(QUILT_UNARY_CEIL, ceilf(v))                                                                  \
  X(QUILT_UNARY_ROUND, rintf(v))

/// y[i] = f(x[i]) for the activation `kind` (quilt_unary_kind); x and y may
/// be the same buffer.
struct UnaryKernel {
  const float *x;
  float *y;
  int64_t n;
  int64_t kind;
  float alpha = 0.f; // the kind's parameters (quilt_unary_kind)
  float beta = 0.f;

  /// f for a kind known at compile time.
  template <int64_t Kind> QUILT_HD static float apply(float v, float alpha, float beta) {
#define QUILT_UNARY_CASE(K, expr)                                                                \
  if constexpr (Kind == K)                                                                       \
    return expr;
    QUILT_UNARY_KINDS(QUILT_UNARY_CASE)
#undef QUILT_UNARY_CASE
    (void)alpha;
    (void)beta;
    return v;
  }

  /// Calls body(std::integral_constant<int64_t, kind>{}) and returns true,
  /// or returns false for an unknown kind: a host loop switches once, not
  /// per element.
  template <class Body> QUILT_HD bool withKind(Body body) const {
    switch (kind) {
#define QUILT_UNARY_CASE(K, expr)                                                                \
  case K:                                                                                        \
    body(std::integral_constant<int64_t, K>{});                                                  \
    return true;
      QUILT_UNARY_KINDS(QUILT_UNARY_CASE)
#undef QUILT_UNARY_CASE
    }
    return false;
  }

  QUILT_HD int64_t threads() const { return n; }
  QUILT_HD void operator()(int64_t i) const {
    withKind([&](auto k) { y[i] = apply<decltype(k)::value>(x[i], alpha, beta); });
  }
  /// The host's loop: the kind switched once.
  void runOnHost() const {
    withKind([&](auto k) {
      for (int64_t i = 0; i < n; ++i)
        y[i] = apply<decltype(k)::value>(x[i], alpha, beta);
    });
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_UNARY_KERNELS_H
