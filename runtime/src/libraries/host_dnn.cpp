// The Dnn of the host (dnn.h) through oneDNN. A forward convolution's
// primitive, its reorders and (for weights in the mapped weights file) the
// reordered weights are built once per op and reused on every later call.
// The transposed convolution is one sgemm per kernel tap (filter tap x input
// block) scattered into the output positions that tap reaches.
#include "dnnl_util.h"
#include "error.h"
#include "layout.h"
#include "libraries/dnn.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>

namespace quilt {
namespace {

using dnnl::memory;

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

class HostConvForward : public DnnConv {
public:
  explicit HostConvForward(const ConvForwardDesc &d) {
    auto &engine = dnnlEngine();
    memory::dims src{d.batch, d.inChannels}, weights, dst{d.batch, d.outChannels};
    memory::dims strides, dilations, padL, padR;
    if (d.groups > 1)
      weights = {d.groups, d.outChannels / d.groups, d.inChannels / d.groups};
    else
      weights = {d.outChannels, d.inChannels};
    for (int i = 0; i < d.spatial; ++i) {
      src.push_back(d.inputExtent[i]);
      weights.push_back(d.kernel[i]);
      dst.push_back(d.outputExtent[i]);
      strides.push_back(d.strides[i]);
      dilations.push_back(d.dilations[i] - 1); // oneDNN counts the gaps
      padL.push_back(d.padsPre[i]);
      padR.push_back(d.padsPost[i]);
    }
    // A following ReLU / LeakyReLU runs as a post-op, in the same pass over memory.
    dnnl::primitive_attr attr;
    if (d.activation != DnnActivation::None) {
      dnnl::post_ops ops;
      float alpha = d.activation == DnnActivation::LeakyRelu ? d.alpha : 0.f;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f);
      attr.set_post_ops(ops);
    }
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    memory::desc bias = d.hasBias ? denseDesc({d.outChannels}) : memory::desc();
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::convolution_direct, anyDesc(src),
                                         anyDesc(weights), bias, anyDesc(dst), strides, dilations,
                                         padL, padR);
    dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
    primitive_ = dnnl::convolution_forward(pd);
    src_.emplace(memory::desc(src, memory::data_type::f32, d.inputStrides), pd.src_desc(),
                 Operand::In, ScratchSlot::Source);
    weights_.emplace(denseDesc(weights), pd.weights_desc(), Operand::In);
    dst_.emplace(denseDesc(dst), pd.dst_desc(), Operand::Out, ScratchSlot::Destination);
    scratchpad_ = memory(pd.scratchpad_desc(), engine, DNNL_MEMORY_NONE);
    if (d.hasBias)
      bias_ = memory(bias, engine, DNNL_MEMORY_NONE);
    srcOffset_ = d.inputOffset;
  }

