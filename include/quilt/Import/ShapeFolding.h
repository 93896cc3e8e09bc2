//===- ShapeFolding.h - compile-time evaluation of ONNX shape arithmetic --===//
//
// Exporters compute Reshape targets and Slice bounds at run time from
// Shape(x) through Gather, Add, Div, Concat, ... These chains are integer
// arithmetic on known shapes: the reader folds them before ONNX's shape
// inference (which loses some of them) and the importer folds them again on
// its own values. One evaluator serves both.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IMPORT_SHAPEFOLDING_H
#define QUILT_IMPORT_SHAPEFOLDING_H

#include "quilt/Import/OnnxModel.h"

#include <functional>
#include <optional>
#include <set>

namespace quilt::onnx_model {

/// Op types foldShapeNode may evaluate.
extern const std::set<std::string> kFoldableOps;

using ConstantLookup = std::function<const Tensor *(const std::string &)>;
using ShapeLookup = std::function<std::optional<std::vector<int64_t>>(const std::string &)>;

/// The value of `node`'s single output when it is a Constant, a Shape of a
/// value whose shape `shapeOf` knows, or integer arithmetic on constants
/// `constantOf` knows; nullopt otherwise (float math stays in the graph).
std::optional<Tensor> foldShapeNode(const Node &node, const ConstantLookup &constantOf,
                                    const ShapeLookup &shapeOf);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_SHAPEFOLDING_H
