// Numpy broadcasting of two operands to an output shape, with runs of dims
// that broadcast alike merged so the inner loop is as long as possible.
#ifndef QUILT_RUNTIME_BROADCAST_H
#define QUILT_RUNTIME_BROADCAST_H

#include <cstdint>
#include <vector>

namespace quilt {

struct BroadcastPlan {
  std::vector<int64_t> extent;           // merged output dims
  std::vector<int64_t> strideA, strideB; // element strides, 0 where broadcast
};

/// Operand shapes are right-aligned to `out`; each dim must equal out's or be 1.
BroadcastPlan planBroadcast(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                            const std::vector<int64_t> &out);

/// Calls inner(offsetA, offsetB, offsetOut, n, strideA, strideB) for each run
/// of the innermost merged dim, in row-major order.
template <class Inner> void forEachBroadcastRun(const BroadcastPlan &p, Inner inner) {
  int rank = static_cast<int>(p.extent.size());
  if (rank == 0) {
    inner(0, 0, 0, 1, 0, 0);
    return;
  }
  for (int64_t e : p.extent)
    if (e == 0)
      return;
  int last = rank - 1;
  std::vector<int64_t> index(rank, 0);
  int64_t offA = 0, offB = 0, offY = 0;
  while (true) {
    inner(offA, offB, offY, p.extent[last], p.strideA[last], p.strideB[last]);
    offY += p.extent[last];
    int d = last - 1;
    for (; d >= 0; --d) {
      offA += p.strideA[d];
      offB += p.strideB[d];
      if (++index[d] < p.extent[d])
        break;
      offA -= p.strideA[d] * p.extent[d];
      offB -= p.strideB[d] * p.extent[d];
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

} // namespace quilt

#endif // QUILT_RUNTIME_BROADCAST_H
