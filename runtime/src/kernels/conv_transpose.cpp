// Transposed convolution in global coordinates: input position i (global)
// feeds output positions i * stride - pad_lo + j * dilation. The entry point
// hands the local input's positions inside the global domain (a zero halo
// contributes nothing) to the backend's Dnn as one transposed convolution
// without padding (libraries/dnn.h, ConvBackwardDataDesc), whose output
// covers every position they reach; a kernel (conv_kernels.h) crops that
// into this rank's output and adds the bias.
#include "context.h"
#include "conv_kernels.h"
#include "error.h"
#include "layout.h"
#include "libraries/dnn.h"

#include <algorithm>
#include <vector>

namespace quilt {
namespace {

struct ConvTransposePlan : KernelPlan {
  std::unique_ptr<DnnConv> conv; // null: no local input reaches anything
  /// The library's output when it is not the op's output itself.
  DeviceBuffer full;
  bool direct = false;
  ConvCropBiasKernel crop{};
};

std::unique_ptr<ConvTransposePlan> planConvTranspose(quilt_rt_ctx &ctx, const TensorView &x,
                                                     const TensorView &w, const TensorView &y,
                                                     int spatial, int64_t group,
                                                     const std::vector<int64_t> &strides,
                                                     const std::vector<int64_t> &dilations,
                                                     const std::vector<int64_t> &padsLo) {
  auto plan = std::make_unique<ConvTransposePlan>();
  ConvBackwardDataDesc d;
  d.spatial = spatial;
  d.batch = x.extent[0];
  d.inChannels = x.extent[1];
  d.outChannels = y.extent[1];
  d.groups = group;
  d.inputStrides = denseStrides(x.extent);
  ConvCropBiasKernel &k = plan->crop;
  k.spatial = spatial;
  k.channels = y.extent[1];
  k.outerCount = y.extent[0] * y.extent[1];
  k.plane = y.product(2, y.rank());
  k.fullPlane = 1;
  bool any = d.batch > 0 && d.inChannels > 0 && d.outChannels > 0;
  bool direct = true;
  for (int i = 0; i < spatial; ++i) {
    const int dim = 2 + i;
    // The local indices whose global position lies inside the domain.
    int64_t first = std::max<int64_t>(-x.start[dim], 0);
    int64_t end = std::min<int64_t>(x.extent[dim], x.dims[dim].globalSize - x.start[dim]);
    int64_t count = std::max<int64_t>(end - first, 0);
    any = any && count > 0;
    int64_t fullExtent = count > 0 ? (count - 1) * strides[i] + (w.extent[dim] - 1) * dilations[i] + 1 : 0;
    int64_t shift = (x.start[dim] + first) * strides[i] - padsLo[i] - y.start[dim];
    d.inputExtent.push_back(count);
    d.inputOffset += first * d.inputStrides[dim];
    d.kernel.push_back(w.extent[dim]);
    d.strides.push_back(strides[i]);
    d.dilations.push_back(dilations[i]);
    d.outputExtent.push_back(fullExtent);
    k.extent[i] = y.extent[dim];
    k.fullExtent[i] = fullExtent;
    k.shift[i] = shift;
    k.fullPlane *= fullExtent;
    direct = direct && shift == 0 && fullExtent == y.extent[dim];
  }
  if (!any) {
    for (int i = 0; i < spatial; ++i)
      k.fullExtent[i] = 0;
    k.fullPlane = 0;
    return plan;
  }
  if (!ctx.libraries.dnn)
    raise("the ", ctx.device.name(), " backend has no convolution library");
  plan->direct = direct;
  if (!direct)
    plan->full = DeviceBuffer(ctx.device, k.outerCount * k.fullPlane * sizeof(float));
  plan->conv = ctx.libraries.dnn->prepare(ctx.device, d);
  return plan;
}

void convTranspose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  bool hasBias = op.attrs.next() != 0;
  int64_t spatial = op.attrs.next(), group = op.attrs.next();
  expectTensorCount(op, hasBias ? 4 : 3, hasBias ? 4 : 3);
  const TensorView &x = op.tensors[0], &w = op.tensors[1], &y = op.tensors.back();
  if (spatial < 1 || spatial > kMaxConvSpatial || x.rank() != spatial + 2 ||
      y.rank() != x.rank() || w.rank() != x.rank())
    raise("spatial rank ", spatial, " does not match tensors of rank ", x.rank());
  std::vector<int64_t> strides = op.attrs.nextList(spatial);
  std::vector<int64_t> dilations = op.attrs.nextList(spatial);
  std::vector<int64_t> padsLo = op.attrs.nextList(spatial);
  int64_t batch = x.extent[0], channels = x.extent[1], outChannels = y.extent[1];
  if (group < 1 || channels != w.extent[0] || channels % group != 0 ||
      outChannels != w.extent[1] * group || y.extent[0] != batch)
    raise("channels: input ", channels, ", filter ", w.extent[0], "x", w.extent[1], ", output ",
          outChannels, ", group ", group);
  if (y.isEmpty())
    return;
  size_t words = op.attrs.position() - params;
  ConvTransposePlan *plan = ctx->findPlan<ConvTransposePlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words,
                           planConvTranspose(*ctx, x, w, y, static_cast<int>(spatial), group,
                                             strides, dilations, padsLo));
  const float *in = static_cast<const float *>(buffers[0]);
  const float *filter = static_cast<const float *>(buffers[1]);
  const float *bias = hasBias ? static_cast<const float *>(buffers[2]) : nullptr;
  float *out = static_cast<float *>(buffers[op.tensors.size() - 1]);
  ConvCropBiasKernel crop = plan->crop;
  crop.y = out;
  crop.bias = bias;
  crop.full = plan->direct ? out : plan->full.floats();
  if (plan->conv)
    plan->conv->run(in, filter, nullptr, plan->direct ? out : plan->full.floats(),
                    isWeight(*ctx, filter));
  if (!plan->direct || bias)
    ctx->device.launch(crop);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_conv_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "conv_transpose",
                  [&] { quilt::convTranspose(ctx, params, buffers); });
}