  void run(const float *x, const float *w, const float *b, float *y,
           bool constantWeights) override {
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

class HostConvBackwardData : public DnnConv {
public:
  explicit HostConvBackwardData(const ConvBackwardDataDesc &d) : d_(d) {
    int64_t channelPlane = 1;
    for (int i = 0; i < d.spatial; ++i)
      channelPlane *= d.inputExtent[i];
    pin_ = channelPlane;
    // The sgemm reads each channel's region as one dense block: a region
    // that is not the whole of x's dense planes is packed first.
    dense_ = d.inputStrides[1] == pin_ && d.inputStrides[0] == d.inChannels * pin_;
    int64_t stride = 1;
    for (int i = d.spatial - 1; i >= 0 && dense_; --i) {
      dense_ = d.inputStrides[2 + i] == stride;
      stride *= d.inputExtent[i];
    }
    if (!dense_)
      packed_.resize(d.batch * d.inChannels * pin_);
    cg_ = d.inChannels / d.groups;
    mg_ = d.outChannels / d.groups;
    pout_ = 1;
    for (int i = 0; i < d.spatial; ++i)
      pout_ *= d.outputExtent[i];
    taps_ = 1;
    for (int i = 0; i < d.spatial; ++i)
      taps_ *= d.kernel[i];
    filterTap_.resize(mg_ * cg_);
    product_.resize(mg_ * pin_);
    // Per tap: the output offset of input position 0 (the taps shift the
    // whole block) and per input position its offset at tap 0.
    outStride_.assign(d.spatial, 1);
    for (int i = d.spatial - 2; i >= 0; --i)
      outStride_[i] = outStride_[i + 1] * d.outputExtent[i + 1];
    base_.resize(pin_);
    std::vector<int64_t> index(d.spatial, 0);
    for (int64_t p = 0; p < pin_; ++p) {
      int64_t offset = 0;
      for (int i = 0; i < d.spatial; ++i)
        offset += index[i] * d.strides[i] * outStride_[i];
      base_[p] = offset;
      for (int i = d.spatial - 1; i >= 0; --i) {
        if (++index[i] < d.inputExtent[i])
          break;
        index[i] = 0;
      }
    }
  }

  void run(const float *x, const float *filter, const float *, float *out, bool) override {
    const ConvBackwardDataDesc &d = d_;
    std::fill(out, out + d.batch * d.outChannels * pout_, 0.f);
    if (pin_ == 0 || pout_ == 0 || cg_ == 0)
      return;
    const float *in = x + d.inputOffset;
    if (!dense_) {
      std::vector<int64_t> index(d.spatial + 2, 0);
      int64_t total = d.batch * d.inChannels * pin_;
      for (int64_t e = 0; e < total; ++e) {
        int64_t offset = index[0] * d.inputStrides[0] + index[1] * d.inputStrides[1];
        for (int i = 0; i < d.spatial; ++i)
          offset += index[2 + i] * d.inputStrides[2 + i];
        packed_[e] = in[offset];
        for (int i = d.spatial + 1; i >= 0; --i) {
          int64_t extent = i == 0 ? d.batch : i == 1 ? d.inChannels : d.inputExtent[i - 2];
          if (++index[i] < extent)
            break;
          index[i] = 0;
        }
      }
      in = packed_.data();
    }
    std::vector<int64_t> tap(d.spatial, 0);
    for (int64_t t = 0; t < taps_; ++t) {
      int64_t rest = t, shift = 0;
      for (int i = d.spatial - 1; i >= 0; --i) {
        tap[i] = rest % d.kernel[i];
        rest /= d.kernel[i];
        shift += tap[i] * d.dilations[i] * outStride_[i];
      }
      for (int64_t g = 0; g < d.groups; ++g) {
        for (int64_t m = 0; m < mg_; ++m)
          for (int64_t c = 0; c < cg_; ++c)
            filterTap_[m * cg_ + c] = filter[((g * cg_ + c) * mg_ + m) * taps_ + t];
        for (int64_t n = 0; n < d.batch; ++n) {
          const float *block = in + (n * d.inChannels + g * cg_) * pin_;
          dnnl::status status =
              dnnl::sgemm('N', 'N', mg_, pin_, cg_, 1.f, filterTap_.data(), cg_, block, pin_, 0.f,
                          product_.data(), pin_);
          if (status != dnnl::status::success)
            raise("oneDNN sgemm failed with status ", static_cast<int>(status));
          float *dst = out + (n * d.outChannels + g * mg_) * pout_ + shift;
          for (int64_t p = 0; p < pin_; ++p) {
            int64_t offset = base_[p];
            for (int64_t m = 0; m < mg_; ++m)
              dst[m * pout_ + offset] += product_[m * pin_ + p];
          }
        }
      }
    }
  }

private:
  ConvBackwardDataDesc d_;
  bool dense_ = true;
  int64_t pin_ = 0, pout_ = 0, cg_ = 0, mg_ = 0, taps_ = 0;
  std::vector<int64_t> outStride_, base_;
  std::vector<float> packed_, filterTap_, product_;
};

class HostDnn : public Dnn {
public:
  std::unique_ptr<DnnConv> prepare(Device &, const ConvForwardDesc &desc) override {
    return std::make_unique<HostConvForward>(desc);
  }
  std::unique_ptr<DnnConv> prepare(Device &, const ConvBackwardDataDesc &desc) override {
    return std::make_unique<HostConvBackwardData>(desc);
  }
};

} // namespace

std::shared_ptr<Dnn> createHostDnn() { return std::make_shared<HostDnn>(); }

} // namespace quilt
