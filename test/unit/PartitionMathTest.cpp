// Block distribution and halo ranges (quilt/partition_math.h), checked against
// brute force over the global index space.
#include "quilt/partition_math.h"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

using namespace quilt;

TEST(BlockDistribution, CoversTheDimExactlyOnce) {
  for (int64_t n = 0; n <= 23; ++n)
    for (int64_t parts = 1; parts <= 7; ++parts) {
      int64_t next = 0;
      for (int64_t r = 0; r < parts; ++r) {
        Range block = blockRange(n, parts, r);
        EXPECT_EQ(block.begin, next) << "n=" << n << " parts=" << parts << " r=" << r;
        EXPECT_LE(block.size(), maxBlockSize(n, parts));
        next = block.end;
      }
      EXPECT_EQ(next, n);
    }
}

TEST(BlockDistribution, TenRowsOverThree) {
  EXPECT_EQ(blockRange(10, 3, 0).begin, 0);
  EXPECT_EQ(blockRange(10, 3, 0).end, 4);
  EXPECT_EQ(blockRange(10, 3, 1).begin, 4);
  EXPECT_EQ(blockRange(10, 3, 1).end, 7);
  EXPECT_EQ(blockRange(10, 3, 2).begin, 7);
  EXPECT_EQ(blockRange(10, 3, 2).end, 10);
}

// The needed range must be exactly the span of positions the window reads.
static Range bruteForceNeed(const Window &w, Range out) {
  if (out.empty())
    return {0, 0};
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t o = out.begin; o < out.end; ++o)
    for (int64_t j = 0; j < w.kernel; ++j) {
      int64_t p = o * w.stride - w.padLo + j * w.dilation;
      lo = std::min(lo, p);
      hi = std::max(hi, p + 1);
    }
  return {lo, hi};
}

TEST(HaloRange, MatchesBruteForce) {
  for (int64_t stride : {1, 2, 3})
    for (int64_t dilation : {1, 2})
      for (int64_t kernel : {1, 3, 5})
        for (int64_t padLo : {0, 1, 2}) {
          Window w{stride, dilation, kernel, padLo};
          for (int64_t parts = 1; parts <= 5; ++parts)
            for (int64_t r = 0; r < parts; ++r) {
              Range need = haloInputRange(w, 17, parts, r);
              Range expect = bruteForceNeed(w, blockRange(17, parts, r));
              EXPECT_EQ(need.begin, expect.begin);
              EXPECT_EQ(need.end, expect.end);
              EXPECT_LE(need.size(), maxHaloExtent(w, 17, parts));
            }
        }
}

TEST(HaloRange, StrideTwoOverThreeRanks) {
  // 10 input rows, k=3 s=2 pad 1/1 -> 5 output rows split 2/2/1.
  Window w{2, 1, 3, 1};
  EXPECT_EQ(haloInputRange(w, 5, 3, 0).begin, -1); // reads the zero pad
  EXPECT_EQ(haloInputRange(w, 5, 3, 0).end, 4);
  EXPECT_EQ(haloInputRange(w, 5, 3, 1).begin, 3);
  EXPECT_EQ(haloInputRange(w, 5, 3, 1).end, 8);
  EXPECT_EQ(haloInputRange(w, 5, 3, 2).begin, 7);
  EXPECT_EQ(haloInputRange(w, 5, 3, 2).end, 10);
}

TEST(HaloRange, ReceiveCountsExcludePaddingAndOwnRows) {
  Window w{1, 2, 3, 2}; // dilation 2: reach 2 rows each side
  // 10 rows over 3 ranks: blocks [0,4) [4,7) [7,10).
  EXPECT_EQ(haloReceiveCount(w, 10, 10, 3, 0), 2);
  EXPECT_EQ(haloReceiveCount(w, 10, 10, 3, 1), 4);
  EXPECT_EQ(haloReceiveCount(w, 10, 10, 3, 2), 2);
}

TEST(HaloRange, WiderThanANeighbourSpansSeveralRanks) {
  Window w{1, 1, 9, 4}; // 4 rows each side, blocks of 2 or 3 rows
  Range need = intersect(haloInputRange(w, 10, 4, 1), {0, 10});
  EXPECT_EQ(need.begin, 0);
  EXPECT_EQ(need.end, 10); // rank 1 owns [3,6): needs rows from ranks 0, 2 and 3
}

TEST(HaloRange, EmptyOutputBlockNeedsNothing) {
  Window w{2, 1, 3, 1};
  EXPECT_TRUE(haloInputRange(w, 2, 4, 3).empty());
}

TEST(NestedBlocks, MinorBlocksTileTheMajorBlockInOrder) {
  for (int64_t n = 0; n <= 19; ++n)
    for (int64_t major = 1; major <= 3; ++major)
      for (int64_t minor = 1; minor <= 4; ++minor) {
        const int64_t parts[] = {major, minor};
        int64_t next = 0;
        for (int64_t a = 0; a < major; ++a) {
          Range outer = blockRange(n, major, a);
          for (int64_t b = 0; b < minor; ++b) {
            const int64_t coords[] = {a, b};
            Range r = nestedBlockRange(n, 1, parts, coords, 2);
            // Row-major over (major, minor): consecutive, inside the major block.
            EXPECT_EQ(r.begin, next) << n << " " << major << "x" << minor;
            EXPECT_GE(r.begin, outer.begin);
            EXPECT_LE(r.end, outer.end);
            EXPECT_LE(r.size(), nestedMaxBlockSize(n, 1, parts, 2));
            next = r.end;
          }
        }
        EXPECT_EQ(next, n);
      }
}

// A tile over two dims, each split by its own axes (the second over two,
// nested): owners row-major over all axes hold exactly the product of their
// blocks (the ranges tileOwnerRanges gives, where a ring adds its keys'
// columns of an attention bias), the tiles cover the grid once, and none
// exceeds tileMaxSize.
TEST(TileOwners, ProductOfNestedBlocksCoversTheGrid) {
  for (int64_t h = 0; h <= 9; ++h)
    for (int64_t w = 0; w <= 7; ++w) {
      const int64_t n[] = {h, w}, granule[] = {1, 1}, levels[] = {1, 2};
      const int64_t parts[] = {3, 2, 2}; // H over 3 ranks; W over 2 x 2
      int64_t total = 0;
      std::vector<int> covered(h * w, 0);
      for (int64_t owner = 0; owner < 12; ++owner) {
        int64_t a = owner / 4, b = (owner / 2) % 2, c = owner % 2;
        const int64_t wCoords[] = {b, c};
        Range hRange = blockRange(h, 3, a), wRange = nestedBlockRange(w, 1, parts + 1, wCoords, 2);
        int64_t size = tileOwnerSize(n, granule, levels, 2, parts, owner);
        EXPECT_EQ(size, hRange.size() * wRange.size()) << h << "x" << w << " owner " << owner;
        EXPECT_LE(size, tileMaxSize(n, granule, levels, 2, parts));
        Range ranges[2];
        tileOwnerRanges(n, granule, levels, 2, parts, owner, ranges);
        EXPECT_EQ(ranges[0].begin, hRange.begin);
        EXPECT_EQ(ranges[0].end, hRange.end);
        EXPECT_EQ(ranges[1].begin, wRange.begin);
        EXPECT_EQ(ranges[1].end, wRange.end);
        for (int64_t i = ranges[0].begin; i < ranges[0].end; ++i)
          for (int64_t j = ranges[1].begin; j < ranges[1].end; ++j)
            ++covered[i * w + j];
        total += size;
      }
      EXPECT_EQ(total, h * w);
      EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }))
          << h << "x" << w;
    }
}
