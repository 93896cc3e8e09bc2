//===- OnnxReader.cpp - parse, check and shape-infer an ONNX file ----------===//
//
// The only file that touches libonnx and protobuf; it is compiled with
// exceptions because libonnx reports problems by throwing.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/OnnxModel.h"
#include "quilt/Import/ConstantEvaluator.h"
#include "quilt/Import/ModelValidation.h"
#include "quilt/Import/ShapeInference.h"
#include "quilt/dtypes.h"

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

/// The element types and their ONNX TensorProto types.
static const std::pair<ElementType, int32_t> kOnnxTypes[] = {
    {ElementType::Float, onnx::TensorProto::FLOAT},     {ElementType::Int64, onnx::TensorProto::INT64},
    {ElementType::Int32, onnx::TensorProto::INT32},     {ElementType::Double, onnx::TensorProto::DOUBLE},
    {ElementType::Bool, onnx::TensorProto::BOOL},       {ElementType::UInt8, onnx::TensorProto::UINT8},
    {ElementType::Int8, onnx::TensorProto::INT8},       {ElementType::UInt16, onnx::TensorProto::UINT16},
    {ElementType::Int16, onnx::TensorProto::INT16},     {ElementType::UInt32, onnx::TensorProto::UINT32},
    {ElementType::UInt64, onnx::TensorProto::UINT64},   {ElementType::Float16, onnx::TensorProto::FLOAT16}};

/// The dtypes of quilt/dtypes.h, one per element type but Other.
static const std::pair<ElementType, NpyDtype> kEdgeDtypes[] = {
    {ElementType::Float, NpyDtype::Float32},  {ElementType::Int64, NpyDtype::Int64},
    {ElementType::Int32, NpyDtype::Int32},    {ElementType::Double, NpyDtype::Float64},
    {ElementType::Bool, NpyDtype::Bool},      {ElementType::UInt8, NpyDtype::UInt8},
    {ElementType::Int8, NpyDtype::Int8},      {ElementType::UInt16, NpyDtype::UInt16},
    {ElementType::Int16, NpyDtype::Int16},    {ElementType::UInt32, NpyDtype::UInt32},
    {ElementType::UInt64, NpyDtype::UInt64},  {ElementType::Float16, NpyDtype::Float16}};

const char *elementTypeName(ElementType type) {
  for (const auto &[t, dtype] : kEdgeDtypes)
    if (t == type)
      return dtypeName(dtype);
  return "an unsupported element type";
}

static ElementType convertType(int32_t type) {
  for (const auto &[t, onnxType] : kOnnxTypes)
    if (onnxType == type)
      return t;
  return ElementType::Other;
}

static int32_t onnxTypeOf(ElementType type) {
  for (const auto &[t, onnxType] : kOnnxTypes)
    if (t == type)
      return onnxType;
  return onnx::TensorProto::UNDEFINED;
}

template <typename T> static std::vector<T> rawValues(const std::string &raw) {
  std::vector<T> values(raw.size() / sizeof(T));
  // memcpy from or to the null data of an empty vector is undefined, even for 0 bytes.
  if (!values.empty())
    std::memcpy(values.data(), raw.data(), values.size() * sizeof(T));
  return values;
}

/// bfloat16 bit patterns to float (float16: quilt/dtypes.h).
static float bfloat16ToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// float16 and bfloat16 tensors widen to float32 (exactly).
static bool widenHalf(const onnx::TensorProto &proto, Tensor &out) {
  bool bf16 = proto.data_type() == onnx::TensorProto::BFLOAT16;
  std::vector<uint16_t> bits;
  if (proto.has_raw_data())
    bits = rawValues<uint16_t>(proto.raw_data());
  else
    bits.assign(proto.int32_data().begin(), proto.int32_data().end());
  out.type = ElementType::Float;
  out.widenedFrom = bf16 ? "bfloat16" : "float16";
  for (uint16_t b : bits)
    out.floats.push_back(bf16 ? bfloat16ToFloat(b) : quilt::halfToFloat(b));
  return true;
}

