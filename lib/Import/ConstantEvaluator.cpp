//===- ConstantEvaluator.cpp - import-time evaluation of static ONNX nodes -===//
//
// A small numpy over the dtypes ONNX models build constants in (OnnxModel.h's
// ElementType). Values live in one of two stores (int64 for integers and
// bools, double for floats); float32 and float16 results are rounded after
// every op and narrower integers wrap, so a folded value is the one ONNX
// Runtime would compute. Unary ops on floats call the
// runtime's unary kernel functions (quilt/unary_functions.h: float32 in
// float, float64 in double), so a folded value is also the one Quilt
// computes when the same op is not constant. Anything outside the covered
// forms returns nullopt and the node stays in the graph for the importer to
// accept or to reject by name.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/ConstantEvaluator.h"
#include "quilt/dtypes.h"
#include "quilt/unary_functions.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace quilt::onnx_model {

namespace {

/// A tensor being evaluated.
struct Array {
  ElementType type = ElementType::Float;
  std::vector<int64_t> dims;
  std::vector<double> reals;    ///< Float, Double and Float16
  std::vector<int64_t> ints;    ///< Bool and the integer types
  bool isReal() const { return isFloatType(type); }
  int64_t size() const { return isReal() ? (int64_t)reals.size() : (int64_t)ints.size(); }
  double real(int64_t i) const { return isReal() ? reals[i] : (double)ints[i]; }
  int64_t integer(int64_t i) const { return isReal() ? (int64_t)reals[i] : ints[i]; }
};

using Result = std::optional<Array>;

bool isRealType(ElementType t) { return isFloatType(t); }

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && n > kMaxFoldedElements / d))
      return -1; // too large to fold (or invalid)
    n *= d;
  }
  return n;
}

/// An empty array of `type` and `dims` (zero-filled), or nullopt when too large.
Result makeArray(ElementType type, std::vector<int64_t> dims) {
  int64_t n = product(dims);
  if (n < 0)
    return std::nullopt;
  Array a;
  a.type = type;
  a.dims = std::move(dims);
  if (isRealType(type))
    a.reals.assign(n, 0.0);
  else
    a.ints.assign(n, 0);
  return a;
}

/// Stores `value` in the dtype of `a`: float32 and float16 round (float16
/// through float32, as ONNX Runtime computes it), narrower integers wrap,
/// bool is 0/1.
void storeReal(Array &a, int64_t i, double value) {
  if (a.type == ElementType::Float)
    a.reals[i] = (double)(float)value;
  else if (a.type == ElementType::Float16)
    a.reals[i] = (double)halfToFloat(floatToHalf((float)value));
  else if (a.type == ElementType::Double)
    a.reals[i] = value;
  else if (a.type == ElementType::Bool)
    a.ints[i] = value != 0;
  else
    a.ints[i] = wrapInteger(a.type, (int64_t)value);
}

void storeInt(Array &a, int64_t i, int64_t value) {
  if (a.isReal())
    storeReal(a, i, (double)value);
  else if (a.type == ElementType::Bool)
    a.ints[i] = value != 0;
  else
    a.ints[i] = wrapInteger(a.type, value);
}

/// Copies element `j` of `src` to element `i` of `dst` (same dtype).
void copyElement(Array &dst, int64_t i, const Array &src, int64_t j) {
  if (dst.isReal())
    dst.reals[i] = src.reals[j];
  else
    dst.ints[i] = src.ints[j];
}

std::vector<int64_t> stridesOf(const std::vector<int64_t> &dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int64_t d = (int64_t)dims.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * dims[d + 1];
  return strides;
}

/// Calls `fn(flatIndex, coords)` for every element of `dims` in row-major order.
template <typename Fn> void forEachIndex(const std::vector<int64_t> &dims, Fn fn) {
  int64_t n = product(dims);
  std::vector<int64_t> coord(dims.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    fn(i, coord);
    for (int64_t d = (int64_t)dims.size() - 1; d >= 0; --d) {
      if (++coord[d] < dims[d])
        break;
      coord[d] = 0;
    }
  }
}

/// Numpy broadcasting of several shapes; nullopt when incompatible.
std::optional<std::vector<int64_t>> broadcastShapes(const std::vector<std::vector<int64_t>> &shapes) {
  size_t rank = 0;
  for (const auto &s : shapes)
    rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto &s : shapes)
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t &o = out[rank - s.size() + k];
      int64_t d = s[k];
      if (o == 1)
        o = d;
      else if (d != 1 && d != o)
        return std::nullopt;
    }
  return out;
}

/// Flat index into `a` of output coordinates `coord` under broadcasting.
int64_t broadcastIndex(const Array &a, const std::vector<int64_t> &coord) {
  int64_t index = 0;
  size_t offset = coord.size() - a.dims.size();
  for (size_t k = 0; k < a.dims.size(); ++k)
    index = index * a.dims[k] + (a.dims[k] == 1 ? 0 : coord[offset + k]);
  return index;
}

/// The box of `dims` positions of `x` from `begin` in steps of `step`.
Result strided(const Array &x, const std::vector<int64_t> &begin, const std::vector<int64_t> &step,
               const std::vector<int64_t> &dims) {
  Result out = makeArray(x.type, dims);
  if (!out)
    return std::nullopt;
  std::vector<int64_t> strides = stridesOf(x.dims);
  forEachIndex(dims, [&](int64_t i, const std::vector<int64_t> &c) {
    int64_t src = 0;
    for (size_t d = 0; d < dims.size(); ++d)
      src += (begin[d] + c[d] * step[d]) * strides[d];
    copyElement(*out, i, x, src);
  });
  return out;
}

Result broadcastTo(const Array &a, const std::vector<int64_t> &dims) {
  Result out = makeArray(a.type, dims);
  if (!out)
    return std::nullopt;
  forEachIndex(dims, [&](int64_t i, const std::vector<int64_t> &c) {
    copyElement(*out, i, a, broadcastIndex(a, c));
  });
  return out;
}

int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

bool validAxis(int64_t axis, int64_t rank) { return axis >= 0 && axis < rank; }

