// The kernel bodies of device/box_kernels.h and moments.h, run the way each
// device runs them: the host device's loop of contiguous runs, and one
// invocation per element in an arbitrary order (what a GPU grid does, and
// what the emulated CUDA device does), against reference loops on random
// uneven boxes; and the emulated CUDA device's checks.
#include "box.h"
#include "quilt/partition_math.h"
#include "emulated_cuda_device.h"
#include "host_device.h"
#include "moments.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace quilt::test {
namespace {

struct RandomBox {
  Shape srcShape, dstShape, srcOffset, dstOffset, box;
};

/// A box of random extents (some dims whole, so runs fold; some 1) placed
/// at random offsets in two tensors of random larger shapes.
RandomBox randomBox(std::mt19937 &rng) {
  std::uniform_int_distribution<int> rankDist(1, 5), extentDist(1, 5), padDist(0, 3), coin(0, 2);
  RandomBox r;
  int rank = rankDist(rng);
  for (int d = 0; d < rank; ++d) {
    int64_t e = extentDist(rng);
    r.box.push_back(e);
    // A third of the dims are whole in a tensor (the box spans it).
    int64_t srcPad = coin(rng) == 0 ? 0 : padDist(rng), dstPad = coin(rng) == 0 ? 0 : padDist(rng);
    r.srcShape.push_back(e + srcPad);
    r.dstShape.push_back(e + dstPad);
    r.srcOffset.push_back(srcPad ? std::uniform_int_distribution<int64_t>(0, srcPad)(rng) : 0);
    r.dstOffset.push_back(dstPad ? std::uniform_int_distribution<int64_t>(0, dstPad)(rng) : 0);
  }
  return r;
}

std::vector<float> referenceCopy(const RandomBox &r, const std::vector<float> &src,
                                 std::vector<float> dst) {
  forEachIndex(r.box, [&](const Shape &i) {
    Shape s(i.size()), d(i.size());
    for (size_t k = 0; k < i.size(); ++k) {
      s[k] = r.srcOffset[k] + i[k];
      d[k] = r.dstOffset[k] + i[k];
    }
    dst[linearIndex(r.dstShape, d)] = src[linearIndex(r.srcShape, s)];
  });
  return dst;
}

/// Runs `kernel(i)` for i in [0, n) in a shuffled order.
template <class Kernel> void runShuffled(const Kernel &kernel, int64_t n, std::mt19937 &rng) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  for (int64_t i : order)
    kernel(i);
}

TEST(BoxKernels, CopyEqualsReferenceOnRandomBoxes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    RandomBox r = randomBox(rng);
    std::vector<float> src = globalTensor(r.srcShape, trial), dst(numElements(r.dstShape), -1.f);
    std::vector<float> want = referenceCopy(r, src, dst);
    BoxRef from{&r.srcShape, r.srcOffset}, to{&r.dstShape, r.dstOffset};

    std::vector<float> byRuns = dst;
    hostDevice().copyBox(src.data(), from, byRuns.data(), to, r.box);
    EXPECT_EQ(byRuns, want) << "host device, trial " << trial;

    std::vector<float> byElements = dst;
    CopyBoxKernel kernel{boxGeometry(r.box, from, &to), src.data(), byElements.data()};
    ASSERT_EQ(kernel.box.elements(), numElements(r.box));
    runShuffled(kernel, kernel.box.elements(), rng);
    EXPECT_EQ(byElements, want) << "element-wise, trial " << trial;
  }
}

TEST(BoxKernels, FillEqualsReferenceOnRandomBoxes) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    RandomBox r = randomBox(rng);
    std::vector<float> dst = globalTensor(r.dstShape, trial), want = dst;
    forEachIndex(r.box, [&](const Shape &i) {
      Shape d(i.size());
      for (size_t k = 0; k < i.size(); ++k)
        d[k] = r.dstOffset[k] + i[k];
      want[linearIndex(r.dstShape, d)] = 3.5f;
    });
    BoxRef at{&r.dstShape, r.dstOffset};
    std::vector<float> byRuns = dst;
    hostDevice().fillBox(byRuns.data(), at, r.box, 3.5f);
    EXPECT_EQ(byRuns, want) << "host device, trial " << trial;
    std::vector<float> byElements = dst;
    FillBoxKernel kernel{boxGeometry(r.box, at, nullptr), byElements.data(), 3.5f};
    runShuffled(kernel, kernel.box.elements(), rng);
    EXPECT_EQ(byElements, want) << "element-wise, trial " << trial;
  }
}

TEST(BoxKernels, WholeTrailingDimsFoldIntoOneRun) {
  Shape shape{4, 3, 5}, box{2, 3, 5};
  BoxRef a{&shape, {1, 0, 0}}, b{&shape, {2, 0, 0}};
  BoxGeometry g = boxGeometry(box, a, &b);
  EXPECT_EQ(g.dims, 1);
  EXPECT_EQ(g.runLength(), 30);
  EXPECT_EQ(g.srcBase, 15);
  EXPECT_EQ(g.dstBase, 30);
  Shape empty{2, 0, 5};
  EXPECT_EQ(boxGeometry(empty, a, &b).elements(), 0);
}

