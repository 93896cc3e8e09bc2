//===- OnnxReader.cpp - parse, check and shape-infer an ONNX file ----------===//
//
// The only file that touches libonnx and protobuf; it is compiled with
// exceptions because libonnx reports problems by throwing.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/OnnxModel.h"
#include "quilt/Import/ShapeFolding.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <functional>
#include <fstream>
#include <sstream>

namespace quilt::onnx_model {

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// Dims must be non-negative and their product must fit: a hostile header
/// cannot claim an empty tensor of 2^64 elements.
static bool validDims(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
      return false;
    n *= d;
  }
  return true;
}

const char *elementTypeName(ElementType type) {
  switch (type) {
  case ElementType::Float:
    return "float32";
  case ElementType::Int64:
    return "int64";
  case ElementType::Int32:
    return "int32";
  case ElementType::Double:
    return "float64";
  case ElementType::Bool:
    return "bool";
  case ElementType::Other:
    break;
  }
  return "an unsupported element type";
}

static ElementType convertType(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return ElementType::Float;
  case onnx::TensorProto::INT64:
    return ElementType::Int64;
  case onnx::TensorProto::INT32:
    return ElementType::Int32;
  case onnx::TensorProto::DOUBLE:
    return ElementType::Double;
  case onnx::TensorProto::BOOL:
    return ElementType::Bool;
  default:
    return ElementType::Other;
  }
}

template <typename T> static std::vector<T> rawValues(const std::string &raw) {
  std::vector<T> values(raw.size() / sizeof(T));
  std::memcpy(values.data(), raw.data(), values.size() * sizeof(T));
  return values;
}

static bool convertTensor(const onnx::TensorProto &proto, Tensor &out, std::string &error) {
  out.name = proto.name();
  out.type = convertType(proto.data_type());
  out.dims.assign(proto.dims().begin(), proto.dims().end());
  if (!validDims(out.dims)) {
    error = "tensor '" + proto.name() + "' has negative or overflowing dims";
    return false;
  }
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    error = "tensor '" + proto.name() + "' uses external data, which is not supported";
    return false;
  }
  bool raw = proto.has_raw_data();
  switch (out.type) {
  case ElementType::Float:
    out.floats = raw ? rawValues<float>(proto.raw_data())
                     : std::vector<float>(proto.float_data().begin(), proto.float_data().end());
    break;
  case ElementType::Double: {
    auto d = raw ? rawValues<double>(proto.raw_data())
                 : std::vector<double>(proto.double_data().begin(), proto.double_data().end());
    out.floats.assign(d.begin(), d.end());
    break;
  }
  case ElementType::Int64:
    out.ints = raw ? rawValues<int64_t>(proto.raw_data())
                   : std::vector<int64_t>(proto.int64_data().begin(), proto.int64_data().end());
    break;
  case ElementType::Int32: {
    auto v = raw ? rawValues<int32_t>(proto.raw_data())
                 : std::vector<int32_t>(proto.int32_data().begin(), proto.int32_data().end());
    out.ints.assign(v.begin(), v.end());
    break;
  }
  case ElementType::Bool: {
    auto v = raw ? rawValues<uint8_t>(proto.raw_data())
                 : std::vector<uint8_t>(proto.int32_data().begin(), proto.int32_data().end());
    out.ints.assign(v.begin(), v.end());
    break;
  }
  case ElementType::Other:
    error = "tensor '" + proto.name() + "' has an unsupported element type";
    return false;
  }
  size_t have = out.type == ElementType::Float || out.type == ElementType::Double
                    ? out.floats.size()
                    : out.ints.size();
  if ((int64_t)have != out.numElements()) {
    error = "tensor '" + proto.name() + "' holds " + std::to_string(have) + " values for " +
            std::to_string(out.numElements()) + " elements (truncated file?)";
    return false;
  }
  return true;
}

static bool convertAttribute(const onnx::AttributeProto &proto, Attribute &out,
                             std::string &error) {
  switch (proto.type()) {
  case onnx::AttributeProto::INT:
    out.kind = Attribute::Int;
    out.i = proto.i();
    return true;
  case onnx::AttributeProto::FLOAT:
    out.kind = Attribute::Float;
    out.f = proto.f();
    return true;
  case onnx::AttributeProto::INTS:
    out.kind = Attribute::Ints;
    out.ints.assign(proto.ints().begin(), proto.ints().end());
    return true;
  case onnx::AttributeProto::FLOATS:
    out.kind = Attribute::Floats;
    out.floats.assign(proto.floats().begin(), proto.floats().end());
    return true;
  case onnx::AttributeProto::STRING:
    out.kind = Attribute::String;
    out.s = proto.s();
    return true;
  case onnx::AttributeProto::TENSOR:
    out.kind = Attribute::TensorValue;
    return convertTensor(proto.t(), out.t, error);
  default:
    out.kind = Attribute::Other;
    return true;
  }
}

