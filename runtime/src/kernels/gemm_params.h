// quilt_rt_gemm's parameters, decoded and checked once for every backend's
// gemm (kernels/gemm.cpp: oneDNN; cuda/gemm_cublas.cpp: cuBLAS).
#ifndef QUILT_RUNTIME_GEMM_PARAMS_H
#define QUILT_RUNTIME_GEMM_PARAMS_H

#include "context.h"
#include "gemm_kernels.h"
#include "layout.h"

namespace quilt {

/// y = alpha op(a) op(b) + beta c, row-major, all rank 2 (c broadcast).
struct GemmOp {
  bool transA = false, transB = false, hasC = false;
  float alpha = 1, beta = 0;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0; // row lengths of a and b as stored
  const float *a = nullptr, *b = nullptr;
  float *y = nullptr;
  BroadcastMatrixKernel broadcastC{}; // y = c (scale 1) when hasC; holds c
};

GemmOp decodeGemm(quilt_rt_ctx &ctx, const int64_t *params, void **buffers);

/// Fills y before the library call: c broadcast when there is one (the
/// library's beta then applies), and for k = 0 (no sum; libraries leave y
/// alone) y = beta c or 0 in full. Returns whether the product remains.
bool prepareGemmOutput(Device &device, const GemmOp &g);

} // namespace quilt

#endif // QUILT_RUNTIME_GEMM_PARAMS_H
