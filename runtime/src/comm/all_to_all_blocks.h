// Block math of quilt_rt_all_to_all: which box of its input a rank sends to
// each member of the mesh axis, and where the box it receives from each member
// lands in its output. Header-only so the unit tests check it directly.
#ifndef QUILT_RUNTIME_ALL_TO_ALL_BLOCKS_H
#define QUILT_RUNTIME_ALL_TO_ALL_BLOCKS_H

#include "quilt/partition_math.h"

#include <cstdint>
#include <vector>

namespace quilt {

/// One box per member of the axis, in member (coordinate) order; offsets are
/// local indices.
struct AllToAllBlocks {
  std::vector<std::vector<int64_t>> sendOffset, sendExtent; // in the input
  std::vector<std::vector<int64_t>> recvOffset, recvExtent; // in the output
};

/// The input (local extents `inExtent`) holds block `coord` of dim `from`
/// (global size nFrom, `parts` blocks) and all of dim `to` (nTo); the output
/// holds all of `from` and block `coord` of `to`. Member j gets the input's
/// slab of block j of `to`, and sends back its block of `from` within block
/// `coord` of `to`.
inline AllToAllBlocks allToAllBlocks(const std::vector<int64_t> &inExtent, int from, int to,
                                     int64_t nFrom, int64_t nTo, int64_t parts, int64_t coord) {
  AllToAllBlocks blocks;
  std::vector<int64_t> zero(inExtent.size(), 0);
  for (int64_t j = 0; j < parts; ++j) {
    std::vector<int64_t> sendOffset = zero, sendExtent = inExtent;
    sendOffset[to] = blockStart(nTo, parts, j);
    sendExtent[to] = blockSize(nTo, parts, j);
    std::vector<int64_t> recvOffset = zero, recvExtent = inExtent;
    recvOffset[from] = blockStart(nFrom, parts, j);
    recvExtent[from] = blockSize(nFrom, parts, j);
    recvExtent[to] = blockSize(nTo, parts, coord);
    blocks.sendOffset.push_back(sendOffset);
    blocks.sendExtent.push_back(sendExtent);
    blocks.recvOffset.push_back(recvOffset);
    blocks.recvExtent.push_back(recvExtent);
  }
  return blocks;
}

inline int64_t boxElements(const std::vector<int64_t> &extent) {
  int64_t n = 1;
  for (int64_t e : extent)
    n *= e;
  return n;
}

} // namespace quilt

#endif // QUILT_RUNTIME_ALL_TO_ALL_BLOCKS_H
