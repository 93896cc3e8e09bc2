//===- quiltc.cpp - ONNX in, domain-parallel executable out ----------------===//
#include "CommReport.h"
#include "PlanReport.h"
#include "Simulation.h"
#include "Quilt/IR/QuiltDialect.h"
#include "quilt/Analysis/Topology.h"
#include "quilt/Planning/Passes.h"
#include "quilt/Planning/PlanSearch.h"
#include "quilt/Conversion/Passes.h"
#include "quilt/Import/OnnxImporter.h"
#include "quilt/Target/Executable.h"
#include "quilt/Target/Targets.h"
#include "quilt/Transforms/Passes.h"
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/partition_math.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/CommandLine.h"
#include <cstring>
#include <map>
#include <set>
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <map>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory quiltCategory("Quilt options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx | model.onnxtext | in.mlir>"),
                                      cl::Required, cl::cat(quiltCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output: the executable (its weights go to "
                                                     "<output>.weights), or the IR file with "
                                                     "--compile-to"),
                                       cl::value_desc("path"), cl::init("-"),
                                       cl::cat(quiltCategory));
static cl::opt<std::string> meshSpec("mesh", cl::desc("Mesh shape: ranks per axis, e.g. 4 or "
                                                      "2x2, at most 4 axes (named x, y, z, w; the last "
                                                      "varies fastest over ranks, so it stays "
                                                      "inside a node), or auto: the plan search "
                                                      "picks mesh and splits for --devices"),
                                     cl::value_desc("N[xM[xK[xL]]]"), cl::init("1"),
                                     cl::cat(quiltCategory));
static cl::opt<std::string> targetName(
    "target",
    cl::desc("The runtime the executable links: cpu (oneDNN, FFTW, MPI; the default), "
             "cuda-emulated (the CUDA backend's control flow on the host, NCCL over MPI: CI "
             "without a GPU) or cuda (GPUs: cuDNN, cuBLAS, cuFFT, NCCL). The model objects "
             "differ only in the collectives' algorithms: cpu runs the ones the cost model "
             "picks, the CUDA targets NCCL's own"),
    cl::value_desc("name"), cl::init("cpu"), cl::cat(quiltCategory));
static cl::list<std::string> collectiveAlgorithms(
    "collective-algorithm",
    cl::desc("KIND=ALGORITHM: every collective of KIND (all_reduce, all_gather, "
             "reduce_scatter, all_to_all) runs ALGORITHM (library, ring, recursive-doubling, "
             "rabenseifner, bruck, recursive-halving, pairwise) instead of the one the cost "
             "model picks (a collective whose plan already records one keeps it); repeatable, "
             "each kind once. An algorithm that does not serve a collective's group "
             "(recursive-halving over 3 ranks) is an error naming the op; the CUDA targets "
             "take only library"),
    cl::value_desc("kind=algorithm"), cl::CommaSeparated, cl::cat(quiltCategory));
static cl::list<std::string> shardSpecs(
    "shard",
    cl::desc("Split of a value (an input, an output or any ONNX value the model keeps): "
             "NAME:DIM (on mesh axis 0) or NAME:DIM=AXIS[,DIM=AXIS...], optionally @pN "
             "(priority, p0 strongest); repeatable. Default: each input's largest spatial "
             "dims, one per mesh axis, at the weakest priority"),
    cl::value_desc("spec"), cl::CommaSeparated, cl::cat(quiltCategory));
enum class Phase { Import, Propagate, Partition, Runtime, LLVM, Object, Executable };
static cl::opt<Phase> compileTo(
    "compile-to", cl::desc("Stop after a phase and write its output"),
    cl::values(clEnumValN(Phase::Import, "import", "quilt dialect over global tensors"),
               clEnumValN(Phase::Propagate, "propagate", "after sharding propagation"),
               clEnumValN(Phase::Partition, "partition", "the per-rank SPMD program"),
               clEnumValN(Phase::Runtime, "runtime", "LLVM dialect calling the runtime"),
               clEnumValN(Phase::LLVM, "llvm", "LLVM IR"),
               clEnumValN(Phase::Object, "object", "an object file")),
    cl::init(Phase::Executable), cl::cat(quiltCategory));
