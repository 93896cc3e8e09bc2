// Elementwise activations: one body for every device (device/kernel_list.h).
// The bodies of the kinds are quilt/unary_functions.h, shared with the
// compiler's constant evaluator.
#ifndef QUILT_RUNTIME_UNARY_KERNELS_H
#define QUILT_RUNTIME_UNARY_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"
#include "quilt/unary_functions.h"

#include <cstdint>

namespace quilt {

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
    return unary_math::apply<Kind>(v, alpha, beta);
  }

  /// Calls body(std::integral_constant<int64_t, kind>{}) and returns true,
  /// or returns false for an unknown kind: a host loop switches once, not
  /// per element.
  template <class Body> QUILT_HD bool withKind(Body body) const {
    return unary_math::withKind(kind, body);
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
