//===- CommunicationCost.h - bytes each rank sends per comm op --*- C++ -*-===//
//
// The bytes every rank sends in each communication op of a partitioned
// program, counted the way the runtime's communicator counts them (message
// bytes for halo exchanges, ring algorithms for collectives), so that
// `quiltc --report` predicts exactly what `./model --report` measures.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_ANALYSIS_COMMUNICATIONCOST_H
#define QUILT_ANALYSIS_COMMUNICATIONCOST_H

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <string>

namespace quilt {

/// The mesh as the runtime sees it: world rank r has row-major coordinates
/// over the mesh axes, and every dim of a local tensor has an extent that
/// follows from them (docs/runtime-abi.md, "Tensor layout").
class MeshGrid {
public:
  explicit MeshGrid(MeshOp mesh);

  int64_t numRanks() const { return numRanks_; }
  /// Mesh coordinates of world rank `rank`.
  llvm::SmallVector<int64_t> coords(int64_t rank) const;
  /// The world rank at `coords` (row-major: the last axis varies fastest).
  int64_t rankOf(llvm::ArrayRef<int64_t> coords) const;
  int64_t numAxes() const { return shape_.size(); }
  MeshOp mesh() const { return mesh_; }
  /// Ranks along axis `axis` (by index).
  int64_t axisSize(int64_t axis) const { return shape_[axis]; }
  /// Index of the axis named `name`, or -1.
  int64_t axisIndex(llvm::StringRef name) const;

  /// The local extent of every dim of `type` on the rank at `coords`.
  llvm::SmallVector<int64_t> localExtents(mlir::RankedTensorType type,
                                          llvm::ArrayRef<int64_t> coords) const;

private:
  MeshOp mesh_;
  llvm::SmallVector<llvm::StringRef> names_;
  llvm::SmallVector<int64_t> shape_;
  int64_t numRanks_ = 1;
};

/// What one communication op sends.
struct CommunicationCost {
  mlir::Operation *op = nullptr;
  /// The op's name without `quilt.`: also the runtime entry point's name
  /// without `quilt_rt_`, which is how the runtime's report names it.
  std::string kind;
  /// Bytes each world rank sends, in rank order.
  llvm::SmallVector<uint64_t> bytesSentPerRank;
  /// Messages each world rank sends (ring steps for collectives).
  llvm::SmallVector<uint64_t> messagesPerRank;
  /// Collectives: the mesh axes (indices) of the op's groups: ranks that
  /// differ only on them take part together.
  llvm::SmallVector<int64_t> groupAxes;
  /// Point-to-point ops (halo exchanges, permutes): each rank's receivers.
  llvm::SmallVector<llvm::SmallVector<int64_t, 2>> peersPerRank;
  /// The ranks evaluated (every rank unless a selection chose some; the
  /// others' entries above are 0).
  llvm::SmallVector<int64_t> ranks;
  /// Bytes each world rank copies within its own memory, besides what the
  /// communicator moves: the part of its own block a halo exchange or
  /// re-block keeps in its result (the runtime's local segments); a
  /// collective's packing and unpacking (collectiveCopyBytes).
  llvm::SmallVector<uint64_t> bytesCopiedPerRank;
  /// The contiguous runs of those copies (each one copy call, which the
  /// cost model times beside the bytes: an all-to-all packing blocks of a
  /// minor dim copies many short runs).
  llvm::SmallVector<uint64_t> copyRunsPerRank;
  /// Bytes of the rank's pack region the runtime's entry point uses
  /// (quilt::packRegionBytes): a halo exchange's or re-block's slabs when
  /// they are strided, an all-gather's or reduce-scatter's blocks packed in
  /// member order, an all-to-all's packed input and result, a ring
  /// attention's block of keys and values held and the one arriving. The region is
  /// sized to the most of any op on any rank (packScratchBytes).
  llvm::SmallVector<uint64_t> packBytesPerRank;
};

/// The pack region each rank needs for `costs`: the most any op uses on it.
llvm::SmallVector<uint64_t> packScratchBytesPerRank(llvm::ArrayRef<CommunicationCost> costs,
                                                    int64_t numRanks);

/// The ranks `rank` sends to in a halo exchange, and how many positions each.
llvm::SmallVector<std::pair<int64_t, int64_t>> haloSends(HaloExchangeOp op, const MeshGrid &grid,
                                                         int64_t rank);

/// The ranks to evaluate for an op (the plan cost model's rank classes).
using RankSelection = std::function<llvm::SmallVector<int64_t>(mlir::Operation *)>;

/// Every communication op of `func` in program order, the order in which the
/// runtime calls them, evaluated on every rank (or on the ranks `select`
/// picks per op). Fails with an error on the op when a communication op has
/// no byte formula.
mlir::FailureOr<llvm::SmallVector<CommunicationCost, 0>>
communicationCosts(mlir::func::FuncOp func, MeshOp mesh, RankSelection select = nullptr);

} // namespace quilt

#endif // QUILT_ANALYSIS_COMMUNICATIONCOST_H
