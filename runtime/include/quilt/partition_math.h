// Block-distribution and halo-range math shared by the compiler (partitioner,
// memory planner, cost model), the runtime (kernels, halo exchange, slab I/O)
// and the tests. Header-only, no dependencies: one definition everywhere.
#ifndef QUILT_PARTITION_MATH_H
#define QUILT_PARTITION_MATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace quilt {

/// A device mesh has at most this many axes, named x, y, z, w in order.
constexpr int kMaxMeshAxes = 4;
inline const char *meshAxisName(int axis) {
  static const char *const names[kMaxMeshAxes] = {"x", "y", "z", "w"};
  return axis >= 0 && axis < kMaxMeshAxes ? names[axis] : "?";
}

/// A half-open index range [begin, end) along one tensor dim.
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end > begin ? end - begin : 0; }
  bool empty() const { return end <= begin; }
};

inline Range intersect(Range a, Range b) {
  return {std::max(a.begin, b.begin), std::min(a.end, b.end)};
}

/// Rank coordinate `r` of an axis of `parts` ranks owns `blockRange(n, parts, r)`
/// of a dim of size `n`: the first `n % parts` ranks get one extra element.
inline int64_t blockSize(int64_t n, int64_t parts, int64_t r) {
  return n / parts + (r < n % parts ? 1 : 0);
}
inline int64_t blockStart(int64_t n, int64_t parts, int64_t r) {
  return r * (n / parts) + std::min(r, n % parts);
}
inline Range blockRange(int64_t n, int64_t parts, int64_t r) {
  int64_t start = blockStart(n, parts, r);
  return {start, start + blockSize(n, parts, r)};
}
/// The largest block any rank owns: what a static buffer must hold.
inline int64_t maxBlockSize(int64_t n, int64_t parts) {
  return n / parts + (n % parts ? 1 : 0);
}

/// A dim of `n` positions split in whole granules of `granule` positions:
/// the merged dim of a reshape whose major part is split (tokens of an image
/// split by rows are split in whole rows). Rank r owns the granules
/// blockRange(n / granule, parts, r).
inline Range granularBlockRange(int64_t n, int64_t granule, int64_t parts, int64_t r) {
  Range b = blockRange(n / granule, parts, r);
  return {b.begin * granule, b.end * granule};
}
inline int64_t granularBlockSize(int64_t n, int64_t granule, int64_t parts, int64_t r) {
  return blockSize(n / granule, parts, r) * granule;
}
inline int64_t granularMaxBlockSize(int64_t n, int64_t granule, int64_t parts) {
  return maxBlockSize(n / granule, parts) * granule;
}

/// A dim split over several mesh axes is split in nested blocks: the major
/// axis's block first, then that block's block for the next axis, and so on
/// (so gathering the minor-most axis leaves the major axes' blocks).
/// `parts[i]` and `coords[i]` are per axis, major first.
inline Range nestedBlockRange(int64_t n, int64_t granule, const int64_t *parts,
                              const int64_t *coords, int levels) {
  Range r{0, n};
  for (int i = 0; i < levels; ++i) {
    Range b = granularBlockRange(r.size(), granule, parts[i], coords[i]);
    r = {r.begin + b.begin, r.begin + b.end};
  }
  return r;
}
/// Owner `owner`'s nested block, owners numbered row-major over the levels.
inline Range nestedOwnerBlock(int64_t n, int64_t granule, const int64_t *parts, int levels,
                              int64_t owner) {
  int64_t coords[8] = {}; // levels: the mesh axes of one dim, at most 3
  for (int i = levels; i-- > 0;) {
    coords[i] = owner % parts[i];
    owner /= parts[i];
  }
  return nestedBlockRange(n, granule, parts, coords, levels);
}

/// The largest nested block any rank owns.
inline int64_t nestedMaxBlockSize(int64_t n, int64_t granule, const int64_t *parts, int levels) {
  for (int i = 0; i < levels; ++i)
    n = granularMaxBlockSize(n, granule, parts[i]);
  return n;
}

