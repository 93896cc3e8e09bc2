// Cumulative sums along one dim: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_CUMSUM_KERNELS_H
#define QUILT_RUNTIME_CUMSUM_KERNELS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// y = the running sum of x along the middle dim of [outer, n, inner]
/// (dense), from its start (`reverse`: from its end), each position with
/// (or, `exclusive`, without) itself, plus carry[outer, inner] when given.
/// One (outer, inner) row per index, summed in double in scan order.
struct CumSumKernel {
  const float *x;
  const float *carry; // null: none
  float *y;
  int64_t outer;
  int64_t n;
  int64_t inner;
  bool exclusive;
  bool reverse;

  QUILT_HD int64_t threads() const { return outer * inner; }
  QUILT_HD void operator()(int64_t t) const {
    int64_t o = t / inner, i = t - o * inner;
    const float *xs = x + o * n * inner + i;
    float *ys = y + o * n * inner + i;
    double sum = carry ? carry[t] : 0.0;
    for (int64_t step = 0; step < n; ++step) {
      int64_t k = reverse ? n - 1 - step : step;
      double v = xs[k * inner];
      if (!exclusive)
        sum += v;
      ys[k * inner] = static_cast<float>(sum);
      if (exclusive)
        sum += v;
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_CUMSUM_KERNELS_H
