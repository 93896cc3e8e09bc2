// quilt_rt_conv against the reference loop, whole and split into halo'd
// shards on simulated meshes (every rank's shard computed in one process),
// and after a halo exchange in an arena with its weights in the mapped
// weights region, as a compiled model runs it.
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace quilt::test {
namespace {

struct ConvCase {
  const char *name;
  Shape x, w;
  int64_t group;
  WindowSpec win;
  bool bias;
  int64_t activation = QUILT_ACTIVATION_NONE;
  double activationAlpha = 0;
};

int64_t doubleBits(double value) {
  int64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

/// The activation the conv fuses, applied to the reference result.
void applyActivation(std::vector<float> &values, const ConvCase &c) {
  for (float &v : values)
    if (c.activation != QUILT_ACTIVATION_NONE && v < 0)
      v = c.activation == QUILT_ACTIVATION_RELU ? 0.f : float(v * c.activationAlpha);
}

/// How a case is distributed: mesh shape and, per tensor dim, the mesh axis
/// splitting it (-1: whole). Spatial split dims get a halo on the input.
struct Split {
  Shape mesh;
  Shape axisOfDim;
  /// Positions the input's halo holds beyond the conv's window on each side
  /// (a halo shared with a wider reader): the conv reads its sub-range.
  int64_t widenHalo = 0;
};

std::vector<Dim> inputDims(const ConvCase &c, const Split &s, const Shape &ys) {
  std::vector<Dim> dims;
  for (size_t d = 0; d < c.x.size(); ++d) {
    int64_t axis = d < s.axisOfDim.size() ? s.axisOfDim[d] : -1;
    if (axis < 0 || d < 2) {
      dims.push_back(axis < 0 ? whole(c.x[d]) : split(c.x[d], axis));
      continue;
    }
    size_t i = d - 2;
    Window w{c.win.strides[i], c.win.dilations[i], c.win.kernel[i], c.win.padsLo[i]};
    if (s.widenHalo > 0) // the hull window quilt-share-halos builds: dilation 1
      w = Window{w.stride, 1, (w.kernel - 1) * w.dilation + 1 + 2 * s.widenHalo,
                 w.padLo + s.widenHalo};
    dims.push_back(halo(c.x[d], axis, w, ys[d]));
  }
  return dims;
}

std::vector<Dim> outputDims(const Shape &ys, const Split &s) {
  std::vector<Dim> dims;
  for (size_t d = 0; d < ys.size(); ++d) {
    int64_t axis = d < s.axisOfDim.size() ? s.axisOfDim[d] : -1;
    dims.push_back(axis < 0 ? whole(ys[d]) : split(ys[d], axis));
  }
  return dims;
}

std::vector<Dim> wholeDims(const Shape &shape) {
  std::vector<Dim> dims;
  for (int64_t e : shape)
    dims.push_back(whole(e));
  return dims;
}

Params convParams(const ConvCase &c, const Split &s, const std::vector<Dim> &xd,
                  const std::vector<Dim> &yd) {
  Params p;
  p.tensor(xd).tensor(wholeDims(c.w));
  if (c.bias)
    p.tensor({whole(c.w[0])});
  p.tensor(yd).attr(c.bias).attr(c.win.spatial()).attr(c.group);
  p.attrs(c.win.strides).attrs(c.win.dilations);
  return p.attrs(c.win.padsLo).attrs(c.win.padsHi).attr(c.activation)
      .attr(doubleBits(c.activationAlpha));
}

/// Every rank's coordinates; a mesh without axes has one rank, at ().
std::vector<Shape> allCoords(const Shape &mesh) {
  std::vector<Shape> coords;
  forEachIndex(mesh, [&](const Shape &c) { coords.push_back(c); });
  return coords;
}

void checkConv(const ConvCase &c, const Split &s) {
  SCOPED_TRACE(c.name);
  std::vector<float> x = globalTensor(c.x, 1), w = globalTensor(c.w, 2);
  std::vector<float> b = globalTensor({c.w[0]}, 3);
  Shape ys;
  std::vector<float> ref = refConv(x, c.x, w, c.w, c.bias ? &b : nullptr, c.win, c.group, ys);
  applyActivation(ref, c);
  std::vector<Dim> xd = inputDims(c, s, ys), yd = outputDims(ys, s);
  Params params = convParams(c, s, xd, yd);
  SelfCommunicator comm;
  for (const Shape &coords : allCoords(s.mesh)) {
    auto ctx = makeContext(comm, s.mesh, coords);
    std::vector<float> xl = localPart(x, xd, s.mesh, coords);
    std::vector<float> expected = localPart(ref, yd, s.mesh, coords);
    std::vector<float> y(expected.size(), -7.f);
    std::vector<void *> buffers{xl.data(), w.data()};
    if (c.bias)
      buffers.push_back(b.data());
    buffers.push_back(y.data());
    // Twice: the second call runs the cached primitive.
    for (int run = 0; run < 2; ++run) {
      quilt_rt_conv(ctx.get(), params.data(), buffers.data());
      EXPECT_LT(maxAbsDiff(y, expected), 1e-4) << "rank coords " << shapeString(coords);
    }
  }
}

WindowSpec win2(Shape k, Shape s, Shape d, Shape lo, Shape hi) { return {k, s, d, lo, hi}; }

const std::vector<ConvCase> &convCases() {
  static const std::vector<ConvCase> cases = {
      {"3x3 pad 1 bias", {2, 3, 9, 8}, {4, 3, 3, 3}, 1,
       win2({3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), true},
      {"stride 2 asymmetric pads", {1, 2, 11, 10}, {3, 2, 3, 2}, 1,
       win2({3, 2}, {2, 2}, {1, 1}, {0, 1}, {2, 0}), false},
      {"dilation 2", {1, 2, 12, 9}, {4, 2, 3, 3}, 1, win2({3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}),
       true},
      {"groups 2", {2, 4, 8, 7}, {6, 2, 3, 3}, 2, win2({3, 3}, {1, 2}, {1, 1}, {1, 1}, {1, 1}),
       true},
      {"depthwise", {1, 3, 10, 6}, {3, 1, 3, 3}, 3, win2({3, 3}, {2, 1}, {1, 1}, {1, 0}, {1, 2}),
       false},
      {"1-D", {2, 3, 17}, {5, 3, 4}, 1, win2({4}, {3}, {1}, {1}, {2}), true},
      {"3-D", {1, 2, 6, 7, 5}, {3, 2, 3, 2, 3}, 1,
       win2({3, 2, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1}, {1, 1, 0}), true},
      {"wide kernel", {1, 2, 13, 6}, {2, 2, 5, 3}, 1, win2({5, 3}, {1, 1}, {2, 1}, {4, 1}, {4, 1}),
       true},
      {"fused relu", {1, 3, 9, 8}, {4, 3, 3, 3}, 1, win2({3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}),
       true, QUILT_ACTIVATION_RELU},
      {"fused leaky relu", {1, 3, 9, 8}, {4, 3, 3, 3}, 1,
       win2({3, 3}, {2, 1}, {1, 1}, {1, 1}, {1, 1}), false, QUILT_ACTIVATION_LEAKY_RELU, 0.1},
  };
  return cases;
}

TEST(Conv, WholeTensors) {
  for (const ConvCase &c : convCases())
    checkConv(c, Split{{}, {}});
}

TEST(Conv, SplitFirstSpatialDimWithHalo) {
  for (const ConvCase &c : convCases())
    checkConv(c, Split{{3}, {-1, -1, 0}});
}

TEST(Conv, SplitTwoSpatialDimsOnTwoAxes) {
  for (const ConvCase &c : convCases())
    if (c.win.spatial() >= 2)
      checkConv(c, Split{{2, 3}, {-1, -1, 0, 1}});
}

TEST(Conv, HaloWiderThanBlocksAndEmptyShards) {
  for (const ConvCase &c : convCases())
    checkConv(c, Split{{7}, {-1, -1, 0}});
}

TEST(Conv, BatchSplitAndHalo) {
  for (const ConvCase &c : convCases())
    checkConv(c, Split{{2, 2}, {0, -1, 1}});
}

TEST(Conv, HaloWiderThanTheWindowIsReadAsASubRange) {
  for (const ConvCase &c : convCases()) {
    checkConv(c, Split{{3}, {-1, -1, 0}, 2});
    checkConv(c, Split{{7}, {-1, -1, 0}, 5});
  }
}

TEST(Conv, PointwiseOnPlainBlocks) {
  // A 1x1 stride-1 conv needs no halo: input and output are plain blocks.
  ConvCase c{"1x1", {1, 3, 10, 5}, {4, 3, 1, 1}, 1, win2({1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}),
             true};
  std::vector<float> x = globalTensor(c.x, 1), w = globalTensor(c.w, 2), b = globalTensor({4}, 3);
  Shape ys;
  std::vector<float> ref = refConv(x, c.x, w, c.w, &b, c.win, 1, ys);
  Shape mesh{4};
  std::vector<Dim> xd{whole(1), whole(3), split(10, 0), whole(5)};
  std::vector<Dim> yd{whole(1), whole(4), split(10, 0), whole(5)};
  Params p = convParams(c, Split{mesh, {}}, xd, yd);
  SelfCommunicator comm;
  for (int64_t r = 0; r < 4; ++r) {
    auto ctx = makeContext(comm, mesh, {r});
    std::vector<float> xl = localPart(x, xd, mesh, {r}), expected = localPart(ref, yd, mesh, {r});
    std::vector<float> y(expected.size());
    void *buffers[] = {xl.data(), w.data(), b.data(), y.data()};
    quilt_rt_conv(ctx.get(), p.data(), buffers);
    EXPECT_LT(maxAbsDiff(y, expected), 1e-4);
  }
}

/// Bytes rounded up to the arena alignment the compiler uses.
size_t aligned64(size_t bytes) { return (bytes + 63) / 64 * 64; }

/// A lone conv after a halo exchange, laid out the way a compiled one-rank
/// model lays it out: the output, the input and the halo'd input in one arena
/// (the halo'd copy last), the weights and bias inside the mapped weights
/// region (so conv takes its reorder-weights-once path), and the model run
/// three times. A second conv op reads other weights from the same region, and
/// then the first op reads those too (same params, new weights pointer).
void checkHaloThenConvModel(const ConvCase &c) {
  SCOPED_TRACE(c.name);
  std::vector<float> x = globalTensor(c.x, 1), w = globalTensor(c.w, 2);
  std::vector<float> b = globalTensor({c.w[0]}, 3);
  std::vector<float> w2 = globalTensor(c.w, 4), b2 = globalTensor({c.w[0]}, 5);
  Shape ys;
  std::vector<float> ref = refConv(x, c.x, w, c.w, c.bias ? &b : nullptr, c.win, c.group, ys);
  std::vector<float> ref2 =
      refConv(x, c.x, w2, c.w, c.bias ? &b2 : nullptr, c.win, c.group, ys);
  applyActivation(ref, c);
  applyActivation(ref2, c);
  Shape mesh{1};
  Split s{mesh, {-1, -1, 0}};
  std::vector<Dim> xd = outputDims(c.x, s), hd = inputDims(c, s, ys), yd = outputDims(ys, s);
  ASSERT_NE(hd[2].window.stride, 0) << "the conv input must carry a halo window";

  // Weights region: w, b, w2, b2 (64-byte aligned like the mapped file).
  size_t wFloats = w.size(), bFloats = b.size();
  size_t regionFloats = 2 * (wFloats + bFloats);
  auto *region = static_cast<float *>(std::aligned_alloc(64, aligned64(regionFloats * 4)));
  std::unique_ptr<float, decltype(&std::free)> regionOwner(region, &std::free);
  float *rw = region, *rb = rw + wFloats, *rw2 = rb + bFloats, *rb2 = rw2 + wFloats;
  std::copy(w.begin(), w.end(), rw);
  std::copy(b.begin(), b.end(), rb);
  std::copy(w2.begin(), w2.end(), rw2);
  std::copy(b2.begin(), b2.end(), rb2);
  std::vector<float> regionBefore(region, region + regionFloats);

  size_t yBytes = ref.size() * 4, xBytes = x.size() * 4;
  size_t hBytes = localPart(x, hd, mesh, {0}).size() * 4;
  size_t yOff = 0, xOff = aligned64(yBytes), hOff = xOff + aligned64(xBytes);
  size_t arenaBytes = hOff + aligned64(hBytes);
  SelfCommunicator comm;
  auto ctx = std::make_unique<quilt_rt_ctx>(comm, mesh, arenaBytes, 64);
  ctx->onError = [](const std::string &m) { throw Error(m); };
  ctx->libraries.dnn = hostDnn();
  ctx->weights = region;
  ctx->weightsBytes = regionFloats * 4;
  auto *arena = static_cast<char *>(quilt_rt_arena(ctx.get()));
  auto *ya = reinterpret_cast<float *>(arena + yOff);
  auto *xa = reinterpret_cast<float *>(arena + xOff);
  auto *ha = reinterpret_cast<float *>(arena + hOff);

  Params haloParams, convParams1 = convParams(c, s, hd, yd), convParams2 = convParams(c, s, hd, yd);
  haloParams.tensor(xd).tensor(hd).attr(2);
  auto run = [&](const int64_t *params, float *wp, float *bp) {
    std::copy(x.begin(), x.end(), xa);
    void *halo[] = {xa, ha};
    quilt_rt_halo_exchange(ctx.get(), haloParams.data(), halo);
    std::vector<void *> buffers{ha, wp};
    if (c.bias)
      buffers.push_back(bp);
    buffers.push_back(ya);
    quilt_rt_conv(ctx.get(), params, buffers.data());
    return std::vector<float>(ya, ya + ref.size());
  };
  for (int iteration = 0; iteration < 3; ++iteration) {
    EXPECT_LT(maxAbsDiff(run(convParams1.data(), rw, rb), ref), 1e-4)
        << "iteration " << iteration;
    EXPECT_LT(maxAbsDiff(run(convParams2.data(), rw2, rb2), ref2), 1e-4)
        << "second op, iteration " << iteration;
  }
  // The first op's cached plan must notice the new weights pointer.
  EXPECT_LT(maxAbsDiff(run(convParams1.data(), rw2, rb2), ref2), 1e-4) << "first op, new weights";
  EXPECT_LT(maxAbsDiff(run(convParams1.data(), rw, rb), ref), 1e-4) << "first op, old weights";
  EXPECT_EQ(std::vector<float>(region, region + regionFloats), regionBefore)
      << "conv wrote into the weights region";
}

TEST(Conv, HaloExchangeThenConvWithMappedWeights) {
  // The model that first showed the bug: a 1x1 conv, 2 -> 3 channels, on a
  // [1, 2, 5, 4] input whose H carries a (trivial) halo window on one rank.
  checkHaloThenConvModel({"1x1 after halo, 2 -> 3 channels", {1, 2, 5, 4}, {3, 2, 1, 1}, 1,
                          win2({1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), false});
  checkHaloThenConvModel({"3x3 pad 1 after halo, 2 -> 3 channels", {1, 2, 5, 4}, {3, 2, 3, 3},
                          1, win2({3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}), false});
  for (const ConvCase &c : convCases())
    checkHaloThenConvModel(c);
}

TEST(Conv, HaloNarrowerThanTheWindowIsAnError) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {2}, {0});
  Params p;
  // Rank 0's halo (kernel 2, pad 1) holds [-1, 4); the conv (kernel 3, pad 1)
  // reads [-1, 5): position 4 is data it lacks.
  p.tensor({whole(1), whole(1), halo(8, 0, Window{1, 1, 2, 1}, 8)})
      .tensor({whole(1), whole(1), whole(3)})
      .tensor({whole(1), whole(1), split(8, 0)})
      .attrs({0, 1, 1, 1, 1, 1, 1, QUILT_ACTIVATION_NONE, 0});
  std::vector<float> x(8 + 4), w(3), y(4);
  void *buffers[] = {x.data(), w.data(), y.data()};
  EXPECT_THROW(quilt_rt_conv(ctx.get(), p.data(), buffers), Error);
}

} // namespace
} // namespace quilt::test