/// A tile of `dims` dims (at most 8): dim t, of `n[t]` positions in
/// granules of `granule[t]`, is split in nested blocks over `levels[t]` mesh
/// axes, whose sizes follow one another in `parts` (the major dim's axes
/// first). Owners are numbered row-major over all those axes (as the ring of
/// attention over a grid of tokens visits them). The global range owner
/// `owner` holds along each dim, in `ranges[0, dims)`.
inline void tileOwnerRanges(const int64_t *n, const int64_t *granule, const int64_t *levels,
                            int dims, const int64_t *parts, int64_t owner, Range *ranges) {
  int64_t offset = 0;
  for (int t = 0; t < dims; ++t)
    offset += levels[t];
  for (int t = dims; t-- > 0;) {
    offset -= levels[t];
    int64_t owners = 1;
    for (int64_t i = 0; i < levels[t]; ++i)
      owners *= parts[offset + i];
    ranges[t] = nestedOwnerBlock(n[t], granule[t], parts + offset, static_cast<int>(levels[t]),
                                 owner % owners);
    owner /= owners;
  }
}
/// The number of positions owner `owner` of such a tile holds.
inline int64_t tileOwnerSize(const int64_t *n, const int64_t *granule, const int64_t *levels,
                             int dims, const int64_t *parts, int64_t owner) {
  Range ranges[8];
  tileOwnerRanges(n, granule, levels, dims, parts, owner, ranges);
  int64_t size = 1;
  for (int t = 0; t < dims; ++t)
    size *= ranges[t].size();
  return size;
}

/// The most positions any owner of such a tile holds (at most: the product
/// of each dim's largest block).
inline int64_t tileMaxSize(const int64_t *n, const int64_t *granule, const int64_t *levels,
                           int dims, const int64_t *parts) {
  int64_t size = 1, offset = 0;
  for (int t = 0; t < dims; ++t) {
    size *= nestedMaxBlockSize(n[t], granule[t], parts + offset, static_cast<int>(levels[t]));
    offset += levels[t];
  }
  return size;
}

/// How a halo'd range reads positions outside the domain [0, n): the zero
/// (or pad) value, wrapped around (periodic), or mirrored from inside (reflect
/// and edge pads). Values match QUILT_BOUNDARY_*.
enum class HaloBoundary : int64_t { Zero = 0, Periodic = 1, Reflect = 2, Edge = 3 };

/// Where a mirrored boundary reads position `p` outside [0, n) from (as ONNX
/// Pad's reflect and edge modes; the pad kernel calls the same function).
inline int64_t mirrorSource(int64_t p, int64_t n, HaloBoundary b) {
  if (b == HaloBoundary::Edge || n == 1)
    return p < 0 ? 0 : n - 1;
  int64_t period = 2 * (n - 1), q = ((p % period) + period) % period;
  return q < n ? q : period - q;
}

/// `need` widened to also cover the positions inside [0, n) that a mirrored
/// boundary reads for its positions outside (unchanged for zero and periodic).
inline Range withMirrorSources(Range need, int64_t n, HaloBoundary b) {
  if ((b != HaloBoundary::Reflect && b != HaloBoundary::Edge) || need.empty() || n <= 0)
    return need;
  Range hull = need;
  for (int64_t p = need.begin; p < std::min<int64_t>(need.end, 0); ++p) {
    int64_t s = mirrorSource(p, n, b);
    hull = {std::min(hull.begin, s), std::max(hull.end, s + 1)};
  }
  for (int64_t p = std::max<int64_t>(need.begin, n); p < need.end; ++p) {
    int64_t s = mirrorSource(p, n, b);
    hull = {std::min(hull.begin, s), std::max(hull.end, s + 1)};
  }
  return hull;
}

/// How output positions along one dim read input positions.
enum class WindowKind : int64_t {
  /// Convolution and pooling: output o reads o * stride - padLo + j * dilation,
  /// j in [0, kernel).
  Conv = 0,
  /// Transposed convolution: input i feeds output i * stride - padLo + j * dilation.
  ConvTranspose = 1,
  /// Resize: output o reads the input around coordinate x(o) (see resizeCoordinate).
  Resize = 2,
};

/// Resize's coordinate transformation (ONNX coordinate_transformation_mode).
enum class ResizeCoord : int64_t {
  HalfPixel = 0,
  Asymmetric = 1,
  AlignCorners = 2,
  PytorchHalfPixel = 3,
  TfHalfPixelForNn = 4,
};
/// Resize's rounding of x (ONNX nearest_mode), or Linear or Cubic interpolation.
enum class ResizeSample : int64_t { RoundPreferFloor = 0, RoundPreferCeil = 1, Floor = 2, Ceil = 3, Linear = 4, Cubic = 5 };

