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
#include "quilt/Analysis/Topology.h"

#include <optional>

namespace quilt {

/// The runtime's own loop inside a fused op, between its library calls
/// (attention's online softmax: a pass over every score of q k^T), timed in
/// its own class after the op's main part.
struct KernelLoop {
  const char *opClass = "softmax";
  double flops = 0;
  /// Bytes the loop streams (the scores: written, read for the max, read
  /// for the sum).
  double bytes = 0;
};

/// What one kernel does on one rank.
struct KernelWork {
  /// "conv", "gemm", "fft", "elementwise", "reduction", "normalization",
  /// "attention" (its two products), "data_movement" (transposes and
  /// gathers), "copy" (box copies: concat, contiguous slice, pad, shard
  /// slice, a reshape out of place; timed as `copyBytes` copied, by the
  /// device's measured copy curve), and the classes of
  /// loops Quilt runs itself rather than a library: "pool", "resize",
  /// "conv_transpose", "softmax" (exp, max and sum over rows: softmax and
  /// attention's online softmax).
  const char *opClass = "elementwise";
  double flops = 0;
  /// Bytes read and written (operands and results, local).
  double bytes = 0;
  /// False for ops that run no kernel (a reshape in place, a constant).
  bool launches = true;
  /// Class "copy": the bytes copied (the result's, each read and written
  /// once), and the contiguous runs the runtime's box copies make (each a
  /// copy call, timed beside the bytes).
  double copyBytes = 0;
  double copyRuns = 1;
  /// Or, for a pad or a slice, the rows of the index map that copies them.
  double indexRows = 0;
  /// A loop of the runtime's own run after the main part, if any.
  std::optional<KernelLoop> loop;
};

/// FLOPs the "softmax" class counts per element: the max (1), the shift (1),
/// e^x (a degree-6 polynomial and the range reduction, 16), the sum (1) and
/// the scale (1), rounded up to 24 for the stores. quilt-calibrate counts its
/// softmax probe the same way, so the class's efficiency absorbs the rest.
constexpr double kSoftmaxFlopsPerElement = 24;
/// Bytes the "softmax" class streams per element of a row it rewrites in
/// place (attention's scores): one write, two reads.
constexpr double kSoftmaxBytesPerScore = 12;

/// The work of `op` on the rank at `coords`, or nullopt for ops that are not
/// kernels (constants, the return, communication without compute). A DFT
/// along a strided axis whose plane (n x inner complex points) exceeds
/// `fftCachedPlaneBytes` (the topology's) is class "fft_strided".
std::optional<KernelWork>
kernelWork(mlir::Operation *op, const MeshGrid &grid, llvm::ArrayRef<int64_t> coords,
           double fftCachedPlaneBytes = DeviceModel::kDefaultFftCachedPlaneBytes);

} // namespace quilt

#endif // QUILT_ANALYSIS_COMPUTECOST_H
