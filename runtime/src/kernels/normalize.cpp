// Normalization in two kernels around an optional all-reduce: `moments`
// computes each row's local (count, mean, M2), the compiler merges them across
// ranks when the normalized dims are split, and `normalize` applies them.
// Rows are contiguous: the local positions of dims [0, row_dims), each cut
// into `groups` equal chunks.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <cmath>

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
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t r = 0; r < rows.count; ++r) {
    const float *row = in + r * rows.length;
    // Two passes in double: the mean first, then squared deviations from it.
    double sum = 0;
    for (int64_t i = 0; i < rows.length; ++i)
      sum += row[i];
    double mean = rows.length ? sum / rows.length : 0.0;
    double m2 = 0;
    for (int64_t i = 0; i < rows.length; ++i) {
      double d = row[i] - mean;
      m2 += d * d;
    }
    out[3 * r] = static_cast<float>(rows.length);
    out[3 * r + 1] = static_cast<float>(mean);
    out[3 * r + 2] = static_cast<float>(m2);
  }
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
  const float *in = static_cast<const float *>(buffers[0]);
  const float *stats = static_cast<const float *>(buffers[1]);
  const float *gamma = static_cast<const float *>(buffers[2]);
  const float *beta = static_cast<const float *>(buffers[3]);
  float *out = static_cast<float *>(buffers[4]);
  for (int64_t r = 0; r < rows.count; ++r) {
    double count = stats[3 * r], mean = stats[3 * r + 1], m2 = stats[3 * r + 2];
    if (count <= 0)
      raise("row ", r, " has no elements in its statistics");
    float invStd = static_cast<float>(1.0 / std::sqrt(m2 / count + epsilon));
    float shift = static_cast<float>(mean);
    const float *row = in + r * rows.length;
    float *dst = out + r * rows.length;
    if (perGroup) {
      float g = gamma[r % groups] * invStd, b = beta[r % groups];
      for (int64_t i = 0; i < rows.length; ++i)
        dst[i] = (row[i] - shift) * g + b;
    } else {
      // Within a row, the position in the group's chunk of the normalized dims.
      const float *g = gamma + (r % groups) * rows.length, *b = beta + (r % groups) * rows.length;
      for (int64_t i = 0; i < rows.length; ++i)
        dst[i] = (row[i] - shift) * invStd * g[i] + b[i];
    }
  }
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
