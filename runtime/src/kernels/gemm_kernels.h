// Gemm's C operand, broadcast into y before the library call applies beta:
// one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_GEMM_KERNELS_H
#define QUILT_RUNTIME_GEMM_KERNELS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// y[i][j] = scale * c[i * rowStride + j * colStride] over an m x n y (a
/// stride of 0 broadcasts c along that dim).
struct BroadcastMatrixKernel {
  const float *c;
  float *y;
  int64_t m, n;
  int64_t rowStride, colStride;
  float scale;
  QUILT_HD int64_t threads() const { return m * n; }
  QUILT_HD void operator()(int64_t i) const {
    int64_t row = i / n, col = i % n;
    y[i] = scale * c[row * rowStride + col * colStride];
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_GEMM_KERNELS_H
