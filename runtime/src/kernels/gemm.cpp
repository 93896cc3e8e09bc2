// y = alpha * op(a) op(b) + beta * c through oneDNN's sgemm; c is first
// broadcast into y so sgemm's beta term applies it (gemm_params.h).
#include "context.h"
#include "error.h"
#include "gemm_params.h"

#include <dnnl.hpp>

namespace quilt {
namespace {

void gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  GemmOp g = decodeGemm(*ctx, params, buffers);
  if (!prepareGemmOutput(ctx->device, g))
    return;
  dnnl::status status = dnnl::sgemm(g.transA ? 'T' : 'N', g.transB ? 'T' : 'N', g.m, g.n, g.k,
                                    g.alpha, g.a, g.lda, g.b, g.ldb, g.hasC ? g.beta : 0.f, g.y,
                                    g.n);
  if (status != dnnl::status::success)
    raise("oneDNN sgemm failed with status ", static_cast<int>(status));
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "gemm",
                  [&] { quilt::gemm(ctx, params, buffers); });
}
