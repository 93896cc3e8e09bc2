//===- Passes.h - passes that consult the cost model ------------*- C++ -*-===//
#ifndef QUILT_PLANNING_PASSES_H
#define QUILT_PLANNING_PASSES_H

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quilt {
#define GEN_PASS_DECL
#include "quilt/Planning/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quilt/Planning/Passes.h.inc"

/// One preference of quilt-choose-collective-algorithms (`prefer`, quiltc's
/// --collective-algorithm): every collective of `kind` runs `algorithm`.
struct CollectivePreference {
  CollectiveKind kind;
  CollectiveAlgorithm algorithm;
};
/// Parses KIND=ALGORITHM; fails with one line in `error` naming the
/// accepted kinds and algorithms.
mlir::FailureOr<CollectivePreference> parseCollectivePreference(llvm::StringRef entry,
                                                                 std::string &error);
} // namespace quilt

#endif // QUILT_PLANNING_PASSES_H
