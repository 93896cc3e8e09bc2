// Block math of quilt_rt_all_to_all: which box of its input a rank sends to
// each member of the group of the moving mesh axes, and where the box it
// receives from each member lands in its output. Header-only so the unit
// tests check it directly.
#ifndef QUILT_RUNTIME_ALL_TO_ALL_BLOCKS_H
#define QUILT_RUNTIME_ALL_TO_ALL_BLOCKS_H

#include "quilt/partition_math.h"

#include <cstdint>
#include <vector>

namespace quilt {

/// One box per member of the group, in member order (row-major over the
/// moving axes, as nestedOwnerBlock numbers owners); offsets are local indices.
struct AllToAllBlocks {
  std::vector<std::vector<int64_t>> sendOffset, sendExtent; // in the input
  std::vector<std::vector<int64_t>> recvOffset, recvExtent; // in the output
};

/// The moving mesh axes split, below the axes that stay, dim `from` of the
/// input (local extents `inExtent`) and, after the move, dim `to` of the
/// output, in nested blocks: `parts[levels]` ranks per moving axis, this rank
/// their owner `owner`. `fromParent` is the block of `from` the staying axes
/// leave (the output's whole local extent of `from`); the input holds its
/// whole parent block of `to` (extent inExtent[to]). Member j gets the
/// input's slab of owner j's nested block of `to`, and sends back its nested
/// block of `from` within this rank's block of `to`.
inline AllToAllBlocks allToAllBlocks(const std::vector<int64_t> &inExtent, int from, int to,
                                     int64_t fromParent, const int64_t *parts, int levels,
                                     int64_t owner) {
  AllToAllBlocks blocks;
  int64_t members = 1;
  for (int i = 0; i < levels; ++i)
    members *= parts[i];
  int64_t toParent = inExtent[to];
  int64_t ownTo = nestedOwnerBlock(toParent, 1, parts, levels, owner).size();
  std::vector<int64_t> zero(inExtent.size(), 0);
  for (int64_t j = 0; j < members; ++j) {
    Range toBlock = nestedOwnerBlock(toParent, 1, parts, levels, j);
    Range fromBlock = nestedOwnerBlock(fromParent, 1, parts, levels, j);
    std::vector<int64_t> sendOffset = zero, sendExtent = inExtent;
    sendOffset[to] = toBlock.begin;
    sendExtent[to] = toBlock.size();
    std::vector<int64_t> recvOffset = zero, recvExtent = inExtent;
    recvOffset[from] = fromBlock.begin;
    recvExtent[from] = fromBlock.size();
    recvExtent[to] = ownTo;
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
