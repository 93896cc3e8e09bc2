// Numpy broadcasting of two operands to an output shape, with runs of dims
// that broadcast alike merged so the inner loop is as long as possible.
#ifndef QUILT_RUNTIME_BROADCAST_H
#define QUILT_RUNTIME_BROADCAST_H

#include "elementwise_kernels.h"
#include "error.h"

#include <cstdint>
#include <vector>

namespace quilt {

struct BroadcastPlan {
  std::vector<int64_t> extent;           // merged output dims
  std::vector<int64_t> strideA, strideB; // element strides, 0 where broadcast
};

/// Operand shapes are right-aligned to `out`; each dim must equal out's or be 1.
BroadcastPlan planBroadcast(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                            const std::vector<int64_t> &out);

/// The kernels' index (elementwise_kernels.h) of a dense output of extents
/// `extent` read by N operands with element strides `strides[k]` over the
/// same dims (0 where operand k broadcasts): dims of extent 1 dropped and
/// adjacent dims merged where every operand steps through them as one.
template <int N>
BroadcastIndex<N> broadcastIndex(const std::vector<int64_t> &extent,
                                 const std::vector<int64_t> (&strides)[N]) {
  BroadcastIndex<N> index;
  for (int64_t e : extent)
    if (e == 0) {
      index.dims = 1; // nothing to compute
      return index;
    }
  for (size_t d = 0; d < extent.size(); ++d) {
    if (extent[d] == 1)
      continue; // changes no offset
    bool merges = index.dims > 0;
    for (int k = 0; k < N && merges; ++k)
      merges = index.stride[k][index.dims - 1] == strides[k][d] * extent[d];
    if (merges) {
      int last = index.dims - 1;
      index.extent[last] *= extent[d];
      for (int k = 0; k < N; ++k)
        index.stride[k][last] = strides[k][d];
      continue;
    }
    if (index.dims == QUILT_MAX_RANK)
      raise("broadcast of ", shapeString(extent), " has more than ", int(QUILT_MAX_RANK),
            " dims");
    index.extent[index.dims] = extent[d];
    for (int k = 0; k < N; ++k)
      index.stride[k][index.dims] = strides[k][d];
    ++index.dims;
  }
  return index;
}

} // namespace quilt

#endif // QUILT_RUNTIME_BROADCAST_H
