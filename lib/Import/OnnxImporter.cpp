//===- OnnxImporter.cpp - ONNX graph to quilt dialect ----------------------===//
//
// Nodes become quilt ops over global tensors, in graph order. A node whose
// inputs are all known is evaluated here (ConstantEvaluator) and never reaches
// the IR; every other node goes to the builder its op registered (one file per
// op family under lib/Import/ops/, see Importer.h).
//
//===----------------------------------------------------------------------===//
#include "quilt/Import/OnnxImporter.h"
#include "Importer.h"
#include "quilt/Import/ConstantEvaluator.h"
#include "quilt/Import/OnnxModel.h"
#include "quilt/Transforms/Passes.h"
#include "quilt/dtypes.h"

#include "Quilt/IR/QuiltDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <map>
#include <optional>
#include <set>

using namespace mlir;
using namespace quilt;
using namespace quilt::onnx_model;
using namespace quilt::importer;

LogicalResult Importer::fail(const Node &node, const Twine &message) {
  return emitError(locOf(node)) << message;
}

/// The one line an import error becomes: the file, the ONNX node the
/// diagnostic's location names (with its op) and the message.
static std::string describeError(Diagnostic &diag, const std::string &file,
                                 const std::map<std::string, std::string> &opOfNode) {
  std::string line = file + ": ";
  std::optional<std::string> node;
  diag.getLocation()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      node = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (node) {
    line += "node '" + *node + "'";
    if (auto op = opOfNode.find(*node); op != opOfNode.end())
      line += " (" + op->second + ")";
    line += ": ";
  }
  return line + diag.str();
}

Location Importer::locOf(const Node &node) {
  return NameLoc::get(StringAttr::get(ctx, node.name),
                      FileLineColLoc::get(ctx, file, 0, 0));
}

FailureOr<RankedTensorType> Importer::outputType(const Node &node, size_t index,
                                                 bool boolAsMask) {
  auto it = graph.valueInfos.find(node.outputs[index]);
  if (it == graph.valueInfos.end() || !it->second.hasShape)
    return fail(node, "ONNX shape inference could not determine the shape of '" +
                          node.outputs[index] + "'");
  const ValueInfo &info = it->second;
  for (int64_t d : info.dims)
    if (d < 0)
      return fail(node, "output '" + node.outputs[index] + "' has a dynamic shape; Quilt needs "
                        "static shapes (export with fixed input sizes)");
  if (!carriesInFloat32(node.opType, info.type, boolAsMask))
    return fail(node, "output '" + node.outputs[index] + "' is " +
                          elementTypeName(info.type) + "; Quilt computes " + node.opType +
                          " in float32 only");
  return RankedTensorType::get(info.dims, Float32Type::get(ctx));
}

/// Quilt computes in float32. Other dtypes ride in float32 where that gives
/// the ONNX result: ops that only move or select values carry any dtype
/// (integers exactly up to 2^24), integer add/sub/mul/min/max are exact in
/// that range (8- to 32-bit results wrap only where an output is written:
/// wrap-around inside the graph is not modelled), bools are 0/1 masks where
/// the op makes one, and float64 and float16 compute at float32 precision.
bool Importer::carriesInFloat32(const std::string &opType, ElementType type, bool boolAsMask) {
  static const std::set<std::string> moving = {
      "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Slice", "Split",
      "Gather",  "Identity", "Expand", "Where",     "Tile",      "Pad",    "Dropout", "Cast",
      "GatherElements", "DepthToSpace", "SpaceToDepth", "ArgMax", "ArgMin", "Max", "Min",
      "ReduceMax", "ReduceMin", "Trilu", "GlobalMaxPool", "MaxPool", "Clip"};
  // Pow's builder rounds an integer power (or truncates it, for a float
  // exponent) to the integer it approximates; BitShift is a Mul or a floored
  // Div by a power of two.
  static const std::set<std::string> exactOnIntegers = {
      "Add", "Sub", "Mul", "Neg", "Abs", "Relu", "Sign", "ReduceSum", "Sum", "CumSum", "Mod",
      "Pow", "BitShift"};
  switch (type) {
  case ElementType::Float:
  case ElementType::Double:
  case ElementType::Float16:
    return true;
  case ElementType::Int64:
  case ElementType::Int32:
  case ElementType::UInt8:
  case ElementType::Int8:
  case ElementType::UInt16:
  case ElementType::Int16:
  case ElementType::UInt32:
  case ElementType::UInt64:
    return moving.count(opType) || exactOnIntegers.count(opType);
  case ElementType::Bool:
    return boolAsMask || moving.count(opType);
  case ElementType::Other:
    return false;
  }
  return false;
}

const Tensor *Importer::constantInput(const Node &node, size_t index) {
  if (index >= node.inputs.size())
    return nullptr;
  auto it = constants.find(node.inputs[index]);
  return it == constants.end() ? nullptr : &it->second;
}

