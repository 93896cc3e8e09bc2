//===- MemoryPlan.h - one static arena per rank -----------------*- C++ -*-===//
#ifndef QUILT_CONVERSION_MEMORYPLAN_H
#define QUILT_CONVERSION_MEMORYPLAN_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>

namespace quilt {

/// A buffer live from step `first` to step `last` (inclusive).
struct BufferRequest {
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
};

struct MemoryPlan {
  llvm::SmallVector<int64_t> offsets; ///< one per request
  int64_t arenaBytes = 0;             ///< peak bytes per rank
};

/// Places every buffer in one arena so that buffers whose lifetimes overlap
/// never share bytes: largest first, each at the lowest aligned offset that
/// fits between the already placed buffers it overlaps in time.
MemoryPlan planMemory(llvm::ArrayRef<BufferRequest> requests, int64_t alignment);

} // namespace quilt

#endif // QUILT_CONVERSION_MEMORYPLAN_H
