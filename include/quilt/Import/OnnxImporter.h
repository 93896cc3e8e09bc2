//===- OnnxImporter.h - ONNX file to quilt dialect --------------*- C++ -*-===//
#ifndef QUILT_IMPORT_ONNXIMPORTER_H
#define QUILT_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include <map>
#include <string>
#include <vector>

namespace quilt {

/// Imports `path` into a module with one function `@main` over global
/// tensors. Inputs and outputs carry their ONNX names as `quilt.name`; each
/// op's location names its ONNX node. On failure returns null and sets
/// `error` to one line naming the file and what is wrong. `inputShapes`
/// replaces the shapes of named inputs (quiltc --input-shape).
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(mlir::MLIRContext *ctx, const std::string &path, std::string &error,
               const std::map<std::string, std::vector<int64_t>> &inputShapes = {});

} // namespace quilt

#endif // QUILT_IMPORT_ONNXIMPORTER_H
