//===- ComputeCost.h - the work of one kernel on one rank -------*- C++ -*-===//
//
// Each op's FLOPs and bytes moved on one rank, from that rank's exact local
// extents (MeshGrid), and its op class (the efficiency a topology file gives
// it). One table, lib/Analysis/ComputeCost.cpp, holds every op's formula.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_ANALYSIS_COMPUTECOST_H
#define QUILT_ANALYSIS_COMPUTECOST_H

#include "quilt/Analysis/CommunicationCost.h"

#include <optional>

namespace quilt {

/// What one kernel does on one rank.
struct KernelWork {
  /// "conv", "gemm", "fft", "elementwise", "reduction", "normalization",
  /// "attention", "data_movement", and the classes of loops Quilt runs itself
  /// rather than a library: "pool", "resize", "conv_transpose".
  const char *opClass = "elementwise";
  double flops = 0;
  /// Bytes read and written (operands and results, local).
  double bytes = 0;
  /// False for ops that run no kernel (a reshape in place, a constant).
  bool launches = true;
};

/// The work of `op` on the rank at `coords`, or nullopt for ops that are not
/// kernels (constants, the return, communication without compute).
std::optional<KernelWork> kernelWork(mlir::Operation *op, const MeshGrid &grid,
                                     llvm::ArrayRef<int64_t> coords);

} // namespace quilt

#endif // QUILT_ANALYSIS_COMPUTECOST_H
