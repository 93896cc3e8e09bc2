//===- QuiltDialect.h - the quilt dialect ---------------------*- C++ -*-===//
#ifndef QUILT_IR_QUILTDIALECT_H
#define QUILT_IR_QUILTDIALECT_H

#include "Quilt/IR/ShardingRule.h"
#include "quilt/collective_algorithms.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

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

/// The module attribute saying how float32 products and convolutions may
/// compute: absent or "fp32", in float32; "tf32", on tensor cores with
/// TF32 inputs (10-bit mantissa, float32 accumulation; quiltc --tf32, the
/// CUDA target only). The cost model times them at the device's TF32 peak
/// and the runtime's libraries run them so.
inline constexpr llvm::StringLiteral kMathAttr = "quilt.math";
/// Whether `op`'s module (or `op`, a module) allows TF32 (kMathAttr).
bool allowsTf32(mlir::Operation *op);

/// The attribute holding a collective's algorithm (collective_algorithms.h).
inline constexpr llvm::StringLiteral kCollectiveAlgorithmAttr = "algorithm";
/// The kind of a collective that carries an algorithm (quilt.all_reduce,
/// all_gather, reduce_scatter, all_to_all); none for any other op.
std::optional<CollectiveKind> collectiveKindOf(mlir::Operation *op);
/// The algorithm a collective records; none if it records none (the
/// runtime then runs the library's). The verifier checked the name.
std::optional<CollectiveAlgorithm> recordedCollectiveAlgorithm(mlir::Operation *op);
/// The ranks in each group of a collective that carries an algorithm (the
/// product of its mesh axes' sizes); none for any other op, or when its
/// mesh cannot be found (with an error).
std::optional<int64_t> collectiveGroupSize(mlir::Operation *op);

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
