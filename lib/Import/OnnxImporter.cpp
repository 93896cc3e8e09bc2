//===- OnnxImporter.cpp - ONNX graph to quilt dialect ----------------------===//
//
// Nodes become quilt ops over global tensors, in graph order. Shape-only
// subgraphs (Shape/Gather/Unsqueeze/Concat/Constant feeding a Reshape, as
// torch exports them) are evaluated here and never reach the IR.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/OnnxImporter.h"
#include "quilt/Import/OnnxModel.h"
#include "quilt/Import/ConstantEvaluator.h"

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallPtrSet.h"
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
  LogicalResult importArgReduce(const Node &node);
  LogicalResult importCumSum(const Node &node);
  LogicalResult importGatherElements(const Node &node);
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
  LogicalResult importTile(const Node &node);
  LogicalResult importTrilu(const Node &node);
  LogicalResult importDepthSpace(const Node &node);
  LogicalResult importGlobalMaxPool(const Node &node);
  LogicalResult importSumMean(const Node &node);
  LogicalResult importDropout(const Node &node);
  LogicalResult importConstant(const Node &node);

private:
  LogicalResult fail(const Node &node, const Twine &message);
  Location locOf(const Node &node);
  /// The static float32 type of output `index`; a bool output (`boolAsMask`)
  /// becomes a float mask of 0 and 1.
  FailureOr<RankedTensorType> outputType(const Node &node, size_t index = 0,
                                         bool boolAsMask = false);
  static bool carriesInFloat32(const std::string &opType, ElementType type, bool boolAsMask);
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
  if (!carriesInFloat32(node.opType, info.type, boolAsMask))
    return fail(node, "output '" + node.outputs[index] + "' is " +
                          elementTypeName(info.type) + "; Quilt computes " + node.opType +
                          " in float32 only");
  return RankedTensorType::get(info.dims, Float32Type::get(ctx));
}

/// Quilt computes in float32. Other dtypes ride in float32 where that gives
/// the ONNX result: ops that only move or select values carry any dtype
/// (integers exactly up to 2^24), integer add/sub/mul/min/max are exact in
/// that range, bools are 0/1 masks where the op makes one, and float64
/// computes at float32 precision.
bool Importer::carriesInFloat32(const std::string &opType, ElementType type, bool boolAsMask) {
  static const std::set<std::string> moving = {
      "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Slice", "Split",
      "Gather",  "Identity", "Expand", "Where",     "Tile",      "Pad",    "Dropout", "Cast",
      "GatherElements", "DepthToSpace", "SpaceToDepth", "ArgMax", "ArgMin", "Max", "Min",
      "ReduceMax", "ReduceMin", "Trilu", "GlobalMaxPool"};
  static const std::set<std::string> exactOnIntegers = {
      "Add", "Sub", "Mul", "Neg", "Abs", "Relu", "Sign", "ReduceSum", "Sum", "CumSum"};
  switch (type) {
  case ElementType::Float:
  case ElementType::Double:
    return true;
  case ElementType::Int64:
  case ElementType::Int32:
    return moving.count(opType) || exactOnIntegers.count(opType);
  case ElementType::Bool:
    return boolAsMask || moving.count(opType);
  case ElementType::Other:
    return false;
  }
  return false;
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
  std::optional<std::vector<Tensor>> folded = evaluateNode(
      node, graph.opset,
      [&](const std::string &name) -> const Tensor * {
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
  for (size_t i = 0; i < folded->size(); ++i)
    constants[node.outputs[i]] = std::move((*folded)[i]);
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
  if (type->getRank() != rank)
    return fail(node, "output '" + node.outputs[0] + "' has rank " +
                          std::to_string(type->getRank()) + ", the input " + std::to_string(rank));
  std::string mode = stringAttr(node, "mode", "nearest");
  std::string coordName = stringAttr(node, "coordinate_transformation_mode", "half_pixel");
  std::string nearest = stringAttr(node, "nearest_mode", "round_prefer_floor");
  std::optional<ResizeCoordinate> coord = symbolizeResizeCoordinate(coordName);
  if (!coord)
    return fail(node, "coordinate_transformation_mode " + coordName +
                          " is not supported (half_pixel, asymmetric, align_corners, "
                          "pytorch_half_pixel are)");
  std::optional<ResizeSampling> sampling =
      mode == "linear"  ? std::optional(ResizeSampling::Linear)
      : mode == "cubic" ? std::optional(ResizeSampling::Cubic)
      : mode == "nearest" && nearest != "linear" ? symbolizeResizeSampling(nearest)
                                                 : std::nullopt;
  if (!sampling)
    return fail(node, "mode " + mode + " (nearest_mode " + nearest +
                          ") is not supported (nearest, linear or cubic)");
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
      if (in < 1 || out < 1)
        return fail(node, "dim " + std::to_string(d) + " of extent " + std::to_string(in) +
                              " cannot be resized to " + std::to_string(out));
      int64_t g = std::gcd(out, in);
      nums.push_back(out / g);
      dens.push_back(in / g);
    }
  }
  values[node.outputs[0]] = ResizeOp::create(
      b, locOf(node), *type, *x, ResizeCoordinateAttr::get(ctx, *coord),
      ResizeSamplingAttr::get(ctx, *sampling), b.getDenseI64ArrayAttr(nums),
      b.getDenseI64ArrayAttr(dens), b.getF32FloatAttr(floatAttr(node, "cubic_coeff_a", -0.75f)),
      b.getBoolAttr(intAttr(node, "exclude_outside", 0) != 0));
  return success();
}

