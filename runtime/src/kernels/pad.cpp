// Constant padding, in global coordinates: output position g reads input
// position g - pad_lo, or `value` outside the input's global extent. The
// compiler has already brought every needed input position onto this rank
// (a halo exchange on split dims), so the same loop serves every layout.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

void pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("padding rank differs from the tensors'");
  std::vector<int64_t> padLo = op.attrs.nextList(rank);
  float value = static_cast<float>(op.attrs.nextDouble());
  // Per dim and output index: the local input index, or -1 for padding.
  std::vector<std::vector<int64_t>> source(rank);
  for (int d = 0; d < rank; ++d) {
    source[d].resize(y.extent[d]);
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      int64_t global = y.start[d] + o - padLo[d];
      int64_t local = global - x.start[d];
      if (global < 0 || global >= x.dims[d].globalSize) {
        source[d][o] = -1;
        continue;
      }
      if (local < 0 || local >= x.extent[d])
        raise("dim ", d, ": input position ", global, " is not on this rank");
      source[d][o] = local;
    }
  }
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  int64_t total = y.numElements();
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = 0;
    bool inside = true;
    for (int d = 0; d < rank && inside; ++d) {
      int64_t s = source[d][index[d]];
      inside = s >= 0;
      offset += s * xStrides[d];
    }
    out[i] = inside ? in[offset] : value;
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < y.extent[d])
        break;
      index[d] = 0;
    }
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "pad", [&] { quilt::pad(ctx, params, buffers); });
}
