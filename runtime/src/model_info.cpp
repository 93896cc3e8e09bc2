#include "model_info.h"
#include "error.h"

#include <nlohmann/json.hpp>

namespace quilt {
namespace {

using nlohmann::json;

const json &field(const json &object, const char *key, const std::string &where) {
  if (!object.is_object() || !object.contains(key))
    raise("model info: ", where, " has no '", key, "'");
  return object.at(key);
}

int64_t intField(const json &object, const char *key, const std::string &where) {
  const json &v = field(object, key, where);
  if (!v.is_number_integer())
    raise("model info: ", where, ".", key, " must be an integer");
  return v.get<int64_t>();
}

std::string stringField(const json &object, const char *key, const std::string &where) {
  const json &v = field(object, key, where);
  if (!v.is_string())
    raise("model info: ", where, ".", key, " must be a string");
  return v.get<std::string>();
}

std::vector<DimLayout> parseLayout(const json &words, const std::string &where) {
  if (!words.is_array() || words.empty())
    raise("model info: ", where, ".layout must be a non-empty array of integers");
  std::vector<int64_t> flat;
  for (const json &w : words) {
    if (!w.is_number_integer())
      raise("model info: ", where, ".layout must hold integers");
    flat.push_back(w.get<int64_t>());
  }
  if (flat[0] < 0 || flat.size() != 1 + size_t(flat[0]) * QUILT_LAYOUT_WORDS_PER_DIM)
    raise("model info: ", where, ".layout has ", flat.size(), " words, rank ", flat[0],
          " needs ", 1 + flat[0] * QUILT_LAYOUT_WORDS_PER_DIM);
  std::vector<DimLayout> dims;
  try {
    decodeLayout(flat.data(), dims);
  } catch (const Error &e) {
    raise("model info: ", where, ".layout: ", e.what());
  }
  return dims;
}

void checkIoLayout(const IoSpec &io, const ModelInfo &info, const std::string &where) {
  for (size_t d = 0; d < io.layout.size(); ++d) {
    const DimLayout &dim = io.layout[d];
    if (dim.hasHalo())
      raise("model info: ", where, " dim ", d, " carries a halo; inputs and outputs must be "
            "plain blocks");
    for (int64_t axis : dim.axes())
      if (axis >= static_cast<int64_t>(info.axisSizes.size()))
        raise("model info: ", where, " dim ", d, " is split by mesh axis ", axis, " of a ",
              info.axisSizes.size(), "-axis mesh");
  }
}

std::vector<IoSpec> parseIo(const json &list, const char *kind, const ModelInfo &info) {
  if (!list.is_array())
    raise("model info: '", kind, "' must be an array");
  std::vector<IoSpec> specs;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = strCat(kind, "[", i, "]");
    IoSpec io;
    io.name = stringField(list[i], "name", where);
    std::string dtype = stringField(list[i], "dtype", where);
    if (!parseDtypeName(dtype, io.dtype))
      raise("model info: ", where, " has dtype '", dtype,
            "'; the runtime reads and writes ", dtypeNameList("and"));
    io.layout = parseLayout(field(list[i], "layout", where), where);
    io.arenaOffset = intField(list[i], "arena_offset", where);
    checkIoLayout(io, info, where);
    specs.push_back(std::move(io));
  }
  return specs;
}

void parseMesh(const json &mesh, ModelInfo &info) {
  info.meshName = stringField(mesh, "name", "mesh");
  const json &axes = field(mesh, "axes", "mesh");
  if (!axes.is_array())
    raise("model info: mesh.axes must be an array");
  for (size_t i = 0; i < axes.size(); ++i) {
    std::string where = strCat("mesh.axes[", i, "]");
    info.axisNames.push_back(stringField(axes[i], "name", where));
    info.axisSizes.push_back(intField(axes[i], "size", where));
    if (info.axisSizes.back() < 1)
      raise("model info: ", where, ".size must be positive");
  }
}

} // namespace

std::vector<int64_t> IoSpec::globalShape() const {
  std::vector<int64_t> shape;
  for (const DimLayout &d : layout)
    shape.push_back(d.globalSize);
  return shape;
}

int64_t ModelInfo::meshSize() const {
  int64_t n = 1;
  for (int64_t s : axisSizes)
    n *= s;
  return n;
}

std::string ModelInfo::meshString() const {
  std::string out;
  for (size_t i = 0; i < axisSizes.size(); ++i)
    out += strCat(i ? ", " : "", axisNames[i], "=", axisSizes[i]);
  return out.empty() ? "(no axes)" : out;
}

ModelInfo parseModelInfo(const char *text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object())
    raise("model info is not a JSON object");
  ModelInfo info;
  info.version = static_cast<int>(intField(root, "version", "model info"));
  if (info.version != 1)
    raise("model info version ", info.version, " (this runtime reads version 1)");
  if (root.contains("target"))
    info.target = stringField(root, "target", "model info");
  if (root.contains("math")) {
    std::string math = stringField(root, "math", "model info");
    if (math != "fp32" && math != "tf32")
      raise("model info: math is '", math, "' (expected fp32 or tf32)");
    info.tf32 = math == "tf32";
  }
  parseMesh(field(root, "mesh", "model info"), info);
  info.arenaBytes = intField(root, "arena_bytes", "model info");
  if (root.contains("arena_alignment"))
    info.arenaAlignment = intField(root, "arena_alignment", "model info");
  if (root.contains("pack_scratch_bytes")) {
    info.packScratchBytes = intField(root, "pack_scratch_bytes", "model info");
    if (info.packScratchBytes < 0)
      raise("model info: pack_scratch_bytes is ", info.packScratchBytes);
  }
  const json &weights = field(root, "weights", "model info");
  info.weightsBytes = static_cast<uint64_t>(intField(weights, "bytes", "weights"));
  info.weightsChecksum = stringField(weights, "checksum", "weights");
  info.inputs = parseIo(field(root, "inputs", "model info"), "inputs", info);
  info.outputs = parseIo(field(root, "outputs", "model info"), "outputs", info);
  return info;
}

} // namespace quilt
