// quilt_rt_dft against a naive O(n^2) DFT in double precision, for every axis,
// real and complex input, forward, inverse and onesided.
#include "test_support.h"

#include <gtest/gtest.h>

#include <complex>

namespace quilt::test {
namespace {


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

void checkDft(const Shape &signal, int parts, int axis, bool inverse, bool onesided) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {}, {});
  Shape xs = signal;
  xs.push_back(parts);
  int64_t nOut = onesided ? signal[axis] / 2 + 1 : signal[axis];
  Shape ys = signal;
  ys[axis] = nOut;
  ys.push_back(2);
  std::vector<float> x = globalTensor(xs, 7 + axis), y(numElements(ys), -1.f);
  Params p;
  p.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(axis).attr(inverse).attr(onesided);
  void *buffers[] = {x.data(), y.data()};
  // Twice: the second call runs the cached FFTW plan.
  for (int run = 0; run < 2; ++run) {
    quilt_rt_dft(ctx.get(), p.data(), buffers);
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

TEST(Dft, InverseUndoesForward) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {}, {});
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
  auto ctx = makeContext(comm, {}, {});
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
