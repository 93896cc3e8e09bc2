// Rectangular boxes inside dense row-major tensors and their geometry for the
// box kernels (copies and fills run through Device::copyBox / fillBox): the
// pack/unpack of halo slabs, concat, all-gather placement and slicing.
#ifndef QUILT_RUNTIME_BOX_H
#define QUILT_RUNTIME_BOX_H

#include "box_kernels.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quilt {

/// A dense row-major tensor and a box inside it.
struct BoxRef {
  const std::vector<int64_t> *shape;
  std::vector<int64_t> offset;
};

/// The geometry of the kernels of box_kernels.h for the box of extent `box`
/// at a.offset in tensor a (the source) and b->offset in b (the
/// destination; null for a fill), trailing whole dims folded into the run.
BoxGeometry boxGeometry(const std::vector<int64_t> &box, const BoxRef &a, const BoxRef *b);

/// `shape` with dim `dim` replaced by `extent`.
std::vector<int64_t> withDim(std::vector<int64_t> shape, int dim, int64_t extent);

/// All zeros except `value` at `dim`.
std::vector<int64_t> offsetAt(size_t rank, int dim, int64_t value);

} // namespace quilt

#endif // QUILT_RUNTIME_BOX_H
