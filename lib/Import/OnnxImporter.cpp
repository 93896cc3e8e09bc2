//===- OnnxImporter.cpp - ONNX graph to quilt dialect ----------------------===//
//
// Nodes become quilt ops over global tensors, in graph order. Shape-only
// subgraphs (Shape/Gather/Unsqueeze/Concat/Constant feeding a Reshape, as
// torch exports them) are evaluated here and never reach the IR.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/OnnxImporter.h"
#include "quilt/Import/OnnxModel.h"
#include "quilt/Import/ShapeFolding.h"

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSwitch.h"
#include "mlir/IR/Verifier.h"

#include <cctype>
#include <cmath>
#include <map>
#include <functional>
#include <numeric>
#include <optional>
#include <set>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;

namespace {

class Importer;
using Handler = LogicalResult (Importer::*)(const Node &);

/// The ONNX ops Quilt compiles, each with the opsets it understands.
const std::map<std::string, Handler> &handlers();
/// Ops evaluated at import time when all their inputs are constants.


class Importer {
public:
  Importer(MLIRContext *ctx, const Graph &graph, const std::string &file)
      : ctx(ctx), b(ctx), graph(graph), file(file) {}

  OwningOpRef<ModuleOp> run(std::string &error);

  LogicalResult importConv(const Node &node);
  LogicalResult importConvTranspose(const Node &node);
  /// What Conv and ConvTranspose share: input, weights (rank 3 to 5, kernel
  /// from the weights), optional bias, the output type.
  struct ConvOperands {
    Value x, w, bias;
    RankedTensorType type, inType;
    size_t spatial = 0;
    std::vector<int64_t> kernel;
  };
  FailureOr<ConvOperands> convOperands(const Node &node);
  LogicalResult importSlice(const Node &node);
  LogicalResult importCast(const Node &node);
  LogicalResult importExpand(const Node &node);
  LogicalResult importWhere(const Node &node);
  LogicalResult importCompare(const Node &node);
  LogicalResult importLogic(const Node &node);
  LogicalResult importGather(const Node &node);
  LogicalResult importEinsum(const Node &node);
  LogicalResult importSplit(const Node &node);
  LogicalResult importResize(const Node &node);
  LogicalResult importUnary(const Node &node);
  LogicalResult importBinary(const Node &node);
  LogicalResult importClip(const Node &node);
  LogicalResult importSoftmax(const Node &node);
  LogicalResult importTranspose(const Node &node);
  LogicalResult importPad(const Node &node);
  LogicalResult importPool(const Node &node);
  LogicalResult importGlobalAveragePool(const Node &node);
  LogicalResult importReduce(const Node &node);
  LogicalResult importDft(const Node &node);
  LogicalResult importBatchNorm(const Node &node);
  LogicalResult importInstanceNorm(const Node &node);
  LogicalResult importLayerNorm(const Node &node);
  LogicalResult importGemm(const Node &node);
  LogicalResult importMatMul(const Node &node);
  LogicalResult importReshape(const Node &node);
  LogicalResult importConcat(const Node &node);
  LogicalResult importIdentity(const Node &node);
  LogicalResult importConstant(const Node &node);

private:
  LogicalResult fail(const Node &node, const Twine &message);
  Location locOf(const Node &node);
  /// The static float32 type of output `index`; a bool output (`boolAsMask`)
  /// becomes a float mask of 0 and 1.
  FailureOr<RankedTensorType> outputType(const Node &node, size_t index = 0,
                                         bool boolAsMask = false);
  /// A float constant of `rank` dims of extent 1 holding `value`.
  Value scalar(float value, int64_t rank, Location loc);
  FailureOr<Value> input(const Node &node, size_t index);
  Value materialize(const Tensor &tensor, Location loc);
  Value reshapeTo(Value value, ArrayRef<int64_t> shape, Location loc);
  Value broadcastRank(Value value, int64_t rank, Location loc);
  const Tensor *constantInput(const Node &node, size_t index);
  bool tryFold(const Node &node);
  int64_t intAttr(const Node &node, const std::string &name, int64_t dflt);
  float floatAttr(const Node &node, const std::string &name, float dflt);
  std::vector<int64_t> intsAttr(const Node &node, const std::string &name,
                                std::vector<int64_t> dflt);
  std::string stringAttr(const Node &node, const std::string &name, const std::string &dflt);
  FailureOr<std::vector<int64_t>> resolvePads(const Node &node, RankedTensorType in,
                                              ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                              ArrayRef<int64_t> dilations);

  MLIRContext *ctx;
  OpBuilder b;
  const Graph &graph;
  std::string file;
  std::map<std::string, Value> values;
  std::map<std::string, Tensor> constants;
  std::string error;
};

LogicalResult Importer::fail(const Node &node, const Twine &message) {
  if (error.empty())
    error = (file + ": node '" + node.name + "' (" + node.opType + "): " + message).str();
  return failure();
}

Location Importer::locOf(const Node &node) {
  return NameLoc::get(StringAttr::get(ctx, node.name),
                      FileLineColLoc::get(ctx, file, 0, 0));
}

FailureOr<RankedTensorType> Importer::outputType(const Node &node, size_t index,
                                                 bool boolAsMask) {
  auto it = graph.valueInfos.find(node.outputs[index]);
  if (it == graph.valueInfos.end() || !it->second.hasShape)
    return fail(node, "ONNX shape inference could not determine the shape of '" +
                          node.outputs[index] + "'");
  const ValueInfo &info = it->second;
  for (int64_t d : info.dims)
    if (d < 0)
      return fail(node, "output '" + node.outputs[index] + "' has a dynamic shape; Quilt needs "
                        "static shapes (export with fixed input sizes)");
  if (info.type != ElementType::Float && !(boolAsMask && info.type == ElementType::Bool))
    return fail(node, "output '" + node.outputs[index] + "' is " +
                          elementTypeName(info.type) + "; only float32 tensors are supported");
  return RankedTensorType::get(info.dims, Float32Type::get(ctx));
}

const Tensor *Importer::constantInput(const Node &node, size_t index) {
  if (index >= node.inputs.size())
    return nullptr;
  auto it = constants.find(node.inputs[index]);
  return it == constants.end() ? nullptr : &it->second;
}

Value Importer::materialize(const Tensor &tensor, Location loc) {
  std::vector<float> data = tensor.floats;
  if (tensor.type != ElementType::Float && tensor.type != ElementType::Double)
    data.assign(tensor.ints.begin(), tensor.ints.end());
  auto type = RankedTensorType::get(tensor.dims, b.getF32Type());
  return ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, ArrayRef<float>(data)));
}

FailureOr<Value> Importer::input(const Node &node, size_t index) {
  if (index >= node.inputs.size() || node.inputs[index].empty())
    return fail(node, "missing input " + std::to_string(index));
  const std::string &name = node.inputs[index];
  if (auto it = values.find(name); it != values.end())
    return it->second;
  if (auto it = constants.find(name); it != constants.end()) {
    Value v = materialize(it->second, locOf(node));
    values[name] = v;
    return v;
  }
  return fail(node, "input '" + name + "' is neither a graph input, an initializer nor a node "
                    "output (missing initializer?)");
}

