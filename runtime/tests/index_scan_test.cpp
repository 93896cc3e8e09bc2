// ArgMax/ArgMin, CumSum, GatherElements and cubic Resize against reference
// loops: on whole tensors (the host device, and the emulated CUDA device,
// whose grids run the per-index bodies), and on simulated shards put back
// together the way the compiler's partitioned program combines them.
#include "emulated_cuda_device.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quilt::test {
namespace {

/// Runs an entry point on `device` with host buffers `in` (operands) and
/// returns the result of `outElements` floats.
std::vector<float> runOn(Device &device, void (*entry)(quilt_rt_ctx *, const int64_t *, void **),
                         Params &p, const std::vector<const std::vector<float> *> &in,
                         int64_t outElements, const Shape &mesh = {},
                         const Shape &coords = {}) {
  SelfCommunicator comm;
  auto ctx = std::make_unique<quilt_rt_ctx>(comm, mesh, 0, 64, device);
  if (!coords.empty())
    ctx->coords = coords;
  ctx->onError = [](const std::string &m) { throw Error(m); };
  std::vector<DeviceBuffer> buffers;
  std::vector<void *> pointers;
  for (const std::vector<float> *t : in) {
    size_t bytes = std::max<size_t>(t->size(), 1) * sizeof(float);
    buffers.emplace_back(device, bytes);
    device.copy(buffers.back().data(), t->data(), t->size() * sizeof(float),
                CopyKind::HostToDevice);
    pointers.push_back(buffers.back().data());
  }
  std::vector<float> out(outElements, -7.f);
  buffers.emplace_back(device, std::max<int64_t>(outElements, 1) * sizeof(float));
  pointers.push_back(buffers.back().data());
  entry(ctx.get(), p.data(), pointers.data());
  device.copy(out.data(), pointers.back(), outElements * sizeof(float), CopyKind::DeviceToHost);
  return out;
}

/// Both devices give `want` exactly (the same body, in any order).
void expectOnBothDevices(void (*entry)(quilt_rt_ctx *, const int64_t *, void **), Params &p,
                         const std::vector<const std::vector<float> *> &in,
                         const std::vector<float> &want, double tolerance,
                         const std::string &what) {
  EmulatedCudaDevice emulated;
  for (Device *device : {&hostDevice(), static_cast<Device *>(&emulated)}) {
    std::vector<float> got = runOn(*device, entry, p, in, want.size());
    EXPECT_LE(maxAbsDiff(got, want), tolerance)
        << what << (device == &hostDevice() ? " (host)" : " (emulated CUDA)");
  }
}

/// [outer, n, inner] around `axis`.
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape &s, int axis) {
    for (int d = 0; d < static_cast<int>(s.size()); ++d)
      (d < axis ? outer : d == axis ? n : inner) *= s[d];
  }
};

/// The index numpy's argmax (or argmin) gives; with selectLast, the last of
/// the ties (NaN wins, the first NaN, or the last with selectLast).
std::vector<float> refArg(const std::vector<float> &x, const Shape &xs, int axis, bool min,
                          bool selectLast) {
  AxisView v(xs, axis);
  std::vector<float> y(v.outer * v.inner);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t best = -1;
      for (int64_t k = 0; k < v.n; ++k) {
        float a = x[(o * v.n + k) * v.inner + i];
        if (best < 0) {
          best = k;
          continue;
        }
        float b = x[(o * v.n + best) * v.inner + i];
        bool better;
        if (std::isnan(b))
          better = selectLast && std::isnan(a);
        else if (std::isnan(a))
          better = true;
        else
          better = min ? (a < b || (selectLast && a == b)) : (a > b || (selectLast && a == b));
        if (better)
          best = k;
      }
      y[o * v.inner + i] = static_cast<float>(best);
    }
  return y;
}

/// Small integers: ties in every row; a NaN in some rows.
std::vector<float> tiedTensor(const Shape &s, int64_t seed, bool nans) {
  std::vector<float> x = globalTensor(s, seed);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::round(2 * x[i]);
    if (nans && i % 17 == 5)
      x[i] = NAN;
  }
  return x;
}

Params argParams(const std::vector<Dim> &x, const std::vector<Dim> &y, int axis, bool min,
                 bool last, int64_t mode) {
  Params p;
  p.tensor(x).tensor(y).attrs({axis, min, last, mode});
  return p;
}

