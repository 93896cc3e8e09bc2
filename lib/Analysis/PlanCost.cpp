//===- PlanCost.cpp - predicted time of a partitioned program --------------===//
//
// The one cost model: exact per-rank bytes and messages from
// CommunicationCost, exact per-rank work from ComputeCost, turned into time
// by the topology (levels, NICs, device roofline) and the alpha-beta formulas
// of CostFormulas. See PlanCost.h.
//
//===----------------------------------------------------------------------===//
#include "quilt/Analysis/PlanCost.h"
#include "quilt/Analysis/ComputeCost.h"
#include "quilt/Analysis/CostFormulas.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

using namespace mlir;
using namespace quilt;

const char *quilt::stringifyCostPhase(CostPhase phase) {
  switch (phase) {
  case CostPhase::Compute:
    return "compute";
  case CostPhase::Halo:
    return "halo";
  case CostPhase::Collective:
    return "collective";
  }
  return "compute";
}

namespace {

/// A collective's algorithm and time.
struct CollectiveTime {
  std::optional<CollectiveAlgorithm> algorithm; // none: nothing moves
  std::string detail;                           // what the library runs
  double us = 0;
};

/// Where the members of one collective group sit.
struct GroupShape {
  int64_t members = 1;
  /// The innermost network level holding every member.
  size_t level = 0;
  /// Nodes the group spans, and the most members on one node.
  int64_t nodes = 1, perNode = 1;
};

class PlanCostModel {
public:
  PlanCostModel(func::FuncOp func, MeshOp mesh, const Topology &topology, bool byClass,
                bool libraryCollectivesOnly)
      : func(func), mesh(mesh), grid(mesh), topology(topology), byClass(byClass),
        libraryCollectivesOnly(libraryCollectivesOnly) {
    ranks = grid.numRanks();
    ranksPerNode = std::max<int64_t>(1, topology.devicesPerNode(ranks));
    const DeviceModel &device = topology.device;
    // A CPU node's peak and memory bandwidth are shared by its ranks.
    double share = device.cores > 0 ? double(std::min(ranks, ranksPerNode)) : 1.0;
    auto peak = device.peakGflops.find("f32");
    peakGflops = (peak == device.peakGflops.end() ? 0 : peak->second) / share;
    // Under --tf32 (the module's quilt.math) the library-run products and
    // convolutions reach the device's TF32 peak; a device without one
    // (a CPU) keeps float32's.
    auto tf32 = device.peakGflops.find("tf32");
    tensorCoreGflops = allowsTf32(func) && tf32 != device.peakGflops.end()
                           ? tf32->second / share
                           : peakGflops;
    memoryGBps = device.memoryBandwidthGBps / share;
    packGBps = (device.packBandwidthGBps > 0 ? device.packBandwidthGBps
                                              : device.memoryBandwidthGBps) /
               share;
    // Measured with every rank copying: a rank's own figure.
    copyRunUs = device.hasCopyRun ? device.copyRunUs : perRunUs(packGBps);
    indexRowUs = device.hasIndexRow ? device.indexRowUs : copyRunUs;
  }

