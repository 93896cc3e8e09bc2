// How many bytes one rank sends in a collective, as the runtime's
// communicator counts them: collectives as ring algorithms, whatever MPI
// really does underneath (docs/runtime-abi.md, "Timing"). Header-only and
// shared by the MPI communicator and the compiler's communication report, so
// prediction and measurement round the same way.
#ifndef QUILT_COMM_BYTES_H
#define QUILT_COMM_BYTES_H

#include "quilt/partition_math.h"

#include <cstdint>

namespace quilt {

/// A ring all-reduce of a `bufferBytes` buffer over `members` ranks sends
/// 2 (g-1)/g of the buffer from every rank (reduce-scatter, then all-gather).
inline uint64_t ringAllReduceBytes(uint64_t bufferBytes, int64_t members) {
  if (members <= 1)
    return 0;
  uint64_t g = static_cast<uint64_t>(members);
  return 2 * (g - 1) * bufferBytes / g;
}

/// A ring all-gather forwards every block of the `gatheredBytes` result but
/// the rank's own `ownBytes`.
inline uint64_t ringAllGatherBytes(uint64_t gatheredBytes, uint64_t ownBytes) {
  return gatheredBytes - ownBytes;
}

/// An all-to-all that moves a mesh axis of `parts` ranks from one dim to
/// another (of global size `targetSize`): the rank at coordinate `coord`
/// keeps its own block of the target dim and sends every other block, each
/// position of which holds `bytesPerTargetPosition` of its buffer.
inline uint64_t allToAllBytes(uint64_t bytesPerTargetPosition, int64_t targetSize, int64_t parts,
                              int64_t coord) {
  return bytesPerTargetPosition *
         static_cast<uint64_t>(targetSize - blockSize(targetSize, parts, coord));
}

} // namespace quilt

#endif // QUILT_COMM_BYTES_H
