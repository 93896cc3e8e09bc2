// Attention, local or by ring. One routine merges a K/V block into running
// per-query (max, sum, output) state, flash-attention style: the scores q k^T
// and the update p v through the backend's Blas, the online softmax between
// them by attention_kernels.h; the local kernel runs it once, the ring kernel
// once per rank of the axis while the blocks travel one rank forward each
// step (a collective permute of device memory). Either way the scores of the
// local queries against one block are all a rank holds, at most a budget of
// them at once (batch positions in chunks).
#include "attention_kernels.h"
#include "box.h"
#include "comm/comm_entry.h"
#include "context.h"
#include "error.h"
#include "layout.h"
#include "libraries/blas.h"

#include <algorithm>
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

/// The state and scratch of one op, device memory kept between calls. The
/// output rows accumulate in the result buffer itself (never an operand's:
/// the memory plan keeps a result apart from the operands it reads).
class AttentionPlan : public KernelPlan {
public:
  DeviceBuffer scores, rowMax, rowSum;
  float *acc = nullptr;
  bool merged = false; // whether a block has written the output rows
};

/// Scores held at once (floats): batch positions go in chunks of at most
/// this many scores (one position at least). The host keeps a chunk in its
/// caches (4 MiB); a GPU takes many positions per launch (64 MiB).
int64_t scoreBudget(const Device &device) {
  return device.hostAddressable() ? int64_t(1) << 20 : int64_t(1) << 24;
}

/// A bias added to the scores (tensor 3 of an op with 5: [b..., Tq.., Tk..],
/// split as the queries, whole along Tk): the kernel for every block, its
/// key tile filled in per block by `forBlock`.
struct AttentionBias {
  AttentionBiasKernel kernel{};
  bool present = false;

  /// The kernel for a block of keys whose tile is `ranges` (global, per key
  /// token dim).
  AttentionBiasKernel forBlock(const Range *ranges) const {
    AttentionBiasKernel block = kernel;
    for (int t = 0; t < kernel.keyDims; ++t) {
      block.keyExtent[t] = ranges[t].size();
      block.keyOffset[t] = ranges[t].begin;
    }
    return block;
  }
};

AttentionBias attentionBias(const OpParams &op, const void *const *buffers, int64_t tokens) {
  AttentionBias bias;
  if (op.tensors.size() != 5)
    return bias;
  const TensorView &q = op.tensors[0], &k = op.tensors[1], &b = op.tensors[3];
  int first = q.rank() - 1 - static_cast<int>(tokens);
  int rows = first + static_cast<int>(tokens);
  if (b.rank() != rows + static_cast<int>(tokens) ||
      b.rank() > AttentionBiasKernel::kMaxDims)
    raise("the bias must be [batch..., Tq.., Tk..] (rank ", rows + tokens, ")");
  std::vector<int64_t> strides = denseStrides(b.extent);
  AttentionBiasKernel &kernel = bias.kernel;
  kernel.bias = static_cast<const float *>(buffers[3]);
  kernel.rowDims = rows;
  kernel.keyDims = static_cast<int>(tokens);
  for (int d = 0; d < rows; ++d) {
    // Broadcast (extent 1) or the queries' local extent.
    if (b.extent[d] != 1 && b.extent[d] != q.extent[d])
      raise("bias dim ", d, " has ", b.extent[d], " positions where the queries have ",
            q.extent[d]);
    kernel.rowExtent[d] = q.extent[d];
    kernel.rowStride[d] = b.extent[d] == 1 ? 0 : strides[d];
  }
  for (int t = 0; t < kernel.keyDims; ++t) {
    int d = rows + t;
    int64_t keys = k.dims[first + t].globalSize;
    if (b.dims[d].isSplit() || (b.extent[d] != 1 && b.extent[d] != keys))
      raise("bias dim ", d, " must hold all ", keys, " keys (or broadcast)");
    kernel.keyStride[t] = b.extent[d] == 1 ? 0 : strides[d];
  }
  bias.present = true;
  return bias;
}

