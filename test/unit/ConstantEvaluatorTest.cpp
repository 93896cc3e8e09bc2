//===- ConstantEvaluatorTest.cpp - import-time evaluation of ONNX nodes ----===//
//
// Each case is worked by hand from the ONNX operator specification (and, for
// the Swin mask pattern, numpy).
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/ConstantEvaluator.h"
#include "quilt/Import/ShapeInference.h"
#include "quilt/unary_functions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace quilt::onnx_model;

namespace {

Tensor ints(std::vector<int64_t> dims, std::vector<int64_t> values,
            ElementType type = ElementType::Int64) {
  Tensor t;
  t.type = type;
  t.dims = std::move(dims);
  t.ints = std::move(values);
  return t;
}

Tensor floats(std::vector<int64_t> dims, std::vector<float> values) {
  Tensor t;
  t.type = ElementType::Float;
  t.dims = std::move(dims);
  t.floats = std::move(values);
  return t;
}

Tensor doubles(std::vector<int64_t> dims, std::vector<double> values) {
  Tensor t;
  t.type = ElementType::Double;
  t.dims = std::move(dims);
  t.doubles = values;
  t.floats.assign(values.begin(), values.end());
  return t;
}

/// Evaluates one node over named constants and shapes.
struct Fixture {
  std::map<std::string, Tensor> constants;
  std::map<std::string, std::vector<int64_t>> shapes;
  int64_t opset = 17;

  std::optional<std::vector<Tensor>> eval(const std::string &op, std::vector<std::string> inputs,
                                          std::map<std::string, Attribute> attrs = {},
                                          size_t outputs = 1) {
    Node node;
    node.name = "n";
    node.opType = op;
    node.inputs = std::move(inputs);
    for (size_t i = 0; i < outputs; ++i)
      node.outputs.push_back("out" + std::to_string(i));
    node.attributes = std::move(attrs);
    return evaluateNode(
        node, opset,
        [&](const std::string &name) -> const Tensor * {
          auto it = constants.find(name);
          return it == constants.end() ? nullptr : &it->second;
        },
        [&](const std::string &name) -> std::optional<std::vector<int64_t>> {
          auto it = shapes.find(name);
          return it == shapes.end() ? std::nullopt : std::optional(it->second);
        });
  }
  Tensor one(const std::string &op, std::vector<std::string> inputs,
             std::map<std::string, Attribute> attrs = {}) {
    auto r = eval(op, std::move(inputs), std::move(attrs));
    EXPECT_TRUE(r.has_value()) << op;
    return r ? (*r)[0] : Tensor();
  }
};

Attribute intAttr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Int;
  a.i = v;
  return a;
}
Attribute intsAttr(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Ints;
  a.ints = std::move(v);
  return a;
}
Attribute tensorAttr(Tensor t) {
  Attribute a;
  a.kind = Attribute::TensorValue;
  a.t = std::move(t);
  return a;
}

TEST(ConstantEvaluator, ShapeSizeAndShapeArithmetic) {
  Fixture f;
  f.shapes["x"] = {2, 3, 56, 56};
  Tensor shape = f.one("Shape", {"x"});
  EXPECT_EQ(shape.type, ElementType::Int64);
  EXPECT_EQ(shape.dims, (std::vector<int64_t>{4}));
  EXPECT_EQ(shape.ints, (std::vector<int64_t>{2, 3, 56, 56}));
  Tensor tail = f.one("Shape", {"x"}, {{"start", intAttr(-2)}});
  EXPECT_EQ(tail.ints, (std::vector<int64_t>{56, 56}));
  EXPECT_EQ(f.one("Size", {"x"}).ints, (std::vector<int64_t>{2 * 3 * 56 * 56}));
  f.constants["s"] = shape;
  f.constants["i"] = ints({}, {-1});
  Tensor last = f.one("Gather", {"s", "i"});
  EXPECT_TRUE(last.dims.empty());
  EXPECT_EQ(last.ints, (std::vector<int64_t>{56}));
  f.constants["seven"] = ints({}, {7});
  f.constants["last"] = last;
  EXPECT_EQ(f.one("Div", {"last", "seven"}).ints, (std::vector<int64_t>{8}));
  // Unknown shapes and non-constant inputs do not fold.
  f.shapes["y"] = {2, -1};
  EXPECT_FALSE(f.eval("Shape", {"y"}).has_value());
  EXPECT_FALSE(f.eval("Add", {"s", "unknown"}).has_value());
}

