//===- Linear.cpp - Gemm, MatMul, Einsum and DFT --------------------------===//
//
// Gemm and Einsum become quilt.gemm / quilt.einsum, MatMul quilt.matmul
// (lowered to either by quilt-decompose); DFT becomes quilt.dft over
// a trailing dim of 1 (real) or 2 (complex).
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/IR/Verifier.h"

#include <cctype>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// An Einsum operand while the equation is reduced to quilt ops: its value
/// and one Quilt letter (lowercase) per dim.
namespace {
struct EinsumTerm {
  Value value;
  std::string letters;
};
} // namespace

/// The letters' extents as a float32 tensor type.
static RankedTensorType einsumType(Importer &im, StringRef letters,
                                   const std::map<char, int64_t> &extent) {
  SmallVector<int64_t> shape;
  for (char c : letters)
    shape.push_back(extent.at(c));
  return RankedTensorType::get(shape, im.b.getF32Type());
}

/// Takes the diagonal of each letter the term repeats ("ii" -> "i"): the two
/// dims move last, merge, and a slice of step n + 1 keeps the diagonal.
static void takeDiagonals(Importer &im, EinsumTerm &term, const std::map<char, int64_t> &extent,
                          Location loc) {
  for (size_t q = 1; q < term.letters.size(); ++q) {
    size_t p = term.letters.find(term.letters[q]);
    if (p == q)
      continue;
    char c = term.letters[q];
    int64_t n = extent.at(c);
    SmallVector<int64_t> perm;
    std::string rest;
    for (size_t d = 0; d < term.letters.size(); ++d)
      if (d != p && d != q) {
        perm.push_back(d);
        rest += term.letters[d];
      }
    perm.push_back(p);
    perm.push_back(q);
    Value v = term.value;
    if (p + 2 != term.letters.size() || q + 1 != term.letters.size())
      v = TransposeOp::create(im.b, loc, einsumType(im, rest + c + c, extent), v,
                              im.b.getDenseI64ArrayAttr(perm));
    SmallVector<int64_t> merged(einsumType(im, rest, extent).getShape());
    merged.push_back(n * n);
    v = im.reshapeTo(v, merged, loc);
    SmallVector<int64_t> starts(merged.size(), 0), steps(merged.size(), 1);
    steps.back() = n + 1;
    term.letters = rest + c;
    term.value =
        SliceOp::create(im.b, loc, einsumType(im, term.letters, extent), v,
                        im.b.getDenseI64ArrayAttr(starts), im.b.getDenseI64ArrayAttr(steps));
    q = 0; // the letters moved: look again from the start
  }
}

