// Index-map kernels in global coordinates: pad and slice. Each output
// position reads one input position per dim, found through a per-dim table.
// The compiler has already brought every needed input position onto this
// rank (a halo exchange on split dims), so the same loop serves every layout.
#include "context.h"
#include "error.h"
#include "layout.h"

#include <vector>

namespace quilt {
namespace {

/// y[o] = x[source[0][o0], ..., source[r-1][o_r-1]], or `fill` where any
/// table entry is -1.
void gatherByTables(const TensorView &x, const TensorView &y,
                    const std::vector<std::vector<int64_t>> &source, const float *in, float *out,
                    float fill) {
  int rank = x.rank();
  std::vector<int64_t> xStrides = denseStrides(x.extent);
  int64_t total = y.numElements();
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t offset = 0;
    bool inside = true;
    for (int d = 0; d < rank && inside; ++d) {
      int64_t s = source[d][index[d]];
      inside = s >= 0;
      offset += s * xStrides[d];
    }
    out[i] = inside ? in[offset] : fill;
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < y.extent[d])
        break;
      index[d] = 0;
    }
  }
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
  gatherByTables(x, y, source, static_cast<const float *>(buffers[0]),
                 static_cast<float *>(buffers[1]), value);
}

void slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  OpParams op = decodeParams(*ctx, params);
  expectTensorCount(op, 2, 2);
  const TensorView &x = op.tensors[0], &y = op.tensors[1];
  int rank = x.rank();
  if (op.attrs.next() != rank || y.rank() != rank)
    raise("slice rank differs from the tensors'");
  std::vector<int64_t> starts = op.attrs.nextList(rank), steps = op.attrs.nextList(rank);
  std::vector<std::vector<int64_t>> source(rank);
  for (int d = 0; d < rank; ++d)
    for (int64_t o = 0; o < y.extent[d]; ++o) {
      int64_t global = starts[d] + (y.start[d] + o) * steps[d];
      int64_t local = global - x.start[d];
      if (local < 0 || local >= x.extent[d])
        raise("dim ", d, ": input position ", global, " is not on this rank");
      source[d].push_back(local);
    }
  gatherByTables(x, y, source, static_cast<const float *>(buffers[0]),
                 static_cast<float *>(buffers[1]), 0.f);
}

} // namespace
} // namespace quilt

extern "C" void quilt_rt_pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "pad", [&] { quilt::pad(ctx, params, buffers); });
}

extern "C" void quilt_rt_slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers) {
  quilt::runEntry(ctx, quilt::Phase::Compute, "slice", [&] { quilt::slice(ctx, params, buffers); });
}