TEST(ConstantEvaluator, IntegerDivisionAndModFollowOnnxRuntime) {
  Fixture f;
  f.constants["a"] = ints({4}, {7, -7, 7, -7});
  f.constants["b"] = ints({4}, {3, 3, -3, -3});
  EXPECT_EQ(f.one("Div", {"a", "b"}).ints, (std::vector<int64_t>{2, -2, -2, 2}));
  // Mod takes the divisor's sign (Python); fmod=1 the dividend's (C).
  EXPECT_EQ(f.one("Mod", {"a", "b"}).ints, (std::vector<int64_t>{1, 2, -2, -1}));
  EXPECT_EQ(f.one("Mod", {"a", "b"}, {{"fmod", intAttr(1)}}).ints,
            (std::vector<int64_t>{1, -1, 1, -1}));
  f.constants["zero"] = ints({}, {0});
  EXPECT_FALSE(f.eval("Div", {"a", "zero"}).has_value()) << "division by zero stays in the graph";
}

TEST(ConstantEvaluator, FloatResultsRoundToFloat32) {
  Fixture f;
  f.constants["x"] = floats({2}, {1.0f, 3.0f});
  f.constants["y"] = floats({}, {3.0f});
  Tensor q = f.one("Div", {"x", "y"});
  EXPECT_EQ(q.type, ElementType::Float);
  EXPECT_EQ(q.floats[0], 1.0f / 3.0f);
  // float64 keeps its precision.
  f.constants["dx"] = doubles({1}, {1.0});
  f.constants["dy"] = doubles({}, {3.0});
  Tensor d = f.one("Div", {"dx", "dy"});
  EXPECT_EQ(d.type, ElementType::Double);
  ASSERT_EQ(d.doubles.size(), 1u);
  EXPECT_EQ(d.doubles[0], 1.0 / 3.0);
  f.constants["r"] = floats({4}, {0.5f, 1.5f, 2.5f, -0.5f});
  EXPECT_EQ(f.one("Round", {"r"}).floats, (std::vector<float>{0, 2, 2, -0.0f}));
  // Mixing dtypes is invalid ONNX: left for the importer to report.
  EXPECT_FALSE(f.eval("Add", {"x", "dx"}).has_value());
}

Attribute floatAttr(float v) {
  Attribute a;
  a.kind = Attribute::Float;
  a.f = v;
  return a;
}

// A folded unary op is the runtime kernel's own function: float32 computed
// in float (sinf, not sin rounded), float64 in double.
TEST(ConstantEvaluator, UnaryFoldsWithTheRuntimeKernelFunctions) {
  namespace um = quilt::unary_math;
  Fixture f;
  std::vector<float> x = {0.1f, 0.7f, -0.3f, 1e-3f, 0.95f, -0.999f};
  f.constants["x"] = floats({6}, x);
  std::vector<double> xd(x.begin(), x.end());
  f.constants["xd"] = doubles({6}, xd);
  const std::vector<std::pair<std::string, int64_t>> kinds = {
      {"Sin", QUILT_UNARY_SIN},     {"Cos", QUILT_UNARY_COS},     {"Tan", QUILT_UNARY_TAN},
      {"Asin", QUILT_UNARY_ASIN},   {"Acos", QUILT_UNARY_ACOS},   {"Atan", QUILT_UNARY_ATAN},
      {"Sinh", QUILT_UNARY_SINH},   {"Cosh", QUILT_UNARY_COSH},   {"Asinh", QUILT_UNARY_ASINH},
      {"Atanh", QUILT_UNARY_ATANH}, {"Exp", QUILT_UNARY_EXP},     {"Erf", QUILT_UNARY_ERF},
      {"Tanh", QUILT_UNARY_TANH},   {"Sigmoid", QUILT_UNARY_SIGMOID}};
  for (const auto &[op, kind] : kinds) {
    Tensor single = f.one(op, {"x"});
    Tensor dbl = f.one(op, {"xd"});
    ASSERT_EQ(single.type, ElementType::Float) << op;
    ASSERT_EQ(dbl.type, ElementType::Double) << op;
    ASSERT_EQ(single.floats.size(), x.size()) << op;
    ASSERT_EQ(dbl.doubles.size(), x.size()) << op;
    for (size_t i = 0; i < x.size(); ++i)
      um::withKind(kind, [&](auto k) {
        constexpr int64_t K = decltype(k)::value;
        EXPECT_EQ(single.floats[i], um::apply<K>(x[i], 0.f, 0.f)) << op << " " << x[i];
        EXPECT_EQ(dbl.doubles[i], um::apply<K>(xd[i], 0.0, 0.0)) << op << " " << xd[i];
      });
  }
  // Spot values: the functions are the C library's, called at run time
  // (volatile: the compiler's own constant folding may round differently).
  volatile float seven = 0.7f, threeHalves = 1.5f, three = 3.f;
  EXPECT_EQ(f.one("Sin", {"x"}).floats[1], sinf(seven));
  EXPECT_EQ(f.one("Sin", {"xd"}).doubles[1], std::sin(double(seven)));
  f.constants["big"] = floats({2}, {1.5f, 3.f});
  Tensor acosh = f.one("Acosh", {"big"});
  EXPECT_EQ(acosh.floats, (std::vector<float>{acoshf(threeHalves), acoshf(three)}));
}