//===----------------------------------------------------------------------===//
// Conversions between the reader's Tensor and Array
//===----------------------------------------------------------------------===//

Array fromTensor(const Tensor &t) {
  Array a;
  // A float16 initializer the reader widened computes as float16 again, so
  // its folded results round as ONNX's do and keep ONNX's type.
  a.type = t.type == ElementType::Float && t.widenedFrom == "float16" ? ElementType::Float16 : t.type;
  a.dims = t.dims;
  if (t.type == ElementType::Double && (int64_t)t.doubles.size() == t.numElements())
    a.reals = t.doubles;
  else if (isRealType(t.type))
    a.reals.assign(t.floats.begin(), t.floats.end());
  else
    a.ints = t.ints;
  return a;
}

Tensor toTensor(Array a) {
  Tensor t;
  t.type = a.type;
  t.dims = std::move(a.dims);
  if (a.type == ElementType::Double)
    t.doubles = a.reals;
  if (a.isReal())
    t.floats.assign(a.reals.begin(), a.reals.end());
  else
    t.ints = std::move(a.ints);
  return t;
}

/// The ONNX TensorProto data type numbers the evaluator casts to.
std::optional<ElementType> typeFromOnnx(int64_t to) {
  switch (to) {
  case 1:
    return ElementType::Float;
  case 2:
    return ElementType::UInt8;
  case 3:
    return ElementType::Int8;
  case 4:
    return ElementType::UInt16;
  case 5:
    return ElementType::Int16;
  case 6:
    return ElementType::Int32;
  case 7:
    return ElementType::Int64;
  case 9:
    return ElementType::Bool;
  case 10:
    return ElementType::Float16;
  case 11:
    return ElementType::Double;
  case 12:
    return ElementType::UInt32;
  case 13:
    return ElementType::UInt64;
  default:
    return std::nullopt;
  }
}

//===----------------------------------------------------------------------===//
// Node evaluation
//===----------------------------------------------------------------------===//

class Evaluator {
public:
  Evaluator(const Node &node, int64_t opset, const ConstantLookup &constantOf,
            const ShapeLookup &shapeOf)
      : node(node), opset(opset), constantOf(constantOf), shapeOf(shapeOf) {}

  std::optional<std::vector<Array>> run();

private:
  const Attribute *attr(const std::string &name) const {
    auto it = node.attributes.find(name);
    return it == node.attributes.end() ? nullptr : &it->second;
  }
  int64_t intAttr(const std::string &name, int64_t dflt) const {
    const Attribute *a = attr(name);
    return a && a->kind == Attribute::Int ? a->i : dflt;
  }
  /// A float or int attribute as a number.
  double numberAttr(const std::string &name, double dflt) const {
    const Attribute *a = attr(name);
    if (a && a->kind == Attribute::Float)
      return a->f;
    return a && a->kind == Attribute::Int ? (double)a->i : dflt;
  }
  /// Input `i` when it is present and constant; nullopt otherwise.
  std::optional<Array> in(size_t i) const {
    if (i >= node.inputs.size() || node.inputs[i].empty())
      return std::nullopt;
    const Tensor *t = constantOf(node.inputs[i]);
    if (!t || (int64_t)(isRealType(t->type) ? t->floats.size() : t->ints.size()) != t->numElements() ||
        t->type == ElementType::Other || product(t->dims) < 0)
      return std::nullopt;
    return fromTensor(*t);
  }
  bool present(size_t i) const { return i < node.inputs.size() && !node.inputs[i].empty(); }
  /// Integer list from input `i` (opset >= the op's switch) or attribute `name`.
  std::optional<std::vector<int64_t>> intsFrom(size_t i, const char *name, bool fromInput) const {
    if (fromInput) {
      if (!present(i))
        return std::nullopt;
      auto a = in(i);
      if (!a || a->isReal())
        return std::nullopt;
      return a->ints;
    }
    const Attribute *a = attr(name);
    if (!a || a->kind != Attribute::Ints)
      return std::nullopt;
    return a->ints;
  }

  Result constant();
  Result constantOfShape();
  Result shape(bool size);
  Result cast(const Array &x);
  Result unary(const Array &x);
  Result binary(const std::vector<Array> &xs);
  Result where(const Array &c, const Array &x, const Array &y);
  Result range(const Array &start, const Array &limit, const Array &delta);
  Result reshape(const Array &x);
  Result unsqueezeSqueeze(const Array &x);
  Result concat(const std::vector<Array> &xs);
  Result gather(const Array &x, const Array &indices);
  Result slice(const Array &x);
  Result transpose(const Array &x);
  Result tile(const Array &x, const Array &repeats);
  Result expand(const Array &x, const Array &shape);
  Result scatterND(const Array &data, const Array &indices, const Array &updates);
  Result trilu(const Array &x);
  Result reduce(const Array &x);
  std::optional<std::vector<Array>> split(const Array &x);

  const Node &node;
  int64_t opset;
  const ConstantLookup &constantOf;
  const ShapeLookup &shapeOf;
};

/// A unary op the evaluator folds: its kind in the table the runtime's unary
/// kernel computes with (quilt/unary_functions.h), the ONNX attributes that
/// are the kind's parameters (alpha, beta) with their defaults, and whether
/// it gives a bool (the predicates).
struct UnaryFold {
  int64_t kind;
  std::vector<std::pair<const char *, double>> params = {};
  bool predicate = false;
};