/// A window along one dim. Resize uses `resizeCoord`, `resizeSample`, the
/// exact rational scale `scaleNum / scaleDen` (output over input) and the
/// global sizes `resizeIn` -> `resizeOut` instead of stride, dilation, kernel
/// and padLo.
struct Window {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t kernel = 1;
  int64_t padLo = 0;
  WindowKind kind = WindowKind::Conv;
  ResizeCoord resizeCoord = ResizeCoord::HalfPixel;
  ResizeSample resizeSample = ResizeSample::Linear;
  int64_t scaleNum = 1;
  int64_t scaleDen = 1;
  int64_t resizeIn = 1;
  int64_t resizeOut = 1;
};

inline int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// Resize: the input coordinate output position `o` samples, for an input dim
/// of `inSize` and an output dim of `outSize` (ONNX Resize, opset 13+). The
/// kernels and the halo math both call this, so they agree to the bit.
inline double resizeCoordinate(const Window &w, int64_t o) {
  int64_t inSize = w.resizeIn, outSize = w.resizeOut;
  double scale = static_cast<double>(w.scaleNum) / static_cast<double>(w.scaleDen);
  switch (w.resizeCoord) {
  case ResizeCoord::HalfPixel:
    return (o + 0.5) / scale - 0.5;
  case ResizeCoord::PytorchHalfPixel:
    return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  case ResizeCoord::Asymmetric:
    return o / scale;
  case ResizeCoord::TfHalfPixelForNn:
    return (o + 0.5) / scale;
  case ResizeCoord::AlignCorners: {
    // ONNX resizes to in * scale positions, unfloored: downsampling by a
    // scale maps the last output short of the last input.
    double resized = static_cast<double>(inSize * w.scaleNum) / static_cast<double>(w.scaleDen);
    return resized > 1 ? o * static_cast<double>(inSize - 1) / (resized - 1) : 0.0;
  }
  }
  return 0.0;
}

/// Resize: the input positions output `o` reads, [first, last], clamped to the
/// domain, and (linear only) the weight of `last`.
struct ResizeTaps {
  int64_t first = 0, last = 0;
  double weightLast = 0;
};
inline ResizeTaps resizeTaps(const Window &w, int64_t o) {
  int64_t inSize = w.resizeIn;
  double x = resizeCoordinate(w, o);
  auto clampIndex = [&](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), inSize - 1); };
  ResizeTaps t;
  if (w.resizeSample == ResizeSample::Cubic) {
    int64_t i0 = static_cast<int64_t>(std::floor(x));
    t.first = clampIndex(i0 - 1);
    t.last = clampIndex(i0 + 2);
    return t;
  }
  if (w.resizeSample == ResizeSample::Linear) {
    x = std::min(std::max(x, 0.0), static_cast<double>(inSize - 1));
    int64_t i0 = static_cast<int64_t>(std::floor(x));
    t.first = clampIndex(i0);
    t.last = clampIndex(i0 + 1);
    t.weightLast = t.last == t.first ? 0.0 : x - i0;
    return t;
  }
  double r = 0;
  switch (w.resizeSample) {
  case ResizeSample::RoundPreferFloor:
    r = (x - std::floor(x) == 0.5) ? std::floor(x) : std::round(x);
    break;
  case ResizeSample::RoundPreferCeil:
    r = std::round(x); // halves round away from zero: up for x >= 0
    if (x < 0 && x - std::floor(x) == 0.5)
      r = std::ceil(x);
    break;
  case ResizeSample::Floor:
    r = std::floor(x);
    break;
  case ResizeSample::Ceil:
    r = std::ceil(x);
    break;
  case ResizeSample::Linear:
  case ResizeSample::Cubic:
    break;
  }
  t.first = t.last = clampIndex(static_cast<int64_t>(r));
  return t;
}

