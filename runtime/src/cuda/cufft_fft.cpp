// The Fft of the CUDA device (libraries/fft.h) through cuFFT, single
// precision, on the device's compute stream. cuFFT batches along one
// distance: with the axis innermost a plan is one call (istride 1, idist n,
// batch outer); otherwise each call transforms a strided batch (stride
// inner) and the plan loops over the other dim, whichever of outer and inner
// takes fewer calls. The work area is device memory the plan owns
// (auto-allocation off).
#include "cuda_device.h"
#include "error.h"
#include "libraries/fft.h"

#include <cufft.h>

namespace quilt {
namespace {

const char *cufftResultName(cufftResult result) {
  switch (result) {
#define QUILT_CUFFT_RESULT(R)                                                                    \
  case R:                                                                                        \
    return #R;
    QUILT_CUFFT_RESULT(CUFFT_SUCCESS)
    QUILT_CUFFT_RESULT(CUFFT_INVALID_PLAN)
    QUILT_CUFFT_RESULT(CUFFT_ALLOC_FAILED)
    QUILT_CUFFT_RESULT(CUFFT_INVALID_TYPE)
    QUILT_CUFFT_RESULT(CUFFT_INVALID_VALUE)
    QUILT_CUFFT_RESULT(CUFFT_INTERNAL_ERROR)
    QUILT_CUFFT_RESULT(CUFFT_EXEC_FAILED)
    QUILT_CUFFT_RESULT(CUFFT_SETUP_FAILED)
    QUILT_CUFFT_RESULT(CUFFT_INVALID_SIZE)
    QUILT_CUFFT_RESULT(CUFFT_UNALIGNED_DATA)
    QUILT_CUFFT_RESULT(CUFFT_INVALID_DEVICE)
    QUILT_CUFFT_RESULT(CUFFT_NO_WORKSPACE)
    QUILT_CUFFT_RESULT(CUFFT_NOT_IMPLEMENTED)
    QUILT_CUFFT_RESULT(CUFFT_NOT_SUPPORTED)
    QUILT_CUFFT_RESULT(CUFFT_MISSING_DEPENDENCY)
    QUILT_CUFFT_RESULT(CUFFT_NVRTC_FAILURE)
    QUILT_CUFFT_RESULT(CUFFT_NVJITLINK_FAILURE)
    QUILT_CUFFT_RESULT(CUFFT_NVSHMEM_FAILURE)
#undef QUILT_CUFFT_RESULT
  }
  return "unknown cufftResult";
}

/// cuFFT has no error text: the result's name and number.
void checkCufft(cufftResult result, const char *call) {
  if (result != CUFFT_SUCCESS)
    raise("cuFFT ", call, ": ", cufftResultName(result), " (", static_cast<int>(result), ")");
}

/// A cuFFT handle, destroyed with its owner (also when a constructor throws).
struct CufftHandle {
  CufftHandle() { checkCufft(cufftCreate(&handle), "cufftCreate"); }
  ~CufftHandle() { cufftDestroy(handle); }
  CufftHandle(const CufftHandle &) = delete;
  CufftHandle &operator=(const CufftHandle &) = delete;
  cufftHandle handle = CUFFT_PLAN_NULL;
};

class CufftPlan final : public FftPlan {
public:
  CufftPlan(CudaDevice &device, const FftShape &s) : shape_(s) {
    checkCufft(cufftSetAutoAllocation(handle_, 0), "cufftSetAutoAllocation");
    long long n = s.n, inEmbed = s.n, outEmbed = s.outN;
    long long istride = 1, idist = s.n, ostride = 1, odist = s.outN, batch = s.outer;
    if (s.inner != 1) {
      istride = ostride = s.inner;
      // One call per outer index over a batch of `inner` interleaved signals,
      // or one call per inner index over `outer` signals n * inner apart.
      if (s.outer <= s.inner) {
        idist = odist = 1;
        batch = s.inner;
        calls_ = s.outer;
        inStep_ = s.n * s.inner;
        outStep_ = s.outN * s.inner;
      } else {
        idist = s.n * s.inner;
        odist = s.outN * s.inner;
        batch = s.outer;
        calls_ = s.inner;
        inStep_ = outStep_ = 1;
      }
    }
    size_t workBytes = 0;
    checkCufft(cufftMakePlanMany64(handle_, 1, &n, &inEmbed, istride, idist, &outEmbed, ostride,
                                   odist, s.realInput ? CUFFT_R2C : CUFFT_C2C, batch, &workBytes),
               "cufftMakePlanMany64");
    work_ = DeviceBuffer(device, workBytes);
    checkCufft(cufftSetWorkArea(handle_, work_.data()), "cufftSetWorkArea");
    checkCufft(cufftSetStream(handle_, device.computeStream()), "cufftSetStream");
  }

  void execute(const float *in, float *out) override {
    // cuFFT leaves the input of an out-of-place C2C and R2C as it was.
    auto *input = const_cast<float *>(in);
    // In floats: a real input advances one float per element, complex two.
    int64_t inFloats = shape_.realInput ? 1 : 2;
    for (int64_t c = 0; c < calls_; ++c) {
      float *from = input + c * inStep_ * inFloats;
      auto *to = reinterpret_cast<cufftComplex *>(out) + c * outStep_;
      if (shape_.realInput)
        checkCufft(cufftExecR2C(handle_, from, to), "cufftExecR2C");
      else
        checkCufft(cufftExecC2C(handle_, reinterpret_cast<cufftComplex *>(from), to,
                                shape_.inverse ? CUFFT_INVERSE : CUFFT_FORWARD),
                   "cufftExecC2C");
    }
  }

private:
  FftShape shape_;
  /// Declared before the handle: freed after it.
  DeviceBuffer work_;
  CufftHandle owned_;
  cufftHandle handle_ = owned_.handle;
  /// Calls per execute, and the elements each call's input and output
  /// start after the previous one's.
  int64_t calls_ = 1, inStep_ = 0, outStep_ = 0;
};

class CufftFft final : public Fft {
public:
  std::unique_ptr<FftPlan> plan(Device &device, const FftShape &shape) override {
    auto *cuda = dynamic_cast<CudaDevice *>(&device);
    if (!cuda)
      raise("cuFFT needs the CUDA device, not ", device.name());
    return std::make_unique<CufftPlan>(*cuda, shape);
  }
};

} // namespace

std::shared_ptr<Fft> createCufftFft() { return std::make_shared<CufftFft>(); }

} // namespace quilt