const std::map<std::string, UnaryFold> &unaryFolds() {
  static const std::map<std::string, UnaryFold> folds = {
      {"Neg", {QUILT_UNARY_NEG}},
      {"Abs", {QUILT_UNARY_ABS}},
      {"Sqrt", {QUILT_UNARY_SQRT}},
      {"Exp", {QUILT_UNARY_EXP}},
      {"Log", {QUILT_UNARY_LOG}},
      {"Floor", {QUILT_UNARY_FLOOR}},
      {"Ceil", {QUILT_UNARY_CEIL}},
      {"Round", {QUILT_UNARY_ROUND}},
      {"Reciprocal", {QUILT_UNARY_RECIPROCAL}},
      {"Sign", {QUILT_UNARY_SIGN}},
      {"Relu", {QUILT_UNARY_RELU}},
      {"Sigmoid", {QUILT_UNARY_SIGMOID}},
      {"Tanh", {QUILT_UNARY_TANH}},
      {"Erf", {QUILT_UNARY_ERF}},
      {"Sin", {QUILT_UNARY_SIN}},
      {"Cos", {QUILT_UNARY_COS}},
      {"Tan", {QUILT_UNARY_TAN}},
      {"Asin", {QUILT_UNARY_ASIN}},
      {"Acos", {QUILT_UNARY_ACOS}},
      {"Atan", {QUILT_UNARY_ATAN}},
      {"Sinh", {QUILT_UNARY_SINH}},
      {"Cosh", {QUILT_UNARY_COSH}},
      {"Asinh", {QUILT_UNARY_ASINH}},
      {"Acosh", {QUILT_UNARY_ACOSH}},
      {"Atanh", {QUILT_UNARY_ATANH}},
      {"IsNaN", {QUILT_UNARY_IS_NAN, {}, true}},
      {"IsInf", {QUILT_UNARY_IS_INF, {{"detect_negative", 1.0}, {"detect_positive", 1.0}}, true}},
      {"Shrink", {QUILT_UNARY_SHRINK, {{"lambd", 0.5}, {"bias", 0.0}}}}};
  return folds;
}

const std::set<std::string> &unaryOps() {
  static const std::set<std::string> ops = [] {
    std::set<std::string> names = {"Not", "Identity"};
    for (const auto &entry : unaryFolds())
      names.insert(entry.first);
    return names;
  }();
  return ops;
}

