// How the local input of a windowed op (conv, pool) lines up with its local
// output along one spatial dim (window_map.h derives it from the layouts),
// as plain values a kernel body can carry to any device (QUILT_HD).
#ifndef QUILT_RUNTIME_WINDOW_MAP_KERNELS_H
#define QUILT_RUNTIME_WINDOW_MAP_KERNELS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

struct LocalWindow {
  int64_t stride = 1, dilation = 1, kernel = 1;
  /// Local input index read by local output 0 at tap 0 (negative: padding).
  int64_t firstInput = 0;
  /// One past the last local input index any local output reads.
  int64_t inputEnd = 0;
  int64_t inputExtent = 0;
  int64_t outputExtent = 0;
  /// Global index of local input 0, the dim's global size, and whether
  /// every local index holds data (a periodic halo: no position is padding).
  int64_t inputStart = 0;
  int64_t globalSize = 0;
  bool periodic = false;

  QUILT_HD int64_t inputIndex(int64_t out, int64_t tap) const {
    return firstInput + out * stride + tap * dilation;
  }
  QUILT_HD bool inBuffer(int64_t localIndex) const {
    return localIndex >= 0 && localIndex < inputExtent;
  }
  /// Whether local input index `i` is padding: outside the buffer, or a
  /// position outside [0, globalSize) of a zero-boundary halo
  /// (isPaddingPosition of window_map.h, without the layout).
  QUILT_HD bool isPadding(int64_t i) const {
    if (!inBuffer(i))
      return true;
    if (periodic)
      return false;
    int64_t global = inputStart + i;
    return global < 0 || global >= globalSize;
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_WINDOW_MAP_KERNELS_H
