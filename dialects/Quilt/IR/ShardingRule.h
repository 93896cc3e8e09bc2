//===- ShardingRule.h - factor-based sharding rules -------------*- C++ -*-===//
//
// A rule names each dim of each operand and result by a factor; dims that
// share a factor are split together. Rules are plain data: printable (see
// ShardingRule::str) and consumed by propagation, partitioning and costing.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IR_SHARDINGRULE_H
#define QUILT_IR_SHARDINGRULE_H

#include "quilt/partition_math.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace quilt {

enum class FactorKind {
  /// Passes through: a split of the operand dim is a split of the result dim.
  Parallel,
  /// Contracted or reduced: a split makes the result a partial sum.
  Reduction,
  /// Result position o reads a window of operand positions: a split needs a halo.
  Windowed,
  /// The op needs the entire dim on every rank.
  Whole,
  /// The op reduces over the dim and broadcasts the statistic back (softmax,
  /// normalizations): a split stays split, and the per-rank statistics are
  /// merged across the split axes by an all-reduce.
  Statistic,
};

const char *stringifyFactorKind(FactorKind kind);

struct Factor {
  FactorKind kind = FactorKind::Parallel;
  /// Extent of the factor in the operand dims that carry it.
  int64_t size = 1;
  /// Windowed factors only: the window and the result extent it produces.
  Window window;
  int64_t padHi = 0;
  int64_t resultSize = 1;
  /// Windowed factors only: what positions outside the domain read (the
  /// zero or pad value, wrapped around, or mirrored from inside).
  HaloBoundary boundary = HaloBoundary::Zero;

  /// Whether a split of this factor needs a halo: a window that reads more
  /// than the positions it writes.
  bool needsHalo() const {
    return kind == FactorKind::Windowed &&
           !(window.kind == WindowKind::Conv && window.kernel == 1 && window.stride == 1 &&
             window.padLo == 0 && size == resultSize);
  }
  /// Whether its halo can run over blocks of whole granules: a stride-1
  /// window whose result has the operand's size (a roll, a "same" conv)
  /// writes exactly the positions of the block it reads around, so the
  /// result keeps the operand's granules. Other halos run over plain blocks.
  bool haloKeepsGranules() const {
    return kind == FactorKind::Windowed && window.kind == WindowKind::Conv &&
           window.stride == 1 && size == resultSize;
  }
};

/// The value of an operand/result dim slot that carries no factor
/// (a broadcast dim of extent 1).
constexpr int64_t kNoFactor = -1;

struct ShardingRule {
  llvm::SmallVector<Factor> factors;
  /// For each operand (then each result) and each of its dims: a factor index
  /// or kNoFactor.
  llvm::SmallVector<llvm::SmallVector<int64_t>> operandFactors;
  llvm::SmallVector<llvm::SmallVector<int64_t>> resultFactors;
  /// Optional, parallel to the above: how many positions of the dim one
  /// position of its factor spans (a reshape's merged dim spans its minor
  /// dims). Missing entries are 1.
  llvm::SmallVector<llvm::SmallVector<int64_t>> operandMultipliers;
  llvm::SmallVector<llvm::SmallVector<int64_t>> resultMultipliers;

  int64_t operandMultiplier(size_t operand, size_t dim) const {
    return operand < operandMultipliers.size() && dim < operandMultipliers[operand].size()
               ? operandMultipliers[operand][dim]
               : 1;
  }
  int64_t resultMultiplier(size_t result, size_t dim) const {
    return result < resultMultipliers.size() && dim < resultMultipliers[result].size()
               ? resultMultipliers[result][dim]
               : 1;
  }

  int64_t addFactor(FactorKind kind, int64_t size);
  int64_t addWindowedFactor(int64_t inSize, int64_t outSize, Window window, int64_t padHi);

  /// `([i, j, k], [j, l]) -> ([i, k, l]) {i = parallel 1, j = reduction 8, ...}`
  std::string str() const;
};

} // namespace quilt

#endif // QUILT_IR_SHARDINGRULE_H
