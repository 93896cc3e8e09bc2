// Convolution through oneDNN. The primitive, its reorders and (for weights in
// the mapped weights file) the reordered weights are built on the first call
// of an op and reused on every later call.
#include "context.h"
#include "dnnl_util.h"
#include "error.h"
#include "layout.h"
#include "window_map.h"

#include <algorithm>
#include <optional>

namespace quilt {
namespace {

using dnnl::memory;

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
    raise("spatial rank ", n, " (oneDNN supports 1 to 3)");
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

struct ConvShapes {
  memory::dims src, srcStrides, weights, bias, dst;
  memory::dims strides, dilations, padL, padR;
  int64_t srcOffset = 0; // elements skipped at the start of x
};

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

ConvShapes convShapes(const TensorView &x, const TensorView &w, const TensorView &y,
                      const ConvAttrs &a) {
  ConvShapes s;
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  s.src = {x.extent[0], x.extent[1]};
  s.srcStrides = {xStrides[0], xStrides[1]};
  s.dst = {y.extent[0], y.extent[1]};
  if (a.group > 1)
    s.weights = {a.group, w.extent[0] / a.group, w.extent[1]};
  else
    s.weights = {w.extent[0], w.extent[1]};
  s.bias = {y.extent[1]};
  for (int i = 0; i < a.spatial; ++i) {
    int dim = 2 + i;
    Window op{a.strides[i], a.dilations[i], w.extent[dim], a.padsLo[i]};
    ConvDim c = planConvDim(mapWindowDim(x, y, dim, op));
    s.src.push_back(c.extent);
    s.srcStrides.push_back(xStrides[dim]);
    s.srcOffset += c.skip * xStrides[dim];
    s.weights.push_back(w.extent[dim]);
    s.dst.push_back(y.extent[dim]);
    s.strides.push_back(a.strides[i]);
    s.dilations.push_back(a.dilations[i] - 1); // oneDNN counts the gaps
    s.padL.push_back(c.padL);
    s.padR.push_back(c.padR);
  }
  return s;
}

memory::desc denseDesc(const memory::dims &dims) {
  return memory::desc(dims, memory::data_type::f32, denseStrides(dims));
}

memory::desc anyDesc(const memory::dims &dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

/// A user buffer and, when the primitive wants another format, an internal
/// buffer with a reorder into it (inputs) or out of it (the output).
struct Operand {
  memory user;
  std::optional<memory> internal;
  std::optional<dnnl::reorder> reorder;
  /// Where the blocked copy lives between runs: shared scratch (activations)
  /// or its own allocation (weights, reordered once and kept).
  std::optional<ScratchSlot> slot;

  enum Direction { In, Out };
  Operand(const memory::desc &userDesc, const memory::desc &wanted, Direction direction,
          std::optional<ScratchSlot> scratch = std::nullopt)
      : slot(scratch) {
    auto &engine = dnnlEngine();
    user = memory(userDesc, engine, DNNL_MEMORY_NONE);
    if (wanted == userDesc)
      return;
    if (slot)
      internal = memory(wanted, engine, DNNL_MEMORY_NONE);
    else
      internal.emplace(wanted, engine);
    if (direction == In)
      reorder.emplace(dnnl::reorder::primitive_desc(engine, userDesc, engine, wanted));
    else
      reorder.emplace(dnnl::reorder::primitive_desc(engine, wanted, engine, userDesc));
  }
  memory &forPrimitive() { return internal ? *internal : user; }
  /// Points a shared-scratch copy at the slot (other convolutions reuse it).
  void bindScratch() {
    if (internal && slot)
      internal->set_data_handle(dnnlScratch(*slot, internal->get_desc().get_size()));
  }
};

class ConvPlan : public KernelPlan {
public:
  ConvPlan(const ConvShapes &s, bool hasBias, const ConvAttrs &a) {
    auto &engine = dnnlEngine();
    // A following ReLU / LeakyReLU runs as a post-op, in the same pass over memory.
    dnnl::primitive_attr attr;
    if (a.activation != QUILT_ACTIVATION_NONE) {
      dnnl::post_ops ops;
      float alpha = a.activation == QUILT_ACTIVATION_LEAKY_RELU ? float(a.alpha) : 0.f;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f);
      attr.set_post_ops(ops);
    }
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    memory::desc bias = hasBias ? denseDesc(s.bias) : memory::desc();
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, anyDesc(s.src),
        anyDesc(s.weights), bias, anyDesc(s.dst), s.strides, s.dilations, s.padL, s.padR);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
    primitive_ = dnnl::convolution_forward(pd);
    src_.emplace(memory::desc(s.src, memory::data_type::f32, s.srcStrides), pd.src_desc(),
                 Operand::In, ScratchSlot::Source);
    weights_.emplace(denseDesc(s.weights), pd.weights_desc(), Operand::In);
    dst_.emplace(denseDesc(s.dst), pd.dst_desc(), Operand::Out, ScratchSlot::Destination);
    scratchpad_ = memory(pd.scratchpad_desc(), engine, DNNL_MEMORY_NONE);
    if (hasBias)
      bias_ = memory(bias, engine, DNNL_MEMORY_NONE);
    srcOffset_ = s.srcOffset;
  }

