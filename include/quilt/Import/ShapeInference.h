//===- ShapeInference.h - output shapes ONNX 1.12 leaves unknown -*- C++ -*-===//
//
// ONNX 1.12's inference gives some ops only a rank (Einsum) although every
// input shape is static. The reader asks this table for the shapes ONNX did
// not find and feeds them back to ONNX's inference for the ops downstream.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IMPORT_SHAPEINFERENCE_H
#define QUILT_IMPORT_SHAPEINFERENCE_H

#include "quilt/Import/OnnxModel.h"

#include <optional>
#include <vector>

namespace quilt::onnx_model {

using StaticShape = std::vector<int64_t>;

/// The static shape of `node`'s output `index` given its inputs' static
/// shapes (nullopt where unknown); nullopt when Quilt cannot tell either.
std::optional<StaticShape> inferOutputShape(const Node &node, size_t index,
                                            const std::vector<std::optional<StaticShape>> &inputs);

/// Einsum's output shape for `equation` (explicit "->" or implicit form, no
/// ellipsis); nullopt when the equation does not fit the shapes.
std::optional<StaticShape> einsumOutputShape(const std::string &equation,
                                             const std::vector<StaticShape> &inputs);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_SHAPEINFERENCE_H
