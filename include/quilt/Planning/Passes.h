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
} // namespace quilt

#endif // QUILT_PLANNING_PASSES_H
