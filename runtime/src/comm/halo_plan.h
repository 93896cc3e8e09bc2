// Which stretches of a split dim each rank sends to each other rank in a halo
// exchange. Every rank can compute every other rank's needed range, so sender
// and receiver derive the same segment list without talking.
#ifndef QUILT_RUNTIME_HALO_PLAN_H
#define QUILT_RUNTIME_HALO_PLAN_H

#include "quilt/partition_math.h"

#include <vector>

namespace quilt {

/// A dim of global size `n` split over `parts` ranks, exchanged for `window`
/// serving an output dim of size `globalOut`.
struct HaloAxis {
  int64_t n = 0;
  int64_t parts = 1;
  Window window;
  int64_t globalOut = 0;
  bool periodic = false;
};

/// `length` positions from the sender's block at local index `srcBegin` land
/// in the receiver's halo'd range at local index `dstBegin`.
struct HaloSegment {
  int64_t srcBegin = 0;
  int64_t dstBegin = 0;
  int64_t length = 0;
};

/// In increasing destination order. A periodic halo wider than the domain
/// yields one segment per wrap.
std::vector<HaloSegment> haloSegments(const HaloAxis &axis, int64_t sender, int64_t receiver);

/// Local ranges of the receiver's halo'd range that lie outside [0, n) and
/// take the zero boundary value (none for a periodic boundary).
std::vector<Range> zeroPaddingRanges(const HaloAxis &axis, int64_t receiver);

} // namespace quilt

#endif // QUILT_RUNTIME_HALO_PLAN_H
