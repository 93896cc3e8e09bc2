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

/// The newest default-domain opset Quilt reads (ONNX 1.12's).
constexpr int64_t kNewestOpset = 17;

/// The element types Quilt reads. Quilt computes in float32; a model's
/// inputs and outputs of these types convert at the edges
/// (runtime/include/quilt/dtypes.h names them for compiler and runtime).
enum class ElementType {
  Float, Int64, Int32, Double, Bool, UInt8, Int8, UInt16, Int16, UInt32, UInt64, Float16, Other
};

/// Float, Double and Float16: their values live in Tensor::floats.
inline bool isFloatType(ElementType t) {
  return t == ElementType::Float || t == ElementType::Double || t == ElementType::Float16;
}
/// The integer types (not Bool): their values live in Tensor::ints.
inline bool isIntegerType(ElementType t) {
  return !isFloatType(t) && t != ElementType::Bool && t != ElementType::Other;
}
/// `value` wrapped into integer type `t` modulo 2^bits (two's complement),
/// as ONNX's integer arithmetic wraps; Int64 and UInt64 (which Quilt holds
/// below 2^63) and every other type unchanged.
inline int64_t wrapInteger(ElementType t, int64_t value) {
  switch (t) {
  case ElementType::Int32:
    return static_cast<int32_t>(static_cast<uint32_t>(value));
  case ElementType::UInt32:
    return static_cast<uint32_t>(value);
  case ElementType::Int16:
    return static_cast<int16_t>(static_cast<uint16_t>(value));
  case ElementType::UInt16:
    return static_cast<uint16_t>(value);
  case ElementType::Int8:
    return static_cast<int8_t>(static_cast<uint8_t>(value));
  case ElementType::UInt8:
    return static_cast<uint8_t>(value);
  default:
    return value;
  }
}

struct Tensor {
  std::string name;
  ElementType type = ElementType::Other;
  std::vector<int64_t> dims;
  std::vector<float> floats;  ///< Float, Double and Float16 tensors (Double rounded to float)
  std::vector<double> doubles; ///< Double tensors at full precision
  std::vector<int64_t> ints;  ///< Bool and integer tensors (uint64 below 2^63)
  /// "float16" or "bfloat16" for an initializer or constant widened to Float
  /// when read.
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

/// The dtype name ("float32", "uint8", ... as quilt/dtypes.h lists them), or
/// "an unsupported element type" for Other.
const char *elementTypeName(ElementType type);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_ONNXMODEL_H
