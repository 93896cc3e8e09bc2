//===- PlanSearch.cpp - choose the mesh and splits by predicted time -------===//
#include "quilt/Planning/PlanSearch.h"
#include "quilt/Analysis/CostFormulas.h"
#include "quilt/Conversion/Passes.h"
#include "quilt/Planning/Passes.h"
#include "quilt/Transforms/Passes.h"
#include "quilt/partition_math.h"

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace quilt;

void quilt::addPreparePasses(PassManager &pm, const PipelineOptions &options) {
  pm.addPass(createQuiltFuseActivations());
  pm.addPass(createQuiltFuseNormalizations());
  pm.addPass(createQuiltFusePeriodicPads());
  pm.addPass(createQuiltFuseAttention());
  if (options.splitExtraTokens)
    pm.addPass(createQuiltSplitExtraTokens());
  if (options.keepTokenGrid)
    pm.addPass(createQuiltKeepTokenGrid());
  if (options.shrinkSpectralTransposes)
    pm.addPass(createQuiltShrinkSpectralTransposes());
}

void quilt::addPlanPasses(PassManager &pm, const PipelineOptions &options) {
  QuiltAnnotateInputsOptions annotate;
  annotate.meshShape.assign(options.mesh.begin(), options.mesh.end());
  annotate.shard.assign(options.shards.begin(), options.shards.end());
  pm.addPass(createQuiltAnnotateInputs(annotate));
  pm.addPass(createQuiltPropagateSharding({false, options.attention}));
  pm.addPass(createQuiltDistributeFlattenContraction());
  pm.addPass(createQuiltPropagateSharding({options.explainSharding, options.attention}));
  if (options.replicateBelow > 0)
    pm.addPass(createQuiltReplicateNarrowBlocks({options.replicateBelow}));
}

void quilt::addPartitionPass(PassManager &pm, const PipelineOptions &options) {
  pm.addPass(createQuiltPartition({options.attention}));
  if (options.shareHalos)
    pm.addPass(createQuiltShareHalos());
  if (!options.collectiveTopology.empty()) {
    QuiltChooseCollectiveAlgorithmsOptions choose;
    choose.topology = options.collectiveTopology;
    choose.libraryOnly = options.libraryCollectivesOnly;
    choose.prefer.assign(options.collectivePreferences.begin(),
                         options.collectivePreferences.end());
    pm.addPass(createQuiltChooseCollectiveAlgorithms(choose, options.collectiveMachine));
  }
}

std::string PlanCandidate::meshString() const {
  std::string s;
  for (auto [i, n] : llvm::enumerate(mesh))
    s += (i ? "x" : "") + std::to_string(n);
  return s;
}

std::string PlanCandidate::flags() const {
  std::string f = "--mesh=" + meshString() + " --shard=" + shardFlag();
  if (replicateBelow > 0)
    f += " --replicate-below=" + std::to_string(replicateBelow);
  return f;
}

std::string PlanCandidate::shardFlag() const {
  std::string flag;
  for (auto [i, item] : llvm::enumerate(shards))
    flag += (i ? "," : "") + item;
  return flag;
}

namespace {

/// Ordered factorizations of `n` into at most `maxAxes` factors > 1 ([1]
/// for one device).
void factorizations(int64_t n, size_t maxAxes, std::vector<int64_t> &prefix,
                    std::vector<std::vector<int64_t>> &out) {
  if (n == 1) {
    if (!prefix.empty())
      out.push_back(prefix);
    return;
  }
  if (prefix.size() == maxAxes)
    return;
  for (int64_t f = 2; f <= n; ++f) {
    if (n % f != 0)
      continue;
    prefix.push_back(f);
    factorizations(n / f, maxAxes, prefix, out);
    prefix.pop_back();
  }
}

/// The model input to split: the one with the most elements.
struct MainInput {
  std::string name;
  RankedTensorType type;
};

std::optional<MainInput> mainInput(ModuleOp module) {
  std::optional<MainInput> best;
  for (auto func : module.getOps<func::FuncOp>())
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "quilt.name");
      if (!type || !name || !type.hasStaticShape())
        continue;
      if (!best || type.getNumElements() > best->type.getNumElements())
        best = MainInput{name.str(), type};
    }
  return best;
}

