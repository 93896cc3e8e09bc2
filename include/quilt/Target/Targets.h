//===- Targets.h - the runtime targets quiltc links for ---------*- C++ -*-===//
//
// One registry of what `quiltc --target=NAME` means: the runtime archive and
// link line, the alignment of arena slots and weights, and whether this build
// has the archive, and whether its communicator runs the runtime's own
// collective schedules. The compiled model objects differ only in the
// algorithm each collective records (NCCL's targets: the library's).
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_TARGET_TARGETS_H
#define QUILT_TARGET_TARGETS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace quilt {

struct TargetSpec {
  const char *name;
  const char *description;
  /// Appended to `mpicxx model.o`; empty when this build has no archive.
  const char *linkLine;
  /// Arena slots and the weights blob start at multiples of this.
  int64_t alignment;
  /// Why the archive is missing (when linkLine is empty).
  const char *missingBecause;
  /// Runtime entry points (quilt_rt_NAME) the target's runtime does not
  /// have yet, null-terminated; a model calling one is refused by name.
  const char *const *missingCalls = nullptr;
  /// Whether the target's communicator runs the runtime's own collective
  /// schedules (MPI: ring, recursive doubling, ...; collective_algorithms.h)
  /// or only its library's collectives (NCCL, whose tuner picks).
  bool runsCollectiveSchedules = false;
  /// Whether its libraries can compute on tensor cores with TF32 inputs
  /// (quiltc --tf32).
  bool tensorCoreMath = false;

  /// Whether the runtime has quilt_rt_`call`.
  bool provides(llvm::StringRef call) const;
};

/// Every target, available here or not, in --help order.
llvm::ArrayRef<TargetSpec> allTargets();
/// The target named `name`, or null.
const TargetSpec *findTarget(llvm::StringRef name);

} // namespace quilt

#endif // QUILT_TARGET_TARGETS_H
