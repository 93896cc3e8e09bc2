//===- Loss.cpp - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss ---===//
//
// Both losses decompose into existing quilt ops, so that they partition like
// them: the class is picked with a gather_elements along the class axis
// (never split: the rule keeps it whole), ignored positions are masked with
// compare/select, and the sum or mean over (N, d1..dk) is a reduce_sum, whose
// split dims become an all-reduce of partial sums. Targets are integers
// carried in float32 (exact below 2^24).
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

static std::string shapeText(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "]";
}

/// Float32 holds every integer up to 2^24 exactly: class indices and an
/// ignore_index beyond that could compare equal to the wrong target.
constexpr int64_t kExactIntegerLimit = int64_t(1) << 24;

/// The NLL loss of `logProb` (N, C, d1..dk) against the node's target
/// (input 1) and optional weight (input 2), bound to output 0:
///   loss[n, d] = -logProb[n, t[n, d], d] * w[t[n, d]]   (0 where t == ignore_index)
/// reduced by `reduction`: none, sum, or mean = sum(loss) / sum(w[t]) over
/// the positions not ignored (without weight and ignore_index, the plain mean).
static LogicalResult buildNegativeLogLikelihood(Importer &im, const Node &node, Value logProb) {
  auto target = im.input(node, 1);
  auto lossType = im.outputType(node, 0);
  if (failed(target) || failed(lossType))
    return failure();
  auto inType = cast<RankedTensorType>(logProb.getType());
  int64_t rank = inType.getRank();
  if (rank < 2)
    return im.fail(node, "input has shape " + shapeText(inType.getShape()) +
                             "; it needs (N, C, d1..dk), at least 2 dims");
  int64_t classes = inType.getDimSize(1);
  if (classes < 1 || classes > kExactIntegerLimit)
    return im.fail(node, "input has " + std::to_string(classes) +
                             " classes; Quilt carries class indices in float32, exact for 1 "
                             "to 2^24");
  // The target is (N, d1..dk): the input without its class dim.
  SmallVector<int64_t> targetShape(inType.getShape());
  targetShape.erase(targetShape.begin() + 1);
  auto givenTarget = cast<RankedTensorType>(target->getType()).getShape();
  if (givenTarget != ArrayRef<int64_t>(targetShape))
    return im.fail(node, "target has shape " + shapeText(givenTarget) + "; the input " +
                             shapeText(inType.getShape()) + " needs " + shapeText(targetShape));
  Value weight;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto w = im.input(node, 2);
    if (failed(w))
      return failure();
    auto weightShape = cast<RankedTensorType>(w->getType()).getShape();
    if (weightShape != ArrayRef<int64_t>{classes})
      return im.fail(node, "weight has shape " + shapeText(weightShape) + "; it needs [" +
                               std::to_string(classes) + "], one per class");
    weight = *w;
  }
  std::string reduction = im.stringAttr(node, "reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return im.fail(node, "reduction '" + reduction + "' is not none, sum or mean");
  bool hasIgnore = node.attributes.count("ignore_index") != 0;
  int64_t ignoreIndex = im.intAttr(node, "ignore_index", 0);
  if (hasIgnore && (ignoreIndex < -kExactIntegerLimit || ignoreIndex > kExactIntegerLimit))
    return im.fail(node, "ignore_index " + std::to_string(ignoreIndex) +
                             " is beyond 2^24; Quilt carries targets in float32");

  Location loc = im.locOf(node);
  auto f32 = im.b.getF32Type();
  // Everything per position is computed in the index shape (N, 1, d1..dk)
  // that gather_elements along the class axis reads and returns.
  SmallVector<int64_t> pickShape(inType.getShape());
  pickShape[1] = 1;
  auto pickType = RankedTensorType::get(pickShape, f32);
  Value index = im.reshapeTo(*target, pickShape, loc);
  Value ignored, zero;
  if (hasIgnore) {
    zero = im.scalar(0.f, rank, loc);
    ignored = CompareOp::create(im.b, loc, pickType, index,
                                im.scalar(float(ignoreIndex), rank, loc), ComparePredicate::Equal);
    // An ignore_index outside [-C, C) is no class: gathering at it would
    // give NaN, which the mask below could not remove (NaN * 0). Read class
    // 0 there instead; the mask zeroes it.
    if (ignoreIndex < -classes || ignoreIndex >= classes)
      index = SelectOp::create(im.b, loc, pickType, ignored, zero, index);
  }
  auto zeroWhereIgnored = [&](Value v) -> Value {
    return ignored ? SelectOp::create(im.b, loc, pickType, ignored, zero, v).getResult() : v;
  };
  auto axisAttr = im.b.getI64IntegerAttr(1);
  Value picked = GatherElementsOp::create(im.b, loc, pickType, logProb, index, axisAttr);
  Value loss = NegOp::create(im.b, loc, picked);
  Value pickedWeight;
  if (weight) {
    // weight[t] gathered like the input, from the weight broadcast over
    // (N, d..) by adding zeros computed from the index (finite: index * 0
    // is 0): they are split like the target, so each rank broadcasts its
    // own block, where a constant of zeros would be broadcast whole on
    // every rank and sliced after.
    SmallVector<int64_t> classShape(rank, 1);
    classShape[1] = classes;
    Value zeros = MulOp::create(im.b, loc, pickType, index, im.scalar(0.f, rank, loc));
    Value broadcastWeight = AddOp::create(im.b, loc, RankedTensorType::get(inType.getShape(), f32),
                                          im.reshapeTo(weight, classShape, loc), zeros);
    pickedWeight = zeroWhereIgnored(
        GatherElementsOp::create(im.b, loc, pickType, broadcastWeight, index, axisAttr));
    loss = MulOp::create(im.b, loc, pickType, loss, pickedWeight);
  }
  // Select, not a multiply by the mask: an ignored position may have picked
  // -inf (a log-probability of 0), and -inf * 0 is NaN.
  loss = zeroWhereIgnored(loss);

  if (reduction == "none") {
    im.values[node.outputs[0]] = im.reshapeTo(loss, lossType->getShape(), loc);
    return success();
  }
  SmallVector<int64_t> allDims;
  for (int64_t d = 0; d < rank; ++d)
    allDims.push_back(d);
  auto dimsAttr = im.b.getDenseI64ArrayAttr(allDims);
  auto totalType = RankedTensorType::get(SmallVector<int64_t>(rank, 1), f32);
  auto sum = [&](Value v) -> Value {
    return ReduceSumOp::create(im.b, loc, totalType, v, dimsAttr);
  };
  Value total;
  if (reduction == "sum") {
    total = sum(loss);
  } else if (!weight && !ignored) {
    total = ReduceMeanOp::create(im.b, loc, totalType, loss, dimsAttr, FloatAttr());
  } else {
    // The weights of the positions counted (1 each without a weight).
    Value counted = pickedWeight ? pickedWeight
                                 : SubOp::create(im.b, loc, pickType,
                                                 im.scalar(1.f, rank, loc), ignored);
    total = DivOp::create(im.b, loc, totalType, sum(loss), sum(counted));
  }
  im.values[node.outputs[0]] = im.reshapeTo(total, lossType->getShape(), loc);
  return success();
}

