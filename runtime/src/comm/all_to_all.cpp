// quilt_rt_all_to_all: move the split of the minor-most mesh axes of one dim
// to another dim (a distributed transpose), with one Alltoallv over the group
// of the moving axes.
#include "all_to_all_blocks.h"
#include "axis_group.h"
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

/// x's dim `from` is split by some staying axes then `moving`, y's by the
/// staying ones; y's dim `to` by x's axes there then `moving`. Plain blocks.
void checkLayouts(const TensorView &x, const TensorView &y, int64_t from, int64_t to,
                  const AxisList &moving) {
  if (x.rank() != y.rank() || from < 0 || to < 0 || from >= x.rank() || to >= x.rank() ||
      from == to)
    raise("dims ", from, " and ", to, " for ranks ", x.rank(), " and ", y.rank());
  const DimLayout &xf = x.dims[from], &xt = x.dims[to], &yf = y.dims[from], &yt = y.dims[to];
  AxisList stay = yf.axes(), before = xt.axes();
  if (!splitByThen(xf, stay, moving) || !splitByThen(yf, stay, {}))
    raise("dim ", from, " must lose its minor-most mesh axes (the moving ones), in plain blocks");
  if (!splitByThen(xt, before, {}) || !splitByThen(yt, before, moving))
    raise("dim ", to, " must gain the moving mesh axes as its minor-most, in plain blocks");
  for (const DimLayout *d : {&xf, &xt, &yf, &yt})
    if (d->isSplit() && d->granule != 1)
      raise("dims ", from, " and ", to, " must be split in plain blocks (granule 1)");
  if (xf.globalSize != yf.globalSize || xt.globalSize != yt.globalSize)
    raise("input and output differ in global size on dim ", from, " or ", to);
  for (int d = 0; d < x.rank(); ++d)
    if (d != from && d != to && x.extent[d] != y.extent[d])
      raise("input and output differ on dim ", d, " (", x.extent[d], " vs ", y.extent[d], ")");
}

class AllToAllPlan : public KernelPlan {
public:
  AllToAllBlocks blocks;
  std::vector<size_t> sendBytes, recvBytes;
  /// Totals of the packed input and of the result before unpacking (both in
  /// the pack region during a call).
  size_t sendTotal = 0, recvTotal = 0;
};

std::unique_ptr<AllToAllPlan> makePlan(const quilt_rt_ctx &ctx, const TensorView &x,
                                       const TensorView &y, int from, int to,
                                       const AxisList &moving) {
  auto plan = std::make_unique<AllToAllPlan>();
  std::vector<int64_t> parts = axisSizes(ctx, moving);
  plan->blocks = allToAllBlocks(x.extent, from, to, y.extent[from], parts.data(),
                                static_cast<int>(parts.size()), ctx.ownerIndex(moving));
  size_t sendTotal = 0, recvTotal = 0;
  for (size_t j = 0; j < plan->blocks.sendExtent.size(); ++j) {
    plan->sendBytes.push_back(boxElements(plan->blocks.sendExtent[j]) * sizeof(float));
    plan->recvBytes.push_back(boxElements(plan->blocks.recvExtent[j]) * sizeof(float));
    sendTotal += plan->sendBytes.back();
    recvTotal += plan->recvBytes.back();
  }
  plan->sendTotal = sendTotal;
  plan->recvTotal = recvTotal;
  return plan;
}

void allToAll(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t from = op.attrs.next(), to = op.attrs.next();
  AxisList moving = readAxes(op.attrs, *ctx);
  CollectiveAlgorithm algorithm =
      readAlgorithm(op.attrs, CollectiveKind::AllToAll, groupSize(*ctx, moving));
  checkLayouts(x, y, from, to, moving);
  size_t words = op.attrs.position() - params;
  AllToAllPlan *plan = ctx->findPlan<AllToAllPlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words,
                           makePlan(*ctx, x, y, static_cast<int>(from), static_cast<int>(to),
                                    moving));
  const AllToAllBlocks &b = plan->blocks;
  size_t members = b.sendExtent.size();
  std::vector<int64_t> zero(x.rank(), 0);
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  Device &device = ctx->device;
  auto [send, recv] = ctx->packSendsAndReceives(plan->sendTotal, plan->recvTotal);
  float *at = send;
  for (size_t j = 0; j < members; ++j) {
    device.copyBox(in, {&x.extent, b.sendOffset[j]}, at, {&b.sendExtent[j], zero}, b.sendExtent[j]);
    at += plan->sendBytes[j] / sizeof(float);
  }
  device.commAfterCompute();
  ctx->comm.allToAll(send, plan->sendBytes, recv, plan->recvBytes, moving, algorithm);
  device.computeAfterComm();
  const float *got = recv;
  for (size_t j = 0; j < members; ++j) {
    device.copyBox(got, {&b.recvExtent[j], zero}, out, {&y.extent, b.recvOffset[j]}, b.recvExtent[j]);
    got += plan->recvBytes[j] / sizeof(float);
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_all_to_all(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "all_to_all",
                      [&] { quilt::allToAll(ctx, params, buffers); });
}