  void run(const float *x, const float *w, const float *b, float *y, bool constantWeights) {
    auto &stream = dnnlStream();
    src_->user.set_data_handle(const_cast<float *>(x) + srcOffset_);
    weights_->user.set_data_handle(const_cast<float *>(w));
    dst_->user.set_data_handle(y);
    src_->bindScratch();
    dst_->bindScratch();
    scratchpad_.set_data_handle(
        dnnlScratch(ScratchSlot::Scratchpad, scratchpad_.get_desc().get_size()));
    if (src_->reorder)
      src_->reorder->execute(stream, src_->user, *src_->internal);
    // Weights from the mapped file never change: reorder them once.
    bool fresh = constantWeights && reorderedWeights_ == w;
    if (weights_->reorder && !fresh)
      weights_->reorder->execute(stream, weights_->user, *weights_->internal);
    reorderedWeights_ = constantWeights ? w : nullptr;
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_->forPrimitive()},
                                         {DNNL_ARG_WEIGHTS, weights_->forPrimitive()},
                                         {DNNL_ARG_DST, dst_->forPrimitive()},
                                         {DNNL_ARG_SCRATCHPAD, scratchpad_}};
    if (b) {
      bias_.set_data_handle(const_cast<float *>(b));
      args[DNNL_ARG_BIAS] = bias_;
    }
    primitive_.execute(stream, args);
    if (dst_->reorder)
      dst_->reorder->execute(stream, *dst_->internal, dst_->user);
    stream.wait();
  }

private:
  dnnl::convolution_forward primitive_;
  std::optional<Operand> src_, weights_, dst_;
  memory bias_, scratchpad_;
  int64_t srcOffset_ = 0;
  const float *reorderedWeights_ = nullptr;
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
  if (x.isEmpty()) {
    // A rank that owns none of a split input-channel dim contributes a zero
    // partial sum (the compiler adds bias and activation after the reduction).
    if (x.extent[1] == 0) {
      std::fill_n(static_cast<float *>(buffers[op.tensors.size() - 1]), y.numElements(), 0.f);
      return;
    }
    raise("empty local input for a non-empty local output");
  }
  checkChannels(x, w, y, b, a);
  size_t words = op.attrs.position() - params;
  ConvPlan *plan = ctx->findPlan<ConvPlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words, std::make_unique<ConvPlan>(convShapes(x, w, y, a),
                                                                     a.hasBias, a));
  const float *weights = static_cast<const float *>(buffers[1]);
  plan->run(static_cast<const float *>(buffers[0]), weights,
            b ? static_cast<const float *>(buffers[2]) : nullptr,
            static_cast<float *>(buffers[op.tensors.size() - 1]), isWeight(*ctx, weights));
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_conv(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "conv",
                  [&] { quilt::conv(ctx, params, buffers); });
}