std::string dimName(int64_t d, int64_t rank) {
  if (d == 0)
    return "batch";
  if (d == 1 && rank >= 3)
    return "channels";
  static const char *const names[3][3] = {{"L"}, {"H", "W"}, {"D", "H", "W"}};
  int64_t spatial = rank - 2;
  if (spatial >= 1 && spatial <= 3)
    return names[spatial - 1][d - 2];
  return "dim " + std::to_string(d);
}

/// Ops of the prepared program: windowed ones (a halo per split dim) and
/// contractions (a split channel leaves an all-reduce), for the screen.
struct ProgramShape {
  int64_t windowed = 0, contractions = 0;
};

ProgramShape programShape(ModuleOp module) {
  ProgramShape shape;
  module.walk([&](ShardingRuleOpInterface op) {
    ShardingRule rule = op.getShardingRule();
    bool window = false, reduction = false;
    for (const Factor &f : rule.factors) {
      window |= f.kind == FactorKind::Windowed && f.window.kernel > 1;
      reduction |= f.kind == FactorKind::Reduction;
    }
    shape.windowed += window;
    shape.contractions += reduction;
  });
  return shape;
}

/// The closed-form screen: compute divided over the ranks (with the
/// imbalance of the largest block), a halo of one row per windowed op and
/// split spatial dim, an all-reduce of the local input per contraction and
/// split channel axis, each over the network level its mesh axis spans.
double screen(const PlanCandidate &c, ArrayRef<int64_t> dims, const MainInput &input,
              const ProgramShape &program, double oneRankComputeUs, const Topology &topology) {
  ArrayRef<int64_t> shape = input.type.getShape();
  int64_t rank = shape.size(), devices = 1;
  for (int64_t n : c.mesh)
    devices *= n;
  SmallVector<int64_t> parts(rank, 1);
  for (auto [axis, d] : llvm::enumerate(dims))
    parts[d] *= c.mesh[axis];
  double localElements = 1, total = 1;
  for (int64_t d = 0; d < rank; ++d) {
    localElements *= (shape[d] + parts[d] - 1) / parts[d];
    total *= shape[d];
  }
  double us = oneRankComputeUs * localElements / total;
  double localBytes = localElements * 4;
  int64_t stride = devices;
  for (auto [axis, d] : llvm::enumerate(dims)) {
    int64_t a = c.mesh[axis];
    stride /= a;
    const NetworkLevel &level = topology.levels[topology.levelBetween(0, stride * (a - 1))];
    LinkCost link{level.alphaUs, level.bandwidthGBps * level.taper};
    int64_t local = (shape[d] + parts[d] - 1) / parts[d];
    if (d >= 2 || (d == 1 && rank < 3))
      us += program.windowed * exchangeUs(2, 2.0 * localBytes / local, link);
    else if (d == 1)
      us += program.contractions * ringAllReduceUs(a, localBytes, link);
  }
  return us;
}

/// Swallows the diagnostics of a candidate's compile; keeps the first error.
struct QuietDiagnostics {
  explicit QuietDiagnostics(MLIRContext *ctx, std::string &error)
      : handler(ctx, [&error](Diagnostic &d) {
          if (d.getSeverity() == DiagnosticSeverity::Error && error.empty())
            error = d.str();
          return success();
        }) {}
  ScopedDiagnosticHandler handler;
};


} // namespace

