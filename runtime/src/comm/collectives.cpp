// quilt_rt_all_reduce and quilt_rt_all_gather over groups of mesh axes.
#include "axis_group.h"
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"


namespace quilt {
namespace {

ReduceOp reduceOpFor(int64_t kind) {
  if (kind == QUILT_REDUCE_SUM)
    return ReduceOp::Sum;
  if (kind == QUILT_REDUCE_MAX)
    return ReduceOp::Max;
  if (kind == QUILT_REDUCE_MOMENTS)
    return ReduceOp::Moments;
  if (kind == QUILT_REDUCE_PROD)
    return ReduceOp::Prod;
  raise("all_reduce kind ", kind, " (expected sum = 0, max = 2, moments = 3 or prod = 4)");
}

AxisMask readAxes(const quilt_rt_ctx &ctx, AttrReader &r) {
  AxisMask mask = 0;
  for (int64_t axis : r.nextList(r.next())) {
    ctx.axisSize(axis); // range check
    mask |= AxisMask(1) << axis;
  }
  return mask;
}

void allReduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  ReduceOp kind = reduceOpFor(op.attrs.next());
  AxisMask axes = readAxes(*ctx, op.attrs);
  CollectiveAlgorithm algorithm =
      readAlgorithm(op.attrs, CollectiveKind::AllReduce,
                    groupSize(*ctx, axesOf(axes, ctx->mesh.size())));
  int64_t n = op.tensors[0].numElements();
  if (op.tensors[1].numElements() != n)
    raise("input has ", n, " elements, output ", op.tensors[1].numElements());
  if (axes == 0) {
    ctx->device.copy(buffers[1], buffers[0], n * sizeof(float), CopyKind::DeviceToDevice);
    return;
  }
  // Out of place: the collective reads the input where the kernel left it
  // (CommunicationCost counts no copy for it).
  ctx->device.commAfterCompute();
  ctx->comm.allReduce(buffers[0], buffers[1], n, ElemType::F32, kind, axes, algorithm);
  ctx->device.computeAfterComm();
}

void checkGatherLayouts(const TensorView &x, const TensorView &y, int64_t dim, int64_t axis) {
  if (dim < 0 || dim >= x.rank() || x.rank() != y.rank())
    raise("dim ", dim, " for ranks ", x.rank(), " and ", y.rank());
  const DimLayout &dx = x.dims[dim];
  std::vector<int64_t> xAxes = dx.axes(), yAxes = y.dims[dim].axes();
  if (xAxes.empty() || xAxes.back() != axis || dx.hasHalo())
    raise("input dim ", dim, " must be a plain block whose minor-most mesh axis is ", axis);
  xAxes.pop_back();
  if (yAxes != xAxes)
    raise("output dim ", dim, " must keep the input's other mesh axes");
  for (int d = 0; d < x.rank(); ++d)
    if (d != dim && x.extent[d] != y.extent[d])
      raise("input and output differ on dim ", d, " (", x.extent[d], " vs ", y.extent[d], ")");
}

void allGather(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t dim = op.attrs.next(), axis = op.attrs.next();
  int64_t parts = ctx->axisSize(axis);
  CollectiveAlgorithm algorithm = readAlgorithm(op.attrs, CollectiveKind::AllGather, parts);
  checkGatherLayouts(x, y, dim, axis);
  int d = static_cast<int>(dim);
  int64_t outer = x.product(0, d), inner = x.product(d + 1, x.rank());
  // The gathered dim is the parent block the other axes leave (the whole dim
  // when `axis` alone splits it); members own nested blocks of it.
  int64_t n = y.extent[d], g = x.dims[d].granule;
  std::vector<size_t> bytes(parts);
  for (int64_t c = 0; c < parts; ++c)
    bytes[c] = granularBlockSize(n, g, parts, c) * outer * inner * sizeof(float);
  auto *y_ = static_cast<float *>(buffers[1]);
  // Along the outermost non-trivial dim the blocks land in place.
  Device &device = ctx->device;
  if (outer == 1) {
    device.commAfterCompute();
    ctx->comm.allGather(buffers[0], bytes[ctx->axisCoord(axis)], y_, bytes,
                        static_cast<int>(axis), algorithm);
    device.computeAfterComm();
    return;
  }
  // Blocks in member order, in the pack region, then copied into place.
  auto *gathered = reinterpret_cast<float *>(ctx->packScratch(y.numElements() * sizeof(float)));
  device.commAfterCompute();
  ctx->comm.allGather(buffers[0], bytes[ctx->axisCoord(axis)], gathered, bytes,
                      static_cast<int>(axis), algorithm);
  device.computeAfterComm();
  const float *from = gathered;
  for (int64_t c = 0; c < parts; ++c) {
    std::vector<int64_t> box = withDim(x.extent, d, granularBlockSize(n, g, parts, c));
    device.copyBox(from, {&box, std::vector<int64_t>(x.rank(), 0)}, y_,
            {&y.extent, offsetAt(y.rank(), d, granularBlockRange(n, g, parts, c).begin)}, box);
    from += bytes[c] / sizeof(float);
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_all_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "all_reduce",
                  [&] { quilt::allReduce(ctx, params, buffers); });
}

extern "C" void quilt_rt_all_gather(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "all_gather",
                  [&] { quilt::allGather(ctx, params, buffers); });
}
