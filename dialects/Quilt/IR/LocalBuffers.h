//===- LocalBuffers.h - static buffer bounds and in-place reuse -*- C++ -*-===//
//
// What the memory plan (quilt-lower-to-runtime) and the plan cost model must
// agree on: the bytes of the static buffer a value takes on every rank, and
// when an op writes its result over an operand's buffer (a reshape then moves
// no data at all).
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IR_LOCALBUFFERS_H
#define QUILT_IR_LOCALBUFFERS_H

#include "Quilt/IR/QuiltDialect.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace quilt {

/// The largest extent of `dim` of `type` on any rank of `mesh` (its halo'd
/// range included): the static buffer bound.
int64_t localExtentBound(mlir::RankedTensorType type, int64_t dim, MeshOp mesh);

/// Bytes of the static buffer holding `type` on every rank (float32).
int64_t localBufferBytes(mlir::Type type, MeshOp mesh);

/// The operand `op` writes its result over, or null: an elementwise op or a
/// reshape may reuse an operand of the same buffer size and element count
/// that no later op reads, is not a function argument (inputs persist across
/// runs) and has an arena buffer (`inArena`: constants in the weights have
/// none).
mlir::Value operandReusedInPlace(mlir::Operation &op, MeshOp mesh,
                                 llvm::function_ref<bool(mlir::Value)> inArena);

} // namespace quilt

#endif // QUILT_IR_LOCALBUFFERS_H
