// Merging (count, mean, M2) statistics of two disjoint sets of values
// (Chan, Golub and LeVeque): exact in real arithmetic and free of the
// cancellation that summing squares suffers when |mean| >> stddev.
#ifndef QUILT_RUNTIME_MOMENTS_H
#define QUILT_RUNTIME_MOMENTS_H

#include "device/kernel_qualifiers.h"

#include <cstdint>

namespace quilt {

/// `into` becomes the statistics of the union of both sets. Each is
/// {count, mean, M2 = sum of squared deviations from the mean}.
QUILT_HD inline void mergeMoments(float *into, const float *other) {
  double na = into[0], nb = other[0];
  double n = na + nb;
  if (nb == 0)
    return;
  if (na == 0) {
    into[0] = other[0], into[1] = other[1], into[2] = other[2];
    return;
  }
  double delta = static_cast<double>(other[1]) - into[1];
  into[0] = static_cast<float>(n);
  into[1] = static_cast<float>(into[1] + delta * nb / n);
  into[2] = static_cast<float>(static_cast<double>(into[2]) + other[2] + delta * delta * na * nb / n);
}

/// Triple i of `out` becomes the merge of triple i of each of `members`
/// gathered copies (`gathered`, member-major, `triples` each), merged in
/// member order so every rank gets the same bits (the NCCL communicator's
/// moments all-reduce: NCCL has no user-defined reductions).
struct MergeMomentsKernel {
  const float *gathered;
  float *out;
  int64_t triples;
  int64_t members;
  QUILT_HD int64_t threads() const { return triples; }
  QUILT_HD void operator()(int64_t i) const {
    float acc[3] = {gathered[3 * i], gathered[3 * i + 1], gathered[3 * i + 2]};
    for (int64_t m = 1; m < members; ++m)
      mergeMoments(acc, gathered + 3 * (m * triples + i));
    out[3 * i] = acc[0], out[3 * i + 1] = acc[1], out[3 * i + 2] = acc[2];
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_MOMENTS_H
