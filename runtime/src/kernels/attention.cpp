// Attention, local or by ring. One routine merges a K/V block into running
// per-query (max, sum, output) state, flash-attention style; the local
// kernel runs it once, the ring kernel once per rank of the axis while the
// blocks travel one rank forward each step (a collective permute). Either
// way the scores of the local queries against one block are all a rank holds.
#include "comm/comm_entry.h"
#include "context.h"
#include "error.h"
#include "layout.h"

#include <dnnl.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace quilt {
namespace {

struct AttentionDims {
  int64_t batch = 1, tq = 0, d = 0, dv = 0;
};

/// The last `tokens` dims before the features are the tokens, flattened
/// (a local tile of a token grid is contiguous row-major).
AttentionDims attentionDims(const TensorView &q, const TensorView &k, const TensorView &v,
                            const TensorView &y, int64_t tokens) {
  int r = q.rank();
  if (tokens < 1 || r < tokens + 1 || k.rank() != r || v.rank() != r || y.rank() != r)
    raise("q, k, v and y need one rank > token_dims = ", tokens);
  int first = r - 1 - static_cast<int>(tokens);
  AttentionDims dims;
  dims.batch = q.product(0, first);
  dims.tq = q.product(first, r - 1);
  dims.d = q.extent[r - 1];
  dims.dv = v.extent[r - 1];
  if (k.product(0, first) != dims.batch || v.product(0, first) != dims.batch ||
      k.extent[r - 1] != dims.d || y.product(first, r - 1) != dims.tq ||
      y.extent[r - 1] != dims.dv || v.product(first, r - 1) != k.product(first, r - 1))
    raise("q ", dims.tq, "x", dims.d, ", k and v feature sizes ", k.extent[r - 1], " and ",
          dims.dv, " do not line up");
  return dims;
}

class AttentionPlan : public KernelPlan {
public:
  std::vector<float> scores, rowMax, rowSum, acc;
  std::vector<float> kv[2]; // ring: the block held and the one arriving
};

void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
           const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  dnnl::status status = dnnl::sgemm(ta, tb, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl::status::success)
    raise("oneDNN sgemm failed with status ", static_cast<int>(status));
}

/// Merges keys `k` [batch, tk, d] and values `v` [batch, tk, dv] into the state.
void mergeBlock(const AttentionDims &dims, const float *q, const float *k, const float *v,
                int64_t tk, AttentionPlan &plan) {
  if (tk == 0 || dims.tq == 0)
    return;
  plan.scores.resize(dims.tq * tk);
  for (int64_t b = 0; b < dims.batch; ++b) {
    float *s = plan.scores.data();
    sgemm('N', 'T', dims.tq, tk, dims.d, q + b * dims.tq * dims.d, dims.d, k + b * tk * dims.d,
          dims.d, 0.f, s, tk);
    float *acc = plan.acc.data() + b * dims.tq * dims.dv;
    for (int64_t i = 0; i < dims.tq; ++i) {
      float *row = s + i * tk;
      float &m = plan.rowMax[b * dims.tq + i], &l = plan.rowSum[b * dims.tq + i];
      float blockMax = *std::max_element(row, row + tk);
      float newMax = std::max(m, blockMax);
      float rescale = std::exp(m - newMax); // 0 on the first block (m = -inf)
      float sum = 0;
      for (int64_t j = 0; j < tk; ++j) {
        row[j] = std::exp(row[j] - newMax);
        sum += row[j];
      }
      l = l * rescale + sum;
      m = newMax;
      for (int64_t c = 0; c < dims.dv; ++c)
        acc[i * dims.dv + c] *= rescale;
    }
    sgemm('N', 'N', dims.tq, dims.dv, tk, s, tk, v + b * tk * dims.dv, dims.dv, 1.f, acc, dims.dv);
  }
}

void startState(const AttentionDims &dims, AttentionPlan &plan) {
  plan.rowMax.assign(dims.batch * dims.tq, -std::numeric_limits<float>::infinity());
  plan.rowSum.assign(dims.batch * dims.tq, 0.f);
  plan.acc.assign(dims.batch * dims.tq * dims.dv, 0.f);
}

void finish(const AttentionDims &dims, const AttentionPlan &plan, float *y) {
  for (int64_t r = 0; r < dims.batch * dims.tq; ++r)
    for (int64_t c = 0; c < dims.dv; ++c)
      y[r * dims.dv + c] = plan.acc[r * dims.dv + c] / plan.rowSum[r];
}

AttentionPlan &planFor(quilt_rt_ctx *ctx, const int64_t *params, const OpParams &op) {
  size_t words = op.attrs.position() - params;
  auto *plan = ctx->findPlan<AttentionPlan>(params, words);
  return plan ? *plan : ctx->storePlan(params, words, std::make_unique<AttentionPlan>());
}

