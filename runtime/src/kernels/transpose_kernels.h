// Transpose: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_TRANSPOSE_KERNELS_H
#define QUILT_RUNTIME_TRANSPOSE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cstdint>

namespace quilt {

/// y (dense) = x read through strides: y's dims, folded on the host (dims
/// of extent 1 dropped, neighbours that read x contiguously merged), each
/// with its extent and the stride of x it advances. One element per index.
struct TransposeKernel {
  const float *x;
  float *y;
  int dims;
  int64_t extent[QUILT_MAX_RANK];
  int64_t readStride[QUILT_MAX_RANK];
  int64_t total; // elements of y

  QUILT_HD int64_t threads() const { return total; }
  QUILT_HD void operator()(int64_t i) const {
    int64_t at = i, offset = 0;
    for (int d = dims - 1; d >= 0; --d) {
      int64_t c = at % extent[d];
      at /= extent[d];
      offset += c * readStride[d];
    }
    y[i] = x[offset];
  }
  /// The host's loop: y in order. A strided innermost dim goes in tiles of
  /// the last two dims (the reads of a tile stay in cache); a contiguous one
  /// as runs. An odometer walks the dims outside.
  void runOnHost() const {
    if (total <= 0)
      return;
    if (dims == 0) {
      y[0] = x[0];
      return;
    }
    int64_t run = extent[dims - 1], step = readStride[dims - 1];
    bool tiled = dims >= 2 && step != 1;
    int inner = tiled ? 2 : 1; // dims done per block of y
    int64_t rows = tiled ? extent[dims - 2] : 1, rowStride = tiled ? readStride[dims - 2] : 0;
    int64_t block = rows * run;
    int64_t index[QUILT_MAX_RANK] = {};
    int64_t offset = 0;
    for (int64_t i = 0; i < total; i += block) {
      float *out = y + i;
      const float *in = x + offset;
      if (tiled)
        copyTiled(in, out, rows, run, rowStride, step);
      else if (step == 1)
        for (int64_t k = 0; k < run; ++k)
          out[k] = in[k];
      else
        for (int64_t k = 0; k < run; ++k)
          out[k] = in[k * step];
      for (int d = dims - 1 - inner; d >= 0; --d) {
        if (++index[d] < extent[d]) {
          offset += readStride[d];
          break;
        }
        offset -= readStride[d] * (extent[d] - 1);
        index[d] = 0;
      }
    }
  }
  /// out (rows x cols, dense) = in read at r * rowStride + c * colStride.
  static void copyTiled(const float *in, float *out, int64_t rows, int64_t cols,
                        int64_t rowStride, int64_t colStride) {
    constexpr int64_t kTile = 32;
    for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
      int64_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        int64_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
        for (int64_t r = r0; r < r1; ++r) {
          const float *src = in + r * rowStride;
          float *dst = out + r * cols;
          for (int64_t c = c0; c < c1; ++c)
            dst[c] = src[c * colStride];
        }
      }
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_TRANSPOSE_KERNELS_H