/// Einsum of any number of operands. Each operand first takes its diagonals
/// and sums the letters no other operand and not the output has; one
/// operand is then a transpose, more are contracted pairwise left to right,
/// each step keeping the letters a later operand or the output needs.
static LogicalResult importEinsum(Importer &im, const Node &node) {
  auto type = im.outputType(node);
  if (failed(type))
    return failure();
  Location loc = im.locOf(node);
  std::string equation;
  for (char c : im.stringAttr(node, "equation", ""))
    if (c != ' ')
      equation += c;
  size_t arrow = equation.find("->");
  std::vector<std::string> given;
  {
    std::string lhs = equation.substr(0, arrow), term;
    for (char c : lhs + ",") {
      if (c != ',') {
        term += c;
        continue;
      }
      given.push_back(term);
      term.clear();
    }
  }
  if (given.size() != node.inputs.size())
    return im.fail(node, "equation '" + equation + "' has " + std::to_string(given.size()) +
                             " operand terms for " + std::to_string(node.inputs.size()) +
                             " inputs");
  // Quilt's letters are lowercase: ONNX's (either case) map onto them in
  // order of appearance, then one letter per dim an ellipsis stands for.
  std::map<char, char> rename;
  std::map<char, int64_t> count;
  for (char c : equation)
    if (std::isalpha(static_cast<unsigned char>(c)))
      rename.try_emplace(c, char('a' + rename.size()));
  for (const std::string &t : given)
    for (char c : t)
      ++count[c];
  std::vector<EinsumTerm> terms;
  std::vector<int64_t> ellipsisDims;
  int64_t ellipsis = 0;
  for (size_t i = 0; i < given.size(); ++i) {
    auto v = im.input(node, i);
    if (failed(v))
      return failure();
    int64_t rank = cast<RankedTensorType>(v->getType()).getRank();
    size_t dots = given[i].find("...");
    int64_t named = 0;
    for (char c : given[i])
      named += std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
    if (named + (dots == std::string::npos ? 0 : 3) != (int64_t)given[i].size())
      return im.fail(node, "equation term '" + given[i] + "' is not letters and one '...'");
    int64_t dims = dots == std::string::npos ? 0 : rank - named;
    if (named + dims != rank || dims < 0)
      return im.fail(node, "equation term '" + given[i] + "' does not match input " +
                               std::to_string(i) + " of rank " + std::to_string(rank));
    ellipsisDims.push_back(dims);
    ellipsis = std::max(ellipsis, dims);
    terms.push_back({*v, ""});
  }
  if (rename.size() + ellipsis > 26)
    return im.fail(node, "uses more than 26 letters");
  std::string ellipsisLetters;
  for (int64_t k = 0; k < ellipsis; ++k)
    ellipsisLetters += char('a' + rename.size() + k);
  // Letters of a term, the ellipsis right-aligned (numpy broadcasting).
  auto mapTerm = [&](const std::string &t, int64_t dims) {
    std::string out;
    for (size_t k = 0; k < t.size(); ++k) {
      if (t[k] == '.') {
        out += ellipsisLetters.substr(ellipsis - dims);
        k += 2;
        continue;
      }
      out += rename.at(t[k]);
    }
    return out;
  };
  std::map<char, int64_t> extent;
  for (size_t i = 0; i < terms.size(); ++i) {
    terms[i].letters = mapTerm(given[i], ellipsisDims[i]);
    auto shape = cast<RankedTensorType>(terms[i].value.getType()).getShape();
    for (auto [c, size] : llvm::zip(terms[i].letters, shape)) {
      auto [it, inserted] = extent.try_emplace(c, size);
      if (!inserted && it->second != size)
        return im.fail(node, "equation '" + equation + "' gives one dim extents " +
                                 std::to_string(it->second) + " and " + std::to_string(size) +
                                 " (broadcasting is not supported)");
    }
  }
  std::string out;
  if (arrow != std::string::npos) {
    std::string outTerm = equation.substr(arrow + 2);
    if (llvm::any_of(outTerm, [&](char c) { return c != '.' && !count.count(c); }))
      return im.fail(node, "output term '" + outTerm + "' names a letter no operand has");
    out = mapTerm(outTerm, ellipsis);
  } else {
    // Implicit output: the ellipsis, then the letters used once, sorted.
    out = ellipsisLetters;
    for (auto [c, n] : count)
      if (n == 1 && c != '.')
        out += rename.at(c);
  }
  for (char c : out)
    if (llvm::count(out, c) != 1)
      return im.fail(node, "output term repeats a letter");
  if ((int64_t)out.size() != type->getRank())
    return im.fail(node, "output '" + node.outputs[0] + "' has rank " +
                             std::to_string(type->getRank()) + ", the equation " +
                             std::to_string(out.size()));

  for (size_t i = 0; i < terms.size(); ++i) {
    EinsumTerm &term = terms[i];
    takeDiagonals(im, term, extent, loc);
    // Letters only this operand has, and the output not: sum them here.
    auto elsewhere = [&](char c) {
      if (out.find(c) != std::string::npos)
        return true;
      for (size_t j = 0; j < terms.size(); ++j)
        if (j != i && terms[j].letters.find(c) != std::string::npos)
          return true;
      return false;
    };
    SmallVector<int64_t> summed, kept;
    std::string keptLetters;
    for (auto [d, c] : llvm::enumerate(term.letters)) {
      if (elsewhere(c)) {
        keptLetters += c;
        kept.push_back(extent.at(c));
      } else {
        summed.push_back(d);
      }
    }
    if (summed.empty())
      continue;
    SmallVector<int64_t> withOnes(einsumType(im, term.letters, extent).getShape());
    for (int64_t d : summed)
      withOnes[d] = 1;
    Value sum = ReduceSumOp::create(im.b, loc, RankedTensorType::get(withOnes, im.b.getF32Type()),
                                    term.value, im.b.getDenseI64ArrayAttr(summed));
    term = {im.reshapeTo(sum, kept, loc), keptLetters};
  }

  EinsumTerm result = terms[0];
  for (size_t k = 1; k < terms.size(); ++k) {
    const EinsumTerm &next = terms[k];
    std::string letters = out;
    if (k + 1 < terms.size()) {
      // Keep what a later operand or the output reads.
      letters.clear();
      for (char c : result.letters + next.letters) {
        bool later = out.find(c) != std::string::npos;
        for (size_t j = k + 1; j < terms.size() && !later; ++j)
          later = terms[j].letters.find(c) != std::string::npos;
        if (later && letters.find(c) == std::string::npos)
          letters += c;
      }
    }
    std::string step = result.letters + "," + next.letters + "->" + letters;
    auto op = EinsumOp::create(im.b, loc, einsumType(im, letters, extent), result.value, next.value,
                               im.b.getStringAttr(step));
    ScopedDiagnosticHandler quiet(im.ctx, [](Diagnostic &) { return success(); });
    if (failed(mlir::verify(op))) {
      op->erase();
      return im.fail(node, "equation '" + equation + "' is not a supported contraction");
    }
    result = {op, letters};
  }
  // One operand, or letters in another order than the output's.
  if (result.letters != out) {
    SmallVector<int64_t> perm;
    for (char c : out)
      perm.push_back(result.letters.find(c));
    result.value = TransposeOp::create(im.b, loc, einsumType(im, out, extent), result.value,
                                       im.b.getDenseI64ArrayAttr(perm));
  }
  im.values[node.outputs[0]] = im.reshapeTo(result.value, type->getShape(), loc);
  return success();
}

