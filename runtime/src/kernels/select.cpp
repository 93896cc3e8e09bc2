// y = condition != 0 ? a : b with numpy broadcasting of the local extents
// (every operand has y's rank; a dim of extent 1 broadcasts).
#include "context.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

void select(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 4, 4);
  const TensorView &y = op.tensors[3];
  int rank = y.rank();
  // Per operand: element strides over y's dims, 0 where it broadcasts.
  std::vector<std::vector<int64_t>> strides(3, std::vector<int64_t>(rank, 0));
  for (int i = 0; i < 3; ++i) {
    const TensorView &x = op.tensors[i];
    if (x.rank() != rank)
      raise("operand ", i, " has rank ", x.rank(), ", the result ", rank);
    std::vector<int64_t> dense = denseStrides(x.extent);
    for (int d = 0; d < rank; ++d) {
      if (x.extent[d] != y.extent[d] && x.extent[d] != 1)
        raise("operand ", i, " dim ", d, " has extent ", x.extent[d], ", the result ",
              y.extent[d]);
      strides[i][d] = x.extent[d] == 1 && y.extent[d] != 1 ? 0 : dense[d];
    }
  }
  const float *c = static_cast<const float *>(buffers[0]);
  const float *a = static_cast<const float *>(buffers[1]);
  const float *b = static_cast<const float *>(buffers[2]);
  float *out = static_cast<float *>(buffers[3]);
  int64_t total = y.numElements();
  std::vector<int64_t> index(rank, 0);
  int64_t oc = 0, oa = 0, ob = 0;
  for (int64_t i = 0; i < total; ++i) {
    out[i] = c[oc] != 0.f ? a[oa] : b[ob];
    for (int d = rank - 1; d >= 0; --d) {
      oc += strides[0][d];
      oa += strides[1][d];
      ob += strides[2][d];
      if (++index[d] < y.extent[d])
        break;
      oc -= strides[0][d] * y.extent[d];
      oa -= strides[1][d] * y.extent[d];
      ob -= strides[2][d] * y.extent[d];
      index[d] = 0;
    }
  }
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_select(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "select",
                  [&] { quilt::select(ctx, params, buffers); });
}
