//===- ShapeFolding.cpp - compile-time evaluation of ONNX shape arithmetic -===//
#include "quilt/Import/ShapeFolding.h"

#include <algorithm>
#include <climits>

namespace quilt::onnx_model {

const std::set<std::string> kFoldableOps = {"Shape", "Gather", "Unsqueeze", "Squeeze", "Concat",
                                            "Cast",  "Identity", "Constant", "Mul", "Add",
                                            "Sub",   "Div", "Reshape", "Slice"};

namespace {

int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

int64_t intAttr(const Node &node, const std::string &name, int64_t dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.i;
}

Tensor intTensor(std::vector<int64_t> dims, std::vector<int64_t> values) {
  Tensor t;
  t.type = ElementType::Int64;
  t.dims = std::move(dims);
  t.ints = std::move(values);
  return t;
}

} // namespace

std::optional<Tensor> foldShapeNode(const Node &node, const ConstantLookup &constantOf,
                                    const ShapeLookup &shapeOf) {
  if (!kFoldableOps.count(node.opType) || node.outputs.size() != 1)
    return std::nullopt;
  if (node.opType == "Constant") {
    auto it = node.attributes.find("value");
    if (it != node.attributes.end() && it->second.kind == Attribute::TensorValue) {
      return it->second.t;
    } else if (auto f = node.attributes.find("value_float"); f != node.attributes.end()) {
      Tensor t;
      t.type = ElementType::Float;
      t.floats = {f->second.f};
      return t;
    } else if (auto i = node.attributes.find("value_int"); i != node.attributes.end()) {
      return intTensor({}, {i->second.i});
    } else if (auto is = node.attributes.find("value_ints"); is != node.attributes.end()) {
      return intTensor({(int64_t)is->second.ints.size()}, is->second.ints);
    }
    return std::nullopt;
  }
  if (node.opType == "Shape") {
    std::optional<std::vector<int64_t>> shape = shapeOf(node.inputs[0]);
    if (!shape)
      return std::nullopt;
    int64_t rank = shape->size();
    int64_t start = normalizeAxis(intAttr(node, "start", 0), rank);
    int64_t end = normalizeAxis(intAttr(node, "end", rank), rank);
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    std::vector<int64_t> dims(shape->begin() + start, shape->begin() + end);
    return intTensor({(int64_t)dims.size()}, dims);
  }
  std::vector<const Tensor *> in;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty())
      continue;
    const Tensor *t = constantOf(node.inputs[i]);
    if (!t)
      return std::nullopt;
    in.push_back(t);
  }
  if (in.empty())
    return std::nullopt;
  bool isInt = in[0]->type == ElementType::Int64 || in[0]->type == ElementType::Int32;
  if (node.opType == "Identity" || node.opType == "Cast") {
    Tensor t = *in[0];
    int64_t to = intAttr(node, "to", 0);
    if (node.opType == "Cast" && to == 7 && !isInt) { // to int64
      t.ints.assign(t.floats.begin(), t.floats.end());
      t.floats.clear();
      t.type = ElementType::Int64;
    } else if (node.opType == "Cast" && to == 1 && isInt) { // to float
      t.floats.assign(t.ints.begin(), t.ints.end());
      t.ints.clear();
      t.type = ElementType::Float;
    }
    return t;
  }
  if (!isInt)
    return std::nullopt; // float math on constants stays in the graph
  if (node.opType == "Gather") {
    if (in.size() != 2 || in[0]->dims.size() != 1)
      return std::nullopt;
    std::vector<int64_t> out;
    for (int64_t idx : in[1]->ints)
      out.push_back(in[0]->ints[normalizeAxis(idx, in[0]->ints.size())]);
    return intTensor(in[1]->dims, out);
  }
  if (node.opType == "Unsqueeze" || node.opType == "Squeeze") {
    int64_t n = in[0]->numElements();
    // A scalar becomes a 1-vector or a 1-vector a scalar; nothing else folds.
    if (node.opType == "Unsqueeze" ? in[0]->dims.size() > 1 : n != 1)
      return std::nullopt;
    return intTensor(node.opType == "Unsqueeze" ? std::vector<int64_t>{n} : std::vector<int64_t>{},
                     in[0]->ints);
  }
  if (node.opType == "Slice" && in[0]->dims.size() == 1 && in.size() >= 3 &&
      node.inputs.size() == in.size()) {
    // A 1-D slice of a shape vector: starts, ends[, axes = 0][, steps].
    int64_t n = in[0]->numElements();
    if (in.size() > 3 && (in[3]->ints.size() != 1 || normalizeAxis(in[3]->ints[0], 1) != 0))
      return std::nullopt;
    int64_t step = in.size() > 4 && in[4]->ints.size() == 1 ? in[4]->ints[0] : 1;
    if (in[1]->ints.size() != 1 || in[2]->ints.size() != 1 || step == 0)
      return std::nullopt;
    auto clampIndex = [&](int64_t i, int64_t lo, int64_t hi) {
      return std::clamp<int64_t>(i < 0 ? i + n : i, lo, hi);
    };
    int64_t start = step > 0 ? clampIndex(in[1]->ints[0], 0, n) : clampIndex(in[1]->ints[0], -1, n - 1);
    int64_t end = step > 0 ? clampIndex(in[2]->ints[0], 0, n) : clampIndex(in[2]->ints[0], -1, n - 1);
    std::vector<int64_t> out;
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step)
      out.push_back(in[0]->ints[i]);
    return intTensor({(int64_t)out.size()}, out);
  }
  if (node.opType == "Concat") {
    std::vector<int64_t> out;
    for (const Tensor *t : in)
      out.insert(out.end(), t->ints.begin(), t->ints.end());
    return intTensor({(int64_t)out.size()}, out);
  }
  if (node.opType == "Reshape") {
    Tensor t = *in[0];
    t.dims = {t.numElements()};
    return t;
  }
  // Elementwise integer arithmetic, with scalar broadcasting.
  if (in.size() != 2)
    return std::nullopt;
  const Tensor &a = *in[0], &c = *in[1];
  size_t n = std::max(a.ints.size(), c.ints.size());
  if (!(a.ints.size() == n || a.ints.size() == 1) || !(c.ints.size() == n || c.ints.size() == 1))
    return std::nullopt;
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = a.ints[a.ints.size() == 1 ? 0 : i], y = c.ints[c.ints.size() == 1 ? 0 : i];
    if (node.opType == "Div" && (y == 0 || (y == -1 && x == INT64_MIN)))
      return std::nullopt;
    out[i] = node.opType == "Mul"   ? x * y
             : node.opType == "Add" ? x + y
             : node.opType == "Sub" ? x - y
                                    : x / y;
  }
  return intTensor(a.ints.size() == n ? a.dims : c.dims, out);
}

} // namespace quilt::onnx_model
