//===- ConstantEvaluator.h - import-time evaluation of static ONNX nodes --*- C++ -*-===//
//
// Exporters build shapes, masks, indices and position tables at run time out
// of static facts: Shape(x) through Gather/Concat/Div, Range and Mod for
// Swin's window masks, ConstantOfShape + Expand for a class token. Every node
// whose inputs are all known is evaluated here, in the dtype ONNX defines
// (int64, int32, bool, float32 rounded after every op, float64), and becomes
// a constant before anything else sees the graph. The reader folds to a fixed
// point with ONNX's shape inference in between; the importer folds again on
// its own values. One evaluator serves both.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IMPORT_CONSTANTEVALUATOR_H
#define QUILT_IMPORT_CONSTANTEVALUATOR_H

#include "quilt/Import/OnnxModel.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace quilt::onnx_model {

/// Whether evaluateNode knows `opType` (in the default domain).
bool isEvaluableOp(const std::string &opType);

/// Folded tensors larger than this many elements stay in the graph: a
/// constant the size of an activation costs more to store than to compute.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

using ConstantLookup = std::function<const Tensor *(const std::string &)>;
using ShapeLookup = std::function<std::optional<std::vector<int64_t>>(const std::string &)>;

/// The values of all of `node`'s outputs when every input is a constant
/// `constantOf` knows (Shape and Size need only the shape `shapeOf` knows);
/// nullopt when an input is unknown, the op or its attributes are outside
/// what the evaluator covers, the inputs are inconsistent (the importer then
/// reports the node), or the result exceeds kMaxFoldedElements.
std::optional<std::vector<Tensor>> evaluateNode(const Node &node, int64_t opset,
                                                const ConstantLookup &constantOf,
                                                const ShapeLookup &shapeOf);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_CONSTANTEVALUATOR_H
