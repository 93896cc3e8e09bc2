//===- Passes.h - quilt sharding and partitioning passes --------*- C++ -*-===//
#ifndef QUILT_TRANSFORMS_PASSES_H
#define QUILT_TRANSFORMS_PASSES_H

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quilt {
#define GEN_PASS_DECL
#include "quilt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

#endif // QUILT_TRANSFORMS_PASSES_H
