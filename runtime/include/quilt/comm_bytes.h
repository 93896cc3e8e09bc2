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

/// An all-to-all that moves mesh axes (`parts[levels]` ranks each) from one
/// dim to another, whose block of `targetSize` positions the rank holds
/// before the move (the whole dim, or the block of the axes already splitting
/// it): the rank, owner `owner` of the moving axes (row-major), keeps its own
/// nested block of the target and sends every other block, each position of
/// which holds `bytesPerTargetPosition` of its buffer.
inline uint64_t allToAllBytes(uint64_t bytesPerTargetPosition, int64_t targetSize,
                              const int64_t *parts, int levels, int64_t owner) {
  int64_t own = nestedOwnerBlock(targetSize, 1, parts, levels, owner).size();
  return bytesPerTargetPosition * static_cast<uint64_t>(targetSize - own);
}

/// The pack region: one buffer per rank that every communication op packs
/// into in turn (ops run one after another on one stream), sized by the
/// compiler to the most any op of the program packs on any rank
/// (quilt_model_info's pack_scratch_bytes). An op that packs what it sends
/// and what it receives puts the sends first and the receives at the next
/// multiple of kPackAlignment.
constexpr uint64_t kPackAlignment = 256;

inline uint64_t packReceiveOffset(uint64_t sendBytes) {
  return (sendBytes + kPackAlignment - 1) / kPackAlignment * kPackAlignment;
}

/// Bytes of the pack region an op uses that packs `sendBytes` to send and
/// `receiveBytes` received.
inline uint64_t packRegionBytes(uint64_t sendBytes, uint64_t receiveBytes) {
  return receiveBytes ? packReceiveOffset(sendBytes) + receiveBytes : sendBytes;
}

} // namespace quilt

#endif // QUILT_COMM_BYTES_H
