// GatherElements along one dim: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_GATHER_ELEMENTS_KERNELS_H
#define QUILT_RUNTIME_GATHER_ELEMENTS_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstdint>

namespace quilt {

/// y[i] = x at y's position i, moved by `shift` (x's local position of y's
/// local 0, per dim), with dim `axis` replaced by indices[i] (whole on the
/// rank; below 0 counts from the end of its n positions; outside [-n, n)
/// gives NaN). y and indices share their dense local extents `extent`; x is
/// dense with element strides `xStride`. One output element per index.
struct GatherElementsKernel {
  const float *x;
  const float *indices;
  float *y;
  int rank;
  int axis;
  int64_t n;
  int64_t extent[QUILT_MAX_RANK];
  int64_t shift[QUILT_MAX_RANK];
  int64_t xStride[QUILT_MAX_RANK];
  int64_t total;

  QUILT_HD int64_t threads() const { return total; }
  QUILT_HD void operator()(int64_t t) const {
    float raw = indices[t];
    if (!(raw >= -static_cast<float>(n) && raw < static_cast<float>(n))) {
      y[t] = NAN;
      return;
    }
    int64_t j = static_cast<int64_t>(raw);
    if (j < 0)
      j += n;
    int64_t rest = t, offset = j * xStride[axis];
    for (int d = rank - 1; d >= 0; --d) {
      int64_t c = rest % extent[d];
      rest /= extent[d];
      if (d != axis)
        offset += (c + shift[d]) * xStride[d];
    }
    y[t] = x[offset];
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_GATHER_ELEMENTS_KERNELS_H