/// ArgMax and ArgMin: the index as a float (exact up to 2^24; the runtime
/// writes an int64 output at the edge). keepdims = 0 becomes a reshape.
LogicalResult Importer::importArgReduce(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis " + std::to_string(intAttr(node, "axis", 0)) +
                          " is out of range for rank " + std::to_string(rank));
  int64_t n = inType.getDimSize(axis);
  if (n < 1 || n > (int64_t(1) << 24))
    return fail(node, "axis " + std::to_string(axis) + " has " + std::to_string(n) +
                          " positions; Quilt carries indices in float32, exact for 1 to 2^24");
  SmallVector<int64_t> kept(inType.getShape());
  kept[axis] = 1;
  Location loc = locOf(node);
  Value index = ArgReduceOp::create(b, loc, RankedTensorType::get(kept, b.getF32Type()), *x,
                                    b.getI64IntegerAttr(axis),
                                    b.getBoolAttr(node.opType == "ArgMin"),
                                    b.getBoolAttr(intAttr(node, "select_last_index", 0) != 0));
  values[node.outputs[0]] = reshapeTo(index, type->getShape(), loc);
  return success();
}

/// CumSum along an axis given as a compile-time constant input.
LogicalResult Importer::importCumSum(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  const Tensor *axisInput = constantInput(node, 1);
  if (!axisInput || axisInput->ints.size() != 1)
    return fail(node, "axis must be a compile-time constant scalar");
  int64_t rank = type->getRank();
  int64_t axis = normalizeAxis(axisInput->ints[0], rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis " + std::to_string(axisInput->ints[0]) +
                          " is out of range for rank " + std::to_string(rank));
  values[node.outputs[0]] = CumSumOp::create(
      b, locOf(node), *type, *x, Value(), b.getI64IntegerAttr(axis),
      b.getBoolAttr(intAttr(node, "exclusive", 0) != 0),
      b.getBoolAttr(intAttr(node, "reverse", 0) != 0));
  return success();
}

