// The transposed convolution's own kernel (device/kernel_list.h): the
// library computes every output position the local input reaches (dnn.h,
// ConvBackwardDataDesc); this crops that block into the op's local output
// and adds the bias.
#ifndef QUILT_RUNTIME_CONV_KERNELS_H
#define QUILT_RUNTIME_CONV_KERNELS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// Spatial dims of a convolution (1 to 3).
constexpr int kMaxConvSpatial = 3;

/// y[n, m, o...] = (bias ? bias[m] : 0) + full[n, m, o - shift...] where
/// 0 <= o - shift < fullExtent on every spatial dim (0 elsewhere). y and
/// full are dense, row-major; one output element per index. full may be y
/// itself when the shifts are 0 and the extents equal.
struct ConvCropBiasKernel {
  const float *full;
  const float *bias; // null: none
  float *y;
  int spatial;
  int64_t channels;   // m's extent
  int64_t outerCount; // batch * channels
  int64_t extent[kMaxConvSpatial];     // y's spatial extents
  int64_t fullExtent[kMaxConvSpatial]; // full's spatial extents
  int64_t shift[kMaxConvSpatial];      // y index of full index 0
  int64_t plane, fullPlane;            // spatial elements of y and full

  QUILT_HD int64_t threads() const { return outerCount * plane; }
  QUILT_HD void operator()(int64_t i) const {
    int64_t rest = i % plane, outer = i / plane;
    int64_t offset = 0, stride = 1;
    bool inside = true;
    QUILT_UNROLL
    for (int d = kMaxConvSpatial - 1; d >= 0; --d) {
      if (d < spatial) {
        int64_t f = rest % extent[d] - shift[d];
        rest /= extent[d];
        inside = inside && f >= 0 && f < fullExtent[d];
        offset += f * stride;
        stride *= fullExtent[d];
      }
    }
    float v = inside ? full[outer * fullPlane + offset] : 0.f;
    y[i] = bias ? v + bias[outer % channels] : v;
  }

  /// The host's loop: one output row (the last dim) at a time.
  void runOnHost() const {
    int last = spatial - 1;
    int64_t width = extent[last], rowsPerPlane = plane / width;
    for (int64_t outer = 0; outer < outerCount; ++outer) {
      float b = bias ? bias[outer % channels] : 0.f;
      for (int64_t r = 0; r < rowsPerPlane; ++r) {
        int64_t rest = r, offset = 0, stride = fullExtent[last];
        bool inside = true;
        for (int d = last - 1; d >= 0; --d) {
          int64_t f = rest % extent[d] - shift[d];
          rest /= extent[d];
          inside = inside && f >= 0 && f < fullExtent[d];
          offset += f * stride;
          stride *= fullExtent[d];
        }
        float *out = y + outer * plane + r * width;
        if (!inside) {
          for (int64_t o = 0; o < width; ++o)
            out[o] = b;
          continue;
        }
        const float *in = full + outer * fullPlane + offset;
        int64_t lo = shift[last] > 0 ? shift[last] : 0;
        int64_t hi = shift[last] + fullExtent[last] < width ? shift[last] + fullExtent[last] : width;
        if (lo > width)
          lo = width;
        if (hi < lo)
          hi = lo;
        for (int64_t o = 0; o < lo; ++o)
          out[o] = b;
        for (int64_t o = lo; o < hi; ++o)
          out[o] = in[o - shift[last]] + b;
        for (int64_t o = hi; o < width; ++o)
          out[o] = b;
      }
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_CONV_KERNELS_H
