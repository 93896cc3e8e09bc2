// Copies and fills of rectangular boxes inside dense row-major tensors: the
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

/// Host memory: copies the box of extent `box` at src.offset in `src` to
/// dst.offset in `dst` on the host device (kernels with a context use
/// ctx->device.copyBox, which works on any device).
void copyBox(const float *src, const BoxRef &srcBox, float *dst, const BoxRef &dstBox,
             const std::vector<int64_t> &box);

/// Host memory: sets the box of extent `box` at `at` in `dst` to `value`.
void fillBox(float *dst, const BoxRef &at, const std::vector<int64_t> &box, float value);

/// `shape` with dim `dim` replaced by `extent`.
std::vector<int64_t> withDim(std::vector<int64_t> shape, int dim, int64_t extent);

/// All zeros except `value` at `dim`.
std::vector<int64_t> offsetAt(size_t rank, int dim, int64_t value);

} // namespace quilt

#endif // QUILT_RUNTIME_BOX_H
