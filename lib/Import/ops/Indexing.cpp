//===- Indexing.cpp - Gather and GatherElements ---------------------------===//
//
// Indices known at import are checked against the data here; computed
// indices are checked by the runtime.
//
//===----------------------------------------------------------------------===//
#include "../Importer.h"

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

/// GatherElements with constant (range-checked here) or computed indices.
static LogicalResult importGatherElements(Importer &im, const Node &node) {
  auto x = im.input(node, 0), indices = im.input(node, 1);
  auto type = im.outputType(node);
  if (failed(x) || failed(indices) || failed(type))
    return failure();
  auto inType = cast<RankedTensorType>(x->getType());
  auto indexType = cast<RankedTensorType>(indices->getType());
  int64_t rank = inType.getRank();
  FailureOr<int64_t> axisOr = im.axisOf(node, im.intAttr(node, "axis", 0), rank);
  if (failed(axisOr))
    return failure();
  int64_t axis = *axisOr;
  if (indexType.getRank() != rank)
    return im.fail(node, "indices have rank " + std::to_string(indexType.getRank()) +
                             ", the data rank " + std::to_string(rank));
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indexType.getDimSize(d) > inType.getDimSize(d))
      return im.fail(node, "indices dim " + std::to_string(d) + " (" +
                               std::to_string(indexType.getDimSize(d)) + ") exceeds the data's (" +
                               std::to_string(inType.getDimSize(d)) + ")");
  int64_t n = inType.getDimSize(axis);
  if (const Tensor *constant = im.constantInput(node, 1))
    for (int64_t i : constant->ints)
      if (i < -n || i >= n)
        return im.fail(node, "index " + std::to_string(i) + " is out of range for axis " +
                                 std::to_string(axis) + " of extent " + std::to_string(n));
  im.values[node.outputs[0]] = GatherElementsOp::create(im.b, im.locOf(node), *type, *x, *indices,
                                                        im.b.getI64IntegerAttr(axis));
  return success();
}

/// Gather with constant indices along one axis: an arithmetic progression is
/// one strided slice; other index lists concatenate unit slices.
static LogicalResult importGather(Importer &im, const Node &node) {
  auto x = im.input(node, 0);
  auto type = im.outputType(node);
  const Tensor *indices = im.constantInput(node, 1);
  if (failed(x) || failed(type))
    return failure();
  if (!indices)
    return im.fail(node, "the indices must be compile-time constants");
  auto inType = cast<RankedTensorType>(x->getType());
  int64_t rank = inType.getRank();
  int64_t axis = normalizeAxis(im.intAttr(node, "axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return im.fail(node, "needs an axis in range");
  int64_t n = inType.getDimSize(axis);
  std::vector<int64_t> idx;
  for (int64_t i : indices->ints) {
    int64_t j = i < 0 ? i + n : i;
    if (j < 0 || j >= n)
      return im.fail(node, "index " + std::to_string(i) + " is out of range");
    idx.push_back(j);
  }
  if (idx.empty())
    return im.fail(node, "has no indices");
  Location loc = im.locOf(node);
  auto sliceAt = [&](int64_t start, int64_t step, int64_t count) {
    SmallVector<int64_t> begin(rank, 0), stride(rank, 1), shape(inType.getShape());
    begin[axis] = start;
    stride[axis] = step;
    shape[axis] = count;
    return SliceOp::create(im.b, loc, RankedTensorType::get(shape, im.b.getF32Type()), *x,
                           im.b.getDenseI64ArrayAttr(begin), im.b.getDenseI64ArrayAttr(stride))
        .getResult();
  };
  int64_t step = idx.size() > 1 ? idx[1] - idx[0] : 1;
  bool progression = step > 0;
  for (size_t i = 1; i < idx.size() && progression; ++i)
    progression = idx[i] - idx[i - 1] == step;
  Value gathered;
  if (progression) {
    gathered = sliceAt(idx[0], step, idx.size());
  } else {
    SmallVector<Value> pieces;
    for (int64_t j : idx)
      pieces.push_back(sliceAt(j, 1, 1));
    SmallVector<int64_t> shape(inType.getShape());
    shape[axis] = idx.size();
    gathered =
        ConcatOp::create(im.b, loc, RankedTensorType::get(shape, im.b.getF32Type()), pieces, axis);
  }
  // N-D indices gathered as one flat list: the reshape restores their dims
  // (row-major, as ONNX lays them out); a scalar index drops the axis.
  im.values[node.outputs[0]] = im.reshapeTo(gathered, type->getShape(), loc);
  return success();
}

void quilt::importer::registerIndexingImporters(OpImporterTable &table) {
  table.add("Gather", importGather);
  table.add("GatherElements", importGatherElements);
}
