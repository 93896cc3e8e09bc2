// The Dnn of the CUDA device (libraries/dnn.h) through cuDNN 9's backend
// graph API: per op one operation graph (the convolution, forward or data
// gradient, with the bias ADD and the ReLU / LeakyReLU fused into it as
// pointwise operations), an execution plan from the engine heuristics that
// keeps FP32 FP32 (engines noted as tensor-core or down-converting inputs are
// skipped) and its workspace; each run binds the device pointers in a variant
// pack and executes on the device's compute stream.
//
// Groups are expressed as cuDNN infers them: the filter's channel dim is the
// input's channels per group. 1-D convolutions run as 2-D ones with a unit
// leading spatial dim (cuDNN convolves 2 or 3 spatial dims).
#include "cuda_device.h"
#include "error.h"
#include "libraries/dnn.h"

#include <cudnn.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace quilt {
namespace {

void checkCudnn(cudnnStatus_t status, const char *call) {
  if (status == CUDNN_STATUS_SUCCESS)
    return;
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof detail);
  std::string line = detail;
  for (char &c : line)
    if (c == '\n')
      c = ' ';
  raise("cuDNN ", call, ": ", cudnnGetErrorString(status), line.empty() ? "" : " (",
        line, line.empty() ? "" : ")");
}

/// One handle per process (one GPU per rank), on the device's compute stream.
cudnnHandle_t cudnnFor(CudaDevice &device) {
  static cudnnHandle_t handle = nullptr;
  if (!handle)
    checkCudnn(cudnnCreate(&handle), "cudnnCreate");
  checkCudnn(cudnnSetStream(handle, device.computeStream()), "cudnnSetStream");
  return handle;
}

/// An owned backend descriptor.
class Descriptor {
public:
  explicit Descriptor(cudnnBackendDescriptorType_t type) {
    checkCudnn(cudnnBackendCreateDescriptor(type, &desc_), "cudnnBackendCreateDescriptor");
  }
  Descriptor(Descriptor &&other) noexcept : desc_(std::exchange(other.desc_, nullptr)) {}
  Descriptor &operator=(Descriptor &&other) noexcept {
    std::swap(desc_, other.desc_);
    return *this;
  }
  Descriptor(const Descriptor &) = delete;
  Descriptor &operator=(const Descriptor &) = delete;
  ~Descriptor() {
    if (desc_)
      cudnnBackendDestroyDescriptor(desc_);
  }
  cudnnBackendDescriptor_t get() const { return desc_; }

  Descriptor &set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type,
                  int64_t count, const void *values) {
    checkCudnn(cudnnBackendSetAttribute(desc_, name, type, count, values),
               "cudnnBackendSetAttribute");
    return *this;
  }
  Descriptor &setInts(cudnnBackendAttributeName_t name, const std::vector<int64_t> &values) {
    return set(name, CUDNN_TYPE_INT64, static_cast<int64_t>(values.size()), values.data());
  }
  Descriptor &setInt(cudnnBackendAttributeName_t name, int64_t value) {
    return set(name, CUDNN_TYPE_INT64, 1, &value);
  }
  Descriptor &setDesc(cudnnBackendAttributeName_t name, const Descriptor &value) {
    cudnnBackendDescriptor_t d = value.get();
    return set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &d);
  }
  Descriptor &finalize() {
    checkCudnn(cudnnBackendFinalize(desc_), "cudnnBackendFinalize");
    return *this;
  }

private:
  cudnnBackendDescriptor_t desc_ = nullptr;
};

std::vector<int64_t> denseStridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

Descriptor tensor(int64_t uid, const std::vector<int64_t> &dims, const std::vector<int64_t> &strides,
                  int64_t alignment, bool isVirtual = false) {
  Descriptor t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  bool virt = isVirtual;
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type)
      .setInts(CUDNN_ATTR_TENSOR_DIMENSIONS, dims)
      .setInts(CUDNN_ATTR_TENSOR_STRIDES, strides)
      .setInt(CUDNN_ATTR_TENSOR_UNIQUE_ID, uid)
      .setInt(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, alignment)
      .set(CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &virt)
      .finalize();
  return t;
}

enum Uid : int64_t { kX = 1, kW = 2, kB = 3, kY = 4, kConvOut = 100, kBiasOut = 101 };

/// Alignment the plan assumes for every pointer but x's (device allocations
/// and the arena are at least 256-byte aligned, the weights 64).
constexpr int64_t kAlignment = 16;

/// The spatial parts of a convolution as cuDNN wants them: 2 or 3 dims.
struct Spatial {
  std::vector<int64_t> input, inputStrides, kernel, output, strides, dilations, pre, post;
};