/// GatherElements with constant (range-checked here) or computed indices.
LogicalResult Importer::importGatherElements(const Node &node) {
  auto x = input(node, 0), indices = input(node, 1);
  auto type = outputType(node);
  if (failed(x) || failed(indices) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  auto indexType = cast<RankedTensorType>(indices->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return fail(node, "axis " + std::to_string(intAttr(node, "axis", 0)) +
                          " is out of range for rank " + std::to_string(rank));
  if (indexType.getRank() != rank)
    return fail(node, "indices have rank " + std::to_string(indexType.getRank()) +
                          ", the data rank " + std::to_string(rank));
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indexType.getDimSize(d) > inType.getDimSize(d))
      return fail(node, "indices dim " + std::to_string(d) + " (" +
                            std::to_string(indexType.getDimSize(d)) + ") exceeds the data's (" +
                            std::to_string(inType.getDimSize(d)) + ")");
  int64_t n = inType.getDimSize(axis);
  if (const Tensor *constant = constantInput(node, 1))
    for (int64_t i : constant->ints)
      if (i < -n || i >= n)
        return fail(node, "index " + std::to_string(i) + " is out of range for axis " +
                              std::to_string(axis) + " of extent " + std::to_string(n));
  values[node.outputs[0]] =
      GatherElementsOp::create(b, locOf(node), *type, *x, *indices, b.getI64IntegerAttr(axis));
  return success();
}

/// Elementwise ONNX ops that map one-to-one onto a quilt op: its builder, and
/// the ONNX attributes the op carries (under the same names) with their ONNX
/// defaults. Adding such an op is one entry here (and its ODS def and runtime
/// kind: dialects/Quilt/IR/QuiltOps.td).
struct UnaryEntry {
  Value (*build)(OpBuilder &, Location, Value, ArrayRef<NamedAttribute>);
  std::vector<std::pair<const char *, float>> params;
};
using BinaryBuilder = Value (*)(OpBuilder &, Location, RankedTensorType, Value, Value);
template <class OpT>
static Value buildUnary(OpBuilder &b, Location loc, Value x, ArrayRef<NamedAttribute> attrs) {
  return OpT::create(b, loc, TypeRange{x.getType()}, ValueRange{x}, attrs);
}
template <class OpT>
static Value buildBinary(OpBuilder &b, Location loc, RankedTensorType type, Value l, Value r) {
  return OpT::create(b, loc, type, l, r);
}
static const llvm::StringMap<UnaryEntry> &unaryBuilders() {
  static const llvm::StringMap<UnaryEntry> builders = {
      {"Relu", {buildUnary<ReluOp>}},
      {"Sigmoid", {buildUnary<SigmoidOp>}},
      {"Tanh", {buildUnary<TanhOp>}},
      {"Erf", {buildUnary<ErfOp>}},
      {"Sqrt", {buildUnary<SqrtOp>}},
      {"Exp", {buildUnary<ExpOp>}},
      {"Log", {buildUnary<LogOp>}},
      {"Neg", {buildUnary<NegOp>}},
      {"Abs", {buildUnary<AbsOp>}},
      {"LeakyRelu", {buildUnary<LeakyReluOp>, {{"alpha", 0.01f}}}},
      {"HardSigmoid", {buildUnary<HardSigmoidOp>, {{"alpha", 0.2f}, {"beta", 0.5f}}}},
      {"HardSwish", {buildUnary<HardSwishOp>}},
      {"Reciprocal", {buildUnary<ReciprocalOp>}},
      {"Softplus", {buildUnary<SoftplusOp>}},
      {"Softsign", {buildUnary<SoftsignOp>}},
      {"Elu", {buildUnary<EluOp>, {{"alpha", 1.0f}}}},
      {"Selu",
       {buildUnary<SeluOp>,
        {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}}}},
      {"Celu", {buildUnary<CeluOp>, {{"alpha", 1.0f}}}},
      {"ThresholdedRelu", {buildUnary<ThresholdedReluOp>, {{"alpha", 1.0f}}}},
      {"Sign", {buildUnary<SignOp>}},
      {"Floor", {buildUnary<FloorOp>}},
      {"Ceil", {buildUnary<CeilOp>}},
      {"Round", {buildUnary<RoundOp>}}};
  return builders;
}
static const llvm::StringMap<BinaryBuilder> &binaryBuilders() {
  static const llvm::StringMap<BinaryBuilder> builders = {
      {"Add", buildBinary<AddOp>}, {"Sub", buildBinary<SubOp>}, {"Mul", buildBinary<MulOp>},
      {"Div", buildBinary<DivOp>}, {"Pow", buildBinary<PowOp>}, {"Max", buildBinary<MaxOp>},
      {"Min", buildBinary<MinOp>}, {"PRelu", buildBinary<PReluOp>}};
  return builders;
}

LogicalResult Importer::importUnary(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  const UnaryEntry &entry = unaryBuilders().find(node.opType)->second;
  SmallVector<NamedAttribute, 2> attrs;
  for (auto [name, dflt] : entry.params)
    attrs.push_back(b.getNamedAttr(name, b.getF32FloatAttr(floatAttr(node, name, dflt))));
  values[node.outputs[0]] = entry.build(b, locOf(node), *x, attrs);
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
  // PRelu broadcasts the slope to the input only (unidirectionally).
  if (node.opType == "PRelu") {
    auto x = cast<RankedTensorType>(l.getType()), slope = cast<RankedTensorType>(r.getType());
    if (x != *type || slope.getRank() != x.getRank())
      return fail(node, "the slope does not broadcast to the input's shape");
    for (int64_t d = 0; d < x.getRank(); ++d)
      if (slope.getDimSize(d) != 1 && slope.getDimSize(d) != x.getDimSize(d))
        return fail(node, "the slope does not broadcast to the input's shape");
  }
  values[node.outputs[0]] = binaryBuilders().lookup(node.opType)(b, loc, *type, l, r);
  return success();
}

