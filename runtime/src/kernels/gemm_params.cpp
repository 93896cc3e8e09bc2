#include "gemm_params.h"
#include "box.h"
#include "error.h"

namespace quilt {

GemmOp decodeGemm(quilt_rt_ctx &ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(ctx, params);
  GemmOp g;
  g.transA = op.attrs.next() != 0;
  g.transB = op.attrs.next() != 0;
  g.alpha = static_cast<float>(op.attrs.nextDouble());
  g.beta = static_cast<float>(op.attrs.nextDouble());
  g.hasC = op.attrs.next() != 0;
  expectTensorCount(op, g.hasC ? 4 : 3, g.hasC ? 4 : 3);
  const TensorView &a = op.tensors[0], &b = op.tensors[1], &y = op.tensors.back();
  if (a.rank() != 2 || b.rank() != 2 || y.rank() != 2)
    raise("a, b and y must have rank 2");
  g.m = g.transA ? a.extent[1] : a.extent[0];
  g.k = g.transA ? a.extent[0] : a.extent[1];
  int64_t kb = g.transB ? b.extent[1] : b.extent[0];
  g.n = g.transB ? b.extent[0] : b.extent[1];
  if (kb != g.k || y.extent[0] != g.m || y.extent[1] != g.n)
    raise("op(a) is ", g.m, "x", g.k, ", op(b) ", kb, "x", g.n, ", y ", y.extent[0], "x",
          y.extent[1]);
  g.lda = a.extent[1];
  g.ldb = b.extent[1];
  g.a = static_cast<const float *>(buffers[0]);
  g.b = static_cast<const float *>(buffers[1]);
  g.y = static_cast<float *>(buffers[op.tensors.size() - 1]);
  if (g.hasC) {
    // c is unidirectionally broadcastable to [m, n]: right-aligned dims of
    // size 1 (or missing) repeat.
    const TensorView &c = op.tensors[2];
    if (c.rank() > 2)
      raise("c must have rank 0 to 2, got ", c.rank());
    int64_t rows = c.rank() == 2 ? c.extent[0] : 1, cols = c.rank() >= 1 ? c.extent[c.rank() - 1] : 1;
    if ((rows != 1 && rows != g.m) || (cols != 1 && cols != g.n))
      raise("c of ", rows, "x", cols, " does not broadcast to ", g.m, "x", g.n);
    g.broadcastC = {static_cast<const float *>(buffers[2]), g.y, g.m, g.n, rows == 1 ? 0 : cols,
                    cols == 1 ? 0 : 1, 1.f};
  }
  return g;
}

bool prepareGemmOutput(Device &device, const GemmOp &g) {
  if (g.m == 0 || g.n == 0)
    return false;
  if (g.k == 0) {
    if (g.hasC) {
      BroadcastMatrixKernel scaled = g.broadcastC;
      scaled.scale = g.beta;
      device.launch(scaled);
    } else {
      std::vector<int64_t> shape{g.m, g.n};
      device.fillBox(g.y, BoxRef{&shape, {0, 0}}, shape, 0.f);
    }
    return false;
  }
  if (g.hasC)
    device.launch(g.broadcastC);
  return true;
}

} // namespace quilt