Spatial liftSpatial(const ConvRegion &r, const std::vector<int64_t> &pre,
                    const std::vector<int64_t> &post) {
  Spatial s{r.inputExtent, {r.inputStrides.begin() + 2, r.inputStrides.end()}, r.kernel,
            r.outputExtent, r.strides, r.dilations, pre, post};
  if (r.spatial == 1) {
    int64_t outer = r.inputStrides[1]; // a unit dim: any stride
    s.input.insert(s.input.begin(), 1);
    s.inputStrides.insert(s.inputStrides.begin(), outer);
    s.kernel.insert(s.kernel.begin(), 1);
    s.output.insert(s.output.begin(), 1);
    for (auto *v : {&s.strides, &s.dilations})
      v->insert(v->begin(), 1);
    for (auto *v : {&s.pre, &s.post})
      v->insert(v->begin(), 0);
  }
  return s;
}

Descriptor convolution(const Spatial &s) {
  Descriptor c(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  cudnnDataType_t comp = CUDNN_DATA_FLOAT;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  c.setInt(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, static_cast<int64_t>(s.kernel.size()))
      .set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp)
      .set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode)
      .setInts(CUDNN_ATTR_CONVOLUTION_DILATIONS, s.dilations)
      .setInts(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, s.strides)
      .setInts(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, s.pre)
      .setInts(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, s.post)
      .finalize();
  return c;
}

Descriptor pointwise(cudnnPointwiseMode_t mode, double lowerClipSlope = 0) {
  Descriptor p(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
  cudnnDataType_t prec = CUDNN_DATA_FLOAT;
  p.set(CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode)
      .set(CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec);
  if (mode == CUDNN_POINTWISE_RELU_FWD && lowerClipSlope != 0)
    p.set(CUDNN_ATTR_POINTWISE_RELU_LOWER_CLIP_SLOPE, CUDNN_TYPE_DOUBLE, 1, &lowerClipSlope);
  p.finalize();
  return p;
}

/// Whether `config`'s engine computes in float32: no tensor cores (TF32
/// inputs) unless `tf32`, and never down-converted inputs (FP16) or reduced
/// precision reductions.
bool computesAsAllowed(const Descriptor &config, bool tf32) {
  Descriptor engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  cudnnBackendDescriptor_t e = engine.get();
  int64_t count = 0;
  checkCudnn(cudnnBackendGetAttribute(config.get(), CUDNN_ATTR_ENGINECFG_ENGINE,
                                      CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &count, &e),
             "cudnnBackendGetAttribute(ENGINECFG_ENGINE)");
  cudnnBackendNumericalNote_t notes[CUDNN_NUMERICAL_NOTE_TYPE_COUNT];
  count = 0;
  checkCudnn(cudnnBackendGetAttribute(e, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE,
                                      CUDNN_TYPE_NUMERICAL_NOTE, CUDNN_NUMERICAL_NOTE_TYPE_COUNT,
                                      &count, notes),
             "cudnnBackendGetAttribute(ENGINE_NUMERICAL_NOTE)");
  for (int64_t i = 0; i < count; ++i)
    if ((notes[i] == CUDNN_NUMERICAL_NOTE_TENSOR_CORE && !tf32) ||
        notes[i] == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS ||
        notes[i] == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION)
      return false;
  return true;
}

/// The first execution plan the heuristics (mode A, then the fallback list)
/// offer for `graph` whose engine computes as allowed (FP32, or TF32 on
/// tensor cores when `tf32`) and that finalizes.
Descriptor executionPlan(cudnnHandle_t handle, const Descriptor &graph, bool tf32) {
  for (cudnnBackendHeurMode_t mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    Descriptor heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
    heur.setDesc(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph)
        .set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &mode)
        .finalize();
    int64_t count = 0;
    checkCudnn(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                        CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr),
               "cudnnBackendGetAttribute(ENGINEHEUR_RESULTS)");
    std::vector<Descriptor> configs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < count; ++i) {
      configs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
      raw.push_back(configs.back().get());
    }
    int64_t got = 0;
    if (count > 0)
      checkCudnn(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS,
                                          CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &got, raw.data()),
                 "cudnnBackendGetAttribute(ENGINEHEUR_RESULTS)");
    for (int64_t i = 0; i < got; ++i) {
      if (!computesAsAllowed(configs[i], tf32))
        continue;
      Descriptor plan(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR);
      plan.set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle)
          .setDesc(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, configs[i]);
      // An engine may still refuse these shapes: try the next one.
      if (cudnnBackendFinalize(plan.get()) == CUDNN_STATUS_SUCCESS)
        return plan;
    }
  }
  raise("cuDNN offers no ",
        tf32 ? "FP32 or TF32 engine (without down-converted inputs)"
             : "FP32 engine (without tensor cores or down-converted inputs)",
        " for this convolution");
}

