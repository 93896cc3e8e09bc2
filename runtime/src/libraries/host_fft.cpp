// The Fft of the host devices (fft.h) through FFTW, single precision. Device
// memory of the host device and the emulated CUDA device is host memory, so
// the plans compute on the pointers directly, at once.
#include "libraries/fft.h"

#include "error.h"

#include <fftw3.h>

namespace quilt {
namespace {

/// Planned with FFTW_ESTIMATE (planning never touches the arrays) and
/// FFTW_UNALIGNED, so it runs on whatever buffers it gets;
/// FFTW_PRESERVE_INPUT because inputs may be weights. FFTW plans for the
/// arrays it is given (in-place or not), so the plan is made at the first
/// execute, with the op's buffers (never overlapping: fft.h).
class HostFftPlan final : public FftPlan {
public:
  explicit HostFftPlan(const FftShape &shape) : shape_(shape) {}
  ~HostFftPlan() override {
    if (plan_)
      fftwf_destroy_plan(plan_);
  }
  HostFftPlan(const HostFftPlan &) = delete;
  HostFftPlan &operator=(const HostFftPlan &) = delete;

  void execute(const float *in, float *out) override {
    // FFTW_PRESERVE_INPUT: the input is only read, whatever the signature.
    auto *input = const_cast<float *>(in);
    if (!plan_)
      makePlan(input, out);
    if (shape_.realInput)
      fftwf_execute_dft_r2c(plan_, input, reinterpret_cast<fftwf_complex *>(out));
    else
      fftwf_execute_dft(plan_, reinterpret_cast<fftwf_complex *>(input),
                        reinterpret_cast<fftwf_complex *>(out));
  }

private:
  static constexpr unsigned kFlags = FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_PRESERVE_INPUT;

  void makePlan(float *in, float *out) {
    const FftShape &s = shape_;
    // 64-bit strides: a large local tensor may pass 2^31 elements.
    fftwf_iodim64 transform{s.n, s.inner, s.inner};
    fftwf_iodim64 loops[2] = {{s.outer, s.n * s.inner, s.outN * s.inner}, {s.inner, 1, 1}};
    if (s.realInput)
      plan_ = fftwf_plan_guru64_dft_r2c(1, &transform, 2, loops, in,
                                        reinterpret_cast<fftwf_complex *>(out), kFlags);
    else
      plan_ = fftwf_plan_guru64_dft(1, &transform, 2, loops, reinterpret_cast<fftwf_complex *>(in),
                                    reinterpret_cast<fftwf_complex *>(out),
                                    s.inverse ? FFTW_BACKWARD : FFTW_FORWARD, kFlags);
    if (!plan_)
      raise("FFTW could not plan a length-", s.n, " transform");
  }

  FftShape shape_;
  fftwf_plan plan_ = nullptr;
};

class HostFft final : public Fft {
public:
  std::unique_ptr<FftPlan> plan(Device &, const FftShape &shape) override {
    return std::make_unique<HostFftPlan>(shape);
  }
};

} // namespace

std::shared_ptr<Fft> createHostFft() { return std::make_shared<HostFft>(); }

} // namespace quilt
