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

/// The sharding recorded on result `index` of `op` by propagation, or a
/// replicated one.
AxisSplit getResultSplit(mlir::Operation *op, unsigned index);
/// The sharding of any value: from its defining op, or replicated for block args.
AxisSplit getValueSplit(mlir::Value value);

/// The attribute names propagation writes.
inline constexpr llvm::StringLiteral kShardingsAttr = "quilt.shardings";
inline constexpr llvm::StringLiteral kOriginAttr = "quilt.sharding_origin";

/// The ONNX node name an op came from (its NameLoc), or its op name.
std::string describeNode(mlir::Operation *op);

} // namespace quilt


namespace quilt {
/// The axes each factor of `rule` is split by, given the operands' splits:
/// the first operand that splits a factor decides it (later ones are
/// resharded by the partitioner); whole factors get none. `origin` collects a
/// sentence per decision.
llvm::SmallVector<llvm::SmallVector<std::string, 1>>
factorAxes(const ShardingRule &rule, llvm::ArrayRef<AxisSplit> operands, std::string &origin,
           llvm::SmallVectorImpl<int64_t> *baseGranules = nullptr);

/// The split of operand `operand` (or result `result`) dim by dim under
/// `rule`, given each factor's axes and base granule (from factorAxes).
AxisSplit splitForOperand(const ShardingRule &rule, size_t operand,
                          llvm::ArrayRef<llvm::SmallVector<std::string, 1>> axes,
                          llvm::ArrayRef<int64_t> baseGranules);
AxisSplit splitForResult(const ShardingRule &rule, size_t result,
                         llvm::ArrayRef<llvm::SmallVector<std::string, 1>> axes,
                         llvm::ArrayRef<int64_t> baseGranules);
} // namespace quilt

#endif // QUILT_TRANSFORMS_SHARDINGUTILS_H