TEST(ArgReduce, WholeTensorsEveryAxisTiesAndNans) {
  Shape xs{2, 5, 7};
  for (bool nans : {false, true})
    for (int axis = 0; axis < 3; ++axis)
      for (bool min : {false, true})
        for (bool last : {false, true}) {
          std::vector<float> x = tiedTensor(xs, axis + 3, nans);
          Shape ys = xs;
          ys[axis] = 1;
          Params p = argParams(wholeDims(xs), wholeDims(ys), axis, min, last, QUILT_ARG_INDEX);
          expectOnBothDevices(quilt_rt_arg_reduce, p, {&x}, refArg(x, xs, axis, min, last), 0,
                              "axis " + std::to_string(axis) + " min " + std::to_string(min) +
                                  " last " + std::to_string(last) + " nans " +
                                  std::to_string(nans));
        }
}

/// The split program: each of P ranks proposes its block's pair, the pairs
/// are put side by side along the axis (the all-gather), every rank selects.
TEST(ArgReduce, CandidatesOfUnevenBlocksSelectTheWholeWinner) {
  Shape xs{3, 11, 4};
  int axis = 1;
  for (int64_t parts : {2, 3, 4, 12}) // 12 ranks over 11 rows: one owns nothing
    for (bool min : {false, true})
      for (bool last : {false, true}) {
        std::vector<float> x = tiedTensor(xs, parts, true);
        std::vector<Dim> xd{whole(3), split(11, 0), whole(4)};
        Shape pairsShape{3, parts, 4, 2};
        std::vector<float> pairs(numElements(pairsShape));
        for (int64_t r = 0; r < parts; ++r) {
          std::vector<float> local = localPart(x, xd, {parts}, {r});
          Params p = argParams(xd, {whole(3), split(parts, 0), whole(4), whole(2)}, axis, min,
                               last, QUILT_ARG_CANDIDATES);
          std::vector<float> mine = runOn(hostDevice(), quilt_rt_arg_reduce, p, {&local}, 3 * 4 * 2,
                                          {parts}, {r});
          forEachIndex({3, 1, 4, 2}, [&](const Shape &i) {
            pairs[linearIndex(pairsShape, {i[0], r, i[2], i[3]})] =
                mine[linearIndex({3, 1, 4, 2}, i)];
          });
        }
        Params select = argParams(wholeDims(pairsShape), wholeDims({3, 1, 4}), axis, min, last,
                                  QUILT_ARG_SELECT);
        expectOnBothDevices(quilt_rt_arg_reduce, select, {&pairs},
                            refArg(x, xs, axis, min, last), 0,
                            "parts " + std::to_string(parts) + " min " + std::to_string(min) +
                                " last " + std::to_string(last));
      }
}

TEST(ArgReduce, MismatchedPairsAreAnError) {
  Params p = argParams(wholeDims({2, 3}), wholeDims({2, 1, 3}), 1, false, false,
                       QUILT_ARG_CANDIDATES);
  std::vector<float> x(6, 0.f);
  EXPECT_THROW(runOn(hostDevice(), quilt_rt_arg_reduce, p, {&x}, 6), Error);
}

std::vector<float> refCumSum(const std::vector<float> &x, const Shape &xs, int axis,
                             bool exclusive, bool reverse) {
  AxisView v(xs, axis);
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i)
      for (int64_t k = 0; k < v.n; ++k) {
        double sum = 0;
        for (int64_t j = 0; j < v.n; ++j) {
          bool in = reverse ? (exclusive ? j > k : j >= k) : (exclusive ? j < k : j <= k);
          if (in)
            sum += x[(o * v.n + j) * v.inner + i];
        }
        y[(o * v.n + k) * v.inner + i] = static_cast<float>(sum);
      }
  return y;
}

TEST(CumSum, WholeTensorsEveryAxisExclusiveReverse) {
  Shape xs{3, 6, 5};
  std::vector<float> x = globalTensor(xs, 9);
  for (int axis = 0; axis < 3; ++axis)
    for (bool exclusive : {false, true})
      for (bool reverse : {false, true}) {
        Params p;
        p.tensor(wholeDims(xs)).tensor(wholeDims(xs)).attrs({axis, exclusive, reverse, 0});
        expectOnBothDevices(quilt_rt_cumsum, p, {&x}, refCumSum(x, xs, axis, exclusive, reverse),
                            1e-5,
                            "axis " + std::to_string(axis) + " exclusive " +
                                std::to_string(exclusive) + " reverse " + std::to_string(reverse));
      }
}