/// NegativeLogLikelihoodLoss (opset 12/13): input (N, C, d1..dk) holds
/// log-probabilities.
static LogicalResult importNegativeLogLikelihoodLoss(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  if (failed(x))
    return failure();
  return buildNegativeLogLikelihood(im, node, *x);
}

/// SoftmaxCrossEntropyLoss (opset 12/13): the NLL loss of LogSoftmax of the
/// scores along the class axis; the optional second output is that
/// log-probability.
static LogicalResult importSoftmaxCrossEntropyLoss(Importer &im, const Node &node) {
  auto scores = im.input(node, 0);
  if (failed(scores))
    return failure();
  auto scoresType = cast<RankedTensorType>(scores->getType());
  if (scoresType.getRank() < 2)
    return im.fail(node, "scores have shape " + shapeText(scoresType.getShape()) +
                             "; they need (N, C, d1..dk), at least 2 dims");
  Value logProb = LogSoftmaxOp::create(im.b, im.locOf(node), *scores, 1);
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) {
    if (failed(im.outputType(node, 1)))
      return failure();
    im.values[node.outputs[1]] = logProb;
  }
  return buildNegativeLogLikelihood(im, node, logProb);
}

void quilt::importer::registerLossImporters(OpImporterTable &table) {
  table.add("NegativeLogLikelihoodLoss", importNegativeLogLikelihoodLoss, /*sinceOpset=*/12);
  table.add("SoftmaxCrossEntropyLoss", importSoftmaxCrossEntropyLoss, /*sinceOpset=*/12);
}
