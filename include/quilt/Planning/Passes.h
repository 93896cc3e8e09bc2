//===- Passes.h - passes that consult the cost model ------------*- C++ -*-===//
#ifndef QUILT_PLANNING_PASSES_H
#define QUILT_PLANNING_PASSES_H

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>
#include <string>
#include <vector>

namespace quilt {
#define GEN_PASS_DECL
#include "quilt/Planning/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quilt/Planning/Passes.h.inc"

struct Topology;

/// quilt-choose-collective-algorithms on a topology the caller has loaded
/// (quiltc, the plan search), not read again from `options.topology`.
std::unique_ptr<mlir::Pass>
createQuiltChooseCollectiveAlgorithms(QuiltChooseCollectiveAlgorithmsOptions options,
                                      std::shared_ptr<const Topology> machine);

/// One preference of quilt-choose-collective-algorithms (`prefer`, quiltc's
/// --collective-algorithm): every collective of `kind` runs `algorithm`;
/// `entry` is the KIND=ALGORITHM text it was read from, for messages.
struct CollectivePreference {
  CollectiveKind kind;
  CollectiveAlgorithm algorithm;
  std::string entry;
};
/// Parses KIND=ALGORITHM entries, each kind named once; fails with one line
/// in `error` (an entry that is not KIND=ALGORITHM, with the accepted kinds
/// and algorithms; two entries naming the same kind).
mlir::FailureOr<std::vector<CollectivePreference>>
parseCollectivePreferences(llvm::ArrayRef<std::string> entries, std::string &error);
} // namespace quilt

#endif // QUILT_PLANNING_PASSES_H
