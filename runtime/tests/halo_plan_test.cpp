// The halo segment math, checked by simulating every rank's exchange in one
// process: each rank's halo'd range, assembled from the segments all ranks
// send it plus zero padding, must equal the global tensor at those positions.
#include "quilt/halo_segments.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace quilt::test {
namespace {

/// Global positions 0..n-1 hold the values 1..n, so zero means padding.
std::vector<float> assemble(const HaloAxis &axis, int64_t me) {
  Range need = haloInputRange(axis.window, axis.globalOut, axis.parts, me);
  std::vector<float> y(need.size(), -1.f);
  for (const Range &r : zeroPaddingRanges(axis, me))
    for (int64_t i = r.begin; i < r.end; ++i)
      y[i] = 0.f;
  for (int64_t sender = 0; sender < axis.parts; ++sender) {
    Range own = blockRange(axis.n, axis.parts, sender);
    for (const HaloSegment &s : haloSegments(axis, sender, me))
      for (int64_t i = 0; i < s.length; ++i)
        y[s.dstBegin + i] = static_cast<float>(own.begin + s.srcBegin + i + 1);
  }
  return y;
}

std::vector<float> expected(const HaloAxis &axis, int64_t me) {
  Range need = haloInputRange(axis.window, axis.globalOut, axis.parts, me);
  std::vector<float> y;
  for (int64_t p = need.begin; p < need.end; ++p) {
    int64_t q = axis.periodic() ? ((p % axis.n) + axis.n) % axis.n : p;
    y.push_back(q >= 0 && q < axis.n ? static_cast<float>(q + 1) : 0.f);
  }
  return y;
}

TEST(HaloPlan, EveryPositionFromTheRightRankOrPadding) {
  int cases = 0;
  for (int64_t n : {1, 2, 5, 7, 11, 16})
    for (int64_t parts : {1, 2, 3, 4, 6})
      for (int64_t k : {1, 2, 3, 5, 7})
        for (int64_t s : {1, 2, 3})
          for (int64_t d : {1, 2})
            for (int64_t lo : {0, 1, 3})
              for (int64_t hi : {0, 2})
                for (bool periodic : {false, true}) {
                  int64_t out = windowOut(n, k, s, d, lo, hi);
                  if (out < 1)
                    continue;
                  HaloAxis axis{n, parts, Window{s, d, k, lo}, out,
                                periodic ? HaloBoundary::Periodic : HaloBoundary::Zero};
                  for (int64_t me = 0; me < parts; ++me) {
                    ASSERT_EQ(assemble(axis, me), expected(axis, me))
                        << "n " << n << " parts " << parts << " k " << k << " s " << s << " d "
                        << d << " lo " << lo << " hi " << hi << " periodic " << periodic
                        << " rank " << me;
                    ++cases;
                  }
                }
  EXPECT_GT(cases, 1000);
}

TEST(HaloPlan, WideHaloComesFromSeveralRanks) {
  // Blocks of 7 over 3 ranks are 3, 2, 2; a kernel of 7 needs 3 on each side.
  HaloAxis axis{7, 3, Window{1, 1, 7, 3}, 7, HaloBoundary::Zero};
  std::vector<HaloSegment> fromRank0 = haloSegments(axis, 0, 2);
  std::vector<HaloSegment> fromRank1 = haloSegments(axis, 1, 2);
  EXPECT_EQ(fromRank0.size(), 1u);
  EXPECT_EQ(fromRank1.size(), 1u);
  EXPECT_EQ(fromRank0[0].length, 1);
  EXPECT_EQ(fromRank1[0].length, 2);
}

TEST(HaloPlan, MirroredPadsReadEverySourceLocally) {
  // A reflect or edge pad (a one-tap window) reads positions outside [0, n)
  // from inside: every source an output block reads must lie in the rank's
  // halo'd range and arrive there from its owner, blocks of one row and
  // pads reaching past a neighbour included.
  int cases = 0;
  for (HaloBoundary b : {HaloBoundary::Reflect, HaloBoundary::Edge})
    for (int64_t n : {1, 2, 3, 5, 7, 10})
      for (int64_t parts : {1, 2, 3, 4, 7})
        for (int64_t lo : {0, 1, 2, 4})
          for (int64_t hi : {0, 1, 3}) {
            if (b == HaloBoundary::Reflect && (lo >= n || hi >= n))
              continue; // ONNX reflect pads must be shorter than the dim
            int64_t out = n + lo + hi;
            HaloAxis axis{n, parts, Window{1, 1, 1, lo}, out, b};
            for (int64_t me = 0; me < parts; ++me) {
              Range need = neededRange(axis, me);
              std::vector<float> y(need.size(), -1.f);
              for (int64_t sender = 0; sender < parts; ++sender) {
                Range own = blockRange(n, parts, sender);
                for (const HaloSegment &seg : haloSegments(axis, sender, me))
                  for (int64_t i = 0; i < seg.length; ++i)
                    y[seg.dstBegin + i] = static_cast<float>(own.begin + seg.srcBegin + i);
              }
              Range block = blockRange(out, parts, me);
              for (int64_t o = block.begin; o < block.end; ++o) {
                int64_t p = o - lo;
                int64_t src = p >= 0 && p < n ? p : mirrorSource(p, n, b);
                ASSERT_TRUE(src >= need.begin && src < need.end)
                    << "n " << n << " parts " << parts << " lo " << lo << " hi " << hi
                    << " rank " << me << " output " << o;
                ASSERT_EQ(y[src - need.begin], static_cast<float>(src))
                    << "n " << n << " parts " << parts << " lo " << lo << " hi " << hi
                    << " rank " << me << " output " << o;
                ++cases;
              }
            }
          }
  EXPECT_GT(cases, 1000);
}

} // namespace
} // namespace quilt::test
