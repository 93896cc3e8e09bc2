//===- Passes.h - quilt lowering passes -------------------------*- C++ -*-===//
#ifndef QUILT_CONVERSION_PASSES_H
#define QUILT_CONVERSION_PASSES_H

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quilt {
#define GEN_PASS_DECL
#include "quilt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "quilt/Conversion/Passes.h.inc"
} // namespace quilt

#endif // QUILT_CONVERSION_PASSES_H