void attention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 4, 4);
  int64_t tokens = op.attrs.next();
  const TensorView &k = op.tensors[1];
  AttentionDims dims = attentionDims(op.tensors[0], k, op.tensors[2], op.tensors[3], tokens);
  int64_t tk = k.product(k.rank() - 1 - static_cast<int>(tokens), k.rank() - 1);
  AttentionPlan &plan = planFor(ctx, params, op);
  startState(dims, plan);
  mergeBlock(dims, static_cast<const float *>(buffers[0]), static_cast<const float *>(buffers[1]),
             static_cast<const float *>(buffers[2]), tk, plan);
  if (tk == 0 && dims.tq > 0)
    raise("attention over zero keys");
  finish(dims, plan, static_cast<float *>(buffers[3]));
}

void ringAttention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 4, 4);
  int64_t axis = op.attrs.next();
  int64_t tokens = op.attrs.next();
  const TensorView &k = op.tensors[1], &v = op.tensors[2];
  AttentionDims dims = attentionDims(op.tensors[0], k, v, op.tensors[3], tokens);
  int r = k.rank(), first = r - 1 - static_cast<int>(tokens);
  // The ring runs over every mesh axis splitting a token dim of the keys:
  // owners of nested blocks, row-major over the axes (the major token dim's
  // first, `axis` the very first); a block is an owner's tile of tokens.
  std::vector<int64_t> axes, n, granules, levels, parts;
  for (int t = first; t < r - 1; ++t) {
    const DimLayout &dim = k.dims[t];
    std::vector<int64_t> dimAxes = dim.axes();
    if (v.dims[t].axes() != dimAxes || v.dims[t].granule != dim.granule || dim.hasHalo())
      raise("keys and values must be split alike along token dim ", t);
    for (int64_t a : dimAxes) {
      axes.push_back(a);
      parts.push_back(ctx->axisSize(a));
    }
    n.push_back(dim.globalSize);
    granules.push_back(dim.granule);
    levels.push_back(static_cast<int64_t>(dimAxes.size()));
  }
  if (axes.empty() || axes.front() != axis)
    raise("keys and values must be split along their tokens, first along mesh axis ", axis);
  int64_t owners = 1;
  for (int64_t p : parts)
    owners *= p;
  int64_t coord = ctx->ownerIndex(axes);
  auto blockOf = [&](int64_t owner) {
    return tileOwnerSize(n.data(), granules.data(), levels.data(), static_cast<int>(tokens),
                         parts.data(), owner);
  };
  AttentionPlan &plan = planFor(ctx, params, op);
  // A block of keys then its values, packed: [batch, tk, d] then [batch, tk, dv].
  int64_t perToken = dims.batch * (dims.d + dims.dv);
  int64_t capacity = tileMaxSize(n.data(), granules.data(), levels.data(),
                                 static_cast<int>(tokens), parts.data()) *
                     perToken;
  for (auto &buffer : plan.kv)
    buffer.resize(capacity);
  int64_t tk = k.product(first, r - 1);
  std::copy_n(static_cast<const float *>(buffers[1]), dims.batch * tk * dims.d, plan.kv[0].data());
  std::copy_n(static_cast<const float *>(buffers[2]), dims.batch * tk * dims.dv,
              plan.kv[0].data() + dims.batch * tk * dims.d);
  startState(dims, plan);
  const float *q = static_cast<const float *>(buffers[0]);
  int next = ctx->ownerRank(axes, (coord + 1) % owners),
      prev = ctx->ownerRank(axes, (coord + owners - 1) % owners);
  for (int64_t step = 0; step < owners; ++step) {
    int64_t owner = ((coord - step) % owners + owners) % owners;
    int64_t size = blockOf(owner);
    const float *block = plan.kv[step % 2].data();
    mergeBlock(dims, q, block, block + dims.batch * size * dims.d, size, plan);
    if (step + 1 == owners)
      break;
    // Forward the held block; receive the previous rank's (owner - 1).
    int64_t incoming = blockOf(((owner - 1) % owners + owners) % owners);
    Message send{next, plan.kv[step % 2].data(), size_t(size * perToken) * sizeof(float),
                 int(step)};
    Message recv{prev, plan.kv[(step + 1) % 2].data(),
                 size_t(incoming * perToken) * sizeof(float), int(step)};
    ctx->comm.exchange({send}, {recv});
  }
  finish(dims, plan, static_cast<float *>(buffers[3]));
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_attention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "attention",
                  [&] { quilt::attention(ctx, params, buffers); });
}

extern "C" void quilt_rt_ring_attention(quilt_rt_ctx *ctx, const int64_t *params,
                                        void **buffers) {
  quilt::runCommEntry(ctx, quilt::Phase::Collectives, "ring_attention",
                      [&] { quilt::ringAttention(ctx, params, buffers); });
}
