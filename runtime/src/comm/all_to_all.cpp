// quilt_rt_all_to_all: move the split of one mesh axis from one dim to
// another (a distributed transpose), with one Alltoallv over the axis.
#include "all_to_all_blocks.h"
#include "box.h"
#include "comm_entry.h"
#include "error.h"
#include "layout.h"

namespace quilt {
namespace {

void checkLayouts(const TensorView &x, const TensorView &y, int64_t from, int64_t to,
                  int64_t axis) {
  if (x.rank() != y.rank() || from < 0 || to < 0 || from >= x.rank() || to >= x.rank() ||
      from == to)
    raise("dims ", from, " and ", to, " for ranks ", x.rank(), " and ", y.rank());
  const DimLayout &xf = x.dims[from], &xt = x.dims[to], &yf = y.dims[from], &yt = y.dims[to];
  if (!xf.splitByOnly(axis) || xf.hasHalo() || xt.isSplit() || xf.granule != 1)
    raise("input must be a plain block of mesh axis ", axis, " on dim ", from,
          " and whole on dim ", to);
  if (!yt.splitByOnly(axis) || yt.hasHalo() || yf.isSplit() || yt.granule != 1)
    raise("output must be whole on dim ", from, " and a plain block of mesh axis ", axis,
          " on dim ", to);
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
  std::vector<float> send, recv;
};

void allToAll(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t from = op.attrs.next(), to = op.attrs.next(), axis = op.attrs.next();
  int64_t parts = ctx->axisSize(axis), coord = ctx->axisCoord(axis);
  checkLayouts(x, y, from, to, axis);
  size_t words = op.attrs.position() - params;
  AllToAllPlan *plan = ctx->findPlan<AllToAllPlan>(params, words);
  if (!plan) {
    auto fresh = std::make_unique<AllToAllPlan>();
    fresh->blocks = allToAllBlocks(x.extent, static_cast<int>(from), static_cast<int>(to),
                                   x.dims[from].globalSize, x.dims[to].globalSize, parts, coord);
    size_t sendTotal = 0, recvTotal = 0;
    for (int64_t j = 0; j < parts; ++j) {
      fresh->sendBytes.push_back(boxElements(fresh->blocks.sendExtent[j]) * sizeof(float));
      fresh->recvBytes.push_back(boxElements(fresh->blocks.recvExtent[j]) * sizeof(float));
      sendTotal += fresh->sendBytes.back();
      recvTotal += fresh->recvBytes.back();
    }
    fresh->send.resize(sendTotal / sizeof(float));
    fresh->recv.resize(recvTotal / sizeof(float));
    plan = &ctx->storePlan(params, words, std::move(fresh));
  }
  const AllToAllBlocks &b = plan->blocks;
  std::vector<int64_t> zero(x.rank(), 0);
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  float *at = plan->send.data();
  for (int64_t j = 0; j < parts; ++j) {
    copyBox(in, {&x.extent, b.sendOffset[j]}, at, {&b.sendExtent[j], zero}, b.sendExtent[j]);
    at += plan->sendBytes[j] / sizeof(float);
  }
  ctx->comm.allToAll(plan->send.data(), plan->sendBytes, plan->recv.data(), plan->recvBytes,
                     static_cast<int>(axis));
  const float *got = plan->recv.data();
  for (int64_t j = 0; j < parts; ++j) {
    copyBox(got, {&b.recvExtent[j], zero}, out, {&y.extent, b.recvOffset[j]}, b.recvExtent[j]);
    got += plan->recvBytes[j] / sizeof(float);
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_all_to_all(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "all_to_all",
                      [&] { quilt::allToAll(ctx, params, buffers); });
}