const std::set<std::string> &binaryOps() {
  static const std::set<std::string> ops = {
      "Add",  "Sub",  "Mul",  "Div", "Mod",  "Pow",  "Max",   "Min",         "Sum",
      "Mean", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"};
  return ops;
}

const std::set<std::string> &otherOps() {
  static const std::set<std::string> ops = {
      "Constant",  "ConstantOfShape", "Shape",    "Size",      "Cast",      "Where",
      "Range",     "Reshape",         "Flatten",  "Unsqueeze", "Squeeze",   "Concat",
      "Gather",    "Slice",           "Transpose", "Tile",     "Expand",    "ScatterND",
      "Trilu",     "ReduceSum",       "ReduceProd", "ReduceMax", "ReduceMin", "ReduceMean",
      "Split",     "CastLike"};
  return ops;
}

Result Evaluator::constant() {
  if (const Attribute *a = attr("value"); a && a->kind == Attribute::TensorValue) {
    if (a->t.type == ElementType::Other || product(a->t.dims) < 0 ||
        (int64_t)(isRealType(a->t.type) ? a->t.floats.size() : a->t.ints.size()) !=
            a->t.numElements())
      return std::nullopt;
    return fromTensor(a->t);
  }
  Array out;
  if (const Attribute *a = attr("value_float")) {
    out.type = ElementType::Float;
    out.reals = {(double)a->f};
  } else if (const Attribute *a = attr("value_floats")) {
    out.type = ElementType::Float;
    out.reals.assign(a->floats.begin(), a->floats.end());
    out.dims = {(int64_t)a->floats.size()};
  } else if (const Attribute *a = attr("value_int")) {
    out.type = ElementType::Int64;
    out.ints = {a->i};
  } else if (const Attribute *a = attr("value_ints")) {
    out.type = ElementType::Int64;
    out.ints = a->ints;
    out.dims = {(int64_t)a->ints.size()};
  } else {
    return std::nullopt; // sparse or string constants
  }
  return out;
}

Result Evaluator::constantOfShape() {
  auto shapeIn = in(0);
  if (!shapeIn || shapeIn->isReal() || shapeIn->dims.size() > 1)
    return std::nullopt;
  Array fill;
  fill.type = ElementType::Float;
  fill.reals = {0.0};
  if (const Attribute *a = attr("value"); a && a->kind == Attribute::TensorValue) {
    if (a->t.numElements() != 1 || a->t.type == ElementType::Other)
      return std::nullopt;
    fill = fromTensor(a->t);
  }
  Result out = makeArray(fill.type, shapeIn->ints);
  if (!out)
    return std::nullopt;
  for (int64_t i = 0; i < out->size(); ++i)
    copyElement(*out, i, fill, 0);
  return out;
}

Result Evaluator::shape(bool size) {
  std::optional<std::vector<int64_t>> dims;
  if (auto x = in(0))
    dims = x->dims;
  else if (present(0))
    dims = shapeOf(node.inputs[0]);
  if (!dims || std::any_of(dims->begin(), dims->end(), [](int64_t d) { return d < 0; }))
    return std::nullopt;
  Array out;
  out.type = ElementType::Int64;
  if (size) {
    int64_t n = 1;
    for (int64_t d : *dims)
      n *= d;
    out.ints = {n};
    return out;
  }
  int64_t rank = dims->size();
  int64_t start = std::clamp<int64_t>(normalizeAxis(intAttr("start", 0), rank), 0, rank);
  int64_t end = std::clamp<int64_t>(normalizeAxis(intAttr("end", rank), rank), start, rank);
  out.ints.assign(dims->begin() + start, dims->begin() + end);
  out.dims = {end - start};
  return out;
}

Result Evaluator::cast(const Array &x) {
  std::optional<ElementType> to;
  if (node.opType == "CastLike") {
    auto like = in(1);
    if (!like)
      return std::nullopt;
    to = like->type;
  } else {
    to = typeFromOnnx(intAttr("to", 0));
  }
  if (!to)
    return std::nullopt;
  Result out = makeArray(*to, x.dims);
  if (!out)
    return std::nullopt;
  for (int64_t i = 0; i < x.size(); ++i) {
    if (!x.isReal()) {
      storeInt(*out, i, x.ints[i]);
      continue;
    }
    double v = x.reals[i];
    // float -> int truncates toward zero; values outside the range are undefined in ONNX.
    if (!out->isReal() && *to != ElementType::Bool && !(std::fabs(v) < 9.2e18))
      return std::nullopt;
    storeReal(*out, i, *to == ElementType::Bool ? (v != 0) : (out->isReal() ? v : std::trunc(v)));
  }
  return out;
}

/// The integer form of a unary kind ONNX defines on integers, or null. A
/// negation that overflows (INT64_MIN) gives nullopt: the node stays.
using IntegerUnary = std::optional<int64_t> (*)(int64_t);
IntegerUnary integerUnary(int64_t kind) {
  switch (kind) {
  case QUILT_UNARY_NEG:
    return [](int64_t v) -> std::optional<int64_t> {
      return v == INT64_MIN ? std::nullopt : std::optional<int64_t>(-v);
    };
  case QUILT_UNARY_ABS:
    return [](int64_t v) -> std::optional<int64_t> {
      return v == INT64_MIN ? std::nullopt : std::optional<int64_t>(v < 0 ? -v : v);
    };
  case QUILT_UNARY_SIGN:
    return [](int64_t v) -> std::optional<int64_t> { return (v > 0) - (v < 0); };
  case QUILT_UNARY_RELU:
    return [](int64_t v) -> std::optional<int64_t> { return std::max<int64_t>(v, 0); };
  case QUILT_UNARY_FLOOR:
  case QUILT_UNARY_CEIL:
  case QUILT_UNARY_ROUND:
    return [](int64_t v) -> std::optional<int64_t> { return v; };
  default:
    return nullptr; // float-only ops
  }
}

Result Evaluator::unary(const Array &x) {
  const std::string &op = node.opType;
  if (op == "Identity")
    return x;
  if (op == "Not") {
    if (x.type != ElementType::Bool)
      return std::nullopt;
    Array out = x;
    for (int64_t &v : out.ints)
      v = !v;
    return out;
  }
  const UnaryFold &fold = unaryFolds().at(op);
  if (!x.isReal()) {
    IntegerUnary fn = integerUnary(fold.kind);
    if (x.type == ElementType::Bool || fold.predicate || !fn)
      return std::nullopt;
    Array out = x;
    for (int64_t &v : out.ints) {
      std::optional<int64_t> r = fn(v);
      if (!r)
        return std::nullopt;
      v = wrapInteger(x.type, *r);
    }
    return out;
  }
  double params[2] = {0.0, 0.0};
  for (size_t k = 0; k < fold.params.size() && k < 2; ++k)
    params[k] = numberAttr(fold.params[k].first, fold.params[k].second);
  Result out = makeArray(fold.predicate ? ElementType::Bool : x.type, x.dims);
  if (!out)
    return std::nullopt;
  // The runtime kernel's own function, chosen once: float32 (and float16) in
  // float, as the kernel computes it; float64 in double.
  bool known = unary_math::withKind(fold.kind, [&](auto kind) {
    constexpr int64_t K = decltype(kind)::value;
    if (x.type == ElementType::Double) {
      for (int64_t i = 0; i < x.size(); ++i)
        storeReal(*out, i, unary_math::apply<K>(x.reals[i], params[0], params[1]));
      return;
    }
    float alpha = (float)params[0], beta = (float)params[1];
    for (int64_t i = 0; i < x.size(); ++i)
      storeReal(*out, i, unary_math::apply<K>((float)x.reals[i], alpha, beta));
  });
  if (!known)
    return std::nullopt;
  return out;
}

/// Integer arithmetic as ONNX Runtime computes it: Div truncates, Mod takes
/// the divisor's sign (the dividend's with fmod=1); nullopt where the result
/// is undefined (a division by zero, INT64_MIN / -1, a negative power).
using IntegerBinary = std::optional<int64_t> (*)(int64_t, int64_t);
IntegerBinary integerBinary(const std::string &op, bool fmod) {
  using R = std::optional<int64_t>;
  if (op == "Add" || op == "Sum" || op == "Mean")
    return [](int64_t x, int64_t y) -> R { return (int64_t)((uint64_t)x + (uint64_t)y); };
  if (op == "Sub")
    return [](int64_t x, int64_t y) -> R { return (int64_t)((uint64_t)x - (uint64_t)y); };
  if (op == "Mul")
    return [](int64_t x, int64_t y) -> R { return (int64_t)((uint64_t)x * (uint64_t)y); };
  if (op == "Div")
    return [](int64_t x, int64_t y) -> R {
      if (y == 0 || (y == -1 && x == INT64_MIN))
        return std::nullopt;
      return x / y;
    };
  if (op == "Mod" && fmod)
    return [](int64_t x, int64_t y) -> R {
      if (y == 0 || (y == -1 && x == INT64_MIN))
        return std::nullopt;
      return x % y;
    };
  if (op == "Mod")
    return [](int64_t x, int64_t y) -> R {
      if (y == 0 || (y == -1 && x == INT64_MIN))
        return std::nullopt;
      int64_t r = x % y;
      return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
    };
  if (op == "Pow")
    return [](int64_t x, int64_t y) -> R {
      if (y < 0)
        return std::nullopt;
      int64_t r = 1;
      for (int64_t k = 0; k < y && k < 64; ++k)
        r = (int64_t)((uint64_t)r * (uint64_t)x);
      return r;
    };
  if (op == "Max")
    return [](int64_t x, int64_t y) -> R { return std::max(x, y); };
  if (op == "Min")
    return [](int64_t x, int64_t y) -> R { return std::min(x, y); };
  return nullptr;
}

/// Float arithmetic in double (a float32 result is rounded when stored).
/// Max and Min propagate NaN; Mod of floats needs fmod=1 (ONNX).
using RealBinary = std::optional<double> (*)(double, double);
RealBinary realBinary(const std::string &op, bool fmod) {
  using R = std::optional<double>;
  if (op == "Add" || op == "Sum" || op == "Mean")
    return [](double x, double y) -> R { return x + y; };
  if (op == "Sub")
    return [](double x, double y) -> R { return x - y; };
  if (op == "Mul")
    return [](double x, double y) -> R { return x * y; };
  if (op == "Div")
    return [](double x, double y) -> R { return x / y; };
  if (op == "Pow")
    return [](double x, double y) -> R { return std::pow(x, y); };
  if (op == "Max")
    return [](double x, double y) -> R {
      return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
    };
  if (op == "Min")
    return [](double x, double y) -> R {
      return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
    };
  if (op == "Mod" && fmod)
    return [](double x, double y) -> R { return std::fmod(x, y); };
  return nullptr;
}

/// A comparison of two values of one dtype's store (int64_t or double).
template <class T> using Comparison = bool (*)(T, T);
template <class T> Comparison<T> comparison(const std::string &op) {
  if (op == "Equal")
    return [](T a, T b) { return a == b; };
  if (op == "Less")
    return [](T a, T b) { return a < b; };
  if (op == "Greater")
    return [](T a, T b) { return a > b; };
  if (op == "LessOrEqual")
    return [](T a, T b) { return a <= b; };
  if (op == "GreaterOrEqual")
    return [](T a, T b) { return a >= b; };
  return nullptr;
}

/// out = compare(a, b) with broadcasting, a and b read from their store of T.
template <class T>
void compareInto(Array &out, Comparison<T> compare, const Array &a, const std::vector<T> &av,
                 const Array &b, const std::vector<T> &bv) {
  forEachIndex(out.dims, [&](int64_t i, const std::vector<int64_t> &c) {
    out.ints[i] = compare(av[broadcastIndex(a, c)], bv[broadcastIndex(b, c)]);
  });
}

using Logic = bool (*)(bool, bool);
Logic logicOp(const std::string &op) {
  if (op == "And")
    return [](bool a, bool b) { return a && b; };
  if (op == "Or")
    return [](bool a, bool b) { return a || b; };
  if (op == "Xor")
    return [](bool a, bool b) { return a != b; };
  return nullptr;
}

Result Evaluator::binary(const std::vector<Array> &xs) {
  const std::string &op = node.opType;
  if (xs.empty())
    return std::nullopt;
  // The op's function, resolved once for every element of every step.
  bool fmod = intAttr("fmod", 0) != 0;
  Comparison<int64_t> compareInts = comparison<int64_t>(op);
  Comparison<double> compareReals = comparison<double>(op);
  Logic logic = logicOp(op);
  IntegerBinary integerFn = integerBinary(op, fmod);
  RealBinary realFn = realBinary(op, fmod);
  bool compare = compareInts != nullptr;
  Array acc = xs[0];
  for (size_t k = 1; k < xs.size(); ++k) {
    const Array &y = xs[k];
    // Pow alone may mix dtypes (float base, integer exponent); elsewhere ONNX requires one.
    if (y.type != acc.type && op != "Pow")
      return std::nullopt;
    if ((logic && acc.type != ElementType::Bool) ||
        (!compare && !logic && acc.type == ElementType::Bool))
      return std::nullopt;
    auto dims = broadcastShapes({acc.dims, y.dims});
    if (!dims)
      return std::nullopt;
    ElementType outType = compare || logic ? ElementType::Bool : acc.type;
    Result out = makeArray(outType, *dims);
    if (!out)
      return std::nullopt;
    if (compare) {
      if (acc.isReal())
        compareInto(*out, compareReals, acc, acc.reals, y, y.reals);
      else
        compareInto(*out, compareInts, acc, acc.ints, y, y.ints);
      acc = std::move(*out);
      continue;
    }
    if (!logic && (acc.isReal() ? !realFn : (!integerFn || y.isReal())))
      return std::nullopt;
    bool failedOp = false;
    forEachIndex(*dims, [&](int64_t i, const std::vector<int64_t> &c) {
      int64_t ia = broadcastIndex(acc, c), ib = broadcastIndex(y, c);
      if (logic) {
        out->ints[i] = logic(acc.ints[ia] != 0, y.ints[ib] != 0);
      } else if (acc.isReal()) {
        std::optional<double> r = realFn(acc.reals[ia], y.real(ib));
        if (!r)
          failedOp = true;
        else
          storeReal(*out, i, *r);
      } else {
        std::optional<int64_t> r = integerFn(acc.ints[ia], y.ints[ib]);
        if (!r)
          failedOp = true;
        else
          storeInt(*out, i, *r);
      }
    });
    if (failedOp)
      return std::nullopt;
    acc = std::move(*out);
  }
  if (op == "Mean") {
    if (!acc.isReal())
      return std::nullopt;
    for (int64_t i = 0; i < acc.size(); ++i)
      storeReal(acc, i, acc.reals[i] / (double)xs.size());
  }
  return acc;
}

Result Evaluator::where(const Array &c, const Array &x, const Array &y) {
  if (c.type != ElementType::Bool || x.type != y.type)
    return std::nullopt;
  auto dims = broadcastShapes({c.dims, x.dims, y.dims});
  if (!dims)
    return std::nullopt;
  Result out = makeArray(x.type, *dims);
  if (!out)
    return std::nullopt;
  forEachIndex(*dims, [&](int64_t i, const std::vector<int64_t> &k) {
    bool pick = c.ints[broadcastIndex(c, k)] != 0;
    const Array &src = pick ? x : y;
    copyElement(*out, i, src, broadcastIndex(src, k));
  });
  return out;
}

Result Evaluator::range(const Array &start, const Array &limit, const Array &delta) {
  if (start.size() != 1 || limit.size() != 1 || delta.size() != 1 || start.type != limit.type ||
      start.type != delta.type || start.type == ElementType::Bool)
    return std::nullopt;
  double s = start.real(0), l = limit.real(0), d = delta.real(0);
  if (d == 0 || !std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
    return std::nullopt;
  double count = std::max(std::ceil((l - s) / d), 0.0);
  if (count > (double)kMaxFoldedElements)
    return std::nullopt;
  Result out = makeArray(start.type, {(int64_t)count});
  if (!out)
    return std::nullopt;
  for (int64_t i = 0; i < (int64_t)count; ++i) {
    if (start.isReal())
      storeReal(*out, i, s + i * d);
    else
      storeInt(*out, i, start.ints[0] + i * delta.ints[0]);
  }
  return out;
}

Result Evaluator::reshape(const Array &x) {
  std::vector<int64_t> dims;
  int64_t rank = x.dims.size();
  if (node.opType == "Flatten") {
    int64_t axis = normalizeAxis(intAttr("axis", 1), rank);
    if (axis < 0 || axis > rank)
      return std::nullopt;
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= x.dims[d];
    dims = {outer, outer == 0 ? 0 : x.size() / outer};
  } else {
    auto shape = intsFrom(1, "shape", opset >= 5);
    if (!shape)
      return std::nullopt;
    bool allowZero = intAttr("allowzero", 0) != 0;
    int64_t known = 1, inferred = -1;
    for (size_t d = 0; d < shape->size(); ++d) {
      int64_t v = (*shape)[d];
      if (v == 0 && !allowZero) {
        if ((int64_t)d >= rank)
          return std::nullopt;
        v = x.dims[d];
      }
      if (v == -1) {
        if (inferred >= 0)
          return std::nullopt;
        inferred = d;
      } else if (v < 0) {
        return std::nullopt;
      } else {
        known *= v;
      }
      dims.push_back(v);
    }
    if (inferred >= 0) {
      if (known == 0 || x.size() % known)
        return std::nullopt;
      dims[inferred] = x.size() / known;
    }
  }
  if (product(dims) != x.size())
    return std::nullopt;
  Array out = x;
  out.dims = dims;
  return out;
}

Result Evaluator::unsqueezeSqueeze(const Array &x) {
  bool unsqueeze = node.opType == "Unsqueeze";
  auto axes = intsFrom(1, "axes", opset >= 13);
  int64_t rank = x.dims.size();
  Array out = x;
  if (unsqueeze) {
    if (!axes)
      return std::nullopt;
    int64_t outRank = rank + axes->size();
    std::vector<bool> inserted(outRank, false);
    for (int64_t a : *axes) {
      a = normalizeAxis(a, outRank);
      if (!validAxis(a, outRank) || inserted[a])
        return std::nullopt;
      inserted[a] = true;
    }
    out.dims.clear();
    size_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      out.dims.push_back(inserted[d] ? 1 : x.dims[next++]);
    return out;
  }
  std::vector<bool> removed(rank, false);
  if (axes && !axes->empty()) {
    for (int64_t a : *axes) {
      a = normalizeAxis(a, rank);
      if (!validAxis(a, rank) || x.dims[a] != 1)
        return std::nullopt;
      removed[a] = true;
    }
  } else if (!present(1) || opset < 13) {
    for (int64_t d = 0; d < rank; ++d)
      removed[d] = x.dims[d] == 1;
  }
  out.dims.clear();
  for (int64_t d = 0; d < rank; ++d)
    if (!removed[d])
      out.dims.push_back(x.dims[d]);
  return out;
}

Result Evaluator::concat(const std::vector<Array> &xs) {
  if (xs.empty())
    return std::nullopt;
  int64_t rank = xs[0].dims.size();
  int64_t axis = normalizeAxis(intAttr("axis", 0), rank);
  if (!validAxis(axis, rank))
    return std::nullopt;
  std::vector<int64_t> dims = xs[0].dims;
  dims[axis] = 0;
  for (const Array &x : xs) {
    if ((int64_t)x.dims.size() != rank || x.type != xs[0].type)
      return std::nullopt;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && x.dims[d] != dims[d])
        return std::nullopt;
    dims[axis] += x.dims[axis];
  }
  Result out = makeArray(xs[0].type, dims);
  if (!out)
    return std::nullopt;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= dims[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= dims[d];
  int64_t o = 0;
  for (int64_t i = 0; i < outer; ++i)
    for (const Array &x : xs) {
      int64_t chunk = x.dims[axis] * inner;
      for (int64_t j = 0; j < chunk; ++j)
        copyElement(*out, o++, x, i * chunk + j);
    }
  return out;
}

Result Evaluator::gather(const Array &x, const Array &indices) {
  if (indices.isReal() || indices.type == ElementType::Bool)
    return std::nullopt;
  int64_t rank = x.dims.size();
  int64_t axis = normalizeAxis(intAttr("axis", 0), rank);
  if (!validAxis(axis, rank))
    return std::nullopt;
  std::vector<int64_t> dims(x.dims.begin(), x.dims.begin() + axis);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), x.dims.begin() + axis + 1, x.dims.end());
  Result out = makeArray(x.type, dims);
  if (!out)
    return std::nullopt;
  int64_t outer = 1, inner = 1, extent = x.dims[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dims[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= x.dims[d];
  int64_t o = 0;
  for (int64_t i = 0; i < outer; ++i)
    for (int64_t k = 0; k < indices.size(); ++k) {
      int64_t idx = indices.ints[k] < 0 ? indices.ints[k] + extent : indices.ints[k];
      if (idx < 0 || idx >= extent)
        return std::nullopt;
      for (int64_t j = 0; j < inner; ++j)
        copyElement(*out, o++, x, (i * extent + idx) * inner + j);
    }
  return out;
}

Result Evaluator::slice(const Array &x) {
  int64_t rank = x.dims.size();
  bool fromInputs = opset >= 10;
  auto starts = intsFrom(1, "starts", fromInputs), ends = intsFrom(2, "ends", fromInputs);
  if (!starts || !ends || starts->size() != ends->size())
    return std::nullopt;
  std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
  std::iota(axes.begin(), axes.end(), 0);
  if (fromInputs ? present(3) : attr("axes") != nullptr) {
    auto a = intsFrom(3, "axes", fromInputs);
    if (!a || a->size() != starts->size())
      return std::nullopt;
    axes = *a;
  }
  if (fromInputs && present(4)) {
    auto s = intsFrom(4, "steps", true);
    if (!s || s->size() != starts->size())
      return std::nullopt;
    steps = *s;
  }
  std::vector<int64_t> begin(rank, 0), step(rank, 1), dims = x.dims;
  std::vector<bool> seen(rank, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    int64_t axis = normalizeAxis(axes[k], rank);
    if (!validAxis(axis, rank) || seen[axis] || steps[k] == 0)
      return std::nullopt;
    seen[axis] = true;
    int64_t n = x.dims[axis], s = (*starts)[k], e = (*ends)[k], st = steps[k];
    s = s < 0 ? s + n : s;
    e = e < 0 ? (e < -n ? -1 : e + n) : e; // INT64_MIN-style ends stay below zero
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      dims[axis] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      dims[axis] = s > e ? (s - e - st - 1) / -st : 0;
    }
    begin[axis] = s;
    step[axis] = st;
  }
  return strided(x, begin, step, dims);
}

Result Evaluator::transpose(const Array &x) {
  int64_t rank = x.dims.size();
  std::vector<int64_t> perm(rank);
  for (int64_t d = 0; d < rank; ++d)
    perm[d] = rank - 1 - d;
  if (const Attribute *a = attr("perm")) {
    perm = a->ints;
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t d = 0; d < rank; ++d)
      if ((int64_t)sorted.size() != rank || sorted[d] != d)
        return std::nullopt;
  }
  std::vector<int64_t> dims(rank);
  for (int64_t d = 0; d < rank; ++d)
    dims[d] = x.dims[perm[d]];
  Result out = makeArray(x.type, dims);
  if (!out)
    return std::nullopt;
  std::vector<int64_t> strides = stridesOf(x.dims);
  forEachIndex(dims, [&](int64_t i, const std::vector<int64_t> &c) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += c[d] * strides[perm[d]];
    copyElement(*out, i, x, src);
  });
  return out;
}

