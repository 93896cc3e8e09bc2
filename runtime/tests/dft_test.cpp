// quilt_rt_dft against a naive O(n^2) DFT in double precision, for every axis,
// real and complex input, forward, inverse and onesided; and the block math of
// quilt_rt_all_to_all (what each rank sends and receives) against a direct
// enumeration of the global tensor.
#include "all_to_all_blocks.h"
#include "quilt/comm_bytes.h"
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

/// Every rank's send boxes, unpacked at every receiver, rebuild each
/// receiver's output block from the global tensor; bytes match allToAllBytes.
void checkBlocks(const Shape &global, int from, int to, int64_t parts) {
  std::vector<float> g = globalTensor(global, 5);
  auto localShape = [&](int64_t coord, int splitDim) {
    Shape s = global;
    s[splitDim] = blockSize(global[splitDim], parts, coord);
    return s;
  };
  // Each rank's input: its block of `from`, all of `to`.
  std::vector<std::vector<float>> inputs;
  for (int64_t c = 0; c < parts; ++c) {
    std::vector<Dim> dims = wholeDims(global);
    dims[from] = split(global[from], 0);
    inputs.push_back(localPart(g, dims, {parts}, {c}));
  }
  for (int64_t me = 0; me < parts; ++me) {
    Shape outShape = localShape(me, to);
    std::vector<float> out(numElements(outShape), NAN);
    for (int64_t peer = 0; peer < parts; ++peer) {
      Shape inShape = localShape(peer, from);
      AllToAllBlocks sent =
          allToAllBlocks(inShape, from, to, global[from], global[to], parts, peer);
      AllToAllBlocks got =
          allToAllBlocks(localShape(me, from), from, to, global[from], global[to], parts, me);
      // What `peer` sends `me` is the box `me` expects from `peer`.
      ASSERT_EQ(sent.sendExtent[me], got.recvExtent[peer]);
      std::vector<float> message(boxElements(sent.sendExtent[me]));
      forEachIndex(sent.sendExtent[me], [&](const Shape &i) {
        Shape at = i;
        for (size_t d = 0; d < i.size(); ++d)
          at[d] += sent.sendOffset[me][d];
        message[linearIndex(sent.sendExtent[me], i)] = inputs[peer][linearIndex(inShape, at)];
      });
      forEachIndex(got.recvExtent[peer], [&](const Shape &i) {
        Shape at = i;
        for (size_t d = 0; d < i.size(); ++d)
          at[d] += got.recvOffset[peer][d];
        out[linearIndex(outShape, at)] = message[linearIndex(got.recvExtent[peer], i)];
      });
    }
    std::vector<Dim> dims = wholeDims(global);
    dims[to] = split(global[to], 0);
    EXPECT_EQ(out, localPart(g, dims, {parts}, {me}))
        << shapeString(global) << " " << from << "->" << to << " P=" << parts << " rank " << me;
    // Bytes sent to others: the input minus the rank's own block of `to`.
    AllToAllBlocks mine =
        allToAllBlocks(localShape(me, from), from, to, global[from], global[to], parts, me);
    uint64_t bytes = 0;
    for (int64_t peer = 0; peer < parts; ++peer)
      if (peer != me)
        bytes += boxElements(mine.sendExtent[peer]) * sizeof(float);
    uint64_t perPosition = numElements(localShape(me, from)) / global[to] * sizeof(float);
    EXPECT_EQ(bytes, allToAllBytes(perPosition, global[to], parts, me));
  }
}

TEST(AllToAllBlocks, EvenUnevenAndEmptyBlocks) {
  for (int64_t parts : {1, 2, 3, 4, 7})
    for (auto [from, to] : {std::pair{1, 2}, std::pair{2, 1}, std::pair{0, 3}, std::pair{3, 0}})
      checkBlocks({5, 6, 9, 2}, from, to, parts);
}

} // namespace
} // namespace quilt::test
