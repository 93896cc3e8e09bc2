//===- Elementwise.cpp - Elementwise ops ----------------------------------===//
//
// The one-to-one elementwise ops come from two tables (unary with their
// attributes, binary); Clip, Cast, comparisons, logic, Where, variadic
// Sum/Mean/Max/Min, Identity and Dropout build a few quilt ops each.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"
#include "quilt/dtypes.h"

#include <optional>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// Elementwise ONNX ops that map one-to-one onto a quilt op: its builder, the
/// ONNX attributes the op carries (under the same names, float or int) with
/// their ONNX defaults, and whether its output is a bool (a predicate: a float
/// mask of 0 and 1). Adding such an op is one entry here (and its ODS def and
/// runtime kind: dialects/Quilt/IR/QuiltOps.td).
struct UnaryEntry {
  Value (*build)(OpBuilder &, Location, Value, ArrayRef<NamedAttribute>);
  std::vector<std::pair<const char *, float>> params = {};
  bool predicate = false;
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
      {"Round", {buildUnary<RoundOp>}},
      {"Sin", {buildUnary<SinOp>}},
      {"Cos", {buildUnary<CosOp>}},
      {"Tan", {buildUnary<TanOp>}},
      {"Asin", {buildUnary<AsinOp>}},
      {"Acos", {buildUnary<AcosOp>}},
      {"Atan", {buildUnary<AtanOp>}},
      {"Sinh", {buildUnary<SinhOp>}},
      {"Cosh", {buildUnary<CoshOp>}},
      {"Asinh", {buildUnary<AsinhOp>}},
      {"Acosh", {buildUnary<AcoshOp>}},
      {"Atanh", {buildUnary<AtanhOp>}},
      {"Shrink", {buildUnary<ShrinkOp>, {{"lambd", 0.5f}, {"bias", 0.0f}}}},
      {"IsNaN", {buildUnary<IsNanOp>, {}, /*predicate=*/true}},
      {"IsInf",
       {buildUnary<IsInfOp>, {{"detect_negative", 1.0f}, {"detect_positive", 1.0f}},
        /*predicate=*/true}}};
  return builders;
}
static const llvm::StringMap<BinaryBuilder> &binaryBuilders() {
  static const llvm::StringMap<BinaryBuilder> builders = {
      {"Add", buildBinary<AddOp>}, {"Sub", buildBinary<SubOp>},    {"Mul", buildBinary<MulOp>},
      {"Div", buildBinary<DivOp>}, {"Pow", buildBinary<PowOp>},    {"Max", buildBinary<MaxOp>},
      {"Min", buildBinary<MinOp>}, {"PRelu", buildBinary<PReluOp>}, {"Mod", buildBinary<ModOp>}};
  return builders;
}

/// A float attribute, or an int one (IsInf's detect_negative) as a float.
static float numberAttr(const Node &node, const char *name, float dflt) {
  auto it = node.attributes.find(name);
  if (it == node.attributes.end())
    return dflt;
  return it->second.kind == onnx_model::Attribute::Int ? (float)it->second.i : it->second.f;
}

/// The ONNX dtype of value `name` (float32 when unknown).
static ElementType dtypeOf(Importer &im, const std::string &name) {
  if (auto c = im.constants.find(name); c != im.constants.end())
    return c->second.type;
  if (auto info = im.graph.valueInfos.find(name); info != im.graph.valueInfos.end())
    return info->second.type;
  return ElementType::Float;
}

/// x truncated toward zero (ONNX's float to integer conversion): ceil below
/// zero, floor above.
static Value truncateTowardZero(Importer &im, Location loc, RankedTensorType type, Value x) {
  Value negative = CompareOp::create(im.b, loc, type, x, im.scalar(0.f, type.getRank(), loc),
                                     ComparePredicate::Less);
  return SelectOp::create(im.b, loc, type, negative, CeilOp::create(im.b, loc, x),
                          FloorOp::create(im.b, loc, x));
}

