// Index-map kernels in global coordinates: pad and slice. Each output
// position reads one input position per dim, found through a per-dim table
// (kernel: pad_kernels.h). The compiler has already brought every needed
// input position onto this rank (a halo exchange on split dims), so the same
// kernel serves every layout.
#include "context.h"
#include "error.h"
#include "layout.h"
#include "pad_kernels.h"

#include <memory>
#include <vector>

namespace quilt {
namespace {

/// A gather's tables on the device, built once per op.
class IndexMapPlan : public KernelPlan {
public:
  std::vector<int64_t> hostTables; // what `tables` holds, kept for the copy
  DeviceBuffer tables;
  IndexMapKernel kernel{};
};

/// The plan for y[o] = x[source[0][o0], ..., source[r-1][o_r-1]] (local
/// indices), or `fill` where any table entry is -1.
std::unique_ptr<IndexMapPlan> indexMapPlan(Device &device, const TensorView &x,
                                           const TensorView &y,
                                           const std::vector<std::vector<int64_t>> &source,
                                           float fill) {
  auto plan = std::make_unique<IndexMapPlan>();
  int rank = x.rank();
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  IndexMapKernel &k = plan->kernel;
  k.rank = rank;
  k.total = y.numElements();
  k.fill = fill;
  for (int d = 0; d < rank; ++d) {
    k.extent[d] = y.extent[d];
    k.table[d] = static_cast<int64_t>(plan->hostTables.size());
    for (int64_t s : source[d])
      plan->hostTables.push_back(s < 0 ? -1 : s * xStrides[d]);
  }
  size_t bytes = plan->hostTables.size() * sizeof(int64_t);
  plan->tables = DeviceBuffer(device, bytes);
  device.copy(plan->tables.data(), plan->hostTables.data(), bytes, CopyKind::HostToDevice);
  k.tables = static_cast<const int64_t *>(plan->tables.data());
  return plan;
}

void runIndexMap(quilt_rt_ctx *ctx, IndexMapPlan &plan, void **buffers) {
  IndexMapKernel kernel = plan.kernel;
  kernel.x = static_cast<const float *>(buffers[0]);
  kernel.y = static_cast<float *>(buffers[1]);
  if (kernel.total)
    ctx->device.launch(kernel);
}

/// Where position `p` outside [0, n) reads from, per boundary mode; -1 for
/// the constant value.
int64_t boundarySource(int64_t p, int64_t n, int64_t mode) {
  switch (mode) {
  case QUILT_BOUNDARY_ZERO:
    return -1;
  case QUILT_BOUNDARY_PERIODIC:
    return ((p % n) + n) % n;
  case QUILT_BOUNDARY_REFLECT:
  case QUILT_BOUNDARY_EDGE:
    // The halo exchange widened this rank's range with the same function.
    return mirrorSource(p, n, static_cast<HaloBoundary>(mode));
  }
  raise("unknown pad mode ", mode);
}

void pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("padding rank differs from the tensors'");
  std::vector<int64_t> padLo = op.attrs.nextList(rank);
  float value = static_cast<float>(op.attrs.nextDouble());
  int64_t mode = op.attrs.next();
  size_t words = op.attrs.position() - params;
  if (auto *plan = ctx->findPlan<IndexMapPlan>(params, words))
    return runIndexMap(ctx, *plan, buffers);
  std::vector<std::vector<int64_t>> source(rank);
  for (int d = 0; d < rank; ++d) {
    int64_t n = x.dims[d].globalSize;
    source[d].resize(y.extent[d]);
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      int64_t global = y.start[d] + o - padLo[d];
      bool outside = global < 0 || global >= n;
      // A periodic halo already holds the wrapped values at these positions.
      bool inHalo = global >= x.start[d] && global < x.start[d] + x.extent[d];
      if (outside && !(mode == QUILT_BOUNDARY_PERIODIC && inHalo)) {
        global = boundarySource(global, n, mode);
        if (global < 0) {
          source[d][o] = -1;
          continue;
        }
      }
      int64_t local = global - x.start[d];
      if (local < 0 || local >= x.extent[d])
        raise("dim ", d, ": input position ", global, " is not on this rank");
      source[d][o] = local;
    }
  }
  runIndexMap(ctx,
              ctx->storePlan(params, words, indexMapPlan(ctx->device, x, y, source, value)),
              buffers);
}

void slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("slice rank differs from the tensors'");
  std::vector<int64_t> starts = op.attrs.nextList(rank), steps = op.attrs.nextList(rank);
  size_t words = op.attrs.position() - params;
  if (auto *plan = ctx->findPlan<IndexMapPlan>(params, words))
    return runIndexMap(ctx, *plan, buffers);
  std::vector<std::vector<int64_t>> source(rank);
  for (int d = 0; d < rank; ++d)
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      int64_t global = starts[d] + (y.start[d] + o) * steps[d];
      int64_t local = global - x.start[d];
      if (local < 0 || local >= x.extent[d])
        raise("dim ", d, ": input position ", global, " is not on this rank");
      source[d].push_back(local);
    }
  runIndexMap(ctx, ctx->storePlan(params, words, indexMapPlan(ctx->device, x, y, source, 0.f)),
              buffers);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "pad", [&] { quilt::pad(ctx, params, buffers); });
}

extern "C" void quilt_rt_slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "slice", [&] { quilt::slice(ctx, params, buffers); });
}
