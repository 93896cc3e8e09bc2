// The DFT's own passes around the FFT library (kernels/dft.cpp): one body
// for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_DFT_KERNELS_H
#define QUILT_RUNTIME_DFT_KERNELS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// y[i] *= scale over n floats (the inverse transform's 1/n).
struct DftScaleKernel {
  float *y;
  int64_t n;
  float scale;

  QUILT_HD int64_t threads() const { return n; }
  QUILT_HD void operator()(int64_t i) const { y[i] *= scale; }
};

/// Completes the spectrum of real signals in place: y is [outer, n, inner]
/// complex (float pairs) whose bins k <= n/2 hold the r2c result. Bin n - k
/// is conj(bin k) (conjugate symmetry of a real signal); with `conjugate`
/// every bin is conjugated (the inverse of a real signal is the conjugate of
/// its forward); every bin is multiplied by `scale`. One index per (o, k <=
/// n/2, i) writes bin k and its mirror, so no index reads what another writes.
struct DftCompleteKernel {
  float *y;
  int64_t outer, n, inner;
  bool conjugate;
  float scale;

  QUILT_HD int64_t half() const { return n / 2 + 1; }
  QUILT_HD int64_t threads() const { return outer * half() * inner; }
  QUILT_HD void operator()(int64_t index) const {
    int64_t h = half();
    int64_t i = index % inner, rest = index / inner;
    int64_t k = rest % h, o = rest / h;
    float *at = y + 2 * ((o * n + k) * inner + i);
    float re = at[0] * scale, im = (conjugate ? -at[1] : at[1]) * scale;
    at[0] = re;
    at[1] = im;
    if (k >= 1 && n - k >= h) {
      float *mirror = y + 2 * ((o * n + n - k) * inner + i);
      mirror[0] = re;
      mirror[1] = -im;
    }
  }
  /// The host's loop: the signals in order; bins that keep their value are
  /// not rewritten.
  void runOnHost() const {
    int64_t h = half(), row = 2 * inner;
    bool rewrite = conjugate || scale != 1.f;
    for (int64_t o = 0; o < outer; ++o) {
      float *signal = y + o * n * row;
      if (rewrite)
        for (int64_t j = 0, m = h * row; j < m; j += 2) {
          signal[j] *= scale;
          signal[j + 1] *= conjugate ? -scale : scale;
        }
      for (int64_t k = 1; n - k >= h; ++k) {
        const float *from = signal + k * row;
        float *to = signal + (n - k) * row;
        for (int64_t j = 0; j < row; j += 2) {
          to[j] = from[j];
          to[j + 1] = -from[j + 1];
        }
      }
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_DFT_KERNELS_H