/// The inputs of a variadic op combined left to right by `combine`, with
/// numpy broadcasting: each step has the broadcast shape of its two operands.
/// One input is itself.
static FailureOr<Value>
chainInputs(Importer &im, const Node &node, int64_t rank,
            function_ref<Value(Location, RankedTensorType, Value, Value)> combine) {
  Location loc = im.locOf(node);
  Value acc;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    auto x = im.input(node, i);
    if (failed(x))
      return failure();
    Value v = im.broadcastRank(*x, rank, loc);
    if (!acc) {
      acc = v;
      continue;
    }
    auto lt = cast<RankedTensorType>(acc.getType()), rt = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(std::max(lt.getDimSize(d), rt.getDimSize(d)));
    acc = combine(loc, RankedTensorType::get(shape, im.b.getF32Type()), acc, v);
  }
  if (!acc)
    return im.fail(node, "has no inputs");
  return acc;
}

static LogicalResult importUnary(Importer &im, const Node &node) {
  const UnaryEntry &entry = unaryBuilders().find(node.opType)->second;
  auto x = im.input(node, 0);
  auto type = im.outputType(node, 0, /*boolAsMask=*/entry.predicate);
  if (failed(x) || failed(type))
    return failure();
  SmallVector<NamedAttribute, 2> attrs;
  for (auto [name, dflt] : entry.params)
    attrs.push_back(im.b.getNamedAttr(name, im.b.getF32FloatAttr(numberAttr(node, name, dflt))));
  im.values[node.outputs[0]] = entry.build(im.b, im.locOf(node), *x, attrs);
  return success();
}

/// Max and Min of one input (the input itself) or of more than two (a chain).
static LogicalResult importMaxMinChain(Importer &im, const Node &node) {
  auto type = im.outputType(node);
  if (failed(type))
    return failure();
  BinaryBuilder build = binaryBuilders().lookup(node.opType);
  auto acc = chainInputs(im, node, type->getRank(),
                         [&](Location loc, RankedTensorType t, Value l, Value r) {
                           return build(im.b, loc, t, l, r);
                         });
  if (failed(acc))
    return failure();
  if (acc->getType() != *type)
    return im.fail(node, "its inputs do not broadcast to the output shape");
  im.values[node.outputs[0]] = *acc;
  return success();
}

static LogicalResult importBinary(Importer &im, const Node &node) {
  if ((node.opType == "Max" || node.opType == "Min") && node.inputs.size() != 2)
    return importMaxMinChain(im, node);
  // Mod: the remainder takes the divisor's sign, or with fmod=1 the
  // dividend's (C's fmod); ONNX defines the first on integers only.
  bool fmod = node.opType == "Mod" && im.intAttr(node, "fmod", 0) != 0;
  if (node.opType == "Mod" && !fmod && isFloatType(dtypeOf(im, node.inputs[0])))
    return im.fail(node, "fmod=0 is defined on integers only; a Mod of floats needs fmod=1");
  auto lhs = im.input(node, 0), rhs = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  Location loc = im.locOf(node);
  Value l = im.broadcastRank(*lhs, type->getRank(), loc);
  Value r = im.broadcastRank(*rhs, type->getRank(), loc);
  // PRelu broadcasts the slope to the input only (unidirectionally).
  if (node.opType == "PRelu") {
    auto x = cast<RankedTensorType>(l.getType()), slope = cast<RankedTensorType>(r.getType());
    if (x != *type || slope.getRank() != x.getRank())
      return im.fail(node, "the slope does not broadcast to the input's shape");
    for (int64_t d = 0; d < x.getRank(); ++d)
      if (slope.getDimSize(d) != 1 && slope.getDimSize(d) != x.getDimSize(d))
        return im.fail(node, "the slope does not broadcast to the input's shape");
  }
  BinaryBuilder build = fmod ? buildBinary<FmodOp> : binaryBuilders().lookup(node.opType);
  Value out = build(im.b, loc, *type, l, r);
  // An integer power rides in float32: rounded to the integer the kernel's
  // powf approximates (exact while small); with a float exponent truncated
  // toward zero, as ONNX Runtime casts the power to the integer type.
  if (node.opType == "Pow" && isIntegerType(dtypeOf(im, node.outputs[0])))
    out = isFloatType(dtypeOf(im, node.inputs[1])) ? truncateTowardZero(im, loc, *type, out)
                                                    : RoundOp::create(im.b, loc, out).getResult();
  im.values[node.outputs[0]] = out;
  return success();
}