static ValueInfo convertValueInfo(const onnx::ValueInfoProto &proto) {
  ValueInfo info;
  info.name = proto.name();
  if (!proto.type().has_tensor_type())
    return info;
  const auto &tensor = proto.type().tensor_type();
  info.type = convertType(tensor.elem_type());
  if (!tensor.has_shape())
    return info;
  info.hasShape = true;
  for (const auto &dim : tensor.shape().dim())
    info.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return info;
}

static bool loadProto(const std::string &path, onnx::ModelProto &model, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": cannot open file";
    return false;
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string bytes = buffer.str();
  if (bytes.empty()) {
    error = path + ": file is empty";
    return false;
  }
  bool text = path.size() > 9 && path.compare(path.size() - 9, 9, ".onnxtext") == 0;
  if (text) {
    auto status = onnx::OnnxParser::Parse(model, bytes.c_str());
    if (!status.IsOK()) {
      error = path + ": not valid ONNX text: " + status.ErrorMessage();
      return false;
    }
    return true;
  }
  if (!model.ParseFromString(bytes)) {
    error = path + ": not an ONNX model (protobuf parse failed; truncated or not ONNX)";
    return false;
  }
  if (!model.has_graph()) {
    error = path + ": not an ONNX model (no graph)";
    return false;
  }
  return true;
}

static std::string firstLine(const std::string &text) {
  return text.substr(0, text.find('\n'));
}

static bool convertGraph(const onnx::ModelProto &model, Graph &graph, std::string &error) {
  const onnx::GraphProto &g = model.graph();
  for (const auto &init : g.initializer()) {
    Tensor t;
    if (!convertTensor(init, t, error))
      return false;
    graph.initializers[t.name] = std::move(t);
  }
  for (const auto &input : g.input())
    if (!graph.initializers.count(input.name()))
      graph.inputs.push_back(convertValueInfo(input));
  for (const auto &output : g.output())
    graph.outputs.push_back(convertValueInfo(output));
  for (const auto *list : {&g.input(), &g.value_info(), &g.output()})
    for (const auto &info : *list)
      graph.valueInfos[info.name()] = convertValueInfo(info);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto &proto = g.node(i);
    Node node;
    node.name = proto.name().empty() ? proto.op_type() + "_" + std::to_string(i) : proto.name();
    node.opType = proto.op_type();
    node.domain = proto.domain();
    node.inputs.assign(proto.input().begin(), proto.input().end());
    node.outputs.assign(proto.output().begin(), proto.output().end());
    for (const auto &attr : proto.attribute())
      if (!convertAttribute(attr, node.attributes[attr.name()], error)) {
        error = "node '" + node.name + "': " + error;
        return false;
      }
    graph.nodes.push_back(std::move(node));
  }
  return true;
}

/// Replaces every node whose integer value can be computed now (Shape of a
/// known shape, and shape arithmetic on constants: see ShapeFolding.h) by a
/// Constant, so that the next inference pass sees through Reshape and Slice
/// bounds that ONNX 1.12's data propagation loses (torch's GroupNorm and
/// MultiheadAttention exports). `graph.nodes` mirrors the proto's nodes.
/// Returns whether anything changed.
static bool foldShapeArithmetic(onnx::ModelProto &model, const Graph &graph) {
  std::map<std::string, std::vector<int64_t>> shapes;
  auto record = [&](const onnx::ValueInfoProto &info) {
    if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
      return;
    std::vector<int64_t> dims;
    for (const auto &dim : info.type().tensor_type().shape().dim()) {
      if (!dim.has_dim_value())
        return;
      dims.push_back(dim.dim_value());
    }
    shapes[info.name()] = dims;
  };
  for (const auto *list : {&model.graph().input(), &model.graph().value_info(),
                           &model.graph().output()})
    for (const auto &info : *list)
      record(info);
  std::map<std::string, Tensor> known;
  auto constantOf = [&](const std::string &name) -> const Tensor * {
    if (auto it = known.find(name); it != known.end())
      return &it->second;
    auto it = graph.initializers.find(name);
    return it == graph.initializers.end() ? nullptr : &it->second;
  };
  auto shapeOf = [&](const std::string &name) -> std::optional<std::vector<int64_t>> {
    auto it = shapes.find(name);
    return it == shapes.end() ? std::nullopt : std::optional(it->second);
  };
  bool changed = false;
  auto &nodes = *model.mutable_graph()->mutable_node();
  for (size_t i = 0; i < graph.nodes.size() && i < static_cast<size_t>(nodes.size()); ++i) {
    onnx::NodeProto &node = nodes[static_cast<int>(i)];
    const Node &mirror = graph.nodes[i];
    // A node already replaced keeps its value under its Constant form.
    if (node.op_type() == "Constant" && mirror.opType != "Constant") {
      const auto &t = node.attribute(0).t();
      Tensor value;
      value.type = ElementType::Int64;
      value.dims.assign(t.dims().begin(), t.dims().end());
      value.ints.assign(t.int64_data().begin(), t.int64_data().end());
      known[node.output(0)] = value;
      continue;
    }
    std::optional<Tensor> folded = foldShapeNode(mirror, constantOf, shapeOf);
    if (!folded)
      continue;
    known[mirror.outputs[0]] = *folded;
    if (folded->type != ElementType::Int64 || node.op_type() == "Constant")
      continue; // float constants and weights stay as they are
    // The evaluator flattens shape vectors; the constant takes the shape ONNX
    // inferred for the output when there is one.
    std::vector<int64_t> dims = folded->dims;
    if (auto inferred = shapes.find(mirror.outputs[0]); inferred != shapes.end()) {
      int64_t count = 1;
      for (int64_t d : inferred->second)
        count *= d;
      if (count != static_cast<int64_t>(folded->ints.size()))
        continue;
      dims = inferred->second;
    }
    onnx::TensorProto value;
    value.set_data_type(onnx::TensorProto::INT64);
    for (int64_t d : dims)
      value.add_dims(d);
    for (int64_t v : folded->ints)
      value.add_int64_data(v);
    node.set_op_type("Constant");
    node.clear_input();
    node.clear_attribute();
    auto *attr = node.add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    *attr->mutable_t() = value;
    changed = true;
  }
  return changed;
}

