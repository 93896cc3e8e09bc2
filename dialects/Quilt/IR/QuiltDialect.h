//===- QuiltDialect.h - the quilt dialect ---------------------*- C++ -*-===//
#ifndef QUILT_IR_QUILTDIALECT_H
#define QUILT_IR_QUILTDIALECT_H

#include "Quilt/IR/ShardingRule.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Quilt/IR/QuiltDialect.h.inc"
#include "Quilt/IR/QuiltEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Quilt/IR/QuiltAttrs.h.inc"

#include "Quilt/IR/QuiltInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Quilt/IR/QuiltOps.h.inc"

namespace quilt {
/// The local encoding of a partitioned tensor type, or null.
LocalAttr getLocalEncoding(mlir::Type type);
/// The one mesh of a module, or null (with an error) when there is not exactly one.
MeshOp lookupMesh(mlir::Operation *from, mlir::FlatSymbolRefAttr name);

/// ONNX value names live in locations (invisible in printed IR, kept through
/// fusion): a FusedLoc whose metadata maps each name to [result index, type].
/// Records that `result` carries ONNX value `name`.
void recordOnnxValueName(mlir::OpResult result, llvm::StringRef name);
/// `loc` without the ONNX value names in it: for the ops a fusion absorbs,
/// whose values no longer exist (their node names stay).
mlir::Location withoutOnnxValueNames(mlir::Location loc);
/// Calls `fn(name, result)` for each ONNX value name in `op`'s location
/// (including those of ops fused into it) whose value `op` still computes:
/// the recorded result exists and has the recorded type.
void forEachOnnxValue(mlir::Operation *op,
                      llvm::function_ref<void(llvm::StringRef, mlir::OpResult)> fn);

/// The rule of an op computed element by element: each result dim a parallel
/// factor, shared by the operand dims that do not broadcast from extent 1.
ShardingRule elementwiseRule(mlir::Operation *op);
/// Checks that two operands of the result's rank broadcast numpy-style to it.
mlir::LogicalResult verifyBroadcastOperands(mlir::Operation *op);
} // namespace quilt

#endif // QUILT_IR_QUILTDIALECT_H
