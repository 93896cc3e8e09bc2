// Which stretches of a split dim each rank sends to each other rank in a halo
// exchange. Every rank can compute every other rank's needed range, so sender
// and receiver derive the same segment list without talking. Header-only and
// shared by the runtime's halo exchange, the compiler's communication report
// and the tests: what the compiler predicts is what the runtime sends.
#ifndef QUILT_HALO_SEGMENTS_H
#define QUILT_HALO_SEGMENTS_H

#include "quilt/partition_math.h"

#include <algorithm>
#include <vector>

namespace quilt {

/// A dim of global size `n` split over `parts` ranks, exchanged for `window`
/// serving an output dim of size `globalOut`. A dim split over several mesh
/// axes lists each axis's rank count in `levels` (major first; their product
/// is `parts`): its owners are the nested blocks, numbered row-major. The
/// input's blocks are in granules of `granule` positions, the output's in
/// granules of `outGranule` (a re-block: see reblockAxis).
struct HaloAxis {
  int64_t n = 0;
  int64_t parts = 1;
  Window window;
  int64_t globalOut = 0;
  HaloBoundary boundary = HaloBoundary::Zero;
  std::vector<int64_t> levels;
  int64_t granule = 1;
  int64_t outGranule = 1;

  bool periodic() const { return boundary == HaloBoundary::Periodic; }

