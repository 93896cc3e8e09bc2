//===- Linear.cpp - Gemm, MatMul, Einsum and DFT --------------------------===//
//
// Contractions become quilt.gemm / quilt.einsum; DFT becomes quilt.dft over
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

static LogicalResult importEinsum(Importer &im, const Node &node) {
  if (node.inputs.size() != 2)
    return im.fail(node, "only two-operand contractions are supported");
  auto a = im.input(node, 0), w = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  std::string equation;
  for (char c : im.stringAttr(node, "equation", ""))
    if (c != ' ')
      equation += c;
  if (equation.find("...") != std::string::npos)
    return im.fail(node, "ellipsis ('...') equations are not supported");
  size_t arrow = equation.find("->");
  if (arrow == std::string::npos)
    return im.fail(node, "needs an explicit output ('->') in its equation");
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
      return im.fail(node, "uses more than 26 letters");
    mapped += it->second;
  }
  auto op = EinsumOp::create(im.b, im.locOf(node), *type, *a, *w, im.b.getStringAttr(mapped));
  ScopedDiagnosticHandler quiet(im.ctx, [](Diagnostic &) { return success(); });
  if (failed(mlir::verify(op))) {
    op->erase();
    return im.fail(node, "equation '" + equation + "' is not a supported contraction");
  }
  im.values[node.outputs[0]] = op;
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

static LogicalResult importMatMul(Importer &im, const Node &node) {
  auto a = im.input(node, 0), w = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(a) || failed(w) || failed(type))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), wType = cast<RankedTensorType>(w->getType());
  if (aType.getRank() != 2 || wType.getRank() != 2) {
    // Batched: numpy matmul semantics as an einsum over explicit letters.
    int64_t ra = aType.getRank(), rw = wType.getRank(), rank = type->getRank();
    if (ra < 2 || rw < 2)
      return im.fail(node, "1-D MatMul operands are not supported");
    // The output's type may be one the file declares against ONNX's inference.
    if (rank < std::max(ra, rw))
      return im.fail(node, "output '" + node.outputs[0] + "' has rank " + std::to_string(rank) +
                               ", less than its operands'");
    std::string batch, aTerm, wTerm;
    for (int64_t d = 0; d < rank - 2; ++d)
      batch += char('a' + d);
    const char m = 'w', k = 'x', n = 'y';
    for (int64_t d = 0; d < ra - 2; ++d) {
      int64_t resultDim = rank - 2 - (ra - 2) + d;
      if (aType.getDimSize(d) != type->getDimSize(resultDim))
        return im.fail(node, "broadcast batch dims are not supported");
      aTerm += batch[resultDim];
    }
    for (int64_t d = 0; d < rw - 2; ++d) {
      int64_t resultDim = rank - 2 - (rw - 2) + d;
      if (wType.getDimSize(d) != type->getDimSize(resultDim))
        return im.fail(node, "broadcast batch dims are not supported");
      wTerm += batch[resultDim];
    }
    std::string equation = aTerm + m + k + "," + wTerm + k + n + "->" + batch + m + n;
    im.values[node.outputs[0]] =
        EinsumOp::create(im.b, im.locOf(node), *type, *a, *w, im.b.getStringAttr(equation));
    return success();
  }
  im.values[node.outputs[0]] =
      GemmOp::create(im.b, im.locOf(node), *type, *a, *w, Value(), im.b.getBoolAttr(false),
                     im.b.getBoolAttr(false), im.b.getF32FloatAttr(1), im.b.getF32FloatAttr(1));
  return success();
}

void quilt::importer::registerLinearImporters(OpImporterTable &table) {
  table.add("Gemm", importGemm);
  table.add("MatMul", importMatMul);
  table.add("Einsum", importEinsum);
  table.add("DFT", importDft);
}
