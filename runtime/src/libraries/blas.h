// Dense products through a vendor library (libraries.h): oneDNN on the host
// (host_blas.cpp), cuBLAS on CUDA (cuda/cublas_blas.cpp). The entry points
// (kernels/gemm.cpp, einsum.cpp, attention.cpp) describe row-major products
// on device pointers; the call runs on the device's compute stream, ordered
// after the kernels queued before it and before those queued after it.
#ifndef QUILT_RUNTIME_BLAS_H
#define QUILT_RUNTIME_BLAS_H

#include "error.h"
#include "libraries/libraries.h"

#include <cstdint>
#include <memory>

namespace quilt {

class Device;
class CudaDevice;

class Blas {
public:
  virtual ~Blas() = default;
  /// Row-major FP32, for every b < batch:
  ///   C_b = alpha op(A_b) op(B_b) + beta C_b,
  /// A_b = A + b strideA (likewise B, C; a stride of 0 reuses the operand),
  /// op(A) m x k (A stored k x m, row length lda, when transA), op(B) k x n,
  /// C_b m x n with row length ldc. beta = 0: C is not read. Needs k >= 1,
  /// m, n, batch >= 0 (0: nothing); device pointers.
  void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
             const float *A, int64_t lda, int64_t strideA, const float *B, int64_t ldb,
             int64_t strideB, float beta, float *C, int64_t ldc, int64_t strideC,
             int64_t batch) {
    if (m < 0 || n < 0 || batch < 0 || k < 1)
      raise("sgemm of ", m, "x", n, "x", k, " (batch ", batch, ") needs k >= 1");
    if (m == 0 || n == 0 || batch == 0)
      return;
    multiply(transA, transB, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,
             strideC, batch);
  }

protected:
  /// sgemm's product, arguments checked and non-empty.
  virtual void multiply(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                        const float *A, int64_t lda, int64_t strideA, const float *B,
                        int64_t ldb, int64_t strideB, float beta, float *C, int64_t ldc,
                        int64_t strideC, int64_t batch) = 0;
};

/// The backend's Blas, or an error naming `op` when it has none.
inline Blas &requireBlas(const Libraries &libraries, const char *op) {
  if (!libraries.blas)
    raise(op, " needs a dense-product library (Blas), which this backend lacks");
  return *libraries.blas;
}

/// The host's (oneDNN) implementation: host_blas.cpp. It computes on the
/// pointers at once; every operand must be memory of `device` (the emulated
/// CUDA device checks that they are its allocations).
std::shared_ptr<Blas> createHostBlas(Device &device);
/// The CUDA device's (cuBLAS) implementation: cuda/cublas_blas.cpp; one
/// handle on the device's compute stream, FP32 math unless `tf32` (quiltc
/// --tf32: CUBLAS_TF32_TENSOR_OP_MATH).
std::shared_ptr<Blas> createCublasBlas(CudaDevice &device, bool tf32);

} // namespace quilt

#endif // QUILT_RUNTIME_BLAS_H
