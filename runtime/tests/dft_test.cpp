// quilt_rt_dft against a naive O(n^2) DFT in double precision, for every axis,
// real and complex input, forward, inverse and onesided.
#include "test_support.h"

#include "emulated_cuda_device.h"
#include "libraries/fft.h"

#include <gtest/gtest.h>

#include <complex>

namespace quilt::test {
namespace {

/// A test context on `device` with the host's FFT library (FFTW: the CPU
/// and emulated CUDA backends'), one per process.
std::unique_ptr<quilt_rt_ctx> dftContext(Communicator &comm, Device &device = hostDevice()) {
  static std::shared_ptr<Fft> fft = createHostFft();
  auto ctx = std::make_unique<quilt_rt_ctx>(comm, Shape{}, 0, 64, device);
  ctx->onError = [](const std::string &m) { throw Error(m); };
  ctx->libraries.fft = fft.get();
  return ctx;
}


/// ONNX DFT semantics on a [..., 1 or 2] tensor, in double.
std::vector<std::complex<double>> naiveDft(const std::vector<float> &x, const Shape &xs, int axis,
                                           bool inverse, int64_t nOut) {
  int rank = static_cast<int>(xs.size());
  int64_t parts = xs[rank - 1], n = xs[axis];
  Shape ys(xs.begin(), xs.end() - 1);
  ys[axis] = nOut;
  std::vector<std::complex<double>> y(numElements(ys));
  Shape signal(xs.begin(), xs.end() - 1);
  double sign = inverse ? 1.0 : -1.0;
  forEachIndex(ys, [&](const Shape &out) {
    std::complex<double> sum = 0;
    Shape in = out;
    for (int64_t j = 0; j < n; ++j) {
      in[axis] = j;
      int64_t at = linearIndex(signal, in) * parts;
      std::complex<double> v(x[at], parts == 2 ? x[at + 1] : 0.0);
      double angle = sign * 2 * M_PI * double(j) * double(out[axis]) / double(n);
      sum += v * std::complex<double>(std::cos(angle), std::sin(angle));
    }
    y[linearIndex(ys, out)] = inverse ? sum / double(n) : sum;
  });
  return y;
}

/// On the host device, or (emulated) on the emulated CUDA device, whose
/// grids run the kernels' per-index bodies.
void checkDft(const Shape &signal, int parts, int axis, bool inverse, bool onesided,
              bool emulated = false) {
  SelfCommunicator comm;
  EmulatedCudaDevice emulatedDevice;
  Device &device = emulated ? static_cast<Device &>(emulatedDevice) : hostDevice();
  auto ctx = dftContext(comm, device);
  Shape xs = signal;
  xs.push_back(parts);
  int64_t nOut = onesided ? signal[axis] / 2 + 1 : signal[axis];
  Shape ys = signal;
  ys[axis] = nOut;
  ys.push_back(2);
  std::vector<float> x = globalTensor(xs, 7 + axis), y(numElements(ys), -1.f);
  Params p;
  p.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(axis).attr(inverse).attr(onesided);
  size_t xBytes = x.size() * sizeof(float), yBytes = y.size() * sizeof(float);
  DeviceBuffer dx(device, xBytes), dy(device, yBytes);
  device.copy(dx.data(), x.data(), xBytes, CopyKind::HostToDevice);
  void *buffers[] = {dx.data(), dy.data()};
  // Twice: the second call runs the cached FFTW plan.
  for (int run = 0; run < 2; ++run) {
    quilt_rt_dft(ctx.get(), p.data(), buffers);
    device.copy(y.data(), dy.data(), yBytes, CopyKind::DeviceToHost);
    std::vector<std::complex<double>> ref = naiveDft(x, xs, axis, inverse, nOut);
    double scale = 0, err = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      scale = std::max(scale, std::abs(ref[i]));
      err = std::max(err, std::abs(ref[i] - std::complex<double>(y[2 * i], y[2 * i + 1])));
    }
    EXPECT_LE(err, 1e-5 * scale) << "signal " << shapeString(signal) << " parts " << parts
                                 << " axis " << axis << " inverse " << inverse << " onesided "
                                 << onesided;
  }
}

TEST(Dft, ComplexForwardAndInverseOnEveryAxis) {
  for (Shape signal : {Shape{2, 7, 6}, Shape{3, 16}, Shape{1, 5, 4, 9}})
    for (int axis = 0; axis < static_cast<int>(signal.size()); ++axis)
      for (bool inverse : {false, true})
        checkDft(signal, 2, axis, inverse, false);
}

TEST(Dft, RealInputFullOnesidedAndInverse) {
  for (Shape signal : {Shape{2, 7, 6}, Shape{4, 8}, Shape{1, 1}})
    for (int axis = 0; axis < static_cast<int>(signal.size()); ++axis) {
      checkDft(signal, 1, axis, false, false);
      checkDft(signal, 1, axis, false, true);
      checkDft(signal, 1, axis, true, false);
    }
}

TEST(Dft, EmulatedCudaDeviceRunsTheKernelsAsGrids) {
  for (Shape signal : {Shape{2, 7, 6}, Shape{4, 8}})
    for (int axis = 0; axis < static_cast<int>(signal.size()); ++axis) {
      checkDft(signal, 2, axis, true, false, true);
      checkDft(signal, 1, axis, false, false, true);
      checkDft(signal, 1, axis, false, true, true);
      checkDft(signal, 1, axis, true, false, true);
    }
}

/// The libraries transform out of place: an input that overlaps the output
/// is copied first.
TEST(Dft, OverlappingBuffers) {
  SelfCommunicator comm;
  auto ctx = dftContext(comm);
  for (int parts : {1, 2}) {
    Shape xs{3, 10, parts}, ys{3, 10, 2};
    std::vector<float> x = globalTensor(xs, 11), want(numElements(ys)), y(numElements(ys));
    Params p;
    p.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(1).attr(1).attr(0);
    void *apart[] = {x.data(), want.data()};
    quilt_rt_dft(ctx.get(), p.data(), apart);
    std::copy(x.begin(), x.end(), y.begin());
    void *overlapping[] = {y.data(), y.data()};
    quilt_rt_dft(ctx.get(), p.data(), overlapping);
    EXPECT_EQ(y, want) << "parts " << parts;
  }
}

TEST(Dft, InverseUndoesForward) {
  SelfCommunicator comm;
  auto ctx = dftContext(comm);
  Shape s{3, 10, 2};
  std::vector<float> x = globalTensor(s, 3), f(x.size()), back(x.size());
  Params forward, inverse;
  forward.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(1).attr(0).attr(0);
  inverse.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(1).attr(1).attr(0);
  void *fb[] = {x.data(), f.data()}, *bb[] = {f.data(), back.data()};
  quilt_rt_dft(ctx.get(), forward.data(), fb);
  quilt_rt_dft(ctx.get(), inverse.data(), bb);
  EXPECT_LE(maxAbsDiff(back, x), 1e-5);
}

TEST(Dft, BadLayoutsAreErrors) {
  SelfCommunicator comm;
  auto ctx = dftContext(comm);
  Shape xs{4, 2}, ys{3, 2};
  std::vector<float> x(8), y(6);
  void *buffers[] = {x.data(), y.data()};
  Params wrongExtent, complexOnesided, trailing;
  wrongExtent.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(0).attr(0).attr(0);
  EXPECT_THROW(quilt_rt_dft(ctx.get(), wrongExtent.data(), buffers), Error);
  complexOnesided.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(0).attr(0).attr(1);
  EXPECT_THROW(quilt_rt_dft(ctx.get(), complexOnesided.data(), buffers), Error);
  trailing.tensor(wholeDims(xs)).tensor(wholeDims(xs)).attr(1).attr(0).attr(0);
  EXPECT_THROW(quilt_rt_dft(ctx.get(), trailing.data(), buffers), Error);
}

} // namespace
} // namespace quilt::test
