#include "box.h"
#include "error.h"
#include "layout.h"

namespace quilt {

BoxGeometry boxGeometry(const std::vector<int64_t> &box, const BoxRef &a, const BoxRef *b) {
  int rank = static_cast<int>(box.size());
  if (rank > kMaxBoxDims || a.shape->size() != box.size() || a.offset.size() != box.size() ||
      (b && (b->shape->size() != box.size() || b->offset.size() != box.size())))
    raise("a box of rank ", rank, " does not match its tensors (at most ", kMaxBoxDims,
          " dims)");
  BoxGeometry g;
  if (rank == 0) { // a scalar: one run of one element
    g.dims = 1;
    g.extent[0] = g.srcStride[0] = g.dstStride[0] = 1;
    return g;
  }
  for (int64_t e : box)
    if (e == 0)
      return g; // empty: dims = 0
  std::vector<int64_t> aStrides = denseStrides(*a.shape);
  std::vector<int64_t> bStrides = b ? denseStrides(*b->shape) : aStrides;
  for (int i = 0; i < rank; ++i) {
    g.srcBase += a.offset[i] * aStrides[i];
    g.dstBase += (b ? b->offset[i] : a.offset[i]) * bStrides[i];
  }
  // Trailing dims that the box covers whole in both tensors fold into the
  // contiguous run of the last kept dim.
  auto whole = [&](int i) {
    bool ok = (*a.shape)[i] == box[i];
    return b ? ok && (*b->shape)[i] == box[i] : ok;
  };
  int last = rank - 1;
  int64_t run = box[last];
  while (last > 0 && whole(last)) {
    run *= box[last - 1];
    --last;
  }
  for (int i = 0; i < last; ++i) {
    g.extent[i] = box[i];
    g.srcStride[i] = aStrides[i];
    g.dstStride[i] = bStrides[i];
  }
  g.extent[last] = run;
  g.srcStride[last] = 1;
  g.dstStride[last] = 1;
  g.dims = last + 1;
  return g;
}

std::vector<int64_t> withDim(std::vector<int64_t> shape, int dim, int64_t extent) {
  shape[dim] = extent;
  return shape;
}

std::vector<int64_t> offsetAt(size_t rank, int dim, int64_t value) {
  std::vector<int64_t> offset(rank, 0);
  offset[dim] = value;
  return offset;
}

} // namespace quilt