/// Softmax and LogSoftmax along one axis (opset 13); before opset 13 the axis
/// coerced the input to 2-D, which agrees with one axis only when it is the last.
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
  if (node.opType == "LogSoftmax")
    values[node.outputs[0]] = LogSoftmaxOp::create(b, locOf(node), *x, axis);
  else
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
    // The output's type may be one the file declares against ONNX's inference.
    if (type->getRank() != rank)
      return fail(node, "output '" + node.outputs[k] + "' has rank " +
                            std::to_string(type->getRank()) + ", the input " +
                            std::to_string(rank));
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
  // ceil_mode keeps a last, partial window: the output ONNX inferred is one
  // longer, and the window reads past the end padding. Widening the end pad
  // to reach it gives the same max (pads read -inf) and the same average
  // over valid elements; an average that counts pads would count the
  // widening too, which ONNX Runtime does not.
  bool countPads = intAttr(node, "count_include_pad", 0) != 0;
  if (intAttr(node, "ceil_mode", 0) != 0) {
    for (size_t d = 0; d < n; ++d) {
      int64_t reach = (type->getDimSize(d + 2) - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1;
      int64_t extra = reach - (inType.getDimSize(d + 2) + (*pads)[d] + (*pads)[d + n]);
      if (extra <= 0)
        continue;
      if (node.opType == "AveragePool" && countPads)
        return fail(node, "ceil_mode=1 with count_include_pad=1 is not supported where the "
                          "last window passes the end padding");
      (*pads)[d + n] += extra;
    }
  }
  Location loc = locOf(node);
  auto k = b.getDenseI64ArrayAttr(kernel), s = b.getDenseI64ArrayAttr(strides),
       d = b.getDenseI64ArrayAttr(dilations), p = b.getDenseI64ArrayAttr(*pads);
  Value out;
  if (node.opType == "MaxPool")
    out = MaxPoolOp::create(b, loc, *type, *x, k, s, d, p, b.getBoolAttr(false));
  else
    out = AvgPoolOp::create(b, loc, *type, *x, k, s, d, p, b.getBoolAttr(countPads));
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

LogicalResult Importer::importGlobalMaxPool(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  SmallVector<int64_t> dims;
  for (int64_t d = 2; d < type->getRank(); ++d)
    dims.push_back(d);
  values[node.outputs[0]] =
      ReduceMaxOp::create(b, locOf(node), *type, *x, b.getDenseI64ArrayAttr(dims));
  return success();
}

/// Tile of a computed tensor: each repeated dim is a concat of copies, so a
/// split dim keeps the concat's rule.
LogicalResult Importer::importTile(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  const Tensor *repeats = constantInput(node, 1);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  if (!repeats || (int64_t)repeats->ints.size() != inType.getRank())
    return fail(node, "repeats must be a compile-time constant with one value per dim");
  Location loc = locOf(node);
  Value tiled = *x;
  SmallVector<int64_t> shape(inType.getShape());
  for (int64_t d = 0; d < inType.getRank(); ++d) {
    int64_t r = repeats->ints[d];
    if (r < 1)
      return fail(node, "repeats must be positive (an empty tile is not supported)");
    if (r == 1)
      continue;
    shape[d] *= r;
    SmallVector<Value> copies(r, tiled);
    tiled = ConcatOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), copies, d);
  }
  values[node.outputs[0]] = tiled;
  return success();
}

/// Trilu of a computed tensor: a select against a constant triangle mask over
/// the last two dims (the other dims broadcast), so every dim keeps its split.
LogicalResult Importer::importTrilu(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank(), k = 0;
  if (rank < 2)
    return fail(node, "needs an input of rank 2 or more");
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
    const Tensor *kIn = constantInput(node, 1);
    if (!kIn || kIn->ints.size() != 1)
      return fail(node, "k must be a compile-time constant scalar");
    k = kIn->ints[0];
  }
  bool upper = intAttr(node, "upper", 1) != 0;
  int64_t rows = type->getDimSize(rank - 2), cols = type->getDimSize(rank - 1);
  // The mask is a constant like any folded one, and bounded like them.
  if (rows * cols > kMaxFoldedElements)
    return fail(node, "its " + std::to_string(rows) + "x" + std::to_string(cols) +
                          " mask is larger than the 2^24 elements Quilt builds as a constant");
  Tensor mask;
  mask.type = ElementType::Float;
  mask.dims.assign(rank, 1);
  mask.dims[rank - 2] = rows;
  mask.dims[rank - 1] = cols;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      mask.floats.push_back((upper ? c - r >= k : c - r <= k) ? 1.f : 0.f);
  Location loc = locOf(node);
  values[node.outputs[0]] =
      SelectOp::create(b, loc, *type, materialize(mask, loc), *x, scalar(0.f, rank, loc));
  return success();
}

