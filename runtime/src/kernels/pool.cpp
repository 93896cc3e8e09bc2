// Max and average pooling in plain C++. Each spatial dim gets a table of the
// local input offset of every (output index, tap), or -1 for padding, so halo
// positions outside the global domain are recognized from the layout.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "window_map.h"

#include <cmath>
#include <limits>

namespace quilt {
namespace {

struct PoolAttrs {
  int64_t kind = QUILT_POOL_MAX;
  bool countIncludePad = false;
  int spatial = 0;
  std::vector<int64_t> kernel, strides, dilations, padsLo, padsHi;
};

PoolAttrs readPoolAttrs(AttrReader &r) {
  PoolAttrs a;
  a.kind = r.next();
  a.countIncludePad = r.next() != 0;
  int64_t n = r.next();
  if (n < 1 || n > QUILT_MAX_RANK - 2)
    raise("spatial rank ", n);
  a.spatial = static_cast<int>(n);
  a.kernel = r.nextList(n);
  a.strides = r.nextList(n);
  a.dilations = r.nextList(n);
  a.padsLo = r.nextList(n);
  a.padsHi = r.nextList(n);
  if (a.kind != QUILT_POOL_MAX && a.kind != QUILT_POOL_AVG)
    raise("unknown pool kind ", a.kind);
  return a;
}

/// offsets[o * kernel + j]: element offset (within one channel plane) of tap
/// j of output o along one dim, or -1 for padding.
struct DimTable {
  int64_t kernel = 1;
  std::vector<int64_t> offsets;
};

DimTable buildTable(const TensorView &x, const TensorView &y, int dim, const Window &w,
                    int64_t elemStride) {
  LocalWindow lw = mapWindowDim(x, y, dim, w);
  DimTable t;
  t.kernel = w.kernel;
  for (int64_t o = 0; o < lw.outputExtent; ++o) {
    for (int64_t j = 0; j < w.kernel; ++j) {
      int64_t i = lw.inputIndex(o, j);
      t.offsets.push_back(isPaddingPosition(x, dim, i) ? -1 : i * elemStride);
    }
  }
  return t;
}

struct Accumulator {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0;
  int64_t count = 0;
};

/// Visits every tap combination of output `out` (a per-dim index) from dim `d`.
void accumulate(const float *plane, const std::vector<DimTable> &tables,
                const std::vector<int64_t> &out, size_t d, int64_t offset, Accumulator &acc) {
  const DimTable &t = tables[d];
  const int64_t *row = &t.offsets[out[d] * t.kernel];
  for (int64_t j = 0; j < t.kernel; ++j) {
    if (row[j] < 0)
      continue;
    if (d + 1 < tables.size()) {
      accumulate(plane, tables, out, d + 1, offset + row[j], acc);
      continue;
    }
    float v = plane[offset + row[j]];
    acc.max = std::max(acc.max, v);
    acc.sum += v;
    ++acc.count;
  }
}

void poolPlane(const float *x, float *y, const std::vector<DimTable> &tables,
               const std::vector<int64_t> &outExtent, const PoolAttrs &a, int64_t kernelSize) {
  std::vector<int64_t> out(outExtent.size(), 0);
  for (int64_t flat = 0;; ++flat) {
    Accumulator acc;
    accumulate(x, tables, out, 0, 0, acc);
    if (a.kind == QUILT_POOL_MAX)
      y[flat] = acc.max; // only padding in the window: -inf, as padding never wins
    else
      y[flat] = a.countIncludePad ? acc.sum / kernelSize
                                  : (acc.count ? acc.sum / acc.count : 0.f);
    int d = static_cast<int>(out.size()) - 1;
    for (; d >= 0 && ++out[d] == outExtent[d]; --d)
      out[d] = 0;
    if (d < 0)
      return;
  }
}

void pool(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  PoolAttrs a = readPoolAttrs(op.attrs);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  if (x.rank() != a.spatial + 2 || y.rank() != a.spatial + 2)
    raise("tensors must have rank ", a.spatial + 2, " for ", a.spatial, " spatial dims");
  if (x.extent[0] != y.extent[0] || x.extent[1] != y.extent[1])
    raise("batch and channel extents of input and output differ");
  if (y.isEmpty())
    return;
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  std::vector<DimTable> tables;
  std::vector<int64_t> outExtent;
  int64_t kernelSize = 1;
  for (int i = 0; i < a.spatial; ++i) {
    Window w{a.strides[i], a.dilations[i], a.kernel[i], a.padsLo[i]};
    tables.push_back(buildTable(x, y, 2 + i, w, xStrides[2 + i]));
    outExtent.push_back(y.extent[2 + i]);
    kernelSize *= a.kernel[i];
  }
  int64_t planes = x.extent[0] * x.extent[1];
  int64_t xPlane = x.product(2, x.rank()), yPlane = y.product(2, y.rank());
  auto *xs = static_cast<const float *>(buffers[0]);
  auto *ys = static_cast<float *>(buffers[1]);
  for (int64_t p = 0; p < planes; ++p)
    poolPlane(xs + p * xPlane, ys + p * yPlane, tables, outExtent, a, kernelSize);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_pool(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "pool",
                  [&] { quilt::pool(ctx, params, buffers); });
}
