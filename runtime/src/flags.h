// Command-line flags of a model executable (IREE's spellings where IREE has one).
#ifndef QUILT_RUNTIME_FLAGS_H
#define QUILT_RUNTIME_FLAGS_H

#include <cstdint>
#include <string>
#include <vector>

namespace quilt {

struct Options {
  std::vector<std::string> inputs;   // .npy paths, in model input order
  std::vector<std::string> outputs;  // .npy paths, in model output order
  std::vector<std::string> expected; // reference .npy paths, in output order
  double threshold = 1e-4;           // relative error bound for --expected_output
  int64_t iterations = 0;            // timed runs after the first; 0: no timing
  bool syncPhases = false;           // --sync-phases: a timed barrier before each comm op
  bool profileOps = false;           // --profile-ops: time per runtime entry point
  std::string weightsPath;           // empty: argv[0] + ".weights"
  std::string reportPath;            // --report: bytes sent per op and rank, as JSON
  bool printSignature = false;
  bool help = false;
};

/// Throws Error with one line naming the bad flag.
Options parseFlags(int argc, char **argv);

std::string usage(const char *argv0);

} // namespace quilt

#endif // QUILT_RUNTIME_FLAGS_H
