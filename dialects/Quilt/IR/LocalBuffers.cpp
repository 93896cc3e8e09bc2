//===- LocalBuffers.cpp - static buffer bounds and in-place reuse ---------===//
#include "Quilt/IR/LocalBuffers.h"

#include "quilt/halo_segments.h"

using namespace mlir;

namespace quilt {

int64_t localExtentBound(RankedTensorType type, int64_t dim, MeshOp mesh) {
  LocalAttr local = getLocalEncoding(type);
  if (!local || !type.isDynamicDim(dim))
    return type.getDimSize(dim);
  auto axes = cast<ArrayAttr>(local.getDims()[dim]);
  SmallVector<int64_t> allParts;
  for (Attribute axis : axes)
    allParts.push_back(mesh.getAxisSize(cast<StringAttr>(axis).getValue()));
  if (HaloAttr halo = local.getHalo(dim)) {
    int64_t n = local.getGlobal()[dim];
    HaloAxis exchange{n, 1, halo.getWindow().toWindow(n, halo.getGlobalOut()),
                      halo.getGlobalOut(), static_cast<HaloBoundary>(halo.getBoundary()),
                      std::vector<int64_t>(allParts.begin(), allParts.end())};
    for (int64_t p : allParts)
      exchange.parts *= p;
    exchange.granule = exchange.outGranule = local.getGranule(dim);
    return maxNeededExtent(exchange);
  }
  return nestedMaxBlockSize(local.getGlobal()[dim], local.getGranule(dim), allParts.data(),
                            allParts.size());
}

int64_t localBufferBytes(Type type, MeshOp mesh) {
  auto ranked = cast<RankedTensorType>(type);
  int64_t elements = 1;
  for (int64_t d = 0; d < ranked.getRank(); ++d)
    elements *= localExtentBound(ranked, d, mesh);
  return elements * 4;
}

bool computedOnceAtStart(Operation *op) {
  if (isa<ConstantOp>(op))
    return true;
  // A slice of a slice (one per mesh axis splitting the value) too.
  auto slice = dyn_cast<ShardSliceOp>(op);
  Operation *input = slice ? slice.getInput().getDefiningOp() : nullptr;
  return input && computedOnceAtStart(input);
}

Value operandReusedInPlace(Operation &op, MeshOp mesh, llvm::function_ref<bool(Value)> inArena) {
  if (!isa<ElementwiseKernelOpInterface, CompareOp, ReshapeOp>(op) || op.getNumResults() != 1)
    return {};
  auto result = cast<RankedTensorType>(op.getResult(0).getType());
  int64_t bytes = localBufferBytes(result, mesh);
  for (Value operand : op.getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    Operation *producer = operand.getDefiningOp();
    if (!type || !producer || computedOnceAtStart(producer) || !inArena(operand) ||
        localBufferBytes(type, mesh) != bytes || type.getNumElements() != result.getNumElements())
      continue;
    bool diesHere = llvm::all_of(operand.getUsers(), [&](Operation *user) {
      return user == &op || user->isBeforeInBlock(&op);
    });
    if (diesHere)
      return operand;
  }
  return {};
}

} // namespace quilt
