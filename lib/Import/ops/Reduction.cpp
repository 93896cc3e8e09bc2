//===- Reduction.cpp - Reductions, ArgMax/ArgMin, Hardmax and CumSum ------===//
//
// Reductions over any axes (a statistic across ranks when a reduced dim is
// split), ArgMax/ArgMin, Hardmax (an ArgMax compared with the positions) and
// CumSum along one axis.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// ArgMax and ArgMin: the index as a float (exact up to 2^24; the runtime
/// writes an int64 output at the edge). keepdims = 0 becomes a reshape.
static LogicalResult importArgReduce(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  FailureOr<int64_t> axisOr = im.axisOf(node, im.intAttr(node, "axis", 0), rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  int64_t n = inType.getDimSize(axis);
  if (n < 1 || n > (int64_t(1) << 24))
    return im.fail(node, "axis " + std::to_string(axis) + " has " + std::to_string(n) +
                             " positions; Quilt carries indices in float32, exact for 1 to 2^24");
  SmallVector<int64_t> kept(inType.getShape());
  kept[axis] = 1;
  Location loc = im.locOf(node);
  Value index =
      ArgReduceOp::create(im.b, loc, RankedTensorType::get(kept, im.b.getF32Type()), *x,
                          im.b.getI64IntegerAttr(axis), im.b.getBoolAttr(node.opType == "ArgMin"),
                          im.b.getBoolAttr(im.intAttr(node, "select_last_index", 0) != 0));
  im.values[node.outputs[0]] = im.reshapeTo(index, type->getShape(), loc);
  return success();
}

/// Hardmax: 1 at the first maximum along `axis`, 0 elsewhere. The ArgMax of
/// the axis compared (Equal, a float mask) with the axis positions, a
/// constant: a split axis is the ArgMax's statistic (per-rank candidates,
/// gathered), and each rank compares the winner with its block of positions.
/// Before opset 13 ONNX coerces the input to 2-D at `axis` (default 1): the
/// dims from `axis` on are flattened into the one the maximum is taken over.
static LogicalResult importHardmax(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  // The one-hot result has the input's shape (a file may declare another).
  if (cast<RankedTensorType>(x->getType()).getShape() != type->getShape())
    return im.fail(node, "the output's shape must be the input's");
  int64_t rank = type->getRank();
  bool coerced = im.graph.opset < 13;
  FailureOr<int64_t> axisOr = im.axisOf(node, im.intAttr(node, "axis", coerced ? 1 : -1), rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  Location loc = im.locOf(node);
  Value in = *x;
  if (coerced && axis != rank - 1) {
    SmallVector<int64_t> flat(type->getShape().take_front(axis));
    flat.push_back(ShapedType::getNumElements(type->getShape().drop_front(axis)));
    in = im.reshapeTo(in, flat, loc);
  }
  auto inType = cast<RankedTensorType>(in.getType());
  int64_t n = inType.getDimSize(axis);
  if (n < 1 || n > (int64_t(1) << 24))
    return im.fail(node, "axis " + std::to_string(axis) + " has " + std::to_string(n) +
                             " positions; Quilt carries indices in float32, exact for 1 to 2^24");
  SmallVector<int64_t> kept(inType.getShape());
  kept[axis] = 1;
  Value index = ArgReduceOp::create(im.b, loc, RankedTensorType::get(kept, im.b.getF32Type()),
                                    in, im.b.getI64IntegerAttr(axis), im.b.getBoolAttr(false),
                                    im.b.getBoolAttr(false));
  Tensor positions;
  positions.type = ElementType::Float;
  positions.dims.assign(inType.getRank(), 1);
  positions.dims[axis] = n;
  for (int64_t i = 0; i < n; ++i)
    positions.floats.push_back(static_cast<float>(i));
  Value hot = CompareOp::create(im.b, loc, inType, index, im.materialize(positions, loc),
                                ComparePredicate::Equal);
  im.values[node.outputs[0]] = im.reshapeTo(hot, type->getShape(), loc);
  return success();
}

/// CumSum along an axis given as a compile-time constant input.
static LogicalResult importCumSum(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  const Tensor *axisInput = im.constantInput(node, 1);
  if (!axisInput || axisInput->ints.size() != 1)
    return im.fail(node, "axis must be a compile-time constant scalar");
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = im.axisOf(node, axisInput->ints[0], rank);
  if (failed(axis))
    return failure();
  im.values[node.outputs[0]] =
      CumSumOp::create(im.b, im.locOf(node), *type, *x, Value(), im.b.getI64IntegerAttr(*axis),
                       im.b.getBoolAttr(im.intAttr(node, "exclusive", 0) != 0),
                       im.b.getBoolAttr(im.intAttr(node, "reverse", 0) != 0));
  return success();
}

/// ReduceSum, ReduceMean, ReduceMax and ReduceProd over constant axes (an
/// input of ReduceSum since opset 13, an attribute otherwise), and the others
/// as sums or maxima of elementwise ops, so that a split reduced dim needs
/// one all-reduce per sum or max: L1 = sum |x|, L2 = sqrt(sum x^2), SumSquare,
/// LogSum = log(sum x), LogSumExp = m + log(sum exp(x - m)) with m the max
/// (stable), Min = -max(-x). keepdims = 0 becomes a reshape of the result.
static LogicalResult importReduce(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  if (failed(x) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  std::vector<int64_t> axes = im.intsAttr(node, "axes", {});
  if (node.opType == "ReduceSum" && im.graph.opset >= 13 && node.inputs.size() > 1 &&
      !node.inputs[1].empty()) {
    const Tensor *t = im.constantInput(node, 1);
    if (!t)
      return im.fail(node, "axes must be computable at compile time");
    axes = t->ints;
  }
  if (axes.empty() && im.intAttr(node, "noop_with_empty_axes", 0) != 0) {
    im.values[node.outputs[0]] = *x;
    return success();
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  SmallVector<int64_t> dims, kept(inType.getShape());
  for (int64_t axis : axes) {
    FailureOr<int64_t> dOr = im.axisOf(node, axis, rank);
    if (failed(dOr))
      return failure();
    int64_t d = *dOr;
    if (llvm::is_contained(dims, d))
      return im.fail(node, "axis " + std::to_string(axis) + " is listed twice");
    dims.push_back(d);
    kept[d] = 1;
  }
  llvm::sort(dims);
  Location loc = im.locOf(node);
  auto keptType = RankedTensorType::get(kept, im.b.getF32Type());
  auto dimsAttr = im.b.getDenseI64ArrayAttr(dims);
  auto sum = [&](Value v) -> Value {
    return ReduceSumOp::create(im.b, loc, keptType, v, dimsAttr);
  };
  auto max = [&](Value v) -> Value {
    return ReduceMaxOp::create(im.b, loc, keptType, v, dimsAttr);
  };
  auto square = [&](Value v) -> Value { return MulOp::create(im.b, loc, inType, v, v); };
  StringRef op = node.opType;
  Value reduced;
  if (op == "ReduceSum") {
    reduced = sum(*x);
  } else if (op == "ReduceMax") {
    reduced = max(*x);
  } else if (op == "ReduceMean") {
    reduced = ReduceMeanOp::create(im.b, loc, keptType, *x, dimsAttr, FloatAttr());
  } else if (op == "ReduceProd") {
    reduced = ReduceProdOp::create(im.b, loc, keptType, *x, dimsAttr);
  } else if (op == "ReduceMin") {
    reduced = NegOp::create(im.b, loc, max(NegOp::create(im.b, loc, *x)));
  } else if (op == "ReduceL1") {
    reduced = sum(AbsOp::create(im.b, loc, *x));
  } else if (op == "ReduceL2") {
    reduced = SqrtOp::create(im.b, loc, sum(square(*x)));
  } else if (op == "ReduceSumSquare") {
    reduced = sum(square(*x));
  } else if (op == "ReduceLogSum") {
    reduced = LogOp::create(im.b, loc, sum(*x));
  } else if (op == "ReduceLogSumExp") {
    Value top = max(*x);
    Value shifted = SubOp::create(im.b, loc, inType, *x, top);
    Value logSum = LogOp::create(im.b, loc, sum(ExpOp::create(im.b, loc, shifted)));
    reduced = AddOp::create(im.b, loc, keptType, logSum, top);
  } else {
    return im.fail(node, "is not a reduction Quilt knows");
  }
  im.values[node.outputs[0]] = im.reshapeTo(reduced, type->getShape(), loc);
  return success();
}

void quilt::importer::registerReductionImporters(OpImporterTable &table) {
  table.add("ArgMax", importArgReduce);
  table.add("ArgMin", importArgReduce);
  table.add("Hardmax", importHardmax);
  table.add("CumSum", importCumSum);
  table.add("ReduceSum", importReduce);
  table.add("ReduceMean", importReduce);
  table.add("ReduceMax", importReduce);
  table.add("ReduceMin", importReduce);
  table.add("ReduceProd", importReduce);
  table.add("ReduceL1", importReduce);
  table.add("ReduceL2", importReduce);
  table.add("ReduceSumSquare", importReduce);
  table.add("ReduceLogSum", importReduce);
  table.add("ReduceLogSumExp", importReduce);
}
