//===- quilt-fuzz-import.cpp - structure-aware fuzzing of the ONNX import --===//
//
//   quilt-fuzz-import SEEDS... --mutants=2000 --seed=1
//   quilt-fuzz-import --run crash-candidate.onnx
//
// Derives mutants from real models (ModelMutator.h) and runs each through
// what quiltc runs on an untrusted file: the reader (ONNX's checker and
// shape inference, constant folding), the importer and, by default, the
// passes up to partitioning (on 2, 3 and 2x2 ranks in turn). Every mutant
// must either compile or be refused with one line naming the file; a crash
// kills the process, so each mutant is written to --crash-file before it is
// imported, and the signal handler names it (and `quiltc` reproduces it). A
// mutant that runs longer than --timeout is reported as a hang the same way.
//
//===----------------------------------------------------------------------===//
#include "ModelMutator.h"

#include "quilt/Conversion/Passes.h"
#include "quilt/Import/OnnxImporter.h"
#include "quilt/Planning/PlanSearch.h"
#include "Quilt/IR/QuiltDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <sys/resource.h>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory fuzzCategory("quilt-fuzz-import options");
static cl::list<std::string> seedPaths(cl::Positional,
                                       cl::desc("<seed model or directory>... (with --run: "
                                                "the models to run once each)"),
                                       cl::cat(fuzzCategory));
static cl::opt<bool> runOnly("run",
                             cl::desc("Run the given models once each (a saved crash "
                                      "candidate), no mutation"),
                             cl::init(false), cl::cat(fuzzCategory));
static cl::opt<uint64_t> mutants("mutants", cl::desc("Mutants to run"), cl::init(1000),
                                 cl::cat(fuzzCategory));
static cl::opt<uint64_t> firstMutant("start",
                                     cl::desc("Index of the first mutant (to resume a run, or "
                                              "with --mutants=1 to replay one)"),
                                     cl::init(0), cl::cat(fuzzCategory));
static cl::opt<uint64_t> runSeed("seed", cl::desc("Seed of the run: same seed, same mutants"),
                                 cl::init(1), cl::cat(fuzzCategory));
enum class Phase { Import, Partition, Runtime };
static cl::opt<Phase> lastPhase(
    "phase", cl::desc("How far each mutant is compiled"),
    cl::values(clEnumValN(Phase::Import, "import", "the reader and importer"),
               clEnumValN(Phase::Partition, "partition",
                          "and quiltc's passes up to partitioning on --mesh (default)"),
               clEnumValN(Phase::Runtime, "runtime", "and the runtime lowering")),
    cl::init(Phase::Partition), cl::cat(fuzzCategory));
static cl::list<std::string> meshSpecs(
    "mesh",
    cl::desc("Meshes the passes partition for, taken in turn by the mutants (default "
             "2,3,2x2: even, uneven and two-axis splits); --run uses the first"),
    cl::CommaSeparated, cl::cat(fuzzCategory));
static cl::opt<std::string> crashFile("crash-file",
                                      cl::desc("Where each mutant is written before it runs "
                                               "(left behind by a crash or a hang)"),
                                      cl::init("crash-candidate.onnx"), cl::cat(fuzzCategory));
static cl::opt<unsigned> timeoutSeconds("timeout",
                                        cl::desc("Seconds one mutant may take before it "
                                                 "counts as a hang (0: no limit)"),
                                        cl::init(20), cl::cat(fuzzCategory));
static cl::opt<unsigned> memoryLimitMb(
    "memory-limit-mb",
    cl::desc("Address-space limit of the process, so that a model that makes the "
             "compiler allocate without bound fails here instead of exhausting the "
             "machine (0: none)"),
    cl::init(8192), cl::cat(fuzzCategory));
static cl::opt<bool> verbose("v", cl::desc("Print each mutant's mutations and outcome"),
                             cl::init(false), cl::cat(fuzzCategory));
static cl::opt<bool> histogram("histogram",
                               cl::desc("Print how often each kind of error refused a mutant"),
                               cl::init(false), cl::cat(fuzzCategory));

// What the crash and hang handlers print after their first words: set
// before each mutant runs, so the handlers only write prepared buffers.
static char crashMessage[4096];

static void writeMessage(const char *prefix) {
  ssize_t ignored = write(STDERR_FILENO, prefix, strlen(prefix));
  ignored = write(STDERR_FILENO, crashMessage, strlen(crashMessage));
  (void)ignored;
}

static struct sigaction previousAction[NSIG];