Value Importer::materialize(const Tensor &tensor, Location loc) {
  std::vector<float> data = tensor.floats;
  if (!isFloatType(tensor.type))
    data.assign(tensor.ints.begin(), tensor.ints.end());
  auto type = RankedTensorType::get(tensor.dims, b.getF32Type());
  return ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, ArrayRef<float>(data)));
}

FailureOr<Value> Importer::input(const Node &node, size_t index) {
  if (index >= node.inputs.size() || node.inputs[index].empty())
    return fail(node, "missing input " + std::to_string(index));
  const std::string &name = node.inputs[index];
  if (auto it = values.find(name); it != values.end())
    return it->second;
  if (auto it = constants.find(name); it != constants.end()) {
    Value v = materialize(it->second, locOf(node));
    values[name] = v;
    return v;
  }
  return fail(node, "input '" + name + "' is neither a graph input, an initializer nor a node "
                    "output (missing initializer?)");
}

Value Importer::reshapeTo(Value value, ArrayRef<int64_t> shape, Location loc) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  if (value.getType() == type)
    return value;
  // Reshaping a constant is free: re-type its data.
  if (auto constant = value.getDefiningOp<ConstantOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
      return ConstantOp::create(b, loc, type, dense.reshape(type));
  return ReshapeOp::create(b, loc, type, value);
}

/// Numpy rank broadcasting: prepend dims of extent 1.
Value Importer::broadcastRank(Value value, int64_t rank, Location loc) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() >= rank)
    return value;
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  llvm::append_range(shape, type.getShape());
  return reshapeTo(value, shape, loc);
}

int64_t Importer::intAttr(const Node &node, const std::string &name, int64_t dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.i;
}
float Importer::floatAttr(const Node &node, const std::string &name, float dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.f;
}
std::vector<int64_t> Importer::intsAttr(const Node &node, const std::string &name,
                                        std::vector<int64_t> dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.ints;
}
std::string Importer::stringAttr(const Node &node, const std::string &name,
                                 const std::string &dflt) {
  auto it = node.attributes.find(name);
  return it == node.attributes.end() ? dflt : it->second.s;
}

FailureOr<int64_t> Importer::axisOf(const Node &node, int64_t axis, int64_t rank) {
  int64_t normalized = normalizeAxis(axis, rank);
  if (normalized < 0 || normalized >= rank)
    return fail(node, "axis " + std::to_string(axis) + " is out of range for rank " +
                          std::to_string(rank));
  return normalized;
}

//===----------------------------------------------------------------------===//
// Import-time evaluation of shape subgraphs
//===----------------------------------------------------------------------===//

bool Importer::tryFold(const Node &node) {
  std::optional<std::vector<Tensor>> folded = evaluateNode(
      node, graph.opset,
      [&](const std::string &name) -> const Tensor * {
        auto it = constants.find(name);
        return it == constants.end() ? nullptr : &it->second;
      },
      [&](const std::string &name) -> std::optional<std::vector<int64_t>> {
        auto it = values.find(name);
        if (it == values.end())
          return std::nullopt;
        auto shape = cast<RankedTensorType>(it->second.getType()).getShape();
        return std::vector<int64_t>(shape.begin(), shape.end());
      });
  if (!folded)
    return false;
  for (size_t i = 0; i < folded->size(); ++i)
    constants[node.outputs[i]] = std::move((*folded)[i]);
  return true;
}

Value Importer::scalar(float value, int64_t rank, Location loc) {
  Tensor t;
  t.type = ElementType::Float;
  t.dims.assign(rank, 1);
  t.floats = {value};
  return materialize(t, loc);
}

/// A Constant node with a value attribute is folded before it gets here.
static LogicalResult importConstant(Importer &im, const Node &node) {
  return im.fail(node, "has a value form Quilt cannot read (sparse or string)");
}

const OpImporterTable &quilt::importer::opImporters() {
  static const OpImporterTable table = [] {
    OpImporterTable t;
    registerConvolutionImporters(t);
    registerDataMovementImporters(t);
    registerElementwiseImporters(t);
    registerIndexingImporters(t);
    registerLinearImporters(t);
    registerLossImporters(t);
    registerNormalizationImporters(t);
    registerReductionImporters(t);
    t.add("Constant", importConstant);
    return t;
  }();
  return table;
}

/// The importer of `node`'s op at the model's opset; null when Quilt has none
/// (an op of another domain has none).
static const OpImporter *importerOf(const Node &node, int64_t opset) {
  if (!node.domain.empty() && node.domain != "ai.onnx")
    return nullptr;
  const OpImporter *entry = opImporters().lookup(node.opType);
  if (!entry || opset < entry->sinceOpset || opset > entry->untilOpset)
    return nullptr;
  return entry;
}