  FailureOr<PlanCost> run();

private:
  /// The link a message crossing `level` sees when `senders` ranks of its
  /// node send across it at once (they share the node's NICs).
  LinkCost linkAt(size_t level, int64_t senders) const;
  /// Level `level` of the topology (its outermost past the last).
  const NetworkLevel &levelAt(size_t level) const {
    return topology.levels[std::min(level, topology.levels.size() - 1)];
  }
  GroupShape groupOf(int64_t rank, ArrayRef<int64_t> axes);
  /// Time of collective `op` on one rank that sends `sent` bytes: by the
  /// algorithm the op records, else the cheapest the communicator runs.
  CollectiveTime collectiveTime(Operation *op, StringRef kind, uint64_t sent,
                                const GroupShape &group) const;
  /// Quilt's own schedule `algorithm` for `collectiveKind` over the group:
  /// its measured curve where the topology has one for a group within the
  /// innermost level, else its formula; none where the algorithm does not
  /// serve.
  std::optional<CollectiveTime> scheduleTime(CollectiveKind collectiveKind,
                                             CollectiveAlgorithm algorithm, double bytes,
                                             uint64_t sent, const GroupShape &group,
                                             LinkCost flat) const;
  /// The library's own collective: its measured curve, else the cheapest
  /// algorithm a library picks among (NCCL's NVLS, two levels, ...).
  CollectiveTime libraryTime(StringRef kind, double bytes, uint64_t sent, const GroupShape &group,
                             LinkCost flat) const;
  /// The measured curve for a point-to-point kind nearest `members` ranks.
  const MeasuredCollective *measuredNear(StringRef kind, int64_t members) const;
  double computeTime(const KernelWork &work, ArrayRef<int64_t> resultExtents) const;
  /// Packing (or unpacking) `bytes` of a halo slab on the rank at `coords`.
  double packUs(HaloExchangeOp halo, ArrayRef<int64_t> coords, uint64_t bytes) const;
  /// A copy of `bytes` within a rank's memory (a collective's packing, a
  /// halo exchange's own block, a copy op) in `runs` contiguous runs: read
  /// and written once, each run past the first a copy call more.
  double copyUs(uint64_t bytes, double runs) const;
  /// What a copy call costs beyond its bytes, from a bandwidth of
  /// one-float runs (each a call): `packGBps` (a W column, a cache miss
  /// per run) for halo slabs.
  double perRunUs(double runGBps) const;
  /// The ranks to evaluate for `op`: one per rank class (all ranks when
  /// classes are off or the placement is irregular).
  SmallVector<int64_t> representatives(Operation *op);
  void pointToPoint(const CommunicationCost &cost, OpCost &out);
  void collective(const CommunicationCost &cost, OpCost &out);