LogicalResult quilt::evaluateCandidate(ModuleOp prepared, const PipelineOptions &options,
                                       const Topology &topology, PlanCandidate &candidate) {
  OwningOpRef<ModuleOp> module = prepared.clone();
  MLIRContext *ctx = prepared.getContext();
  QuietDiagnostics quiet(ctx, candidate.error);
  PassManager pm(ctx);
  addPlanPasses(pm, options);
  // No quilt-choose-collective-algorithms here: evaluatePlan below times
  // every collective by the algorithm that pass would record (the same
  // model, the same communicator), so running it would load the topology
  // and evaluate the plan twice per candidate. The winner's compile records
  // the choice. Only the user's preferences, which the model does not
  // choose, need the pass to be recorded and timed.
  PipelineOptions partition = options;
  if (options.collectivePreferences.empty())
    partition.collectiveTopology.clear();
  else // the topology at hand, not re-read per candidate (a non-owning pointer)
    partition.collectiveMachine = std::shared_ptr<const Topology>(std::shared_ptr<void>(), &topology);
  addPartitionPass(pm, partition);
  if (failed(pm.run(*module))) {
    if (candidate.error.empty())
      candidate.error = "the pipeline failed";
    return failure();
  }
  auto meshes = llvm::to_vector(module->getOps<MeshOp>());
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  if (meshes.size() != 1 || funcs.size() != 1) {
    candidate.error = "expected one mesh and one function";
    return failure();
  }
  FailureOr<PlanCost> cost = evaluatePlan(funcs.front(), meshes.front(), topology,
                                          /*byRankClass=*/true, options.libraryCollectivesOnly);
  if (failed(cost))
    return failure();
  candidate.cost = std::move(*cost);
  candidate.cost->ops.clear(); // the ops die with the clone; keep the totals
  candidate.weightBytes = weightBytesOf(*module);
  PassManager lower(ctx);
  lower.addPass(createQuiltLowerToRuntime({"", "cpu", 64}));
  if (failed(lower.run(*module))) {
    if (candidate.error.empty())
      candidate.error = "the runtime lowering failed";
    return failure();
  }
  if (auto arena = (*module)->getAttrOfType<IntegerAttr>("quilt.arena_bytes"))
    candidate.arenaBytes = arena.getInt();
  int64_t devices = candidate.cost->ranks;
  double perDevice = topology.device.memoryBytes;
  if (topology.device.cores > 0)
    perDevice /= std::max<int64_t>(1, std::min(devices, topology.devicesPerNode(devices)));
  candidate.fits = candidate.memoryBytes() <= perDevice;
  return success();
}

