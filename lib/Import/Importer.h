//===- Importer.h - What the ONNX op builders share -------------*- C++ -*-===//
//
// Private to lib/Import. The importer walks the graph in order and hands each
// node to the builder its op registered; builders live one file per op family
// (lib/Import/ops/*.cpp) and register themselves in an OpImporterTable with
// the opsets whose form they read. A builder reads its node through the
// Importer (inputs as values, constants, attributes, the output type ONNX
// inferred) and binds the node's outputs in `values`; it fails through
// Importer::fail, which names the node.
//
//===----------------------------------------------------------------------===//
#ifndef QUILT_LIB_IMPORT_IMPORTER_H
#define QUILT_LIB_IMPORT_IMPORTER_H

#include "quilt/Import/OnnxModel.h"

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <string>
#include <vector>

namespace quilt::importer {

using onnx_model::ElementType;
using onnx_model::Graph;
using onnx_model::Node;
using onnx_model::Tensor;

class Importer {
public:
  Importer(mlir::MLIRContext *ctx, const Graph &graph, const std::string &file)
      : ctx(ctx), b(ctx), graph(graph), file(file) {}

  mlir::OwningOpRef<mlir::ModuleOp> run(std::string &error);

  /// Records the first error, naming the node and its op; always fails.
  mlir::LogicalResult fail(const Node &node, const llvm::Twine &message);
  mlir::Location locOf(const Node &node);
  /// The static float32 type of output `index`; a bool output (`boolAsMask`)
  /// becomes a float mask of 0 and 1.
  mlir::FailureOr<mlir::RankedTensorType> outputType(const Node &node, size_t index = 0,
                                                     bool boolAsMask = false);
  static bool carriesInFloat32(const std::string &opType, ElementType type, bool boolAsMask);
  /// A float constant of `rank` dims of extent 1 holding `value`.
  mlir::Value scalar(float value, int64_t rank, mlir::Location loc);
  /// Input `index` as a value (a constant input is materialized once).
  mlir::FailureOr<mlir::Value> input(const Node &node, size_t index);
  mlir::Value materialize(const Tensor &tensor, mlir::Location loc);
  mlir::Value reshapeTo(mlir::Value value, llvm::ArrayRef<int64_t> shape, mlir::Location loc);
  /// Numpy rank broadcasting: prepend dims of extent 1.
  mlir::Value broadcastRank(mlir::Value value, int64_t rank, mlir::Location loc);
  /// Input `index` when it is known at compile time, else null.
  const Tensor *constantInput(const Node &node, size_t index);
  int64_t intAttr(const Node &node, const std::string &name, int64_t dflt);
  float floatAttr(const Node &node, const std::string &name, float dflt);
  std::vector<int64_t> intsAttr(const Node &node, const std::string &name,
                                std::vector<int64_t> dflt);
  std::string stringAttr(const Node &node, const std::string &name, const std::string &dflt);
  /// ONNX axis `axis` of a rank-`rank` value counted from the front (a
  /// negative one counts from the back); fails naming it when out of range.
  mlir::FailureOr<int64_t> axisOf(const Node &node, int64_t axis, int64_t rank);

  mlir::MLIRContext *ctx;
  mlir::OpBuilder b;
  const Graph &graph;
  std::string file;
  /// ONNX value name -> the quilt value computing it.
  std::map<std::string, mlir::Value> values;
  /// ONNX value name -> its value when known at compile time.
  std::map<std::string, Tensor> constants;
  std::string error;

private:
  /// Evaluates `node` at import when all its inputs are constants.
  bool tryFold(const Node &node);
};

/// Builds the quilt ops of one ONNX node.
using OpBuildFn = mlir::LogicalResult (*)(Importer &, const Node &);

/// One ONNX op Quilt compiles: the opsets whose form its builder reads (ONNX's
/// checker has already refused an op its opset does not define).
struct OpImporter {
  int64_t sinceOpset = 1;
  int64_t untilOpset = onnx_model::kNewestOpset;
  OpBuildFn build = nullptr;
};

class OpImporterTable {
public:
  void add(llvm::StringRef opType, OpBuildFn build, int64_t sinceOpset = 1,
           int64_t untilOpset = onnx_model::kNewestOpset) {
    table[opType] = {sinceOpset, untilOpset, build};
  }
  /// The importer of `opType`, whatever the opset; null when Quilt has none.
  const OpImporter *lookup(llvm::StringRef opType) const {
    auto it = table.find(opType);
    return it == table.end() ? nullptr : &it->second;
  }

private:
  llvm::StringMap<OpImporter> table;
};

/// Every family's importers (registered once, in the order below).
const OpImporterTable &opImporters();

// One per op family file under lib/Import/ops/.
void registerConvolutionImporters(OpImporterTable &table);
void registerDataMovementImporters(OpImporterTable &table);
void registerElementwiseImporters(OpImporterTable &table);
void registerIndexingImporters(OpImporterTable &table);
void registerLinearImporters(OpImporterTable &table);
void registerLossImporters(OpImporterTable &table);
void registerNormalizationImporters(OpImporterTable &table);
void registerReductionImporters(OpImporterTable &table);

/// ONNX's negative axes count from the back.
inline int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

} // namespace quilt::importer

#endif // QUILT_LIB_IMPORT_IMPORTER_H
