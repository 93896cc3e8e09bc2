// DFT along one dim of the local tensor with FFTW (single precision). The
// compiler keeps the axis whole on every rank (a split axis is moved away by
// quilt_rt_all_to_all first). Complex values are (real, imaginary) pairs in
// the trailing dim; a real input has a trailing dim of 1.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <fftw3.h>

#include <complex>

namespace quilt {
namespace {

/// The cached FFTW plan of one DFT op. Planned with FFTW_ESTIMATE (planning
/// never touches the arrays) and FFTW_UNALIGNED, so it runs on whatever
/// buffers the op gets; FFTW_PRESERVE_INPUT because inputs may be weights.
class DftPlan : public KernelPlan {
public:
  ~DftPlan() override {
    if (plan)
      fftwf_destroy_plan(plan);
  }
  fftwf_plan plan = nullptr;
  /// Real input: the half spectrum FFTW's r2c writes, [outer, n/2+1, inner].
  std::vector<std::complex<float>> half;
};

constexpr unsigned kFlags = FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_PRESERVE_INPUT;

void dft(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int64_t axis = op.attrs.next();
  bool inverse = op.attrs.next() != 0, onesided = op.attrs.next() != 0;
  int rank = x.rank();
  if (rank < 2 || y.rank() != rank || axis < 0 || axis >= rank - 1)
    raise("axis ", axis, " for ranks ", rank, " and ", y.rank());
  int64_t parts = x.extent[rank - 1];
  if ((parts != 1 && parts != 2) || y.extent[rank - 1] != 2)
    raise("trailing dims ", parts, " -> ", y.extent[rank - 1], " (expected 1 or 2 -> 2)");
  if (onesided && (parts != 1 || inverse))
    raise("onesided needs a real input and a forward transform");
  int64_t n = x.extent[axis];
  if (x.dims[axis].isSplit() || n != x.dims[axis].globalSize)
    raise("axis ", axis, " must be whole on every rank");
  int64_t half = n / 2 + 1, nOut = onesided ? half : n;
  for (int d = 0; d < rank - 1; ++d)
    if (y.extent[d] != (d == axis ? nOut : x.extent[d]))
      raise("output extent ", y.extent[d], " on dim ", d, " does not fit the transform");
  int64_t outer = x.product(0, static_cast<int>(axis));
  int64_t inner = x.product(static_cast<int>(axis) + 1, rank - 1);
  if (x.isEmpty() || y.isEmpty())
    return;

  size_t words = op.attrs.position() - params;
  DftPlan *plan = ctx->findPlan<DftPlan>(params, words);
  auto *in = static_cast<float *>(buffers[0]);
  auto *out = static_cast<float *>(buffers[1]);
  if (!plan) {
    auto fresh = std::make_unique<DftPlan>();
    // 64-bit strides: a large local tensor may pass 2^31 elements.
    fftwf_iodim64 transform{n, inner, inner};
    if (parts == 2) {
      fftwf_iodim64 loops[2] = {{outer, n * inner, n * inner}, {inner, 1, 1}};
      fresh->plan = fftwf_plan_guru64_dft(1, &transform, 2, loops,
                                        reinterpret_cast<fftwf_complex *>(in),
                                        reinterpret_cast<fftwf_complex *>(out),
                                        inverse ? FFTW_BACKWARD : FFTW_FORWARD, kFlags);
    } else {
      fresh->half.resize(outer * half * inner);
      fftwf_iodim64 loops[2] = {{outer, n * inner, half * inner}, {inner, 1, 1}};
      fresh->plan = fftwf_plan_guru64_dft_r2c(
          1, &transform, 2, loops, in, reinterpret_cast<fftwf_complex *>(fresh->half.data()),
          kFlags);
    }
    if (!fresh->plan)
      raise("FFTW could not plan a length-", n, " transform");
    plan = &ctx->storePlan(params, words, std::move(fresh));
  }

  if (parts == 2) {
    fftwf_execute_dft(plan->plan, reinterpret_cast<fftwf_complex *>(in),
                      reinterpret_cast<fftwf_complex *>(out));
    if (inverse) {
      float scale = 1.0f / static_cast<float>(n);
      for (int64_t i = 0, total = y.numElements(); i < total; ++i)
        out[i] *= scale;
    }
    return;
  }
  std::complex<float> *h = plan->half.data();
  fftwf_execute_dft_r2c(plan->plan, in, reinterpret_cast<fftwf_complex *>(h));
  // Bins past n/2 mirror the half spectrum (conjugate symmetry of a real
  // signal); the inverse of a real signal is the conjugate forward over n.
  auto *result = reinterpret_cast<std::complex<float> *>(out);
  float scale = inverse ? 1.0f / static_cast<float>(n) : 1.0f;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < nOut; ++k) {
      const std::complex<float> *from = h + (o * half + (k < half ? k : n - k)) * inner;
      std::complex<float> *to = result + (o * nOut + k) * inner;
      bool mirrored = k >= half;
      for (int64_t i = 0; i < inner; ++i) {
        std::complex<float> v = mirrored != inverse ? std::conj(from[i]) : from[i];
        to[i] = v * scale;
      }
    }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_dft(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "dft", [&] { quilt::dft(ctx, params, buffers); });
}