Result Evaluator::tile(const Array &x, const Array &repeats) {
  int64_t rank = x.dims.size();
  if (repeats.isReal() || repeats.size() != rank)
    return std::nullopt;
  std::vector<int64_t> dims(rank);
  for (int64_t d = 0; d < rank; ++d) {
    if (repeats.ints[d] < 0)
      return std::nullopt;
    dims[d] = x.dims[d] * repeats.ints[d];
  }
  Result out = makeArray(x.type, dims);
  if (!out)
    return std::nullopt;
  std::vector<int64_t> strides = stridesOf(x.dims);
  forEachIndex(dims, [&](int64_t i, const std::vector<int64_t> &c) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (c[d] % x.dims[d]) * strides[d];
    copyElement(*out, i, x, src);
  });
  return out;
}

Result Evaluator::expand(const Array &x, const Array &shape) {
  if (shape.isReal() || shape.dims.size() > 1)
    return std::nullopt;
  auto dims = broadcastShapes({x.dims, shape.ints});
  if (!dims)
    return std::nullopt;
  return broadcastTo(x, *dims);
}

Result Evaluator::scatterND(const Array &data, const Array &indices, const Array &updates) {
  if (indices.isReal() || indices.dims.empty() || updates.type != data.type)
    return std::nullopt;
  std::string reduction = "none";
  if (const Attribute *a = attr("reduction"); a && a->kind == Attribute::String)
    reduction = a->s;
  if (reduction != "none" && reduction != "add" && reduction != "mul")
    return std::nullopt;
  int64_t k = indices.dims.back(), rank = data.dims.size();
  if (k < 1 || k > rank)
    return std::nullopt;
  // updates.shape == indices.shape[:-1] + data.shape[k:]
  std::vector<int64_t> expected(indices.dims.begin(), indices.dims.end() - 1);
  expected.insert(expected.end(), data.dims.begin() + k, data.dims.end());
  if (updates.dims != expected)
    return std::nullopt;
  int64_t slice = 1;
  for (int64_t d = k; d < rank; ++d)
    slice *= data.dims[d];
  std::vector<int64_t> strides = stridesOf(data.dims);
  Array out = data;
  int64_t tuples = indices.size() / k;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t base = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t idx = indices.ints[t * k + j];
      idx = idx < 0 ? idx + data.dims[j] : idx;
      if (idx < 0 || idx >= data.dims[j])
        return std::nullopt;
      base += idx * strides[j];
    }
    for (int64_t e = 0; e < slice; ++e) {
      int64_t dst = base + e, src = t * slice + e;
      if (reduction == "none")
        copyElement(out, dst, updates, src);
      else if (out.isReal())
        storeReal(out, dst, reduction == "add" ? out.reals[dst] + updates.reals[src]
                                               : out.reals[dst] * updates.reals[src]);
      else
        storeInt(out, dst, reduction == "add" ? out.ints[dst] + updates.ints[src]
                                              : out.ints[dst] * updates.ints[src]);
    }
  }
  return out;
}

