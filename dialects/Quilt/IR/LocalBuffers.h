//===- LocalBuffers.h - static buffer bounds and in-place reuse -*- C++ -*-===//
//
// What the memory plan (quilt-lower-to-runtime) and the plan cost model must
// agree on: the bytes of the static buffer a value takes on every rank, when
// an op writes its result over an operand's buffer (a reshape then moves no
// data at all), and which ops run once at start-up rather than every step.
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

/// Whether `op` runs once, before the first step, into a buffer that lives as
/// long as the program (quilt_model_init, docs/runtime-abi.md): a constant
/// (a weight, or a large splat filled at run time) and a rank's block of one
/// (a shard_slice of a constant, or of such a slice: a weight split for tensor parallelism, the
/// FNO's spectral weights split with their modes). Its result depends on the
/// rank alone, so slicing it again every step would be waste: the cost model
/// gives it no time per step and no later op writes over its buffer.
bool computedOnceAtStart(mlir::Operation *op);

/// The operand `op` writes its result over, or null: an elementwise op or a
/// reshape may reuse an operand of the same buffer size and element count
/// that no later op reads, is not a function argument (inputs persist across
/// runs), is not computed once at start-up (it persists too) and has an arena buffer (`inArena`: constants in the weights have
/// none).
mlir::Value operandReusedInPlace(mlir::Operation &op, MeshOp mesh,
                                 llvm::function_ref<bool(mlir::Value)> inArena);

} // namespace quilt

#endif // QUILT_IR_LOCALBUFFERS_H
