//===- OnnxModel.h - an ONNX graph as plain data ----------------*- C++ -*-===//
//
// The reader (compiled with exceptions, since libonnx throws) turns a .onnx or
// .onnxtext file into these structs after ONNX's checker and shape inference;
// the MLIR importer consumes them with no ONNX or protobuf types in sight.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IMPORT_ONNXMODEL_H
#define QUILT_IMPORT_ONNXMODEL_H

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace quilt::onnx_model {

enum class ElementType { Float, Int64, Int32, Double, Bool, Other };

struct Tensor {
  std::string name;
  ElementType type = ElementType::Other;
  std::vector<int64_t> dims;
  std::vector<float> floats;  ///< Float and Double tensors (Double rounded to float)
  std::vector<double> doubles; ///< Double tensors at full precision
  std::vector<int64_t> ints;  ///< Int64, Int32 and Bool tensors
  /// "float16" or "bfloat16" for a tensor widened to Float when read.
  std::string widenedFrom;
  int64_t numElements() const;
};

struct Attribute {
  enum Kind { Int, Float, Ints, Floats, String, TensorValue, Other } kind = Other;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;
  Tensor t;
};

struct Node {
  std::string name;
  std::string opType;
  std::string domain;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attributes;
};

struct ValueInfo {
  std::string name;
  ElementType type = ElementType::Other;
  std::vector<int64_t> dims; ///< -1 where unknown
  bool hasShape = false;
};

struct Graph {
  int64_t opset = 0;
  std::vector<Node> nodes;
  std::map<std::string, Tensor> initializers;
  std::vector<ValueInfo> inputs;  ///< graph inputs that are not initializers
  std::vector<ValueInfo> outputs;
  std::map<std::string, ValueInfo> valueInfos; ///< every typed value, after inference
};

/// Reads `path` (.onnxtext parsed as ONNX text, anything else as a binary
/// model), checks it and infers shapes. On failure returns false with one
/// line in `error`. `validate` runs on the raw graph before ONNX's checker
/// (so unsupported ops are all reported at once). `inputShapes` replaces the
/// shapes of the named graph inputs (same rank) before shapes are inferred;
/// the shapes the file records for other values are then inferred anew.
using InputShapes = std::map<std::string, std::vector<int64_t>>;
bool readModel(const std::string &path, Graph &graph, std::string &error,
               const std::function<bool(const Graph &, std::string &)> &validate = {},
               const InputShapes &inputShapes = {});

const char *elementTypeName(ElementType type);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_ONNXMODEL_H