FailureOr<std::vector<PlanCandidate>>
quilt::searchPlans(ModuleOp prepared, const PlanSearchOptions &options, std::string &error) {
  std::optional<MainInput> input = mainInput(prepared);
  if (!input) {
    error = "--mesh=auto: the model has no input of static shape to split";
    return failure();
  }
  const Topology &topology = *options.topology;
  int64_t rank = input->type.getRank();
  // Dims an axis may split: every dim with at least two positions.
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d)
    if (input->type.getDimSize(d) >= 2)
      dims.push_back(d);

  // The compute of the whole program on one device, for the screen.
  PlanCandidate one;
  one.mesh = {1};
  PipelineOptions onePipeline = options.pipeline;
  onePipeline.mesh = {1};
  onePipeline.shards.clear();
  onePipeline.replicateBelow = 0;
  if (failed(evaluateCandidate(prepared, onePipeline, topology, one))) {
    error = "--mesh=auto: the model does not compile on one device: " + one.error;
    return failure();
  }
  double oneRankUs = one.cost->computeUs;
  ProgramShape program = programShape(prepared);

  std::vector<PlanCandidate> candidates;
  std::vector<std::vector<int64_t>> meshes;
  std::vector<int64_t> prefix;
  factorizations(options.devices, kMaxMeshAxes, prefix, meshes);
  if (options.devices == 1)
    candidates.push_back(one);
  for (const std::vector<int64_t> &mesh : meshes) {
    // Every map of mesh axes to dims (several axes on one dim nest, major first).
    SmallVector<int64_t> choice(mesh.size(), 0);
    while (true) {
      SmallVector<int64_t> on;
      for (int64_t c : choice)
        on.push_back(dims.empty() ? 0 : dims[c]);
      SmallVector<int64_t> parts(rank, 1);
      for (auto [axis, d] : llvm::enumerate(on))
        parts[d] *= mesh[axis];
      bool feasible = !dims.empty();
      // Adjacent axes nesting on one dim are one axis of their product (the
      // same ranks, in the same order): that mesh is a candidate already.
      for (size_t axis = 1; axis < on.size(); ++axis)
        feasible = feasible && on[axis] != on[axis - 1];
      for (int64_t d = 0; d < rank; ++d)
        feasible = feasible && parts[d] <= input->type.getDimSize(d);
      if (feasible) {
        PlanCandidate c;
        c.mesh = mesh;
        // As quiltc's --shard list items: NAME:DIM=AXIS, then DIM=AXIS ...
        for (auto [axis, d] : llvm::enumerate(on)) {
          c.shards.push_back((axis ? "" : input->name + ":") + std::to_string(d) + "=" +
                             std::to_string(axis));
          c.description += std::string(axis ? ", " : "") + dimName(d, rank) + " over " +
                           meshAxisName(static_cast<int>(axis)) + " (" + std::to_string(mesh[axis]) + ")";
        }
        c.shards.back() += "@p0";
        c.screenUs = screen(c, on, *input, program, oneRankUs, topology);
        candidates.push_back(std::move(c));
      }
      size_t k = 0;
      while (k < choice.size() && ++choice[k] == (int64_t)dims.size())
        choice[k++] = 0;
      if (k == choice.size())
        break;
    }
  }
  if (candidates.empty()) {
    error = "--mesh=auto: no mesh of " + std::to_string(options.devices) +
            " devices splits input '" + input->name + "' (every dim has fewer positions)";
    return failure();
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const PlanCandidate &a, const PlanCandidate &b) {
                     return a.screenUs < b.screenUs;
                   });
  size_t evaluated = std::min(options.evaluate, candidates.size());
  std::vector<PlanCandidate> variants;
  for (size_t i = 0; i < evaluated; ++i) {
    PipelineOptions pipeline = options.pipeline;
    pipeline.mesh = candidates[i].mesh;
    pipeline.shards = candidates[i].shards;
    pipeline.replicateBelow = 0;
    if (!candidates[i].cost)
      (void)evaluateCandidate(prepared, pipeline, topology, candidates[i]);
    // The same splits with narrow blocks computed whole (gather instead of
    // halo exchanges where blocks are narrow): the cheapest threshold whose
    // plan differs from the candidate's.
    if (!candidates[i].cost || !candidates[i].error.empty())
      continue;
    std::optional<PlanCandidate> best;
    for (int64_t threshold : options.replicateThresholds) {
      PlanCandidate variant = candidates[i];
      variant.cost.reset();
      variant.replicateBelow = pipeline.replicateBelow = threshold;
      variant.description += ", blocks under " + std::to_string(threshold) +
                             " positions computed whole";
      if (failed(evaluateCandidate(prepared, pipeline, topology, variant)))
        continue;
      bool changesPlan = variant.cost->totalUs != candidates[i].cost->totalUs ||
                         variant.arenaBytes != candidates[i].arenaBytes;
      // Fitting in memory first, then faster.
      if (changesPlan && (!best || std::make_pair(!variant.fits, variant.cost->totalUs) <
                                       std::make_pair(!best->fits, best->cost->totalUs)))
        best = std::move(variant);
    }
    if (best)
      variants.push_back(std::move(*best));
  }
  llvm::append_range(candidates, variants);
  // Evaluated and fitting first, by predicted time; then the rest.
  auto key = [](const PlanCandidate &c) {
    int group = !c.cost || !c.error.empty() ? 3 : c.fits ? 0 : 1;
    return std::make_pair(group, c.cost && c.error.empty() ? c.cost->totalUs : c.screenUs);
  };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const PlanCandidate &a, const PlanCandidate &b) { return key(a) < key(b); });
  if (!candidates.front().cost || !candidates.front().error.empty()) {
    error = "--mesh=auto: no candidate plan compiles; the best screened one failed with: " +
            candidates.front().error;
    return failure();
  }
  return candidates;
}

