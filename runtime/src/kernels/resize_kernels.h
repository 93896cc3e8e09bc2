// Resize (nearest, multilinear and cubic): one body for every device
// (device/kernel_list.h).
#ifndef QUILT_RUNTIME_RESIZE_KERNELS_H
#define QUILT_RUNTIME_RESIZE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cstdint>

namespace quilt {

/// y[o] = the multilinear blend of the input taps each output index o_d
/// reads along each dim d: `first` (an element offset), `first + delta` with
/// weight `weight`, the other with 1 - weight. Tables are per dim
/// (table[d] + o_d); only dims in `active` (bit d) interpolate, the others
/// read `first`. One output element per index; x and y dense, row-major.
struct ResizeKernel {
  const float *x;
  float *y;
  const int64_t *first;
  const int64_t *delta;
  const float *weight;
  int rank;
  uint32_t active;
  int64_t extent[QUILT_MAX_RANK]; // output extents
  int64_t table[QUILT_MAX_RANK];
  int64_t total;

  /// The output at input offset `base` (the sum of the first taps), with the
  /// weight w[d] and offset del[d] of each active dim's last tap: the sum over
  /// the corners of the taps' box, corner by corner in the order of their
  /// index (bit k for the k-th active dim), weights multiplied dim by dim.
  QUILT_HD float blend(int64_t base, const float *w, const int64_t *del) const {
    float value = 0;
    uint32_t corner = 0; // the dims reading their last tap: a subset of `active`
    do {
      float cw = 1;
      int64_t offset = base;
#if defined(__CUDACC__)
QUILT_UNROLL
#endif
      for (int d = 0; d < QUILT_MAX_RANK; ++d) {
        if (((active >> d) & 1u) && cw != 0) {
          bool useLast = (corner >> d) & 1u;
          cw *= useLast ? w[d] : 1 - w[d];
          if (useLast)
            offset += del[d];
        }
      }
      if (cw != 0)
        value += cw * x[offset];
      corner = (corner - active) & active; // the next subset, in increasing order
    } while (corner != 0);
    return value;
  }

  QUILT_HD int64_t threads() const { return total; }
  QUILT_HD void operator()(int64_t i) const {
    float w[QUILT_MAX_RANK];
    int64_t del[QUILT_MAX_RANK];
    int64_t rest = i, base = 0;
#if defined(__CUDACC__)
QUILT_UNROLL
#endif
    for (int d = QUILT_MAX_RANK - 1; d >= 0; --d) {
      w[d] = 0;
      del[d] = 0;
      if (d < rank) {
        int64_t t = table[d] + rest % extent[d];
        rest /= extent[d];
        base += first[t];
        if ((active >> d) & 1u) {
          w[d] = weight[t];
          del[d] = delta[t];
        }
      }
    }
    y[i] = blend(base, w, del);
  }

