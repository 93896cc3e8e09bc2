//===- Simulation.cpp - quiltc --simulate: the predicted step -------------===//
#include "Simulation.h"

#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace quilt;

namespace {

struct CollectSimulation : PassWrapper<CollectSimulation, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CollectSimulation)

  explicit CollectSimulation(Simulation &simulation) : simulation(simulation) {}
  StringRef getArgument() const override { return "quilt-collect-simulation"; }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto meshes = llvm::to_vector(module.getOps<MeshOp>());
    auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
    if (meshes.size() != 1 || funcs.size() != 1) {
      module.emitError("--simulate needs one quilt.mesh and one function");
      return signalPassFailure();
    }
    MeshOp mesh = meshes.front();
    FailureOr<PlanCost> cost = evaluatePlan(funcs.front(), mesh, *simulation.topology,
                                            /*byRankClass=*/!simulation.everyRank);
    if (failed(cost))
      return signalPassFailure();
    simulation.cost = std::move(*cost);
    for (OpCost &op : simulation.cost.ops) {
      op.node = onnxNodeName(op.op);
      op.op = nullptr; // the lowering erases them
    }
    simulation.mesh.assign(mesh.getShape().begin(), mesh.getShape().end());
    simulation.placement.clear();
    int64_t stride = mesh.getNumRanks();
    const Topology &topology = *simulation.topology;
    for (auto [i, name] : llvm::enumerate(mesh.getAxisNames().getAsValueRange<StringAttr>())) {
      int64_t size = mesh.getShape()[i];
      stride /= size;
      size_t level = topology.levelBetween(0, stride * (size - 1));
      simulation.placement.push_back({name.str(), size, stride, topology.levels[level].name});
    }
    simulation.weightBytes = weightBytesOf(module);
  }

  Simulation &simulation;
};

} // namespace

std::unique_ptr<Pass> quilt::createCollectSimulation(Simulation &simulation) {
  return std::make_unique<CollectSimulation>(simulation);
}

void quilt::printSimulation(llvm::raw_ostream &os, const Simulation &s) {
  const PlanCost &c = s.cost;
  std::string mesh;
  for (auto [i, n] : llvm::enumerate(s.mesh))
    mesh += (i ? "x" : "") + std::to_string(n);
  os << "predicted on '" << s.topology->name << "': " << c.ranks << " devices, mesh " << mesh;
  if (!s.description.empty())
    os << " (" << s.description << ")";
  os << "\n  time per step " << formatMs(c.totalUs) << " ms = compute "
     << formatMs(c.computeUs) << " + halo " << formatMs(c.haloUs) << " + collective "
     << formatMs(c.collectiveUs) << " ms\n";
  if (s.arenaBytes)
    os << llvm::format("  memory per device %.1f MiB (arena %.1f + weights %.1f)\n",
                       (*s.arenaBytes + s.weightBytes) / 1048576.0, *s.arenaBytes / 1048576.0,
                       s.weightBytes / 1048576.0);
  os << "  placement: " << c.ranksPerNode << " ranks per node"
     << (c.oversubscribed ? " (oversubscribed: more ranks than cores)" : "");
  for (const AxisPlacement &p : s.placement)
    os << "; axis " << p.name << " (" << p.size << ", stride " << p.stride << ") within '"
       << p.level << "'";
  os << "\n";
  // The slowest ops, which is where the time goes.
  std::vector<const OpCost *> slow;
  for (const OpCost &op : c.ops)
    slow.push_back(&op);
  std::stable_sort(slow.begin(), slow.end(),
                   [](const OpCost *a, const OpCost *b) { return a->us > b->us; });
  os << "  slowest ops:\n";
  for (size_t i = 0; i < std::min<size_t>(5, slow.size()); ++i) {
    const OpCost &op = *slow[i];
    os << "    " << formatMs(op.us) << " ms  " << op.kind;
    if (!op.node.empty())
      os << " '" << op.node << "'";
    os << " (" << stringifyCostPhase(op.phase) << ", " << op.opClass;
    if (!op.algorithm.empty())
      os << ", " << op.algorithm << " over '" << op.level << "'";
    os << ", rank " << op.criticalRank << ")\n";
  }
}

