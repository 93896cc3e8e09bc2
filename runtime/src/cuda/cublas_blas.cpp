// The Blas of the CUDA device (blas.h) through cuBLAS. Row-major
// C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, so the operands
// swap. FP32 math (CUBLAS_DEFAULT_MATH: no TF32, so results meet the float32
// thresholds) unless the model was compiled with --tf32
// (CUBLAS_TF32_TENSOR_OP_MATH). One handle per device, bound to its compute
// stream.
#include "cuda_device.h"
#include "error.h"
#include "libraries/blas.h"

#include <cublas_v2.h>

namespace quilt {
namespace {

void checkCublas(cublasStatus_t status, const char *call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    raise("cuBLAS ", call, ": ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
          ")");
}

class CublasBlas final : public Blas {
public:
  CublasBlas(CudaDevice &device, bool tf32) {
    checkCublas(cublasCreate(&handle_), "cublasCreate");
    try {
      checkCublas(cublasSetMathMode(handle_, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
      checkCublas(cublasSetStream(handle_, device.computeStream()), "cublasSetStream");
    } catch (...) {
      cublasDestroy(handle_);
      throw;
    }
  }
  ~CublasBlas() override { cublasDestroy(handle_); }
  CublasBlas(const CublasBlas &) = delete;
  CublasBlas &operator=(const CublasBlas &) = delete;

protected:
  void multiply(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *A, int64_t lda, int64_t strideA, const float *B, int64_t ldb,
                int64_t strideB, float beta, float *C, int64_t ldc, int64_t strideC,
                int64_t batch) override {
    cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (batch == 1) {
      checkCublas(cublasSgemm_64(handle_, opB, opA, n, m, k, &alpha, B, ldb, A, lda, &beta, C,
                                 ldc),
                  "cublasSgemm_64");
      return;
    }
    checkCublas(cublasSgemmStridedBatched_64(handle_, opB, opA, n, m, k, &alpha, B, ldb,
                                             static_cast<long long>(strideB), A, lda,
                                             static_cast<long long>(strideA), &beta, C, ldc,
                                             static_cast<long long>(strideC), batch),
                "cublasSgemmStridedBatched_64");
  }

private:
  cublasHandle_t handle_ = nullptr;
};

} // namespace

std::shared_ptr<Blas> createCublasBlas(CudaDevice &device, bool tf32) {
  return std::make_shared<CublasBlas>(device, tf32);
}

} // namespace quilt