TEST(ConstantEvaluator, PredicatesGiveBoolsAndShrinkTakesItsAttributes) {
  Fixture f;
  f.constants["x"] = floats({5}, {-INFINITY, INFINITY, NAN, -2.f, 0.25f});
  Tensor nan = f.one("IsNaN", {"x"});
  EXPECT_EQ(nan.type, ElementType::Bool);
  EXPECT_EQ(nan.ints, (std::vector<int64_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(f.one("IsInf", {"x"}).ints, (std::vector<int64_t>{1, 1, 0, 0, 0}));
  EXPECT_EQ(f.one("IsInf", {"x"}, {{"detect_negative", intAttr(0)}}).ints,
            (std::vector<int64_t>{0, 1, 0, 0, 0}));
  EXPECT_EQ(f.one("IsInf", {"x"}, {{"detect_positive", intAttr(0)}}).ints,
            (std::vector<int64_t>{1, 0, 0, 0, 0}));
  f.constants["s"] = floats({5}, {-2.f, -1.f, 0.f, 1.f, 2.f});
  // Defaults lambd = 0.5, bias = 0: the hard shrink.
  EXPECT_EQ(f.one("Shrink", {"s"}).floats, (std::vector<float>{-2, -1, 0, 1, 2}));
  EXPECT_EQ(f.one("Shrink", {"s"}, {{"lambd", floatAttr(1.5f)}, {"bias", floatAttr(1.5f)}}).floats,
            (std::vector<float>{-0.5f, 0, 0, 0, 0.5f}));
  // Integers: Neg, Abs, Sign, Relu in int64 (Abs of INT64_MIN overflows:
  // the node stays); the float functions are not defined on them.
  f.constants["i"] = ints({4}, {-3, 0, 5, -7}, ElementType::Int32);
  Tensor neg = f.one("Neg", {"i"});
  EXPECT_EQ(neg.type, ElementType::Int32);
  EXPECT_EQ(neg.ints, (std::vector<int64_t>{3, 0, -5, 7}));
  EXPECT_EQ(f.one("Sign", {"i"}).ints, (std::vector<int64_t>{-1, 0, 1, -1}));
  EXPECT_EQ(f.one("Relu", {"i"}).ints, (std::vector<int64_t>{0, 0, 5, 0}));
  f.constants["min"] = ints({1}, {INT64_MIN});
  EXPECT_FALSE(f.eval("Abs", {"min"}).has_value());
  EXPECT_FALSE(f.eval("Sin", {"i"}).has_value());
  EXPECT_FALSE(f.eval("IsNaN", {"i"}).has_value());
}

TEST(ConstantEvaluator, VariadicMaxMinAndFloatMod) {
  Fixture f;
  f.constants["a"] = floats({3}, {1.f, 5.f, -2.f});
  f.constants["b"] = floats({3}, {4.f, 2.f, -3.f});
  f.constants["c"] = floats({}, {3.f});
  EXPECT_EQ(f.one("Max", {"a", "b", "c"}).floats, (std::vector<float>{4, 5, 3}));
  EXPECT_EQ(f.one("Min", {"a", "b", "c"}).floats, (std::vector<float>{1, 2, -3}));
  EXPECT_EQ(f.one("Max", {"a"}).floats, (std::vector<float>{1, 5, -2}));
  f.constants["n"] = floats({3}, {5.5f, -5.5f, 5.5f});
  f.constants["d"] = floats({3}, {2.f, 2.f, -2.f});
  EXPECT_EQ(f.one("Mod", {"n", "d"}, {{"fmod", intAttr(1)}}).floats,
            (std::vector<float>{1.5f, -1.5f, 1.5f}));
  EXPECT_FALSE(f.eval("Mod", {"n", "d"}).has_value()) << "ONNX needs fmod=1 for floats";
}

TEST(ConstantEvaluator, ComparisonsLogicWhereAndCast) {
  Fixture f;
  f.constants["a"] = ints({3}, {1, 2, 3});
  f.constants["two"] = ints({}, {2});
  Tensor less = f.one("Less", {"a", "two"});
  EXPECT_EQ(less.type, ElementType::Bool);
  EXPECT_EQ(less.ints, (std::vector<int64_t>{1, 0, 0}));
  f.constants["less"] = less;
  f.constants["eq"] = f.one("Equal", {"a", "two"});
  EXPECT_EQ(f.one("Or", {"less", "eq"}).ints, (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(f.one("Not", {"less"}).ints, (std::vector<int64_t>{0, 1, 1}));
  f.constants["x"] = floats({3}, {-100.f, -100.f, -100.f});
  f.constants["zero"] = floats({}, {0.f});
  Tensor mask = f.one("Where", {"less", "zero", "x"});
  EXPECT_EQ(mask.floats, (std::vector<float>{0.f, -100.f, -100.f}));
  f.constants["big"] = floats({3}, {2.7f, -2.7f, 0.f});
  Tensor asInt = f.one("Cast", {"big"}, {{"to", intAttr(7)}});
  EXPECT_EQ(asInt.type, ElementType::Int64);
  EXPECT_EQ(asInt.ints, (std::vector<int64_t>{2, -2, 0})) << "float to int truncates";
  Tensor asBool = f.one("Cast", {"big"}, {{"to", intAttr(9)}});
  EXPECT_EQ(asBool.ints, (std::vector<int64_t>{1, 1, 0}));
  // Floats compare in the same template as integers; NaN compares false.
  f.constants["fa"] = floats({3}, {1.f, NAN, 3.f});
  f.constants["fb"] = floats({1}, {1.f});
  EXPECT_EQ(f.one("GreaterOrEqual", {"fa", "fb"}).ints, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(f.one("Equal", {"fa", "fa"}).ints, (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(f.one("LessOrEqual", {"a", "two"}).ints, (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(f.one("Greater", {"a", "two"}).ints, (std::vector<int64_t>{0, 0, 1}));
  EXPECT_EQ(f.one("Xor", {"less", "eq"}).ints, (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(f.one("And", {"less", "eq"}).ints, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_FALSE(f.eval("And", {"a", "a"}).has_value()) << "logic needs bools";
  Tensor asInt32 = f.one("Cast", {"a"}, {{"to", intAttr(6)}});
  EXPECT_EQ(asInt32.type, ElementType::Int32);
  EXPECT_FALSE(f.eval("Cast", {"a"}, {{"to", intAttr(16)}}).has_value()) << "bfloat16";
}

TEST(ConstantEvaluator, ConstantOfShapeRangeExpandTile) {
  Fixture f;
  f.constants["shape"] = ints({2}, {2, 3});
  Tensor zeros = f.one("ConstantOfShape", {"shape"});
  EXPECT_EQ(zeros.type, ElementType::Float);
  EXPECT_EQ(zeros.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(zeros.floats, std::vector<float>(6, 0.f));
  Tensor ones = f.one("ConstantOfShape", {"shape"}, {{"value", tensorAttr(ints({1}, {1}))}});
  EXPECT_EQ(ones.type, ElementType::Int64);
  EXPECT_EQ(ones.ints, std::vector<int64_t>(6, 1));
  f.constants["start"] = ints({}, {10});
  f.constants["limit"] = ints({}, {1});
  f.constants["delta"] = ints({}, {-4});
  EXPECT_EQ(f.one("Range", {"start", "limit", "delta"}).ints, (std::vector<int64_t>{10, 6, 2}));
  f.constants["fs"] = floats({}, {0.f});
  f.constants["fl"] = floats({}, {1.f});
  f.constants["fd"] = floats({}, {0.25f});
  EXPECT_EQ(f.one("Range", {"fs", "fl", "fd"}).floats, (std::vector<float>{0, .25f, .5f, .75f}));
  f.constants["col"] = ints({2, 1}, {1, 2});
  f.constants["to"] = ints({3}, {1, 1, 3});
  Tensor expanded = f.one("Expand", {"col", "to"});
  EXPECT_EQ(expanded.dims, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(expanded.ints, (std::vector<int64_t>{1, 1, 1, 2, 2, 2}));
  f.constants["reps"] = ints({2}, {2, 2});
  Tensor tiled = f.one("Tile", {"col", "reps"});
  EXPECT_EQ(tiled.dims, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(tiled.ints, (std::vector<int64_t>{1, 1, 2, 2, 1, 1, 2, 2}));
  // A ConstantOfShape too big to store stays in the graph.
  f.constants["huge"] = ints({2}, {1 << 14, 1 << 14});
  EXPECT_FALSE(f.eval("ConstantOfShape", {"huge"}).has_value());
}

TEST(ConstantEvaluator, MovementOps) {
  Fixture f;
  f.constants["m"] = ints({2, 3}, {0, 1, 2, 3, 4, 5});
  Tensor t = f.one("Transpose", {"m"}, {{"perm", intsAttr({1, 0})}});
  EXPECT_EQ(t.dims, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(t.ints, (std::vector<int64_t>{0, 3, 1, 4, 2, 5}));
  f.constants["starts"] = ints({1}, {-1});
  f.constants["ends"] = ints({1}, {INT64_MIN});
  f.constants["axes"] = ints({1}, {1});
  f.constants["steps"] = ints({1}, {-2});
  Tensor reversed = f.one("Slice", {"m", "starts", "ends", "axes", "steps"});
  EXPECT_EQ(reversed.dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(reversed.ints, (std::vector<int64_t>{2, 0, 5, 3}));
  f.constants["rows"] = ints({2, 2}, {1, 0, 1, 1});
  Tensor g = f.one("Gather", {"m", "rows"});
  EXPECT_EQ(g.dims, (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(g.ints, (std::vector<int64_t>{3, 4, 5, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  f.constants["shape"] = ints({2}, {0, -1});
  Tensor r = f.one("Reshape", {"m", "shape"});
  EXPECT_EQ(r.dims, (std::vector<int64_t>{2, 3}));
  f.constants["ax"] = ints({2}, {0, -1});
  EXPECT_EQ(f.one("Unsqueeze", {"m", "ax"}).dims, (std::vector<int64_t>{1, 2, 3, 1}));
  Tensor c = f.one("Concat", {"m", "m"}, {{"axis", intAttr(1)}});
  EXPECT_EQ(c.dims, (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(c.ints, (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  f.constants["sizes"] = ints({2}, {1, 2});
  auto parts = f.eval("Split", {"m", "sizes"}, {{"axis", intAttr(1)}}, 2);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ((*parts)[0].ints, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ((*parts)[1].ints, (std::vector<int64_t>{1, 2, 4, 5}));
  // Out-of-range gather indices are the importer's to report.
  f.constants["bad"] = ints({1}, {5});
  EXPECT_FALSE(f.eval("Gather", {"m", "bad"}).has_value());
}

TEST(ConstantEvaluator, ScatterNDTriluAndReductions) {
  Fixture f;
  f.constants["data"] = ints({4}, {1, 2, 3, 4});
  f.constants["idx"] = ints({2, 1}, {3, 0});
  f.constants["upd"] = ints({2}, {40, 10});
  EXPECT_EQ(f.one("ScatterND", {"data", "idx", "upd"}).ints, (std::vector<int64_t>{10, 2, 3, 40}));
  f.constants["sq"] = ints({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(f.one("Trilu", {"sq"}).ints, (std::vector<int64_t>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  f.constants["k"] = ints({}, {-1});
  EXPECT_EQ(f.one("Trilu", {"sq", "k"}, {{"upper", intAttr(0)}}).ints,
            (std::vector<int64_t>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  f.constants["axes"] = ints({1}, {1});
  Tensor sum = f.one("ReduceSum", {"sq", "axes"}, {{"keepdims", intAttr(0)}});
  EXPECT_EQ(sum.dims, (std::vector<int64_t>{3}));
  EXPECT_EQ(sum.ints, (std::vector<int64_t>{6, 15, 24}));
  Tensor prod = f.one("ReduceProd", {"sq"}, {{"axes", intsAttr({0})}});
  EXPECT_EQ(prod.dims, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(prod.ints, (std::vector<int64_t>{28, 80, 162}));
}

// Swin's shifted-window attention mask, as torchvision builds it from static
// shapes: region ids by slices, windows by reshape/transpose, pairs by
// subtraction, -100 where ids differ. A 4x4 image, window 2, shift 1.
TEST(ConstantEvaluator, SwinMaskPattern) {
  Fixture f;
  f.constants["ids"] = ints({4, 4}, {0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8});
  f.constants["shape"] = ints({4}, {2, 2, 2, 2});
  f.constants["win"] = f.one("Reshape", {"ids", "shape"});
  f.constants["perm"] = f.one("Transpose", {"win"}, {{"perm", intsAttr({0, 2, 1, 3})}});
  f.constants["flat"] = ints({2}, {4, 4});
  f.constants["w"] = f.one("Reshape", {"perm", "flat"}); // 4 windows x 4 tokens
  f.constants["ax2"] = ints({1}, {2});
  f.constants["ax1"] = ints({1}, {1});
  f.constants["a"] = f.one("Unsqueeze", {"w", "ax2"});
  f.constants["b"] = f.one("Unsqueeze", {"w", "ax1"});
  f.constants["diff"] = f.one("Sub", {"b", "a"});
  f.constants["zero"] = ints({}, {0});
  f.constants["eq"] = f.one("Equal", {"diff", "zero"});
  f.constants["fzero"] = floats({}, {0.f});
  f.constants["neg"] = floats({}, {-100.f});
  Tensor mask = f.one("Where", {"eq", "fzero", "neg"});
  ASSERT_EQ(mask.dims, (std::vector<int64_t>{4, 4, 4}));
  // Window 0 holds region 0 only: no masking.
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(mask.floats[i], 0.f);
  // Window 3 holds regions 4, 5, 7, 8: only the diagonal is unmasked.
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      EXPECT_EQ(mask.floats[48 + i * 4 + j], i == j ? 0.f : -100.f) << i << "," << j;
}

// 8-, 16- and 32-bit integers wrap modulo 2^bits as ONNX's integer
// arithmetic does (a uint8 or int8 constant of a quantized model, a Cast).
TEST(ConstantEvaluator, NarrowIntegersWrapAsOnnx) {
  Fixture f;
  f.constants["a8"] = ints({2}, {200, 3}, ElementType::UInt8);
  f.constants["b8"] = ints({2}, {100, 5}, ElementType::UInt8);
  Tensor sum = f.one("Add", {"a8", "b8"});
  EXPECT_EQ(sum.type, ElementType::UInt8);
  EXPECT_EQ(sum.ints, (std::vector<int64_t>{44, 8}));
  EXPECT_EQ(f.one("Sub", {"a8", "b8"}).ints, (std::vector<int64_t>{100, 254}));
  EXPECT_EQ(f.one("Greater", {"a8", "b8"}).ints, (std::vector<int64_t>{1, 0}));
  f.constants["s8"] = ints({2}, {100, -100}, ElementType::Int8);
  f.constants["two"] = ints({}, {2}, ElementType::Int8);
  EXPECT_EQ(f.one("Mul", {"s8", "two"}).ints, (std::vector<int64_t>{-56, 56}));
  EXPECT_EQ(f.one("Neg", {"s8"}).ints, (std::vector<int64_t>{-100, 100}));
  f.constants["w"] = ints({1}, {3}, ElementType::UInt16);
  f.constants["five"] = ints({}, {5}, ElementType::UInt16);
  EXPECT_EQ(f.one("Sub", {"w", "five"}).ints, (std::vector<int64_t>{65534}));
  f.constants["u"] = ints({1}, {0}, ElementType::UInt32);
  f.constants["one"] = ints({}, {1}, ElementType::UInt32);
  EXPECT_EQ(f.one("Sub", {"u", "one"}).ints, (std::vector<int64_t>{4294967295}));
  f.constants["i16"] = ints({1}, {30000}, ElementType::Int16);
  EXPECT_EQ(f.one("Add", {"i16", "i16"}).ints, (std::vector<int64_t>{-5536}));
  // Casts to the narrow types wrap; float to integer truncates first.
  f.constants["big"] = ints({3}, {300, -1, 65537});
  Tensor u8 = f.one("Cast", {"big"}, {{"to", intAttr(2)}});
  EXPECT_EQ(u8.type, ElementType::UInt8);
  EXPECT_EQ(u8.ints, (std::vector<int64_t>{44, 255, 1}));
  EXPECT_EQ(f.one("Cast", {"big"}, {{"to", intAttr(3)}}).ints, (std::vector<int64_t>{44, -1, 1}));
  EXPECT_EQ(f.one("Cast", {"big"}, {{"to", intAttr(4)}}).ints,
            (std::vector<int64_t>{300, 65535, 1}));
  EXPECT_EQ(f.one("Cast", {"big"}, {{"to", intAttr(5)}}).ints, (std::vector<int64_t>{300, -1, 1}));
  EXPECT_EQ(f.one("Cast", {"big"}, {{"to", intAttr(12)}}).ints,
            (std::vector<int64_t>{300, 4294967295, 65537}));
  f.constants["x"] = floats({2}, {-1.7f, 130.9f});
  EXPECT_EQ(f.one("Cast", {"x"}, {{"to", intAttr(3)}}).ints, (std::vector<int64_t>{-1, -126}));
  Tensor widened = f.one("Cast", {"a8"}, {{"to", intAttr(1)}});
  EXPECT_EQ(widened.type, ElementType::Float);
  EXPECT_EQ(widened.floats, (std::vector<float>{200.f, 3.f}));
  // float16 results round to nearest even (ties to even, overflow to inf).
  f.constants["wide"] = floats({3}, {1.f + 1.f / 2048, 1.f + 3.f / 2048, 70000.f});
  Tensor half = f.one("Cast", {"wide"}, {{"to", intAttr(10)}});
  EXPECT_EQ(half.type, ElementType::Float16);
  EXPECT_EQ(half.floats, (std::vector<float>{1.f, 1.f + 4.f / 2048, INFINITY}));
  f.constants["half"] = half;
  f.constants["third"] = floats({}, {0.333251953125f}); // 1/3 in float16, 0x3555
  f.constants["third"].type = ElementType::Float16;
  EXPECT_EQ(f.one("Add", {"half", "third"}).floats,
            (std::vector<float>{1.3330078125f, 1.3349609375f, INFINITY}));
}

TEST(ShapeInference, EinsumOutputShapes) {
  EXPECT_EQ(einsumOutputShape("bixy,ioxy->boxy", {{1, 4, 8, 5}, {4, 6, 8, 5}}),
            (StaticShape{1, 6, 8, 5}));
  EXPECT_EQ(einsumOutputShape("ij,jk", {{2, 3}, {3, 4}}), (StaticShape{2, 4}));
  EXPECT_EQ(einsumOutputShape("bij, bjk -> bik", {{1, 2, 3}, {5, 3, 4}}), (StaticShape{5, 2, 4}));
  EXPECT_FALSE(einsumOutputShape("ij,jk->ik", {{2, 3}, {4, 4}}).has_value());
  EXPECT_FALSE(einsumOutputShape("ij->ik", {{2, 3}}).has_value());
  EXPECT_FALSE(einsumOutputShape("...ij,jk->...ik", {{2, 3}, {3, 4}}).has_value());
}

} // namespace