  func::FuncOp func;
  MeshOp mesh;
  MeshGrid grid;
  const Topology &topology;
  bool byClass, libraryCollectivesOnly;
  int64_t ranks = 1, ranksPerNode = 1;
  /// Per op, the ranks evaluated; and per op kind and types.
  DenseMap<Operation *, SmallVector<int64_t>> chosen;
  std::map<SmallVector<const void *>, SmallVector<int64_t>> classesByTypes;
  double peakGflops = 0, memoryGBps = 0, packGBps = 0;
  /// A copy's cost per run past the first (the topology's copy_run_us).
  double copyRunUs = 0;
  /// A pad's or slice's cost per index-map row past the first.
  double indexRowUs = 0;
  /// The peak of the classes cuDNN and cuBLAS run (conv, conv_transpose,
  /// gemm, attention's products): peakGflops, or the TF32 peak under --tf32.
  double tensorCoreGflops = 0;
  /// Group shapes by the group's first member (its coordinates on the
  /// group's axes zeroed) and axes.
  std::map<std::pair<int64_t, SmallVector<int64_t>>, GroupShape> groups;
};

LinkCost PlanCostModel::linkAt(size_t level, int64_t senders) const {
  const NetworkLevel &l = levelAt(level);
  double bandwidth = l.bandwidthGBps;
  if (l.nicsPerNode > 0 && senders > 0)
    bandwidth = std::min(bandwidth, l.nicsPerNode * l.nicBandwidthGBps / double(senders));
  return {l.alphaUs, bandwidth * l.taper};
}

GroupShape PlanCostModel::groupOf(int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> coords = grid.coords(rank);
  for (int64_t axis : axes)
    coords[axis] = 0;
  auto key = std::make_pair(grid.rankOf(coords), SmallVector<int64_t>(axes));
  auto found = groups.find(key);
  if (found != groups.end())
    return found->second;
  // Enumerate the members: every combination of coordinates on the axes.
  SmallVector<int64_t> members{grid.rankOf(coords)};
  for (int64_t axis : axes) {
    SmallVector<int64_t> next;
    for (int64_t member : members) {
      SmallVector<int64_t> at = grid.coords(member);
      for (int64_t c = 0; c < grid.axisSize(axis); ++c) {
        at[axis] = c;
        next.push_back(grid.rankOf(at));
      }
    }
    members = std::move(next);
  }
  GroupShape shape;
  shape.members = members.size();
  auto [lo, hi] = std::minmax_element(members.begin(), members.end());
  shape.level = topology.levelBetween(*lo, *hi);
  std::map<int64_t, int64_t> perNode;
  for (int64_t member : members)
    ++perNode[member / ranksPerNode];
  shape.nodes = perNode.size();
  for (auto [node, count] : perNode)
    shape.perNode = std::max(shape.perNode, count);
  return groups[key] = shape;
}

const MeasuredCollective *PlanCostModel::measuredNear(StringRef kind, int64_t members) const {
  const MeasuredCollective *best = nullptr;
  for (const MeasuredCollective &m : topology.measured)
    if (m.kind == kind && m.algorithm == CollectiveAlgorithm::Library &&
        (!best || std::abs(m.ranks - members) < std::abs(best->ranks - members)))
      best = &m;
  return best;
}

CollectiveTime PlanCostModel::libraryTime(StringRef kind, double bytes, uint64_t sent,
                                          const GroupShape &group, LinkCost flat) const {
  int64_t p = group.members;
  // A curve holds for the level it was measured on: one node's.
  if (const MeasuredCollective *m = group.level == 0 ? topology.measuredFor(kind, p) : nullptr)
    return {CollectiveAlgorithm::Library, "measured", m->us(double(sent))};
  AlgorithmTime best;
  if (kind == "all_reduce") {
    double switchBw = group.level == 0 ? topology.levels[0].allReduceBandwidthGBps : 0;
    best = cheapestAllReduce(p, bytes, flat, switchBw);
    if (group.level > 0 && group.perNode > 1 && group.nodes > 1) {
      double twoLevel = twoLevelAllReduceUs(group.perNode, group.nodes, bytes, linkAt(0, 0),
                                            flat);
      if (twoLevel < best.us)
        best = {"two-level", twoLevel};
    }
  } else if (kind == "all_gather") {
    best = cheapestAllGather(p, bytes, flat);
  } else if (kind == "reduce_scatter") {
    best = cheapestReduceScatter(p, bytes, flat);
  } else {
    best = cheapestAllToAll(p, bytes, flat);
  }
  return {CollectiveAlgorithm::Library, best.algorithm, best.us};
}

CollectiveTime PlanCostModel::collectiveTime(Operation *op, StringRef kind, uint64_t sent,
                                             const GroupShape &group) const {
  int64_t p = group.members;
  if (p <= 1 || sent == 0)
    return {std::nullopt, "", 0};
  // One ring edge per group leaves each node; an all-to-all sends from all.
  int64_t onNode = std::min(ranks, ranksPerNode);
  int64_t senders = kind == "all_to_all" ? onNode : std::max<int64_t>(1, onNode / group.perNode);
  LinkCost flat = linkAt(group.level, group.level == 0 ? 0 : senders);
  std::optional<CollectiveKind> collectiveKind = collectiveKindOf(op);
  if (!collectiveKind) // ring_attention: p - 1 steps, each one block to the next rank.
    return {std::nullopt, "ring", (p - 1) * flat.alphaUs + flat.transferUs(sent)};
  // The formulas take the buffer (all-reduce), the gathered result
  // (all-gather, reduce-scatter's input) or the bytes sent (all-to-all);
  // `sent` counts what a ring sends.
  double bytes = kind == "all_reduce"  ? double(sent) * p / (2.0 * (p - 1))
                 : kind == "all_to_all" ? double(sent)
                                        : double(sent) * p / (p - 1);
  std::optional<CollectiveAlgorithm> recorded = recordedCollectiveAlgorithm(op);
  if (recorded && *recorded != CollectiveAlgorithm::Library)
    if (std::optional<CollectiveTime> t =
            scheduleTime(*collectiveKind, *recorded, bytes, sent, group, flat))
      return *t;
  CollectiveTime library = libraryTime(kind, bytes, sent, group, flat);
  if (recorded || libraryCollectivesOnly)
    return library;
  // The cheapest of Quilt's schedules, against the library's where it was
  // measured (unmeasured, its choice is a guess among the same formulas).
  // Among the schedules a measured curve outranks a formula: where any was
  // measured on this machine only measured ones compete, since the formulas
  // time an ideal schedule that runs faster than this machine runs it.
  std::optional<CollectiveTime> measured, formula;
  auto consider = [](std::optional<CollectiveTime> &best, const CollectiveTime &t) {
    if (!best || t.us < best->us)
      best = t;
  };
  for (CollectiveAlgorithm algorithm : collectiveSchedulesServing(*collectiveKind, group.members))
    if (std::optional<CollectiveTime> t =
            scheduleTime(*collectiveKind, algorithm, bytes, sent, group, flat))
      consider(t->detail == "measured" ? measured : formula, *t);
  std::optional<CollectiveTime> own = measured ? measured : formula;
  if (own && (library.detail != "measured" || own->us <= library.us))
    return *own;
  return library;
}

std::optional<CollectiveTime>
PlanCostModel::scheduleTime(CollectiveKind collectiveKind, CollectiveAlgorithm algorithm,
                            double bytes, uint64_t sent, const GroupShape &group,
                            LinkCost flat) const {
  int64_t p = group.members;
  if (!collectiveAlgorithmServes(collectiveKind, algorithm, p))
    return std::nullopt;
  // A curve holds for the level it was measured on: one node's.
  if (group.level == 0)
    if (const MeasuredCollective *m =
            topology.measuredFor(collectiveKindName(collectiveKind), p, algorithm))
      return CollectiveTime{algorithm, "measured", m->us(double(sent))};
  // Its combines and copies run at the rank's memory bandwidth.
  if (std::optional<double> us =
          scheduleWithMemoryUs(collectiveKind, algorithm, p, bytes, flat, memoryGBps))
    return CollectiveTime{algorithm, "", *us};
  return std::nullopt;
}

double PlanCostModel::perRunUs(double runGBps) const {
  return std::max(0.0, LinkCost{0, runGBps}.transferUs(4) - LinkCost{0, memoryGBps}.transferUs(4));
}

double PlanCostModel::copyUs(uint64_t bytes, double runs) const {
  if (bytes == 0)
    return 0;
  // Read and written once each, at the rank's share of the memory
  // bandwidth; on a measured curve where the topology has one (a block
  // that fits the caches copies at their speed), past its largest size at
  // that share. The curve is one memcpy: a box of short runs (an
  // all-to-all packing blocks of a minor dim, a pad of complex pairs) pays
  // a call per run on top.
  double bytesUs = topology.device.copyPoints.empty()
                       ? LinkCost{0, memoryGBps}.transferUs(2.0 * bytes)
                       : measuredCurveUs(topology.device.copyPoints, bytes, memoryGBps / 2);
  return bytesUs + std::max(0.0, runs - 1) * copyRunUs;
}

double PlanCostModel::packUs(HaloExchangeOp halo, ArrayRef<int64_t> coords,
                             uint64_t bytes) const {
  // The slab's contiguous runs: the positions after the halo'd dim. Each
  // costs a copy call on top of the bytes (the calibrated pack bandwidth is
  // that of one-element runs, a W column).
  SmallVector<int64_t> extents = grid.localExtents(halo.getInput().getType(), coords);
  double run = 4;
  for (size_t d = halo.getDim() + 1; d < extents.size(); ++d)
    run *= extents[d];
  double streamUs = LinkCost{0, memoryGBps}.transferUs(bytes);
  return streamUs + (run > 0 ? bytes / run : 0) * perRunUs(packGBps);
}

double PlanCostModel::computeTime(const KernelWork &work, ArrayRef<int64_t> resultExtents) const {
  if (!work.launches)
    return 0;
  // The classes cuDNN and cuBLAS run, which TF32 speeds up: attention's
  // two products are cuBLAS calls too (its softmax loop, class softmax, is
  // Quilt's own kernel).
  auto onTensorCores = [](StringRef opClass) {
    return opClass == "conv" || opClass == "conv_transpose" || opClass == "gemm" ||
           opClass == "attention";
  };
  // A box copy runs at the speed of the rank's copies.
  if (StringRef(work.opClass) == "copy")
    return topology.device.launchUs + copyUs(uint64_t(work.copyBytes), work.copyRuns) +
           std::max(0.0, work.indexRows - 1) * indexRowUs;
  // A profile measured the float32 kernels.
  bool tf32 = tensorCoreGflops != peakGflops && onTensorCores(work.opClass);
  for (const ProfilePoint &point : topology.device.profile)
    if (!tf32 && point.opClass == work.opClass && llvm::equal(point.shape, resultExtents))
      return point.us;
  // On a CPU node a rank's kernels share its cores; a kernel that runs on
  // one thread gets one core of them at most.
  const DeviceModel &device = topology.device;
  auto timeOf = [&](StringRef opClass, double flops, double bytes) {
    double scale = 1;
    if (device.cores > 0 && !device.threaded(opClass)) {
      double coresPerRank = double(device.cores) / std::min(ranks, ranksPerNode);
      scale = std::min(1.0, 1.0 / coresPerRank);
    }
    return rooflineUs(flops, bytes, (onTensorCores(opClass) ? tensorCoreGflops : peakGflops) * scale,
                      memoryGBps * scale,
                      topology.efficiencyOf(opClass), topology.memoryEfficiencyOf(opClass),
                      device.launchUs);
  };
  double us = timeOf(work.opClass, work.flops, work.bytes);
  if (work.loop)
    us += timeOf(work.loop->opClass, work.loop->flops, work.loop->bytes);
  return us;
}

SmallVector<int64_t> PlanCostModel::representatives(Operation *op) {
  auto found = chosen.find(op);
  if (found != chosen.end())
    return found->second;
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, ranks));
  int64_t numAxes = grid.numAxes();
  // Strides of the axes under the placement; the units of every level must
  // fall on whole strides for a coordinate alone to say where a unit ends.
  SmallVector<int64_t> strides(numAxes, 1);
  for (int64_t i = numAxes - 1; i > 0; --i)
    strides[i - 1] = strides[i] * grid.axisSize(i);
  bool multiNode = ranksPerNode < ranks;
  for (const NetworkLevel &level : topology.levels)
    for (int64_t i = 0; i < numAxes && level.devices > 0 && level.devices < ranks; ++i)
      if (level.devices % strides[i] != 0 && strides[i] % level.devices != 0)
        return chosen[op] = all;
  if (!byClass || ranks <= 8)
    return chosen[op] = all;
  // Ops of one kind over the same (uniqued) types have the same classes: a
  // stack of equal layers is classified once.
  SmallVector<const void *> key{op->getName().getAsOpaquePointer()};
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    key.push_back(t.getAsOpaquePointer());
  auto cached = classesByTypes.find(key);
  if (cached != classesByTypes.end())
    return chosen[op] = cached->second;

  // Axes that split one dim together (nested) are evaluated jointly.
  SmallVector<RankedTensorType> types;
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    if (auto tensor = dyn_cast<RankedTensorType>(t))
      types.push_back(tensor);
  SmallVector<int64_t> component(numAxes);
  for (int64_t i = 0; i < numAxes; ++i)
    component[i] = i;
  std::function<int64_t(int64_t)> root = [&](int64_t i) {
    return component[i] == i ? i : component[i] = root(component[i]);
  };
  for (RankedTensorType type : types)
    if (LocalAttr local = getLocalEncoding(type))
      for (Attribute dimAxes : local.getDims()) {
        int64_t first = -1;
        for (auto name : cast<ArrayAttr>(dimAxes).getAsValueRange<StringAttr>()) {
          int64_t axis = grid.axisIndex(name);
          if (axis < 0)
            continue;
          if (first < 0)
            first = axis;
          else
            component[root(axis)] = root(first);
        }
      }
  // What a rank's cost in the op depends on: its local extents, those of
  // its neighbours along each axis (ring blocks, halo needs), what it sends
  // in a halo exchange, and the network level to those neighbours.
  auto halo = dyn_cast<HaloExchangeOp>(op);
  auto signature = [&](int64_t rank) {
    SmallVector<int64_t> sig;
    SmallVector<int64_t> coords = grid.coords(rank);
    auto addExtents = [&](ArrayRef<int64_t> at) {
      for (RankedTensorType type : types)
        llvm::append_range(sig, grid.localExtents(type, at));
    };
    addExtents(coords);
    for (int64_t i = 0; i < numAxes; ++i)
      for (int64_t step : {int64_t(1), int64_t(-1)}) {
        SmallVector<int64_t> at = coords;
        int64_t a = grid.axisSize(i);
        at[i] = ((coords[i] + step) % a + a) % a;
        addExtents(at);
        if (multiNode)
          sig.push_back(topology.levelBetween(grid.rankOf(at), rank));
      }
    if (halo)
      for (auto [peer, positions] : haloSends(halo, grid, rank)) {
        sig.push_back(peer - rank);
        sig.push_back(positions);
      }
    return sig;
  };
  // Per component of axes: one coordinate tuple per distinct signature.
  std::map<int64_t, SmallVector<int64_t>> axesOf;
  for (int64_t i = 0; i < numAxes; ++i)
    axesOf[root(i)].push_back(i);
  SmallVector<SmallVector<int64_t>> combos{SmallVector<int64_t>(numAxes, 0)};
  for (auto &[_, axes] : axesOf) {
    std::map<SmallVector<int64_t>, SmallVector<int64_t>> classes;
    SmallVector<int64_t> coords(numAxes, 0);
    std::function<void(size_t)> visit = [&](size_t k) {
      if (k == axes.size()) {
        classes.try_emplace(signature(grid.rankOf(coords)), coords);
        return;
      }
      for (int64_t c = 0; c < grid.axisSize(axes[k]); ++c) {
        coords[axes[k]] = c;
        visit(k + 1);
      }
      coords[axes[k]] = 0;
    };
    visit(0);
    SmallVector<SmallVector<int64_t>> next;
    for (const auto &combo : combos)
      for (const auto &[sig, at] : classes) {
        SmallVector<int64_t> merged = combo;
        for (int64_t axis : axes)
          merged[axis] = at[axis];
        next.push_back(std::move(merged));
      }
    combos = std::move(next);
  }
  // With NICs shared, every rank of a representative's node is counted.
  std::set<int64_t> picked;
  for (const auto &combo : combos) {
    int64_t rank = grid.rankOf(combo);
    if (!multiNode) {
      picked.insert(rank);
      continue;
    }
    int64_t node = rank / ranksPerNode;
    for (int64_t r = node * ranksPerNode; r < std::min(ranks, (node + 1) * ranksPerNode); ++r)
      picked.insert(r);
  }
  SmallVector<int64_t> result(picked.begin(), picked.end());
  classesByTypes[key] = result;
  return chosen[op] = result;
}