Value Importer::reshapeTo(Value value, ArrayRef<int64_t> shape, Location loc) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  if (value.getType() == type)
    return value;
  // Reshaping a constant is free: re-type its data.
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return ConstantOp::create(b, loc, type, dense.reshape(type));
  return ReshapeOp::create(b, loc, type, value);
}

/// Numpy rank broadcasting: prepend dims of extent 1.
Value Importer::broadcastRank(Value value, int64_t rank, Location loc) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() >= rank)
    return value;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  return reshapeTo(value, shape, loc);
}

int64_t Importer::intAttr(const Node &node, const std::string &name, int64_t dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.i;
}
float Importer::floatAttr(const Node &node, const std::string &name, float dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.f;
}
std::vector<int64_t> Importer::intsAttr(const Node &node, const std::string &name,
                                        std::vector<int64_t> dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.ints;
}
std::string Importer::stringAttr(const Node &node, const std::string &name,
                                 const std::string &dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.s;
}

//===----------------------------------------------------------------------===//
// Import-time evaluation of shape subgraphs
//===----------------------------------------------------------------------===//

static int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }


bool Importer::tryFold(const Node &node) {
  std::optional<Tensor> folded = foldShapeNode(
      node, [&](const std::string &name) -> const Tensor * {
        auto it = constants.find(name);
        return it == constants.end() ? nullptr : &it->second;
      },
      [&](const std::string &name) -> std::optional<std::vector<int64_t>> {
        auto it = values.find(name);
        if (it == values.end())
          return std::nullopt;
        auto shape = cast<RankedTensorType>(it->second.getType()).getShape();
        return std::vector<int64_t>(shape.begin(), shape.end());
      });
  if (!folded)
    return false;
  constants[node.outputs[0]] = std::move(*folded);
  return true;
}

//===----------------------------------------------------------------------===//
// Op handlers
//===----------------------------------------------------------------------===//

