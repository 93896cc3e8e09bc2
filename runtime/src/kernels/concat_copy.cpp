// Data movement without arithmetic: concat along an axis, copy (reshape,
// identity) between buffers of the same element count, and fill (a large
// splat constant, written at run time instead of stored in the weights).
#include "box.h"
#include "context.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void checkConcatShapes(const OpParams &op, int axis) {
  const TensorView &y = op.tensors.back();
  int64_t total = 0;
  for (size_t i = 0; i + 1 < op.tensors.size(); ++i) {
    const TensorView &x = op.tensors[i];
    if (x.rank() != y.rank())
      raise("input ", i, " has rank ", x.rank(), ", output ", y.rank());
    for (int d = 0; d < y.rank(); ++d)
      if (d != axis && x.extent[d] != y.extent[d])
        raise("input ", i, " has extent ", x.extent[d], " on dim ", d, ", output ",
              y.extent[d]);
    total += x.extent[axis];
  }
  if (total != y.extent[axis])
    raise("inputs sum to ", total, " along axis ", axis, ", output has ", y.extent[axis]);
}

void concat(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, kMaxOpTensors);
  const TensorView &y = op.tensors.back();
  int64_t axis = op.attrs.next();
  if (axis < 0 || axis >= y.rank())
    raise("axis ", axis, " out of range for rank ", y.rank());
  checkConcatShapes(op, static_cast<int>(axis));
  float *out = static_cast<float *>(buffers[op.tensors.size() - 1]);
  int64_t at = 0;
  for (size_t i = 0; i + 1 < op.tensors.size(); ++i) {
    const TensorView &x = op.tensors[i];
    BoxRef from{&x.extent, std::vector<int64_t>(x.rank(), 0)};
    BoxRef to{&y.extent, offsetAt(y.rank(), static_cast<int>(axis), at)};
    ctx->device.copyBox(static_cast<const float *>(buffers[i]), from, out, to, x.extent);
    at += x.extent[axis];
  }
}

void copy(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  int64_t n = op.tensors[0].numElements();
  if (op.tensors[1].numElements() != n)
    raise("input has ", n, " elements, output ", op.tensors[1].numElements());
  ctx->device.copy(buffers[1], buffers[0], n * sizeof(float), CopyKind::DeviceToDevice);
}

void fill(quilt_rt_ctx *ctx, OpParams &op, void **buffers) {
  const TensorView &y = op.tensors[0];
  float value = static_cast<float>(op.attrs.nextDouble());
  ctx->device.fillBox(static_cast<float *>(buffers[0]),
                      BoxRef{&y.extent, std::vector<int64_t>(y.rank(), 0)}, y.extent, value);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_fill(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "fill", [&] {
    quilt::OpParams op = quilt::decodeParams(*ctx, params);
    quilt::expectTensorCount(op, 1, 1);
    quilt::fill(ctx, op, buffers);
  });
}

extern "C" void quilt_rt_concat(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "concat",
                  [&] { quilt::concat(ctx, params, buffers); });
}

extern "C" void quilt_rt_copy(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "copy",
                  [&] { quilt::copy(ctx, params, buffers); });
}
