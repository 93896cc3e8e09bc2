// Sum, mean and max over listed dims of the local extents, keeping them with
// extent 1. On a split dim this yields a partial result the compiler follows
// with an all-reduce; mean divides by the divisor attribute (the global count).
#include "context.h"
#include "error.h"
#include "layout.h"

#include <algorithm>
#include <limits>

namespace quilt {
namespace {

struct ReduceAttrs {
  int64_t kind = QUILT_REDUCE_SUM;
  double divisor = 0;
  std::vector<bool> reduced;
};

ReduceAttrs readReduceAttrs(AttrReader &r, const TensorView &x) {
  ReduceAttrs a;
  a.kind = r.next();
  a.divisor = r.nextDouble();
  a.reduced.assign(x.rank(), false);
  for (int64_t d : r.nextList(r.next())) {
    if (d < 0 || d >= x.rank())
      raise("reduced dim ", d, " out of range for rank ", x.rank());
    a.reduced[d] = true;
  }
  if (a.kind != QUILT_REDUCE_SUM && a.kind != QUILT_REDUCE_MEAN && a.kind != QUILT_REDUCE_MAX)
    raise("unknown reduce kind ", a.kind);
  return a;
}

void checkShapes(const TensorView &x, const TensorView &y, const ReduceAttrs &a) {
  if (x.rank() != y.rank())
    raise("input rank ", x.rank(), " differs from output rank ", y.rank());
  for (int d = 0; d < x.rank(); ++d)
    if (y.extent[d] != (a.reduced[d] ? 1 : x.extent[d]))
      raise("output dim ", d, " has extent ", y.extent[d], ", expected ",
            a.reduced[d] ? 1 : x.extent[d]);
}

/// The number of elements the reduction covers in the global tensor: the
/// default mean divisor.
double globalCount(const TensorView &x, const ReduceAttrs &a) {
  double n = 1;
  for (int d = 0; d < x.rank(); ++d)
    if (a.reduced[d])
      n *= static_cast<double>(x.dims[d].globalSize);
  return n;
}

template <class Combine>
void reduceInto(const float *x, const TensorView &view, const ReduceAttrs &a, float *y,
                Combine combine) {
  int rank = view.rank();
  // Output strides: those of y's dense layout, 0 along reduced dims.
  std::vector<int64_t> outExtent(view.extent);
  for (int d = 0; d < rank; ++d)
    if (a.reduced[d])
      outExtent[d] = 1;
  std::vector<int64_t> yStrides = denseStrides(outExtent);
  for (int d = 0; d < rank; ++d)
    if (a.reduced[d])
      yStrides[d] = 0;
  int64_t total = view.numElements();
  if (total == 0)
    return;
  int64_t inner = rank ? view.extent[rank - 1] : 1;
  int64_t innerStride = rank ? yStrides[rank - 1] : 0;
  std::vector<int64_t> index(rank, 0);
  int64_t yAt = 0;
  for (int64_t at = 0; at < total; at += inner) {
    for (int64_t i = 0; i < inner; ++i)
      y[yAt + i * innerStride] = combine(y[yAt + i * innerStride], x[at + i]);
    int d = rank - 2;
    for (; d >= 0; --d) {
      yAt += yStrides[d];
      if (++index[d] < view.extent[d])
        break;
      yAt -= yStrides[d] * view.extent[d];
      index[d] = 0;
    }
  }
}

void reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &yv = op.tensors[1];
  ReduceAttrs a = readReduceAttrs(op.attrs, x);
  checkShapes(x, yv, a);
  auto *xs = static_cast<const float *>(buffers[0]);
  auto *y = static_cast<float *>(buffers[1]);
  int64_t n = yv.numElements();
  if (a.kind == QUILT_REDUCE_MAX) {
    // An empty shard contributes -inf, the identity of a later max all-reduce.
    std::fill(y, y + n, -std::numeric_limits<float>::infinity());
    reduceInto(xs, x, a, y, [](float acc, float v) { return std::max(acc, v); });
    return;
  }
  std::fill(y, y + n, 0.f);
  reduceInto(xs, x, a, y, [](float acc, float v) { return acc + v; });
  if (a.kind == QUILT_REDUCE_MEAN) {
    double divisor = a.divisor != 0 ? a.divisor : globalCount(x, a);
    std::for_each(y, y + n, [divisor](float &v) { v = static_cast<float>(v / divisor); });
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "reduce",
                  [&] { quilt::reduce(ctx, params, buffers); });
}