FailureOr<std::vector<int64_t>> Importer::resolvePads(const Node &node, RankedTensorType in,
                                                      ArrayRef<int64_t> kernel,
                                                      ArrayRef<int64_t> strides,
                                                      ArrayRef<int64_t> dilations) {
  size_t n = kernel.size();
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  std::vector<int64_t> pads = intsAttr(node, "pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n)
    return fail(node, "pads must have " + std::to_string(2 * n) + " values");
  if (autoPad == "NOTSET")
    return pads;
  if (autoPad == "VALID")
    return std::vector<int64_t>(2 * n, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return fail(node, "unknown auto_pad '" + autoPad + "'");
  for (size_t i = 0; i < n; ++i) {
    int64_t size = in.getDimSize(2 + i);
    int64_t out = (size + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
    int64_t small = total / 2;
    pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
    pads[n + i] = total - pads[i];
  }
  return pads;
}

FailureOr<Importer::ConvOperands> Importer::convOperands(const Node &node) {
  ConvOperands c;
  auto x = input(node, 0), w = input(node, 1);
  auto type = outputType(node);
  if (failed(x) || failed(w) || failed(type))
    return failure();
  c.x = *x;
  c.w = *w;
  c.type = *type;
  c.inType = cast<RankedTensorType>(c.x.getType());
  auto wType = cast<RankedTensorType>(c.w.getType());
  if (wType.getRank() != c.inType.getRank() || c.inType.getRank() < 3 || c.inType.getRank() > 5)
    return fail(node, "needs input and weights of equal rank 3 to 5");
  c.spatial = wType.getRank() - 2;
  c.kernel.assign(wType.getShape().begin() + 2, wType.getShape().end());
  if (node.attributes.count("kernel_shape") && intsAttr(node, "kernel_shape", {}) != c.kernel)
    return fail(node, "kernel_shape differs from the weights' spatial dims");
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto bias = input(node, 2);
    if (failed(bias))
      return failure();
    c.bias = *bias;
  }
  return c;
}

LogicalResult Importer::importConv(const Node &node) {
  auto operands = convOperands(node);
  if (failed(operands))
    return failure();
  auto &[x, w, bias, type, inType, n, kernel] = *operands;
  auto strides = intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  if (strides.size() != n || dilations.size() != n)
    return fail(node, "strides and dilations need one value per spatial dim");
  auto pads = resolvePads(node, inType, kernel, strides, dilations);
  if (failed(pads))
    return failure();
  auto conv = ConvOp::create(b, locOf(node), type, x, w, bias, b.getDenseI64ArrayAttr(strides),
                               b.getDenseI64ArrayAttr(dilations), b.getDenseI64ArrayAttr(*pads),
                               b.getI64IntegerAttr(intAttr(node, "group", 1)),
                               ActivationAttr::get(ctx, Activation::None), b.getF32FloatAttr(0));
  values[node.outputs[0]] = conv;
  return success();
}

LogicalResult Importer::importConvTranspose(const Node &node) {
  auto operands = convOperands(node);
  if (failed(operands))
    return failure();
  auto &[x, w, bias, type, inType, n, kernel] = *operands;
  std::string autoPad = stringAttr(node, "auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID")
    return fail(node, "auto_pad " + autoPad + " is not supported; give explicit pads");
  if (node.attributes.count("output_shape"))
    return fail(node, "output_shape is not supported; give explicit pads and output_padding");
  auto strides = intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  auto pads = autoPad == "VALID" ? std::vector<int64_t>(2 * n, 0)
                                 : intsAttr(node, "pads", std::vector<int64_t>(2 * n, 0));
  auto outputPadding = intsAttr(node, "output_padding", std::vector<int64_t>(n, 0));
  if (strides.size() != n || dilations.size() != n || pads.size() != 2 * n ||
      outputPadding.size() != n)
    return fail(node, "strides, dilations, output_padding and pads need one value per "
                      "spatial dim (two for pads)");
  for (size_t i = 0; i < n; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 || pads[n + i] < 0 ||
        outputPadding[i] < 0)
      return fail(node, "strides and dilations must be positive, pads and output_padding "
                        "non-negative");
  values[node.outputs[0]] = ConvTransposeOp::create(
      b, locOf(node), type, x, w, bias, b.getDenseI64ArrayAttr(strides),
      b.getDenseI64ArrayAttr(dilations), b.getDenseI64ArrayAttr(pads),
      b.getDenseI64ArrayAttr(outputPadding), b.getI64IntegerAttr(intAttr(node, "group", 1)));
  return success();
}

/// A positive float as an exact fraction num / den (den a power of two).
static std::optional<std::pair<int64_t, int64_t>> exactFraction(float value) {
  if (!(value > 0) || !std::isfinite(value))
    return std::nullopt;
  int exponent = 0;
  double mantissa = std::frexp(static_cast<double>(value), &exponent); // value = m * 2^e
  int64_t num = static_cast<int64_t>(std::ldexp(mantissa, 24));
  int64_t shift = 24 - exponent; // value = num / 2^shift
  while (shift > 0 && num % 2 == 0) {
    num /= 2;
    --shift;
  }
  if (shift < 0) {
    if (shift < -30)
      return std::nullopt;
    return std::make_pair(num << -shift, int64_t(1));
  }
  if (shift > 40)
    return std::nullopt;
  return std::make_pair(num, int64_t(1) << shift);
}

LogicalResult Importer::importResize(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  std::string mode = stringAttr(node, "mode", "nearest");
  std::string coordName = stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  std::string nearest = stringAttr(node, "nearest_mode", "round_prefer_floor");
  std::optional<ResizeCoordinate> coord = symbolizeResizeCoordinate(coordName);
  if (!coord)
    return fail(node, "coordinate_transformation_mode " + coordName +
                          " is not supported (half_pixel, asymmetric, align_corners, "
                          "pytorch_half_pixel are)");
  std::optional<ResizeSampling> sampling =
      mode == "linear" ? std::optional(ResizeSampling::Linear)
      : mode == "nearest" && nearest != "linear" ? symbolizeResizeSampling(nearest)
                                                 : std::nullopt;
  if (!sampling)
    return fail(node, "mode " + mode + " (nearest_mode " + nearest +
                          ") is not supported (nearest or linear)");
  // Opset 11+: X, roi, scales, sizes; opset 10: X, scales.
  size_t scalesInput = graph.opset >= 11 ? 2 : 1;
  const Tensor *scales = node.inputs.size() > scalesInput && !node.inputs[scalesInput].empty()
                             ? constantInput(node, scalesInput)
                             : nullptr;
  const Tensor *sizes = node.inputs.size() > 3 && !node.inputs[3].empty() ? constantInput(node, 3)
                                                                          : nullptr;
  if (scales && scales->numElements() == 0)
    scales = nullptr;
  if (!scales && !sizes)
    return fail(node, "needs constant scales or sizes");
  SmallVector<int64_t> nums, dens;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = inType.getDimSize(d), out = type->getDimSize(d);
    if (scales) {
      if ((int64_t)scales->floats.size() != rank)
        return fail(node, "scales needs one value per dim");
      auto fraction = exactFraction(scales->floats[d]);
      if (!fraction)
        return fail(node, "scale " + std::to_string(scales->floats[d]) +
                              " is not a positive fraction Quilt can represent exactly");
      nums.push_back(fraction->first);
      dens.push_back(fraction->second);
    } else {
      // ONNX: with sizes, the scale is output over input.
      int64_t g = std::gcd(out, in);
      nums.push_back(out / g);
      dens.push_back(in / g);
    }
  }
  values[node.outputs[0]] = ResizeOp::create(
      b, locOf(node), *type, *x, ResizeCoordinateAttr::get(ctx, *coord),
      ResizeSamplingAttr::get(ctx, *sampling), b.getDenseI64ArrayAttr(nums),
      b.getDenseI64ArrayAttr(dens));
  return success();
}

/// Elementwise ONNX ops that map one-to-one onto a quilt op.
using UnaryBuilder = Value (*)(OpBuilder &, Location, Value);
using BinaryBuilder = Value (*)(OpBuilder &, Location, RankedTensorType, Value, Value);
template <class OpT>
static Value buildUnary(OpBuilder &b, Location loc, Value x) {
  return OpT::create(b, loc, x);
}
template <class OpT>
static Value buildBinary(OpBuilder &b, Location loc, RankedTensorType type, Value l, Value r) {
  return OpT::create(b, loc, type, l, r);
}
static const llvm::StringMap<UnaryBuilder> &unaryBuilders() {
  static const llvm::StringMap<UnaryBuilder> builders = {
      {"Relu", buildUnary<ReluOp>}, {"Sigmoid", buildUnary<SigmoidOp>},
      {"Tanh", buildUnary<TanhOp>}, {"Erf", buildUnary<ErfOp>},
      {"Sqrt", buildUnary<SqrtOp>}, {"Exp", buildUnary<ExpOp>},
      {"Log", buildUnary<LogOp>},   {"Neg", buildUnary<NegOp>},
      {"Abs", buildUnary<AbsOp>}};
  return builders;
}
static const llvm::StringMap<BinaryBuilder> &binaryBuilders() {
  static const llvm::StringMap<BinaryBuilder> builders = {
      {"Add", buildBinary<AddOp>}, {"Sub", buildBinary<SubOp>}, {"Mul", buildBinary<MulOp>},
      {"Div", buildBinary<DivOp>}, {"Pow", buildBinary<PowOp>}, {"Max", buildBinary<MaxOp>},
      {"Min", buildBinary<MinOp>}};
  return builders;
}

LogicalResult Importer::importUnary(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  Location loc = locOf(node);
  if (node.opType == "LeakyRelu")
    values[node.outputs[0]] =
        LeakyReluOp::create(b, loc, *x, b.getF32FloatAttr(floatAttr(node, "alpha", 0.01f)));
  else
    values[node.outputs[0]] = unaryBuilders().lookup(node.opType)(b, loc, *x);
  return success();
}

LogicalResult Importer::importBinary(const Node &node) {
  if ((node.opType == "Max" || node.opType == "Min") && node.inputs.size() != 2)
    return fail(node, "only the two-input form is supported");
  auto lhs = input(node, 0), rhs = input(node, 1);
  auto type = outputType(node);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  Location loc = locOf(node);
  Value l = broadcastRank(*lhs, type->getRank(), loc);
  Value r = broadcastRank(*rhs, type->getRank(), loc);
  values[node.outputs[0]] = binaryBuilders().lookup(node.opType)(b, loc, *type, l, r);
  return success();
}

/// Softmax along one axis (opset 13); before opset 13 the axis coerced the
/// input to 2-D, which agrees with one axis only when it is the last.
LogicalResult Importer::importSoftmax(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", graph.opset >= 13 ? -1 : 1), rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis is out of range");
  if (graph.opset < 13 && axis != rank - 1)
    return fail(node, "before opset 13 only the last axis is supported");
  values[node.outputs[0]] = SoftmaxOp::create(b, locOf(node), *x, axis);
  return success();
}

LogicalResult Importer::importTranspose(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank();
  std::vector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  std::vector<int64_t> perm = intsAttr(node, "perm", reversed);
  std::vector<bool> seen(rank, false);
  if ((int64_t)perm.size() != rank)
    return fail(node, "perm needs one entry per dim");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return fail(node, "perm is not a permutation");
    seen[p] = true;
  }
  values[node.outputs[0]] =
      TransposeOp::create(b, locOf(node), *type, *x, b.getDenseI64ArrayAttr(perm));
  return success();
}

/// Pad in constant mode, with pads (and the value) known at compile time.
LogicalResult Importer::importPad(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  std::string mode = stringAttr(node, "mode", "constant");
  Boundary boundary = mode == "reflect" ? Boundary::Reflect
                      : mode == "edge"  ? Boundary::Edge
                                        : Boundary::Zero;
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return fail(node, "mode '" + mode + "' is not supported (constant, reflect, edge)");
  std::vector<int64_t> pads = intsAttr(node, "pads", {});
  float value = floatAttr(node, "value", 0.f);
  if (graph.opset >= 11) {
    const Tensor *p = constantInput(node, 1);
    if (!p)
      return fail(node, "pads must be computable at compile time");
    pads = p->ints;
    if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
      const Tensor *v = constantInput(node, 2);
      if (!v || v->floats.size() != 1)
        return fail(node, "constant_value must be a constant scalar");
      value = v->floats[0];
    }
  }
  if ((int64_t)pads.size() != 2 * type->getRank())
    return fail(node, "pads needs two values per dim");
  for (int64_t p : pads)
    if (p < 0)
      return fail(node, "negative pads (cropping) are not supported");
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  if (boundary == Boundary::Reflect)
    for (int64_t d = 0; d < rank; ++d)
      if (std::max(pads[d], pads[rank + d]) >= inType.getDimSize(d))
        return fail(node, "reflect padding must be smaller than the padded dim");
  values[node.outputs[0]] =
      PadOp::create(b, locOf(node), *type, *x, b.getDenseI64ArrayAttr(pads),
                    b.getF32FloatAttr(value), BoundaryAttr::get(ctx, boundary));
  return success();
}

