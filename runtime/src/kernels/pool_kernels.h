// Max and average pooling: one body for every device (device/kernel_list.h).
//
// Along each spatial dim the local input indices that hold data form one
// range [validLo, validHi); every other position a window reads (outside the
// buffer, or outside the global domain of a zero-boundary halo) is padding.
// The data taps of an output are then one contiguous run of taps per dim,
// found with a few integer operations instead of a table.
#ifndef QUILT_RUNTIME_POOL_KERNELS_H
#define QUILT_RUNTIME_POOL_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace quilt {

/// Spatial dims of a pool (the tensors have batch and channel first).
constexpr int kPoolDims = QUILT_MAX_RANK - 2;

/// One spatial dim of the window, in local indices.
struct PoolDim {
  int64_t outExtent = 1;
  int64_t first = 0; // input index of output 0's tap 0 (negative: padding)
  int64_t stride = 1, dilation = 1, kernel = 1;
  int64_t validLo = 0, validHi = 1; // input indices holding data
  int64_t elemStride = 0;           // input element stride of the dim
  int64_t tapStep = 0;              // dilation * elemStride

  /// The data taps of output `o`: `count` taps (0 when only padding) at
  /// element offsets return value + k * dilation * elemStride.
  QUILT_HD int64_t taps(int64_t o, int64_t &count) const {
    int64_t at = first + o * stride;
    int64_t lo = at >= validLo ? 0 : (validLo - at + dilation - 1) / dilation;
    int64_t hi = validHi <= at ? 0 : (validHi - at + dilation - 1) / dilation;
    if (hi > kernel)
      hi = kernel;
    count = hi > lo ? hi - lo : 0;
    return (at + lo * dilation) * elemStride;
  }
};

/// y = max or average over each window of x, per (batch, channel) plane:
/// one output element per index. Padding never takes part: a window of
/// padding only gives -inf (max) or 0 (average).
struct PoolKernel {
  const float *x;
  float *y;
  int64_t planes;
  int64_t xPlane, yPlane; // elements of one plane
  int64_t kind;           // quilt_pool_kind: QUILT_POOL_MAX, else average
  int64_t countIncludePad;
  int64_t kernelSize; // taps of the whole window
  int spatial;        // dims used, the first `spatial` of dim[]
  PoolDim dim[kPoolDims];

  template <bool Max> QUILT_HD static void add(float &acc, float v) {
    if constexpr (Max)
      acc = acc < v ? v : acc;
    else
      acc += v;
  }
  template <bool Max> QUILT_HD float finish(float acc, int64_t count) const {
    if constexpr (Max)
      return acc;
    else if (countIncludePad)
      return acc / static_cast<float>(kernelSize);
    else
      return count ? acc / static_cast<float>(count) : 0.f;
  }

  /// Every tap of dims D.. from p, the last dim innermost.
  template <bool Max, int D>
  QUILT_HD void visit(const float *p, const int *count, float &acc) const {
    if constexpr (D == kPoolDims) {
      add<Max>(acc, *p);
    } else {
      for (int k = 0; k < count[D]; ++k, p += dim[D].tapStep)
        visit<Max, D + 1>(p, count, acc);
    }
  }

  template <bool Max> QUILT_HD void element(int64_t i) const {
    int count[kPoolDims];
    int64_t rest = i, offset = 0, taps = 1;
#if defined(__CUDACC__)
QUILT_UNROLL
#endif
    for (int d = kPoolDims - 1; d >= 0; --d) {
      count[d] = 1;
      if (d < spatial) {
        const PoolDim &w = dim[d];
        int64_t o = rest % w.outExtent;
        rest /= w.outExtent;
        int64_t n;
        offset += w.taps(o, n);
        count[d] = static_cast<int>(n);
        taps *= count[d];
      }
    }
    float acc = Max ? -INFINITY : 0.f;
    visit<Max, 0>(x + rest * xPlane + offset, count, acc);
    y[i] = finish<Max>(acc, taps);
  }

  QUILT_HD int64_t threads() const { return planes * yPlane; }
  QUILT_HD void operator()(int64_t i) const {
    if (kind == QUILT_POOL_MAX)
      element<true>(i);
    else
      element<false>(i);
  }

