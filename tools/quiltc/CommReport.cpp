//===- CommReport.cpp - quiltc --report ------------------------------------===//
#include "CommReport.h"
#include "quilt/Analysis/CommunicationCost.h"
#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace quilt;

namespace {

/// Communication ops name the dim they move and their mesh axes alike
/// (`dim`, `axis`, `axes`), so a new kind is described without code here.
CommReportOp describe(const CommunicationCost &cost) {
  Operation *op = cost.op;
  CommReportOp entry{cost.kind, onnxNodeName(op), {}, {}, {}, {}};
  if (auto dim = op->getAttrOfType<IntegerAttr>("dim"))
    entry.dim = dim.getInt();
  if (auto axis = op->getAttrOfType<StringAttr>("axis"))
    entry.axis = axis.str();
  if (auto axes = op->getAttrOfType<ArrayAttr>("axes")) {
    entry.axes.emplace();
    for (auto name : axes.getAsValueRange<StringAttr>())
      entry.axes->push_back(name.str());
  }
  entry.bytesSentPerRank.assign(cost.bytesSentPerRank.begin(), cost.bytesSentPerRank.end());
  return entry;
}

struct CollectCommReport : PassWrapper<CollectCommReport, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CollectCommReport)

  explicit CollectCommReport(CommReport &report) : report(report) {}
  StringRef getArgument() const override { return "quilt-collect-comm-report"; }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
    if (meshes.size() != 1 || funcs.size() != 1) {
      module.emitError("--report needs one quilt.mesh and one function, found ")
          << meshes.size() << " and " << funcs.size();
      return signalPassFailure();
    }
    MeshOp mesh = meshes.front();
    auto costs = communicationCosts(funcs.front(), mesh);
    if (failed(costs))
      return signalPassFailure();
    report.mesh.assign(mesh.getShape().begin(), mesh.getShape().end());
    report.axes.clear();
    for (auto name : mesh.getAxisNames().getAsValueRange<StringAttr>())
      report.axes.push_back(name.str());
    report.ops.clear();
    for (const CommunicationCost &cost : *costs)
      report.ops.push_back(describe(cost));
    auto pack = packScratchBytesPerRank(*costs, MeshGrid(mesh).numRanks());
    report.packScratchBytesPerRank.assign(pack.begin(), pack.end());
  }

  CommReport &report;
};

template <class T> llvm::json::Array jsonArray(const std::vector<T> &values) {
  llvm::json::Array array;
  for (const T &v : values)
    array.push_back(v);
  return array;
}

void writeOp(llvm::raw_ostream &os, size_t index, const CommReportOp &op) {
  llvm::json::OStream j(os);
  j.object([&] {
    j.attribute("index", (int64_t)index);
    j.attribute("kind", op.kind);
    j.attribute("node", op.node.empty() ? llvm::json::Value(nullptr) : op.node);
    if (op.dim)
      j.attribute("dim", *op.dim);
    if (op.axis)
      j.attribute("axis", *op.axis);
    if (op.axes)
      j.attribute("axes", jsonArray(*op.axes));
    j.attribute("bytes_sent_per_rank", jsonArray(op.bytesSentPerRank));
  });
}

} // namespace

std::unique_ptr<Pass> quilt::createCollectCommReport(CommReport &report) {
  return std::make_unique<CollectCommReport>(report);
}

LogicalResult quilt::writeCommReport(const CommReport &report, std::optional<int64_t> arenaBytes,
                                     StringRef path, std::string &error) {
  auto file = openOutputFile(path, &error);
  if (!file) {
    error = "--report: " + error;
    return failure();
  }
  int64_t ranks = 1;
  for (int64_t s : report.mesh)
    ranks *= s;
  std::vector<uint64_t> totals(ranks, 0);
  for (const CommReportOp &op : report.ops)
    for (int64_t r = 0; r < ranks; ++r)
      totals[r] += op.bytesSentPerRank[r];
  // One op per line, so that the file reads (and FileChecks) op by op.
  llvm::raw_ostream &os = file->os();
  os << "{\"mesh\": " << llvm::json::Value(jsonArray(report.mesh))
     << ", \"axes\": " << llvm::json::Value(jsonArray(report.axes)) << ",\n \"ranks\": " << ranks
     << ", \"peak_arena_bytes\": "
     << (arenaBytes ? llvm::json::Value(*arenaBytes) : llvm::json::Value(nullptr))
     << ",\n \"ops\": [";
  for (auto [i, op] : llvm::enumerate(report.ops)) {
    os << (i ? "," : "") << "\n  ";
    writeOp(os, i, op);
  }
  os << "\n ],\n \"total_bytes_sent_per_rank\": " << llvm::json::Value(jsonArray(totals))
     << ",\n \"pack_scratch_bytes_per_rank\": "
     << llvm::json::Value(jsonArray(report.packScratchBytesPerRank)) << "}\n";
  file->keep();
  return success();
}