/// The values of an integer tensor of element type T: its raw bytes, or
/// `field` (int32_data or uint64_data, where ONNX keeps them).
template <typename T, typename Field>
static std::vector<int64_t> integerValues(const onnx::TensorProto &proto, const Field &field) {
  std::vector<int64_t> out;
  if (proto.has_raw_data()) {
    std::vector<T> v = rawValues<T>(proto.raw_data());
    out.assign(v.begin(), v.end());
  } else {
    for (auto x : field)
      out.push_back(static_cast<int64_t>(static_cast<T>(x)));
  }
  return out;
}

static bool convertTensor(const onnx::TensorProto &proto, Tensor &out, std::string &error) {
  out.name = proto.name();
  out.type = convertType(proto.data_type());
  if (proto.data_type() == onnx::TensorProto::FLOAT16 ||
      proto.data_type() == onnx::TensorProto::BFLOAT16)
    widenHalf(proto, out);
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
    if (!out.widenedFrom.empty())
      break;
    out.floats = raw ? rawValues<float>(proto.raw_data())
                     : std::vector<float>(proto.float_data().begin(), proto.float_data().end());
    break;
  case ElementType::Double: {
    auto d = raw ? rawValues<double>(proto.raw_data())
                 : std::vector<double>(proto.double_data().begin(), proto.double_data().end());
    out.floats.assign(d.begin(), d.end());
    out.doubles = std::move(d);
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
  // ONNX keeps 8- and 16-bit integers in int32_data, uint32 and uint64 in uint64_data.
  case ElementType::UInt8:
    out.ints = integerValues<uint8_t>(proto, proto.int32_data());
    break;
  case ElementType::Int8:
    out.ints = integerValues<int8_t>(proto, proto.int32_data());
    break;
  case ElementType::UInt16:
    out.ints = integerValues<uint16_t>(proto, proto.int32_data());
    break;
  case ElementType::Int16:
    out.ints = integerValues<int16_t>(proto, proto.int32_data());
    break;
  case ElementType::UInt32:
    out.ints = integerValues<uint32_t>(proto, proto.uint64_data());
    break;
  case ElementType::UInt64:
    out.ints = integerValues<uint64_t>(proto, proto.uint64_data());
    for (int64_t v : out.ints)
      if (v < 0) {
        error = "tensor '" + proto.name() + "' holds the uint64 value " +
                std::to_string(static_cast<uint64_t>(v)) + ", 2^63 or more, which Quilt cannot hold";
        return false;
      }
    break;
  case ElementType::Float16: // widened to Float above
  case ElementType::Other:
    error = "tensor '" + proto.name() + "' has an unsupported element type";
    return false;
  }
  size_t have = isFloatType(out.type) ? out.floats.size() : out.ints.size();
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

static bool convertNode(const onnx::NodeProto &proto, int index, Node &node, std::string &error) {
  node.name = proto.name().empty() ? proto.op_type() + "_" + std::to_string(index) : proto.name();
  node.opType = proto.op_type();
  node.domain = proto.domain();
  node.inputs.assign(proto.input().begin(), proto.input().end());
  node.outputs.assign(proto.output().begin(), proto.output().end());
  for (const auto &attr : proto.attribute())
    if (!convertAttribute(attr, node.attributes[attr.name()], error)) {
      error = "node '" + node.name + "': " + error;
      return false;
    }
  return true;
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
    Node node;
    if (!convertNode(g.node(i), i, node, error))
      return false;
    graph.nodes.push_back(std::move(node));
  }
  return true;
}