LogicalResult Importer::importEinsum(const Node &node) {
  if (node.inputs.size() != 2)
    return fail(node, "only two-operand contractions are supported");
  auto a = input(node, 0), w = input(node, 1);
  auto type = outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  std::string equation;
  for (char c : stringAttr(node, "equation", ""))
    if (c != ' ')
      equation += c;
  if (equation.find("...") != std::string::npos)
    return fail(node, "ellipsis ('...') equations are not supported");
  size_t arrow = equation.find("->");
  if (arrow == std::string::npos)
    return fail(node, "needs an explicit output ('->') in its equation");
  // Quilt's letters are lowercase: map ONNX's (either case) onto them.
  std::map<char, char> rename;
  std::string mapped;
  for (char c : equation) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      mapped += c;
      continue;
    }
    auto [it, inserted] = rename.try_emplace(c, char('a' + rename.size()));
    if (rename.size() > 26)
      return fail(node, "uses more than 26 letters");
    mapped += it->second;
  }
  auto op = EinsumOp::create(b, locOf(node), *type, *a, *w, b.getStringAttr(mapped));
  ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
  if (failed(mlir::verify(op))) {
    op->erase();
    return fail(node, "equation '" + equation + "' is not a supported contraction");
  }
  values[node.outputs[0]] = op;
  return success();
}

LogicalResult Importer::importSlice(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (graph.opset >= 10) {
    const Tensor *s = constantInput(node, 1), *e = constantInput(node, 2);
    if (!s || !e)
      return fail(node, "starts and ends must be computable at compile time");
    starts = s->ints;
    ends = e->ints;
    for (size_t i : {3u, 4u}) {
      if (node.inputs.size() <= i || node.inputs[i].empty())
        continue;
      const Tensor *t = constantInput(node, i);
      if (!t)
        return fail(node, "axes and steps must be computable at compile time");
      (i == 3 ? axes : steps) = t->ints;
    }
  } else {
    starts = intsAttr(node, "starts", {});
    ends = intsAttr(node, "ends", {});
    axes = intsAttr(node, "axes", {});
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail(node, "starts, ends, axes and steps need the same length");
  SmallVector<int64_t> begin(rank, 0), stride(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = normalizeAxis(axes[i], rank);
    if (axis < 0 || axis >= rank)
      return fail(node, "axis " + std::to_string(axes[i]) + " is out of range");
    if (steps[i] < 1)
      return fail(node, "only positive steps are supported");
    int64_t n = inType.getDimSize(axis);
    int64_t start = starts[i] < 0 ? starts[i] + n : starts[i];
    begin[axis] = std::clamp<int64_t>(start, 0, n);
    stride[axis] = steps[i];
  }
  for (int64_t d = 0; d < rank; ++d)
    if (type->getDimSize(d) == 0)
      return fail(node, "produces an empty tensor");
  values[node.outputs[0]] =
      SliceOp::create(b, locOf(node), *type, *x, b.getDenseI64ArrayAttr(begin),
                      b.getDenseI64ArrayAttr(stride));
  return success();
}

LogicalResult Importer::importSplit(const Node &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis is out of range");
  int64_t offset = 0;
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    auto type = outputType(node, k);
    if (failed(type))
      return failure();
    SmallVector<int64_t> begin(rank, 0), stride(rank, 1);
    begin[axis] = offset;
    offset += type->getDimSize(axis);
    values[node.outputs[k]] =
        SliceOp::create(b, locOf(node), *type, *x, b.getDenseI64ArrayAttr(begin),
                        b.getDenseI64ArrayAttr(stride));
  }
  if (offset != inType.getDimSize(axis))
    return fail(node, "the outputs do not add up to the split dim");
  return success();
}

/// Clip(x, lo, hi) = min(max(x, lo), hi) with constant bounds (inputs since
/// opset 11, attributes before); an absent bound is no bound.
LogicalResult Importer::importClip(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  Location loc = locOf(node);
  Value out = *x;
  for (int bound = 0; bound < 2; ++bound) {
    std::optional<float> limit;
    const char *name = bound == 0 ? "min" : "max";
    if (node.attributes.count(name))
      limit = floatAttr(node, name, 0);
    if ((size_t)bound + 1 < node.inputs.size() && !node.inputs[bound + 1].empty()) {
      const Tensor *t = constantInput(node, bound + 1);
      if (!t || t->floats.size() != 1)
        return fail(node, std::string("the ") + name + " bound must be a constant scalar");
      limit = t->floats[0];
    }
    if (!limit)
      continue;
    Tensor splat;
    splat.type = ElementType::Float;
    splat.dims.assign(type->getRank(), 1);
    splat.floats = {*limit};
    Value c = materialize(splat, loc);
    out = bound == 0 ? MaxOp::create(b, loc, *type, out, c).getResult()
                     : MinOp::create(b, loc, *type, out, c).getResult();
  }
  values[node.outputs[0]] = out;
  return success();
}

LogicalResult Importer::importPool(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (node.outputs.size() > 1 && !node.outputs[1].empty())
    return fail(node, "the Indices output of MaxPool is not supported");
  if (intAttr(node, "ceil_mode", 0) != 0)
    return fail(node, "ceil_mode=1 is not supported");
  if (intAttr(node, "storage_order", 0) != 0)
    return fail(node, "storage_order=1 is not supported");
  auto kernel = intsAttr(node, "kernel_shape", {});
  size_t n = kernel.size();
  auto inType = cast<RankedTensorType>(x->getType());
  if (n == 0 || n + 2 != (size_t)inType.getRank())
    return fail(node, "kernel_shape needs one value per spatial dim");
  auto strides = intsAttr(node, "strides", std::vector<int64_t>(n, 1));
  auto dilations = intsAttr(node, "dilations", std::vector<int64_t>(n, 1));
  if (strides.size() != n || dilations.size() != n)
    return fail(node, "strides and dilations need one value per spatial dim");
  auto pads = resolvePads(node, inType, kernel, strides, dilations);
  if (failed(pads))
    return failure();
  Location loc = locOf(node);
  auto k = b.getDenseI64ArrayAttr(kernel), s = b.getDenseI64ArrayAttr(strides),
       d = b.getDenseI64ArrayAttr(dilations), p = b.getDenseI64ArrayAttr(*pads);
  Value out;
  if (node.opType == "MaxPool")
    out = MaxPoolOp::create(b, loc, *type, *x, k, s, d, p, b.getBoolAttr(false));
  else
    out = AvgPoolOp::create(b, loc, *type, *x, k, s, d, p,
                              b.getBoolAttr(intAttr(node, "count_include_pad", 0) != 0));
  values[node.outputs[0]] = out;
  return success();
}

