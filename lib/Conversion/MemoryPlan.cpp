//===- MemoryPlan.cpp - one static arena per rank --------------------------===//
#include "quilt/Conversion/MemoryPlan.h"

#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <numeric>

using namespace quilt;

static int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

MemoryPlan quilt::planMemory(llvm::ArrayRef<BufferRequest> requests, int64_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  llvm::SmallVector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::stable_sort(order, [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

  llvm::SmallVector<size_t> placed;
  for (size_t index : order) {
    const BufferRequest &req = requests[index];
    // Intervals already taken by buffers alive at the same time, by offset.
    llvm::SmallVector<std::pair<int64_t, int64_t>> busy;
    for (size_t other : placed) {
      const BufferRequest &o = requests[other];
      if (o.first <= req.last && req.first <= o.last)
        busy.push_back({plan.offsets[other], plan.offsets[other] + o.bytes});
    }
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + req.bytes <= begin)
        break;
      offset = std::max(offset, alignUp(end, alignment));
    }
    plan.offsets[index] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, alignUp(offset + req.bytes, alignment));
    placed.push_back(index);
  }
  return plan;
}
