//===- Executable.h - LLVM object emission and linking ----------*- C++ -*-===//
#ifndef QUILT_TARGET_EXECUTABLE_H
#define QUILT_TARGET_EXECUTABLE_H

#include "mlir/IR/BuiltinOps.h"
#include <string>

namespace quilt {

/// Translates an LLVM-dialect module to LLVM IR and writes a host object file.
mlir::LogicalResult emitObjectFile(mlir::ModuleOp module, const std::string &objectPath,
                                   std::string &error);

/// Translates an LLVM-dialect module to textual LLVM IR.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp module, llvm::raw_ostream &os, std::string &error);

/// Links `objectPath` with a Quilt runtime (a target's link line,
/// Targets.h) into an executable.
mlir::LogicalResult linkExecutable(const std::string &objectPath, const std::string &outputPath,
                                   const std::string &runtimeLinkLine, std::string &error);

} // namespace quilt

#endif // QUILT_TARGET_EXECUTABLE_H