/// DepthToSpace and SpaceToDepth are the reshape, transpose, reshape ONNX
/// defines them by.
LogicalResult Importer::importDepthSpace(const Node &node) {
  auto x = input(node, 0);
  auto type = outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t bs = intAttr(node, "blocksize", 0);
  if (inType.getRank() != 4 || bs < 1)
    return fail(node, "needs a 4-D input and a positive blocksize");
  int64_t n = inType.getDimSize(0), c = inType.getDimSize(1), h = inType.getDimSize(2),
          w = inType.getDimSize(3);
  SmallVector<int64_t> split, perm;
  if (node.opType == "SpaceToDepth") {
    if (h % bs || w % bs)
      return fail(node, "height and width must be multiples of blocksize");
    split = {n, c, h / bs, bs, w / bs, bs};
    perm = {0, 3, 5, 1, 2, 4};
  } else {
    if (c % (bs * bs))
      return fail(node, "channels must be a multiple of blocksize^2");
    if (stringAttr(node, "mode", "DCR") == "CRD") {
      split = {n, c / (bs * bs), bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      split = {n, bs, bs, c / (bs * bs), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    }
  }
  Location loc = locOf(node);
  Value blocks = reshapeTo(*x, split, loc);
  SmallVector<int64_t> moved;
  for (int64_t p : perm)
    moved.push_back(split[p]);
  Value transposed = TransposeOp::create(b, loc, RankedTensorType::get(moved, b.getF32Type()),
                                         blocks, b.getDenseI64ArrayAttr(perm));
  values[node.outputs[0]] = reshapeTo(transposed, type->getShape(), loc);
  return success();
}

/// Sum and Mean of any number of inputs, with numpy broadcasting: a chain of
/// adds (Mean then divides by n, as ONNX Runtime does).
LogicalResult Importer::importSumMean(const Node &node) {
  auto type = outputType(node);
  if (failed(type))
    return failure();
  Location loc = locOf(node);
  int64_t rank = type->getRank();
  Value acc;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    auto x = input(node, i);
    if (failed(x))
      return failure();
    Value v = broadcastRank(*x, rank, loc);
    if (!acc) {
      acc = v;
      continue;
    }
    // Intermediate sums broadcast to the shape of both operands.
    auto lt = cast<RankedTensorType>(acc.getType()), rt = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(std::max(lt.getDimSize(d), rt.getDimSize(d)));
    acc = AddOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), acc, v);
  }
  if (!acc)
    return fail(node, "has no inputs");
  if (node.opType == "Mean" && node.inputs.size() > 1)
    acc = DivOp::create(b, loc, cast<RankedTensorType>(acc.getType()), acc,
                        scalar((float)node.inputs.size(), rank, loc));
  if (acc.getType() != *type) // one input of a smaller shape than declared
    return fail(node, "its inputs do not broadcast to the output shape");
  values[node.outputs[0]] = acc;
  return success();
}

