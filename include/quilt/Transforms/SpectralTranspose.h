//===- SpectralTranspose.h - all-to-all instead of gathering for DFTs -*- C++ -*-===//
//
// A DFT needs its axis whole. When the axis is split, moving its mesh axis to
// another dim (quilt.all_to_all) makes it local at the cost of one transpose,
// where an all-gather would make every rank hold and transform everything.
// Propagation decides the move (spectralAxisMove) and records it in the plan
// (quilt.axis_move); the partitioner builds what the plan says.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_TRANSFORMS_SPECTRALTRANSPOSE_H
#define QUILT_TRANSFORMS_SPECTRALTRANSPOSE_H

#include "quilt/Transforms/ShardingUtils.h"

#include <optional>

namespace quilt {

/// Set by quilt-shrink-spectral-transposes on a Pad or Concat whose only user
/// is a DFT along the dim it pads or concatenates: a split of that dim moves
/// by all-to-all before the op, so the transpose carries the unpadded tensor.
inline constexpr llvm::StringLiteral kTransposeForDftAttr = "quilt.transpose_for_dft";

/// The mesh axes splitting dim `from` (which the op needs whole) moving to
/// dim `to` (major first, nested blocks kept).
struct AxisMove {
  int64_t from = -1;
  int64_t to = -1;
  llvm::SmallVector<std::string, 1> axes;
};

/// For a DFT whose axis is split (by one or several mesh axes), or a marked
/// Pad/Concat whose padded/concatenated dim is: the move that makes that dim
/// local, or nullopt when the op needs none or no dim can take the axes
/// (then the dim is gathered, with a remark). `operands` are the operands'
/// current splits; no operand may use the moving axes on another dim. The
/// target is a dim the op keeps parallel, split in no operand, not the
/// trailing complex dim, with more than one position: preferring a signal
/// dim (index >= 2 of an NC... tensor: the channel mixing that follows then
/// needs no all-reduce, even if some ranks get no mode), then one that gives
/// every rank of the axes a position, then the largest, then the later one.
std::optional<AxisMove> spectralAxisMove(mlir::Operation *op, llvm::ArrayRef<AxisSplit> operands);

/// The plan attribute recording an op's move:
/// `quilt.axis_move = {axes = ["x"], from = 2 : i64, to = 3 : i64}`.
inline constexpr llvm::StringLiteral kAxisMoveAttr = "quilt.axis_move";

/// Whether the all-to-all of `move` runs on an operand split per `split`
/// (the moving axes are all of dim `from`, in plain blocks, and dim `to` is
/// not split); `split` then becomes the moved layout.
bool applyAxisMove(const AxisMove &move, AxisSplit &split);

/// Records `move` on `op` (or removes a recorded one when none).
void recordAxisMove(mlir::Operation *op, const std::optional<AxisMove> &move);
/// The move `op`'s plan records, nullopt when none, or an error on the op
/// when the attribute is malformed.
mlir::FailureOr<std::optional<AxisMove>> readAxisMove(mlir::Operation *op);

/// " ; mesh axis "x" moves from dim 2 to dim 3 (all-to-all)" for an origin.
std::string describeAxisMove(const AxisMove &move);

/// Whether `op` may move a mesh axis to another dim (a DFT, or a Pad/Concat feeding one).
bool mayMoveSpectralAxis(mlir::Operation *op);

} // namespace quilt

#endif // QUILT_TRANSFORMS_SPECTRALTRANSPOSE_H