void PlanCostModel::pointToPoint(const CommunicationCost &cost, OpCost &out) {
  // Which ranks send off their node at once share its NICs.
  std::map<int64_t, int64_t> offNodeSenders;
  SmallVector<size_t> levels(ranks, 0);
  for (int64_t r : cost.ranks) {
    for (int64_t peer : cost.peersPerRank[r])
      levels[r] = std::max(levels[r], topology.levelBetween(r, peer));
    if (levels[r] > 0)
      ++offNodeSenders[r / ranksPerNode];
  }
  const MeasuredCollective *measured =
      measuredNear(cost.kind, std::max<int64_t>(2, grid.numRanks()));
  bool first = true;
  for (int64_t r : cost.ranks) {
    uint64_t bytes = cost.bytesSentPerRank[r], messages = cost.messagesPerRank[r];
    double us = 0;
    if (messages > 0) {
      LinkCost link = linkAt(levels[r], levels[r] > 0 ? offNodeSenders[r / ranksPerNode] : 0);
      // A calibrated curve measures this machine's messages; it holds for
      // the level it was measured on (the innermost).
      if (measured && levels[r] == 0)
        us = measured->us(double(bytes));
      else
        us = exchangeUs(messages, bytes, link);
      // Halo slabs are packed into a buffer and unpacked on arrival.
      if (auto halo = dyn_cast<HaloExchangeOp>(cost.op))
        us += 2.0 * packUs(halo, grid.coords(r), bytes);
    }
    // The rank's own block is copied into the result: for a wide block and
    // a thin halo, most of the exchange's time.
    us += copyUs(cost.bytesCopiedPerRank[r], cost.copyRunsPerRank[r]);
    if (us > out.commUs || first) {
      first = false;
      out.commUs = us;
      out.us = us;
      out.criticalRank = r;
      out.bytesSent = bytes;
      out.messages = messages;
      out.level = levelAt(levels[r]).name;
      out.algorithm = measured && levels[r] == 0 ? "measured" : "point-to-point";
    }
  }
}

