// How the local input of a windowed op (conv, pool) lines up with its local
// output along one spatial dim, derived from the two layouts.
//
// Attributes are the op's global (ONNX) attributes, pads included, on every
// dim: the op reads its input in global coordinates. On a dim whose input
// holds a halo, the layout says which global range the local buffer holds;
// that range may be wider than the op's window needs (one halo exchange
// shared by several readers at the widest range, quilt-share-halos), and the
// op reads its own sub-range of it.
#ifndef QUILT_RUNTIME_WINDOW_MAP_H
#define QUILT_RUNTIME_WINDOW_MAP_H

#include "layout.h"
#include "window_map_kernels.h"

namespace quilt {

/// Maps tensor dim `dim` of input `x` to output `y` for an op window with
/// `opWindow` (kernel, stride, dilation, pad_lo) as a LocalWindow
/// (window_map_kernels.h: plain values kernel bodies may carry). Throws
/// when the local input does not hold every non-padding position the local
/// output reads.
LocalWindow mapWindowDim(const TensorView &x, const TensorView &y, int dim, const Window &opWindow);

/// Whether local input index `i` of `x`'s dim `dim` is padding: outside the
/// buffer, or a position outside [0, global_size) of a zero-boundary halo.
bool isPaddingPosition(const TensorView &x, int dim, int64_t i);

} // namespace quilt

#endif // QUILT_RUNTIME_WINDOW_MAP_H