/// DFT (opset 17). Complex values are a trailing dim of 2, real ones of 1;
/// dft_length is accepted only as a constant equal to the axis length.
static LogicalResult importDft(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  if (rank < 2 || (inType.getDimSize(rank - 1) != 1 && inType.getDimSize(rank - 1) != 2))
    return im.fail(node, "the input needs signal dims and a trailing dim of 1 (real) or 2 "
                         "(complex), got " +
                             std::to_string(rank) + " dims");
  int64_t axis = im.intAttr(node, "axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank - 1)
    return im.fail(node, "axis " + std::to_string(im.intAttr(node, "axis", 1)) +
                             " is not a signal dim of a rank-" + std::to_string(rank) + " input");
  bool inverse = im.intAttr(node, "inverse", 0) != 0,
       onesided = im.intAttr(node, "onesided", 0) != 0;
  if (onesided && (inverse || inType.getDimSize(rank - 1) != 1))
    return im.fail(node, "onesided needs a real input and a forward transform");
  if (node.inputs.size() > 1 && !node.inputs[1].empty()) {
    const Tensor *length = im.constantInput(node, 1);
    if (!length || length->ints.size() != 1)
      return im.fail(node, "dft_length must be a compile-time constant scalar");
    if (length->ints[0] != inType.getDimSize(axis))
      return im.fail(node, "dft_length " + std::to_string(length->ints[0]) +
                               " differs from the axis length " +
                               std::to_string(inType.getDimSize(axis)) +
                               "; zero-padding or truncating the signal is not supported");
  }
  im.values[node.outputs[0]] =
      DftOp::create(im.b, im.locOf(node), *type, *x, axis, inverse, onesided);
  return success();
}

static LogicalResult importGemm(Importer &im, const Node &node) {
  auto a = im.input(node, 0), w = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  Location loc = im.locOf(node);
  Value c;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto cv = im.input(node, 2);
    if (failed(cv))
      return failure();
    c = im.broadcastRank(*cv, 2, loc);
  }
  im.values[node.outputs[0]] =
      GemmOp::create(im.b, loc, *type, *a, *w, c, im.b.getBoolAttr(im.intAttr(node, "transA", 0)),
                     im.b.getBoolAttr(im.intAttr(node, "transB", 0)),
                     im.b.getF32FloatAttr(im.floatAttr(node, "alpha", 1)),
                     im.b.getF32FloatAttr(im.floatAttr(node, "beta", 1)));
  return success();
}

/// MatMul: quilt.matmul, numpy semantics (batch dims broadcast, 1-D operands);
/// quilt-decompose makes it a gemm or an einsum.
static LogicalResult importMatMul(Importer &im, const Node &node) {
  auto a = im.input(node, 0), w = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  auto op = MatMulOp::create(im.b, im.locOf(node), *type, *a, *w);
  // The output's type may be one the file declares against ONNX's inference:
  // the verifier's error names the node.
  if (failed(mlir::verify(op)))
    return failure();
  im.values[node.outputs[0]] = op;
  return success();
}

void quilt::importer::registerLinearImporters(OpImporterTable &table) {
  table.add("Gemm", importGemm);
  table.add("MatMul", importMatMul);
  table.add("Einsum", importEinsum);
  table.add("DFT", importDft);
}
