//===- ModelValidation.cpp - what libonnx assumes of an untrusted model ----===//
//
// Two layers. validateModel checks the graph as written (declared dims, the
// bytes of every tensor).
// The guards check each node when ONNX's inference reaches it, with the
// shapes inferred so far: they wrap the inference and data-propagation
// functions of every schema in ONNX's registry once per process, and throw
// an UnsafeNode (not an onnx::InferenceError, which ONNX's inference would
// swallow and then run on) that the reader reports like any libonnx error.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/ModelValidation.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace quilt::onnx_model {

namespace {

/// Largest extent of one dim and number of elements of one tensor: far past
/// any model Quilt compiles, and small enough that no arithmetic on them
/// overflows or loops for long.
constexpr int64_t kMaxDim = int64_t(1) << 32;
constexpr int64_t kMaxElements = int64_t(1) << 40;

class UnsafeNode : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The nodes of the model being read, to name the node a guard refuses (the
/// inference context does not know its node). A copy: no pointer into a
/// model that may be gone.
struct NodeSummary {
  std::string name, opType;
  std::vector<std::string> inputs;
};
thread_local std::vector<NodeSummary> currentNodes;

/// The node of op `opType` that `ctx` is for: the only one of that op with
/// these constant inputs (initializer names); empty when ambiguous.
std::string nodeName(const std::string &opType, const onnx::InferenceContext &ctx) {
  std::vector<const NodeSummary *> candidates;
  for (const NodeSummary &node : currentNodes)
    if (node.opType == opType && node.inputs.size() == ctx.getNumInputs())
      candidates.push_back(&node);
  for (size_t i = 0; i < ctx.getNumInputs() && candidates.size() > 1; ++i) {
    const onnx::TensorProto *data = ctx.getInputData(i);
    if (!data || data->name().empty())
      continue;
    std::vector<const NodeSummary *> matching;
    for (const NodeSummary *node : candidates)
      if (node->inputs[i] == data->name())
        matching.push_back(node);
    if (!matching.empty())
      candidates = matching;
  }
  return candidates.size() == 1 ? candidates[0]->name : "";
}

[[noreturn]] void refuse(const std::string &opType, const onnx::InferenceContext &ctx,
                         const std::string &message) {
  std::string name = nodeName(opType, ctx);
  throw UnsafeNode((name.empty() ? opType : "node '" + name + "' (" + opType + ")") + ": " +
                   message);
}

/// The static shape of input `i`, or null (no input, no tensor type, no shape).
const onnx::TensorShapeProto *inputShape(const onnx::InferenceContext &ctx, size_t i) {
  if (i >= ctx.getNumInputs())
    return nullptr;
  const onnx::TypeProto *type = ctx.getInputType(i);
  if (!type || !type->has_tensor_type() || !type->tensor_type().has_shape())
    return nullptr;
  return &type->tensor_type().shape();
}

/// What is wrong with the dims ("a negative dim -3"); "" when they hold.
std::string checkDims(const onnx::TensorShapeProto &shape) {
  int64_t elements = 1;
  for (const auto &dim : shape.dim()) {
    if (!dim.has_dim_value())
      continue;
    int64_t d = dim.dim_value();
    if (d < 0)
      return "a negative dim " + std::to_string(d);
    if (d > kMaxDim)
      return "a dim " + std::to_string(d) + " larger than 2^32";
    if (d > 0 && elements > kMaxElements / d)
      return "more than 2^40 elements";
    elements *= d;
  }
  return "";
}

/// Conv, ConvTranspose and the pools: ONNX sizes its loops by the weights'
/// rank and divides by the strides without checking either.
void checkWindowOp(const std::string &opType, const onnx::InferenceContext &ctx) {
  const onnx::TensorShapeProto *x = inputShape(ctx, 0);
  if (!x)
    return;
  int64_t rank = x->dim_size();
  if (rank < 3)
    refuse(opType, ctx, "the input has rank " + std::to_string(rank) +
                            "; a window op needs batch, channels and at least one spatial dim");
  bool hasWeights = opType == "Conv" || opType == "ConvTranspose";
  if (hasWeights) {
    const onnx::TensorShapeProto *w = inputShape(ctx, 1);
    if (w && w->dim_size() != rank)
      refuse(opType, ctx, "the weights have rank " + std::to_string(w->dim_size()) +
                              " but the input has rank " + std::to_string(rank));
  }
  size_t spatial = static_cast<size_t>(rank - 2);
  // Lengths ONNX's inference indexes by without checking (0: any length).
  struct Rule {
    const char *name;
    size_t length;
    int64_t minimum;
  };
  const Rule rules[] = {{"strides", spatial, 1},        {"dilations", spatial, 1},
                        {"kernel_shape", spatial, 1},   {"pads", 2 * spatial, 0},
                        {"output_padding", spatial, 0}, {"output_shape", 0, 0}};
  for (const Rule &rule : rules) {
    const onnx::AttributeProto *attr = ctx.getAttribute(rule.name);
    if (!attr)
      continue;
    if (rule.length && static_cast<size_t>(attr->ints_size()) != rule.length)
      refuse(opType, ctx, std::string(rule.name) + " has " + std::to_string(attr->ints_size()) +
                              " values for " + std::to_string(spatial) + " spatial dims");
    for (int64_t v : attr->ints())
      if (v < rule.minimum || v > kMaxDim)
        refuse(opType, ctx, std::string(rule.name) + " value " + std::to_string(v) +
                                " is out of range");
  }
  if (const onnx::AttributeProto *group = ctx.getAttribute("group"))
    if (group->i() < 1 || group->i() > kMaxDim)
      refuse(opType, ctx, "group " + std::to_string(group->i()) + " is not positive");
}

/// What every node's inference may assume: its inputs are tensors (the
/// functions read tensor_type() of a value typed as nothing, or as a
/// sequence), and their shapes are sane.
void checkInputs(const std::string &opType, const onnx::InferenceContext &ctx) {
  for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
    const onnx::TypeProto *type = ctx.getInputType(i);
    if (!type || type->has_tensor_type())
      continue;
    const char *kind = type->has_sequence_type()        ? "a sequence"
                       : type->has_optional_type()      ? "an optional"
                       : type->has_map_type()           ? "a map"
                       : type->has_sparse_tensor_type() ? "a sparse tensor"
                                                        : "of no type";
    refuse(opType, ctx, "input " + std::to_string(i) + " is " + kind + ", not a tensor");
  }
  for (size_t i = 0; i < ctx.getNumInputs(); ++i)
    if (const onnx::TensorShapeProto *shape = inputShape(ctx, i)) {
      std::string problem = checkDims(*shape);
      if (!problem.empty())
        refuse(opType, ctx, "input " + std::to_string(i) + " has " + problem);
    }
}

/// What a node's inference produced, before the nodes after it rely on it.
void checkOutputs(const std::string &opType, onnx::InferenceContext &ctx) {
  for (size_t i = 0; i < ctx.getNumOutputs(); ++i) {
    onnx::TypeProto *type = ctx.getOutputType(i);
    if (!type || !type->has_tensor_type() || !type->tensor_type().has_shape())
      continue;
    std::string problem = checkDims(type->tensor_type().shape());
    if (!problem.empty())
      refuse(opType, ctx, "output " + std::to_string(i) + " would have " + problem +
                              " (its window or shape does not fit the input)");
  }
}

/// Gemm (opset 6) reads both operands' dims 0 and 1 without checking that
/// they are matrices.
void checkGemm(const std::string &opType, const onnx::InferenceContext &ctx) {
  if (opType != "Gemm")
    return;
  for (size_t i = 0; i < 2; ++i)
    if (const onnx::TensorShapeProto *shape = inputShape(ctx, i))
      if (shape->dim_size() != 2)
        refuse(opType, ctx, "input " + std::to_string(i) + " has rank " +
                                std::to_string(shape->dim_size()) + ", not 2");
}

/// Einsum (ONNX 1.12) counts an implicit equation's letters in a table of
/// the 26 lowercase ones: an uppercase letter indexes before it (a heap
/// corruption) and is left out of the output's rank.
void checkEinsum(const std::string &opType, const onnx::InferenceContext &ctx) {
  if (opType != "Einsum")
    return;
  const onnx::AttributeProto *equation = ctx.getAttribute("equation");
  if (!equation || equation->s().find("->") != std::string::npos)
    return;
  for (char c : equation->s())
    if (c >= 'A' && c <= 'Z')
      refuse(opType, ctx, "equation '" + equation->s() +
                              "' has uppercase letters and no output ('->'), which ONNX's "
                              "shape inference misreads; write the output");
}

/// Inputs that hold a shape, pads or axes: ONNX's inference makes a tensor
/// of as many dims as they have values, even when it does not know the
/// values (a ConstantOfShape of a 2^31-value shape built 2^31 unknown dims).
void checkShapeInputs(const std::string &opType, const onnx::InferenceContext &ctx) {
  constexpr int64_t kMaxRank = 64;
  static const std::pair<const char *, size_t> shapeInputs[] = {
      {"ConstantOfShape", 0}, {"Expand", 1}, {"Reshape", 1},   {"Tile", 1},      {"Upsample", 1},
      {"Resize", 2},          {"Resize", 3}, {"Pad", 1},       {"Unsqueeze", 1}, {"Squeeze", 1},
      {"Slice", 1},           {"Slice", 2},  {"Slice", 3},     {"Slice", 4},     {"ReduceSum", 1}};
  for (const auto &[op, index] : shapeInputs) {
    if (opType != op)
      continue;
    const onnx::TensorShapeProto *shape = inputShape(ctx, index);
    if (shape && shape->dim_size() == 1 && shape->dim(0).has_dim_value() &&
        shape->dim(0).dim_value() > kMaxRank)
      refuse(opType, ctx, "input " + std::to_string(index) + " holds " +
                              std::to_string(shape->dim(0).dim_value()) +
                              " dims or axes; Quilt compiles tensors of at most 64 dims");
  }
}

/// Axis attributes: ONNX's inference of some ops indexes the input's dims by
/// `axis` unchecked (LayerNormalization on a scalar reads dim -1). Every op
/// gets the loosest bound any op allows ([-r-1, r], OneHot's); the ops that
/// index dims by it get [-r, r).
void checkAxis(const std::string &opType, const onnx::InferenceContext &ctx) {
  const onnx::TensorShapeProto *x = inputShape(ctx, 0);
  if (!x)
    return;
  // The ops that index dims by the axis, with the axis they default to.
  static const std::pair<const char *, int64_t> indexing[] = {
      {"LayerNormalization", -1}, {"Concat", 0}, {"Split", 0},  {"Gather", 0},
      {"GatherElements", 0},      {"ArgMax", 0}, {"ArgMin", 0}, {"DFT", 1}};
  auto strict = std::find_if(std::begin(indexing), std::end(indexing),
                             [&](const auto &entry) { return opType == entry.first; });
  const onnx::AttributeProto *axis = ctx.getAttribute("axis");
  if (axis && axis->type() != onnx::AttributeProto::INT)
    return;
  if (!axis && strict == std::end(indexing))
    return;
  int64_t rank = x->dim_size(), a = axis ? axis->i() : strict->second;
  if (strict != std::end(indexing) ? (a < -rank || a >= rank) : (a < -rank - 1 || a > rank))
    refuse(opType, ctx, "axis " + std::to_string(a) + " is out of range for rank " +
                            std::to_string(rank));
}

/// Integer attributes: ONNX's inference multiplies and divides by them
/// (DepthToSpace divides the channels by blocksize squared, which a
/// blocksize of 2^40 makes zero). One int beyond 2^32 is no size, axis or
/// count of any model; Constant's value_int is data, not a parameter.
void checkIntAttributes(const std::string &opType, const onnx::InferenceContext &ctx) {
  if (opType == "Constant")
    return;
  for (const char *name : {"blocksize", "group", "axis", "batch_dims", "k", "num_outputs",
                           "keepdims", "to", "upper", "exclusive", "reverse", "ceil_mode",
                           "count_include_pad", "p", "storage_order", "allowzero", "start",
                           "end", "onesided", "inverse", "select_last_index", "stash_type"}) {
    const onnx::AttributeProto *attr = ctx.getAttribute(name);
    if (attr && attr->type() == onnx::AttributeProto::INT &&
        (attr->i() > kMaxDim || attr->i() < -kMaxDim))
      refuse(opType, ctx, std::string("attribute '") + name + "' value " +
                              std::to_string(attr->i()) + " is out of range");
  }
  if (opType == "DepthToSpace" || opType == "SpaceToDepth")
    if (const onnx::AttributeProto *blocksize = ctx.getAttribute("blocksize"))
      if (blocksize->i() < 1 || blocksize->i() > (int64_t(1) << 16))
        refuse(opType, ctx, "blocksize " + std::to_string(blocksize->i()) + " is out of range");
}

/// Whether ONNX's data propagation (shape values computed through Shape,
/// Add, Mul, Slice, ...) may run: Shape's reads its input's type unchecked,
/// the arithmetic broadcasts a shorter operand by reading its dim 0
/// unchecked. Where it may not, the values stay unknown, as they would for
/// any computed tensor.
bool mayPropagate(const std::string &opType, onnx::DataPropagationContext &ctx) {
  if (ctx.getNumInputs() == 0 || !ctx.getInputType(0) || !ctx.getInputType(0)->has_tensor_type())
    return false;
  if (opType == "Add" || opType == "Sub" || opType == "Mul" || opType == "Div") {
    if (ctx.getNumInputs() < 2)
      return false;
    const onnx::TensorShapeProto *a = ctx.getInputData(0), *b = ctx.getInputData(1);
    if (!a || !b)
      return true;
    if (a->dim_size() != b->dim_size() && std::min(a->dim_size(), b->dim_size()) != 1)
      return false;
    if (opType == "Div")
      for (const auto &dim : b->dim())
        if (dim.has_dim_value() && (dim.dim_value() == 0 || dim.dim_value() == -1))
          return false;
    return true;
  }
  if (opType == "Slice")
    for (size_t i = 1; i < ctx.getNumInputs() && i < 5; ++i)
      if (const onnx::TensorShapeProto *values = ctx.getInputData(i))
        for (const auto &dim : values->dim())
          if (!dim.has_dim_value() || (i == 4 && dim.dim_value() == 0))
            return false;
  return true;
}

bool isWindowOp(const std::string &opType) {
  return opType == "Conv" || opType == "ConvTranspose" || opType == "MaxPool" ||
         opType == "AveragePool" || opType == "LpPool";
}

/// Wraps the inference functions of every default-domain schema, once.
void armGuards() {
  static std::once_flag armed;
  std::call_once(armed, [] {
    for (const onnx::OpSchema &copy : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
      if (!copy.domain().empty())
        continue;
      // The registry's own entry: schemas are stored mutable and handed out const.
      auto *schema = const_cast<onnx::OpSchema *>(
          onnx::OpSchemaRegistry::Schema(copy.Name(), copy.SinceVersion(), copy.domain()));
      if (!schema || schema->SinceVersion() != copy.SinceVersion())
        continue;
      std::string opType = schema->Name();
      bool window = isWindowOp(opType);
      if (schema->has_type_and_shape_inference_function()) {
        onnx::InferenceFunction original = schema->GetTypeAndShapeInferenceFunction();
        schema->TypeAndShapeInferenceFunction([original, opType, window](onnx::InferenceContext &ctx) {
          checkInputs(opType, ctx);
          checkIntAttributes(opType, ctx);
          checkAxis(opType, ctx);
          checkGemm(opType, ctx);
          checkEinsum(opType, ctx);
          checkShapeInputs(opType, ctx);
          if (window)
            checkWindowOp(opType, ctx);
          original(ctx);
          checkOutputs(opType, ctx);
        });
      }
      if (schema->has_data_propagation_function()) {
        onnx::DataPropagationFunction original = schema->GetDataPropagationFunction();
        schema->PartialDataPropagationFunction([original, opType](onnx::DataPropagationContext &ctx) {
          if (mayPropagate(opType, ctx))
            original(ctx);
        });
      }
    }
  });
}

/// Declared shapes of inputs, outputs and value_info.
bool checkDeclaredShapes(const onnx::GraphProto &graph, std::string &error) {
  for (const auto *list : {&graph.input(), &graph.output(), &graph.value_info()})
    for (const onnx::ValueInfoProto &info : *list) {
      if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
        continue;
      std::string problem = checkDims(info.type().tensor_type().shape());
      if (!problem.empty()) {
        error = "value '" + info.name() + "' has " + problem;
        return false;
      }
    }
  return true;
}

/// Bytes per element of the types a tensor can hold as raw bytes; 0 for
/// strings and for numbers that are no type.
size_t elementBytes(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::COMPLEX64:
    return 8;
  case onnx::TensorProto::COMPLEX128:
    return 16;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

/// ONNX's ParseData copies all of raw_data into a vector sized by whole
/// elements: raw bytes must be exactly the elements the dims announce.
bool checkTensor(const onnx::TensorProto &tensor, const std::string &where, std::string &error) {
  int64_t elements = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && elements > kMaxElements / d)) {
      error = where + ": dims are negative or hold more than 2^40 elements";
      return false;
    }
    elements *= d;
  }
  if (!tensor.has_raw_data())
    return true;
  size_t bytes = elementBytes(tensor.data_type());
  if (bytes == 0) {
    error = where + ": raw data for element type " + std::to_string(tensor.data_type());
    return false;
  }
  if (tensor.raw_data().size() != static_cast<size_t>(elements) * bytes) {
    error = where + ": " + std::to_string(tensor.raw_data().size()) + " raw bytes for " +
            std::to_string(elements) + " elements of " + std::to_string(bytes) + " bytes";
    return false;
  }
  return true;
}