LogicalResult quilt::writeSimulationJson(const Simulation &s, StringRef path,
                                         std::string &error) {
  auto file = openOutputFile(path, &error);
  if (!file) {
    error = "--simulate-json: " + error;
    return failure();
  }
  const PlanCost &c = s.cost;
  llvm::json::Array ops, placement, mesh, shards;
  for (auto [i, op] : llvm::enumerate(c.ops)) {
    llvm::json::Object o{{"index", (int64_t)i},
                         {"kind", op.kind},
                         {"phase", stringifyCostPhase(op.phase)},
                         {"class", op.opClass},
                         {"ms", op.us / 1000.0},
                         {"compute_ms", op.computeUs / 1000.0},
                         {"comm_ms", op.commUs / 1000.0},
                         {"critical_rank", op.criticalRank}};
    o["node"] = op.node.empty() ? llvm::json::Value(nullptr) : llvm::json::Value(op.node);
    llvm::json::Array shape, split;
    for (int64_t n : op.resultShape)
      shape.push_back(n);
    for (const auto &axes : op.resultSplit) {
      llvm::json::Array names;
      for (const std::string &a : axes)
        names.push_back(a);
      split.push_back(std::move(names));
    }
    o["shape"] = std::move(shape);
    o["split"] = std::move(split);
    if (op.phase != CostPhase::Compute) {
      o["algorithm"] = op.algorithm;
      o["level"] = op.level;
      o["bytes_sent"] = (int64_t)op.bytesSent;
      o["messages"] = (int64_t)op.messages;
    } else {
      o["flops"] = op.flops;
    }
    ops.push_back(std::move(o));
  }
  for (const AxisPlacement &p : s.placement)
    placement.push_back(llvm::json::Object{
        {"axis", p.name}, {"size", p.size}, {"stride", p.stride}, {"level", p.level}});
  for (int64_t n : s.mesh)
    mesh.push_back(n);
  // As --shard flags: the list items joined (an item without a name
  // continues the previous value's dims).
  std::string flag;
  for (const std::string &item : s.shards) {
    if (!flag.empty() && StringRef(item).contains(':')) {
      shards.push_back(flag);
      flag.clear();
    }
    flag += (flag.empty() ? "" : ",") + item;
  }
  if (!flag.empty())
    shards.push_back(flag);
  llvm::json::Object root{
      {"topology", s.topology->name},
      {"devices", c.ranks},
      {"total_ms", c.totalUs / 1000.0},
      {"compute_ms", c.computeUs / 1000.0},
      {"halo_ms", c.haloUs / 1000.0},
      {"collective_ms", c.collectiveUs / 1000.0},
      {"memory_bytes_per_device",
       s.arenaBytes ? llvm::json::Value(*s.arenaBytes + s.weightBytes) : nullptr},
      {"arena_bytes", s.arenaBytes ? llvm::json::Value(*s.arenaBytes) : nullptr},
      {"weight_bytes", s.weightBytes},
      {"ranks_per_node", c.ranksPerNode},
      {"oversubscribed", c.oversubscribed},
      {"plan", llvm::json::Object{{"mesh", std::move(mesh)},
                                  {"shards", std::move(shards)},
                                  {"splits", s.description},
                                  {"placement", std::move(placement)}}},
      {"ops", std::move(ops)}};
  file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  file->keep();
  return success();
}

void quilt::printScaling(llvm::raw_ostream &os, ArrayRef<ScalingRow> rows,
                         const Topology &topology, bool weak, StringRef inputName) {
  if (weak)
    os << "weak scaling on '" << topology.name << "' (input '" << inputName
       << "' grown along its largest spatial dim with the devices; the search's plan at each)\n";
  else
    os << "strong scaling on '" << topology.name << "' (the search's plan at each size)\n";
  os << llvm::format("%8s  %-10s  %10s  %10s  %10s  %10s  %8s  %10s  ", "devices", "mesh",
                     "total ms", "compute", "halo", "collective", "speedup", "efficiency");
  os << (weak ? "input  splits\n" : "splits\n");
  if (rows.empty())
    return;
  double firstUs = rows.front().plan.cost->totalUs;
  for (const ScalingRow &row : rows) {
    const PlanCost &c = *row.plan.cost;
    double scale = double(row.devices) / rows.front().devices;
    // Weak: the work grows with the devices, so speedup is scale x T0 / T.
    double speedup = weak ? scale * firstUs / c.totalUs : firstUs / c.totalUs;
    double efficiency = speedup / scale;
    os << llvm::format("%8lld  %-10s  %10s  %10s  %10s  %10s  %8.2f  %9.1f%%  ",
                       (long long)row.devices, row.plan.meshString().c_str(),
                       formatMs(c.totalUs).c_str(), formatMs(c.computeUs).c_str(),
                       formatMs(c.haloUs).c_str(), formatMs(c.collectiveUs).c_str(), speedup,
                       100.0 * efficiency);
    if (weak) {
      std::string shape;
      for (auto [i, n] : llvm::enumerate(row.inputShape))
        shape += (i ? "x" : "") + std::to_string(n);
      os << shape << "  ";
    }
    os << row.plan.description << "\n";
  }
}