Descriptor operationGraph(cudnnHandle_t handle, const std::vector<const Descriptor *> &ops) {
  std::vector<cudnnBackendDescriptor_t> raw;
  for (const Descriptor *op : ops)
    raw.push_back(op->get());
  Descriptor graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle)
      .set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
           static_cast<int64_t>(raw.size()), raw.data())
      .finalize();
  return graph;
}

/// A finalized execution plan, its workspace and the uids it binds.
class CudnnConv : public DnnConv {
public:
  CudnnConv(CudaDevice &device, Descriptor plan, int64_t inputOffset, int64_t inputAlignment)
      : device_(device), plan_(std::move(plan)), inputOffset_(inputOffset),
        inputAlignment_(inputAlignment) {
    int64_t bytes = 0, count = 0;
    checkCudnn(cudnnBackendGetAttribute(plan_.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                        CUDNN_TYPE_INT64, 1, &count, &bytes),
               "cudnnBackendGetAttribute(EXECUTION_PLAN_WORKSPACE_SIZE)");
    workspace_ = DeviceBuffer(device, static_cast<size_t>(bytes));
  }

  void run(const float *x, const float *w, const float *b, float *y, bool) override {
    const float *input = x + inputOffset_;
    std::vector<int64_t> uids{kX, kW, kY};
    std::vector<void *> pointers{const_cast<float *>(input), const_cast<float *>(w), y};
    if (b) {
      uids.push_back(kB);
      pointers.push_back(const_cast<float *>(b));
    }
    for (size_t i = 0; i < pointers.size(); ++i) {
      int64_t alignment = uids[i] == kX ? inputAlignment_ : kAlignment;
      if (reinterpret_cast<uintptr_t>(pointers[i]) % alignment != 0)
        raise("cuDNN convolution: operand ", uids[i], " is not ", alignment, "-byte aligned");
    }
    void *workspace = workspace_.data();
    Descriptor pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
    pack.setInts(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, uids)
        .set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR,
             static_cast<int64_t>(pointers.size()), pointers.data())
        .set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace)
        .finalize();
    checkCudnn(cudnnBackendExecute(cudnnFor(device_), plan_.get(), pack.get()),
               "cudnnBackendExecute");
  }

private:
  CudaDevice &device_;
  Descriptor plan_;
  DeviceBuffer workspace_;
  int64_t inputOffset_, inputAlignment_;
};

CudaDevice &cudaDeviceOf(Device &device) {
  auto *cuda = dynamic_cast<CudaDevice *>(&device);
  if (!cuda)
    raise("cuDNN convolutions need the CUDA device, not ", device.name());
  return *cuda;
}

int64_t inputAlignment(int64_t offset) { return offset % (kAlignment / 4) == 0 ? kAlignment : 4; }

class CudnnDnn : public Dnn {
public:
  explicit CudnnDnn(bool tf32) : tf32_(tf32) {}

