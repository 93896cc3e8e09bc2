//===- ConstantEvaluator.cpp - import-time evaluation of static ONNX nodes -===//
//
// A small numpy over the five dtypes ONNX models build constants in. Values
// live in one of two stores (int64 for integers and bools, double for
// floats); float32 results are rounded to float after every op, so a folded
// value is the one ONNX Runtime would compute. Anything outside the covered
// forms returns nullopt and the node stays in the graph for the importer to
// accept or to reject by name.
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/ConstantEvaluator.h"

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
  std::vector<double> reals;    ///< Float and Double
  std::vector<int64_t> ints;    ///< Int64, Int32 and Bool
  bool isReal() const { return type == ElementType::Float || type == ElementType::Double; }
  int64_t size() const { return isReal() ? (int64_t)reals.size() : (int64_t)ints.size(); }
  double real(int64_t i) const { return isReal() ? reals[i] : (double)ints[i]; }
  int64_t integer(int64_t i) const { return isReal() ? (int64_t)reals[i] : ints[i]; }
};

using Result = std::optional<Array>;

bool isRealType(ElementType t) { return t == ElementType::Float || t == ElementType::Double; }

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

/// Stores `value` in the dtype of `a`: float32 rounds, int32 wraps, bool is 0/1.
void storeReal(Array &a, int64_t i, double value) {
  if (a.type == ElementType::Float)
    a.reals[i] = (double)(float)value;
  else if (a.type == ElementType::Double)
    a.reals[i] = value;
  else if (a.type == ElementType::Bool)
    a.ints[i] = value != 0;
  else if (a.type == ElementType::Int32)
    a.ints[i] = (int32_t)(int64_t)value;
  else
    a.ints[i] = (int64_t)value;
}

