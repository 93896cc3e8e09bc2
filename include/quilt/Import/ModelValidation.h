//===- ModelValidation.h - what libonnx assumes of an untrusted model -*- C++ -*-===//
//
// ONNX 1.12's checker and shape inference trust parts of a model they never
// check: a Conv whose weights have more dims than its input, a stride of
// zero, a negative dim, make them read out of bounds, divide by zero or loop
// for hours (the process dies; no exception reaches the reader). Quilt checks
// those assumptions itself before libonnx runs: on the graph as written, and
// node by node with the shapes inference has reached (guards that wrap the
// inference functions of ONNX's schemas, armed once per process).
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_IMPORT_MODELVALIDATION_H
#define QUILT_IMPORT_MODELVALIDATION_H

#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace quilt::onnx_model {

/// Checks what ONNX's checker and shape inference take for granted of
/// `model`, and arms the per-node guards for the shape inference that
/// follows: a guard that fails throws a std::runtime_error naming the node,
/// which ends the inference (the reader reports it as an invalid model).
/// Call before onnx::checker::check_model. False with one line in `error`
/// naming the value or node.
bool validateModel(const onnx::ModelProto &model, std::string &error);

} // namespace quilt::onnx_model

#endif // QUILT_IMPORT_MODELVALIDATION_H
