// Resize in global coordinates: along each resampled dim, output position o
// reads the input taps resizeTaps() gives (the same function the halo math
// uses; cubic: resizeCubicTaps, within those), so a rank's halo'd input
// always holds exactly what it reads (kernel: resize_kernels.h).
#include "context.h"
#include "error.h"
#include "layout.h"
#include "resize_kernels.h"

#include <memory>
#include <vector>

namespace quilt {
namespace {

/// The taps' tables on the device, built once per op.
class ResizePlan : public KernelPlan {
public:
  // What the device buffers hold, kept for the copies.
  std::vector<int64_t> hostOffsets; // every dim's first taps, then every dim's deltas
  std::vector<float> hostWeights;
  DeviceBuffer offsets, weights;
  ResizeKernel kernel{};
};

std::unique_ptr<ResizePlan> resizePlan(Device &device, const TensorView &x, const TensorView &y,
                                       ResizeCoord coord, ResizeSample sample,
                                       const std::vector<int64_t> &nums,
                                       const std::vector<int64_t> &dens) {
  auto plan = std::make_unique<ResizePlan>();
  int rank = x.rank();
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  std::vector<int64_t> first, delta;
  ResizeKernel &k = plan->kernel;
  k.rank = rank;
  k.active = 0;
  k.total = y.numElements();
  for (int d = 0; d < rank; ++d) {
    Window w;
    w.kind = WindowKind::Resize;
    w.resizeCoord = coord;
    w.resizeSample = sample;
    w.scaleNum = nums[d];
    w.scaleDen = dens[d];
    w.resizeIn = x.dims[d].globalSize;
    w.resizeOut = y.dims[d].globalSize;
    if (w.scaleNum < 1 || w.scaleDen < 1)
      raise("dim ", d, ": scale ", w.scaleNum, "/", w.scaleDen, " is not positive");
    bool copied = w.resizeIn == w.resizeOut && w.scaleNum == w.scaleDen;
    k.extent[d] = y.extent[d];
    k.table[d] = static_cast<int64_t>(first.size());
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      ResizeTaps taps = copied ? ResizeTaps{y.start[d] + o, y.start[d] + o, 0.0}
                               : resizeTaps(w, y.start[d] + o);
      int64_t lo = taps.first - x.start[d], hi = taps.last - x.start[d];
      if (lo < 0 || hi >= x.extent[d])
        raise("dim ", d, ": output ", y.start[d] + o, " reads input ", taps.first, "..",
              taps.last, ", which is not on this rank");
      first.push_back(lo * xStrides[d]);
      delta.push_back((hi - lo) * xStrides[d]);
      plan->hostWeights.push_back(static_cast<float>(taps.weightLast));
      // Only dims that interpolate (some output reads two taps) need corners.
      if (plan->hostWeights.back() != 0.f)
        k.active |= 1u << d;
    }
  }
  size_t entries = first.size();
  plan->hostOffsets = first;
  plan->hostOffsets.insert(plan->hostOffsets.end(), delta.begin(), delta.end());
  plan->offsets = DeviceBuffer(device, 2 * entries * sizeof(int64_t));
  plan->weights = DeviceBuffer(device, entries * sizeof(float));
  device.copy(plan->offsets.data(), plan->hostOffsets.data(), 2 * entries * sizeof(int64_t),
              CopyKind::HostToDevice);
  device.copy(plan->weights.data(), plan->hostWeights.data(), entries * sizeof(float),
              CopyKind::HostToDevice);
  k.first = static_cast<const int64_t *>(plan->offsets.data());
  k.delta = k.first + entries;
  k.weight = plan->weights.floats();
  return plan;
}

/// The cubic taps' tables on the device: four (offset, weight) per output
/// position of every dim.
class ResizeCubicPlan : public KernelPlan {
public:
  std::vector<int64_t> hostOffsets;
  std::vector<float> hostWeights;
  DeviceBuffer offsets, weights;
  ResizeCubicKernel kernel{};
};

std::unique_ptr<ResizeCubicPlan> resizeCubicPlan(Device &device, const TensorView &x,
                                                 const TensorView &y, ResizeCoord coord,
                                                 const std::vector<int64_t> &nums,
                                                 const std::vector<int64_t> &dens, double a,
                                                 bool excludeOutside) {
  auto plan = std::make_unique<ResizeCubicPlan>();
  int rank = x.rank();
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  ResizeCubicKernel &k = plan->kernel;
  k.rank = rank;
  k.active = 0;
  k.total = y.numElements();
  for (int d = 0; d < rank; ++d) {
    Window w;
    w.kind = WindowKind::Resize;
    w.resizeCoord = coord;
    w.resizeSample = ResizeSample::Cubic;
    w.scaleNum = nums[d];
    w.scaleDen = dens[d];
    w.resizeIn = x.dims[d].globalSize;
    w.resizeOut = y.dims[d].globalSize;
    if (w.scaleNum < 1 || w.scaleDen < 1)
      raise("dim ", d, ": scale ", w.scaleNum, "/", w.scaleDen, " is not positive");
    bool copied = w.resizeIn == w.resizeOut && w.scaleNum == w.scaleDen;
    if (!copied)
      k.active |= 1u << d;
    k.extent[d] = y.extent[d];
    k.table[d] = static_cast<int64_t>(plan->hostWeights.size() / 4);
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      CubicTaps taps;
      taps.index[0] = y.start[d] + o;
      taps.weight[0] = 1;
      if (!copied)
        taps = resizeCubicTaps(w, y.start[d] + o, a, excludeOutside);
      for (int t = 0; t < 4; ++t) {
        int64_t local = taps.index[t] - x.start[d];
        if (taps.weight[t] != 0 && (local < 0 || local >= x.extent[d]))
          raise("dim ", d, ": output ", y.start[d] + o, " reads input ", taps.index[t],
                ", which is not on this rank");
        plan->hostOffsets.push_back(taps.weight[t] != 0 ? local * xStrides[d] : 0);
        plan->hostWeights.push_back(static_cast<float>(taps.weight[t]));
      }
    }
  }
  size_t entries = plan->hostWeights.size();
  plan->offsets = DeviceBuffer(device, entries * sizeof(int64_t));
  plan->weights = DeviceBuffer(device, entries * sizeof(float));
  device.copy(plan->offsets.data(), plan->hostOffsets.data(), entries * sizeof(int64_t),
              CopyKind::HostToDevice);
  device.copy(plan->weights.data(), plan->hostWeights.data(), entries * sizeof(float),
              CopyKind::HostToDevice);
  k.offset = static_cast<const int64_t *>(plan->offsets.data());
  k.weight = plan->weights.floats();
  return plan;
}

