// y = alpha * op(a) op(b) + beta * c through the backend's Blas; c is first
// broadcast into y so the product's beta term applies it (gemm_params.h).
#include "context.h"
#include "error.h"
#include "gemm_params.h"
#include "libraries/blas.h"

namespace quilt {
namespace {

void gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  GemmOp g = decodeGemm(*ctx, params, buffers);
  Blas &blas = requireBlas(ctx->libraries, "gemm");
  if (!prepareGemmOutput(ctx->device, g))
    return;
  blas.sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, 0, g.b, g.ldb, 0,
             g.hasC ? g.beta : 0.f, g.y, g.n, 0, 1);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "gemm",
                  [&] { quilt::gemm(ctx, params, buffers); });
}