static cl::opt<std::string> attentionVariant(
    "attention",
    cl::desc("Attention with split keys: ring (K/V blocks circulate; memory per rank "
             "O(local tokens)) or all-gather (gather keys and values)"),
    cl::init("ring"), cl::cat(quiltCategory));
static cl::opt<bool> shrinkSpectralTransposes(
    "shrink-spectral-transposes",
    cl::desc("Slice Fourier modes before, and zero-fill them after, the all-to-all of a DFT on "
             "a split axis (quilt-shrink-spectral-transposes; =false to measure without)"),
    cl::init(true), cl::cat(quiltCategory));
static cl::opt<bool> keepTokenGrid(
    "keep-token-grid",
    cl::desc("Keep dims merged into tokens (an image's H, W -> H*W) apart through the ops "
             "that follow, so every split of the grid survives (quilt-keep-token-grid; "
             "=false to measure without)"),
    cl::init(true), cl::cat(quiltCategory));
static cl::opt<bool> splitExtraTokens(
    "split-extra-tokens",
    cl::desc("Keep tokens concatenated to split patch tokens (a class token) apart from them, "
             "computed on every rank, so the patch tokens stay split (quilt-split-extra-tokens; "
             "=false to measure without)"),
    cl::init(true), cl::cat(quiltCategory));
static cl::opt<bool> tf32(
    "tf32",
    cl::desc("Let cuDNN and cuBLAS compute convolutions and products on tensor cores with "
             "TF32 inputs (10-bit mantissa, float32 accumulation): faster, about 1e-3 "
             "relative error instead of float32's 1e-6 (--target=cuda only; recorded as the "
             "module's quilt.math, timed at the topology's tf32 peak)"),
    cl::init(false), cl::cat(quiltCategory));
static cl::opt<bool> shareHalos(
    "share-halos",
    cl::desc("One halo exchange for all the windowed ops reading a split value along a dim, "
             "at the widest range they need (quilt-share-halos; =false to measure without)"),
    cl::init(true), cl::cat(quiltCategory));
static cl::opt<bool> explainSharding("explain-sharding",
                                     cl::desc("Remark, per value, its sharding and its origin"),
                                     cl::init(false), cl::cat(quiltCategory));
static cl::opt<std::string> reportFile(
    "report",
    cl::desc("Write JSON: the bytes each rank sends in each communication op and the peak "
             "arena per rank (what the executable's --report measures)"),
    cl::value_desc("file.json"), cl::cat(quiltCategory));

static cl::opt<int64_t> devices(
    "devices", cl::desc("Devices (ranks) for --mesh=auto (default: the --mesh size)"),
    cl::value_desc("N"), cl::init(0), cl::cat(quiltCategory));
static cl::opt<std::string> topologySpec(
    "topology",
    cl::desc("Machine for the cost model: NAME of a file in topologies/ (dgx-h100, frontier, "
             "devbox-2core, ...) or a PATH to a topology file (docs/topology-format.md)"),
    cl::value_desc("NAME|PATH"), cl::init("devbox-2core"), cl::cat(quiltCategory));
static cl::opt<bool> explainPlan(
    "explain-plan",
    cl::desc("Print the plan search's ranked candidates (predicted compute, halo and "
             "collective time, memory per rank) and why the winner beat the runner-up"),
    cl::init(false), cl::cat(quiltCategory));
static cl::opt<bool> simulate(
    "simulate",
    cl::desc("Predict the plan's time per step, its breakdown and memory per device on "
             "--topology (no executable unless -o is given)"),
    cl::init(false), cl::cat(quiltCategory));
static cl::opt<std::string> simulateJson(
    "simulate-json", cl::desc("Write the prediction as JSON (implies --simulate)"),
    cl::value_desc("file.json"), cl::cat(quiltCategory));
static cl::opt<std::string> planReport(
    "plan-report",
    cl::desc("Write a self-contained HTML page of the plan: the mesh over the topology's "
             "levels, each tensor's split, the predicted time op by op, and the plan "
             "search's candidates with --mesh=auto (implies --simulate)"),
    cl::value_desc("file.html"), cl::cat(quiltCategory));