/// BitShift of unsigned integers carried in float32: LEFT is x * 2^y, RIGHT
/// floor(x / 2^y), with 2^y rounded (exact). Exact while the values stay
/// below 2^24; like Mul, a left shift past the type's width wraps only where
/// an output is written.
static LogicalResult importBitShift(Importer &im, const Node &node) {
  std::string direction = im.stringAttr(node, "direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return im.fail(node, "direction '" + direction + "' is neither LEFT nor RIGHT");
  auto lhs = im.input(node, 0), rhs = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  Value x = im.broadcastRank(*lhs, rank, loc), y = im.broadcastRank(*rhs, rank, loc);
  auto yType = cast<RankedTensorType>(y.getType());
  Value power = PowOp::create(im.b, loc, yType, im.scalar(2.f, rank, loc), y);
  Value scale = RoundOp::create(im.b, loc, power);
  im.values[node.outputs[0]] =
      direction == "LEFT"
          ? MulOp::create(im.b, loc, *type, x, scale).getResult()
          : FloorOp::create(im.b, loc, DivOp::create(im.b, loc, *type, x, scale)).getResult();
  return success();
}

/// Clip(x, lo, hi) = min(max(x, lo), hi) with constant bounds (inputs since
/// opset 11, attributes before); an absent bound is no bound.
static LogicalResult importClip(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  Location loc = im.locOf(node);
  Value out = *x;
  for (int bound = 0; bound < 2; ++bound) {
    std::optional<float> limit;
    const char *name = bound == 0 ? "min" : "max";
    if (node.attributes.count(name))
      limit = im.floatAttr(node, name, 0);
    if ((size_t)bound + 1 < node.inputs.size() && !node.inputs[bound + 1].empty()) {
      const Tensor *t = im.constantInput(node, bound + 1);
      if (!t || (isFloatType(t->type) ? t->floats.size() : t->ints.size()) != 1)
        return im.fail(node, std::string("the ") + name + " bound must be a constant scalar");
      limit = isFloatType(t->type) ? t->floats[0] : static_cast<float>(t->ints[0]);
    }
    if (!limit)
      continue;
    Tensor splat;
    splat.type = ElementType::Float;
    splat.dims.assign(type->getRank(), 1);
    splat.floats = {*limit};
    Value c = im.materialize(splat, loc);
    out = bound == 0 ? MaxOp::create(im.b, loc, *type, out, c).getResult()
                     : MinOp::create(im.b, loc, *type, out, c).getResult();
  }
  im.values[node.outputs[0]] = out;
  return success();
}

/// Sum and Mean of any number of inputs, with numpy broadcasting: a chain of
/// adds (Mean then divides by n, as ONNX Runtime does).
static LogicalResult importSumMean(Importer &im, const Node &node) {
  auto type = im.outputType(node);
  if (failed(type))
    return failure();
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  auto sum = chainInputs(im, node, rank, [&](Location l, RankedTensorType t, Value a, Value b) {
    return AddOp::create(im.b, l, t, a, b).getResult();
  });
  if (failed(sum))
    return failure();
  Value acc = *sum;
  if (node.opType == "Mean" && node.inputs.size() > 1)
    acc = DivOp::create(im.b, loc, cast<RankedTensorType>(acc.getType()), acc,
                        im.scalar((float)node.inputs.size(), rank, loc));
  if (acc.getType() != *type) // one input of a smaller shape than declared
    return im.fail(node, "its inputs do not broadcast to the output shape");
  im.values[node.outputs[0]] = acc;
  return success();
}

static LogicalResult importCast(Importer &im, const Node &node) {
  // Constant casts fold at import. Quilt computes in float32 and carries
  // bools as float masks: a cast to float keeps the value (a mask is already
  // 0/1; float16 and float64 compute at float32 precision, an output rounds
  // at the edge), a cast to bool is x != 0, i.e. 1 - (x == 0) (NaN is true).
  // Casts to integers truncate; between integer types they keep the value
  // (an output wraps into its type where it is written).
  int64_t to = im.intAttr(node, "to", 0);
  enum {
    kFloat = 1, kUInt8 = 2, kInt8 = 3, kUInt16 = 4, kInt16 = 5, kInt32 = 6, kInt64 = 7,
    kBool = 9, kFloat16 = 10, kDouble = 11, kUInt32 = 12, kUInt64 = 13
  };
  bool toFloat = to == kFloat || to == kDouble || to == kFloat16;
  bool toInteger = to == kUInt8 || to == kInt8 || to == kUInt16 || to == kInt16 ||
                   to == kInt32 || to == kInt64 || to == kUInt32 || to == kUInt64;
  if (!toFloat && !toInteger && to != kBool)
    return im.fail(node, "casts a computed value to type " + std::to_string(to) +
                             "; Quilt casts computed values to " + dtypeNameList() + " only");
  auto x = im.input(node, 0);
  auto type = im.outputType(node, 0, /*boolAsMask=*/true);
  if (failed(x) || failed(type))
    return failure();
  ElementType from = ElementType::Float;
  if (auto info = im.graph.valueInfos.find(node.inputs[0]); info != im.graph.valueInfos.end())
    from = info->second.type;
  bool fromInteger = isIntegerType(from) || from == ElementType::Bool;
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  if (toFloat || (toInteger && fromInteger)) {
    im.values[node.outputs[0]] = *x;
    return success();
  }
  if (toInteger) {
    im.values[node.outputs[0]] = truncateTowardZero(im, loc, *type, *x);
    return success();
  }
  Value zero =
      CompareOp::create(im.b, loc, *type, *x, im.scalar(0.f, rank, loc), ComparePredicate::Equal);
  im.values[node.outputs[0]] = SubOp::create(im.b, loc, *type, im.scalar(1.f, rank, loc), zero);
  return success();
}

/// Less, LessOrEqual, Greater, GreaterOrEqual, Equal: a float mask.
static LogicalResult importCompare(Importer &im, const Node &node) {
  auto lhs = im.input(node, 0), rhs = im.input(node, 1);
  auto type = im.outputType(node, 0, /*boolAsMask=*/true);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  auto predicate = llvm::StringSwitch<ComparePredicate>(node.opType)
                       .Case("Less", ComparePredicate::Less)
                       .Case("LessOrEqual", ComparePredicate::LessEqual)
                       .Case("Greater", ComparePredicate::Greater)
                       .Case("GreaterOrEqual", ComparePredicate::GreaterEqual)
                       .Default(ComparePredicate::Equal);
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  im.values[node.outputs[0]] =
      CompareOp::create(im.b, loc, *type, im.broadcastRank(*lhs, rank, loc),
                        im.broadcastRank(*rhs, rank, loc), predicate);
  return success();
}

/// And, Or, Xor, Not on float masks: quilt.logic (mask arithmetic once
/// quilt-decompose has run).
static LogicalResult importLogic(Importer &im, const Node &node) {
  auto type = im.outputType(node, 0, /*boolAsMask=*/true);
  auto x = im.input(node, 0);
  if (failed(type) || failed(x))
    return failure();
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  SmallVector<Value, 2> operands{im.broadcastRank(*x, rank, loc)};
  auto kind = llvm::StringSwitch<LogicKind>(node.opType)
                  .Case("And", LogicKind::And)
                  .Case("Or", LogicKind::Or)
                  .Case("Xor", LogicKind::Xor)
                  .Default(LogicKind::Not);
  if (kind != LogicKind::Not) {
    auto y = im.input(node, 1);
    if (failed(y))
      return failure();
    operands.push_back(im.broadcastRank(*y, rank, loc));
  }
  im.values[node.outputs[0]] = LogicOp::create(im.b, loc, *type, kind, operands);
  return success();
}

static LogicalResult importWhere(Importer &im, const Node &node) {
  auto lhs = im.input(node, 1), rhs = im.input(node, 2);
  auto type = im.outputType(node);
  if (failed(lhs) || failed(rhs) || failed(type))
    return failure();
  Location loc = im.locOf(node);
  // A constant condition becomes a constant mask; a computed one is a mask
  // already (quilt.compare and mask arithmetic).
  Value mask;
  if (const Tensor *condition = im.constantInput(node, 0)) {
    Tensor constantMask = *condition;
    constantMask.type = ElementType::Float;
    if (constantMask.floats.empty())
      for (int64_t v : condition->ints)
        constantMask.floats.push_back(v != 0 ? 1.f : 0.f);
    mask = im.materialize(constantMask, loc);
  } else {
    auto computed = im.input(node, 0);
    if (failed(computed))
      return failure();
    mask = *computed;
  }
  int64_t rank = type->getRank();
  im.values[node.outputs[0]] =
      SelectOp::create(im.b, loc, *type, im.broadcastRank(mask, rank, loc),
                       im.broadcastRank(*lhs, rank, loc), im.broadcastRank(*rhs, rank, loc));
  return success();
}

static LogicalResult importIdentity(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  if (failed(x))
    return failure();
  im.values[node.outputs[0]] = *x;
  return success();
}

/// Dropout at inference is the identity, and its mask all true (a float mask
/// of 1, Quilt's form of a bool tensor). Quilt compiles inference only: a
/// training mode that is true, or not known at compile time, is an error.
static LogicalResult importDropout(Importer &im, const Node &node) {
  if (im.graph.opset < 7 && im.intAttr(node, "is_test", 0) == 0)
    return im.fail(node, "is_test = 0 (training mode) is not supported: Quilt compiles inference "
                         "only (export the model in eval mode)");
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    const Tensor *mode = im.constantInput(node, 2);
    if (!mode)
      return im.fail(node, "training_mode '" + node.inputs[2] +
                               "' is not a compile-time constant; Quilt compiles inference only "
                               "and needs it constant false");
    bool training = llvm::any_of(mode->ints, [](int64_t v) { return v != 0; }) ||
                    llvm::any_of(mode->floats, [](float v) { return v != 0.f; });
    // Training with ratio 0 drops nothing: the identity, exactly (torchvision's
    // Swin calls F.dropout with p=0 and training left true).
    const Tensor *ratio =
        node.inputs.size() > 1 && !node.inputs[1].empty() ? im.constantInput(node, 1) : nullptr;
    bool dropsNothing = ratio && ratio->numElements() == 1 &&
                        (ratio->floats.empty() ? ratio->ints[0] == 0 : ratio->floats[0] == 0.f);
    if (training && !dropsNothing)
      return im.fail(node, "training_mode is true with a ratio that is not a constant 0; Quilt "
                           "compiles inference only (export the model in eval mode)");
  }
  if (failed(importIdentity(im, node)))
    return failure();
  if (node.outputs.size() < 2 || node.outputs[1].empty())
    return success();
  const std::string &mask = node.outputs[1];
  auto type = im.outputType(node, 1, /*boolAsMask=*/true);
  if (failed(type))
    return failure();
  im.values[mask] = ConstantOp::create(im.b, im.locOf(node), *type,
                                       DenseElementsAttr::get(*type, ArrayRef<float>{1.0f}));
  return success();
}