/// Window attributes that ONNX's own shape inference would divide by.
static bool checkWindowAttributes(const Graph &graph, std::string &error) {
  for (const Node &node : graph.nodes) {
    if (node.opType != "Conv" && node.opType != "ConvTranspose" && node.opType != "MaxPool" && node.opType != "AveragePool")
      continue;
    for (const char *name : {"strides", "dilations", "kernel_shape"}) {
      auto it = node.attributes.find(name);
      if (it == node.attributes.end())
        continue;
      for (int64_t v : it->second.ints)
        if (v < 1) {
          error = "node '" + node.name + "' (" + node.opType + "): " + name +
                  " must be positive, got " + std::to_string(v);
          return false;
        }
    }
    auto pads = node.attributes.find("pads");
    if (pads != node.attributes.end())
      for (int64_t v : pads->second.ints)
        if (v < 0) {
          error = "node '" + node.name + "' (" + node.opType + "): pads must not be negative";
          return false;
        }
  }
  return true;
}

/// Every node whose op Quilt does not compile, in one line: grouped by op
/// (a model may hold hundreds of one op), in the order ops first appear.
static bool checkSupportedOps(const Graph &graph, std::string &error) {
  struct Group {
    std::string op;
    std::string first;
    size_t count = 0;
  };
  std::vector<Group> groups;
  size_t total = 0;
  for (const Node &node : graph.nodes) {
    bool otherDomain = !node.domain.empty() && node.domain != "ai.onnx";
    if (importerOf(node, graph.opset) || (!otherDomain && isEvaluableOp(node.opType)))
      continue;
    std::string op = node.opType;
    if (otherDomain)
      op += " of domain '" + node.domain + "'";
    else if (const OpImporter *entry = opImporters().lookup(node.opType))
      op += " (Quilt reads opsets " + std::to_string(entry->sinceOpset) + " to " +
            std::to_string(entry->untilOpset) + ")";
    auto group = llvm::find_if(groups, [&](const Group &g) { return g.op == op; });
    if (group == groups.end())
      group = groups.insert(groups.end(), {op, node.name});
    ++group->count;
    ++total;
  }
  if (groups.empty())
    return checkWindowAttributes(graph, error);
  constexpr size_t kListed = 12;
  error = std::to_string(total) + " unsupported op" + (total > 1 ? "s" : "") + ": ";
  for (size_t i = 0; i < groups.size() && i < kListed; ++i) {
    const Group &g = groups[i];
    error += (i ? ", " : "") + g.op +
             (g.count == 1 ? " (node '" + g.first + "')"
                           : " x " + std::to_string(g.count) + " (first '" + g.first + "')");
  }
  if (groups.size() > kListed)
    error += ", and " + std::to_string(groups.size() - kListed) + " more op types";
  error += "; opset " + std::to_string(graph.opset);
  return false;
}

/// Records that ONNX value `name` is input `index` itself (`quilt.aliases`).
static void addInputAlias(func::FuncOp func, unsigned index, StringRef name) {
  Builder b(func.getContext());
  SmallVector<mlir::Attribute> aliases;
  if (auto old = func.getArgAttrOfType<ArrayAttr>(index, "quilt.aliases"))
    llvm::append_range(aliases, old);
  aliases.push_back(b.getStringAttr(name));
  func.setArgAttr(index, "quilt.aliases", b.getArrayAttr(aliases));
}