Result Evaluator::trilu(const Array &x) {
  int64_t rank = x.dims.size();
  if (rank < 2)
    return std::nullopt;
  int64_t k = 0;
  if (present(1)) {
    auto kIn = in(1);
    if (!kIn || kIn->isReal() || kIn->size() != 1)
      return std::nullopt;
    k = kIn->ints[0];
  }
  bool upper = intAttr("upper", 1) != 0;
  Array out = x;
  int64_t rows = x.dims[rank - 2], cols = x.dims[rank - 1];
  for (int64_t i = 0; i < out.size(); ++i) {
    int64_t c = i % cols, r = (i / cols) % rows;
    bool keep = upper ? c - r >= k : c - r <= k;
    if (!keep)
      storeInt(out, i, 0);
  }
  return out;
}

Result Evaluator::reduce(const Array &x) {
  const std::string &op = node.opType;
  int64_t rank = x.dims.size();
  auto axes = intsFrom(1, "axes", op == "ReduceSum" && opset >= 13);
  bool keep = intAttr("keepdims", 1) != 0;
  std::vector<bool> reduced(rank, false);
  if (!axes || axes->empty()) {
    if (intAttr("noop_with_empty_axes", 0))
      return x;
    std::fill(reduced.begin(), reduced.end(), true);
  } else {
    for (int64_t a : *axes) {
      a = normalizeAxis(a, rank);
      if (!validAxis(a, rank))
        return std::nullopt;
      reduced[a] = true;
    }
  }
  if (x.type == ElementType::Bool)
    return std::nullopt;
  std::vector<int64_t> keptDims(rank);
  for (int64_t d = 0; d < rank; ++d)
    keptDims[d] = reduced[d] ? 1 : x.dims[d];
  Result acc = makeArray(x.isReal() ? ElementType::Double : ElementType::Int64, keptDims);
  if (!acc)
    return std::nullopt;
  std::vector<bool> started(acc->size(), false);
  std::vector<int64_t> keptStrides = stridesOf(keptDims);
  int64_t count = 0;
  forEachIndex(x.dims, [&](int64_t i, const std::vector<int64_t> &c) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      o += (reduced[d] ? 0 : c[d]) * keptStrides[d];
    if (o == 0)
      ++count;
    if (x.isReal()) {
      double v = x.reals[i], &a = acc->reals[o];
      a = !started[o] ? v : op == "ReduceProd" ? a * v : op == "ReduceMax" ? std::max(a, v)
                          : op == "ReduceMin" ? std::min(a, v) : a + v;
    } else {
      int64_t v = x.ints[i], &a = acc->ints[o];
      a = !started[o] ? v : op == "ReduceProd" ? a * v : op == "ReduceMax" ? std::max(a, v)
                          : op == "ReduceMin" ? std::min(a, v) : a + v;
    }
    started[o] = true;
  });
  if (x.size() == 0)
    return std::nullopt; // reductions of empty tensors have op-specific identities
  Result out = makeArray(x.type, keptDims);
  if (!out)
    return std::nullopt;
  for (int64_t i = 0; i < out->size(); ++i) {
    if (op == "ReduceMean")
      storeReal(*out, i, acc->real(i) / count);
    else if (x.isReal())
      storeReal(*out, i, acc->reals[i]);
    else
      storeInt(*out, i, acc->ints[i]);
  }
  if (!keep) {
    out->dims.clear();
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[d])
        out->dims.push_back(x.dims[d]);
  }
  return out;
}