  /// The host's loop: the kind switched once, one output row (the last
  /// spatial dim) at a time; over the outputs whose window lies whole in the
  /// data along that dim, tap by tap across the row so the loop vectorizes.
  /// Each output still adds its taps in the order element() does.
  void runOnHost() const {
    if (kind == QUILT_POOL_MAX)
      hostLoop<true>();
    else
      hostLoop<false>();
  }

private:
  template <bool Max> void hostLoop() const {
    if (threads() == 0)
      return;
    // Data taps of every output index of every dim.
    std::vector<int64_t> offsets[kPoolDims], counts[kPoolDims];
    for (int d = 0; d < spatial; ++d) {
      offsets[d].resize(dim[d].outExtent);
      counts[d].resize(dim[d].outExtent);
      for (int64_t o = 0; o < dim[d].outExtent; ++o)
        offsets[d][o] = dim[d].taps(o, counts[d][o]);
    }
    const PoolDim &last = dim[spatial - 1];
    const int64_t *lastOffset = offsets[spatial - 1].data();
    const int64_t *lastCount = counts[spatial - 1].data();
    int64_t width = last.outExtent;
    // Outputs [full, fullEnd) of a row see all `kernel` taps of the last dim.
    int64_t full = 0, fullEnd = 0;
    while (full < width && lastCount[full] != last.kernel)
      ++full;
    fullEnd = full;
    while (fullEnd < width && lastCount[fullEnd] == last.kernel)
      ++fullEnd;
    int64_t outStep = last.stride * last.elemStride, tapStep = last.tapStep;
    int64_t fullBase = full < fullEnd ? lastOffset[full] - full * outStep : 0;

    int outer = spatial - 1;
    int64_t index[kPoolDims] = {};       // outer output indices
    std::vector<int64_t> rowTaps, grown; // outer taps of the row
    int64_t rows = threads() / width, rowsPerPlane = yPlane / width;
    for (int64_t r = 0; r < rows; ++r) {
      int64_t plane = r / rowsPerPlane;
      // The row's outer taps, first outer dim outermost.
      rowTaps.assign(1, 0);
      for (int d = 0; d < outer; ++d) {
        int64_t base = offsets[d][index[d]], n = counts[d][index[d]];
        int64_t step = dim[d].tapStep;
        grown.clear();
        for (size_t t = 0; t < rowTaps.size(); ++t)
          for (int64_t k = 0; k < n; ++k)
            grown.push_back(rowTaps[t] + base + k * step);
        rowTaps.swap(grown);
      }
      int64_t outerTaps = static_cast<int64_t>(rowTaps.size());
      const float *xp = x + plane * xPlane;
      float *yr = y + r * width;
      float init = Max ? -INFINITY : 0.f;

      // The full-window outputs, one tap at a time across the row.
      for (int64_t o = full; o < fullEnd; ++o)
        yr[o] = init;
      for (int64_t t = 0; t < outerTaps; ++t)
        for (int64_t k = 0; k < last.kernel; ++k) {
          const float *src = xp + rowTaps[t] + fullBase + k * tapStep;
          if (outStep == 1) {
            for (int64_t o = full; o < fullEnd; ++o)
              add<Max>(yr[o], src[o]);
          } else if (outStep == 2) {
            for (int64_t o = full; o < fullEnd; ++o)
              add<Max>(yr[o], src[2 * o]);
          } else {
            for (int64_t o = full; o < fullEnd; ++o)
              add<Max>(yr[o], src[o * outStep]);
          }
        }
      if constexpr (!Max) {
        for (int64_t o = full; o < fullEnd; ++o)
          yr[o] = finish<Max>(yr[o], outerTaps * last.kernel);
      }

      // The others (windows over the row's ends), one output at a time.
      auto single = [&](int64_t o) {
        float acc = init;
        for (int64_t t = 0; t < outerTaps; ++t) {
          const float *src = xp + rowTaps[t] + lastOffset[o];
          for (int64_t k = 0; k < lastCount[o]; ++k)
            add<Max>(acc, src[k * tapStep]);
        }
        yr[o] = finish<Max>(acc, outerTaps * lastCount[o]);
      };
      for (int64_t o = 0; o < full; ++o)
        single(o);
      for (int64_t o = fullEnd; o < width; ++o)
        single(o);

      for (int d = outer - 1; d >= 0; --d) {
        if (++index[d] < dim[d].outExtent)
          break;
        index[d] = 0;
      }
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_POOL_KERNELS_H
