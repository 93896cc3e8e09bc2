//===- ShardingUtils.h - shardings as editable per-dim axis lists -*- C++ -*-===//
#ifndef QUILT_TRANSFORMS_SHARDINGUTILS_H
#define QUILT_TRANSFORMS_SHARDINGUTILS_H

#include "Quilt/IR/QuiltDialect.h"

namespace quilt {

/// A sharding in editable form: for each dim the mesh axes splitting it,
/// plus the partial axes.
struct AxisSplit {
  llvm::SmallVector<llvm::SmallVector<std::string, 1>> dims;
  llvm::SmallVector<std::string, 1> partial;
  /// Per dim: split in whole granules of this many positions (1: plain blocks).
  llvm::SmallVector<int64_t> granules;

  static AxisSplit replicated(int64_t rank);
  static AxisSplit fromAttr(ShardingAttr attr, int64_t rank);
  ShardingAttr toAttr(mlir::MLIRContext *ctx, mlir::FlatSymbolRefAttr mesh) const;
  bool isSplit() const;
  int64_t granule(size_t dim) const { return dim < granules.size() ? granules[dim] : 1; }
  /// Whether dim `dim` of both is split alike (same axes, same granule).
  bool sameDim(const AxisSplit &other, size_t dim) const {
    return dims[dim] == other.dims[dim] &&
           (dims[dim].empty() || granule(dim) == other.granule(dim));
  }
  bool operator==(const AxisSplit &other) const {
    if (dims.size() != other.dims.size() || partial != other.partial)
      return false;
    for (size_t d = 0; d < dims.size(); ++d)
      if (!sameDim(other, d))
        return false;
    return true;
  }
};

/// The per-rank type of a value of `global` type split per `split`: split
/// dims become dynamic and the type carries a #quilt.local encoding. A value
/// that is not split keeps its global type.
mlir::RankedTensorType localType(mlir::RankedTensorType global, const AxisSplit &split,
                                 mlir::FlatSymbolRefAttr mesh, mlir::ArrayAttr halos = {});

/// Whether dim `dim` (of `size` positions) of `split` lays out every rank's
/// block exactly as a split in whole granules of `granule` would: a plain
/// split of 16 rows over 2 ranks is one of 4-row windows, over 3 it is not.
/// Such a split needs no data moved to serve a reshape that wants granules.
bool blocksFallOnGranules(const AxisSplit &split, size_t dim, int64_t size, int64_t granule,
                          MeshOp mesh);

/// The sharding recorded on result `index` of `op` by propagation, or a
/// replicated one.
AxisSplit getResultSplit(mlir::Operation *op, unsigned index);
/// The sharding of any value: from its defining op, or replicated for block args.
AxisSplit getValueSplit(mlir::Value value);

/// The attribute names propagation writes.
inline constexpr llvm::StringLiteral kShardingsAttr = "quilt.shardings";
inline constexpr llvm::StringLiteral kOriginAttr = "quilt.sharding_origin";
/// On a quilt.annotate that propagation placed (not the user): a reshard
/// moved upstream of a conflict to where it moves fewer bytes; the string
/// says why, for the partitioner's remark.
inline constexpr llvm::StringLiteral kReshardReasonAttr = "quilt.reshard_reason";
/// On a quilt.annotate from --shard (or the default split): the value's ONNX name.
inline constexpr llvm::StringLiteral kValueNameAttr = "quilt.name";
/// On a quilt.annotate propagation rewrote to a stronger annotation's
/// layout: what it was and for which op, for --explain-sharding.
inline constexpr llvm::StringLiteral kRewriteReasonAttr = "quilt.rewrite_reason";

/// Annotation priorities (Shardy's p0, p1, ...): smaller is stronger. User
/// annotations take 0 to kMaxUserPriority; an input's default split
/// kDefaultSplitPriority; a value no annotation decides, kNoPriority.
inline constexpr int64_t kMaxUserPriority = 999;
inline constexpr int64_t kDefaultSplitPriority = 1000;
inline constexpr int64_t kNoPriority = INT64_MAX;

/// The priority a quilt.annotate pins its value with: its `priority` (0 when
/// absent; for a reshard propagation placed, the priority of the split it
/// serves, kNoPriority when absent).
int64_t annotationPriority(AnnotateOp annotate);
/// "p0", "p1", ..., "the default split", or "no annotation".
std::string describePriority(int64_t priority);

/// `mesh axis "x"`, or `mesh axes "x", "y"` for several: for remarks.
std::string describeAxes(llvm::ArrayRef<std::string> axes);

/// The ONNX node name an op's location carries (the importer's NameLoc), or "".
std::string onnxNodeName(mlir::Operation *op);
/// "ONNX node 'NAME' (quilt.op)", or the op name when it has no ONNX node.
std::string describeNode(mlir::Operation *op);

} // namespace quilt