  /// Owner k's block of a dim of `size` positions in granules of `g`.
  Range block(int64_t size, int64_t k, int64_t g) const {
    if (levels.size() <= 1)
      return granularBlockRange(size, g, parts, k);
    return nestedOwnerBlock(size, g, levels.data(), static_cast<int>(levels.size()), k);
  }
  /// Owner k's block of the input.
  Range ownBlock(int64_t k) const { return block(n, k, granule); }
  /// Owner k's block of the output.
  Range outBlock(int64_t k) const { return block(globalOut, k, outGranule); }
};

/// The exchange that moves a dim of `n` positions split over `levels` from
/// blocks in granules of `from` to blocks in granules of `to` (whole windows
/// of a Swin partition from plain blocks that cut them): each owner needs
/// its new block, an identity window over the old blocks.
inline HaloAxis reblockAxis(int64_t n, std::vector<int64_t> levels, int64_t from, int64_t to) {
  HaloAxis axis;
  axis.n = n;
  axis.globalOut = n;
  for (int64_t p : levels)
    axis.parts *= p;
  axis.levels = std::move(levels);
  axis.granule = from;
  axis.outGranule = to;
  return axis;
}

/// The halo'd range `receiver` needs: its block of the output dim, widened by
/// the window (and, for a mirrored boundary, by the positions it mirrors).
inline Range neededRange(const HaloAxis &axis, int64_t receiver) {
  return withMirrorSources(neededInputRange(axis.window, axis.outBlock(receiver)), axis.n,
                           axis.boundary);
}

/// The largest halo'd range any owner needs: the buffer bound.
inline int64_t maxNeededExtent(const HaloAxis &axis) {
  int64_t best = 0;
  for (int64_t r = 0; r < axis.parts; ++r)
    best = std::max(best, neededRange(axis, r).size());
  return best;
}

/// `length` positions from the sender's block at local index `srcBegin` land
/// in the receiver's halo'd range at local index `dstBegin`.
struct HaloSegment {
  int64_t srcBegin = 0;
  int64_t dstBegin = 0;
  int64_t length = 0;
};

/// The image k of a periodic domain of size n > 0, [k n, (k+1) n), that
/// holds position p.
inline int64_t domainImage(int64_t p, int64_t n) { return p / n - (p % n != 0 && p < 0); }

/// In increasing destination order. A periodic halo wider than the domain
/// yields one segment per wrap.
inline std::vector<HaloSegment> haloSegments(const HaloAxis &axis, int64_t sender,
                                             int64_t receiver) {
  std::vector<HaloSegment> segments;
  Range need = neededRange(axis, receiver);
  Range own = axis.ownBlock(sender);
  if (need.empty() || own.empty())
    return segments;
  // Without wrapping, only image 0 holds data.
  int64_t firstImage = axis.periodic() ? domainImage(need.begin, axis.n) : 0;
  int64_t lastImage = axis.periodic() ? domainImage(need.end - 1, axis.n) : 0;
  for (int64_t k = firstImage; k <= lastImage; ++k) {
    int64_t shift = k * axis.n;
    Range piece = intersect({need.begin - shift, need.end - shift}, own);
    if (piece.empty())
      continue;
    segments.push_back({piece.begin - own.begin, piece.begin + shift - need.begin, piece.size()});
  }
  return segments;
}

/// Positions of its block that `sender` sends to `receiver` (0 to itself:
/// its own positions are copied, not sent).
inline int64_t haloPositionsSent(const HaloAxis &axis, int64_t sender, int64_t receiver) {
  int64_t positions = 0;
  if (sender != receiver)
    for (const HaloSegment &s : haloSegments(axis, sender, receiver))
      positions += s.length;
  return positions;
}

/// Positions of its own block an owner copies into its own halo'd range
/// (the runtime's local segments: no message, a copy in memory).
inline int64_t haloPositionsKept(const HaloAxis &axis, int64_t owner) {
  int64_t positions = 0;
  for (const HaloSegment &s : haloSegments(axis, owner, owner))
    positions += s.length;
  return positions;
}

inline std::vector<Range> zeroPaddingRanges(const HaloAxis &axis, int64_t receiver);

/// Positions `receiver` receives from the other ranks in one exchange: its
/// halo'd range less what it keeps of its own block and the zero padding,
/// since every other position arrives in exactly one segment (a periodic
/// range wider than the domain once per wrap). O(1) in the ranks; equal to
/// the sum over senders of haloPositionsSent (test/unit/CommunicationCostTest.cpp).
inline int64_t haloPositionsReceived(const HaloAxis &axis, int64_t receiver) {
  Range need = neededRange(axis, receiver);
  if (need.empty())
    return 0;
  int64_t received = need.size() - haloPositionsKept(axis, receiver);
  for (const Range &zeros : zeroPaddingRanges(axis, receiver))
    received -= zeros.size();
  return received;
}

/// Positions `sender` sends to all other ranks of the axis in one exchange.
inline int64_t haloPositionsSent(const HaloAxis &axis, int64_t sender) {
  int64_t positions = 0;
  for (int64_t q = 0; q < axis.parts; ++q)
    positions += haloPositionsSent(axis, sender, q);
  return positions;
}

/// The ranks `sender` sends to in one exchange and how many positions each.
/// Without wrapping, found by walking outward from the sender in both
/// directions and stopping at the first receiver whose needed range (inside
/// the domain) lies wholly past the sender's block in the walking direction:
/// needed ranges move monotonically with the owner index, so no receiver
/// further out needs anything either; O(peers) instead of O(parts). A
/// periodic range may sit in any image of the domain: every rank is asked.
/// Equal to haloPositionsSent per receiver (test/unit/CommunicationCostTest.cpp).
struct HaloPeer {
  int64_t receiver = 0;
  int64_t positions = 0;
};
inline std::vector<HaloPeer> haloPeers(const HaloAxis &axis, int64_t sender) {
  std::vector<HaloPeer> peers;
  Range own = axis.ownBlock(sender);
  if (own.empty())
    return peers;
  if (axis.periodic()) {
    for (int64_t r = 0; r < axis.parts; ++r)
      if (int64_t positions = haloPositionsSent(axis, sender, r))
        peers.push_back({r, positions});
    return peers;
  }
  for (int64_t step : {int64_t(1), int64_t(-1)}) {
    for (int64_t r = sender + step; r >= 0 && r < axis.parts; r += step) {
      Range need = intersect(neededRange(axis, r), {0, axis.n});
      if (need.empty())
        continue;
      if ((step > 0 && need.begin >= own.end) || (step < 0 && need.end <= own.begin))
        break;
      if (int64_t positions = haloPositionsSent(axis, sender, r))
        peers.push_back({r, positions});
    }
  }
  if (axis.boundary != HaloBoundary::Reflect && axis.boundary != HaloBoundary::Edge)
    return peers;
  // Receivers whose window crosses an edge of the domain also read mirrored
  // positions from inside, however far from the sender they sit.
  auto known = [&](int64_t r) {
    return r == sender ||
           std::any_of(peers.begin(), peers.end(), [&](const HaloPeer &p) { return p.receiver == r; });
  };
  auto visitEdge = [&](int64_t first, int64_t step, bool (*crosses)(Range, int64_t)) {
    for (int64_t r = first; r >= 0 && r < axis.parts; r += step) {
      Range out = axis.outBlock(r);
      if (out.empty())
        continue;
      if (!crosses(neededInputRange(axis.window, out), axis.n))
        break;
      if (!known(r))
        if (int64_t positions = haloPositionsSent(axis, sender, r))
          peers.push_back({r, positions});
    }
  };
  visitEdge(0, 1, [](Range need, int64_t) { return need.begin < 0; });
  visitEdge(axis.parts - 1, -1, [](Range need, int64_t n) { return need.end > n; });
  return peers;
}

/// Local ranges of the receiver's halo'd range that lie outside [0, n) and
/// take the zero boundary value (none for a periodic boundary; a mirrored
/// one reads them from inside, so zeros there are never read).
inline std::vector<Range> zeroPaddingRanges(const HaloAxis &axis, int64_t receiver) {
  std::vector<Range> ranges;
  Range need = neededRange(axis, receiver);
  if (need.empty() || (axis.periodic() && axis.n > 0))
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

#endif // QUILT_HALO_SEGMENTS_H