/// The split program: block totals (quilt_rt_reduce over the local axis),
/// their exclusive scan in rank order (reversed: from the last rank), each
/// rank's scan plus its carry.
TEST(CumSum, BlocksWithCarriesEqualTheWholeScan) {
  Shape xs{2, 10, 3};
  std::vector<float> x = globalTensor(xs, 4);
  std::vector<Dim> xd{whole(2), split(10, 0), whole(3)};
  for (int64_t parts : {2, 3, 11})
    for (bool exclusive : {false, true})
      for (bool reverse : {false, true}) {
        Shape totalsShape{2, parts, 3};
        std::vector<float> totals(numElements(totalsShape));
        for (int64_t r = 0; r < parts; ++r) {
          std::vector<float> local = localPart(x, xd, {parts}, {r});
          Params p;
          p.tensor(xd).tensor({whole(2), split(parts, 0), whole(3)}).attr(QUILT_REDUCE_SUM);
          p.attrDouble(1.0).attr(1).attr(1);
          std::vector<float> sum = runOn(hostDevice(), quilt_rt_reduce, p, {&local}, 6, {parts}, {r});
          for (int64_t o = 0; o < 2; ++o)
            for (int64_t i = 0; i < 3; ++i)
              totals[linearIndex(totalsShape, {o, r, i})] = sum[o * 3 + i];
        }
        Params scanTotals;
        scanTotals.tensor(wholeDims(totalsShape)).tensor(wholeDims(totalsShape));
        scanTotals.attrs({1, 1, reverse, 0});
        std::vector<float> carries =
            runOn(hostDevice(), quilt_rt_cumsum, scanTotals, {&totals}, totals.size());
        std::vector<float> y(x.size());
        for (int64_t r = 0; r < parts; ++r) {
          std::vector<float> local = localPart(x, xd, {parts}, {r});
          std::vector<float> carry(6);
          for (int64_t o = 0; o < 2; ++o)
            for (int64_t i = 0; i < 3; ++i)
              carry[o * 3 + i] = carries[linearIndex(totalsShape, {o, r, i})];
          Params p;
          p.tensor(xd).tensor({whole(2), split(parts, 0), whole(3)}).tensor(xd);
          p.attrs({1, exclusive, reverse, 1});
          std::vector<float> mine = runOn(hostDevice(), quilt_rt_cumsum, p, {&local, &carry},
                                          local.size(), {parts}, {r});
          Range rows = rangeOf(xd[1], {parts}, {r});
          forEachIndex({2, rows.size(), 3}, [&](const Shape &i) {
            y[linearIndex(xs, {i[0], rows.begin + i[1], i[2]})] =
                mine[linearIndex({2, rows.size(), 3}, i)];
          });
        }
        EXPECT_LE(maxAbsDiff(y, refCumSum(x, xs, 1, exclusive, reverse)), 1e-5)
            << "parts " << parts << " exclusive " << exclusive << " reverse " << reverse;
      }
}

std::vector<float> refGatherElements(const std::vector<float> &x, const Shape &xs,
                                     const std::vector<float> &idx, const Shape &is, int axis) {
  std::vector<float> y(idx.size());
  forEachIndex(is, [&](const Shape &i) {
    int64_t t = linearIndex(is, i), j = static_cast<int64_t>(idx[t]);
    if (j < -xs[axis] || j >= xs[axis]) {
      y[t] = NAN;
      return;
    }
    Shape at = i;
    at[axis] = j < 0 ? j + xs[axis] : j;
    y[t] = x[linearIndex(xs, at)];
  });
  return y;
}

TEST(GatherElements, EveryAxisNegativeAndOutOfRangeIndices) {
  Shape xs{4, 5, 3};
  std::vector<float> x = globalTensor(xs, 2);
  for (int axis = 0; axis < 3; ++axis) {
    Shape is = {3, 4, 3}; // smaller than the data off the axis, larger along it
    is[axis] = 6;
    std::vector<float> idx(numElements(is));
    for (size_t t = 0; t < idx.size(); ++t)
      idx[t] = static_cast<float>(static_cast<int64_t>(t * 7 % (2 * xs[axis] + 2)) -
                                  xs[axis] - 1); // [-n - 1, n]: two out of range
    Params p;
    p.tensor(wholeDims(xs)).tensor(wholeDims(is)).tensor(wholeDims(is)).attr(axis);
    expectOnBothDevices(quilt_rt_gather_elements, p, {&x, &idx},
                        refGatherElements(x, xs, idx, is, axis), 0,
                        "axis " + std::to_string(axis));
  }
}

