// A reduction over n terms in interleaved partial results, for kernels whose
// one thread walks a whole row (attention's online softmax, a row's
// moments): independent chains the host compiler vectorizes, where one
// running result waits on every add. One body on every device.
#ifndef QUILT_RUNTIME_LANE_REDUCE_H
#define QUILT_RUNTIME_LANE_REDUCE_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// combine over term(0), ..., term(n - 1): lane l folds the terms
/// i = l mod kReduceLanes in order (starting from `identity`), then the
/// lanes fold in lane order. The same order on every device, so the same
/// bits.
constexpr int kReduceLanes = 8;
template <class T, class Term, class Combine>
QUILT_HD T laneReduce(int64_t n, T identity, Term term, Combine combine) {
  T lane[kReduceLanes];
  QUILT_UNROLL
  for (int l = 0; l < kReduceLanes; ++l)
    lane[l] = identity;
  int64_t whole = n - n % kReduceLanes;
  for (int64_t i = 0; i < whole; i += kReduceLanes)
    QUILT_UNROLL
    for (int l = 0; l < kReduceLanes; ++l)
      lane[l] = combine(lane[l], term(i + l));
  for (int64_t i = whole; i < n; ++i)
    lane[i - whole] = combine(lane[i - whole], term(i));
  T result = lane[0];
  QUILT_UNROLL
  for (int l = 1; l < kReduceLanes; ++l)
    result = combine(result, lane[l]);
  return result;
}

} // namespace quilt

#endif // QUILT_RUNTIME_LANE_REDUCE_H
