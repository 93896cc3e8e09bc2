// Block-distribution and halo-range math shared by the compiler (partitioner,
// memory planner, cost model), the runtime (kernels, halo exchange, slab I/O)
// and the tests. Header-only, no dependencies: one definition everywhere.
#ifndef QUILT_PARTITION_MATH_H
#define QUILT_PARTITION_MATH_H

#include <algorithm>
#include <cstdint>

namespace quilt {

/// A half-open index range [begin, end) along one tensor dim.
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
};

inline Range intersect(Range a, Range b) {
  return {std::max(a.begin, b.begin), std::min(a.end, b.end)};
}

/// Rank coordinate `r` of an axis of `parts` ranks owns `blockRange(n, parts, r)`
/// of a dim of size `n`: the first `n % parts` ranks get one extra element.
inline int64_t blockSize(int64_t n, int64_t parts, int64_t r) {
  return n / parts + (r < n % parts ? 1 : 0);
}
inline int64_t blockStart(int64_t n, int64_t parts, int64_t r) {
  return r * (n / parts) + std::min(r, n % parts);
}
inline Range blockRange(int64_t n, int64_t parts, int64_t r) {
  int64_t start = blockStart(n, parts, r);
  return {start, start + blockSize(n, parts, r)};
}
/// The largest block any rank owns: what a static buffer must hold.
inline int64_t maxBlockSize(int64_t n, int64_t parts) {
  return n / parts + (n % parts ? 1 : 0);
}

/// A sliding window along one dim: output position o reads input positions
/// o * stride - padLo + j * dilation for j in [0, kernel).
struct Window {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t kernel = 1;
  int64_t padLo = 0;
};

/// Input positions (global, possibly outside [0, n) where padding is read)
/// that output positions `out` need. Empty output needs nothing.
inline Range neededInputRange(const Window &w, Range out) {
  if (out.empty())
    return {0, 0};
  int64_t lo = out.begin * w.stride - w.padLo;
  int64_t hi = (out.end - 1) * w.stride - w.padLo + (w.kernel - 1) * w.dilation + 1;
  return {lo, hi};
}

/// The input range rank `r` of `parts` needs to compute its block of an output
/// dim of global size `outSize`.
inline Range haloInputRange(const Window &w, int64_t outSize, int64_t parts, int64_t r) {
  return neededInputRange(w, blockRange(outSize, parts, r));
}

/// Largest halo'd extent over all ranks: the buffer bound for the planner.
inline int64_t maxHaloExtent(const Window &w, int64_t outSize, int64_t parts) {
  int64_t best = 0;
  // Block sizes take only two values, so ranks 0 and parts-1 bound the extent;
  // scanning is still cheap and keeps this obviously right.
  for (int64_t r = 0; r < parts; ++r)
    best = std::max(best, haloInputRange(w, outSize, parts, r).size());
  return best;
}

/// Elements rank `r` must receive from outside its own block for a halo
/// exchange of an input dim of size `n` (padding positions excluded).
inline int64_t haloReceiveCount(const Window &w, int64_t n, int64_t outSize, int64_t parts,
                                int64_t r) {
  Range need = intersect(haloInputRange(w, outSize, parts, r), {0, n});
  Range own = blockRange(n, parts, r);
  return need.size() - intersect(need, own).size();
}

} // namespace quilt

#endif // QUILT_PARTITION_MATH_H