OwningOpRef<ModuleOp> Importer::run(std::string &errorOut) {
  Location fileLoc = FileLineColLoc::get(ctx, file, 0, 0);
  // Builders and op verifiers report through MLIR diagnostics at the node's
  // location; the first error becomes the one line quiltc prints. Remarks and
  // warnings go on to the caller's handler.
  std::map<std::string, std::string> opOfNode;
  for (const Node &node : graph.nodes)
    opOfNode.emplace(node.name, node.opType);
  ScopedDiagnosticHandler firstError(ctx, [&](Diagnostic &diag) -> LogicalResult {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    if (error.empty())
      error = describeError(diag, file, opOfNode);
    return success();
  });
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  std::map<std::string, std::vector<std::string>> widened;
  for (const auto &[name, tensor] : graph.initializers) {
    constants[name] = tensor;
    if (!tensor.widenedFrom.empty())
      widened[tensor.widenedFrom].push_back(name);
  }
  for (const auto &[from, names] : widened)
    emitRemark(fileLoc) << names.size() << " " << from << " initializer"
                        << (names.size() > 1 ? "s" : "") << " widened to float32 at import (first '"
                        << names.front() << "'); Quilt computes in float32";

  SmallVector<Type> argTypes;
  for (const ValueInfo &in : graph.inputs) {
    if (in.type == ElementType::Other) {
      errorOut = file + ": input '" + in.name + "' is " + elementTypeName(in.type) +
                 "; inputs may be " + dtypeNameList();
      return nullptr;
    }
    if (!in.hasShape || llvm::any_of(in.dims, [](int64_t d) { return d < 0; })) {
      errorOut = file + ": input '" + in.name + "' needs a static shape";
      return nullptr;
    }
    argTypes.push_back(RankedTensorType::get(in.dims, b.getF32Type()));
  }
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, in] : llvm::enumerate(graph.inputs)) {
    values[in.name] = body->getArgument(i);
    func.setArgAttr(i, "quilt.name", b.getStringAttr(in.name));
    // Quilt computes in float32; the runtime converts at the edge.
    if (in.type != ElementType::Float)
      func.setArgAttr(i, "quilt.dtype", b.getStringAttr(elementTypeName(in.type)));
  }
  b.setInsertionPointToStart(body);

  for (const Node &node : graph.nodes) {
    if (tryFold(node))
      continue;
    const OpImporter *entry = importerOf(node, graph.opset);
    if (!entry) {
      const OpImporter *other = node.domain.empty() || node.domain == "ai.onnx"
                                    ? opImporters().lookup(node.opType)
                                    : nullptr;
      if (other)
        (void)fail(node, "is compiled from opset " + std::to_string(other->sinceOpset) + " to " +
                             std::to_string(other->untilOpset) + " (the model's is " +
                             std::to_string(graph.opset) + ") or when its inputs are "
                             "compile-time constants");
      else
        (void)fail(node, "is only supported when its inputs are compile-time constants");
      errorOut = error;
      return nullptr;
    }
    if (failed(entry->build(*this, node))) {
      errorOut = error;
      return nullptr;
    }
    // Value names let --shard annotate any value the model keeps (an input
    // passed through Identity too).
    for (const std::string &out : node.outputs) {
      auto it = values.find(out);
      if (it == values.end())
        continue;
      if (auto result = dyn_cast<OpResult>(it->second);
          result && !isa<ConstantOp>(result.getOwner()))
        recordOnnxValueName(result, out);
      if (auto arg = dyn_cast<BlockArgument>(it->second))
        addInputAlias(func, arg.getArgNumber(), out);
    }
  }
  SmallVector<Value> results;
  for (const ValueInfo &out : graph.outputs) {
    if (out.type == ElementType::Other) {
      errorOut = file + ": output '" + out.name + "' is " + elementTypeName(out.type) +
                 "; outputs may be " + dtypeNameList();
      return nullptr;
    }
    auto it = values.find(out.name);
    if (it != values.end()) {
      results.push_back(it->second);
      continue;
    }
    // An output the model computes from constants alone is a constant.
    auto constant = constants.find(out.name);
    if (constant == constants.end()) {
      errorOut = file + ": output '" + out.name + "' is never computed";
      return nullptr;
    }
    results.push_back(materialize(constant->second, fileLoc));
  }
  // An output that is an input, a constant or another output gets its own
  // buffer: a copy (a reshape to its own shape).
  llvm::SmallPtrSet<Value, 8> returned;
  for (Value &result : results) {
    bool ownBuffer = !isa<BlockArgument>(result) && !result.getDefiningOp<ConstantOp>() &&
                     returned.insert(result).second;
    if (!ownBuffer)
      result = ReshapeOp::create(b, fileLoc, result.getType(), result);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(graph.outputs)) {
    func.setResultAttr(i, "quilt.name", b.getStringAttr(out.name));
    if (out.type != ElementType::Float)
      func.setResultAttr(i, "quilt.dtype", b.getStringAttr(elementTypeName(out.type)));
  }
  // Constants re-typed for broadcasting leave their originals unused.
  func.walk([](ConstantOp constant) {
    if (constant->use_empty())
      constant.erase();
  });
  if (failed(verify(*module))) {
    errorOut = error.empty() ? file + ": the imported module does not verify" : error;
    return nullptr;
  }
  return module;
}


OwningOpRef<ModuleOp>
quilt::importOnnxFile(MLIRContext *ctx, const std::string &path, std::string &error,
                      const std::map<std::string, std::vector<int64_t>> &inputShapes) {
  ctx->loadDialect<QuiltDialect, func::FuncDialect>();
  Graph graph;
  if (!readModel(path, graph, error, checkSupportedOps, inputShapes))
    return nullptr;
  Importer importer(ctx, graph, path);
  OwningOpRef<ModuleOp> module = importer.run(error);
  if (!module)
    return nullptr;
  // The import phase ends by lowering the ops the builders state as ONNX
  // does (quilt.batch_norm, quilt.logic, quilt.matmul) to compute ops.
  PassManager decompose(ctx);
  decompose.addPass(createQuiltDecompose());
  if (failed(decompose.run(*module))) {
    error = path + ": lowering the imported ops failed (see the diagnostic above)";
    return nullptr;
  }
  return module;
}