/// Resize, cubic: output `o` blends the four input positions floor(x) - 1 ..
/// floor(x) + 2 around its coordinate x, clamped to the domain (ONNX pads by
/// repeating the edge), weighted by Keys' cubic convolution with coefficient
/// `a` (ONNX's cubic_coeff_a) at their distances from x. With
/// `excludeOutside`, positions outside the domain weigh 0 and the other
/// weights are renormalized to sum to 1.
struct CubicTaps {
  int64_t index[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
};
inline CubicTaps resizeCubicTaps(const Window &w, int64_t o, double a, bool excludeOutside) {
  double x = resizeCoordinate(w, o), floorX = std::floor(x), t = x - floorX;
  int64_t i0 = static_cast<int64_t>(floorX);
  // ONNX's coefficients: distance d in [1, 2] for the outer taps, [0, 1] for the inner.
  auto outer = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  auto inner = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  double weights[4] = {outer(t + 1), inner(t), inner(1 - t), outer(2 - t)};
  CubicTaps c;
  double sum = 0;
  for (int k = 0; k < 4; ++k) {
    int64_t i = i0 - 1 + k;
    bool outside = i < 0 || i >= w.resizeIn;
    c.index[k] = std::min<int64_t>(std::max<int64_t>(i, 0), w.resizeIn - 1);
    c.weight[k] = excludeOutside && outside ? 0.0 : weights[k];
    sum += c.weight[k];
  }
  if (excludeOutside && sum != 0)
    for (double &weight : c.weight)
      weight /= sum;
  return c;
}

/// Input positions (global, possibly outside [0, n) where padding is read)
/// that output positions `out` need. Empty output needs nothing.
inline Range neededInputRange(const Window &w, Range out) {
  if (out.empty())
    return {0, 0};
  switch (w.kind) {
  case WindowKind::Conv:
    return {out.begin * w.stride - w.padLo,
            (out.end - 1) * w.stride - w.padLo + (w.kernel - 1) * w.dilation + 1};
  case WindowKind::ConvTranspose:
    return {ceilDiv(out.begin + w.padLo - (w.kernel - 1) * w.dilation, w.stride),
            floorDiv(out.end - 1 + w.padLo, w.stride) + 1};
  case WindowKind::Resize:
    // x(o) is non-decreasing in o, so the ends of the block bound the range.
    return {resizeTaps(w, out.begin).first, resizeTaps(w, out.end - 1).last + 1};
  }
  return {0, 0};
}

/// The input range rank `r` of `parts` needs to compute its block of an output
/// dim of global size `outSize`.
inline Range haloInputRange(const Window &w, int64_t outSize, int64_t parts, int64_t r) {
  return neededInputRange(w, blockRange(outSize, parts, r));
}

/// Largest halo'd extent over all ranks: the buffer bound for the planner.
inline int64_t maxHaloExtent(const Window &w, int64_t outSize, int64_t parts) {
  int64_t best = 0;
  // Block sizes take only two values, so ranks 0 and parts-1 bound the extent;
  // scanning is still cheap and keeps this obviously right.
  for (int64_t r = 0; r < parts; ++r)
    best = std::max(best, haloInputRange(w, outSize, parts, r).size());
  return best;
}

/// Elements rank `r` must receive from outside its own block for a halo
/// exchange of an input dim of size `n` (padding positions excluded).
inline int64_t haloReceiveCount(const Window &w, int64_t n, int64_t outSize, int64_t parts,
                                int64_t r) {
  Range need = intersect(haloInputRange(w, outSize, parts, r), {0, n});
  Range own = blockRange(n, parts, r);
  return need.size() - intersect(need, own).size();
}

/// The contiguous runs in which the runtime copies a box of extents `box`
/// (`rank` dims) between dense row-major tensors of shapes `a` and `b` (b
/// null: one tensor and a dense copy of the box): the trailing dims the box
/// covers whole in both fold into one run (runtime/src/box.cpp's
/// boxGeometry), so the runs are the product of the box's other dims. Each
/// run is one copy call: the cost model times it beside the bytes. 0 for an
/// empty box.
inline int64_t boxRuns(const int64_t *box, const int64_t *a, const int64_t *b, int rank) {
  for (int d = 0; d < rank; ++d)
    if (box[d] == 0)
      return 0;
  int last = rank - 1;
  while (last > 0 && box[last] == a[last] && (!b || box[last] == b[last]))
    --last;
  int64_t runs = 1;
  for (int d = 0; d < last; ++d)
    runs *= box[d];
  return runs;
}

} // namespace quilt

#endif // QUILT_PARTITION_MATH_H
