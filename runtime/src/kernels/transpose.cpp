// Transpose of the local tensor: y[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]
// with y's dim k being x's dim perm[k] (ONNX Transpose). Kernel: transpose_kernels.h.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "transpose_kernels.h"

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
  TransposeKernel kernel{static_cast<const float *>(buffers[0]), static_cast<float *>(buffers[1]),
                         0, {}, {}, y.numElements()};
  if (kernel.total == 0)
    return;
  // Fold y's dims: drop extent 1, merge a dim into the previous one when
  // stepping the previous one reads x where the merged run continues.
  for (int k = 0; k < rank; ++k) {
    if (y.extent[k] == 1)
      continue;
    int last = kernel.dims - 1;
    if (last >= 0 && kernel.readStride[last] == readStrides[k] * y.extent[k]) {
      kernel.extent[last] *= y.extent[k];
      kernel.readStride[last] = readStrides[k];
      continue;
    }
    kernel.extent[kernel.dims] = y.extent[k];
    kernel.readStride[kernel.dims] = readStrides[k];
    ++kernel.dims;
  }
  ctx->device.launch(kernel);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "transpose",
                  [&] { quilt::transpose(ctx, params, buffers); });
}
