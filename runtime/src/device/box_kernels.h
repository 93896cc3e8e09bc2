// The box copy and fill kernels: pack and unpack of halo slabs, all-to-all
// and reduce-scatter blocks, concat, all-gather placement and slicing. One
// body each (QUILT_HD), run by the host device's loop and by the CUDA
// device's __global__ launcher.
//
// A box is described by its geometry once, on the host: trailing dims that
// both tensors cover whole fold into one contiguous run, so a thread (or a
// host memcpy) handles one element (or one run) with a few divisions.
#ifndef QUILT_RUNTIME_BOX_KERNELS_H
#define QUILT_RUNTIME_BOX_KERNELS_H

#include "kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// Up to this many dims after folding (QUILT_MAX_RANK).
constexpr int kMaxBoxDims = 8;

/// The box as `dims` loop dims, the last of which is a contiguous run in
/// both tensors (stride 1), with element offsets of the box's origin.
struct BoxGeometry {
  int dims = 0;
  int64_t extent[kMaxBoxDims] = {};
  int64_t srcStride[kMaxBoxDims] = {};
  int64_t dstStride[kMaxBoxDims] = {};
  int64_t srcBase = 0;
  int64_t dstBase = 0;

  /// Elements in the box (0 for an empty one).
  QUILT_HD int64_t elements() const {
    int64_t n = dims > 0 ? 1 : 0;
    for (int d = 0; d < dims; ++d)
      n *= extent[d];
    return n;
  }
  QUILT_HD int64_t runLength() const { return dims > 0 ? extent[dims - 1] : 0; }
  QUILT_HD int64_t runs() const {
    int64_t n = elements();
    return n ? n / runLength() : 0;
  }
  /// Offsets in source and destination of element `i` (row-major over the box).
  QUILT_HD void offsets(int64_t i, int64_t &src, int64_t &dst) const {
    src = srcBase;
    dst = dstBase;
    for (int d = dims - 1; d >= 0; --d) {
      int64_t c = i % extent[d];
      i /= extent[d];
      src += c * srcStride[d];
      dst += c * dstStride[d];
    }
  }
};

/// dst[box] = src[box], one element per index.
struct CopyBoxKernel {
  BoxGeometry box;
  const float *src;
  float *dst;
  QUILT_HD int64_t threads() const { return box.elements(); }
  QUILT_HD void operator()(int64_t i) const {
    int64_t s, d;
    box.offsets(i, s, d);
    dst[d] = src[s];
  }
};

/// dst[box] = value, one element per index (the source side is unused).
struct FillBoxKernel {
  BoxGeometry box;
  float *dst;
  float value;
  QUILT_HD int64_t threads() const { return box.elements(); }
  QUILT_HD void operator()(int64_t i) const {
    int64_t s, d;
    box.offsets(i, s, d);
    dst[d] = value;
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_BOX_KERNELS_H