namespace quilt {

/// One step of a reshard, in the order the partitioner emits it.
struct ReshardStep {
  enum class Kind {
    /// quilt.all_gather: `dim` loses its last mesh axis `axes[0]`.
    Gather,
    /// quilt.all_to_all: `axes`, the minor-most axes of `dim`, become the
    /// minor-most axes of `toDim` (both plain blocks).
    AllToAll,
    /// quilt.shard_slice: `dim` takes mesh axis `axes[0]` in granules of `granule`.
    Slice,
    /// No data moves: `dim`'s blocks already fall on granules of `granule`
    /// (blocksFallOnGranules), the same layout under another name.
    Relabel,
    /// quilt.reblock: `dim`, split over `axes` in blocks of whole granules
    /// of `fromGranule`, becomes blocks of whole granules of `granule` over
    /// the same axes; only the positions that change owner move.
    Reblock,
  };
  Kind kind;
  llvm::SmallVector<std::string, 1> axes;
  int64_t dim = -1;
  int64_t toDim = -1;
  int64_t granule = 1;
  int64_t fromGranule = 1;
};

/// The steps that lay a value split per `have` out per `want` (partial axes
/// ignored). Where the minor-most axes of a dim (plain blocks) are the
/// minor-most axes `want` splits another dim by (plain blocks), after the
/// axes that dim has or can slice locally, they move there by one all-to-all
/// (when `allowAllToAll`: the value has no halo); every other axis that
/// leaves a dim is gathered; then the dims `want` splits further are sliced
/// locally. An all-to-all into a dim that holds its wanted major axes
/// already runs before the gathers (which would make it larger); the others
/// after them. Axes trading dims (each move waits on the other) are resolved
/// by gathering the one over the fewest ranks of `mesh`. With the value's
/// global `shape`, a dim whose blocks already fall on the granules `want`
/// asks for (or on plain blocks) is relabelled first, moving nothing; one
/// split over the same axes in other granules is re-blocked (when
/// `allowAllToAll`), moving only the positions that change owner.
llvm::SmallVector<ReshardStep> planReshard(const AxisSplit &have, const AxisSplit &want,
                                           MeshOp mesh, bool allowAllToAll = true,
                                           llvm::ArrayRef<int64_t> shape = {});

/// The bytes one rank sends, estimated from the global shape and the mesh
/// axis sizes (blocks taken as even), for `steps` applied to a value of
/// `global` type split per `have`: a gather over P ranks sends the gathered
/// local tensor times (P-1)/P, an all-to-all the local tensor times (P-1)/P,
/// a slice nothing (P: the ranks of the axes the step moves).
uint64_t reshardBytes(llvm::ArrayRef<ReshardStep> steps, const AxisSplit &have,
                      mlir::RankedTensorType global, MeshOp mesh);

/// What factorAxes knows of an operand.
struct OperandLayout {
  AxisSplit split;
  mlir::RankedTensorType global;
  /// The strongest annotation its split derives from: a split of a stronger
  /// priority is never moved when another assignment keeps it.
  int64_t priority = kNoPriority;
};

/// `op`'s result types as factorAxes takes them (null for non-tensors).
llvm::SmallVector<mlir::RankedTensorType> resultTypes(mlir::Operation *op);

/// The mesh axes each factor of a rule is split by.
struct FactorAssignment {
  /// Per factor: its axes (none for whole factors) and base granule.
  llvm::SmallVector<llvm::SmallVector<std::string, 1>> axes;
  llvm::SmallVector<int64_t> baseGranules;
  /// Per operand and dim: why a split the operand has there is not kept
  /// ("" when it is kept or the dim is not split), for the reshard remarks.
  llvm::SmallVector<llvm::SmallVector<std::string>> changes;
  /// A sentence per decision, for --explain-sharding.
  std::string origin;
  /// Estimated bytes per rank the operands' reshards (and the all-reduce of a
  /// partial result) send under this assignment.
  uint64_t bytes = 0;
};

/// Assigns mesh axes to the factors of `rule` from the operands' splits.
/// Each split operand dim proposes its axes for its factor; where proposals
/// disagree (two splits of one factor, or one mesh axis on two factors) the
/// assignment is the one that, in order: moves the fewest operands of each
/// priority, strongest first (an annotation wins over a weaker one),
/// uses the most mesh axes (no silent replication),
/// moves the fewest bytes in all (reshardBytes of every operand, plus the
/// all-reduce of a partial result), and keeps the earliest operand's splits.
/// Whole factors get no axes. `results` are the global result types.
FactorAssignment factorAxes(const ShardingRule &rule, llvm::ArrayRef<OperandLayout> operands,
                            llvm::ArrayRef<mlir::RankedTensorType> results, MeshOp mesh);

/// The split of operand `operand` (or result `result`) dim by dim under
/// `rule`, given each factor's axes and base granule (from factorAxes).
AxisSplit splitForOperand(const ShardingRule &rule, size_t operand,
                          llvm::ArrayRef<llvm::SmallVector<std::string, 1>> axes,
                          llvm::ArrayRef<int64_t> baseGranules);
AxisSplit splitForResult(const ShardingRule &rule, size_t result,
                         llvm::ArrayRef<llvm::SmallVector<std::string, 1>> axes,
                         llvm::ArrayRef<int64_t> baseGranules);

/// The plan an op carries (docs/architecture.md, "The plan"): what
/// propagation or the plan search decided, and all the partitioner reads.
/// Per factor of the op's rule, the mesh axes splitting it (major first).
inline constexpr llvm::StringLiteral kFactorAxesAttr = "quilt.factor_axes";
/// Per factor, its base granule; absent when every factor's is 1.
inline constexpr llvm::StringLiteral kFactorGranulesAttr = "quilt.factor_granules";
/// Per operand and dim, why the plan reshards it (for remarks); absent when
/// the plan keeps every operand's split or no reason was recorded.
inline constexpr llvm::StringLiteral kReshardWhyAttr = "quilt.reshard_why";

/// On a quilt.attention: "ring" or "all-gather", how it runs when its keys
/// are split.
inline constexpr llvm::StringLiteral kAttentionAlgorithmAttr = "quilt.attention_algorithm";

/// Records `assignment` on `op` as its plan.
void recordPlan(mlir::Operation *op, const FactorAssignment &assignment);
/// Reads the plan of `op`, whose rule is `rule`: fails with an error on the
/// op when it has none or it does not fit the rule or `mesh`.
mlir::FailureOr<FactorAssignment> readPlan(mlir::Operation *op, const ShardingRule &rule,
                                           MeshOp mesh);
/// Removes the plan attributes from `op` (once partitioned).
void erasePlan(mlir::Operation *op);

/// The priority of the results of an op whose factors `assignment` chose:
/// the strongest among the operands that keep a split dim, else kNoPriority.
int64_t derivedPriority(const ShardingRule &rule, const FactorAssignment &assignment,
                        llvm::ArrayRef<OperandLayout> operands);
} // namespace quilt

#endif // QUILT_TRANSFORMS_SHARDINGUTILS_H
