// Softmax along one dim: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_SOFTMAX_KERNELS_H
#define QUILT_RUNTIME_SOFTMAX_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "kernels/fast_exp.h"

#include <cmath>
#include <cstdint>

namespace quilt {

/// y = softmax of x along the middle dim of [outer, n, inner] (dense, x and
/// y of that shape), or with `log` its logarithm, x - max - log(sum), as
/// ONNX LogSoftmax computes it (never log of an underflowed quotient). One
/// row, a (outer, inner) position, per index; its n values run in order: the
/// max, exp and a double sum, one scale (or one shift).
struct SoftmaxKernel {
  const float *x;
  float *y;
  int64_t outer;
  int64_t n;
  int64_t inner;
  bool log = false;

  QUILT_HD int64_t threads() const { return outer * inner; }
  QUILT_HD void row(int64_t o, int64_t i) const {
    const float *xs = x + o * n * inner + i;
    float *ys = y + o * n * inner + i;
    // Subtract the max so exp never overflows (std::max's choice on ties).
    float top = -INFINITY;
    for (int64_t k = 0; k < n; ++k) {
      float v = xs[k * inner];
      top = top < v ? v : top;
    }
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      float e = fastExp(xs[k * inner] - top);
      ys[k * inner] = e;
      sum += e;
    }
    if (log) {
      float shift = top + static_cast<float>(::log(sum));
      for (int64_t k = 0; k < n; ++k)
        ys[k * inner] = xs[k * inner] - shift;
      return;
    }
    float scale = static_cast<float>(1.0 / sum);
    for (int64_t k = 0; k < n; ++k)
      ys[k * inner] *= scale;
  }
  QUILT_HD void operator()(int64_t t) const {
    int64_t o = t / inner;
    row(o, t - o * inner);
  }
  /// The host's loop: rows in order; with inner > 1, kBlock neighbouring
  /// rows in step, each pass reading contiguous values (the same operations
  /// per row in the same order as row(), so the same bits).
  void runOnHost() const {
    if (inner == 1) {
      for (int64_t o = 0; o < outer; ++o)
        row(o, 0);
      return;
    }
    constexpr int64_t kBlock = 64;
    float top[kBlock];
    double sum[kBlock];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i0 = 0; i0 < inner; i0 += kBlock) {
        int64_t m = inner - i0 < kBlock ? inner - i0 : kBlock;
        const float *xs = x + o * n * inner + i0;
        float *ys = y + o * n * inner + i0;
        for (int64_t j = 0; j < m; ++j)
          top[j] = -INFINITY, sum[j] = 0;
        for (int64_t k = 0; k < n; ++k)
          for (int64_t j = 0; j < m; ++j) {
            float v = xs[k * inner + j];
            top[j] = top[j] < v ? v : top[j];
          }
        for (int64_t k = 0; k < n; ++k)
          for (int64_t j = 0; j < m; ++j) {
            float e = fastExp(xs[k * inner + j] - top[j]);
            ys[k * inner + j] = e;
            sum[j] += e;
          }
        if (log) {
          float shift[kBlock];
          for (int64_t j = 0; j < m; ++j)
            shift[j] = top[j] + static_cast<float>(::log(sum[j]));
          for (int64_t k = 0; k < n; ++k)
            for (int64_t j = 0; j < m; ++j)
              ys[k * inner + j] = xs[k * inner + j] - shift[j];
          continue;
        }
        float scale[kBlock];
        for (int64_t j = 0; j < m; ++j)
          scale[j] = static_cast<float>(1.0 / sum[j]);
        for (int64_t k = 0; k < n; ++k)
          for (int64_t j = 0; j < m; ++j)
            ys[k * inner + j] *= scale[j];
      }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_SOFTMAX_KERNELS_H
