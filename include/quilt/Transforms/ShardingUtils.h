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

  static AxisSplit replicated(int64_t rank);
  static AxisSplit fromAttr(ShardingAttr attr, int64_t rank);
  ShardingAttr toAttr(mlir::MLIRContext *ctx, mlir::FlatSymbolRefAttr mesh) const;
  bool isSplit() const;
  bool operator==(const AxisSplit &other) const {
    return dims == other.dims && partial == other.partial;
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

#endif // QUILT_TRANSFORMS_SHARDINGUTILS_H

namespace quilt {
/// The axes each factor of `rule` is split by, given the operands' splits:
/// the first operand that splits a factor decides it (later ones are
/// resharded by the partitioner); whole factors get none. `origin` collects a
/// sentence per decision.
llvm::SmallVector<llvm::SmallVector<std::string, 1>>
factorAxes(const ShardingRule &rule, llvm::ArrayRef<AxisSplit> operands, std::string &origin);
} // namespace quilt