int64_t quilt::weightBytesOf(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](ConstantOp c) {
    bytes += cast<RankedTensorType>(c.getType()).getNumElements() * 4;
  });
  return bytes;
}

std::string quilt::formatMs(double us) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%.3f", us / 1000.0);
  return s;
}


static std::string mib(int64_t bytes) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.1f", bytes / 1048576.0);
  return s;
}

std::optional<std::pair<std::string, RankedTensorType>> quilt::mainInputOf(ModuleOp module) {
  std::optional<MainInput> input = mainInput(module);
  if (!input)
    return std::nullopt;
  return std::make_pair(input->name, input->type);
}

void quilt::printPlanExplanation(llvm::raw_ostream &os, ArrayRef<PlanCandidate> ranked,
                                 const Topology &topology, int64_t devices) {
  size_t evaluated = llvm::count_if(ranked, [](const PlanCandidate &c) { return c.cost; });
  os << "plan search: " << devices << " devices on topology '" << topology.name << "', "
     << ranked.size() << " candidates screened, " << evaluated << " evaluated\n";
  os << llvm::format("%4s  %-8s  %10s  %10s  %10s  %10s  %11s  %10s  %s\n", "rank", "mesh",
                     "total ms", "compute", "halo", "collective", "memory MiB", "screen ms",
                     "splits");
  for (auto [i, c] : llvm::enumerate(ranked)) {
    if (!c.cost || !c.error.empty()) {
      os << llvm::format("%4d  %-8s  %10s  %10s  %10s  %10s  %11s  %10s  ", (int)i + 1,
                         c.meshString().c_str(), c.error.empty() ? "-" : "failed", "-", "-",
                         "-", "-", formatMs(c.screenUs).c_str())
         << c.description << (c.error.empty() ? "" : " [" + c.error + "]") << "\n";
      continue;
    }
    const PlanCost &p = *c.cost;
    os << llvm::format("%4d  %-8s  %10s  %10s  %10s  %10s  %11s  %10s  ", (int)i + 1,
                       c.meshString().c_str(), formatMs(p.totalUs).c_str(),
                       formatMs(p.computeUs).c_str(), formatMs(p.haloUs).c_str(), formatMs(p.collectiveUs).c_str(),
                       (mib(c.memoryBytes()) + (c.fits ? "" : "!")).c_str(),
                       formatMs(c.screenUs).c_str())
       << c.description << (p.oversubscribed ? " [oversubscribed]" : "") << "\n";
  }
  const PlanCandidate &winner = ranked.front();
  os << "chosen: mesh " << winner.meshString() << ", " << winner.description << " ("
     << winner.flags() << ")\n";
  if (ranked.size() < 2 || !ranked[1].cost || !ranked[1].error.empty())
    return;
  const PlanCandidate &second = ranked[1];
  const PlanCost &a = *winner.cost, &b = *second.cost;
  struct Term {
    const char *name;
    double winner, runnerUp;
  } terms[] = {{"compute", a.computeUs, b.computeUs},
               {"halo", a.haloUs, b.haloUs},
               {"collective", a.collectiveUs, b.collectiveUs}};
  const Term *decided = &terms[0];
  for (const Term &t : terms)
    if (t.runnerUp - t.winner > decided->runnerUp - decided->winner)
      decided = &t;
  os << "runner-up: mesh " << second.meshString() << ", " << second.description << ": ";
  if (b.totalUs - a.totalUs <= 1e-3 * a.totalUs) {
    os << "predicted equal (within 0.1%); the search keeps the one its screen ranked first\n";
    return;
  }
  os << formatMs(b.totalUs - a.totalUs) << " ms slower";
  if (a.totalUs > 0)
    os << llvm::format(" (%.1f%%)", 100.0 * (b.totalUs - a.totalUs) / a.totalUs);
  os << "; " << decided->name << " decided it (" << formatMs(decided->winner) << " vs "
     << formatMs(decided->runnerUp) << " ms)\n";
}