LogicalResult Importer::importGlobalAveragePool(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  SmallVector<int64_t> dims;
  for (int64_t d = 2; d < type->getRank(); ++d)
    dims.push_back(d);
  values[node.outputs[0]] = ReduceMeanOp::create(b, locOf(node), *type, *x,
                                                   b.getDenseI64ArrayAttr(dims), FloatAttr());
  return success();
}

/// Inference BatchNormalization is a per-channel affine map: y = x * a + c
/// with a = scale / sqrt(var + eps), c = bias - mean * a (computed in double).
/// ReduceSum, ReduceMean and ReduceMax over constant axes (an input of
/// ReduceSum since opset 13, an attribute otherwise); keepdims = 0 becomes a
/// reshape of the kept-dims result.
LogicalResult Importer::importReduce(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  std::vector<int64_t> axes = intsAttr(node, "axes", {});
  if (node.opType == "ReduceSum" && graph.opset >= 13 && node.inputs.size() > 1 &&
      !node.inputs[1].empty()) {
    const Tensor *t = constantInput(node, 1);
    if (!t)
      return fail(node, "axes must be computable at compile time");
    axes = t->ints;
  }
  if (axes.empty() && intAttr(node, "noop_with_empty_axes", 0) != 0) {
    values[node.outputs[0]] = *x;
    return success();
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  SmallVector<int64_t> dims, kept(inType.getShape());
  for (int64_t axis : axes) {
    int64_t d = normalizeAxis(axis, rank);
    if (d < 0 || d >= rank)
      return fail(node, "axis " + std::to_string(axis) + " is out of range for rank " +
                            std::to_string(rank));
    if (llvm::is_contained(dims, d))
      return fail(node, "axis " + std::to_string(axis) + " is listed twice");
    dims.push_back(d);
    kept[d] = 1;
  }
  llvm::sort(dims);
  Location loc = locOf(node);
  auto keptType = RankedTensorType::get(kept, b.getF32Type());
  auto dimsAttr = b.getDenseI64ArrayAttr(dims);
  Value reduced;
  if (node.opType == "ReduceSum")
    reduced = ReduceSumOp::create(b, loc, keptType, *x, dimsAttr);
  else if (node.opType == "ReduceMax")
    reduced = ReduceMaxOp::create(b, loc, keptType, *x, dimsAttr);
  else
    reduced = ReduceMeanOp::create(b, loc, keptType, *x, dimsAttr, FloatAttr());
  values[node.outputs[0]] = reshapeTo(reduced, type->getShape(), loc);
  return success();
}

/// DFT (opset 17). Complex values are a trailing dim of 2, real ones of 1;
/// dft_length is accepted only as a constant equal to the axis length.
LogicalResult Importer::importDft(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  if (rank < 2 || (inType.getDimSize(rank - 1) != 1 && inType.getDimSize(rank - 1) != 2))
    return fail(node, "the input needs signal dims and a trailing dim of 1 (real) or 2 "
                      "(complex), got " + std::to_string(rank) + " dims");
  int64_t axis = intAttr(node, "axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank - 1)
    return fail(node, "axis " + std::to_string(intAttr(node, "axis", 1)) +
                          " is not a signal dim of a rank-" + std::to_string(rank) + " input");
  bool inverse = intAttr(node, "inverse", 0) != 0, onesided = intAttr(node, "onesided", 0) != 0;
  if (onesided && (inverse || inType.getDimSize(rank - 1) != 1))
    return fail(node, "onesided needs a real input and a forward transform");
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
    const Tensor *length = constantInput(node, 1);
    if (!length || length->ints.size() != 1)
      return fail(node, "dft_length must be a compile-time constant scalar");
    if (length->ints[0] != inType.getDimSize(axis))
      return fail(node, "dft_length " + std::to_string(length->ints[0]) +
                            " differs from the axis length " +
                            std::to_string(inType.getDimSize(axis)) +
                            "; zero-padding or truncating the signal is not supported");
  }
  values[node.outputs[0]] =
      DftOp::create(b, locOf(node), *type, *x, axis, inverse, onesided);
  return success();
}

LogicalResult Importer::importBatchNorm(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (node.outputs.size() > 1 || intAttr(node, "training_mode", 0) != 0)
    return fail(node, "only inference-mode BatchNormalization is supported");
  const Tensor *params[4];
  for (int i = 0; i < 4; ++i)
    if (!(params[i] = constantInput(node, i + 1)))
      return fail(node, "scale, bias, mean and variance must be initializers");
  if (type->getRank() < 2)
    return fail(node, "needs an input of rank 2 or more");
  double eps = floatAttr(node, "epsilon", 1e-5f);
  int64_t channels = type->getDimSize(1);
  for (const Tensor *p : params)
    if (p->type != ElementType::Float || (int64_t)p->floats.size() != channels)
      return fail(node, "scale, bias, mean and variance must be float32 with " +
                            std::to_string(channels) + " values");
  Tensor scale, shift;
  scale.type = shift.type = ElementType::Float;
  scale.dims.assign(type->getRank(), 1);
  scale.dims[1] = channels;
  shift.dims = scale.dims;
  for (int64_t c = 0; c < channels; ++c) {
    double a = params[0]->floats[c] / std::sqrt((double)params[3]->floats[c] + eps);
    scale.floats.push_back(a);
    shift.floats.push_back(params[1]->floats[c] - params[2]->floats[c] * a);
  }
  Location loc = locOf(node);
  Value scaled = MulOp::create(b, loc, *type, *x, materialize(scale, loc));
  values[node.outputs[0]] = AddOp::create(b, loc, *type, scaled, materialize(shift, loc));
  return success();
}

LogicalResult Importer::importInstanceNorm(const Node &node) {
  auto x = input(node, 0), scale = input(node, 1), bias = input(node, 2);
  auto type = outputType(node);
  if (failed(x) || failed(scale) || failed(bias) || failed(type))
    return failure();
  if (type->getRank() < 3)
    return fail(node, "needs an input of rank 3 or more ([N, C, spatial...])");
  int64_t channels = type->getDimSize(1);
  for (Value v : {*scale, *bias}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != channels)
      return fail(node, "scale and bias must have shape [" + std::to_string(channels) + "]");
  }
  values[node.outputs[0]] =
      GroupNormOp::create(b, locOf(node), *x, *scale, *bias, b.getI64IntegerAttr(channels),
                          b.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f)));
  return success();
}

