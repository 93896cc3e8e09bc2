// ArgMax / ArgMin along one dim, whole or as per-block candidates and their
// selection: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_ARG_REDUCE_KERNELS_H
#define QUILT_RUNTIME_ARG_REDUCE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cstdint>

namespace quilt {

/// Along the middle dim of x viewed as [outer, n, inner] (dense), per
/// (outer, inner) position, one per index: the winner of the n entries in
/// order. An entry is x's element (modes index and candidates) or a (value,
/// index) pair of a trailing dim of 2 (mode select; index -1: an empty
/// block, skipped). The winner is the largest value (`min`: the smallest),
/// a NaN beating every number, ties to the first entry (`selectLast`: the
/// last); y gets its index (`first` + its position; select: the pair's
/// index), or for candidates the pair (value, index), (0, -1) when n is 0.
struct ArgReduceKernel {
  const float *x;
  float *y;
  int64_t outer;
  int64_t n;
  int64_t inner;
  int64_t first; // global index of the block's position 0
  int64_t mode;  // quilt_arg_mode
  bool min;
  bool selectLast;

  /// Whether `v` (a later entry) beats `best`.
  QUILT_HD bool beats(float v, float best) const {
    bool vNan = v != v, bestNan = best != best;
    if (bestNan)
      return selectLast && vNan;
    if (vNan)
      return true;
    if (min)
      return selectLast ? v <= best : v < best;
    return selectLast ? v >= best : v > best;
  }

  QUILT_HD int64_t threads() const { return outer * inner; }
  QUILT_HD void operator()(int64_t t) const {
    int64_t o = t / inner, i = t - o * inner;
    bool pairs = mode == QUILT_ARG_SELECT;
    int64_t width = pairs ? 2 : 1;
    const float *xs = x + (o * n * inner + i) * width;
    float best = 0, bestIndex = -1;
    for (int64_t k = 0; k < n; ++k) {
      float v = xs[k * inner * width];
      float index = pairs ? xs[k * inner * width + 1] : static_cast<float>(first + k);
      if (index < 0)
        continue;
      if (bestIndex < 0 || beats(v, best)) {
        best = v;
        bestIndex = index;
      }
    }
    if (mode == QUILT_ARG_CANDIDATES) {
      y[2 * t] = best;
      y[2 * t + 1] = bestIndex;
    } else {
      y[t] = bestIndex;
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_ARG_REDUCE_KERNELS_H