/// Gives the named inputs their new shapes and forgets every other recorded
/// shape, so that inference derives them from the new inputs.
static bool overrideInputShapes(onnx::ModelProto &model, const InputShapes &shapes,
                                std::string &error) {
  if (shapes.empty())
    return true;
  auto *graph = model.mutable_graph();
  for (const auto &[name, dims] : shapes) {
    auto input = std::find_if(graph->mutable_input()->begin(), graph->mutable_input()->end(),
                              [&](const onnx::ValueInfoProto &v) { return v.name() == name; });
    if (input == graph->mutable_input()->end()) {
      error = "--input-shape: the model has no input '" + name + "'";
      return false;
    }
    auto *shape = input->mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() != (int)dims.size()) {
      error = "--input-shape: input '" + name + "' has rank " +
              std::to_string(shape->dim_size()) + ", not " + std::to_string(dims.size());
      return false;
    }
    for (size_t d = 0; d < dims.size(); ++d)
      shape->mutable_dim(d)->set_dim_value(dims[d]);
  }
  graph->clear_value_info();
  // Outputs keep their rank; their sizes become unknown, to be inferred.
  for (auto &output : *graph->mutable_output()) {
    auto *shape = output.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (int d = 0; d < shape->dim_size(); ++d)
      shape->mutable_dim(d)->set_dim_param(output.name() + "_" + std::to_string(d));
  }
  return true;
}

bool readModel(const std::string &path, Graph &graph, std::string &error,
               const std::function<bool(const Graph &, std::string &)> &validate,
               const InputShapes &inputShapes) {
  onnx::ModelProto model;
  try {
    if (!loadProto(path, model, error))
      return false;
    if (!overrideInputShapes(model, inputShapes, error))
      return false;
    for (const auto &opset : model.opset_import())
      if (opset.domain().empty() || opset.domain() == "ai.onnx")
        graph.opset = opset.version();
    if (graph.opset > 17) {
      error = path + ": opset " + std::to_string(graph.opset) +
              " is newer than the supported maximum 17";
      return false;
    }
    if (graph.opset == 0) {
      error = path + ": model imports no default-domain opset";
      return false;
    }
    // Unsupported ops are reported all at once, before ONNX's checker stops
    // at the first op it does not know.
    if (!convertGraph(model, graph, error)) {
      error = path + ": " + error;
      return false;
    }
    if (validate && !validate(graph, error)) {
      error = path + ": " + error;
      return false;
    }
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions options;
    options.enable_data_propagation = true; // shapes computed by Shape/Gather/Concat chains
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    for (int round = 0; round < 16 && foldShapeArithmetic(model, graph); ++round)
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    error = path + ": invalid model: " + firstLine(e.what());
    return false;
  }
  graph.valueInfos.clear();
  for (const auto *list : {&model.graph().input(), &model.graph().value_info(),
                           &model.graph().output()})
    for (const auto &info : *list)
      graph.valueInfos[info.name()] = convertValueInfo(info);
  return true;
}

} // namespace quilt::onnx_model