/// Names the mutant first (a corrupted heap may kill LLVM's stack dump that
/// follows), then hands the signal to the handler installed before.
static void reportCrash(int sig) {
  writeMessage("quilt-fuzz-import: CRASH on ");
  sigaction(sig, &previousAction[sig], nullptr);
  raise(sig);
}

static void reportHang(int) {
  writeMessage("quilt-fuzz-import: HANG (over the --timeout) on ");
  _exit(3);
}

namespace {

/// One mutant's outcome.
struct Outcome {
  enum Kind { Rejected, FailedInPasses, Compiled } kind = Compiled;
  std::string error; ///< the one-line error or the first pass diagnostic
  /// Set when the failure breaks the rules for errors (not one line, no
  /// file named, a pass failed without a diagnostic).
  std::string badError;
};

/// "2x2" as sizes; empty when malformed.
std::vector<int64_t> parseMesh(llvm::StringRef spec) {
  llvm::SmallVector<llvm::StringRef> parts;
  spec.split(parts, 'x');
  std::vector<int64_t> sizes;
  for (llvm::StringRef part : parts) {
    int64_t n;
    if (part.getAsInteger(10, n) || n < 1)
      return {};
    sizes.push_back(n);
  }
  return sizes;
}

Outcome compileOnce(const std::string &path, const std::vector<int64_t> &mesh) {
  DialectRegistry registry;
  registry.insert<quilt::QuiltDialect, func::FuncDialect, LLVM::LLVMDialect>();
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  std::string firstDiagnostic;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && firstDiagnostic.empty())
      firstDiagnostic = diag.str();
    return success();
  });
  Outcome outcome;
  std::string error;
  OwningOpRef<ModuleOp> module = quilt::importOnnxFile(&ctx, path, error);
  if (!module) {
    outcome.kind = Outcome::Rejected;
    outcome.error = error;
    if (error.empty())
      outcome.badError = "the import failed with no error message";
    else if (error.find('\n') != std::string::npos)
      outcome.badError = "the error has more than one line: " + error;
    else if (error.find(path) == std::string::npos)
      outcome.badError = "the error does not name the file: " + error;
    return outcome;
  }
  if (lastPhase == Phase::Import)
    return outcome;
  quilt::PipelineOptions pipeline;
  pipeline.mesh = mesh;
  PassManager pm(&ctx);
  quilt::addPreparePasses(pm, pipeline);
  quilt::addPlanPasses(pm, pipeline);
  quilt::addPartitionPass(pm, pipeline);
  if (lastPhase == Phase::Runtime)
    pm.addPass(quilt::createQuiltLowerToRuntime({"", "cpu", 64}));
  if (failed(pm.run(*module))) {
    outcome.kind = Outcome::FailedInPasses;
    outcome.error = firstDiagnostic;
    if (firstDiagnostic.empty())
      outcome.badError = "a pass failed without a diagnostic";
  }
  return outcome;
}

/// The error with its file, quoted names and numbers blanked: one key per
/// check that refused a mutant.
std::string errorKind(const std::string &error, const std::string &path) {
  std::string text = error;
  if (size_t at = text.find(path); at != std::string::npos)
    text.erase(at, path.size());
  std::string key;
  bool quoted = false;
  for (char c : text) {
    if (c == '\'') {
      quoted = !quoted;
      if (quoted)
        key += "'?'";
      continue;
    }
    if (quoted)
      continue;
    if (isdigit(static_cast<unsigned char>(c))) {
      if (key.empty() || key.back() != 'N')
        key += 'N';
      continue;
    }
    key += c;
  }
  return key.substr(0, 110);
}

bool writeFile(const std::string &path, const std::string &bytes) {
  FILE *file = fopen(path.c_str(), "wb");
  if (!file)
    return false;
  bool ok = fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  return fclose(file) == 0 && ok;
}

void prepareCrashMessage(const std::string &what, const std::string &path,
                         const std::string &mesh) {
  snprintf(crashMessage, sizeof(crashMessage),
           "%s; the model is in %s; reproduce with "
           "`quilt-fuzz-import --run --mesh=%s %s` or `quiltc %s --mesh=%s "
           "--compile-to=partition -o -`\n",
           what.c_str(), path.c_str(), mesh.c_str(), path.c_str(), path.c_str(), mesh.c_str());
}

