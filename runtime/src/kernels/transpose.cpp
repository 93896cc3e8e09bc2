// Transpose of the local tensor: y[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]
// with y's dim k being x's dim perm[k] (ONNX Transpose).
#include "context.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

void transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("permutation rank differs from the tensors'");
  std::vector<int64_t> perm = op.attrs.nextList(rank);
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  // Strides of x in y's dim order: walking y densely reads x through them.
  std::vector<int64_t> readStrides(rank);
  for (int k = 0; k < rank; ++k) {
    if (perm[k] < 0 || perm[k] >= rank || y.extent[k] != x.extent[perm[k]])
      raise("permutation does not map the input extents to the output's");
    readStrides[k] = xStrides[perm[k]];
  }
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  int64_t total = y.numElements();
  std::vector<int64_t> index(rank, 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < total; ++i) {
    out[i] = in[offset];
    for (int k = rank - 1; k >= 0; --k) {
      if (++index[k] < y.extent[k]) {
        offset += readStrides[k];
        break;
      }
      offset -= readStrides[k] * (y.extent[k] - 1);
      index[k] = 0;
    }
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "transpose",
                  [&] { quilt::transpose(ctx, params, buffers); });
}