void PlanCostModel::collective(const CommunicationCost &cost, OpCost &out) {
  bool first = true;
  for (int64_t r : cost.ranks) {
    GroupShape group = groupOf(r, cost.groupAxes);
    CollectiveTime t = collectiveTime(cost.op, cost.kind, cost.bytesSentPerRank[r], group);
    t.us += copyUs(cost.bytesCopiedPerRank[r], cost.copyRunsPerRank[r]);
    double compute = 0;
    if (cost.kind == "ring_attention")
      if (std::optional<KernelWork> work =
              kernelWork(cost.op, grid, grid.coords(r), topology.device.fftCachedPlaneBytes))
        compute = computeTime(*work, {});
    if (compute + t.us > out.us || first) {
      first = false;
      out.us = compute + t.us;
      out.commUs = t.us;
      out.computeUs = compute;
      out.criticalRank = r;
      out.bytesSent = cost.bytesSentPerRank[r];
      out.messages = cost.messagesPerRank[r];
      out.collectiveAlgorithm = t.algorithm;
      out.algorithm = !t.algorithm ? t.detail
                      : t.detail.empty()
                          ? std::string(collectiveAlgorithmName(*t.algorithm))
                          : std::string(collectiveAlgorithmName(*t.algorithm)) + ": " + t.detail;
      out.level = levelAt(group.level).name;
    }
  }
}