/// Inference BatchNormalization is a per-channel affine map: y = x * a + c
/// with a = scale / sqrt(var + eps), c = bias - mean * a (computed in double).
/// ReduceSum, ReduceMean, ReduceMax and ReduceProd over constant axes (an
/// input of ReduceSum since opset 13, an attribute otherwise), and the others
/// as sums or maxima of elementwise ops, so that a split reduced dim needs
/// one all-reduce per sum or max: L1 = sum |x|, L2 = sqrt(sum x^2), SumSquare,
/// LogSum = log(sum x), LogSumExp = m + log(sum exp(x - m)) with m the max
/// (stable), Min = -max(-x). keepdims = 0 becomes a reshape of the result.
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
  auto sum = [&](Value v) -> Value { return ReduceSumOp::create(b, loc, keptType, v, dimsAttr); };
  auto max = [&](Value v) -> Value { return ReduceMaxOp::create(b, loc, keptType, v, dimsAttr); };
  auto square = [&](Value v) -> Value { return MulOp::create(b, loc, inType, v, v); };
  StringRef op = node.opType;
  Value reduced;
  if (op == "ReduceSum") {
    reduced = sum(*x);
  } else if (op == "ReduceMax") {
    reduced = max(*x);
  } else if (op == "ReduceMean") {
    reduced = ReduceMeanOp::create(b, loc, keptType, *x, dimsAttr, FloatAttr());
  } else if (op == "ReduceProd") {
    reduced = ReduceProdOp::create(b, loc, keptType, *x, dimsAttr);
  } else if (op == "ReduceMin") {
    reduced = NegOp::create(b, loc, max(NegOp::create(b, loc, *x)));
  } else if (op == "ReduceL1") {
    reduced = sum(AbsOp::create(b, loc, *x));
  } else if (op == "ReduceL2") {
    reduced = SqrtOp::create(b, loc, sum(square(*x)));
  } else if (op == "ReduceSumSquare") {
    reduced = sum(square(*x));
  } else if (op == "ReduceLogSum") {
    reduced = LogOp::create(b, loc, sum(*x));
  } else if (op == "ReduceLogSumExp") {
    Value top = max(*x);
    Value shifted = SubOp::create(b, loc, inType, *x, top);
    Value logSum = LogOp::create(b, loc, sum(ExpOp::create(b, loc, shifted)));
    reduced = AddOp::create(b, loc, keptType, logSum, top);
  } else {
    return fail(node, "is not a reduction Quilt knows");
  }
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
  float epsilon = floatAttr(node, "epsilon", 1e-5f);
  values[node.outputs[0]] = LayerNormOp::create(b, loc, *x, *gamma, beta,
                                                b.getI64IntegerAttr(axis),
                                                b.getF32FloatAttr(epsilon));
  bool wantsMean = node.outputs.size() > 1 && !node.outputs[1].empty();
  bool wantsInvStdDev = node.outputs.size() > 2 && !node.outputs[2].empty();
  if (!wantsMean && !wantsInvStdDev)
    return success();
  // The optional statistics, as reductions over the normalized dims (a split
  // one all-reduces): Mean, and InvStdDev = 1 / sqrt(mean((x - Mean)^2) + eps).
  SmallVector<int64_t> dims, kept(type->getShape());
  for (int64_t d = axis; d < rank; ++d) {
    dims.push_back(d);
    kept[d] = 1;
  }
  auto statType = RankedTensorType::get(kept, b.getF32Type());
  auto dimsAttr = b.getDenseI64ArrayAttr(dims);
  Value mean = ReduceMeanOp::create(b, loc, statType, *x, dimsAttr, FloatAttr());
  if (wantsMean)
    values[node.outputs[1]] = mean;
  if (wantsInvStdDev) {
    Value centered = SubOp::create(b, loc, *type, *x, mean);
    Value squared = MulOp::create(b, loc, *type, centered, centered);
    Value variance = ReduceMeanOp::create(b, loc, statType, squared, dimsAttr, FloatAttr());
    Value shifted = AddOp::create(b, loc, statType, variance, scalar(epsilon, rank, loc));
    values[node.outputs[2]] = DivOp::create(b, loc, statType, scalar(1.f, rank, loc),
                                            SqrtOp::create(b, loc, shifted));
  }
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
    // The output's type may be one the file declares against ONNX's inference.
    if (rank < std::max(ra, rw))
      return fail(node, "output '" + node.outputs[0] + "' has rank " + std::to_string(rank) +
                            ", less than its operands'");
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
  enum { kFloat = 1, kInt32 = 6, kInt64 = 7, kBool = 9, kDouble = 11 };
  if (to != kFloat && to != kDouble && to != kBool && to != kInt32 && to != kInt64)
    return fail(node, "casts a computed value to type " + std::to_string(to) +
                          "; Quilt casts computed values to float32, float64, int32, int64 and "
                          "bool only");
  auto x = input(node, 0);
  auto type = outputType(node, 0, /*boolAsMask=*/true);
  if (failed(x) || failed(type))
    return failure();
  ElementType from = ElementType::Float;
  if (auto info = graph.valueInfos.find(node.inputs[0]); info != graph.valueInfos.end())
    from = info->second.type;
  bool fromInteger = from == ElementType::Int64 || from == ElementType::Int32 ||
                     from == ElementType::Bool;
  Location loc = locOf(node);
  int64_t rank = type->getRank();
  if (to == kFloat || to == kDouble || ((to == kInt32 || to == kInt64) && fromInteger)) {
    values[node.outputs[0]] = *x;
    return success();
  }
  if (to == kInt32 || to == kInt64) {
    // Float to integer truncates toward zero: ceil below zero, floor above.
    Value negative = CompareOp::create(b, loc, *type, *x, scalar(0.f, rank, loc),
                                       ComparePredicate::Less);
    values[node.outputs[0]] = SelectOp::create(b, loc, *type, negative, CeilOp::create(b, loc, *x),
                                               FloorOp::create(b, loc, *x));
    return success();
  }
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
  // x + zeros, the zeros only as large as the dims x broadcasts along; a
  // splat, so that a huge target shape costs no memory here.
  SmallVector<int64_t> zerosShape;
  for (int64_t d = 0; d < type->getRank(); ++d)
    zerosShape.push_back(xType.getDimSize(d) == type->getDimSize(d) ? 1 : type->getDimSize(d));
  auto zerosType = RankedTensorType::get(zerosShape, b.getF32Type());
  Value zeros = ConstantOp::create(b, loc, zerosType, DenseElementsAttr::get(zerosType, 0.f));
  values[node.outputs[0]] = AddOp::create(b, loc, *type, xb, zeros);
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
  if (axis < 0 || axis >= rank)
    return fail(node, "needs an axis in range");
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
  // N-D indices gathered as one flat list: the reshape restores their dims
  // (row-major, as ONNX lays them out); a scalar index drops the axis.
  values[node.outputs[0]] = reshapeTo(gathered, type->getShape(), loc);
  return success();
}

