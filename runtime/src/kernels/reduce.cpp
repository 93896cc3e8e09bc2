// Sum, mean and max over listed dims of the local extents, keeping them with
// extent 1. On a split dim this yields a partial result the compiler follows
// with an all-reduce; mean divides by the divisor attribute (the global count).
// Kernel: reduce_kernels.h.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "reduce_kernels.h"

#include <vector>

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
  if (a.kind != QUILT_REDUCE_SUM && a.kind != QUILT_REDUCE_MEAN && a.kind != QUILT_REDUCE_MAX &&
      a.kind != QUILT_REDUCE_PROD)
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

/// The kernel: x's dims folded (extent 1 dropped, neighbours both kept or
/// both reduced merged), with x's strides per kept and reduced dim and y's
/// stride per dim (0 along reduced ones).
ReduceDimsKernel makeKernel(const float *x, const TensorView &view, const ReduceAttrs &a,
                            float *y, int64_t outputs) {
  ReduceDimsKernel k{x, y, a.kind, 0.0, outputs, {}, {}, {}};
  int rank = view.rank();
  std::vector<int64_t> outExtent(view.extent);
  for (int d = 0; d < rank; ++d)
    if (a.reduced[d])
      outExtent[d] = 1;
  std::vector<int64_t> xStrides = denseStrides(view.extent), yStrides = denseStrides(outExtent);
  int previous = -1; // the dim last folded in: -1, or whether it was reduced
  for (int d = 0; d < rank; ++d) {
    int64_t e = view.extent[d];
    if (e == 1)
      continue;
    bool r = a.reduced[d];
    StridedDims &side = r ? k.reduced : k.kept;
    if (previous == static_cast<int>(r)) {
      side.extent[side.count - 1] *= e;
      side.stride[side.count - 1] = xStrides[d];
      k.all.extent[k.all.count - 1] *= e;
      k.all.stride[k.all.count - 1] = r ? 0 : yStrides[d];
      continue;
    }
    side.extent[side.count] = e;
    side.stride[side.count++] = xStrides[d];
    k.all.extent[k.all.count] = e;
    k.all.stride[k.all.count++] = r ? 0 : yStrides[d];
    previous = r;
  }
  return k;
}

void reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &yv = op.tensors[1];
  ReduceAttrs a = readReduceAttrs(op.attrs, x);
  checkShapes(x, yv, a);
  ReduceDimsKernel kernel = makeKernel(static_cast<const float *>(buffers[0]), x, a,
                                       static_cast<float *>(buffers[1]), yv.numElements());
  if (a.kind == QUILT_REDUCE_MEAN)
    kernel.divisor = a.divisor != 0 ? a.divisor : globalCount(x, a);
  // An empty shard yields the identity (-inf for max, the identity of a
  // later max all-reduce; 0 for sums).
  if (kernel.outputs > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "reduce",
                  [&] { quilt::reduce(ctx, params, buffers); });
}
