// quilt_rt_pool against the reference loop, whole and on halo'd shards whose
// out-of-domain positions must count as padding.
#include "reference.h"

#include <gtest/gtest.h>

namespace quilt::test {
namespace {

struct PoolCase {
  const char *name;
  Shape x;
  WindowSpec win;
};

const std::vector<PoolCase> &poolCases() {
  static const std::vector<PoolCase> cases = {
      {"2x2 stride 2", {1, 2, 8, 9}, {{2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}}},
      {"3x3 stride 2 pad 1", {2, 3, 11, 10}, {{3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}}},
      {"asymmetric pads, dilation 2", {1, 2, 12, 7}, {{3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 1}}},
      {"1-D", {2, 2, 15}, {{4}, {3}, {1}, {2}, {1}}},
      {"3-D", {1, 2, 5, 6, 7}, {{2, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1}, {1, 1, 0}}},
  };
  return cases;
}

/// Inputs below zero, so a padding zero that wrongly took part would win a max.
std::vector<float> negativeTensor(const Shape &shape) {
  std::vector<float> x = globalTensor(shape, 5);
  for (float &v : x)
    v -= 3.f;
  return x;
}

Params poolParams(const std::vector<Dim> &xd, const std::vector<Dim> &yd, int64_t kind,
                  bool includePad, const WindowSpec &w) {
  Params p;
  p.tensor(xd).tensor(yd).attr(kind).attr(includePad).attr(w.spatial());
  return p.attrs(w.kernel).attrs(w.strides).attrs(w.dilations).attrs(w.padsLo).attrs(w.padsHi);
}

/// `widen`: positions the input's halo holds beyond the pool's window on each
/// side (a halo shared with a wider reader): the pool reads its sub-range.
void checkPool(const PoolCase &c, int64_t kind, bool includePad, int64_t parts,
               int64_t widen = 0) {
  SCOPED_TRACE(strCat(c.name, " kind ", kind, " include_pad ", includePad, " parts ", parts,
                      " widen ", widen));
  std::vector<float> x = negativeTensor(c.x);
  Shape ys;
  std::vector<float> ref = refPool(x, c.x, kind == QUILT_POOL_MAX, includePad, c.win, ys);
  std::vector<Dim> xd, yd;
  for (size_t d = 0; d < c.x.size(); ++d) {
    if (d != 2) {
      xd.push_back(whole(c.x[d]));
      yd.push_back(whole(ys[d]));
      continue;
    }
    Window w{c.win.strides[0], c.win.dilations[0], c.win.kernel[0], c.win.padsLo[0]};
    if (widen > 0)
      w = Window{w.stride, 1, (w.kernel - 1) * w.dilation + 1 + 2 * widen, w.padLo + widen};
    xd.push_back(halo(c.x[d], 0, w, ys[d]));
    yd.push_back(split(ys[d], 0));
  }
  Params p = poolParams(xd, yd, kind, includePad, c.win);
  SelfCommunicator comm;
  for (int64_t r = 0; r < parts; ++r) {
    auto ctx = makeContext(comm, {parts}, {r});
    std::vector<float> xl = localPart(x, xd, {parts}, {r});
    std::vector<float> expected = localPart(ref, yd, {parts}, {r});
    std::vector<float> y(expected.size());
    void *buffers[] = {xl.data(), y.data()};
    quilt_rt_pool(ctx.get(), p.data(), buffers);
    EXPECT_LT(maxAbsDiff(y, expected), 1e-5) << "rank " << r;
  }
}

TEST(Pool, MaxAndAverageWholeAndSplit) {
  for (const PoolCase &c : poolCases())
    for (int64_t parts : {1, 3, 5})
      for (int64_t kind : {QUILT_POOL_MAX, QUILT_POOL_AVG})
        for (bool includePad : {false, true})
          checkPool(c, kind, includePad, parts);
}

TEST(Pool, HaloWiderThanTheWindowIsReadAsASubRange) {
  for (const PoolCase &c : poolCases())
    for (int64_t parts : {3, 5})
      for (int64_t kind : {QUILT_POOL_MAX, QUILT_POOL_AVG})
        checkPool(c, kind, /*includePad=*/kind == QUILT_POOL_AVG, parts, /*widen=*/2);
}

} // namespace
} // namespace quilt::test
