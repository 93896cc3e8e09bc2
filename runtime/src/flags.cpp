#include "flags.h"
#include "error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace quilt {
namespace {

/// IREE writes files as "@path"; a bare path is accepted too.
std::string filePath(const std::string &flag, const std::string &value,
                     const char *example = "x.npy") {
  std::string path = !value.empty() && value[0] == '@' ? value.substr(1) : value;
  if (path.empty())
    raise("flag --", flag, " needs a file, e.g. --", flag, "=@", example);
  return path;
}

double parseDouble(const std::string &flag, const std::string &value) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0 || !(v >= 0))
    raise("flag --", flag, " needs a non-negative number, got '", value, "'");
  return v;
}

int64_t parseCount(const std::string &flag, const std::string &value) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0 || v < 0)
    raise("flag --", flag, " needs a non-negative integer, got '", value, "'");
  return v;
}

void applyFlag(Options &o, const std::string &name, const std::string &value, bool hasValue) {
  auto needsValue = [&] {
    if (!hasValue)
      raise("flag --", name, " needs a value: --", name, "=...");
  };
  if (name == "help" || name == "print-signature" || name == "sync-phases" ||
      name == "profile-ops") {
    if (hasValue)
      raise("flag --", name, " takes no value");
    (name == "help"          ? o.help
     : name == "sync-phases" ? o.syncPhases
     : name == "profile-ops" ? o.profileOps
                             : o.printSignature) = true;
    return;
  }
  needsValue();
  if (name == "input")
    o.inputs.push_back(filePath(name, value));
  else if (name == "output")
    o.outputs.push_back(filePath(name, value));
  else if (name == "expected_output")
    o.expected.push_back(filePath(name, value));
  else if (name == "expected_f32_threshold")
    o.threshold = parseDouble(name, value);
  else if (name == "iterations")
    o.iterations = parseCount(name, value);
  else if (name == "weights")
    o.weightsPath = filePath(name, value);
  else if (name == "report")
    o.reportPath = filePath(name, value, "plan.json");
  else
    raise("unknown flag '--", name, "' (see --help)");
}

} // namespace

Options parseFlags(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      raise("unexpected argument '", arg, "'; inputs are given as --input=@file.npy");
    size_t eq = arg.find('=');
    bool hasValue = eq != std::string::npos;
    applyFlag(o, arg.substr(2, hasValue ? eq - 2 : std::string::npos),
              hasValue ? arg.substr(eq + 1) : std::string(), hasValue);
  }
  if (o.weightsPath.empty() && argc > 0)
    o.weightsPath = std::string(argv[0]) + ".weights";
  return o;
}

std::string usage(const char *argv0) {
  return strCat(
      "Usage: mpirun -n <ranks> ", argv0, " [flags]\n",
      "Runs a Quilt-compiled model; every rank reads and writes only its own slab.\n\n",
      "  --input=@x.npy              model input, float32 C-order; repeat in input order\n",
      "  --output=@y.npy             write a model output; repeat in output order\n",
      "  --expected_output=@r.npy    compare an output with a reference; repeat in order\n",
      "  --expected_f32_threshold=T  fail when max|y - r| / max|r| > T (default 1e-4)\n",
      "  --iterations=N              after the first run, time N more runs and print\n",
      "                              compute/halo/collective time and bytes sent per rank\n",
      "  --sync-phases               with --iterations: all ranks meet at a barrier before\n",
      "                              each communication op, timed apart as 'wait', so\n",
      "                              halo and collectives time the transfers alone\n",
      "  --profile-ops               with --iterations: also print the time per runtime\n",
      "                              entry point (conv, pool, halo_exchange, ...; the\n",
      "                              device synchronized around each call) and per\n",
      "                              communication op in program order (op i of\n",
      "                              quiltc --report; bytes sent and time)\n",
      "  --weights=PATH              weights file (default: <executable>.weights)\n",
      "  --report=@plan.json         write the bytes each rank sent in each communication\n",
      "                              op of the first run (as quiltc --report predicts them)\n",
      "  --print-signature           print inputs, outputs, mesh and splits, then exit\n",
      "  --help                      print this help\n");
}

} // namespace quilt