LogicalResult Importer::importLayerNorm(const Node &node) {
  auto x = input(node, 0), scale = input(node, 1);
  auto type = outputType(node);
  if (failed(x) || failed(scale) || failed(type))
    return failure();
  if (node.outputs.size() > 1)
    return fail(node, "only the normalized output is supported (not Mean or InvStdDev)");
  int64_t rank = type->getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis is out of range");
  ArrayRef<int64_t> normalized = type->getShape().drop_front(axis);
  Location loc = locOf(node);
  // Scale and bias broadcast against the normalized shape; Quilt wants them
  // exactly that shape (leading 1s are the only broadcast we accept).
  auto toNormalized = [&](Value v) -> FailureOr<Value> {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getNumElements() != (int64_t)ShapedType::getNumElements(normalized) ||
        !llvm::equal(t.getShape().take_back(std::min<int64_t>(t.getRank(), normalized.size())),
                     normalized.take_back(std::min<int64_t>(t.getRank(), normalized.size()))))
      return fail(node, "scale and bias must have the normalized shape (input dims " +
                            std::to_string(axis) + " onwards)");
    return reshapeTo(v, normalized, loc);
  };
  auto gamma = toNormalized(*scale);
  if (failed(gamma))
    return failure();
  Value beta;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto bias = input(node, 2);
    if (failed(bias))
      return failure();
    auto shaped = toNormalized(*bias);
    if (failed(shaped))
      return failure();
    beta = *shaped;
  } else {
    Tensor zeros;
    zeros.type = ElementType::Float;
    zeros.dims.assign(normalized.begin(), normalized.end());
    zeros.floats.assign(ShapedType::getNumElements(normalized), 0.0f);
    beta = materialize(zeros, loc);
  }
  values[node.outputs[0]] =
      LayerNormOp::create(b, loc, *x, *gamma, beta, b.getI64IntegerAttr(axis),
                          b.getF32FloatAttr(floatAttr(node, "epsilon", 1e-5f)));
  return success();
}

LogicalResult Importer::importGemm(const Node &node) {
  auto a = input(node, 0), w = input(node, 1);
  auto type = outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  Location loc = locOf(node);
  Value c;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto cv = input(node, 2);
    if (failed(cv))
      return failure();
    c = broadcastRank(*cv, 2, loc);
  }
  values[node.outputs[0]] = GemmOp::create(b, 
      loc, *type, *a, *w, c, b.getBoolAttr(intAttr(node, "transA", 0)),
      b.getBoolAttr(intAttr(node, "transB", 0)), b.getF32FloatAttr(floatAttr(node, "alpha", 1)),
      b.getF32FloatAttr(floatAttr(node, "beta", 1)));
  return success();
}

LogicalResult Importer::importMatMul(const Node &node) {
  auto a = input(node, 0), w = input(node, 1);
  auto type = outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), wType = cast<RankedTensorType>(w->getType());
  if (aType.getRank() != 2 || wType.getRank() != 2) {
    // Batched: numpy matmul semantics as an einsum over explicit letters.
    int64_t ra = aType.getRank(), rw = wType.getRank(), rank = type->getRank();
    if (ra < 2 || rw < 2)
      return fail(node, "1-D MatMul operands are not supported");
    std::string batch, aTerm, wTerm;
    for (int64_t d = 0; d < rank - 2; ++d)
      batch += char('a' + d);
    const char m = 'w', k = 'x', n = 'y';
    for (int64_t d = 0; d < ra - 2; ++d) {
      int64_t resultDim = rank - 2 - (ra - 2) + d;
      if (aType.getDimSize(d) != type->getDimSize(resultDim))
        return fail(node, "broadcast batch dims are not supported");
      aTerm += batch[resultDim];
    }
    for (int64_t d = 0; d < rw - 2; ++d) {
      int64_t resultDim = rank - 2 - (rw - 2) + d;
      if (wType.getDimSize(d) != type->getDimSize(resultDim))
        return fail(node, "broadcast batch dims are not supported");
      wTerm += batch[resultDim];
    }
    std::string equation = aTerm + m + k + "," + wTerm + k + n + "->" + batch + m + n;
    values[node.outputs[0]] =
        EinsumOp::create(b, locOf(node), *type, *a, *w, b.getStringAttr(equation));
    return success();
  }
  values[node.outputs[0]] =
      GemmOp::create(b, locOf(node), *type, *a, *w, Value(), b.getBoolAttr(false),
                       b.getBoolAttr(false), b.getF32FloatAttr(1), b.getF32FloatAttr(1));
  return success();
}

LogicalResult Importer::importReshape(const Node &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  if (node.opType != "Reshape") {
    auto type = outputType(node);
    if (failed(type))
      return failure();
    values[node.outputs[0]] = reshapeTo(*x, type->getShape(), locOf(node));
    return success();
  }
  const Tensor *target = constantInput(node, 1);
  if (!target)
    return fail(node, "the target shape must be computable at compile time");
  // ONNX Reshape: 0 copies the input dim (unless allowzero), -1 is inferred.
  SmallVector<int64_t> shape;
  int64_t known = 1, inferred = -1;
  for (auto [i, value] : llvm::enumerate(target->ints)) {
    int64_t d = value;
    if (d == 0 && !intAttr(node, "allowzero", 0))
      d = i < (size_t)inType.getRank() ? inType.getDimSize(i) : 0;
    if (d < -1 || (d == -1 && inferred >= 0))
      return fail(node, "target shape needs dims >= 0 and at most one -1");
    if (d == -1)
      inferred = i;
    else
      known *= d;
    shape.push_back(d);
  }
  if (inferred >= 0) {
    if (known == 0 || inType.getNumElements() % known != 0)
      return fail(node, "cannot infer the -1 dim of the target shape");
    shape[inferred] = inType.getNumElements() / known;
  }
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  if (count != inType.getNumElements())
    return fail(node, "target shape has " + std::to_string(count) + " elements, input has " +
                          std::to_string(inType.getNumElements()));
  values[node.outputs[0]] = reshapeTo(*x, shape, locOf(node));
  return success();
}

