// quilt_rt_gemm on the CUDA device through cuBLAS. Row-major y = op(a) op(b)
// is column-major y^T = op(b)^T op(a)^T, so the operands swap. FP32 math
// (CUBLAS_DEFAULT_MATH: no TF32, so results meet the float32 thresholds).
#include "context.h"
#include "cuda_device.h"
#include "error.h"
#include "gemm_params.h"

#include <cublas_v2.h>

namespace quilt {
namespace {

void checkCublas(cublasStatus_t status, const char *call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    raise("cuBLAS ", call, ": ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
          ")");
}

/// One handle per process (one GPU per rank), on the device's compute stream.
cublasHandle_t cublasFor(CudaDevice &device) {
  static cublasHandle_t handle = nullptr;
  if (!handle) {
    checkCublas(cublasCreate(&handle), "cublasCreate");
    checkCublas(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  }
  checkCublas(cublasSetStream(handle, device.computeStream()), "cublasSetStream");
  return handle;
}

void gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  GemmOp g = decodeGemm(*ctx, params, buffers);
  if (!prepareGemmOutput(ctx->device, g))
    return;
  auto *device = dynamic_cast<CudaDevice *>(&ctx->device);
  if (!device)
    raise("the cuBLAS gemm needs the CUDA device, not ", ctx->device.name());
  float beta = g.hasC ? g.beta : 0.f;
  checkCublas(cublasSgemm_64(cublasFor(*device), g.transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                             g.transA ? CUBLAS_OP_T : CUBLAS_OP_N, g.n, g.m, g.k, &g.alpha, g.b,
                             g.ldb, g.a, g.lda, &beta, g.y, g.n),
              "cublasSgemm");
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "gemm",
                  [&] { quilt::gemm(ctx, params, buffers); });
}
