#include "window_map.h"
#include "error.h"

namespace quilt {
namespace {

/// Positions read outside the local buffer must be padding: outside
/// [0, global_size) and not wrapped data of a periodic halo.
void checkCoverage(const TensorView &x, int dim, const LocalWindow &lw) {
  const DimLayout &d = x.dims[dim];
  bool periodicHalo = d.hasHalo() && d.isPeriodic();
  int64_t start = x.start[dim];
  bool lowOk = lw.firstInput >= 0 || (!periodicHalo && start <= 0);
  bool highOk =
      lw.inputEnd <= lw.inputExtent || (!periodicHalo && start + lw.inputExtent >= d.globalSize);
  if (!lowOk || !highOk)
    raise("dim ", dim, ": local input holds global [", start, ", ", start + lw.inputExtent,
          ") but the local output reads [", start + lw.firstInput, ", ", start + lw.inputEnd,
          "), which includes non-padding positions it lacks");
}

} // namespace

LocalWindow mapWindowDim(const TensorView &x, const TensorView &y, int dim, const Window &op) {
  if (op.stride < 1 || op.dilation < 1 || op.kernel < 1)
    raise("dim ", dim, ": invalid window (stride ", op.stride, ", dilation ", op.dilation,
          ", kernel ", op.kernel, ")");
  const DimLayout &d = x.dims[dim];
  LocalWindow lw;
  lw.stride = op.stride;
  lw.dilation = op.dilation;
  lw.kernel = op.kernel;
  lw.inputExtent = x.extent[dim];
  lw.outputExtent = y.extent[dim];
  lw.inputStart = x.start[dim];
  lw.globalSize = d.globalSize;
  lw.periodic = d.hasHalo() && d.isPeriodic();
  // Global coordinates: the op's own padding says where its window starts,
  // the layout where the local input starts. A halo shared with wider
  // readers holds more than this op reads; it reads its sub-range.
  lw.firstInput = y.start[dim] * op.stride - op.padLo - x.start[dim];
  lw.inputEnd = lw.inputIndex(lw.outputExtent - 1, op.kernel - 1) + 1;
  if (lw.outputExtent > 0)
    checkCoverage(x, dim, lw);
  return lw;
}

bool isPaddingPosition(const TensorView &x, int dim, int64_t i) {
  if (i < 0 || i >= x.extent[dim])
    return true;
  const DimLayout &d = x.dims[dim];
  if (d.hasHalo() && d.isPeriodic())
    return false;
  int64_t global = x.start[dim] + i;
  return global < 0 || global >= d.globalSize;
}

} // namespace quilt
