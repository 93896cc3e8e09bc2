// Normalization in two kernels around an optional all-reduce: `moments`
// computes each row's local (count, mean, M2), the compiler merges them across
// ranks when the normalized dims are split, and `normalize` applies them.
// Rows are contiguous: the local positions of dims [0, row_dims), each cut
// into `groups` equal chunks. Kernels: normalize_kernels.h.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "normalize_kernels.h"

namespace quilt {
namespace {

struct Rows {
  int64_t count = 0;  // number of rows
  int64_t length = 0; // elements per row
};

Rows rowsOf(const TensorView &x, int64_t rowDims, int64_t groups) {
  if (rowDims < 0 || rowDims >= x.rank() || groups < 1)
    raise("row_dims ", rowDims, " and groups ", groups, " for a rank-", x.rank(), " tensor");
  int64_t rows = x.product(0, static_cast<int>(rowDims)) * groups;
  int64_t total = x.numElements();
  if (rows == 0)
    return {0, 0};
  if (total % rows != 0)
    raise(total, " elements do not split into ", rows, " equal rows");
  return {rows, total / rows};
}

void moments(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &m = op.tensors[1];
  int64_t rowDims = op.attrs.next(), groups = op.attrs.next();
  Rows rows = rowsOf(x, rowDims, groups);
  if (m.numElements() != rows.count * 3)
    raise("moments output holds ", m.numElements(), " values, expected 3 per each of ",
          rows.count, " rows");
  RowMomentsKernel kernel{static_cast<const float *>(buffers[0]), static_cast<float *>(buffers[1]),
                         rows.count, rows.length};
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

void normalize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 5, 5);
  const TensorView &x = op.tensors[0], &m = op.tensors[1], &scale = op.tensors[2],
                   &bias = op.tensors[3];
  int64_t rowDims = op.attrs.next(), groups = op.attrs.next();
  double epsilon = op.attrs.nextDouble();
  bool perGroup = op.attrs.next() != 0;
  Rows rows = rowsOf(x, rowDims, groups);
  if (m.numElements() != rows.count * 3)
    raise("moments hold ", m.numElements(), " values, expected 3 per each of ", rows.count,
          " rows");
  // Per group, or the local extents of the normalized dims (also when this
  // rank holds no rows).
  int64_t affine = perGroup ? groups : x.product(static_cast<int>(rowDims), x.rank());
  if (scale.numElements() != affine || bias.numElements() != affine)
    raise("scale and bias hold ", scale.numElements(), " and ", bias.numElements(),
          " values, expected ", affine);
  NormalizeKernel kernel{static_cast<const float *>(buffers[0]),
                         static_cast<const float *>(buffers[1]),
                         static_cast<const float *>(buffers[2]),
                         static_cast<const float *>(buffers[3]),
                         static_cast<float *>(buffers[4]),
                         rows.count,
                         rows.length,
                         groups,
                         epsilon,
                         perGroup};
  // Empty statistics are an error where the host can read them; on a device
  // it cannot, such a row normalizes to NaN (0 / 0).
  if (ctx->device.hostAddressable())
    for (int64_t r = 0; r < rows.count; ++r)
      if (kernel.stats[3 * r] <= 0)
        raise("row ", r, " has no elements in its statistics");
  if (kernel.threads() > 0)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_moments(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "moments",
                  [&] { quilt::moments(ctx, params, buffers); });
}

extern "C" void quilt_rt_normalize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "normalize",
                  [&] { quilt::normalize(ctx, params, buffers); });
}