static cl::list<int64_t> scaling(
    "scaling",
    cl::desc("Strong scaling: predict the searched plan at each device count "
             "(e.g. 8,64,512,4096) and print the table (no executable)"),
    cl::value_desc("N,N,..."), cl::CommaSeparated, cl::cat(quiltCategory));
static cl::list<std::string> inputShapeSpecs(
    "input-shape",
    cl::desc("Replace the static shape of a model input before import (e.g. a larger "
             "field): NAME:AxBxC...; repeatable"),
    cl::value_desc("NAME:SHAPE"), cl::cat(quiltCategory));
static cl::opt<int64_t> replicateBelow(
    "replicate-below",
    cl::desc("Compute ops whose split spatial blocks have fewer than N positions whole on "
             "every rank (gather once, slice after) instead of exchanging halos "
             "(quilt-replicate-narrow-blocks; the plan search tries it)"),
    cl::value_desc("N"), cl::init(0), cl::cat(quiltCategory));
static cl::opt<bool> costEveryRank(
    "cost-every-rank",
    cl::desc("--simulate evaluates every rank instead of one per rank class (slower; the "
             "same prediction, a check of the classes)"),
    cl::init(false), cl::cat(quiltCategory));
static cl::opt<unsigned> searchBreadth(
    "search-evaluate",
    cl::desc("Candidates of the plan search that run the real pipeline after the screen"),
    cl::init(10), cl::cat(quiltCategory));

static int fail(const std::string &message) {
  llvm::errs() << "quiltc: error: " << message << "\n";
  return 1;
}

/// "AxBxC" with positive sizes (a mesh, an input shape).
static FailureOr<SmallVector<int64_t>> parsePositiveSizes(StringRef spec) {
  SmallVector<StringRef> parts;
  spec.split(parts, 'x');
  SmallVector<int64_t> sizes;
  for (StringRef part : parts) {
    int64_t n;
    if (part.getAsInteger(10, n) || n < 1)
      return failure();
    sizes.push_back(n);
  }
  return sizes;
}

static FailureOr<SmallVector<int64_t>> parseMesh(StringRef spec) {
  auto shape = parsePositiveSizes(spec);
  if (failed(shape) || shape->empty() || shape->size() > static_cast<size_t>(quilt::kMaxMeshAxes))
    return failure();
  return shape;
}

/// --input-shape=NAME:AxBxC items.
static FailureOr<std::map<std::string, std::vector<int64_t>>> parseInputShapes() {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (StringRef spec : inputShapeSpecs) {
    auto [name, dims] = spec.rsplit(':');
    if (name.empty() || dims.empty())
      return failure();
    auto shape = parsePositiveSizes(dims);
    if (failed(shape))
      return failure();
    shapes[name.str()] = std::vector<int64_t>(shape->begin(), shape->end());
  }
  return shapes;
}

static OwningOpRef<ModuleOp> readInput(MLIRContext &ctx, std::string &error,
                                       const std::map<std::string, std::vector<int64_t>> &shapes) {
  if (StringRef(inputFile).ends_with(".mlir")) {
    ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
    auto file = openInputFile(inputFile, &error);
    if (!file)
      return nullptr;
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    auto module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
    if (!module) {
      error = inputFile + ": cannot parse MLIR";
      return module;
    }
    // Like an imported model's, the import phase ends with the ops stated as
    // ONNX states them (quilt.batch_norm, logic, matmul) lowered.
    PassManager decompose(&ctx);
    decompose.addPass(quilt::createQuiltDecompose());
    if (failed(decompose.run(*module))) {
      error = inputFile + ": lowering quilt.batch_norm, logic or matmul failed";
      return nullptr;
    }
    return module;
  }
  return quilt::importOnnxFile(&ctx, inputFile, error, shapes);
}

