//===- CommReport.h - quiltc --report: predicted traffic and memory -*- C++ -*-===//
//
// The bytes each rank sends in each communication op, and the arena each
// rank allocates, as JSON in the shape the executable's --report measures
// (docs/user-guide.md).
//
//===----------------------------------------------------------------------===//
#ifndef QUILTC_COMMREPORT_H
#define QUILTC_COMMREPORT_H

#include "mlir/Pass/Pass.h"

#include <optional>
#include <string>
#include <vector>

namespace quilt {

/// One communication op of the partitioned program.
struct CommReportOp {
  std::string kind;                             // "halo_exchange", ...
  std::string node;                             // the ONNX node of the op's location, or empty
  std::optional<int64_t> dim;                   // the tensor dim it moves, if it has one
  std::optional<std::string> axis;              // its mesh axis, if it has one
  std::optional<std::vector<std::string>> axes; // its mesh axes (all_reduce)
  std::vector<uint64_t> bytesSentPerRank;
};

/// What the partitioned program sends, rank by rank.
struct CommReport {
  std::vector<int64_t> mesh;
  std::vector<std::string> axes;
  std::vector<CommReportOp> ops; // in program order
  /// The pack region each rank uses at most (packScratchBytesPerRank): what
  /// the executable's --report measures as pack_scratch_bytes_per_rank.
  std::vector<uint64_t> packScratchBytesPerRank;
};

/// A pass over the partitioned module (one quilt.mesh, one function) that
/// fills `report`; it fails on a communication op without a byte formula.
std::unique_ptr<mlir::Pass> createCollectCommReport(CommReport &report);

/// Writes the report to `path` ("-": stdout). `arenaBytes` is the memory
/// plan's arena per rank, unknown (null) when compilation stopped before it.
mlir::LogicalResult writeCommReport(const CommReport &report, std::optional<int64_t> arenaBytes,
                                    llvm::StringRef path, std::string &error);

} // namespace quilt

#endif // QUILTC_COMMREPORT_H
