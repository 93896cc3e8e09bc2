// Merging (count, mean, M2) statistics of two disjoint sets of values
// (Chan, Golub and LeVeque): exact in real arithmetic and free of the
// cancellation that summing squares suffers when |mean| >> stddev.
#ifndef QUILT_RUNTIME_MOMENTS_H
#define QUILT_RUNTIME_MOMENTS_H

namespace quilt {

/// `into` becomes the statistics of the union of both sets. Each is
/// {count, mean, M2 = sum of squared deviations from the mean}.
inline void mergeMoments(float *into, const float *other) {
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

} // namespace quilt

#endif // QUILT_RUNTIME_MOMENTS_H
