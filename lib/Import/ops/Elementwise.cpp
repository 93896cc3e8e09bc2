//===- Elementwise.cpp - Elementwise ops ----------------------------------===//
//
// The one-to-one elementwise ops come from two tables (unary with their
// attributes, binary); Clip, Cast, comparisons, logic, Where, variadic
// Sum/Mean, Identity and Dropout build a few quilt ops each.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include <optional>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

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
      {"Add", buildBinary<AddOp>}, {"Sub", buildBinary<SubOp>},    {"Mul", buildBinary<MulOp>},
      {"Div", buildBinary<DivOp>}, {"Pow", buildBinary<PowOp>},    {"Max", buildBinary<MaxOp>},
      {"Min", buildBinary<MinOp>}, {"PRelu", buildBinary<PReluOp>}};
  return builders;
}

static LogicalResult importUnary(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  const UnaryEntry &entry = unaryBuilders().find(node.opType)->second;
  SmallVector<NamedAttribute, 2> attrs;
  for (auto [name, dflt] : entry.params)
    attrs.push_back(im.b.getNamedAttr(name, im.b.getF32FloatAttr(im.floatAttr(node, name, dflt))));
  im.values[node.outputs[0]] = entry.build(im.b, im.locOf(node), *x, attrs);
  return success();
}

static LogicalResult importBinary(Importer &im, const Node &node) {
  if ((node.opType == "Max" || node.opType == "Min") && node.inputs.size() != 2)
    return im.fail(node, "only the two-input form is supported");
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
  im.values[node.outputs[0]] = binaryBuilders().lookup(node.opType)(im.b, loc, *type, l, r);
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
      if (!t || t->floats.size() != 1)
        return im.fail(node, std::string("the ") + name + " bound must be a constant scalar");
      limit = t->floats[0];
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
    // Intermediate sums broadcast to the shape of both operands.
    auto lt = cast<RankedTensorType>(acc.getType()), rt = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      shape.push_back(std::max(lt.getDimSize(d), rt.getDimSize(d)));
    acc = AddOp::create(im.b, loc, RankedTensorType::get(shape, im.b.getF32Type()), acc, v);
  }
  if (!acc)
    return im.fail(node, "has no inputs");
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
  // 0/1), a cast to bool is x != 0, i.e. 1 - (x == 0) (NaN is true).
  int64_t to = im.intAttr(node, "to", 0);
  enum { kFloat = 1, kInt32 = 6, kInt64 = 7, kBool = 9, kDouble = 11 };
  if (to != kFloat && to != kDouble && to != kBool && to != kInt32 && to != kInt64)
    return im.fail(node, "casts a computed value to type " + std::to_string(to) +
                             "; Quilt casts computed values to float32, float64, int32, int64 and "
                             "bool only");
  auto x = im.input(node, 0);
  auto type = im.outputType(node, 0, /*boolAsMask=*/true);
  if (failed(x) || failed(type))
    return failure();
  ElementType from = ElementType::Float;
  if (auto info = im.graph.valueInfos.find(node.inputs[0]); info != im.graph.valueInfos.end())
    from = info->second.type;
  bool fromInteger =
      from == ElementType::Int64 || from == ElementType::Int32 || from == ElementType::Bool;
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  if (to == kFloat || to == kDouble || ((to == kInt32 || to == kInt64) && fromInteger)) {
    im.values[node.outputs[0]] = *x;
    return success();
  }
  if (to == kInt32 || to == kInt64) {
    // Float to integer truncates toward zero: ceil below zero, floor above.
    Value negative =
        CompareOp::create(im.b, loc, *type, *x, im.scalar(0.f, rank, loc), ComparePredicate::Less);
    im.values[node.outputs[0]] = SelectOp::create(
        im.b, loc, *type, negative, CeilOp::create(im.b, loc, *x), FloorOp::create(im.b, loc, *x));
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

/// And, Or, Xor, Not on float masks: mask arithmetic.
static LogicalResult importLogic(Importer &im, const Node &node) {
  auto type = im.outputType(node, 0, /*boolAsMask=*/true);
  auto x = im.input(node, 0);
  if (failed(type) || failed(x))
    return failure();
  Location loc = im.locOf(node);
  int64_t rank = type->getRank();
  Value l = im.broadcastRank(*x, rank, loc);
  if (node.opType == "Not") {
    im.values[node.outputs[0]] = SubOp::create(im.b, loc, *type, im.scalar(1.f, rank, loc), l);
    return success();
  }
  auto y = im.input(node, 1);
  if (failed(y))
    return failure();
  Value r = im.broadcastRank(*y, rank, loc);
  Value out;
  if (node.opType == "And")
    out = MulOp::create(im.b, loc, *type, l, r);
  else if (node.opType == "Or")
    out = MaxOp::create(im.b, loc, *type, l, r);
  else
    out = AbsOp::create(im.b, loc, SubOp::create(im.b, loc, *type, l, r));
  im.values[node.outputs[0]] = out;
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
