// The model info JSON a compiled model embeds as `quilt_model_info`
// (docs/runtime-abi.md): mesh, arena size, weights checksum, and the layout
// and arena offset of every input and output.
#ifndef QUILT_RUNTIME_MODEL_INFO_H
#define QUILT_RUNTIME_MODEL_INFO_H

#include "layout.h"
#include "npy.h"

#include <string>
#include <vector>

namespace quilt {

struct IoSpec {
  std::string name;
  /// The dtype of its .npy file; Quilt computes in float32 (npy.h).
  NpyDtype dtype = NpyDtype::Float32;
  std::vector<DimLayout> layout;
  int64_t arenaOffset = 0;

  std::vector<int64_t> globalShape() const;
};

struct ModelInfo {
  int version = 0;
  /// The quiltc --target the model was compiled for ("cpu" when absent).
  std::string target = "cpu";
  /// quiltc --tf32 (the module's quilt.math): convolutions and products may
  /// run on tensor cores with TF32 inputs.
  bool tf32 = false;
  std::string meshName;
  std::vector<std::string> axisNames;
  std::vector<int64_t> axisSizes;
  int64_t arenaBytes = 0;
  int64_t arenaAlignment = 64;
  /// The pack region every communication op packs into (0: none packs).
  int64_t packScratchBytes = 0;
  uint64_t weightsBytes = 0;
  std::string weightsChecksum; // 16 hex digits
  std::vector<IoSpec> inputs, outputs;

  int64_t meshSize() const;
  /// "x=2, y=4"
  std::string meshString() const;
};

/// Parses and checks the JSON; throws Error naming the offending field.
ModelInfo parseModelInfo(const char *json);

} // namespace quilt

#endif // QUILT_RUNTIME_MODEL_INFO_H