/// Merges keys `k` [batch, tk, d] and values `v` [batch, tk, dv] into the
/// state, with `bias` (the block's tile of it) added to the scores.
void mergeBlock(quilt_rt_ctx &ctx, Blas &blas, const AttentionDims &dims, const float *q,
                const float *k, const float *v, int64_t tk, AttentionPlan &plan,
                const AttentionBiasKernel *bias = nullptr) {
  if (tk == 0 || dims.tq == 0 || dims.batch == 0)
    return;
  Device &device = ctx.device;
  int64_t perBatch = dims.tq * tk;
  int64_t chunk = std::max<int64_t>(1, std::min(dims.batch, scoreBudget(device) / perBatch));
  plan.scores.reserve(device, chunk * perBatch * sizeof(float));
  float *s = plan.scores.floats();
  bool first = !plan.merged;
  plan.merged = true;
  for (int64_t b = 0; b < dims.batch; b += chunk) {
    int64_t count = std::min(chunk, dims.batch - b);
    float *acc = plan.acc + b * dims.tq * dims.dv;
    if (dims.d > 0) {
      blas.sgemm(false, true, dims.tq, tk, dims.d, 1.f, q + b * dims.tq * dims.d, dims.d,
                 dims.tq * dims.d, k + b * tk * dims.d, dims.d, tk * dims.d, 0.f, s, tk, perBatch,
                 count);
    } else { // no features: every score is 0
      std::vector<int64_t> shape{count * perBatch};
      device.fillBox(s, BoxRef{&shape, {0}}, shape, 0.f);
    }
    if (bias) {
      AttentionBiasKernel add = *bias;
      add.scores = s;
      add.rows = count * dims.tq;
      add.tk = tk;
      add.firstRow = b * dims.tq;
      device.launch(add);
    }
    device.launch(AttentionMergeKernel{s, plan.rowMax.floats() + b * dims.tq,
                                       plan.rowSum.floats() + b * dims.tq, acc, count * dims.tq,
                                       tk, dims.dv, first});
    if (dims.dv > 0)
      blas.sgemm(false, false, dims.tq, dims.dv, tk, 1.f, s, tk, perBatch, v + b * tk * dims.dv,
                 dims.dv, tk * dims.dv, first ? 0.f : 1.f, acc, dims.dv, dims.tq * dims.dv,
                 count);
  }
}

/// Empty state, the output rows accumulating in `y`.
void startState(Device &device, const AttentionDims &dims, AttentionPlan &plan, float *y) {
  int64_t rows = dims.batch * dims.tq;
  plan.rowMax.reserve(device, rows * sizeof(float));
  plan.rowSum.reserve(device, rows * sizeof(float));
  plan.acc = y;
  plan.merged = false;
  if (rows > 0)
    device.launch(AttentionStartKernel{plan.rowMax.floats(), plan.rowSum.floats(), rows});
}

/// y = the output rows over their sums, in place (no keys at all: 0 / 0).
void finish(Device &device, const AttentionDims &dims, AttentionPlan &plan) {
  int64_t rows = dims.batch * dims.tq;
  if (rows * dims.dv == 0)
    return;
  if (!plan.merged) {
    std::vector<int64_t> shape{rows * dims.dv};
    device.fillBox(plan.acc, BoxRef{&shape, {0}}, shape, 0.f);
  }
  device.launch(AttentionFinishKernel{plan.acc, plan.rowSum.floats(), plan.acc, rows, dims.dv});
}

/// Keys every query also attends to (a class token's, held by every rank):
/// tensors 3 and 4 of an op with 6 (pk [b..., tp, d], pv [b..., tp, dv]),
/// merged into the state like one more block. Returns their token count
/// (0 without).
int64_t prefixTokens(const OpParams &op, const AttentionDims &dims, int64_t tokens) {
  if (op.tensors.size() != 6)
    return 0;
  const TensorView &pk = op.tensors[3], &pv = op.tensors[4];
  int first = op.tensors[0].rank() - 1 - static_cast<int>(tokens);
  if (pk.rank() != first + 2 || pv.rank() != first + 2 || pk.product(0, first) != dims.batch ||
      pv.product(0, first) != dims.batch || pk.extent[first + 1] != dims.d ||
      pv.extent[first + 1] != dims.dv || pk.extent[first] != pv.extent[first])
    raise("prefix keys and values must be [batch..., tokens, d] and [batch..., tokens, dv]");
  return pk.extent[first];
}

AttentionPlan &planFor(quilt_rt_ctx *ctx, const int64_t *params, const OpParams &op) {
  size_t words = op.attrs.position() - params;
  auto *plan = ctx->findPlan<AttentionPlan>(params, words);
  return plan ? *plan : ctx->storePlan(params, words, std::make_unique<AttentionPlan>());
}

