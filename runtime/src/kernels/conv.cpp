// Convolution: the entry point maps the local window from the layouts and
// hands one local convolution to the backend's Dnn (libraries/dnn.h:
// oneDNN on the host, cuDNN on CUDA), prepared on the first call of an op
// and reused on every later call.
#include "box.h"
#include "context.h"
#include "error.h"
#include "layout.h"
#include "libraries/dnn.h"
#include "window_map.h"

#include <algorithm>

namespace quilt {
namespace {

struct ConvAttrs {
  bool hasBias = false;
  int spatial = 0;
  int64_t group = 1;
  std::vector<int64_t> strides, dilations, padsLo, padsHi;
  int64_t activation = QUILT_ACTIVATION_NONE;
  double alpha = 0;
};

ConvAttrs readConvAttrs(AttrReader &r) {
  ConvAttrs a;
  a.hasBias = r.next() != 0;
  int64_t n = r.next();
  if (n < 1 || n > 3)
    raise("spatial rank ", n, " (convolutions support 1 to 3)");
  a.spatial = static_cast<int>(n);
  a.group = r.next();
  a.strides = r.nextList(n);
  a.dilations = r.nextList(n);
  a.padsLo = r.nextList(n);
  a.padsHi = r.nextList(n);
  a.activation = r.next();
  a.alpha = r.nextDouble();
  if (a.activation < QUILT_ACTIVATION_NONE || a.activation > QUILT_ACTIVATION_LEAKY_RELU)
    raise("unknown activation ", a.activation);
  if (a.group < 1)
    raise("group ", a.group);
  return a;
}

/// Along one spatial dim: the part of the local input the primitive reads
/// (skipping leading elements nobody reads) and its oneDNN paddings.
struct ConvDim {
  int64_t skip = 0, extent = 0, padL = 0, padR = 0;
};

ConvDim planConvDim(const LocalWindow &lw) {
  ConvDim c;
  c.skip = std::max<int64_t>(lw.firstInput, 0);
  c.padL = std::max<int64_t>(-lw.firstInput, 0);
  c.extent = std::min(lw.inputExtent, lw.inputEnd) - c.skip;
  c.padR = std::max<int64_t>(lw.inputEnd - lw.inputExtent, 0);
  return c;
}

void checkChannels(const TensorView &x, const TensorView &w, const TensorView &y,
                   const TensorView *b, const ConvAttrs &a) {
  int64_t inC = x.extent[1], outC = y.extent[1];
  if (x.extent[0] != y.extent[0])
    raise("batch ", x.extent[0], " of the input differs from ", y.extent[0], " of the output");
  if (w.extent[0] != outC || w.extent[1] * a.group != inC || outC % a.group != 0)
    raise("weights [", w.extent[0], ", ", w.extent[1], ", ...] do not fit ", inC,
          " input and ", outC, " output channels in ", a.group, " groups");
  if (b && (b->rank() != 1 || b->extent[0] != outC))
    raise("bias must be [", outC, "]");
}

ConvForwardDesc convDesc(const TensorView &x, const TensorView &w, const TensorView &y,
                         const ConvAttrs &a) {
  ConvForwardDesc d;
  d.spatial = a.spatial;
  d.batch = x.extent[0];
  d.inChannels = x.extent[1];
  d.outChannels = y.extent[1];
  d.groups = a.group;
  d.inputStrides = denseStrides(x.extent);
  for (int i = 0; i < a.spatial; ++i) {
    int dim = 2 + i;
    Window op{a.strides[i], a.dilations[i], w.extent[dim], a.padsLo[i]};
    ConvDim c = planConvDim(mapWindowDim(x, y, dim, op));
    d.inputExtent.push_back(c.extent);
    d.inputOffset += c.skip * d.inputStrides[dim];
    d.kernel.push_back(w.extent[dim]);
    d.outputExtent.push_back(y.extent[dim]);
    d.strides.push_back(a.strides[i]);
    d.dilations.push_back(a.dilations[i]);
    d.padsPre.push_back(c.padL);
    d.padsPost.push_back(c.padR);
  }
  d.hasBias = a.hasBias;
  d.activation = a.activation == QUILT_ACTIVATION_RELU         ? DnnActivation::Relu
                 : a.activation == QUILT_ACTIVATION_LEAKY_RELU ? DnnActivation::LeakyRelu
                                                               : DnnActivation::None;
  d.alpha = static_cast<float>(a.alpha);
  return d;
}

/// The library's prepared convolution, kept between calls of the op.
struct ConvPlan : KernelPlan {
  std::unique_ptr<DnnConv> conv;
};

void conv(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  ConvAttrs a = readConvAttrs(op.attrs);
  expectTensorCount(op, a.hasBias ? 4 : 3, a.hasBias ? 4 : 3);
  const TensorView &x = op.tensors[0], &w = op.tensors[1], &y = op.tensors.back();
  const TensorView *b = a.hasBias ? &op.tensors[2] : nullptr;
  for (const TensorView *t : {&x, &w, &y})
    if (t->rank() != a.spatial + 2)
      raise("tensors must have rank ", a.spatial + 2, " for ", a.spatial, " spatial dims");
  if (y.isEmpty())
    return; // an empty shard has nothing to compute
  float *out = static_cast<float *>(buffers[op.tensors.size() - 1]);
  if (x.isEmpty()) {
    // A rank that owns none of a split input-channel dim contributes a zero
    // partial sum (the compiler adds bias and activation after the reduction).
    if (x.extent[1] == 0) {
      ctx->device.fillBox(out, BoxRef{&y.extent, std::vector<int64_t>(y.rank(), 0)}, y.extent,
                          0.f);
      return;
    }
    raise("empty local input for a non-empty local output");
  }
  checkChannels(x, w, y, b, a);
  if (!ctx->libraries.dnn)
    raise("the ", ctx->device.name(), " backend has no convolution library");
  size_t words = op.attrs.position() - params;
  ConvPlan *plan = ctx->findPlan<ConvPlan>(params, words);
  if (!plan) {
    auto fresh = std::make_unique<ConvPlan>();
    fresh->conv = ctx->libraries.dnn->prepare(ctx->device, convDesc(x, w, y, a));
    plan = &ctx->storePlan(params, words, std::move(fresh));
  }
  const float *weights = static_cast<const float *>(buffers[1]);
  plan->conv->run(static_cast<const float *>(buffers[0]), weights,
                  b ? static_cast<const float *>(buffers[2]) : nullptr, out,
                  isWeight(*ctx, weights));
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_conv(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "conv",
                  [&] { quilt::conv(ctx, params, buffers); });
}