LogicalResult Importer::importConcat(const Node &node) {
  auto type = outputType(node);
  if (failed(type))
    return failure();
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    auto v = input(node, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  int64_t axis = normalizeAxis(intAttr(node, "axis", 0), type->getRank());
  values[node.outputs[0]] = ConcatOp::create(b, locOf(node), *type, inputs, axis);
  return success();
}

LogicalResult Importer::importCast(const Node &node) {
  // Constant casts fold at import. Quilt computes in float32 and carries
  // bools as float masks: a cast to float keeps the value (a mask is already
  // 0/1), a cast to bool is x != 0, i.e. 1 - (x == 0) (NaN is true).
  int64_t to = intAttr(node, "to", 0);
  if (to == 1)
    return importIdentity(node);
  if (to != 9)
    return fail(node, "casts a computed value to a type other than float32 or bool; only "
                      "constant inputs can be cast to other types");
  auto x = input(node, 0);
  auto type = outputType(node, 0, /*boolAsMask=*/true);
  if (failed(x) || failed(type))
    return failure();
  Location loc = locOf(node);
  int64_t rank = type->getRank();
  Value zero = CompareOp::create(b, loc, *type, *x, scalar(0.f, rank, loc),
                                 ComparePredicate::Equal);
  values[node.outputs[0]] = SubOp::create(b, loc, *type, scalar(1.f, rank, loc), zero);
  return success();
}

Value Importer::scalar(float value, int64_t rank, Location loc) {
  Tensor t;
  t.type = ElementType::Float;
  t.dims.assign(rank, 1);
  t.floats = {value};
  return materialize(t, loc);
}

/// Less, LessOrEqual, Greater, GreaterOrEqual, Equal: a float mask.
LogicalResult Importer::importCompare(const Node &node) {
  auto lhs = input(node, 0), rhs = input(node, 1);
  auto type = outputType(node, 0, /*boolAsMask=*/true);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  auto predicate = llvm::StringSwitch<ComparePredicate>(node.opType)
                       .Case("Less", ComparePredicate::Less)
                       .Case("LessOrEqual", ComparePredicate::LessEqual)
                       .Case("Greater", ComparePredicate::Greater)
                       .Case("GreaterOrEqual", ComparePredicate::GreaterEqual)
                       .Default(ComparePredicate::Equal);
  Location loc = locOf(node);
  int64_t rank = type->getRank();
  values[node.outputs[0]] = CompareOp::create(b, loc, *type, broadcastRank(*lhs, rank, loc),
                                              broadcastRank(*rhs, rank, loc), predicate);
  return success();
}

/// And, Or, Xor, Not on float masks: mask arithmetic.
LogicalResult Importer::importLogic(const Node &node) {
  auto type = outputType(node, 0, /*boolAsMask=*/true);
  auto x = input(node, 0);
  if (failed(type) || failed(x))
    return failure();
  Location loc = locOf(node);
  int64_t rank = type->getRank();
  Value l = broadcastRank(*x, rank, loc);
  if (node.opType == "Not") {
    values[node.outputs[0]] = SubOp::create(b, loc, *type, scalar(1.f, rank, loc), l);
    return success();
  }
  auto y = input(node, 1);
  if (failed(y))
    return failure();
  Value r = broadcastRank(*y, rank, loc);
  Value out;
  if (node.opType == "And")
    out = MulOp::create(b, loc, *type, l, r);
  else if (node.opType == "Or")
    out = MaxOp::create(b, loc, *type, l, r);
  else
    out = AbsOp::create(b, loc, SubOp::create(b, loc, *type, l, r));
  values[node.outputs[0]] = out;
  return success();
}

LogicalResult Importer::importExpand(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (!constantInput(node, 1))
    return fail(node, "the target shape must be computable at compile time");
  Location loc = locOf(node);
  Value xb = broadcastRank(*x, type->getRank(), loc);
  auto xType = cast<RankedTensorType>(xb.getType());
  if (xType == *type) {
    values[node.outputs[0]] = xb;
    return success();
  }
  // x + zeros, the zeros only as large as the dims x broadcasts along.
  Tensor zeros;
  zeros.type = ElementType::Float;
  for (int64_t d = 0; d < type->getRank(); ++d)
    zeros.dims.push_back(xType.getDimSize(d) == type->getDimSize(d) ? 1 : type->getDimSize(d));
  zeros.floats.assign(zeros.numElements(), 0.f);
  values[node.outputs[0]] = AddOp::create(b, loc, *type, xb, materialize(zeros, loc));
  return success();
}

LogicalResult Importer::importWhere(const Node &node) {
  auto lhs = input(node, 1), rhs = input(node, 2);
  auto type = outputType(node);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  Location loc = locOf(node);
  // A constant condition becomes a constant mask; a computed one is a mask
  // already (quilt.compare and mask arithmetic).
  Value mask;
  if (const Tensor *condition = constantInput(node, 0)) {
    Tensor constantMask = *condition;
    constantMask.type = ElementType::Float;
    if (constantMask.floats.empty())
      for (int64_t v : condition->ints)
        constantMask.floats.push_back(v != 0 ? 1.f : 0.f);
    mask = materialize(constantMask, loc);
  } else {
    auto computed = input(node, 0);
    if (failed(computed))
      return failure();
    mask = *computed;
  }
  int64_t rank = type->getRank();
  values[node.outputs[0]] =
      SelectOp::create(b, loc, *type, broadcastRank(mask, rank, loc),
                       broadcastRank(*lhs, rank, loc), broadcastRank(*rhs, rank, loc));
  return success();
}

/// Gather with constant indices along one axis: an arithmetic progression is
/// one strided slice; other index lists concatenate unit slices.
LogicalResult Importer::importGather(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  const Tensor *indices = constantInput(node, 1);
  if (failed(x) || failed(type))
    return failure();
  if (!indices)
    return fail(node, "the indices must be compile-time constants");
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank || indices->dims.size() > 1)
    return fail(node, "needs an axis in range and scalar or 1-D indices");
  int64_t n = inType.getDimSize(axis);
  std::vector<int64_t> idx;
  for (int64_t i : indices->ints) {
    int64_t j = i < 0 ? i + n : i;
    if (j < 0 || j >= n)
      return fail(node, "index " + std::to_string(i) + " is out of range");
    idx.push_back(j);
  }
  if (idx.empty())
    return fail(node, "has no indices");
  Location loc = locOf(node);
  auto sliceAt = [&](int64_t start, int64_t step, int64_t count) {
    SmallVector<int64_t> begin(rank, 0), stride(rank, 1), shape(inType.getShape());
    begin[axis] = start;
    stride[axis] = step;
    shape[axis] = count;
    return SliceOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), *x,
                           b.getDenseI64ArrayAttr(begin), b.getDenseI64ArrayAttr(stride))
        .getResult();
  };
  int64_t step = idx.size() > 1 ? idx[1] - idx[0] : 1;
  bool progression = step > 0;
  for (size_t i = 1; i < idx.size() && progression; ++i)
    progression = idx[i] - idx[i - 1] == step;
  Value gathered;
  if (progression) {
    gathered = sliceAt(idx[0], step, idx.size());
  } else {
    SmallVector<Value> pieces;
    for (int64_t j : idx)
      pieces.push_back(sliceAt(j, 1, 1));
    SmallVector<int64_t> shape(inType.getShape());
    shape[axis] = idx.size();
    gathered = ConcatOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), pieces,
                                axis);
  }
  values[node.outputs[0]] = reshapeTo(gathered, type->getShape(), loc); // scalar index: drop axis
  return success();
}

LogicalResult Importer::importIdentity(const Node &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  values[node.outputs[0]] = *x;
  return success();
}

LogicalResult Importer::importConstant(const Node &node) {
  return fail(node, "has a value form Quilt cannot read (sparse or string)");
}