int runSavedModels(const std::string &mesh) {
  int status = 0;
  for (const std::string &path : seedPaths) {
    prepareCrashMessage("'" + path + "'", path, mesh);
    if (timeoutSeconds)
      alarm(timeoutSeconds);
    Outcome outcome = compileOnce(path, parseMesh(mesh));
    alarm(0);
    const char *what = outcome.kind == Outcome::Compiled         ? "compiled"
                       : outcome.kind == Outcome::Rejected       ? "rejected"
                                                                 : "failed in the passes";
    llvm::outs() << path << ": " << what << (outcome.error.empty() ? "" : ": ")
                 << outcome.error << "\n";
    if (!outcome.badError.empty()) {
      llvm::outs() << path << ": BAD ERROR: " << outcome.badError << "\n";
      status = 1;
    }
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(fuzzCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "quilt-fuzz-import: mutate ONNX models and import them; any "
                              "crash, hang or malformed error is a bug\n");
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP}) {
    struct sigaction action = {};
    action.sa_handler = reportCrash;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, &previousAction[sig]);
  }
  signal(SIGALRM, reportHang);
  if (memoryLimitMb) {
    rlimit limit{rlim_t(memoryLimitMb) << 20, rlim_t(memoryLimitMb) << 20};
    setrlimit(RLIMIT_AS, &limit);
  }
  if (seedPaths.empty()) {
    llvm::errs() << "quilt-fuzz-import: error: give seed models or directories (or --run FILE)\n";
    return 2;
  }
  std::vector<std::string> meshes(meshSpecs.begin(), meshSpecs.end());
  if (meshes.empty())
    meshes = {"2", "3", "2x2"};
  for (const std::string &mesh : meshes)
    if (parseMesh(mesh).empty()) {
      llvm::errs() << "quilt-fuzz-import: error: --mesh='" << mesh
                   << "' is not N or NxM... with positive sizes\n";
      return 2;
    }
  if (runOnly)
    return runSavedModels(meshes.front());

  quilt::fuzz::ModelMutator mutator;
  for (const std::string &path : seedPaths) {
    std::string error;
    if (!mutator.addSeeds(path, error)) {
      llvm::errs() << "quilt-fuzz-import: error: " << error << "\n";
      return 2;
    }
  }
  if (mutator.numSeeds() == 0) {
    llvm::errs() << "quilt-fuzz-import: error: no .onnx or .onnxtext seeds in the given paths\n";
    return 2;
  }

  std::map<std::string, uint64_t> kinds;
  uint64_t counts[3] = {0, 0, 0}, badErrors = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = firstMutant; i < firstMutant + mutants; ++i) {
    std::string description;
    std::string bytes = mutator.mutate(runSeed, i, description);
    if (!writeFile(crashFile, bytes)) {
      llvm::errs() << "quilt-fuzz-import: error: cannot write '" << crashFile << "'\n";
      return 2;
    }
    const std::string &mesh = meshes[i % meshes.size()];
    prepareCrashMessage("mutant " + std::to_string(i) + " of --seed=" + std::to_string(runSeed) +
                            " (" + description + ")",
                        crashFile, mesh);
    if (timeoutSeconds)
      alarm(timeoutSeconds);
    Outcome outcome = compileOnce(crashFile, parseMesh(mesh));
    alarm(0);
    ++counts[outcome.kind];
    if (outcome.kind != Outcome::Compiled)
      ++kinds[errorKind(outcome.error, crashFile)];
    if (verbose)
      llvm::outs() << "mutant " << i << " on --mesh=" << mesh << " (" << description << "): "
                   << (outcome.kind == Outcome::Compiled ? "compiled" : outcome.error) << "\n";
    if (!outcome.badError.empty()) {
      ++badErrors;
      llvm::errs() << "quilt-fuzz-import: BAD ERROR on mutant " << i << " of --seed=" << runSeed
                   << " on --mesh=" << mesh << " (" << description << "): " << outcome.badError
                   << "\n";
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  llvm::sys::fs::remove(crashFile);
  if (histogram) {
    std::vector<std::pair<uint64_t, std::string>> sorted;
    for (const auto &[kind, n] : kinds)
      sorted.push_back({n, kind});
    std::sort(sorted.rbegin(), sorted.rend());
    for (const auto &[n, kind] : sorted)
      llvm::outs() << llvm::format("%8llu  ", (unsigned long long)n) << kind << "\n";
  }
  llvm::outs() << "quilt-fuzz-import: " << mutants << " mutants of " << mutator.numSeeds()
               << " seeds (--seed=" << runSeed << ", from " << firstMutant << ") in "
               << llvm::format("%.1f", seconds) << " s ("
               << llvm::format("%.1f", mutants / std::max(seconds, 1e-9)) << " mutants/s): "
               << counts[Outcome::Rejected] << " refused by the import, "
               << counts[Outcome::FailedInPasses] << " by the passes, "
               << counts[Outcome::Compiled] << " compiled; " << badErrors
               << " malformed errors; 0 crashes\n";
  return badErrors ? 1 : 0;
}
