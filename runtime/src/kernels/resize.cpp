// Resize in global coordinates: along each resampled dim, output position o
// reads the input taps resizeTaps() gives (the same function the halo math
// uses), so a rank's halo'd input always holds exactly what it reads.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <algorithm>
#include <vector>

namespace quilt {
namespace {

struct DimTaps {
  std::vector<int64_t> first, last; // local input offsets (already times the stride)
  std::vector<float> weightLast;
};

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
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  std::vector<DimTaps> dims(rank);
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
    DimTaps &t = dims[d];
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      ResizeTaps taps = copied ? ResizeTaps{y.start[d] + o, y.start[d] + o, 0.0}
                               : resizeTaps(w, y.start[d] + o);
      int64_t first = taps.first - x.start[d], last = taps.last - x.start[d];
      if (first < 0 || last >= x.extent[d])
        raise("dim ", d, ": output ", y.start[d] + o, " reads input ", taps.first, "..",
              taps.last, ", which is not on this rank");
      t.first.push_back(first * xStrides[d]);
      t.last.push_back(last * xStrides[d]);
      t.weightLast.push_back(static_cast<float>(taps.weightLast));
    }
  }
  // Only dims that interpolate (some output reads two taps) need corners.
  std::vector<int> active;
  for (int d = 0; d < rank; ++d)
    if (std::any_of(dims[d].weightLast.begin(), dims[d].weightLast.end(),
                    [](float w) { return w != 0.f; }))
      active.push_back(d);
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  int64_t total = y.numElements();
  int corners = 1 << active.size();
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t base = 0;
    for (int d = 0; d < rank; ++d)
      base += dims[d].first[index[d]];
    // Multilinear: sum over the corners of the taps' box, weights multiplied.
    float value = 0;
    for (int corner = 0; corner < corners; ++corner) {
      float weight = 1;
      int64_t offset = base;
      for (size_t k = 0; k < active.size() && weight != 0; ++k) {
        const DimTaps &t = dims[active[k]];
        int64_t o = index[active[k]];
        bool useLast = (corner >> k) & 1;
        weight *= useLast ? t.weightLast[o] : 1 - t.weightLast[o];
        if (useLast)
          offset += t.last[o] - t.first[o];
      }
      if (weight != 0)
        value += weight * in[offset];
    }
    out[i] = value;
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < y.extent[d])
        break;
      index[d] = 0;
    }
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_resize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "resize",
                  [&] { quilt::resize(ctx, params, buffers); });
}