LogicalResult Importer::importIdentity(const Node &node) {
  auto x = input(node, 0);
  if (failed(x))
    return failure();
  values[node.outputs[0]] = *x;
  return success();
}

/// Dropout at inference is the identity, and its mask all true (a float mask
/// of 1, Quilt's form of a bool tensor). Quilt compiles inference only: a
/// training mode that is true, or not known at compile time, is an error.
LogicalResult Importer::importDropout(const Node &node) {
  if (graph.opset < 7 && intAttr(node, "is_test", 0) == 0)
    return fail(node, "is_test = 0 (training mode) is not supported: Quilt compiles inference "
                      "only (export the model in eval mode)");
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const Tensor *mode = constantInput(node, 2);
    if (!mode)
      return fail(node, "training_mode '" + node.inputs[2] +
                            "' is not a compile-time constant; Quilt compiles inference only "
                            "and needs it constant false");
    bool training = llvm::any_of(mode->ints, [](int64_t v) { return v != 0; }) ||
                    llvm::any_of(mode->floats, [](float v) { return v != 0.f; });
    // Training with ratio 0 drops nothing: the identity, exactly (torchvision's
    // Swin calls F.dropout with p=0 and training left true).
    const Tensor *ratio = node.inputs.size() > 1 && !node.inputs[1].empty()
                              ? constantInput(node, 1)
                              : nullptr;
    bool dropsNothing = ratio && ratio->numElements() == 1 &&
                        (ratio->floats.empty() ? ratio->ints[0] == 0 : ratio->floats[0] == 0.f);
    if (training && !dropsNothing)
      return fail(node, "training_mode is true with a ratio that is not a constant 0; Quilt "
                        "compiles inference only (export the model in eval mode)");
  }
  if (failed(importIdentity(node)))
    return failure();
  if (node.outputs.size() < 2 || node.outputs[1].empty())
    return success();
  const std::string &mask = node.outputs[1];
  auto type = outputType(node, 1, /*boolAsMask=*/true);
  if (failed(type))
    return failure();
  values[mask] = ConstantOp::create(b, locOf(node), *type,
                                    DenseElementsAttr::get(*type, ArrayRef<float>{1.0f}));
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
        {"ArgMax", &Importer::importArgReduce},
        {"ArgMin", &Importer::importArgReduce},
        {"CumSum", &Importer::importCumSum},
        {"GatherElements", &Importer::importGatherElements},
        {"Slice", &Importer::importSlice},
        {"Einsum", &Importer::importEinsum},
        {"Split", &Importer::importSplit},
        {"Clip", &Importer::importClip},
        {"Softmax", &Importer::importSoftmax},
        {"LogSoftmax", &Importer::importSoftmax},
        {"Transpose", &Importer::importTranspose},
        {"Pad", &Importer::importPad},
        {"MaxPool", &Importer::importPool},
        {"AveragePool", &Importer::importPool},
        {"GlobalAveragePool", &Importer::importGlobalAveragePool},
        {"GlobalMaxPool", &Importer::importGlobalMaxPool},
        {"Tile", &Importer::importTile},
        {"Trilu", &Importer::importTrilu},
        {"DepthToSpace", &Importer::importDepthSpace},
        {"SpaceToDepth", &Importer::importDepthSpace},
        {"Sum", &Importer::importSumMean},
        {"Mean", &Importer::importSumMean},
        {"ReduceSum", &Importer::importReduce},
        {"ReduceMean", &Importer::importReduce},
        {"ReduceMax", &Importer::importReduce},
        {"ReduceMin", &Importer::importReduce},
        {"ReduceProd", &Importer::importReduce},
        {"ReduceL1", &Importer::importReduce},
        {"ReduceL2", &Importer::importReduce},
        {"ReduceSumSquare", &Importer::importReduce},
        {"ReduceLogSum", &Importer::importReduce},
        {"ReduceLogSumExp", &Importer::importReduce},
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
        {"Dropout", &Importer::importDropout},
        {"Constant", &Importer::importConstant},
    };
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