static onnx::TensorProto toProto(const Tensor &t, const std::string &name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  for (int64_t d : t.dims)
    proto.add_dims(d);
  switch (t.type) {
  case ElementType::Float:
    proto.set_data_type(onnx::TensorProto::FLOAT);
    proto.mutable_float_data()->Add(t.floats.begin(), t.floats.end());
    break;
  case ElementType::Double:
    proto.set_data_type(onnx::TensorProto::DOUBLE);
    if (t.doubles.size() == t.floats.size())
      proto.mutable_double_data()->Add(t.doubles.begin(), t.doubles.end());
    else
      proto.mutable_double_data()->Add(t.floats.begin(), t.floats.end());
    break;
  case ElementType::Int64:
    proto.set_data_type(onnx::TensorProto::INT64);
    proto.mutable_int64_data()->Add(t.ints.begin(), t.ints.end());
    break;
  case ElementType::Int32:
  case ElementType::Bool:
  case ElementType::UInt8:
  case ElementType::Int8:
  case ElementType::UInt16:
  case ElementType::Int16:
    proto.set_data_type(onnxTypeOf(t.type));
    for (int64_t v : t.ints)
      proto.add_int32_data(static_cast<int32_t>(v));
    break;
  case ElementType::UInt32:
  case ElementType::UInt64:
    proto.set_data_type(onnxTypeOf(t.type));
    for (int64_t v : t.ints)
      proto.add_uint64_data(static_cast<uint64_t>(v));
    break;
  case ElementType::Float16:
    proto.set_data_type(onnx::TensorProto::FLOAT16);
    for (float v : t.floats)
      proto.add_int32_data(quilt::floatToHalf(v));
    break;
  case ElementType::Other:
    break;
  }
  return proto;
}

/// The static shapes ONNX's inference has recorded, by value name.
static std::map<std::string, StaticShape> knownShapes(const onnx::ModelProto &model) {
  std::map<std::string, StaticShape> shapes;
  for (const auto *list : {&model.graph().input(), &model.graph().value_info(),
                           &model.graph().output()})
    for (const auto &proto : *list) {
      ValueInfo info = convertValueInfo(proto);
      if (info.hasShape && std::none_of(info.dims.begin(), info.dims.end(),
                                        [](int64_t d) { return d < 0; }))
        shapes[info.name] = info.dims;
    }
  return shapes;
}

/// Replaces every node whose value can be computed now (ConstantEvaluator.h:
/// Shape of a known shape, any covered op on constants) by one Constant per
/// output, so that the next inference round sees through the Reshape
/// targets, Slice bounds and masks exporters compute at run time. Returns
/// whether anything changed.
static bool foldConstants(onnx::ModelProto &model, int64_t opset, std::string &error,
                          bool &failed) {
  std::map<std::string, StaticShape> shapes = knownShapes(model);
  std::map<std::string, const onnx::TensorProto *> initializers;
  for (const auto &init : model.graph().initializer())
    initializers[init.name()] = &init;
  std::map<std::string, Tensor> known;
  auto constantOf = [&](const std::string &name) -> const Tensor * {
    if (auto it = known.find(name); it != known.end())
      return &it->second;
    auto it = initializers.find(name);
    if (it == initializers.end())
      return nullptr;
    Tensor t;
    std::string ignored;
    if (!convertTensor(*it->second, t, ignored))
      return nullptr;
    return &(known[name] = std::move(t));
  };
  auto shapeOf = [&](const std::string &name) -> std::optional<StaticShape> {
    auto it = shapes.find(name);
    return it == shapes.end() ? std::nullopt : std::optional(it->second);
  };
  bool changed = false;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> rebuilt;
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto &proto = model.graph().node(i);
    Node node;
    if (!convertNode(proto, i, node, error)) {
      failed = true;
      return false;
    }
    std::optional<std::vector<Tensor>> values = evaluateNode(node, opset, constantOf, shapeOf);
    if (!values || node.opType == "Constant") {
      if (values)
        known[node.outputs[0]] = std::move((*values)[0]);
      *rebuilt.Add() = proto;
      continue;
    }
    for (size_t k = 0; k < values->size(); ++k) {
      onnx::NodeProto *constant = rebuilt.Add();
      constant->set_name(values->size() == 1 ? node.name : node.name + "_" + std::to_string(k));
      constant->set_op_type("Constant");
      constant->add_output(node.outputs[k]);
      auto *attr = constant->add_attribute();
      attr->set_name("value");
      attr->set_type(onnx::AttributeProto::TENSOR);
      *attr->mutable_t() = toProto((*values)[k], node.outputs[k]);
      known[node.outputs[k]] = std::move((*values)[k]);
    }
    changed = true;
  }
  model.mutable_graph()->mutable_node()->Swap(&rebuilt);
  return changed;
}