/// Data and indices split alike along a dim other than the axis: each rank
/// gathers its own rows.
TEST(GatherElements, RowsSplitAlikeGatherLocally) {
  Shape xs{7, 5}, is{7, 3};
  std::vector<float> x = globalTensor(xs, 5), idx(numElements(is));
  for (size_t t = 0; t < idx.size(); ++t)
    idx[t] = static_cast<float>(static_cast<int64_t>(t * 3 % 10) - 5);
  std::vector<float> want = refGatherElements(x, xs, idx, is, 1);
  for (int64_t parts : {2, 3}) {
    std::vector<Dim> xd{split(7, 0), whole(5)}, id{split(7, 0), whole(3)};
    for (int64_t r = 0; r < parts; ++r) {
      std::vector<float> xl = localPart(x, xd, {parts}, {r});
      std::vector<float> il = localPart(idx, id, {parts}, {r});
      Params p;
      p.tensor(xd).tensor(id).tensor(id).attr(1);
      std::vector<float> got =
          runOn(hostDevice(), quilt_rt_gather_elements, p, {&xl, &il}, il.size(), {parts}, {r});
      EXPECT_LE(maxAbsDiff(got, localPart(want, id, {parts}, {r})), 0)
          << "parts " << parts << " rank " << r;
    }
  }
  // Split data along the gathered axis is the compiler's to avoid.
  Params bad;
  bad.tensor({whole(7), split(5, 0)}).tensor(wholeDims(is)).tensor(wholeDims(is)).attr(1);
  std::vector<float> xl = localPart(x, {whole(7), split(5, 0)}, {2}, {0});
  EXPECT_THROW(runOn(hostDevice(), quilt_rt_gather_elements, bad, {&xl, &idx}, idx.size(), {2},
                     {0}),
               Error);
}

/// ONNX's cubic resize of one dim, written from the operator's definition
/// (onnx/backend/test/case/node/resize.py): the four neighbours of x in the
/// edge-padded input, Keys' coefficients, renormalized without outside taps.
std::vector<double> refCubicRow(const std::vector<double> &in, int64_t out, double scale,
                                ResizeCoord coord, double a, bool exclude) {
  int64_t n = static_cast<int64_t>(in.size());
  std::vector<double> y(out);
  for (int64_t o = 0; o < out; ++o) {
    double x = 0, length = scale * n;
    switch (coord) {
    case ResizeCoord::HalfPixel:
      x = (o + 0.5) / scale - 0.5;
      break;
    case ResizeCoord::PytorchHalfPixel:
      x = out > 1 ? (o + 0.5) / scale - 0.5 : 0;
      break;
    case ResizeCoord::Asymmetric:
      x = o / scale;
      break;
    case ResizeCoord::AlignCorners:
      x = length == 1 ? 0 : o * (n - 1) / (length - 1);
      break;
    case ResizeCoord::TfHalfPixelForNn: // ONNX defines it for nearest only
      x = (o + 0.5) / scale;
      break;
    }
    double base = std::floor(x), r = x - base;
    if (r == 0) { // ONNX takes the neighbours left of an integer x
      r = 1;
      base -= 1;
    }
    double c[4] = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                   ((a + 2) * r - (a + 3)) * r * r + 1,
                   ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
                   ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a};
    double sum = 0, value = 0;
    for (int k = 0; k < 4; ++k) {
      int64_t i = static_cast<int64_t>(base) - 1 + k;
      if (exclude && (i < 0 || i >= n))
        c[k] = 0;
      sum += c[k];
    }
    for (int k = 0; k < 4; ++k) {
      int64_t i = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(base) - 1 + k, 0), n - 1);
      value += (exclude ? c[k] / sum : c[k]) * in[i];
    }
    y[o] = value;
  }
  return y;
}

/// A 2-D cubic resize, rows then columns (separable).
std::vector<float> refCubic2d(const std::vector<float> &x, const Shape &xs, const Shape &ys,
                              const double scale[2], ResizeCoord coord, double a, bool exclude) {
  std::vector<double> rowsDone(ys[0] * xs[1]);
  for (int64_t c = 0; c < xs[1]; ++c) {
    std::vector<double> column(xs[0]);
    for (int64_t r = 0; r < xs[0]; ++r)
      column[r] = x[r * xs[1] + c];
    std::vector<double> out = refCubicRow(column, ys[0], scale[0], coord, a, exclude);
    for (int64_t r = 0; r < ys[0]; ++r)
      rowsDone[r * xs[1] + c] = out[r];
  }
  std::vector<float> y(ys[0] * ys[1]);
  for (int64_t r = 0; r < ys[0]; ++r) {
    std::vector<double> row(rowsDone.begin() + r * xs[1], rowsDone.begin() + (r + 1) * xs[1]);
    std::vector<double> out = refCubicRow(row, ys[1], scale[1], coord, a, exclude);
    for (int64_t c = 0; c < ys[1]; ++c)
      y[r * ys[1] + c] = static_cast<float>(out[c]);
  }
  return y;
}

