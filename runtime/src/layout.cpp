#include "layout.h"
#include "context.h"
#include "error.h"

#include <cstring>

namespace quilt {

Range localRange(const DimLayout &dim, int64_t parts, int64_t coord) {
  if (!dim.isSplit())
    return {0, dim.globalSize};
  if (!dim.hasHalo())
    return granularBlockRange(dim.globalSize, dim.granule, parts, coord);
  // The halo'd range of this rank's output block (in the dim's granules).
  return withMirrorSources(
      neededInputRange(dim.window, granularBlockRange(dim.globalOut, dim.granule, parts, coord)),
      dim.globalSize, static_cast<HaloBoundary>(dim.boundary));
}

int64_t TensorView::numElements() const { return product(0, rank()); }

int64_t TensorView::product(int begin, int end) const {
  int64_t n = 1;
  for (int i = begin; i < end; ++i)
    n *= extent[i];
  return n;
}

std::vector<int64_t> TensorView::globalShape() const {
  std::vector<int64_t> shape;
  for (const DimLayout &d : dims)
    shape.push_back(d.globalSize);
  return shape;
}

size_t decodeLayout(const int64_t *words, std::vector<DimLayout> &dims) {
  int64_t rank = words[0];
  if (rank < 0 || rank > QUILT_MAX_RANK)
    raise("tensor rank ", rank, " outside [0, ", int(QUILT_MAX_RANK), "]");
  dims.resize(rank);
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t *w = words + 1 + i * QUILT_LAYOUT_WORDS_PER_DIM;
    DimLayout &d = dims[i];
    d.globalSize = w[0];
    d.meshAxis = w[1];
    d.window = Window{w[2], w[3], w[4], w[5]};
    d.globalOut = w[6];
    d.boundary = w[7];
    if (d.boundary < QUILT_BOUNDARY_ZERO || d.boundary > QUILT_BOUNDARY_EDGE)
      raise("dim ", i, " has an unknown boundary ", d.boundary);
    if (w[8] < 0 || w[8] > static_cast<int64_t>(WindowKind::Resize) || w[9] < 0 ||
        w[9] > static_cast<int64_t>(ResizeCoord::TfHalfPixelForNn) || w[10] < 0 ||
        w[10] > static_cast<int64_t>(ResizeSample::Cubic) ||
        (d.hasHalo() && (w[11] < 1 || w[12] < 1)))
      raise("dim ", i, " has an invalid window kind or resize mode");
    d.window.kind = static_cast<WindowKind>(w[8]);
    d.window.resizeCoord = static_cast<ResizeCoord>(w[9]);
    d.window.resizeSample = static_cast<ResizeSample>(w[10]);
    d.window.scaleNum = w[11];
    d.window.scaleDen = w[12];
    d.window.resizeIn = d.globalSize;
    d.window.resizeOut = d.globalOut;
    d.granule = w[13];
    d.minorAxes[0] = w[14];
    d.minorAxes[1] = w[15];
    if ((d.minorAxes[0] >= 0 && d.meshAxis < 0) ||
        (d.minorAxes[1] >= 0 && d.minorAxes[0] < 0))
      raise("dim ", i, " lists minor mesh axes without a major one");
    // A halo'd dim's granules are those of the output blocks it serves.
    if (d.granule < 1 || d.globalSize % d.granule != 0 ||
        (d.hasHalo() && d.globalOut % d.granule != 0))
      raise("dim ", i, " has granule ", d.granule, " for global size ", d.globalSize,
            d.hasHalo() ? " and a halo" : "");
    if (d.globalSize < 0)
      raise("dim ", i, " has negative size ", d.globalSize);
    if (d.hasHalo() && (d.window.stride < 1 || d.window.dilation < 1 || d.window.kernel < 1))
      raise("dim ", i, " has an invalid window (stride ", d.window.stride, ", dilation ",
            d.window.dilation, ", kernel ", d.window.kernel, ")");
  }
  return 1 + static_cast<size_t>(rank) * QUILT_LAYOUT_WORDS_PER_DIM;
}

TensorView makeView(const std::vector<DimLayout> &dims, const std::vector<int64_t> &mesh,
                    const std::vector<int64_t> &coords) {
  TensorView view;
  view.dims = dims;
  for (size_t i = 0; i < dims.size(); ++i) {
    const DimLayout &d = dims[i];
    std::vector<int64_t> axes = d.axes(), parts, at;
    for (int64_t a : axes) {
      if (a >= static_cast<int64_t>(mesh.size()))
        raise("dim ", i, " is split by mesh axis ", a, " but the mesh has ", mesh.size(),
              " axes");
      parts.push_back(mesh[a]);
      at.push_back(coords[a]);
    }
    Range r;
    if (axes.size() > 1 && d.hasHalo()) // the halo'd range of a nested output block
      r = withMirrorSources(
          neededInputRange(d.window, nestedBlockRange(d.globalOut, d.granule, parts.data(),
                                                      at.data(), static_cast<int>(axes.size()))),
          d.globalSize, static_cast<HaloBoundary>(d.boundary));
    else if (axes.size() > 1)
      r = nestedBlockRange(d.globalSize, d.granule, parts.data(), at.data(),
                           static_cast<int>(axes.size()));
    else
      r = d.isSplit() ? localRange(d, mesh[d.meshAxis], coords[d.meshAxis]) : localRange(d, 1, 0);
    view.extent.push_back(r.size());
    view.start.push_back(r.begin);
  }
  return view;
}

double AttrReader::nextDouble() {
  int64_t bits = next();
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::vector<int64_t> AttrReader::nextList(int64_t count) {
  if (count < 0 || count > 64)
    raise("attribute list of ", count, " entries");
  std::vector<int64_t> list(next_, next_ + count);
  next_ += count;
  return list;
}

OpParams decodeParams(const quilt_rt_ctx &ctx, const int64_t *params) {
  if (!params)
    raise("null params");
  int64_t count = params[0];
  // A sanity bound on compiler-written words: a Concat of thousands of
  // pieces (ONNX's expanded loss tests) is legitimate.
  if (count < 1 || count > kMaxOpTensors)
    raise("params declare ", count, " tensors");
  OpParams op;
  size_t at = 1;
  std::vector<DimLayout> dims;
  for (int64_t t = 0; t < count; ++t) {
    try {
      at += decodeLayout(params + at, dims);
      op.tensors.push_back(makeView(dims, ctx.mesh, ctx.coords));
    } catch (const Error &e) {
      raise("tensor ", t, ": ", e.what());
    }
  }
  op.layoutWords = at;
  op.attrs = AttrReader(params + at);
  return op;
}

void expectTensorCount(const OpParams &op, size_t least, size_t most) {
  size_t n = op.tensors.size();
  if (n < least || n > most)
    raise("expected ", least == most ? "" : "between ", least,
          least == most ? "" : strCat(" and ", most), " tensors, params have ", n);
}

std::vector<int64_t> denseStrides(const std::vector<int64_t> &extent) {
  std::vector<int64_t> strides(extent.size());
  int64_t s = 1;
  for (size_t i = extent.size(); i-- > 0;) {
    strides[i] = s;
    s *= extent[i];
  }
  return strides;
}

} // namespace quilt
