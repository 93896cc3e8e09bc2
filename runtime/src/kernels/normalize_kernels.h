// Normalization: each row's moments and the normalization with merged
// moments, one body each for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_NORMALIZE_KERNELS_H
#define QUILT_RUNTIME_NORMALIZE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "kernels/lane_reduce.h"

#include <cmath>
#include <cstdint>

namespace quilt {

/// out[3r..3r+2] = (count, mean, M2) of row r of x (`rows` contiguous rows of
/// `length`), one row per index: two passes in double, the mean first, then
/// squared deviations from it (moments.h merges them across ranks).
struct RowMomentsKernel {
  const float *x;
  float *out;
  int64_t rows;
  int64_t length;

  QUILT_HD int64_t threads() const { return rows; }
  QUILT_HD void operator()(int64_t r) const {
    const float *row = x + r * length;
    // Interleaved partial sums (lane_reduce.h): the loops vectorize instead
    // of waiting on one double add per element.
    auto add = [](double a, double b) { return a + b; };
    double sum = laneReduce(length, 0.0, [&](int64_t i) { return double(row[i]); }, add);
    double mean = length ? sum / length : 0.0;
    double m2 = laneReduce(
        length, 0.0,
        [&](int64_t i) {
          double d = row[i] - mean;
          return d * d;
        },
        add);
    out[3 * r] = static_cast<float>(length);
    out[3 * r + 1] = static_cast<float>(mean);
    out[3 * r + 2] = static_cast<float>(m2);
  }
};

/// y = (x - mean) / sqrt(M2 / count + epsilon) * scale + bias per row of x
/// (`rows` contiguous rows of `length`, row r in group r % groups), with the
/// (count, mean, M2) of each row in `stats`; scale and bias hold one value
/// per group (perGroup) or one per position of a group's row. One element
/// per index (each recomputes its row's scale from the statistics, the
/// same bits every time).
struct NormalizeKernel {
  const float *x;
  const float *stats;
  const float *gamma;
  const float *beta;
  float *y;
  int64_t rows;
  int64_t length;
  int64_t groups;
  double epsilon;
  bool perGroup;

  QUILT_HD float invStd(int64_t r) const {
    double count = stats[3 * r], m2 = stats[3 * r + 2];
    return static_cast<float>(1.0 / sqrt(m2 / count + epsilon));
  }
  QUILT_HD int64_t threads() const { return rows * length; }
  QUILT_HD void operator()(int64_t i) const {
    int64_t r = i / length, k = i - r * length;
    float inv = invStd(r), shift = stats[3 * r + 1];
    int64_t group = r % groups;
    if (perGroup)
      y[i] = (x[i] - shift) * (gamma[group] * inv) + beta[group];
    else
      y[i] = (x[i] - shift) * inv * gamma[group * length + k] + beta[group * length + k];
  }
  /// The host's loop: rows in order, the scale computed once per row.
  void runOnHost() const {
    for (int64_t r = 0; r < rows; ++r) {
      float inv = invStd(r), shift = stats[3 * r + 1];
      const float *row = x + r * length;
      float *dst = y + r * length;
      if (perGroup) {
        float g = gamma[r % groups] * inv, b = beta[r % groups];
        for (int64_t i = 0; i < length; ++i)
          dst[i] = (row[i] - shift) * g + b;
      } else {
        const float *g = gamma + (r % groups) * length, *b = beta + (r % groups) * length;
        for (int64_t i = 0; i < length; ++i)
          dst[i] = (row[i] - shift) * inv * g[i] + b[i];
      }
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_NORMALIZE_KERNELS_H
