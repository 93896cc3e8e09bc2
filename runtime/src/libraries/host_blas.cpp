// The Blas of the host (blas.h) through oneDNN's sgemm, one call per batch
// position (each call runs on oneDNN's threads).
#include "device.h"
#include "error.h"
#include "libraries/blas.h"

#include <dnnl.hpp>

namespace quilt {
namespace {

class HostBlas final : public Blas {
public:
  explicit HostBlas(Device &device) : device_(device) {}

protected:
  void multiply(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *A, int64_t lda, int64_t strideA, const float *B, int64_t ldb,
                int64_t strideB, float beta, float *C, int64_t ldc, int64_t strideC,
                int64_t batch) override {
    expectDeviceMemory(A, transA ? k : m, transA ? m : k, lda, strideA, batch, "A");
    expectDeviceMemory(B, transB ? n : k, transB ? k : n, ldb, strideB, batch, "B");
    expectDeviceMemory(C, m, n, ldc, strideC, batch, "C");
    for (int64_t b = 0; b < batch; ++b) {
      dnnl::status status =
          dnnl::sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, A + b * strideA, lda,
                      B + b * strideB, ldb, beta, C + b * strideC, ldc);
      if (status != dnnl::status::success)
        raise("oneDNN sgemm failed with status ", static_cast<int>(status));
    }
  }

private:
  /// Every operand lies in memory of the device (what a GPU library needs).
  void expectDeviceMemory(const float *p, int64_t rows, int64_t cols, int64_t ld, int64_t stride,
                          int64_t batch, const char *what) const {
    int64_t last = (batch - 1) * stride + (rows - 1) * ld + cols;
    if (!device_.isDeviceMemory(p, static_cast<size_t>(last) * sizeof(float)))
      raise("sgemm operand ", what, " is not ", device_.name(), " memory");
  }

  Device &device_;
};

} // namespace

std::shared_ptr<Blas> createHostBlas(Device &device) { return std::make_shared<HostBlas>(device); }

} // namespace quilt
