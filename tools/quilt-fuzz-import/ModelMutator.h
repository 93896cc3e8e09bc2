//===- ModelMutator.h - structure-aware mutations of ONNX models -*- C++ -*-===//
//
// The fuzzer's half that touches protobuf: it loads seed models and derives
// mutants from them (rewired inputs, changed dims and dtypes, odd attributes,
// deleted or duplicated nodes, truncated tensors, empty names, other opsets).
// It is compiled with exceptions, like the reader; the driver that imports
// the mutants sees only serialized bytes.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_TOOLS_FUZZ_MODELMUTATOR_H
#define QUILT_TOOLS_FUZZ_MODELMUTATOR_H

#include <cstdint>
#include <memory>
#include <string>

namespace quilt::fuzz {

class ModelMutator {
public:
  ModelMutator();
  ~ModelMutator();

  /// Adds a seed: a .onnx or .onnxtext file, or a directory whose .onnx and
  /// .onnxtext files, and the model.onnx of its subdirectories (ONNX's
  /// backend node tests), are all seeds. False with one line in `error` when
  /// a file cannot be read or parsed.
  bool addSeeds(const std::string &path, std::string &error);
  size_t numSeeds() const;

  /// Mutant `index` of the run seeded by `seed`, as a binary ModelProto: a
  /// seed picked and mutated one to four times. The same (seed, index) gives
  /// the same bytes. `description` names the seed and each mutation.
  std::string mutate(uint64_t seed, uint64_t index, std::string &description);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace quilt::fuzz

#endif // QUILT_TOOLS_FUZZ_MODELMUTATOR_H