const std::map<std::string, Handler> &handlers() {
  // The elementwise ops come from their builder tables, so each has a builder.
  static const std::map<std::string, Handler> table = [] {
    std::map<std::string, Handler> t = {
        {"Conv", &Importer::importConv},
        {"ConvTranspose", &Importer::importConvTranspose},
        {"Resize", &Importer::importResize},
        {"Slice", &Importer::importSlice},
        {"Einsum", &Importer::importEinsum},
        {"Split", &Importer::importSplit},
        {"Clip", &Importer::importClip},
        {"Softmax", &Importer::importSoftmax},
        {"Transpose", &Importer::importTranspose},
        {"Pad", &Importer::importPad},
        {"MaxPool", &Importer::importPool},
        {"AveragePool", &Importer::importPool},
        {"GlobalAveragePool", &Importer::importGlobalAveragePool},
        {"ReduceSum", &Importer::importReduce},
        {"ReduceMean", &Importer::importReduce},
        {"ReduceMax", &Importer::importReduce},
        {"DFT", &Importer::importDft},
        {"BatchNormalization", &Importer::importBatchNorm},
        {"InstanceNormalization", &Importer::importInstanceNorm},
        {"LayerNormalization", &Importer::importLayerNorm},
        {"Gemm", &Importer::importGemm},
        {"MatMul", &Importer::importMatMul},
        {"Flatten", &Importer::importReshape},
        {"Reshape", &Importer::importReshape},
        {"Squeeze", &Importer::importReshape},
        {"Unsqueeze", &Importer::importReshape},
        {"Concat", &Importer::importConcat},
        {"Identity", &Importer::importIdentity},
        {"Cast", &Importer::importCast},
        {"Expand", &Importer::importExpand},
        {"Where", &Importer::importWhere},
        {"Less", &Importer::importCompare},
        {"LessOrEqual", &Importer::importCompare},
        {"Greater", &Importer::importCompare},
        {"GreaterOrEqual", &Importer::importCompare},
        {"Equal", &Importer::importCompare},
        {"And", &Importer::importLogic},
        {"Or", &Importer::importLogic},
        {"Xor", &Importer::importLogic},
        {"Not", &Importer::importLogic},
        {"Gather", &Importer::importGather},
        {"Dropout", &Importer::importIdentity},
        {"Constant", &Importer::importConstant},
    };
    t["LeakyRelu"] = &Importer::importUnary;
    for (const auto &entry : unaryBuilders())
      t[entry.getKey().str()] = &Importer::importUnary;
    for (const auto &entry : binaryBuilders())
      t[entry.getKey().str()] = &Importer::importBinary;
    return t;
  }();
  return table;
}

/// Window attributes that ONNX's own shape inference would divide by.
bool checkWindowAttributes(const Graph &graph, std::string &error) {
  for (const Node &node : graph.nodes) {
    if (node.opType != "Conv" && node.opType != "ConvTranspose" && node.opType != "MaxPool" && node.opType != "AveragePool")
      continue;
    for (const char *name : {"strides", "dilations", "kernel_shape"}) {
      auto it = node.attributes.find(name);
      if (it == node.attributes.end())
        continue;
      for (int64_t v : it->second.ints)
        if (v < 1) {
          error = "node '" + node.name + "' (" + node.opType + "): " + name +
                  " must be positive, got " + std::to_string(v);
          return false;
        }
    }
    auto pads = node.attributes.find("pads");
    if (pads != node.attributes.end())
      for (int64_t v : pads->second.ints)
        if (v < 0) {
          error = "node '" + node.name + "' (" + node.opType + "): pads must not be negative";
          return false;
        }
  }
  return true;
}

/// Every node whose op Quilt does not compile, in one message.
bool checkSupportedOps(const Graph &graph, std::string &error) {
  std::vector<std::string> problems;
  for (const Node &node : graph.nodes) {
    bool known = handlers().count(node.opType) || kFoldableOps.count(node.opType);
    if (!node.domain.empty() && node.domain != "ai.onnx")
      known = false;
    if (!known)
      problems.push_back(node.opType + " (opset " + std::to_string(graph.opset) + ", node '" +
                         node.name + "')");
  }
  if (problems.empty())
    return checkWindowAttributes(graph, error);
  error = std::to_string(problems.size()) + " unsupported op" +
          (problems.size() > 1 ? "s" : "") + ": ";
  for (size_t i = 0; i < problems.size(); ++i)
    error += (i ? ", " : "") + problems[i];
  return false;
}

/// Records that ONNX value `name` is input `index` itself (`quilt.aliases`).
static void addInputAlias(func::FuncOp func, unsigned index, StringRef name) {
  Builder b(func.getContext());
  SmallVector<mlir::Attribute> aliases;
  if (auto old = func.getArgAttrOfType<ArrayAttr>(index, "quilt.aliases"))
    llvm::append_range(aliases, old);
  aliases.push_back(b.getStringAttr(name));
  func.setArgAttr(index, "quilt.aliases", b.getArrayAttr(aliases));
}

OwningOpRef<ModuleOp> Importer::run(std::string &errorOut) {
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  for (const auto &[name, tensor] : graph.initializers)
    constants[name] = tensor;

  SmallVector<Type> argTypes;
  for (const ValueInfo &in : graph.inputs) {
    if (in.type != ElementType::Float) {
      errorOut = file + ": input '" + in.name + "' is " + elementTypeName(in.type) +
                 "; only float32 inputs are supported";
      return nullptr;
    }
    if (!in.hasShape || llvm::any_of(in.dims, [](int64_t d) { return d < 0; })) {
      errorOut = file + ": input '" + in.name + "' needs a static shape";
      return nullptr;
    }
    argTypes.push_back(RankedTensorType::get(in.dims, b.getF32Type()));
  }
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, in] : llvm::enumerate(graph.inputs)) {
    values[in.name] = body->getArgument(i);
    func.setArgAttr(i, "quilt.name", b.getStringAttr(in.name));
  }
  b.setInsertionPointToStart(body);

  for (const Node &node : graph.nodes) {
    if (tryFold(node))
      continue;
    auto handler = handlers().find(node.opType);
    if (handler == handlers().end()) {
      (void)fail(node, "is only supported when its inputs are compile-time constants");
      errorOut = error;
      return nullptr;
    }
    if (failed((this->*handler->second)(node))) {
      errorOut = error;
      return nullptr;
    }
    // Value names let --shard annotate any value the model keeps (an input
    // passed through Identity too).
    for (const std::string &out : node.outputs) {
      auto it = values.find(out);
      if (it == values.end())
        continue;
      if (auto result = dyn_cast<OpResult>(it->second);
          result && !isa<ConstantOp>(result.getOwner()))
        recordOnnxValueName(result, out);
      if (auto arg = dyn_cast<BlockArgument>(it->second))
        addInputAlias(func, arg.getArgNumber(), out);
    }
  }
  SmallVector<Value> results;
  for (const ValueInfo &out : graph.outputs) {
    if (out.type != ElementType::Float) {
      errorOut = file + ": output '" + out.name + "' is " + elementTypeName(out.type) +
                 "; Quilt's outputs are float32 (cast it to float in the model)";
      return nullptr;
    }
    auto it = values.find(out.name);
    if (it == values.end()) {
      errorOut = file + ": output '" + out.name + "' is a constant or is never computed";
      return nullptr;
    }
    results.push_back(it->second);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.outputs))
    func.setResultAttr(i, "quilt.name", b.getStringAttr(out.name));
  // Constants re-typed for broadcasting leave their originals unused.
  func.walk([](ConstantOp constant) {
    if (constant->use_empty())
      constant.erase();
  });
  if (failed(verify(*module))) {
    errorOut = file + ": the imported module does not verify (see the diagnostic above)";
    return nullptr;
  }
  return module;
}

} // namespace

OwningOpRef<ModuleOp>
quilt::importOnnxFile(MLIRContext *ctx, const std::string &path, std::string &error,
                      const std::map<std::string, std::vector<int64_t>> &inputShapes) {
  ctx->loadDialect<QuiltDialect, func::FuncDialect>();
  Graph graph;
  if (!readModel(path, graph, error, checkSupportedOps, inputShapes))
    return nullptr;
  Importer importer(ctx, graph, path);
  return importer.run(error);
}