void attention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  // q, k, v[, prefix k, prefix v | bias], y
  expectTensorCount(op, 4, 6);
  int64_t tokens = op.attrs.next();
  const TensorView &k = op.tensors[1];
  size_t out = op.tensors.size() - 1;
  AttentionDims dims = attentionDims(op.tensors[0], k, op.tensors[2], op.tensors[out], tokens);
  int first = k.rank() - 1 - static_cast<int>(tokens);
  int64_t tk = k.product(first, k.rank() - 1);
  int64_t tp = prefixTokens(op, dims, tokens);
  AttentionBias bias = attentionBias(op, buffers, tokens);
  Range keys[AttentionBiasKernel::kMaxDims];
  for (int t = 0; t < tokens && t < AttentionBiasKernel::kMaxDims; ++t)
    keys[t] = {k.start[first + t], k.start[first + t] + k.extent[first + t]};
  AttentionBiasKernel blockBias = bias.forBlock(keys);
  if (tk + tp == 0 && dims.tq > 0)
    raise("attention over zero keys");
  Blas &blas = requireBlas(ctx->libraries, "attention");
  AttentionPlan &plan = planFor(ctx, params, op);
  startState(ctx->device, dims, plan, static_cast<float *>(buffers[out]));
  const float *q = static_cast<const float *>(buffers[0]);
  if (tp > 0)
    mergeBlock(*ctx, blas, dims, q, static_cast<const float *>(buffers[3]),
               static_cast<const float *>(buffers[4]), tp, plan);
  mergeBlock(*ctx, blas, dims, q, static_cast<const float *>(buffers[1]),
             static_cast<const float *>(buffers[2]), tk, plan,
             bias.present ? &blockBias : nullptr);
  finish(ctx->device, dims, plan);
}

void ringAttention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 4, 6);
  int64_t axis = op.attrs.next();
  int64_t tokens = op.attrs.next();
  const TensorView &k = op.tensors[1], &v = op.tensors[2];
  size_t out = op.tensors.size() - 1;
  AttentionDims dims = attentionDims(op.tensors[0], k, v, op.tensors[out], tokens);
  int64_t tp = prefixTokens(op, dims, tokens);
  AttentionBias bias = attentionBias(op, buffers, tokens);
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
  // The bias columns of owner `owner`'s keys.
  auto biasOf = [&](int64_t owner) {
    Range ranges[AttentionBiasKernel::kMaxDims];
    tileOwnerRanges(n.data(), granules.data(), levels.data(), static_cast<int>(tokens),
                    parts.data(), owner, ranges);
    return bias.forBlock(ranges);
  };
  Blas &blas = requireBlas(ctx->libraries, "ring_attention");
  Device &device = ctx->device;
  AttentionPlan &plan = planFor(ctx, params, op);
  // A block of keys then its values, packed: [batch, tk, d] then [batch, tk, dv].
  int64_t perToken = dims.batch * (dims.d + dims.dv);
  int64_t capacity = tileMaxSize(n.data(), granules.data(), levels.data(),
                                 static_cast<int>(tokens), parts.data()) *
                     perToken;
  // The block held and the one arriving, in the pack region (comm_bytes.h's
  // layout, as the compiler sizes it).
  size_t blockBytes = capacity * sizeof(float);
  auto [held, arriving] = ctx->packSendsAndReceives(blockBytes, blockBytes);
  float *kv[2] = {held, arriving};
  int64_t tk = k.product(first, r - 1);
  device.copy(kv[0], buffers[1], dims.batch * tk * dims.d * sizeof(float),
              CopyKind::DeviceToDevice);
  device.copy(kv[0] + dims.batch * tk * dims.d, buffers[2],
              dims.batch * tk * dims.dv * sizeof(float), CopyKind::DeviceToDevice);
  startState(device, dims, plan, static_cast<float *>(buffers[out]));
  const float *q = static_cast<const float *>(buffers[0]);
  // Every rank holds the prefix: merged once, before the ring.
  if (tp > 0)
    mergeBlock(*ctx, blas, dims, q, static_cast<const float *>(buffers[3]),
               static_cast<const float *>(buffers[4]), tp, plan);
  int next = ctx->ownerRank(axes, (coord + 1) % owners),
      prev = ctx->ownerRank(axes, (coord + owners - 1) % owners);
  for (int64_t step = 0; step < owners; ++step) {
    int64_t owner = ((coord - step) % owners + owners) % owners;
    int64_t size = blockOf(owner);
    const float *block = kv[step % 2];
    AttentionBiasKernel blockBias = biasOf(owner);
    mergeBlock(*ctx, blas, dims, q, block, block + dims.batch * size * dims.d, size, plan,
               bias.present ? &blockBias : nullptr);
    if (step + 1 == owners)
      break;
    // Forward the held block; receive the previous rank's (owner - 1).
    int64_t incoming = blockOf(((owner - 1) % owners + owners) % owners);
    Message send{next, kv[step % 2], size_t(size * perToken) * sizeof(float), int(step)};
    Message recv{prev, kv[(step + 1) % 2],
                 size_t(incoming * perToken) * sizeof(float), int(step)};
    // The block arriving overwrites the one merged a step ago.
    device.commAfterCompute();
    ctx->comm.exchange({send}, {recv});
    device.computeAfterComm();
  }
  finish(device, dims, plan);
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