/// Initializers and the tensors of node attributes (Constant's value).
bool checkTensors(const onnx::GraphProto &graph, std::string &error) {
  for (const onnx::TensorProto &tensor : graph.initializer())
    if (!checkTensor(tensor, "initializer '" + tensor.name() + "'", error))
      return false;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      std::string where = "node '" +
                          (node.name().empty() ? node.op_type() + "_" + std::to_string(i)
                                               : node.name()) +
                          "' (" + node.op_type() + "): attribute '" + attr.name() + "'";
      if (attr.has_t() && !checkTensor(attr.t(), where, error))
        return false;
      for (const onnx::TensorProto &tensor : attr.tensors())
        if (!checkTensor(tensor, where, error))
          return false;
    }
  }
  return true;
}

} // namespace

bool validateModel(const onnx::ModelProto &model, std::string &error) {
  armGuards();
  const onnx::GraphProto &graph = model.graph();
  if (!checkDeclaredShapes(graph, error) || !checkTensors(graph, error))
    return false;
  currentNodes.clear();
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    currentNodes.push_back({node.name().empty() ? node.op_type() + "_" + std::to_string(i)
                                                : node.name(),
                            node.op_type(),
                            {node.input().begin(), node.input().end()}});
  }
  return true;
}

} // namespace quilt::onnx_model