/// Every node whose op Quilt does not compile, in one line: grouped by op
/// (a model may hold hundreds of one op), in the order ops first appear.
bool checkSupportedOps(const Graph &graph, std::string &error) {
  struct Group {
    std::string op;
    std::string first;
    size_t count = 0;
  };
  std::vector<Group> groups;
  size_t total = 0;
  for (const Node &node : graph.nodes) {
    bool known = handlers().count(node.opType) || isEvaluableOp(node.opType);
    if (!node.domain.empty() && node.domain != "ai.onnx")
      known = false;
    if (known)
      continue;
    std::string op = node.opType;
    if (!node.domain.empty() && node.domain != "ai.onnx")
      op += " of domain '" + node.domain + "'";
    auto group = llvm::find_if(groups, [&](const Group &g) { return g.op == op; });
    if (group == groups.end())
      group = groups.insert(groups.end(), {op, node.name});
    ++group->count;
    ++total;
  }
  if (groups.empty())
    return checkWindowAttributes(graph, error);
  constexpr size_t kListed = 12;
  error = std::to_string(total) + " unsupported op" + (total > 1 ? "s" : "") + ": ";
  for (size_t i = 0; i < groups.size() && i < kListed; ++i) {
    const Group &g = groups[i];
    error += (i ? ", " : "") + g.op +
             (g.count == 1 ? " (node '" + g.first + "')"
                           : " x " + std::to_string(g.count) + " (first '" + g.first + "')");
  }
  if (groups.size() > kListed)
    error += ", and " + std::to_string(groups.size() - kListed) + " more op types";
  error += "; opset " + std::to_string(graph.opset);
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
  std::map<std::string, std::vector<std::string>> widened;
  for (const auto &[name, tensor] : graph.initializers) {
    constants[name] = tensor;
    if (!tensor.widenedFrom.empty())
      widened[tensor.widenedFrom].push_back(name);
  }
  for (const auto &[from, names] : widened)
    emitRemark(fileLoc) << names.size() << " " << from << " initializer"
                        << (names.size() > 1 ? "s" : "") << " widened to float32 at import (first '"
                        << names.front() << "'); Quilt computes in float32";

  SmallVector<Type> argTypes;
  for (const ValueInfo &in : graph.inputs) {
    if (in.type == ElementType::Other) {
      errorOut = file + ": input '" + in.name + "' is " + elementTypeName(in.type) +
                 "; inputs may be float32, float64, int64, int32 or bool";
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
    // Quilt computes in float32; the runtime converts at the edge.
    if (in.type != ElementType::Float)
      func.setArgAttr(i, "quilt.dtype", b.getStringAttr(elementTypeName(in.type)));
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
    if (out.type == ElementType::Other) {
      errorOut = file + ": output '" + out.name + "' is " + elementTypeName(out.type) +
                 "; outputs may be float32, float64, int64, int32 or bool";
      return nullptr;
    }
    auto it = values.find(out.name);
    if (it != values.end()) {
      results.push_back(it->second);
      continue;
    }
    // An output the model computes from constants alone is a constant.
    auto constant = constants.find(out.name);
    if (constant == constants.end()) {
      errorOut = file + ": output '" + out.name + "' is never computed";
      return nullptr;
    }
    results.push_back(materialize(constant->second, fileLoc));
  }
  // An output that is an input, a constant or another output gets its own
  // buffer: a copy (a reshape to its own shape).
  llvm::SmallPtrSet<Value, 8> returned;
  for (Value &result : results) {
    bool ownBuffer = !isa<BlockArgument>(result) && !result.getDefiningOp<ConstantOp>() &&
                     returned.insert(result).second;
    if (!ownBuffer)
      result = ReshapeOp::create(b, fileLoc, result.getType(), result);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.outputs)) {
    func.setResultAttr(i, "quilt.name", b.getStringAttr(out.name));
    if (out.type != ElementType::Float)
      func.setResultAttr(i, "quilt.dtype", b.getStringAttr(elementTypeName(out.type)));
  }
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