FailureOr<PlanCost> PlanCostModel::run() {
  auto costs = communicationCosts(func, mesh,
                                  [&](Operation *op) { return representatives(op); });
  if (failed(costs))
    return failure();
  DenseMap<Operation *, const CommunicationCost *> comm;
  for (const CommunicationCost &cost : *costs)
    comm[cost.op] = &cost;

  PlanCost plan;
  plan.ranks = ranks;
  plan.ranksPerNode = std::min(ranks, ranksPerNode);
  plan.oversubscribed = topology.device.cores > 0 && plan.ranksPerNode > topology.device.cores;
  for (Operation &op : func.getBody().getOps()) {
    OpCost out;
    out.op = &op;
    StringRef name = op.getName().getStringRef();
    name.consume_front("quilt.");
    out.kind = name.str();
    if (op.getNumResults() > 0)
      if (auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType())) {
        LocalAttr local = getLocalEncoding(type);
        ArrayRef<int64_t> shape = local ? local.getGlobal() : type.getShape();
        out.resultShape.assign(shape.begin(), shape.end());
        out.resultSplit.resize(shape.size());
        for (size_t d = 0; local && d < shape.size(); ++d)
          for (auto axis : cast<ArrayAttr>(local.getDims()[d]).getAsValueRange<StringAttr>())
            out.resultSplit[d].push_back(axis.str());
      }
    auto found = comm.find(&op);
    bool moves = found != comm.end() && !isa<ShardSliceOp>(op);
    if (moves) {
      const CommunicationCost &cost = *found->second;
      out.phase = cost.kind == "halo_exchange" || cost.kind == "reblock" ? CostPhase::Halo
                                                                          : CostPhase::Collective;
      out.opClass = cost.kind;
      if (!cost.peersPerRank.empty())
        pointToPoint(cost, out);
      else
        collective(cost, out);
    } else {
      // A local kernel: the slowest rank's roofline time.
      bool any = false;
      for (int64_t r : representatives(&op)) {
        SmallVector<int64_t> coords = grid.coords(r);
        std::optional<KernelWork> work =
            kernelWork(&op, grid, coords, topology.device.fftCachedPlaneBytes);
        if (!work)
          break;
        // The result's local shape keys the topology's profile table.
        SmallVector<int64_t> extents;
        if (!topology.device.profile.empty() && op.getNumResults() == 1)
          if (auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType()))
            extents = grid.localExtents(type, coords);
        double us = computeTime(*work, extents);
        if (us > out.us || !any) {
          out.us = out.computeUs = us;
          out.criticalRank = r;
          out.flops = work->flops;
          out.opClass = work->opClass;
        }
        any = true;
      }
      if (!any)
        continue;
    }
    plan.totalUs += out.us;
    plan.computeUs += out.computeUs;
    if (out.phase == CostPhase::Halo)
      plan.haloUs += out.commUs;
    else
      plan.collectiveUs += out.commUs;
    plan.ops.push_back(std::move(out));
  }
  return plan;
}

} // namespace

FailureOr<PlanCost> quilt::evaluatePlan(func::FuncOp func, MeshOp mesh, const Topology &topology,
                                        bool byRankClass, bool libraryCollectivesOnly) {
  if (topology.levels.empty())
    return func.emitError("the topology has no network level");
  return PlanCostModel(func, mesh, topology, byRankClass, libraryCollectivesOnly).run();
}
