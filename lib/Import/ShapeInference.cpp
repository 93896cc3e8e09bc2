//===- ShapeInference.cpp - output shapes ONNX 1.12 leaves unknown ---------===//
#include "quilt/Import/ShapeInference.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace quilt::onnx_model {

std::optional<StaticShape> einsumOutputShape(const std::string &equation,
                                             const std::vector<StaticShape> &inputs) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq += c;
  if (eq.find("...") != std::string::npos)
    return std::nullopt;
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms(1);
  for (char c : lhs) {
    if (c == ',')
      terms.emplace_back();
    else if (std::isalpha(static_cast<unsigned char>(c)))
      terms.back() += c;
    else
      return std::nullopt;
  }
  if (terms.size() != inputs.size())
    return std::nullopt;
  std::map<char, int64_t> extent, count;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].size() != inputs[i].size())
      return std::nullopt;
    for (size_t k = 0; k < terms[i].size(); ++k) {
      char c = terms[i][k];
      int64_t d = inputs[i][k];
      auto [it, inserted] = extent.try_emplace(c, d);
      // A letter of extent 1 broadcasts against the other operands' extent.
      if (!inserted && it->second != d) {
        if (it->second == 1)
          it->second = d;
        else if (d != 1)
          return std::nullopt;
      }
      ++count[c];
    }
  }
  std::string out;
  if (arrow == std::string::npos) {
    // Implicit form: the letters used once, in alphabetical order.
    for (const auto &[c, n] : count)
      if (n == 1)
        out += c;
  } else {
    out = eq.substr(arrow + 2);
  }
  StaticShape shape;
  for (char c : out) {
    auto it = extent.find(c);
    if (it == extent.end() || std::count(out.begin(), out.end(), c) != 1)
      return std::nullopt;
    shape.push_back(it->second);
  }
  return shape;
}

std::optional<StaticShape> inferOutputShape(const Node &node, size_t index,
                                            const std::vector<std::optional<StaticShape>> &inputs) {
  std::vector<StaticShape> known;
  for (const auto &shape : inputs) {
    if (!shape)
      return std::nullopt;
    known.push_back(*shape);
  }
  if (node.opType == "Einsum" && index == 0 && (node.domain.empty() || node.domain == "ai.onnx")) {
    auto it = node.attributes.find("equation");
    if (it == node.attributes.end() || it->second.kind != Attribute::String)
      return std::nullopt;
    return einsumOutputShape(it->second.s, known);
  }
  return std::nullopt;
}

} // namespace quilt::onnx_model
