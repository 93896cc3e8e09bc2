//===- fit.h - alpha-beta least squares for quilt-calibrate -----*- C++ -*-===//
//
// The cost model prices a message of x bytes as alpha + beta x. Calibration
// fits both terms to measured (bytes, seconds) points by least squares on the
// *relative* error, sum ((alpha + beta x - t) / t)^2: measured sizes span six
// decades, and an absolute fit would let the largest messages decide alpha.
// Pure C++ (no MPI) so that the fit is unit-tested on its own.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_CALIBRATE_FIT_H
#define QUILT_CALIBRATE_FIT_H

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace quilt::calibrate {

/// One measurement: x (bytes) and the time it took (any unit, > 0).
struct Point {
  double x = 0;
  double t = 0;
};

/// t = alpha + beta x; alpha in t's unit, beta in t's unit per byte.
struct AlphaBetaFit {
  double alpha = 0;
  double beta = 0;
  /// Over the points used: root mean square and largest |fit - t| / t.
  double rmsRelError = 0;
  double maxRelError = 0;
  int points = 0;
  /// Empty when both terms came from the data; else what was assumed.
  std::string note;
};

/// The median of `values` (0 for none).
inline double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double upper = values[mid];
  if (values.size() % 2)
    return upper;
  double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

/// The mean of `values` without the slowest `dropFraction` of them (rounded
/// down; 0 for none): what a run of many calls averages, less the rare
/// stalls (a rank descheduled for a millisecond) that a median over runs of
/// such means leaves out too.
inline double meanWithoutSlowest(std::vector<double> values, double dropFraction) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t kept = values.size() - static_cast<size_t>(dropFraction * values.size());
  kept = std::max<size_t>(1, kept);
  double sum = 0;
  for (size_t i = 0; i < kept; ++i)
    sum += values[i];
  return sum / kept;
}

/// Where strided transforms leave the cache: `planes` holds (plane bytes,
/// time per transform) for growing planes, the first a contiguous
/// transform's. The largest plane whose time stays nearer (by ratio) the
/// first's than the widest's, i.e. below sqrt(first x widest), taking
/// planes in order up to the first that is not; the widest plane when the
/// times grow by less than 25% (no cliff within the sweep); 0 without points.
inline double cachedPlaneBytes(const std::vector<Point> &planes) {
  if (planes.empty())
    return 0;
  double first = planes.front().t, widest = planes.back().t;
  if (widest < 1.25 * first)
    return planes.back().x;
  double threshold = std::sqrt(first * widest);
  double cached = planes.front().x;
  for (const Point &p : planes) {
    if (p.t > threshold)
      break;
    cached = p.x;
  }
  return cached;
}

namespace detail {

inline void appendNote(std::string &note, const std::string &more) {
  note += note.empty() ? more : "; " + more;
}

inline void measureResiduals(AlphaBetaFit &fit, const std::vector<Point> &points) {
  double sum = 0, worst = 0;
  for (const Point &p : points) {
    double rel = std::fabs(fit.alpha + fit.beta * p.x - p.t) / p.t;
    sum += rel * rel;
    worst = std::max(worst, rel);
  }
  fit.points = static_cast<int>(points.size());
  fit.rmsRelError = points.empty() ? 0 : std::sqrt(sum / points.size());
  fit.maxRelError = worst;
}

} // namespace detail

/// Fits t = alpha + beta x with weights 1/t^2, alpha >= 0 and beta >= 0.
/// Points with a non-positive or non-finite time, or a negative or
/// non-finite size, are dropped. Degenerate inputs never give NaN:
///  - no usable point: alpha = beta = 0;
///  - one distinct size x > 0: the time is all bandwidth (alpha = 0);
///  - only zero-byte points, or times that do not grow with size: beta = 0
///    and alpha is the weighted mean time;
///  - a negative intercept: alpha = 0 and beta refitted through the origin.
/// Each assumption is named in `note`.
inline AlphaBetaFit fitAlphaBeta(const std::vector<Point> &input) {
  AlphaBetaFit fit;
  std::vector<Point> points;
  for (const Point &p : input)
    if (std::isfinite(p.x) && std::isfinite(p.t) && p.x >= 0 && p.t > 0)
      points.push_back(p);
  if (points.size() < input.size())
    detail::appendNote(fit.note, "dropped " + std::to_string(input.size() - points.size()) +
                                     " point(s) without a positive time");
  if (points.empty()) {
    detail::appendNote(fit.note, "no usable points");
    return fit;
  }

  // Sizes scaled to [0, 1] keep the normal equations well conditioned.
  double xMax = 0;
  for (const Point &p : points)
    xMax = std::max(xMax, p.x);
  double scale = xMax > 0 ? xMax : 1;
  double sw = 0, sx = 0, sxx = 0, st = 0, sxt = 0;
  for (const Point &p : points) {
    double w = 1 / (p.t * p.t), x = p.x / scale;
    sw += w;
    sx += w * x;
    sxx += w * x * x;
    st += w * p.t;
    sxt += w * x * p.t;
  }

  double det = sw * sxx - sx * sx;
  bool oneSize = !(det > 1e-12 * sw * sxx);
  if (xMax == 0) {
    fit.alpha = st / sw;
    detail::appendNote(fit.note, "only zero-byte points: bandwidth undetermined");
  } else if (oneSize) {
    fit.beta = sxt / sxx / scale;
    detail::appendNote(fit.note, "one size: its time is counted as bandwidth, alpha = 0");
  } else {
    fit.alpha = (sxx * st - sx * sxt) / det;
    fit.beta = (sw * sxt - sx * st) / det / scale;
    if (fit.beta <= 0) {
      fit.alpha = st / sw;
      fit.beta = 0;
      detail::appendNote(fit.note, "time does not grow with size: bandwidth undetermined");
    } else if (fit.alpha < 0) {
      fit.alpha = 0;
      fit.beta = sxt / sxx / scale;
      detail::appendNote(fit.note, "negative intercept clamped to alpha = 0");
    }
  }
  detail::measureResiduals(fit, points);
  return fit;
}

} // namespace quilt::calibrate

#endif // QUILT_CALIBRATE_FIT_H