struct CubicCase {
  Shape xs, ys;
  int64_t nums[2], dens[2];
  ResizeCoord coord;
  double a;
  bool exclude;
};

const CubicCase kCubicCases[] = {
    {{9, 7}, {18, 14}, {2, 2}, {1, 1}, ResizeCoord::HalfPixel, -0.75, false},
    {{9, 7}, {13, 8}, {3, 5}, {2, 4}, ResizeCoord::Asymmetric, -0.5, true},
    {{9, 7}, {5, 4}, {5, 4}, {9, 7}, ResizeCoord::AlignCorners, -0.75, true},
    {{9, 7}, {4, 7}, {4, 1}, {9, 1}, ResizeCoord::PytorchHalfPixel, -0.75, false},
    // Scales 0.6: align_corners resizes to 5.4 positions, not 5.
    {{9, 8}, {5, 4}, {3, 3}, {5, 5}, ResizeCoord::AlignCorners, -0.75, false},
};

Params cubicParams(const CubicCase &c, const std::vector<Dim> &xd, const std::vector<Dim> &yd) {
  Params p;
  p.tensor(xd).tensor(yd).attr(2).attr(static_cast<int64_t>(c.coord));
  p.attr(static_cast<int64_t>(ResizeSample::Cubic));
  p.attrs({c.nums[0], c.nums[1], c.dens[0], c.dens[1]}).attrDouble(c.a).attr(c.exclude);
  return p;
}

TEST(ResizeCubic, WholeTensorsMatchOnnxsDefinition) {
  for (const CubicCase &c : kCubicCases) {
    std::vector<float> x = globalTensor(c.xs, 8);
    double scale[2] = {double(c.nums[0]) / c.dens[0], double(c.nums[1]) / c.dens[1]};
    Params p = cubicParams(c, wholeDims(c.xs), wholeDims(c.ys));
    expectOnBothDevices(quilt_rt_resize, p, {&x},
                        refCubic2d(x, c.xs, c.ys, scale, c.coord, c.a, c.exclude), 2e-6,
                        "coordinate " + std::to_string(static_cast<int>(c.coord)) + " a " +
                            std::to_string(c.a));
  }
}

/// Rows split over 2..5 ranks: each rank's halo'd input (its output block's
/// cubic window, clamped to the domain) gives its rows of the whole result.
TEST(ResizeCubic, HaloRowsGiveTheWholeResult) {
  for (const CubicCase &c : kCubicCases)
    for (int64_t parts : {2, 3, 5}) {
      std::vector<float> x = globalTensor(c.xs, 9);
      Window w;
      w.kind = WindowKind::Resize;
      w.resizeCoord = c.coord;
      w.resizeSample = ResizeSample::Cubic;
      w.scaleNum = c.nums[0];
      w.scaleDen = c.dens[0];
      w.resizeIn = c.xs[0]; // what the runtime reads from the layout's sizes
      w.resizeOut = c.ys[0];
      std::vector<Dim> xd{halo(c.xs[0], 0, w, c.ys[0]), whole(c.xs[1])};
      std::vector<Dim> yd{split(c.ys[0], 0), whole(c.ys[1])};
      double scale[2] = {double(c.nums[0]) / c.dens[0], double(c.nums[1]) / c.dens[1]};
      std::vector<float> want = refCubic2d(x, c.xs, c.ys, scale, c.coord, c.a, c.exclude);
      for (int64_t r = 0; r < parts; ++r) {
        std::vector<float> local = localPart(x, xd, {parts}, {r});
        Params p = cubicParams(c, xd, yd);
        std::vector<float> got = runOn(hostDevice(), quilt_rt_resize, p, {&local},
                                       rangeOf(yd[0], {parts}, {r}).size() * c.ys[1], {parts}, {r});
        EXPECT_LE(maxAbsDiff(got, localPart(want, yd, {parts}, {r})), 2e-6)
            << "parts " << parts << " rank " << r << " coordinate "
            << static_cast<int>(c.coord);
      }
    }
}

} // namespace
} // namespace quilt::test