/// Records the shapes Quilt infers where ONNX's inference left them unknown
/// (ShapeInference.h). Returns whether any was added.
static bool completeShapes(onnx::ModelProto &model, std::string &error, bool &failed) {
  std::map<std::string, StaticShape> shapes = knownShapes(model);
  for (const auto &init : model.graph().initializer())
    shapes[init.name()] = StaticShape(init.dims().begin(), init.dims().end());
  std::map<std::string, onnx::ValueInfoProto *> infos;
  auto *graph = model.mutable_graph();
  for (auto *list : {graph->mutable_value_info(), graph->mutable_output()})
    for (auto &info : *list)
      infos[info.name()] = &info;
  bool changed = false;
  for (int i = 0; i < graph->node_size(); ++i) {
    Node node;
    if (!convertNode(graph->node(i), i, node, error)) {
      failed = true;
      return false;
    }
    std::vector<std::optional<StaticShape>> inputs;
    for (const std::string &name : node.inputs)
      inputs.push_back(shapes.count(name) ? std::optional(shapes[name]) : std::nullopt);
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty() || shapes.count(node.outputs[k]))
        continue;
      std::optional<StaticShape> shape = inferOutputShape(node, k, inputs);
      if (!shape)
        continue;
      onnx::ValueInfoProto *info = infos[node.outputs[k]];
      if (!info) {
        info = graph->add_value_info();
        info->set_name(node.outputs[k]);
        infos[node.outputs[k]] = info;
      }
      auto *tensor = info->mutable_type()->mutable_tensor_type();
      if (!tensor->has_elem_type() || tensor->elem_type() == 0)
        continue; // ONNX knows not even the dtype: leave it to report
      auto *dims = tensor->mutable_shape();
      dims->clear_dim();
      for (int64_t d : *shape)
        dims->add_dim()->set_dim_value(d);
      shapes[node.outputs[k]] = *shape;
      changed = true;
    }
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
    if (graph.opset > kNewestOpset) {
      error = path + ": opset " + std::to_string(graph.opset) +
              " is newer than the supported maximum " + std::to_string(kNewestOpset);
      return false;
    }
    if (graph.opset == 0) {
      // Name what it does import, and its first node: a training-domain model
      // (Adagrad, Adam) is the usual case.
      error = path + ": model imports no default-domain (ai.onnx) opset";
      std::string domains;
      for (const auto &opset : model.opset_import())
        domains += (domains.empty() ? "" : ", ") + ("'" + opset.domain() + "' " +
                                                     std::to_string(opset.version()));
      if (!domains.empty())
        error += ", only " + domains;
      if (model.graph().node_size() > 0) {
        const onnx::NodeProto &node = model.graph().node(0);
        error += "; node '" + node.name() + "' is " + node.op_type() +
                 (node.domain().empty() ? "" : " of domain '" + node.domain() + "'");
      }
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
    // What libonnx assumes but never checks (it would crash instead).
    if (!validateModel(model, error)) {
      error = path + ": " + error;
      return false;
    }
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions options;
    options.enable_data_propagation = true; // shapes computed by Shape/Gather/Concat chains
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    // Fold, let ONNX infer what folding revealed, and fill in the shapes it
    // still leaves unknown, until nothing changes (each round settles at
    // least one more node; real exports need two or three).
    bool failed = false;
    for (int round = 0; round < 64; ++round) {
      bool folded = foldConstants(model, graph.opset, error, failed);
      bool completed = !failed && completeShapes(model, error, failed);
      if (failed) {
        error = path + ": " + error;
        return false;
      }
      if (!folded && !completed)
        break;
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options);
    }
  } catch (const std::exception &e) {
    error = path + ": invalid model: " + firstLine(e.what());
    return false;
  }
  // The importer sees the folded graph: computed constants are Constant nodes.
  int64_t opset = graph.opset;
  graph = Graph();
  graph.opset = opset;
  if (!convertGraph(model, graph, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

} // namespace quilt::onnx_model
