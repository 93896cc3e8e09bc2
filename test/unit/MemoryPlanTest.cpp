// The arena planner never overlaps buffers that are alive at the same time.
#include "quilt/Conversion/MemoryPlan.h"

#include <gtest/gtest.h>

using namespace quilt;

static bool overlaps(int64_t a, int64_t aBytes, int64_t b, int64_t bBytes) {
  return a < b + bBytes && b < a + aBytes;
}

TEST(MemoryPlan, ChainReusesDeadBuffers) {
  // x0 -> x1 -> x2 -> x3: only neighbours are alive together.
  std::vector<BufferRequest> reqs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  MemoryPlan plan = planMemory(reqs, 64);
  EXPECT_EQ(plan.arenaBytes, 2 * 1024);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
}

TEST(MemoryPlan, NoLiveOverlapAndAligned) {
  std::vector<BufferRequest> reqs;
  for (int i = 0; i < 40; ++i)
    reqs.push_back({(i * 37 % 11 + 1) * 100, i % 7, i % 7 + i % 5});
  MemoryPlan plan = planMemory(reqs, 64);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 64, 0);
    EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.arenaBytes);
    for (size_t j = i + 1; j < reqs.size(); ++j) {
      bool live = reqs[i].first <= reqs[j].last && reqs[j].first <= reqs[i].last;
      if (live) {
        EXPECT_FALSE(overlaps(plan.offsets[i], reqs[i].bytes, plan.offsets[j], reqs[j].bytes))
            << i << " and " << j;
      }
    }
  }
}
