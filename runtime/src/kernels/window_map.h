// How the local input of a windowed op (conv, pool) lines up with its local
// output along one spatial dim, derived from the two layouts.
//
// Attributes are the op's global (ONNX) attributes. On a dim whose input holds
// a halo, the layout's window says where the needed range starts, so the op's
// pads on that dim are not used (the compiler may emit the global pads or
// zeros there); stride, dilation and kernel must match the window.
#ifndef QUILT_RUNTIME_WINDOW_MAP_H
#define QUILT_RUNTIME_WINDOW_MAP_H

#include "layout.h"

namespace quilt {

struct LocalWindow {
  int64_t stride = 1, dilation = 1, kernel = 1;
  /// Local input index read by local output 0 at tap 0 (negative: padding).
  int64_t firstInput = 0;
  /// One past the last local input index any local output reads.
  int64_t inputEnd = 0;
  int64_t inputExtent = 0;
  int64_t outputExtent = 0;

  int64_t inputIndex(int64_t out, int64_t tap) const {
    return firstInput + out * stride + tap * dilation;
  }
  bool inBuffer(int64_t localIndex) const { return localIndex >= 0 && localIndex < inputExtent; }
};

/// Maps tensor dim `dim` of input `x` to output `y` for an op window with
/// `opWindow` (kernel, stride, dilation, pad_lo). Throws when the local input
/// does not hold every non-padding position the local output reads.
LocalWindow mapWindowDim(const TensorView &x, const TensorView &y, int dim, const Window &opWindow);

/// Whether local input index `i` of `x`'s dim `dim` is padding: outside the
/// buffer, or a position outside [0, global_size) of a zero-boundary halo.
bool isPaddingPosition(const TensorView &x, int dim, int64_t i);

} // namespace quilt

#endif // QUILT_RUNTIME_WINDOW_MAP_H