void storeInt(Array &a, int64_t i, int64_t value) {
  if (a.isReal())
    storeReal(a, i, (double)value);
  else if (a.type == ElementType::Bool)
    a.ints[i] = value != 0;
  else if (a.type == ElementType::Int32)
    a.ints[i] = (int32_t)value;
  else
    a.ints[i] = value;
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
  a.type = t.type;
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
  case 6:
    return ElementType::Int32;
  case 7:
    return ElementType::Int64;
  case 9:
    return ElementType::Bool;
  case 11:
    return ElementType::Double;
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

const std::set<std::string> &unaryOps() {
  static const std::set<std::string> ops = {"Neg",  "Abs",  "Sqrt", "Exp",   "Log",        "Floor",
                                            "Ceil", "Round", "Reciprocal", "Sign", "Not",   "Relu",
                                            "Sigmoid", "Tanh", "Sin", "Cos",  "Erf",        "Identity"};
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
  Array out = x;
  if (!x.isReal()) {
    if (x.type == ElementType::Bool)
      return std::nullopt;
    for (int64_t &v : out.ints) {
      if (op == "Neg" && v != INT64_MIN)
        v = -v;
      else if (op == "Abs" && v != INT64_MIN)
        v = v < 0 ? -v : v;
      else if (op == "Sign")
        v = (v > 0) - (v < 0);
      else if (op == "Relu")
        v = std::max<int64_t>(v, 0);
      else if (op != "Floor" && op != "Ceil" && op != "Round")
        return std::nullopt; // float-only ops, or overflow
    }
    if (x.type == ElementType::Int32)
      for (int64_t &v : out.ints)
        v = (int32_t)v;
    return out;
  }
  for (int64_t i = 0; i < out.size(); ++i) {
    double v = x.reals[i], r;
    if (op == "Neg")
      r = -v;
    else if (op == "Abs")
      r = std::fabs(v);
    else if (op == "Sqrt")
      r = std::sqrt(v);
    else if (op == "Exp")
      r = std::exp(v);
    else if (op == "Log")
      r = std::log(v);
    else if (op == "Floor")
      r = std::floor(v);
    else if (op == "Ceil")
      r = std::ceil(v);
    else if (op == "Round")
      r = std::nearbyint(v); // the default rounding mode: half to even, as ONNX
    else if (op == "Reciprocal")
      r = 1.0 / v;
    else if (op == "Sign")
      r = (v > 0) - (v < 0);
    else if (op == "Relu")
      r = v > 0 ? v : 0.0;
    else if (op == "Sigmoid")
      r = 1.0 / (1.0 + std::exp(-v));
    else if (op == "Tanh")
      r = std::tanh(v);
    else if (op == "Sin")
      r = std::sin(v);
    else if (op == "Cos")
      r = std::cos(v);
    else if (op == "Erf")
      r = std::erf(v);
    else
      return std::nullopt;
    storeReal(out, i, r);
  }
  return out;
}

/// Integer division and modulo as ONNX Runtime computes them: Div truncates,
/// Mod takes the divisor's sign unless fmod=1 (the dividend's).
std::optional<int64_t> integerOp(const std::string &op, int64_t x, int64_t y, bool fmod) {
  if ((op == "Div" || op == "Mod") && (y == 0 || (y == -1 && x == INT64_MIN)))
    return std::nullopt;
  if (op == "Add")
    return (int64_t)((uint64_t)x + (uint64_t)y);
  if (op == "Sub")
    return (int64_t)((uint64_t)x - (uint64_t)y);
  if (op == "Mul")
    return (int64_t)((uint64_t)x * (uint64_t)y);
  if (op == "Div")
    return x / y;
  if (op == "Mod") {
    int64_t r = x % y;
    if (!fmod && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  if (op == "Pow") {
    if (y < 0)
      return std::nullopt;
    int64_t r = 1;
    for (int64_t k = 0; k < y && k < 64; ++k)
      r = (int64_t)((uint64_t)r * (uint64_t)x);
    return r;
  }
  if (op == "Max" || op == "Sum" || op == "Min" || op == "Mean")
    return op == "Max" ? std::max(x, y) : op == "Min" ? std::min(x, y) : x + y;
  return std::nullopt;
}

std::optional<double> realOp(const std::string &op, double x, double y, bool fmod) {
  if (op == "Add" || op == "Sum" || op == "Mean")
    return x + y;
  if (op == "Sub")
    return x - y;
  if (op == "Mul")
    return x * y;
  if (op == "Div")
    return x / y;
  if (op == "Pow")
    return std::pow(x, y);
  if (op == "Max")
    return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
  if (op == "Min")
    return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
  if (op == "Mod") {
    if (!fmod)
      return std::nullopt; // ONNX requires fmod=1 for floats
    return std::fmod(x, y);
  }
  return std::nullopt;
}

Result Evaluator::binary(const std::vector<Array> &xs) {
  const std::string &op = node.opType;
  if (xs.empty())
    return std::nullopt;
  bool compare = op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" ||
                 op == "GreaterOrEqual";
  bool logic = op == "And" || op == "Or" || op == "Xor";
  bool fmod = intAttr("fmod", 0) != 0;
  Array acc = xs[0];
  for (size_t k = 1; k < xs.size(); ++k) {
    const Array &y = xs[k];
    // Pow alone may mix dtypes (float base, integer exponent); elsewhere ONNX requires one.
    if (y.type != acc.type && op != "Pow")
      return std::nullopt;
    auto dims = broadcastShapes({acc.dims, y.dims});
    if (!dims)
      return std::nullopt;
    ElementType outType = compare || logic ? ElementType::Bool : acc.type;
    Result out = makeArray(outType, *dims);
    if (!out)
      return std::nullopt;
    bool failedOp = false;
    forEachIndex(*dims, [&](int64_t i, const std::vector<int64_t> &c) {
      int64_t ia = broadcastIndex(acc, c), ib = broadcastIndex(y, c);
      if (compare) {
        bool r;
        if (acc.isReal()) {
          double a = acc.reals[ia], b = y.reals[ib];
          r = op == "Equal" ? a == b : op == "Less" ? a < b : op == "Greater" ? a > b
              : op == "LessOrEqual" ? a <= b : a >= b;
        } else {
          int64_t a = acc.ints[ia], b = y.ints[ib];
          r = op == "Equal" ? a == b : op == "Less" ? a < b : op == "Greater" ? a > b
              : op == "LessOrEqual" ? a <= b : a >= b;
        }
        out->ints[i] = r;
      } else if (logic) {
        bool a = acc.ints[ia] != 0, b = y.ints[ib] != 0;
        out->ints[i] = op == "And" ? (a && b) : op == "Or" ? (a || b) : (a != b);
      } else if (acc.isReal()) {
        auto r = realOp(op, acc.reals[ia], y.real(ib), fmod);
        if (!r)
          failedOp = true;
        else
          storeReal(*out, i, *r);
      } else {
        auto r = y.isReal() ? std::nullopt : integerOp(op, acc.ints[ia], y.ints[ib], fmod);
        if (!r)
          failedOp = true;
        else
          storeInt(*out, i, *r);
      }
    });
    if (failedOp || (logic && acc.type != ElementType::Bool) ||
        (!compare && !logic && acc.type == ElementType::Bool))
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
