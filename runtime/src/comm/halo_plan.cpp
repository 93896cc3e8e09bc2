#include "halo_plan.h"

namespace quilt {
namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

} // namespace

std::vector<HaloSegment> haloSegments(const HaloAxis &axis, int64_t sender, int64_t receiver) {
  std::vector<HaloSegment> segments;
  Range need = haloInputRange(axis.window, axis.globalOut, axis.parts, receiver);
  Range own = blockRange(axis.n, axis.parts, sender);
  if (need.empty() || own.empty())
    return segments;
  // Image k of the domain covers [k n, (k+1) n); only k = 0 without wrapping.
  int64_t firstImage = axis.periodic ? floorDiv(need.begin, axis.n) : 0;
  int64_t lastImage = axis.periodic ? floorDiv(need.end - 1, axis.n) : 0;
  for (int64_t k = firstImage; k <= lastImage; ++k) {
    int64_t shift = k * axis.n;
    Range piece = intersect({need.begin - shift, need.end - shift}, own);
    if (piece.empty())
      continue;
    segments.push_back({piece.begin - own.begin, piece.begin + shift - need.begin, piece.size()});
  }
  return segments;
}

std::vector<Range> zeroPaddingRanges(const HaloAxis &axis, int64_t receiver) {
  std::vector<Range> ranges;
  Range need = haloInputRange(axis.window, axis.globalOut, axis.parts, receiver);
  if (need.empty() || (axis.periodic && axis.n > 0))
    return ranges;
  Range below = intersect(need, {need.begin, 0});
  Range above = intersect(need, {axis.n, need.end});
  if (!below.empty())
    ranges.push_back({0, below.size()});
  if (!above.empty())
    ranges.push_back({above.begin - need.begin, need.size()});
  return ranges;
}

} // namespace quilt
