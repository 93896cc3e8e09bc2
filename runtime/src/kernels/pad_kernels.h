// Index-map gathers (pad and slice): one body for every device
// (device/kernel_list.h).
#ifndef QUILT_RUNTIME_PAD_KERNELS_H
#define QUILT_RUNTIME_PAD_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cstdint>

namespace quilt {

/// y[o] = x[sum over d of table_d[o_d]], or `fill` where any table entry is
/// -1: table_d (tables + table[d], extent[d] entries) holds the input element
/// offset (local index times stride) output index o_d of dim d reads. One
/// output element per index; x and y are dense, row-major.
struct IndexMapKernel {
  const float *x;
  float *y;
  const int64_t *tables;
  int rank;
  int64_t extent[QUILT_MAX_RANK]; // output extents
  int64_t table[QUILT_MAX_RANK];  // where dim d's table starts in `tables`
  int64_t total;                  // output elements
  float fill;

  QUILT_HD int64_t threads() const { return total; }
  QUILT_HD void operator()(int64_t i) const {
    int64_t rest = i, offset = 0;
    bool inside = true;
#if defined(__CUDACC__)
QUILT_UNROLL
#endif
    for (int d = QUILT_MAX_RANK - 1; d >= 0; --d) {
      if (d < rank) {
        int64_t s = tables[table[d] + rest % extent[d]];
        rest /= extent[d];
        inside = inside && s >= 0;
        offset += s;
      }
    }
    y[i] = inside ? x[offset] : fill;
  }

  /// The host's loop: one output row (the last dim) at a time, the other
  /// dims' offsets summed once per row.
  void runOnHost() const {
    if (total == 0)
      return;
    if (rank == 0) {
      y[0] = x[0];
      return;
    }
    int last = rank - 1;
    int64_t width = extent[last], rows = total / width;
    const int64_t *row = tables + table[last];
    int64_t index[QUILT_MAX_RANK] = {};
    for (int64_t r = 0; r < rows; ++r) {
      int64_t base = 0;
      bool inside = true;
      for (int d = 0; d < last; ++d) {
        int64_t s = tables[table[d] + index[d]];
        inside = inside && s >= 0;
        base += s;
      }
      float *out = y + r * width;
      if (!inside) {
        for (int64_t o = 0; o < width; ++o)
          out[o] = fill;
      } else {
        const float *in = x + base;
        for (int64_t o = 0; o < width; ++o) {
          int64_t s = row[o];
          out[o] = s >= 0 ? in[s] : fill;
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

} // namespace quilt

#endif // QUILT_RUNTIME_PAD_KERNELS_H