void quilt::importer::registerElementwiseImporters(OpImporterTable &table) {
  table.add("Clip", importClip);
  table.add("Cast", importCast, /*sinceOpset=*/6);
  table.add("Less", importCompare, /*sinceOpset=*/7);
  table.add("LessOrEqual", importCompare, /*sinceOpset=*/7);
  table.add("Greater", importCompare, /*sinceOpset=*/7);
  table.add("GreaterOrEqual", importCompare, /*sinceOpset=*/7);
  table.add("Equal", importCompare, /*sinceOpset=*/7);
  table.add("And", importLogic, /*sinceOpset=*/7);
  table.add("Or", importLogic, /*sinceOpset=*/7);
  table.add("Xor", importLogic, /*sinceOpset=*/7);
  table.add("Not", importLogic);
  table.add("Where", importWhere);
  table.add("BitShift", importBitShift, /*sinceOpset=*/11);
  table.add("Sum", importSumMean);
  table.add("Mean", importSumMean);
  table.add("Identity", importIdentity);
  table.add("Dropout", importDropout);
  // Binary ops broadcast like numpy from opset 7 (a `broadcast` attribute before).
  for (const auto &entry : unaryBuilders())
    table.add(entry.getKey(), importUnary);
  for (const auto &entry : binaryBuilders())
    table.add(entry.getKey(), importBinary, /*sinceOpset=*/7);
}
