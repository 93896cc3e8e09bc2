// Convolutions through a vendor library (libraries.h): oneDNN on the host
// (host_dnn.cpp), cuDNN on CUDA (cuda/cudnn_dnn.cpp). The entry points
// (kernels/conv.cpp, conv_transpose.cpp) plan the local window from the
// layouts and describe one local convolution here; `prepare` runs once per
// op (the plan is kept in the op's KernelPlan: oneDNN primitives and their
// reorders, cuDNN execution plans and their workspace), `run` computes on
// device pointers on the device's compute stream.
#ifndef QUILT_RUNTIME_DNN_H
#define QUILT_RUNTIME_DNN_H

#include <cstdint>
#include <memory>
#include <vector>

namespace quilt {

class Device;

enum class DnnActivation { None, Relu, LeakyRelu };

/// What a convolution and its transpose share: the region of x it reads,
/// the weights' spatial extents, the window and the dense output. Spatial
/// vectors have `spatial` entries (1 to 3).
struct ConvRegion {
  int spatial = 0;
  /// inChannels: x's; outChannels: y's.
  int64_t batch = 0, inChannels = 0, outChannels = 0, groups = 1;
  /// The region of x the convolution reads (halo included, positions nobody
  /// reads skipped): its spatial extents, its first element's offset in the
  /// x buffer and the row-major element strides of x (N, C, spatial...).
  std::vector<int64_t> inputExtent;
  int64_t inputOffset = 0;
  std::vector<int64_t> inputStrides;
  /// The weights' spatial extents (the layout is the op's: below).
  std::vector<int64_t> kernel;
  /// Dilation 1: adjacent taps (ONNX convention).
  std::vector<int64_t> strides, dilations;
  /// y [batch, outChannels, outputExtent...], dense.
  std::vector<int64_t> outputExtent;
};

/// y = act(conv(x, w) + b), cross-correlation, FP32; weights
/// [outChannels, inChannels / groups, kernel...], dense.
struct ConvForwardDesc : ConvRegion {
  /// Zero padding before and after the region (may differ).
  std::vector<int64_t> padsPre, padsPost;
  /// b [outChannels] passed to run.
  bool hasBias = false;
  DnnActivation activation = DnnActivation::None;
  /// LeakyRelu's slope for negative values.
  float alpha = 0;
};

/// The transposed convolution (the data gradient of a convolution with the
/// same weights), weights [inChannels, outChannels / groups, kernel...] (ONNX
/// ConvTranspose), dense: input position i of the region feeds output
/// position i * stride + tap * dilation, with no padding, so
/// outputExtent = (inputExtent - 1) * stride + (kernel - 1) * dilation + 1;
/// the entry point crops it into the op's output and adds the bias.
struct ConvBackwardDataDesc : ConvRegion {};

/// One prepared convolution.
class DnnConv {
public:
  virtual ~DnnConv() = default;
  /// x: the x buffer (inputOffset is added here), w: the weights, b: the bias
  /// or null, y: the output; device pointers. `constantWeights`: w holds the
  /// same values on every call with the same w (the mapped weights), so a
  /// reordered copy may be kept.
  virtual void run(const float *x, const float *w, const float *b, float *y,
                   bool constantWeights) = 0;
};

class Dnn {
public:
  virtual ~Dnn() = default;
  virtual std::unique_ptr<DnnConv> prepare(Device &device, const ConvForwardDesc &desc) = 0;
  virtual std::unique_ptr<DnnConv> prepare(Device &device, const ConvBackwardDataDesc &desc) = 0;
};

/// The host's (oneDNN) implementation: host_dnn.cpp.
std::shared_ptr<Dnn> createHostDnn();
/// The CUDA device's (cuDNN) implementation: cuda/cudnn_dnn.cpp; FP32
/// engines only unless `tf32` (quiltc --tf32: tensor-core engines too).
std::shared_ptr<Dnn> createCudnnDnn(bool tf32);

} // namespace quilt

#endif // QUILT_RUNTIME_DNN_H
