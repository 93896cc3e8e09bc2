//===- Normalization.cpp - Softmax and the normalizations -----------------===//
//
// Softmax/LogSoftmax, BatchNormalization (inference), InstanceNormalization
// and LayerNormalization (with its Mean and InvStdDev outputs).
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// Softmax and LogSoftmax along one axis (opset 13); before opset 13 the axis
/// coerced the input to 2-D, which agrees with one axis only when it is the last.
static LogicalResult importSoftmax(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  int64_t rank = type->getRank();
  int64_t axis = normalizeAxis(im.intAttr(node, "axis", im.graph.opset >= 13 ? -1 : 1), rank);
  if (axis < 0 || axis >= rank)
    return im.fail(node, "axis is out of range");
  if (im.graph.opset < 13 && axis != rank - 1)
    return im.fail(node, "before opset 13 only the last axis is supported");
  if (node.opType == "LogSoftmax")
    im.values[node.outputs[0]] = LogSoftmaxOp::create(im.b, im.locOf(node), *x, axis);
  else
    im.values[node.outputs[0]] = SoftmaxOp::create(im.b, im.locOf(node), *x, axis);
  return success();
}

/// BatchNormalization at inference: quilt.batch_norm over [C] parameters,
/// constant or computed; quilt-decompose makes it a per-channel mul + add.
static LogicalResult importBatchNorm(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  if (node.outputs.size() > 1 || im.intAttr(node, "training_mode", 0) != 0)
    return im.fail(node, "only inference-mode BatchNormalization is supported");
  if (type->getRank() < 2)
    return im.fail(node, "needs an input of rank 2 or more");
  int64_t channels = type->getDimSize(1);
  std::string wrongCount =
      "scale, bias, mean and variance must be float32 with " + std::to_string(channels) + " values";
  Location loc = im.locOf(node);
  Value params[4];
  for (int i = 0; i < 4; ++i) {
    // A constant parameter gets a constant of its own, which quilt-decompose
    // folds into the per-channel scale and shift and erases.
    if (const Tensor *p = im.constantInput(node, i + 1)) {
      if (p->type != ElementType::Float || (int64_t)p->floats.size() != channels)
        return im.fail(node, wrongCount);
      Tensor vector = *p;
      vector.dims = {channels};
      params[i] = im.materialize(vector, loc);
      continue;
    }
    auto computed = im.input(node, i + 1);
    if (failed(computed))
      return failure();
    if (cast<RankedTensorType>(computed->getType()).getNumElements() != channels)
      return im.fail(node, wrongCount);
    params[i] = im.reshapeTo(*computed, {channels}, loc);
  }
  auto op = BatchNormOp::create(im.b, loc, *type, *x, params[0], params[1], params[2], params[3],
                                im.b.getF32FloatAttr(im.floatAttr(node, "epsilon", 1e-5f)));
  // The output's type may be one the file declares against ONNX's inference.
  if (failed(mlir::verify(op)))
    return failure();
  im.values[node.outputs[0]] = op;
  return success();
}

static LogicalResult importInstanceNorm(Importer &im, const Node &node) {
  auto x = im.input(node, 0), scale = im.input(node, 1), bias = im.input(node, 2);
  auto type = im.outputType(node);
  if (failed(x) || failed(scale) || failed(bias) || failed(type))
    return failure();
  if (type->getRank() < 3)
    return im.fail(node, "needs an input of rank 3 or more ([N, C, spatial...])");
  int64_t channels = type->getDimSize(1);
  for (Value v : {*scale, *bias}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != channels)
      return im.fail(node, "scale and bias must have shape [" + std::to_string(channels) + "]");
  }
  im.values[node.outputs[0]] =
      GroupNormOp::create(im.b, im.locOf(node), *x, *scale, *bias, im.b.getI64IntegerAttr(channels),
                          im.b.getF32FloatAttr(im.floatAttr(node, "epsilon", 1e-5f)));
  return success();
}

static LogicalResult importLayerNorm(Importer &im, const Node &node) {
  auto x = im.input(node, 0), scale = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(x) || failed(scale) || failed(type))
    return failure();
  int64_t rank = type->getRank();
  int64_t axis = normalizeAxis(im.intAttr(node, "axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return im.fail(node, "axis is out of range");
  ArrayRef<int64_t> normalized = type->getShape().drop_front(axis);
  Location loc = im.locOf(node);
  // Scale and bias broadcast against the normalized shape; Quilt wants them
  // exactly that shape (leading 1s are the only broadcast we accept).
  auto toNormalized = [&](Value v) -> FailureOr<Value> {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getNumElements() != (int64_t)ShapedType::getNumElements(normalized) ||
        !llvm::equal(t.getShape().take_back(std::min<int64_t>(t.getRank(), normalized.size())),
                     normalized.take_back(std::min<int64_t>(t.getRank(), normalized.size()))))
      return im.fail(node, "scale and bias must have the normalized shape (input dims " +
                               std::to_string(axis) + " onwards)");
    return im.reshapeTo(v, normalized, loc);
  };
  auto gamma = toNormalized(*scale);
  if (failed(gamma))
    return failure();
  Value beta;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto bias = im.input(node, 2);
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
    beta = im.materialize(zeros, loc);
  }
  float epsilon = im.floatAttr(node, "epsilon", 1e-5f);
  im.values[node.outputs[0]] = LayerNormOp::create(
      im.b, loc, *x, *gamma, beta, im.b.getI64IntegerAttr(axis), im.b.getF32FloatAttr(epsilon));
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
  auto statType = RankedTensorType::get(kept, im.b.getF32Type());
  auto dimsAttr = im.b.getDenseI64ArrayAttr(dims);
  Value mean = ReduceMeanOp::create(im.b, loc, statType, *x, dimsAttr, FloatAttr());
  if (wantsMean)
    im.values[node.outputs[1]] = mean;
  if (wantsInvStdDev) {
    Value centered = SubOp::create(im.b, loc, *type, *x, mean);
    Value squared = MulOp::create(im.b, loc, *type, centered, centered);
    Value variance = ReduceMeanOp::create(im.b, loc, statType, squared, dimsAttr, FloatAttr());
    Value shifted = AddOp::create(im.b, loc, statType, variance, im.scalar(epsilon, rank, loc));
    im.values[node.outputs[2]] = DivOp::create(im.b, loc, statType, im.scalar(1.f, rank, loc),
                                               SqrtOp::create(im.b, loc, shifted));
  }
  return success();
}

void quilt::importer::registerNormalizationImporters(OpImporterTable &table) {
  table.add("Softmax", importSoftmax);
  table.add("LogSoftmax", importSoftmax);
  table.add("BatchNormalization", importBatchNorm);
  table.add("InstanceNormalization", importInstanceNorm);
  table.add("LayerNormalization", importLayerNorm);
}