void resize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("resize rank differs from the tensors'");
  auto coord = static_cast<ResizeCoord>(op.attrs.next());
  auto sample = static_cast<ResizeSample>(op.attrs.next());
  std::vector<int64_t> nums = op.attrs.nextList(rank), dens = op.attrs.nextList(rank);
  double cubicA = op.attrs.nextDouble();
  bool excludeOutside = op.attrs.next() != 0;
  size_t words = op.attrs.position() - params;
  if (sample == ResizeSample::Cubic) {
    ResizeCubicPlan *plan = ctx->findPlan<ResizeCubicPlan>(params, words);
    if (!plan)
      plan = &ctx->storePlan(params, words, resizeCubicPlan(ctx->device, x, y, coord, nums, dens,
                                                            cubicA, excludeOutside));
    ResizeCubicKernel kernel = plan->kernel;
    kernel.x = static_cast<const float *>(buffers[0]);
    kernel.y = static_cast<float *>(buffers[1]);
    if (kernel.total)
      ctx->device.launch(kernel);
    return;
  }
  ResizePlan *plan = ctx->findPlan<ResizePlan>(params, words);
  if (!plan)
    plan = &ctx->storePlan(params, words,
                           resizePlan(ctx->device, x, y, coord, sample, nums, dens));
  ResizeKernel kernel = plan->kernel;
  kernel.x = static_cast<const float *>(buffers[0]);
  kernel.y = static_cast<float *>(buffers[1]);
  if (kernel.total)
    ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_resize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "resize",
                  [&] { quilt::resize(ctx, params, buffers); });
}
