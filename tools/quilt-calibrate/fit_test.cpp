// The alpha-beta fit quilt-calibrate applies to ping-pong and collective
// timings: exact recovery, relative-error weighting, degenerate inputs.
#include "fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using quilt::calibrate::AlphaBetaFit;
using quilt::calibrate::cachedPlaneBytes;
using quilt::calibrate::fitAlphaBeta;
using quilt::calibrate::meanWithoutSlowest;
using quilt::calibrate::median;
using quilt::calibrate::Point;

namespace {

constexpr double kAlpha = 0.45e-6;       // seconds
constexpr double kBeta = 1 / 7.5e9;      // seconds per byte (7.5 GB/s)

/// Sizes 8 B .. 16 MiB, doubling, as the ping-pong measures them.
std::vector<double> sizes() {
  std::vector<double> xs;
  for (double x = 8; x <= 16 * 1024 * 1024; x *= 2)
    xs.push_back(x);
  return xs;
}

void expectFinite(const AlphaBetaFit &fit) {
  EXPECT_TRUE(std::isfinite(fit.alpha));
  EXPECT_TRUE(std::isfinite(fit.beta));
  EXPECT_TRUE(std::isfinite(fit.rmsRelError));
  EXPECT_TRUE(std::isfinite(fit.maxRelError));
  EXPECT_GE(fit.alpha, 0);
  EXPECT_GE(fit.beta, 0);
}

/// Relative RMS error of the line (alpha, beta) over `points`.
double rmsRel(const std::vector<Point> &points, double alpha, double beta) {
  double sum = 0;
  for (const Point &p : points) {
    double rel = (alpha + beta * p.x - p.t) / p.t;
    sum += rel * rel;
  }
  return std::sqrt(sum / points.size());
}

TEST(CalibrateFit, RecoversExactLine) {
  std::vector<Point> points;
  for (double x : sizes())
    points.push_back({x, kAlpha + kBeta * x});
  AlphaBetaFit fit = fitAlphaBeta(points);
  EXPECT_NEAR(fit.alpha, kAlpha, 1e-9 * kAlpha);
  EXPECT_NEAR(fit.beta, kBeta, 1e-9 * kBeta);
  EXPECT_LT(fit.maxRelError, 1e-9);
  EXPECT_EQ(fit.points, static_cast<int>(points.size()));
  EXPECT_TRUE(fit.note.empty()) << fit.note;
}

TEST(CalibrateFit, WeighsRelativeError) {
  // +-5% noise on every point: an absolute fit would let the 16 MiB points
  // (milliseconds) swamp a sub-microsecond alpha; the relative fit keeps it.
  std::vector<Point> points;
  int i = 0;
  for (double x : sizes())
    points.push_back({x, (kAlpha + kBeta * x) * (i++ % 2 ? 1.05 : 0.95)});
  AlphaBetaFit fit = fitAlphaBeta(points);
  EXPECT_NEAR(fit.alpha, kAlpha, 0.1 * kAlpha);
  EXPECT_NEAR(fit.beta, kBeta, 0.1 * kBeta);
  // It minimises the relative error: no worse than the true line.
  EXPECT_LE(fit.rmsRelError, rmsRel(points, kAlpha, kBeta) + 1e-12);
  EXPECT_NEAR(fit.rmsRelError, rmsRel(points, fit.alpha, fit.beta), 1e-12);

  // The unweighted least-squares intercept, for contrast, is far off.
  double n = 0, sx = 0, sxx = 0, st = 0, sxt = 0;
  for (const Point &p : points) {
    n += 1;
    sx += p.x;
    sxx += p.x * p.x;
    st += p.t;
    sxt += p.x * p.t;
  }
  double absoluteAlpha = (sxx * st - sx * sxt) / (n * sxx - sx * sx);
  EXPECT_GT(std::fabs(absoluteAlpha - kAlpha), 5 * kAlpha);
}

TEST(CalibrateFit, OneSizeIsAllBandwidth) {
  AlphaBetaFit fit = fitAlphaBeta({{1024, 2e-6}, {1024, 2e-6}, {1024, 2e-6}});
  expectFinite(fit);
  EXPECT_EQ(fit.alpha, 0);
  EXPECT_NEAR(fit.beta, 2e-6 / 1024, 1e-15);
  EXPECT_FALSE(fit.note.empty());
}

TEST(CalibrateFit, ZeroTimesAreDropped) {
  AlphaBetaFit none = fitAlphaBeta({{8, 0}, {1024, 0}, {4096, -1}});
  expectFinite(none);
  EXPECT_EQ(none.points, 0);
  EXPECT_EQ(none.alpha, 0);
  EXPECT_EQ(none.beta, 0);
  EXPECT_FALSE(none.note.empty());

  std::vector<Point> points = {{64, 0}, {128, std::numeric_limits<double>::quiet_NaN()}};
  for (double x : sizes())
    points.push_back({x, kAlpha + kBeta * x});
  AlphaBetaFit fit = fitAlphaBeta(points);
  EXPECT_EQ(fit.points, static_cast<int>(points.size()) - 2);
  EXPECT_NEAR(fit.alpha, kAlpha, 1e-9 * kAlpha);
  EXPECT_NEAR(fit.beta, kBeta, 1e-9 * kBeta);
  EXPECT_NE(fit.note.find("dropped 2"), std::string::npos) << fit.note;
}

TEST(CalibrateFit, EmptyAndZeroByteInputs) {
  AlphaBetaFit empty = fitAlphaBeta({});
  expectFinite(empty);
  EXPECT_EQ(empty.points, 0);

  AlphaBetaFit zeroBytes = fitAlphaBeta({{0, 1e-6}, {0, 3e-6}});
  expectFinite(zeroBytes);
  EXPECT_GT(zeroBytes.alpha, 1e-6);
  EXPECT_LT(zeroBytes.alpha, 3e-6);
  EXPECT_EQ(zeroBytes.beta, 0);
}

TEST(CalibrateFit, FlatTimesGiveNoBandwidthTerm) {
  // Times that shrink with size: beta would be negative.
  AlphaBetaFit fit = fitAlphaBeta({{8, 3e-6}, {1024, 2e-6}, {65536, 1e-6}});
  expectFinite(fit);
  EXPECT_EQ(fit.beta, 0);
  EXPECT_GT(fit.alpha, 0);
  EXPECT_FALSE(fit.note.empty());
}

TEST(CalibrateFit, NegativeInterceptIsClamped) {
  std::vector<Point> points;
  for (double x : {1e6, 2e6, 4e6, 8e6})
    points.push_back({x, -50e-6 + kBeta * x});
  AlphaBetaFit fit = fitAlphaBeta(points);
  expectFinite(fit);
  EXPECT_EQ(fit.alpha, 0);
  EXPECT_GT(fit.beta, 0);
  EXPECT_NE(fit.note.find("intercept"), std::string::npos) << fit.note;
}

TEST(CalibrateFit, MeanWithoutSlowest) {
  EXPECT_EQ(meanWithoutSlowest({}, 0.05), 0);
  EXPECT_EQ(meanWithoutSlowest({3}, 0.05), 3);
  // 20 values: the slowest one (5%) left out, the rest averaged.
  std::vector<double> calls(19, 2.0);
  calls[0] = 21.0;  // a slow call that is not rare stays in
  calls.push_back(1000.0);
  EXPECT_DOUBLE_EQ(meanWithoutSlowest(calls, 0.05), (18 * 2.0 + 21.0) / 19);
  EXPECT_DOUBLE_EQ(meanWithoutSlowest({4, 1, 3, 2}, 0.05), 2.5);
}

TEST(CalibrateFit, CachedPlaneBytes) {
  EXPECT_EQ(cachedPlaneBytes({}), 0);
  // A cliff between 64 and 128 KiB: 1 us contiguous, 3.2 us at 512 KiB;
  // the threshold sqrt(3.2) = 1.79 us.
  std::vector<Point> cliff = {{2048, 1.0},   {16384, 1.1},  {65536, 1.3},
                              {131072, 2.6}, {262144, 3.0}, {524288, 3.2}};
  EXPECT_EQ(cachedPlaneBytes(cliff), 65536);
  // Planes are taken in order: a fast plane after a slow one does not count.
  std::vector<Point> noisy = {{2048, 1.0}, {16384, 2.5}, {65536, 1.2}, {524288, 3.0}};
  EXPECT_EQ(cachedPlaneBytes(noisy), 2048);
  // No cliff within the sweep (less than 25% growth): every plane cached.
  std::vector<Point> flat = {{2048, 1.0}, {65536, 1.1}, {524288, 1.2}};
  EXPECT_EQ(cachedPlaneBytes(flat), 524288);
}

TEST(CalibrateFit, Median) {
  EXPECT_EQ(median({}), 0);
  EXPECT_EQ(median({3}), 3);
  EXPECT_EQ(median({5, 1, 3}), 3);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
}

} // namespace