/// The input as a module, with what the flags decide for the whole program
/// recorded on it (--tf32: quilt.math, which the cost model and the runtime
/// lowering read); every module quiltc compiles or times comes from here.
static OwningOpRef<ModuleOp> loadInput(MLIRContext &ctx, std::string &error,
                                       const std::map<std::string, std::vector<int64_t>> &shapes) {
  OwningOpRef<ModuleOp> module = readInput(ctx, error, shapes);
  if (module && tf32)
    (*module)->setAttr(quilt::kMathAttr, StringAttr::get(&ctx, "tf32"));
  return module;
}

static LogicalResult writeText(ModuleOp module, std::string &error) {
  auto out = openOutputFile(outputFile, &error);
  if (!out)
    return failure();
  if (compileTo == Phase::LLVM) {
    if (failed(quilt::emitLLVMIR(module, out->os(), error)))
      return failure();
  } else {
    module.print(out->os());
  }
  out->keep();
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerAsmPrinterCLOptions();
  registerDefaultTimingManagerCLOptions();
  // Show Quilt's options and MLIR's standard ones; hide the LLVM backends' flags.
  static cl::OptionCategory mlirCategory("MLIR options");
  cl::HideUnrelatedOptions(quiltCategory);
  for (auto &entry : cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.first;
    if (name.starts_with("mlir-") || name.starts_with("pass-") || name == "debug-only") {
      entry.second->setHiddenFlag(cl::NotHidden);
      entry.second->addCategory(mlirCategory);
    }
  }
  cl::ParseCommandLineOptions(argc, argv,
                              "quiltc: compile an ONNX model into a domain-parallel executable\n\n"
                              "  quiltc model.onnx -o model --mesh=4\n"
                              "  mpirun -n 4 ./model --input=@x.npy --output=@y.npy\n");

  const quilt::TargetSpec *target = quilt::findTarget(targetName);
  if (!target) {
    std::string known;
    for (const quilt::TargetSpec &t : quilt::allTargets())
      known += std::string(known.empty() ? "" : ", ") + t.name;
    return fail("--target=" + targetName + " is not a target; known: " + known);
  }
  if (!*target->linkLine)
    return fail("--target=" + targetName + " is not available: " + target->missingBecause);
  if (tf32 && !target->tensorCoreMath)
    return fail("--tf32: --target=" + targetName +
                " computes in float32 without tensor cores; TF32 needs --target=cuda");

  bool autoMesh = meshSpec == "auto";
  auto mesh = autoMesh ? FailureOr<SmallVector<int64_t>>(SmallVector<int64_t>{1})
                       : parseMesh(meshSpec);
  if (failed(mesh))
    return fail("--mesh='" + meshSpec + "' is not N, NxM, NxMxK or NxMxKxL with positive sizes, or auto");
  int64_t meshRanks = 1;
  for (int64_t n : *mesh)
    meshRanks *= n;
  if (devices < 0)
    return fail("--devices=" + std::to_string(devices) + " is not a positive device count");
  if (autoMesh && devices == 0)
    return fail("--mesh=auto needs --devices=N: the number of devices to plan for");
  if (!autoMesh && devices != 0 && devices != meshRanks)
    return fail("--devices=" + std::to_string(devices) + " does not match --mesh=" + meshSpec +
                " (" + std::to_string(meshRanks) + " ranks); use --mesh=auto to search");
  if (autoMesh && !shardSpecs.empty())
    return fail("--mesh=auto chooses the splits itself; drop --shard (or give --mesh=N)");
  for (int64_t n : scaling)
    if (n < 1)
      return fail("--scaling: " + std::to_string(n) + " is not a positive device count");
  std::vector<std::string> preferenceEntries(collectiveAlgorithms.begin(),
                                             collectiveAlgorithms.end());
  std::string why;
  auto preferences = quilt::parseCollectivePreferences(preferenceEntries, why);
  if (failed(preferences))
    return fail("--collective-algorithm: " + why);
  if (!simulateJson.empty())
    simulate = true;
  if (!planReport.empty())
    simulate = true;
  bool planning = autoMesh || simulate || explainPlan || !scaling.empty();
  // Without -o, --explain-sharding and --report analyse the plan: compile
  // through the runtime lowering (for the peak arena) and write no program.
  bool analyseOnly = compileTo == Phase::Executable && outputFile == "-" &&
                     (explainSharding || !reportFile.empty() || simulate || explainPlan ||
                      !scaling.empty());
  if (analyseOnly)
    compileTo = Phase::Runtime;
  if (compileTo == Phase::Executable && outputFile == "-")
    return fail("an executable needs an output path: -o <path> (or --explain-sharding, "
                "--report=FILE, --simulate or --explain-plan alone, to analyse the plan)");
  if (attentionVariant != "ring" && attentionVariant != "all-gather")
    return fail("--attention='" + attentionVariant + "' is neither ring nor all-gather");
  if ((simulate || explainPlan || autoMesh) && compileTo < Phase::Propagate)
    return fail("--simulate, --explain-plan and --mesh=auto plan the program: "
                "--compile-to=propagate or later");
  if (simulate && compileTo < Phase::Partition)
    return fail("--simulate predicts the partitioned program: --compile-to=partition or later");
  if (!reportFile.empty() && compileTo < Phase::Partition)
    return fail("--report needs the partitioned program: --compile-to=partition or later");

  DialectRegistry registry;
  registry.insert<quilt::QuiltDialect, func::FuncDialect, LLVM::LLVMDialect>();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  // Remarks (all-gathers, --explain-sharding) are printed, not only errors.
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &ctx);

  std::string error;
  auto inputShapes = parseInputShapes();
  if (failed(inputShapes))
    return fail("--input-shape needs NAME:AxBxC... with positive sizes");
  if (!inputShapes->empty() && StringRef(inputFile).ends_with(".mlir"))
    return fail("--input-shape applies to ONNX models, not to " + inputFile);
  OwningOpRef<ModuleOp> module = loadInput(ctx, error, *inputShapes);
  if (!module)
    return fail(error.empty() ? inputFile + ": cannot be read" : error);

  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  PassManager pm(&ctx);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("invalid pass manager options");
  TimingScope rootTiming = timing.getRootScope();
  pm.enableTiming(rootTiming);

  quilt::PipelineOptions pipeline;
  pipeline.mesh.assign(mesh->begin(), mesh->end());
  pipeline.shards.assign(shardSpecs.begin(), shardSpecs.end());
  pipeline.attention = attentionVariant;
  pipeline.shrinkSpectralTransposes = shrinkSpectralTransposes;
  pipeline.keepTokenGrid = keepTokenGrid;
  pipeline.splitExtraTokens = splitExtraTokens;
  pipeline.shareHalos = shareHalos;
  pipeline.explainSharding = explainSharding;
  pipeline.replicateBelow = replicateBelow;
  if (replicateBelow < 0)
    return fail("--replicate-below=" + std::to_string(replicateBelow) + " is negative");

  // Loaded once: the search, the simulation and quilt-choose-collective-algorithms share it.
  std::shared_ptr<const quilt::Topology> topology;
  if (compileTo >= Phase::Partition || (planning && compileTo != Phase::Import)) {
    auto loaded = quilt::loadTopology(topologySpec, error);
    if (failed(loaded))
      return fail("--topology: " + error);
    topology = std::make_shared<const quilt::Topology>(std::move(*loaded));
    // Each collective records the algorithm the cost model times cheapest
    // on this machine among those the target's communicator runs: NCCL (and
    // so any GPU machine's) only its own tuner's.
    pipeline.collectiveTopology = topologySpec;
    pipeline.collectiveMachine = topology;
    pipeline.libraryCollectivesOnly =
        !target->runsCollectiveSchedules || topology->device.cores == 0;
    pipeline.collectivePreferences = preferenceEntries;
    for (const quilt::CollectivePreference &preference : *preferences)
      if (pipeline.libraryCollectivesOnly &&
          preference.algorithm != quilt::CollectiveAlgorithm::Library)
        return fail("--collective-algorithm=" + preference.entry + ": " +
                    (target->runsCollectiveSchedules
                         ? "the machine of --topology=" + topologySpec +
                               " runs only its communicator library's collectives (a GPU "
                               "machine: NCCL); only library"
                         : "--target=" + targetName +
                               " runs only NCCL's own collectives; only library"));
  }
  if (planning && compileTo != Phase::Import) {
    // The mesh-independent rewrites run once, before any plan is made.
    PassManager prepare(&ctx);
    quilt::addPreparePasses(prepare, pipeline);
    if (failed(prepare.run(*module)))
      return fail(inputFile + ": compilation failed (see the diagnostic above)");
  } else if (compileTo != Phase::Import) {
    quilt::addPreparePasses(pm, pipeline);
  }
  auto search = [&](ModuleOp prepared, int64_t n) -> FailureOr<std::vector<quilt::PlanCandidate>> {
    quilt::PlanSearchOptions options;
    options.devices = n;
    options.topology = topology.get();
    options.evaluate = searchBreadth;
    options.pipeline = pipeline;
    return quilt::searchPlans(prepared, options, error);
  };
  if (!scaling.empty()) {
    std::vector<quilt::ScalingRow> rows;
    for (int64_t n : scaling) {
      auto ranked = search(*module, n);
      if (failed(ranked))
        return fail(error);
      rows.push_back({n, ranked->front(), {}});
    }
    quilt::printScaling(llvm::outs(), rows, *topology, /*weak=*/false);
    // Weak scaling: the main input grows along its largest spatial dim in
    // proportion to the devices, so each device keeps the first row's share.
    auto main = quilt::mainInputOf(*module);
    if (!main || StringRef(inputFile).ends_with(".mlir"))
      return 0;
    std::vector<int64_t> base(main->second.getShape().begin(), main->second.getShape().end());
    if (auto given = inputShapes->find(main->first); given != inputShapes->end())
      base = given->second;
    int64_t grow = base.size() > 2 ? 2 : 0;
    for (size_t d = 2; d < base.size(); ++d)
      if (base[d] > base[grow])
        grow = d;
    std::vector<quilt::ScalingRow> weak;
    for (int64_t n : scaling) {
      auto shapes = *inputShapes;
      shapes[main->first] = base;
      shapes[main->first][grow] = base[grow] * n / scaling.front();
      OwningOpRef<ModuleOp> grown = loadInput(ctx, error, shapes);
      if (!grown)
        return fail("weak scaling: " + error);
      PassManager prepare(&ctx);
      quilt::addPreparePasses(prepare, pipeline);
      if (failed(prepare.run(*grown)))
        return fail("weak scaling at " + std::to_string(n) + " devices: compilation failed");
      auto ranked = search(*grown, n);
      if (failed(ranked))
        return fail("weak scaling: " + error);
      weak.push_back({n, ranked->front(), shapes[main->first]});
    }
    llvm::outs() << "\n";
    quilt::printScaling(llvm::outs(), weak, *topology, /*weak=*/true, main->first);
    return 0;
  }
  std::string planDescription;
  std::vector<quilt::PlanCandidate> rankedPlans; // for --plan-report
  if (autoMesh) {
    auto ranked = search(*module, devices);
    if (failed(ranked))
      return fail(error);
    if (explainPlan)
      quilt::printPlanExplanation(llvm::outs(), *ranked, *topology, devices);
    const quilt::PlanCandidate &winner = ranked->front();
    pipeline.mesh = winner.mesh;
    pipeline.shards = winner.shards;
    pipeline.replicateBelow = winner.replicateBelow;
    planDescription = winner.description;
    meshSpec = winner.meshString();
    rankedPlans = *ranked;
  } else if (explainPlan) {
    llvm::outs() << "plan: mesh " << meshSpec << " as given (--mesh=auto searches)\n";
  }
  if (compileTo != Phase::Import)
    quilt::addPlanPasses(pm, pipeline);
  quilt::CommReport report;
  quilt::Simulation simulation;
  simulation.topology = topology.get();
  simulation.shards = pipeline.shards;
  simulation.description = planDescription;
  simulation.everyRank = costEveryRank;
  if (compileTo >= Phase::Partition)
    quilt::addPartitionPass(pm, pipeline);
  if (!reportFile.empty())
    pm.addPass(quilt::createCollectCommReport(report));
  if (simulate && compileTo >= Phase::Partition)
    pm.addPass(quilt::createCollectSimulation(simulation));
  std::string weightsPath;
  if (compileTo >= Phase::Runtime) {
    if (compileTo == Phase::Executable)
      weightsPath = outputFile + ".weights";
    pm.addPass(quilt::createQuiltLowerToRuntime({weightsPath, target->name, target->alignment}));
  }
  if (failed(pm.run(*module))) {
    if (!weightsPath.empty())
      llvm::sys::fs::remove(weightsPath);
    return fail(inputFile + ": compilation failed (see the diagnostic above)");
  }
  // A target whose runtime lacks an op's entry point refuses the model in
  // one line naming the ONNX nodes (a link error would name the symbol).
  if (compileTo >= Phase::Runtime) {
    std::map<std::string, llvm::SetVector<std::string, std::vector<std::string>, std::set<std::string>>> missing; // entry -> nodes
    module->walk([&](LLVM::CallOp call) {
      auto callee = call.getCallee();
      if (!callee || !callee->starts_with("quilt_rt_"))
        return;
      StringRef entry = callee->drop_front(strlen("quilt_rt_"));
      if (!target->provides(entry)) {
        std::string node = quilt::onnxNodeName(call);
        missing[entry.str()].insert(node.empty() ? "?" : "'" + node + "'");
      }
    });
    if (!missing.empty()) {
      if (!weightsPath.empty())
        llvm::sys::fs::remove(weightsPath);
      std::string what;
      for (auto &[entry, nodes] : missing) {
        what += (what.empty() ? "" : "; ") + entry + " (ONNX node" +
                (nodes.size() > 1 ? "s " : " ");
        for (auto [i, node] : llvm::enumerate(nodes))
          what += (i ? ", " : "") + node;
        what += ")";
      }
      return fail(inputFile + ": --target=" + targetName + " has no kernel yet for " + what +
                  "; use --target=cpu or --target=cuda-emulated");
    }
  }
  auto arena = (*module)->getAttrOfType<IntegerAttr>("quilt.arena_bytes");
  if (!reportFile.empty() &&
      failed(quilt::writeCommReport(report, arena ? std::optional(arena.getInt()) : std::nullopt,
                                    reportFile, error))) {
    if (!weightsPath.empty())
      llvm::sys::fs::remove(weightsPath);
    return fail(error);
  }

  if (simulate && compileTo >= Phase::Partition) {
    if (arena)
      simulation.arenaBytes = arena.getInt();
    printSimulation(analyseOnly ? llvm::outs() : llvm::errs(), simulation);
    if (!simulateJson.empty() &&
        failed(quilt::writeSimulationJson(simulation, simulateJson, error)))
      return fail(error);
    if (!planReport.empty() &&
        failed(quilt::writePlanReport(simulation, rankedPlans, planReport, error)))
      return fail(error);
  }
  if (compileTo < Phase::Object) {
    if (!analyseOnly && failed(writeText(*module, error)))
      return fail(error);
    return 0;
  }
  std::string objectPath = compileTo == Phase::Object ? outputFile : outputFile + ".o";
  // No half-built outputs: a failed step removes what earlier steps wrote.
  auto failAndClean = [&](const std::string &message) {
    if (!weightsPath.empty())
      llvm::sys::fs::remove(weightsPath);
    if (!reportFile.empty() && reportFile != "-")
      llvm::sys::fs::remove(reportFile);
    if (compileTo == Phase::Executable)
      llvm::sys::fs::remove(objectPath);
    return fail(message);
  };
  if (failed(quilt::emitObjectFile(*module, objectPath, error)))
    return failAndClean(error);
  if (compileTo == Phase::Executable) {
    if (failed(quilt::linkExecutable(objectPath, outputFile, target->linkLine, error)))
      return failAndClean(error);
    llvm::sys::fs::remove(objectPath);
    llvm::outs() << "quiltc: wrote " << outputFile << " and " << weightsPath << "; mesh "
                 << meshSpec << ", peak arena " << (arena ? arena.getInt() : 0)
                 << " bytes per rank\n";
  }
  return 0;
}