std::optional<std::vector<Array>> Evaluator::split(const Array &x) {
  int64_t rank = x.dims.size();
  int64_t axis = normalizeAxis(intAttr("axis", 0), rank);
  if (!validAxis(axis, rank) || node.outputs.empty())
    return std::nullopt;
  std::vector<int64_t> sizes;
  if (auto s = intsFrom(1, "split", opset >= 13)) {
    sizes = *s;
  } else {
    int64_t n = node.outputs.size();
    if (x.dims[axis] % n)
      return std::nullopt;
    sizes.assign(n, x.dims[axis] / n);
  }
  if (sizes.size() != node.outputs.size())
    return std::nullopt;
  std::vector<Array> outs;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    if (size < 0 || offset + size > x.dims[axis])
      return std::nullopt;
    std::vector<int64_t> begin(rank, 0), dims = x.dims;
    begin[axis] = offset;
    dims[axis] = size;
    Result out = strided(x, begin, std::vector<int64_t>(rank, 1), dims);
    if (!out)
      return std::nullopt;
    outs.push_back(std::move(*out));
    offset += size;
  }
  if (offset != x.dims[axis])
    return std::nullopt;
  return outs;
}

std::optional<std::vector<Array>> Evaluator::run() {
  const std::string &op = node.opType;
  if (!node.domain.empty() && node.domain != "ai.onnx")
    return std::nullopt;
  auto one = [](Result r) -> std::optional<std::vector<Array>> {
    if (!r)
      return std::nullopt;
    return std::vector<Array>{std::move(*r)};
  };
  if (op == "Constant")
    return one(constant());
  if (op == "Shape" || op == "Size")
    return one(shape(op == "Size"));
  if (op == "ConstantOfShape")
    return one(constantOfShape());
  // Everything else needs all its present inputs constant.
  std::vector<Array> xs;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!present(i)) {
      xs.emplace_back();
      continue;
    }
    auto x = in(i);
    if (!x)
      return std::nullopt;
    xs.push_back(std::move(*x));
  }
  if (xs.empty() || !present(0))
    return std::nullopt;
  if (op == "Split")
    return split(xs[0]);
  if (node.outputs.size() != 1)
    return std::nullopt;
  if (unaryOps().count(op))
    return one(unary(xs[0]));
  if (binaryOps().count(op))
    return one(binary(xs));
  if (op == "Cast" || op == "CastLike")
    return one(cast(xs[0]));
  if (op == "Where" && xs.size() == 3)
    return one(where(xs[0], xs[1], xs[2]));
  if (op == "Range" && xs.size() == 3)
    return one(range(xs[0], xs[1], xs[2]));
  if (op == "Reshape" || op == "Flatten")
    return one(reshape(xs[0]));
  if (op == "Unsqueeze" || op == "Squeeze")
    return one(unsqueezeSqueeze(xs[0]));
  if (op == "Concat")
    return one(concat(xs));
  if (op == "Gather" && xs.size() == 2)
    return one(gather(xs[0], xs[1]));
  if (op == "Slice")
    return one(slice(xs[0]));
  if (op == "Transpose")
    return one(transpose(xs[0]));
  if (op == "Tile" && xs.size() == 2)
    return one(tile(xs[0], xs[1]));
  if (op == "Expand" && xs.size() == 2)
    return one(expand(xs[0], xs[1]));
  if (op == "ScatterND" && xs.size() == 3)
    return one(scatterND(xs[0], xs[1], xs[2]));
  if (op == "Trilu")
    return one(trilu(xs[0]));
  if (op.rfind("Reduce", 0) == 0)
    return one(reduce(xs[0]));
  return std::nullopt;
}

} // namespace

bool isEvaluableOp(const std::string &opType) {
  return unaryOps().count(opType) || binaryOps().count(opType) || otherOps().count(opType);
}

std::optional<std::vector<Tensor>> evaluateNode(const Node &node, int64_t opset,
                                                const ConstantLookup &constantOf,
                                                const ShapeLookup &shapeOf) {
  if (!isEvaluableOp(node.opType))
    return std::nullopt;
  Evaluator evaluator(node, opset, constantOf, shapeOf);
  std::optional<std::vector<Array>> arrays = evaluator.run();
  if (!arrays || arrays->size() != node.outputs.size())
    return std::nullopt;
  std::vector<Tensor> tensors;
  for (Array &a : *arrays) {
    if (product(a.dims) != a.size())
      return std::nullopt;
    tensors.push_back(toTensor(std::move(a)));
  }
  return tensors;
}

} // namespace quilt::onnx_model