  /// The host's loop: one output row (the last dim) at a time. The corners
  /// of the other dims are weighed once per row: the last dim is the highest
  /// corner bit and the last factor of each weight, so each output still sums
  /// the same products in the same order as blend().
  void runOnHost() const {
    if (total == 0)
      return;
    if (rank == 0) {
      float w[QUILT_MAX_RANK] = {};
      int64_t del[QUILT_MAX_RANK] = {};
      y[0] = blend(0, w, del);
      return;
    }
    int last = rank - 1;
    int64_t width = extent[last], rows = total / width;
    bool lastActive = (active >> last) & 1u;
    const int64_t *rowFirst = first + table[last], *rowDelta = delta + table[last];
    const float *rowWeight = weight + table[last];
    int outerActive[QUILT_MAX_RANK], outerCount = 0;
    for (int d = 0; d < last; ++d)
      if ((active >> d) & 1u)
        outerActive[outerCount++] = d;
    // The row's corners over the other dims with a nonzero weight, in order.
    constexpr int kMaxCorners = 1 << (QUILT_MAX_RANK - 1);
    float cornerWeight[kMaxCorners];
    int64_t cornerOffset[kMaxCorners];
    int64_t index[QUILT_MAX_RANK] = {};
    for (int64_t r = 0; r < rows; ++r) {
      int64_t base = 0;
      for (int d = 0; d < last; ++d)
        base += first[table[d] + index[d]];
      int corners = 0;
      for (int corner = 0; corner < (1 << outerCount); ++corner) {
        float cw = 1;
        int64_t offset = base;
        for (int k = 0; k < outerCount && cw != 0; ++k) {
          int64_t t = table[outerActive[k]] + index[outerActive[k]];
          bool useLast = (corner >> k) & 1;
          cw *= useLast ? weight[t] : 1 - weight[t];
          if (useLast)
            offset += delta[t];
        }
        if (cw != 0) {
          cornerWeight[corners] = cw;
          cornerOffset[corners++] = offset;
        }
      }
      float *out = y + r * width;
      if (!lastActive && corners == 1) {
        // One corner (nearest, or a copy): one read per output.
        const float *in = x + cornerOffset[0];
        float cw = cornerWeight[0];
        for (int64_t o = 0; o < width; ++o) {
          float value = 0;
          value += cw * in[rowFirst[o]];
          out[o] = value;
        }
      } else if (!lastActive) {
        for (int64_t o = 0; o < width; ++o) {
          float value = 0;
          for (int c = 0; c < corners; ++c)
            value += cornerWeight[c] * x[cornerOffset[c] + rowFirst[o]];
          out[o] = value;
        }
      } else {
        for (int64_t o = 0; o < width; ++o) {
          float value = 0, wl = rowWeight[o];
          const float *firstTap = x + rowFirst[o], *lastTap = firstTap + rowDelta[o];
          for (int c = 0; c < corners; ++c) {
            float cw = cornerWeight[c] * (1 - wl);
            if (cw != 0)
              value += cw * firstTap[cornerOffset[c]];
          }
          for (int c = 0; c < corners; ++c) {
            float cw = cornerWeight[c] * wl;
            if (cw != 0)
              value += cw * lastTap[cornerOffset[c]];
          }
          out[o] = value;
        }
      }
      for (int d = last - 1; d >= 0; --d) {
        if (++index[d] < extent[d])
          break;
        index[d] = 0;
      }
    }
  }
};

/// Cubic resize: along each dim d, output index o_d reads four input taps,
/// each an element offset `offset[4 * (table[d] + o_d) + k]` with weight
/// `weight[...]` (k = 0..3); y[o] is the sum over the 4^m corners of the
/// active dims' taps (bit d of `active`; the other dims read tap 0 alone) of
/// the product of their weights times x at the sum of their offsets, corner
/// by corner with the last dim's tap varying fastest. One output per index.
struct ResizeCubicKernel {
  const float *x;
  float *y;
  const int64_t *offset;
  const float *weight;
  int rank;
  uint32_t active;
  int64_t extent[QUILT_MAX_RANK]; // output extents
  int64_t table[QUILT_MAX_RANK];
  int64_t total;

  QUILT_HD int64_t threads() const { return total; }
  QUILT_HD void operator()(int64_t i) const {
    // Fixed trip counts (dims past `rank` skipped) keep `entry` in registers.
    int64_t entry[QUILT_MAX_RANK];
    int64_t rest = i, base = 0, corners = 1;
    QUILT_UNROLL
    for (int d = QUILT_MAX_RANK - 1; d >= 0; --d) {
      entry[d] = 0;
      if (d < rank) {
        entry[d] = 4 * (table[d] + rest % extent[d]);
        rest /= extent[d];
        if ((active >> d) & 1u)
          corners *= 4;
        else
          base += offset[entry[d]];
      }
    }
    float value = 0;
    for (int64_t corner = 0; corner < corners; ++corner) {
      int64_t left = corner, at = base;
      float w = 1;
      QUILT_UNROLL
      for (int d = QUILT_MAX_RANK - 1; d >= 0; --d) {
        if (d < rank && ((active >> d) & 1u)) {
          int64_t k = entry[d] + left % 4;
          left /= 4;
          w *= weight[k];
          at += offset[k];
        }
      }
      if (w != 0)
        value += w * x[at];
    }
    y[i] = value;
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_RESIZE_KERNELS_H
