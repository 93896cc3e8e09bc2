// DFT along one dim of the local tensor: the backend's FFT library
// (libraries/fft.h: FFTW, cuFFT) and Quilt's kernels (dft_kernels.h) for the
// rest. The compiler keeps the axis whole on every rank (a split axis is
// moved away by quilt_rt_all_to_all first). Complex values are (real,
// imaginary) pairs in the trailing dim; a real input has a trailing dim of 1.
#include "context.h"
#include "dft_kernels.h"
#include "error.h"
#include "layout.h"
#include "libraries/fft.h"

namespace quilt {
namespace {

/// The cached library plan of one DFT op, and a copy of the input when it
/// overlaps the output (the libraries transform out of place).
class DftPlan : public KernelPlan {
public:
  std::unique_ptr<FftPlan> fft;
  DeviceBuffer input;
};

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
  int64_t nOut = onesided ? n / 2 + 1 : n;
  for (int d = 0; d < rank - 1; ++d)
    if (y.extent[d] != (d == axis ? nOut : x.extent[d]))
      raise("output extent ", y.extent[d], " on dim ", d, " does not fit the transform");
  FftShape shape;
  shape.outer = x.product(0, static_cast<int>(axis));
  shape.n = n;
  shape.inner = x.product(static_cast<int>(axis) + 1, rank - 1);
  shape.outN = nOut;
  shape.realInput = parts == 1;
  // A real input's inverse is the conjugate of its forward (DftCompleteKernel).
  shape.inverse = inverse && parts == 2;
  if (x.isEmpty() || y.isEmpty())
    return;
  if (!ctx->libraries.fft)
    raise("the backend of ", ctx->device.name(), " has no FFT library");

  size_t words = op.attrs.position() - params;
  DftPlan *plan = ctx->findPlan<DftPlan>(params, words);
  if (!plan) {
    auto fresh = std::make_unique<DftPlan>();
    fresh->fft = ctx->libraries.fft->plan(ctx->device, shape);
    plan = &ctx->storePlan(params, words, std::move(fresh));
  }

  const auto *in = static_cast<const float *>(buffers[0]);
  auto *out = static_cast<float *>(buffers[1]);
  size_t inBytes = x.numElements() * sizeof(float), outBytes = y.numElements() * sizeof(float);
  auto inAt = reinterpret_cast<uintptr_t>(in), outAt = reinterpret_cast<uintptr_t>(out);
  if (inAt < outAt + outBytes && outAt < inAt + inBytes) {
    plan->input.reserve(ctx->device, inBytes);
    ctx->device.copy(plan->input.data(), in, inBytes, CopyKind::DeviceToDevice);
    in = plan->input.floats();
  }
  plan->fft->execute(in, out);

  float scale = inverse ? 1.0f / static_cast<float>(n) : 1.0f;
  if (parts == 2) {
    if (inverse)
      ctx->device.launch(DftScaleKernel{out, y.numElements(), scale});
    return;
  }
  // The library wrote bins 0..n/2 of each signal; a onesided forward is
  // done, otherwise mirror the rest (and conjugate and scale the inverse).
  if (!onesided)
    ctx->device.launch(DftCompleteKernel{out, shape.outer, n, shape.inner, inverse, scale});
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_dft(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "dft", [&] { quilt::dft(ctx, params, buffers); });
}