  std::unique_ptr<DnnConv> prepare(Device &device, const ConvForwardDesc &d) override {
    CudaDevice &cuda = cudaDeviceOf(device);
    cudnnHandle_t handle = cudnnFor(cuda);
    Spatial s = liftSpatial(d, d.padsPre, d.padsPost);
    std::vector<int64_t> xDims{d.batch, d.inChannels}, xStrides{d.inputStrides[0],
                                                                d.inputStrides[1]};
    std::vector<int64_t> wDims{d.outChannels, d.inChannels / d.groups}, yDims{d.batch,
                                                                             d.outChannels};
    std::vector<int64_t> bDims{1, d.outChannels};
    xDims.insert(xDims.end(), s.input.begin(), s.input.end());
    xStrides.insert(xStrides.end(), s.inputStrides.begin(), s.inputStrides.end());
    wDims.insert(wDims.end(), s.kernel.begin(), s.kernel.end());
    yDims.insert(yDims.end(), s.output.begin(), s.output.end());
    bDims.resize(yDims.size(), 1);
    int64_t xAlignment = inputAlignment(d.inputOffset);
    Descriptor x = tensor(kX, xDims, xStrides, xAlignment);
    Descriptor w = tensor(kW, wDims, denseStridesOf(wDims), kAlignment);
    Descriptor y = tensor(kY, yDims, denseStridesOf(yDims), kAlignment);
    bool act = d.activation != DnnActivation::None;
    // conv -> [+ bias] -> [relu], intermediates virtual.
    Descriptor convOut = d.hasBias || act
                             ? tensor(kConvOut, yDims, denseStridesOf(yDims), kAlignment, true)
                             : tensor(kY, yDims, denseStridesOf(yDims), kAlignment);
    Descriptor conv = convolution(s);
    float alpha = 1.f, beta = 0.f;
    Descriptor convOp(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
    convOp.setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, conv)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, x)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, w)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, convOut)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta)
        .finalize();
    std::vector<Descriptor> owned;
    owned.reserve(8);
    std::vector<const Descriptor *> ops{&convOp};
    const Descriptor *last = &convOut;
    if (d.hasBias) {
      Descriptor &b = owned.emplace_back(tensor(kB, bDims, denseStridesOf(bDims), kAlignment));
      Descriptor &sum = owned.emplace_back(
          act ? tensor(kBiasOut, yDims, denseStridesOf(yDims), kAlignment, true)
              : tensor(kY, yDims, denseStridesOf(yDims), kAlignment));
      Descriptor &add = owned.emplace_back(pointwise(CUDNN_POINTWISE_ADD));
      Descriptor &op = owned.emplace_back(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
      op.setDesc(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, add)
          .setDesc(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, *last)
          .setDesc(CUDNN_ATTR_OPERATION_POINTWISE_BDESC, b)
          .setDesc(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, sum)
          .finalize();
      ops.push_back(&op);
      last = &sum;
    }
    if (act) {
      double slope = d.activation == DnnActivation::LeakyRelu ? d.alpha : 0.0;
      Descriptor &relu = owned.emplace_back(pointwise(CUDNN_POINTWISE_RELU_FWD, slope));
      Descriptor &op = owned.emplace_back(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
      op.setDesc(CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, relu)
          .setDesc(CUDNN_ATTR_OPERATION_POINTWISE_XDESC, *last)
          .setDesc(CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y)
          .finalize();
      ops.push_back(&op);
    }
    Descriptor graph = operationGraph(handle, ops);
    return std::make_unique<CudnnConv>(cuda, executionPlan(handle, graph, tf32_), d.inputOffset,
                                       xAlignment);
  }

  std::unique_ptr<DnnConv> prepare(Device &device, const ConvBackwardDataDesc &d) override {
    CudaDevice &cuda = cudaDeviceOf(device);
    cudnnHandle_t handle = cudnnFor(cuda);
    std::vector<int64_t> zeros(d.spatial, 0);
    Spatial s = liftSpatial(d, zeros, zeros);
    // In the forward convolution it is the data gradient of, the op's input
    // is dy [batch, inChannels, ...], its output dx [batch, outChannels, ...]
    // and the weights [inChannels, outChannels / groups, ...].
    std::vector<int64_t> dyDims{d.batch, d.inChannels}, dyStrides{d.inputStrides[0],
                                                                  d.inputStrides[1]};
    std::vector<int64_t> wDims{d.inChannels, d.outChannels / d.groups}, dxDims{d.batch,
                                                                              d.outChannels};
    dyDims.insert(dyDims.end(), s.input.begin(), s.input.end());
    dyStrides.insert(dyStrides.end(), s.inputStrides.begin(), s.inputStrides.end());
    wDims.insert(wDims.end(), s.kernel.begin(), s.kernel.end());
    dxDims.insert(dxDims.end(), s.output.begin(), s.output.end());
    int64_t xAlignment = inputAlignment(d.inputOffset);
    Descriptor dy = tensor(kX, dyDims, dyStrides, xAlignment);
    Descriptor w = tensor(kW, wDims, denseStridesOf(wDims), kAlignment);
    Descriptor dx = tensor(kY, dxDims, denseStridesOf(dxDims), kAlignment);
    Descriptor conv = convolution(s);
    float alpha = 1.f, beta = 0.f;
    Descriptor op(CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR);
    op.setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC, conv)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY, dy)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W, w)
        .setDesc(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX, dx)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha)
        .set(CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA, CUDNN_TYPE_FLOAT, 1, &beta)
        .finalize();
    Descriptor graph = operationGraph(handle, {&op});
    return std::make_unique<CudnnConv>(cuda, executionPlan(handle, graph, tf32_), d.inputOffset,
                                       xAlignment);
  }

private:
  bool tf32_;
};

} // namespace

std::shared_ptr<Dnn> createCudnnDnn(bool tf32) { return std::make_shared<CudnnDnn>(tf32); }

} // namespace quilt