// The cost model counts a copy's runs with quilt::boxRuns (partition_math.h):
// they must be the runs the runtime's box copies make.
TEST(BoxKernels, RunsAreTheCostModelsBoxRuns) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 300; ++trial) {
    RandomBox r = randomBox(rng);
    BoxRef from{&r.srcShape, r.srcOffset}, to{&r.dstShape, r.dstOffset};
    int rank = static_cast<int>(r.box.size());
    EXPECT_EQ(boxGeometry(r.box, from, &to).runs(),
              boxRuns(r.box.data(), r.srcShape.data(), r.dstShape.data(), rank))
        << "trial " << trial;
    EXPECT_EQ(boxGeometry(r.box, from, nullptr).runs(),
              boxRuns(r.box.data(), r.srcShape.data(), nullptr, rank))
        << "trial " << trial;
  }
  Shape shape{4, 3, 5}, empty{2, 0, 5};
  EXPECT_EQ(boxRuns(empty.data(), shape.data(), shape.data(), 3), 0);
}

TEST(BoxKernels, RejectsBoxesOfAnotherRank) {
  Shape shape{4, 3}, box{2};
  BoxRef a{&shape, {0, 0}};
  EXPECT_THROW(boxGeometry(box, a, nullptr), Error);
}

/// (count, mean, M2) of values.
std::array<float, 3> momentsOf(const std::vector<float> &v) {
  double mean = 0, m2 = 0;
  for (float x : v)
    mean += x;
  mean /= v.empty() ? 1 : v.size();
  for (float x : v)
    m2 += (x - mean) * (x - mean);
  return {float(v.size()), float(mean), float(m2)};
}

TEST(MergeMomentsKernel, MergesMembersInOrder) {
  // 3 members, 4 rows each: member m's row i holds the moments of its part
  // of row i (uneven parts, one empty); the merge equals the whole row's.
  const int64_t members = 3, rows = 4;
  std::mt19937 rng(3);
  std::normal_distribution<float> value(10.f, 2.f);
  std::vector<float> gathered(members * rows * 3), merged(rows * 3);
  std::vector<std::array<float, 3>> whole(rows);
  for (int64_t i = 0; i < rows; ++i) {
    std::vector<float> all;
    for (int64_t m = 0; m < members; ++m) {
      std::vector<float> part(m == 1 && i == 2 ? 0 : 5 + 3 * m + i);
      for (float &x : part)
        x = value(rng);
      all.insert(all.end(), part.begin(), part.end());
      auto stats = momentsOf(part);
      std::copy(stats.begin(), stats.end(), gathered.begin() + 3 * (m * rows + i));
    }
    whole[i] = momentsOf(all);
  }
  MergeMomentsKernel kernel{gathered.data(), merged.data(), rows, members};
  runShuffled(kernel, rows, rng);
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_EQ(merged[3 * i], whole[i][0]);
    EXPECT_NEAR(merged[3 * i + 1], whole[i][1], 1e-5 * std::fabs(whole[i][1]));
    EXPECT_NEAR(merged[3 * i + 2], whole[i][2], 1e-4 * whole[i][2]);
  }
}

TEST(EmulatedCudaDevice, ChecksCopyDirectionsAndOwnership) {
  EmulatedCudaDevice device;
  EXPECT_FALSE(device.hostAddressable());
  auto *d = static_cast<float *>(device.allocate(64 * sizeof(float), 64));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(d) % 256, 0u);
  EXPECT_TRUE(device.owns(d + 10, 54 * sizeof(float)));
  EXPECT_FALSE(device.owns(d + 10, 300 * sizeof(float)));
  std::vector<float> host(64, 2.f), back(64, 0.f);
  device.copy(d, host.data(), 64 * sizeof(float), CopyKind::HostToDevice);
  device.copy(back.data(), d, 64 * sizeof(float), CopyKind::DeviceToHost);
  EXPECT_EQ(back, host);
  // A host pointer where the device side is named, and the reverse.
  EXPECT_THROW(device.copy(back.data(), host.data(), 16, CopyKind::HostToDevice), Error);
  EXPECT_THROW(device.copy(d, host.data(), 16, CopyKind::DeviceToHost), Error);
  EXPECT_THROW(device.release(host.data()), Error);
  // Overlapping device-to-device copies move like memmove.
  for (int i = 0; i < 64; ++i)
    host[i] = float(i);
  device.copy(d, host.data(), 64 * sizeof(float), CopyKind::HostToDevice);
  device.copy(d + 1, d, 32 * sizeof(float), CopyKind::DeviceToDevice);
  device.copy(back.data(), d, 64 * sizeof(float), CopyKind::DeviceToHost);
  EXPECT_EQ(back[1], 0.f);
  EXPECT_EQ(back[32], 31.f);
  device.release(d);
}

TEST(EmulatedCudaDevice, RunsBoxKernelsAsGrids) {
  EmulatedCudaDevice device;
  std::mt19937 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    RandomBox r = randomBox(rng);
    std::vector<float> src = globalTensor(r.srcShape, trial), dst(numElements(r.dstShape), 0.f);
    std::vector<float> want = referenceCopy(r, src, dst);
    size_t srcBytes = src.size() * sizeof(float), dstBytes = dst.size() * sizeof(float);
    DeviceBuffer a(device, srcBytes), b(device, dstBytes);
    device.copy(a.data(), src.data(), srcBytes, CopyKind::HostToDevice);
    device.copyBox(a.floats(), {&r.srcShape, r.srcOffset}, b.floats(), {&r.dstShape, r.dstOffset},
                   r.box);
    device.copy(dst.data(), b.data(), dstBytes, CopyKind::DeviceToHost);
    EXPECT_EQ(dst, want) << "trial " << trial;
  }
}

} // namespace
} // namespace quilt::test
