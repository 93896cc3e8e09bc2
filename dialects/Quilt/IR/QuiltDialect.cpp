//===- QuiltDialect.cpp - dialect, attributes and op verifiers ------------===//
#include "Quilt/IR/QuiltDialect.h"

#include "quilt/runtime.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace quilt;

#include "Quilt/IR/QuiltDialect.cpp.inc"
#include "Quilt/IR/QuiltEnums.cpp.inc"
#include "Quilt/IR/QuiltInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
/// LocalAttr's optional `, halos = [...]` then `, granules = [...]`.
static ParseResult parseHalosAndGranules(AsmParser &parser, ArrayAttr &halos,
                                         DenseI64ArrayAttr &granules) {
  while (succeeded(parser.parseOptionalComma())) {
    if (!halos && !granules && succeeded(parser.parseOptionalKeyword("halos"))) {
      if (parser.parseEqual() || parser.parseAttribute(halos))
        return failure();
      continue;
    }
    if (granules || parser.parseKeyword("granules") || parser.parseEqual())
      return failure();
    Attribute parsed = DenseI64ArrayAttr::parse(parser, Type());
    granules = dyn_cast_or_null<DenseI64ArrayAttr>(parsed);
    if (!granules)
      return failure();
  }
  return success();
}

static void printHalosAndGranules(AsmPrinter &printer, ArrayAttr halos,
                                  DenseI64ArrayAttr granules) {
  if (halos) {
    printer << ", halos = ";
    printer.printAttribute(halos);
  }
  if (granules) {
    printer << ", granules = ";
    granules.print(printer);
  }
}

#include "Quilt/IR/QuiltAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "Quilt/IR/QuiltOps.cpp.inc"

void QuiltDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Quilt/IR/QuiltAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Quilt/IR/QuiltOps.cpp.inc"
      >();
}

/// The plan an op carries (include/quilt/Transforms/ShardingUtils.h): the
/// factor axes must fit the op's rule while the program is global; the
/// partitioner checks the axes against the mesh and spends the attributes.
LogicalResult QuiltDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == kMathAttr) {
    auto value = dyn_cast<StringAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !value ||
        (value.getValue() != "fp32" && value.getValue() != "tf32"))
      return op->emitOpError() << kMathAttr << " is \"fp32\" or \"tf32\", on a module";
    return success();
  }
  if (name == "quilt.attention_algorithm") {
    auto value = dyn_cast<StringAttr>(attr.getValue());
    if (!isa<AttentionOp>(op) || !value ||
        (value.getValue() != "ring" && value.getValue() != "all-gather"))
      return op->emitOpError("quilt.attention_algorithm is \"ring\" or \"all-gather\", on a "
                             "quilt.attention");
    return success();
  }
  if (name != "quilt.factor_axes" && name != "quilt.factor_granules")
    return success();
  auto ruled = dyn_cast<ShardingRuleOpInterface>(op);
  if (!ruled)
    return op->emitOpError() << name << " on an op without a sharding rule";
  bool global = llvm::none_of(op->getOperandTypes(), [](Type t) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    return !tensor || tensor.getEncoding();
  });
  int64_t numFactors = global ? (int64_t)ruled.getShardingRule().factors.size() : -1;
  if (name == "quilt.factor_granules") {
    auto granules = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!granules || llvm::any_of(granules.asArrayRef(), [](int64_t g) { return g < 1; }))
      return op->emitOpError("quilt.factor_granules must be one positive granule per factor");
    if (numFactors >= 0 && granules.size() != numFactors)
      return op->emitOpError("quilt.factor_granules lists ")
             << granules.size() << " factors; the op's sharding rule has " << numFactors;
    return success();
  }
  auto factors = dyn_cast<ArrayAttr>(attr.getValue());
  if (!factors || llvm::any_of(factors, [](Attribute f) {
        auto axes = dyn_cast<ArrayAttr>(f);
        return !axes || llvm::any_of(axes, [](Attribute a) { return !isa<StringAttr>(a); });
      }))
    return op->emitOpError("quilt.factor_axes must list, per factor, its mesh axes");
  if (numFactors >= 0 && (int64_t)factors.size() != numFactors)
    return op->emitOpError("quilt.factor_axes lists ")
           << factors.size() << " factors; the op's sharding rule has " << numFactors;
  return success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

static SmallVector<StringRef> stringsOf(ArrayAttr array) {
  SmallVector<StringRef> out;
  if (!array)
    return out;
  for (Attribute a : array)
    if (auto s = dyn_cast<StringAttr>(a))
      out.push_back(s.getValue());
  return out;
}

/// Granules: one positive value per dim.
static LogicalResult verifyGranules(function_ref<InFlightDiagnostic()> emitError,
                                    DenseI64ArrayAttr granules, size_t rank) {
  if (!granules)
    return success();
  if (granules.size() != (int64_t)rank)
    return emitError() << "granules need one value per dim, got " << granules.size() << " for "
                       << rank;
  if (llvm::any_of(granules.asArrayRef(), [](int64_t g) { return g < 1; }))
    return emitError() << "granules must be positive";
  return success();
}

LogicalResult ShardingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   FlatSymbolRefAttr mesh, ArrayAttr dims, ArrayAttr partial,
                                   DenseI64ArrayAttr granules) {
  if (failed(verifyGranules(emitError, granules, dims.size())))
    return failure();
  llvm::SmallSetVector<StringRef, 4> seen;
  auto checkAxes = [&](Attribute list) -> LogicalResult {
    auto axes = dyn_cast<ArrayAttr>(list);
    if (!axes)
      return emitError() << "each sharding entry must be a list of axis names";
    for (Attribute a : axes) {
      auto name = dyn_cast<StringAttr>(a);
      if (!name)
        return emitError() << "mesh axis names must be strings";
      if (!seen.insert(name.getValue()))
        return emitError() << "mesh axis \"" << name.getValue() << "\" is used twice";
    }
    return success();
  };
  for (Attribute d : dims)
    if (failed(checkAxes(d)))
      return failure();
  if (partial && failed(checkAxes(partial)))
    return failure();
  return success();
}

SmallVector<StringRef> ShardingAttr::getDimAxes(unsigned dim) const {
  if (dim >= getDims().size())
    return {};
  return stringsOf(dyn_cast<ArrayAttr>(getDims()[dim]));
}

SmallVector<StringRef> ShardingAttr::getPartialAxes() const { return stringsOf(getPartial()); }

int64_t ShardingAttr::getGranule(unsigned dim) const {
  return getGranules() && dim < getGranules().size() ? getGranules()[dim] : 1;
}

int64_t LocalAttr::getGranule(int64_t dim) const {
  return getGranules() && dim < getGranules().size() ? getGranules()[dim] : 1;
}

LogicalResult LocalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                FlatSymbolRefAttr mesh, ArrayRef<int64_t> global, ArrayAttr dims,
                                ArrayAttr halos, DenseI64ArrayAttr granules) {
  if (global.size() != dims.size())
    return emitError() << "#quilt.local has " << global.size() << " global sizes but "
                       << dims.size() << " dim entries";
  if (failed(verifyGranules(emitError, granules, dims.size())))
    return failure();
  for (auto [d, n] : llvm::enumerate(global)) {
    int64_t g = granules ? granules[d] : 1;
    if (g != 1 && n % g != 0)
      return emitError() << "#quilt.local dim " << d << " of size " << n
                         << " is not a whole number of granules of " << g;
  }
  for (Attribute d : dims) {
    auto axes = dyn_cast<ArrayAttr>(d);
    if (!axes || !llvm::all_of(axes, [](Attribute a) { return isa<StringAttr>(a); }))
      return emitError() << "#quilt.local dim entries must be lists of axis names";
    if (axes.size() > 3)
      return emitError() << "#quilt.local splits a dim over at most 3 mesh axes";
  }
  if (halos)
    for (Attribute h : halos) {
      auto halo = dyn_cast<HaloAttr>(h);
      if (!halo || halo.getDim() < 0 || halo.getDim() >= (int64_t)global.size())
        return emitError() << "#quilt.local halos must be #quilt.halo on existing dims";
      // A halo'd dim's granules are its output blocks' (a same-size window).
      if (granules && granules[halo.getDim()] != 1 &&
          halo.getGlobalOut() % granules[halo.getDim()] != 0)
        return emitError() << "#quilt.local dim " << halo.getDim()
                           << " holds a halo for an output of " << halo.getGlobalOut()
                           << " positions, not a whole number of granules of "
                           << granules[halo.getDim()];
    }
  return success();
}

LogicalResult LocalAttr::verifyFor(Operation *op, RankedTensorType type) const {
  if ((int64_t)getGlobal().size() != type.getRank())
    return op->emitOpError("#quilt.local encoding has rank ")
           << getGlobal().size() << " on a tensor of rank " << type.getRank();
  MeshOp mesh = lookupMesh(op, getMesh());
  if (!mesh)
    return failure();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    auto axes = cast<ArrayAttr>(getDims()[d]);
    if (axes.empty() != !type.isDynamicDim(d))
      return op->emitOpError("dim ") << d << " must be dynamic exactly when #quilt.local splits it";
    for (Attribute a : axes)
      if (mesh.getAxisIndex(cast<StringAttr>(a).getValue()) < 0)
        return op->emitOpError("#quilt.local names unknown mesh axis ") << a;
  }
  return success();
}

Window WindowAttr::toWindow(int64_t inSize, int64_t outSize) const {
  Window w{getStride(), getDilation(), getKernel(), getPadLo()};
  w.kind = static_cast<WindowKind>(getMode());
  w.resizeCoord = static_cast<ResizeCoord>(getCoordinate());
  w.resizeSample = static_cast<ResizeSample>(getSampling());
  w.scaleNum = getScaleNum();
  w.scaleDen = getScaleDen();
  w.resizeIn = inSize;
  w.resizeOut = outSize;
  return w;
}

WindowAttr WindowAttr::fromWindow(MLIRContext *ctx, const Window &w) {
  return WindowAttr::get(ctx, w.stride, w.dilation, w.kernel, w.padLo,
                         static_cast<WindowMode>(w.kind),
                         static_cast<ResizeCoordinate>(w.resizeCoord),
                         static_cast<ResizeSampling>(w.resizeSample), w.scaleNum, w.scaleDen);
}

// The ODS enums and the runtime's halo-math enums share their values.
static_assert((int)WindowMode::ConvTranspose == (int)WindowKind::ConvTranspose &&
              (int)WindowMode::Resize == (int)WindowKind::Resize);
static_assert((int)ResizeCoordinate::PytorchHalfPixel == (int)ResizeCoord::PytorchHalfPixel &&
              (int)ResizeCoordinate::AlignCorners == (int)ResizeCoord::AlignCorners &&
              (int)ResizeCoordinate::TfHalfPixelForNn == (int)ResizeCoord::TfHalfPixelForNn);
static_assert((int)ResizeSampling::Linear == (int)ResizeSample::Linear &&
              (int)ResizeSampling::Ceil == (int)ResizeSample::Ceil);
static_assert((int)Boundary::Reflect == QUILT_BOUNDARY_REFLECT &&
              (int)Boundary::Edge == QUILT_BOUNDARY_EDGE &&
              (int)HaloBoundary::Reflect == QUILT_BOUNDARY_REFLECT &&
              (int)HaloBoundary::Periodic == QUILT_BOUNDARY_PERIODIC &&
              (int)HaloBoundary::Edge == QUILT_BOUNDARY_EDGE);

HaloAttr LocalAttr::getHalo(int64_t dim) const {
  if (!getHalos())
    return {};
  for (Attribute a : getHalos())
    if (auto halo = dyn_cast<HaloAttr>(a); halo && halo.getDim() == dim)
      return halo;
  return {};
}

LocalAttr quilt::getLocalEncoding(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  return ranked ? dyn_cast_or_null<LocalAttr>(ranked.getEncoding()) : LocalAttr();
}

MeshOp quilt::lookupMesh(Operation *from, FlatSymbolRefAttr name) {
  auto mesh = SymbolTable::lookupNearestSymbolFrom<MeshOp>(from, name);
  if (!mesh)
    from->emitError() << "no quilt.mesh named " << name;
  return mesh;
}

//===----------------------------------------------------------------------===//
// Mesh
//===----------------------------------------------------------------------===//

// quilt.mesh @name ["x" = 2, "y" = 4]
ParseResult MeshOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name;
  if (parser.parseSymbolName(name, getSymNameAttrName(result.name), result.attributes))
    return failure();
  SmallVector<Attribute> names;
  SmallVector<int64_t> sizes;
  auto parseAxis = [&]() -> ParseResult {
    std::string axis;
    int64_t size;
    if (parser.parseString(&axis) || parser.parseEqual() || parser.parseInteger(size))
      return failure();
    names.push_back(parser.getBuilder().getStringAttr(axis));
    sizes.push_back(size);
    return success();
  };
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Square, parseAxis) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  Builder &b = parser.getBuilder();
  result.addAttribute(getAxisNamesAttrName(result.name), b.getArrayAttr(names));
  result.addAttribute(getShapeAttrName(result.name), b.getDenseI64ArrayAttr(sizes));
  return success();
}

void MeshOp::print(OpAsmPrinter &p) {
  p << ' ';
  p.printSymbolName(getSymName());
  p << " [";
  for (auto [i, name] : llvm::enumerate(getAxisNames())) {
    if (i)
      p << ", ";
    p << '"' << cast<StringAttr>(name).getValue() << "\" = " << getShape()[i];
  }
  p << ']';
  p.printOptionalAttrDict((*this)->getAttrs(),
                          {getSymNameAttrName(), getAxisNamesAttrName(), getShapeAttrName()});
}

LogicalResult MeshOp::verify() {
  if (getAxisNames().size() != getShape().size())
    return emitOpError("needs one size per axis");
  if (getShape().empty())
    return emitOpError("needs at least one axis");
  llvm::SmallSetVector<StringRef, 4> seen;
  for (auto [name, size] : llvm::zip(getAxisNames(), getShape())) {
    StringRef axis = cast<StringAttr>(name).getValue();
    if (!seen.insert(axis))
      return emitOpError("axis \"") << axis << "\" is declared twice";
    if (size < 1)
      return emitOpError("axis \"") << axis << "\" must have at least one rank, got " << size;
  }
  return success();
}

int64_t MeshOp::getAxisIndex(StringRef axis) {
  for (auto [i, name] : llvm::enumerate(getAxisNames()))
    if (cast<StringAttr>(name).getValue() == axis)
      return i;
  return -1;
}

int64_t MeshOp::getAxisSize(StringRef axis) {
  int64_t i = getAxisIndex(axis);
  return i < 0 ? -1 : getShape()[i];
}

int64_t MeshOp::getNumRanks() {
  int64_t n = 1;
  for (int64_t s : getShape())
    n *= s;
  return n;
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

/// Dims agree when equal or when either is only known per rank.
static bool dimsAgree(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static LogicalResult verifyShardingAgainstType(Operation *op, ShardingAttr sharding, Type type) {
  auto ranked = cast<RankedTensorType>(type);
  if ((int64_t)sharding.getDims().size() != ranked.getRank())
    return op->emitOpError("sharding has ")
           << sharding.getDims().size() << " dims but the tensor has rank " << ranked.getRank();
  MeshOp mesh = lookupMesh(op, sharding.getMesh());
  if (!mesh)
    return failure();
  auto checkAxis = [&](StringRef axis) -> LogicalResult {
    if (mesh.getAxisIndex(axis) < 0)
      return op->emitOpError("mesh ") << sharding.getMesh() << " has no axis \"" << axis << "\"";
    return success();
  };
  for (unsigned d = 0; d < ranked.getRank(); ++d)
    for (StringRef axis : sharding.getDimAxes(d))
      if (failed(checkAxis(axis)))
        return failure();
  for (StringRef axis : sharding.getPartialAxes())
    if (failed(checkAxis(axis)))
      return failure();
  return success();
}

LogicalResult AnnotateOp::verify() {
  if (auto priority = getPriority(); priority && (*priority < 0 || *priority > 1000))
    return emitOpError("priority must be in [0, 1000] (1000: a default split), got ") << *priority;
  return verifyShardingAgainstType(*this, getSharding(), getInput().getType());
}

/// Checks each static spatial extent of a windowed op's result against
/// (in + pad_lo + pad_hi - ((k - 1) * d + 1)) / s + 1.
static LogicalResult verifyWindowExtents(Operation *op, RankedTensorType in, RankedTensorType out,
                                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                         ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads) {
  int64_t spatial = kernel.size();
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t size = in.getDimSize(2 + i), got = out.getDimSize(2 + i);
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(got) || strides[i] < 1)
      continue;
    int64_t span = (kernel[i] - 1) * dilations[i] + 1;
    int64_t padded = size + pads[i] + pads[spatial + i];
    int64_t expected = padded < span ? 0 : (padded - span) / strides[i] + 1;
    if (got != expected)
      return op->emitOpError("result spatial dim ") << i << " must be " << expected << ", got "
                                                    << got;
  }
  return success();
}

LogicalResult ConvOp::verify() {
  auto in = getInput().getType(), filter = getFilter().getType(), out = getResult().getType();
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return emitOpError("supports 1-D to 3-D convolution, got input rank ") << in.getRank();
  if (filter.getRank() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("input, filter and result must have the same rank");
  if ((int64_t)getStrides().size() != spatial || (int64_t)getDilations().size() != spatial ||
      (int64_t)getPads().size() != 2 * spatial)
    return emitOpError("needs ") << spatial << " strides and dilations and " << 2 * spatial
                                 << " pads";
  int64_t group = getGroup();
  if (group < 1 || !dimsAgree(in.getDimSize(1), filter.getDimSize(1) * group))
    return emitOpError("input channels ")
           << in.getDimSize(1) << " do not match filter channels " << filter.getDimSize(1)
           << " x group " << group;
  if (filter.getDimSize(0) % group != 0)
    return emitOpError("output channels must divide by group");
  if (!dimsAgree(out.getDimSize(1), filter.getDimSize(0)))
    return emitOpError("result channels must equal filter count");
  if (getBias() && getBias().getType().getNumElements() != filter.getDimSize(0))
    return emitOpError("bias needs one value per output channel");
  for (int64_t s : getStrides())
    if (s < 1)
      return emitOpError("strides must be positive");
  for (int64_t d : getDilations())
    if (d < 1)
      return emitOpError("dilations must be positive");
  SmallVector<int64_t> kernel(filter.getShape().drop_front(2));
  return verifyWindowExtents(*this, in, out, kernel, getStrides(), getDilations(), getPads());
}

LogicalResult ConvTransposeOp::verify() {
  auto in = getInput().getType(), filter = getFilter().getType(), out = getResult().getType();
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return emitOpError("supports 1-D to 3-D transposed convolution, got input rank ")
           << in.getRank();
  if (filter.getRank() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("input, filter and result must have the same rank");
  if ((int64_t)getStrides().size() != spatial || (int64_t)getDilations().size() != spatial ||
      (int64_t)getPads().size() != 2 * spatial || (int64_t)getOutputPadding().size() != spatial)
    return emitOpError("needs ") << spatial << " strides, dilations and output_padding and "
                                 << 2 * spatial << " pads";
  int64_t group = getGroup();
  if (group < 1 || !dimsAgree(in.getDimSize(1), filter.getDimSize(0)) ||
      filter.getDimSize(0) % group != 0)
    return emitOpError("input channels ")
           << in.getDimSize(1) << " must equal the filter's first dim " << filter.getDimSize(0)
           << ", a multiple of group " << group;
  if (!dimsAgree(out.getDimSize(1), filter.getDimSize(1) * group))
    return emitOpError("result channels must be the filter's second dim x group");
  if (getBias() && getBias().getType().getNumElements() != filter.getDimSize(1) * group)
    return emitOpError("bias needs one value per output channel");
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t s = getStrides()[i], d = getDilations()[i];
    if (s < 1 || d < 1)
      return emitOpError("strides and dilations must be positive");
    int64_t n = in.getDimSize(2 + i), k = filter.getDimSize(2 + i);
    // A split dim is dynamic (kDynamic would overflow the arithmetic below).
    if (ShapedType::isDynamic(n) || ShapedType::isDynamic(k))
      continue;
    int64_t expect = (n - 1) * s - getPads()[i] - getPads()[spatial + i] + (k - 1) * d + 1 +
                     getOutputPadding()[i];
    if (!dimsAgree(out.getDimSize(2 + i), expect))
      return emitOpError("result spatial dim ") << i << " must be " << expect << ", got "
                                                << out.getDimSize(2 + i);
  }
  return success();
}

Window ResizeOp::getDimWindow(int64_t d) {
  Window w;
  w.kind = WindowKind::Resize;
  w.resizeCoord = static_cast<ResizeCoord>(getCoordinate());
  w.resizeSample = static_cast<ResizeSample>(getSampling());
  w.scaleNum = getScaleNums()[d];
  w.scaleDen = getScaleDens()[d];
  LocalAttr inLocal = getLocalEncoding(getInput().getType());
  LocalAttr outLocal = getLocalEncoding(getResult().getType());
  w.resizeIn = inLocal ? inLocal.getGlobal()[d] : getInput().getType().getDimSize(d);
  w.resizeOut = outLocal ? outLocal.getGlobal()[d] : getResult().getType().getDimSize(d);
  return w;
}

bool ResizeOp::isCopiedDim(int64_t d) {
  Window w = getDimWindow(d);
  if (w.resizeIn != w.resizeOut || w.scaleNum != w.scaleDen)
    return false;
  // Scale 1 maps o to o in every mode but align_corners, which does too.
  return true;
}

LogicalResult ResizeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.getRank() != out.getRank() || (int64_t)getScaleNums().size() != in.getRank() ||
      (int64_t)getScaleDens().size() != in.getRank())
    return emitOpError("needs one scale per dim and equal input and result ranks");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (getScaleNums()[d] < 1 || getScaleDens()[d] < 1)
      return emitOpError("scales must be positive fractions");
  return success();
}

template <typename PoolOp> static LogicalResult verifyPool(PoolOp op) {
  int64_t spatial = op.getInput().getType().getRank() - 2;
  if (spatial < 1 || spatial > 3)
    return op.emitOpError("supports 1-D to 3-D pooling");
  if ((int64_t)op.getKernelShape().size() != spatial || (int64_t)op.getStrides().size() != spatial ||
      (int64_t)op.getDilations().size() != spatial || (int64_t)op.getPads().size() != 2 * spatial)
    return op.emitOpError("needs ") << spatial << " kernel sizes, strides, dilations and "
                                    << 2 * spatial << " pads";
  auto in = op.getInput().getType(), out = op.getResult().getType();
  if (out.getRank() != in.getRank())
    return op.emitOpError("result rank must equal input rank");
  for (auto list : {op.getKernelShape(), op.getStrides(), op.getDilations()})
    for (int64_t v : list)
      if (v < 1)
        return op.emitOpError("kernel sizes, strides and dilations must be positive");
  return verifyWindowExtents(op, in, out, op.getKernelShape(), op.getStrides(),
                             op.getDilations(), op.getPads());
}
LogicalResult MaxPoolOp::verify() { return verifyPool(*this); }
LogicalResult AvgPoolOp::verify() { return verifyPool(*this); }

LogicalResult quilt::verifyBroadcastOperands(Operation *op) {
  auto lhs = cast<RankedTensorType>(op->getOperand(0).getType());
  auto rhs = cast<RankedTensorType>(op->getOperand(1).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (lhs.getRank() != rhs.getRank() || lhs.getRank() != out.getRank())
    return op->emitOpError("operands and result must have equal rank (the importer inserts "
                           "reshapes for rank broadcasting)");
  for (int64_t d = 0; d < out.getRank(); ++d) {
    int64_t a = lhs.getDimSize(d), b = rhs.getDimSize(d), r = out.getDimSize(d);
    bool ok = (a == 1 || dimsAgree(a, r)) && (b == 1 || dimsAgree(b, r));
    if (!ok)
      return op->emitOpError("dim ") << d << " does not broadcast: " << a << " and " << b
                                     << " to " << r;
  }
  return success();
}
LogicalResult CompareOp::verify() { return verifyBroadcastOperands(*this); }

LogicalResult GemmOp::verify() {
  auto a = getA().getType(), b = getB().getType(), y = getResult().getType();
  if (a.getRank() != 2 || b.getRank() != 2 || y.getRank() != 2)
    return emitOpError("operands and result must be 2-D");
  int64_t m = getTransA() ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = getTransB() ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = getTransB() ? b.getDimSize(0) : b.getDimSize(1);
  if (!dimsAgree(ka, kb))
    return emitOpError("contraction sizes differ: ") << ka << " vs " << kb;
  if (!dimsAgree(m, y.getDimSize(0)) || !dimsAgree(n, y.getDimSize(1)))
    return emitOpError("result must be ") << m << "x" << n;
  if (getC()) {
    auto c = getC().getType();
    if (c.getRank() > 2)
      return emitOpError("C must have rank 2 or less, got ") << c.getRank();
    for (int64_t d = 0; d < c.getRank(); ++d) {
      int64_t extent = c.getDimSize(d), target = y.getDimSize(2 - c.getRank() + d);
      if (extent != 1 && !dimsAgree(extent, target))
        return emitOpError("C does not broadcast to the ") << m << "x" << n << " result";
    }
  }
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() < 2)
    return emitOpError("needs an input of rank >= 2 ([N, C, ...]), got rank ") << in.getRank();
  int64_t channels = in.getDimSize(1);
  for (Value v : {getScale(), getBias(), getMean(), getVariance()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != 1 || !dimsAgree(type.getDimSize(0), channels))
      return emitOpError("scale, bias, mean and variance must have shape [")
             << channels << "], got " << type;
  }
  return success();
}

LogicalResult LogicOp::verify() {
  auto operands = getOperands();
  if (getKind() == LogicKind::Not) {
    if (operands.size() != 1 || operands[0].getType() != getResult().getType())
      return emitOpError("not takes one operand of the result's type");
    return success();
  }
  if (operands.size() != 2)
    return emitOpError(stringifyLogicKind(getKind())) << " takes two operands, got "
                                                      << operands.size();
  return verifyBroadcastOperands(*this);
}

LogicalResult MatMulOp::verify() {
  auto a = getLhs().getType(), b = getRhs().getType(), out = getResult().getType();
  int64_t ra = a.getRank(), rb = b.getRank();
  if (ra < 1 || rb < 1)
    return emitOpError("operands must have rank >= 1, got ") << ra << " and " << rb;
  // A 1-D lhs is a row [1, K], a 1-D rhs a column [K, 1] (numpy).
  int64_t ka = a.getDimSize(ra - 1), kb = b.getDimSize(rb == 1 ? 0 : rb - 2);
  if (!dimsAgree(ka, kb))
    return emitOpError("contraction sizes differ: ") << ka << " vs " << kb;
  // Batch dims align from the back; an extent of 1 broadcasts.
  int64_t batchA = std::max<int64_t>(ra - 2, 0), batchB = std::max<int64_t>(rb - 2, 0);
  int64_t batch = std::max(batchA, batchB);
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < batch; ++d) {
    int64_t ea = d < batch - batchA ? 1 : a.getDimSize(d - (batch - batchA));
    int64_t eb = d < batch - batchB ? 1 : b.getDimSize(d - (batch - batchB));
    if (ea != 1 && eb != 1 && !dimsAgree(ea, eb))
      return emitOpError("batch dims do not broadcast: ") << ea << " and " << eb;
    expected.push_back(ea == 1 ? eb : ea);
  }
  if (ra >= 2)
    expected.push_back(a.getDimSize(ra - 2));
  if (rb >= 2)
    expected.push_back(b.getDimSize(rb - 1));
  bool ok = out.getRank() == (int64_t)expected.size();
  for (int64_t d = 0; ok && d < out.getRank(); ++d)
    ok = dimsAgree(out.getDimSize(d), expected[d]);
  if (!ok)
    return emitOpError("result must be ")
           << RankedTensorType::get(expected, out.getElementType()) << ", got " << out;
  return success();
}

static LogicalResult verifyReduceDims(Operation *op, ArrayRef<int64_t> dims, RankedTensorType in,
                                      RankedTensorType out) {
  if (in.getRank() != out.getRank())
    return op->emitOpError("keeps reduced dims: result rank must equal input rank");
  for (int64_t d : dims)
    if (d < 0 || d >= in.getRank())
      return op->emitOpError("dim ") << d << " is out of range";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool reduced = llvm::is_contained(dims, d);
    if (reduced ? out.getDimSize(d) != 1 : !dimsAgree(out.getDimSize(d), in.getDimSize(d)))
      return op->emitOpError("result dim ") << d << " has the wrong extent";
  }
  return success();
}
LogicalResult ReduceSumOp::verify() {
  return verifyReduceDims(*this, getDims(), getInput().getType(), getResult().getType());
}
LogicalResult ReduceMaxOp::verify() {
  return verifyReduceDims(*this, getDims(), getInput().getType(), getResult().getType());
}
LogicalResult ReduceProdOp::verify() {
  return verifyReduceDims(*this, getDims(), getInput().getType(), getResult().getType());
}
LogicalResult ReduceMeanOp::verify() {
  if (getDivisor() && getDivisor()->convertToDouble() <= 0)
    return emitOpError("divisor must be positive");
  return verifyReduceDims(*this, getDims(), getInput().getType(), getResult().getType());
}

template <typename OpT> static LogicalResult verifySoftmax(OpT op) {
  int64_t axis = op.getAxis(), rank = op.getInput().getType().getRank();
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}
LogicalResult SoftmaxOp::verify() { return verifySoftmax(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmax(*this); }

LogicalResult GroupNormOp::verify() {
  auto in = getInput().getType();
  int64_t groups = getGroups();
  if (in.getRank() < 3)
    return emitOpError("needs an input of rank >= 3 ([N, C, spatial...]), got rank ")
           << in.getRank();
  int64_t channels = in.getDimSize(1);
  if (groups < 1 || (!ShapedType::isDynamic(channels) && channels % groups != 0))
    return emitOpError("groups = ") << groups << " must divide the " << channels << " channels";
  for (Value v : {getScale(), getBias()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != 1 || !dimsAgree(type.getDimSize(0), groups))
      return emitOpError("scale and bias must have shape [") << groups << "], got " << type;
  }
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto in = getInput().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank " << in.getRank();
  for (Value v : {getScale(), getBias()}) {
    auto type = cast<RankedTensorType>(v.getType());
    bool ok = type.getRank() == in.getRank() - axis;
    for (int64_t d = 0; ok && d < type.getRank(); ++d)
      ok = dimsAgree(type.getDimSize(d), in.getDimSize(axis + d));
    if (!ok)
      return emitOpError("scale and bias must have the normalized shape (input dims ")
             << axis << ".." << in.getRank() - 1 << "), got " << type;
  }
  return success();
}

LogicalResult MomentsOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  int64_t rowDims = getRowDims(), groups = getGroups();
  if (rowDims < 0 || rowDims >= in.getRank())
    return emitOpError("row_dims ") << rowDims << " must leave at least one dim to reduce";
  if (groups < 1)
    return emitOpError("groups must be positive");
  bool ok = out.getRank() == rowDims + 2 && dimsAgree(out.getDimSize(rowDims), groups) &&
            dimsAgree(out.getDimSize(rowDims + 1), 3);
  for (int64_t d = 0; ok && d < rowDims; ++d)
    ok = dimsAgree(out.getDimSize(d), in.getDimSize(d));
  if (!ok)
    return emitOpError("result must be the input's first ")
           << rowDims << " dims, then [" << groups << ", 3]";
  return success();
}

LogicalResult TransposeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  ArrayRef<int64_t> perm = getPerm();
  if ((int64_t)perm.size() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("needs a permutation of all ") << in.getRank() << " dims";
  SmallVector<bool> seen(perm.size(), false);
  for (auto [k, p] : llvm::enumerate(perm)) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
    if (!dimsAgree(out.getDimSize(k), in.getDimSize(p)))
      return emitOpError("result dim ") << k << " must equal input dim " << p;
  }
  return success();
}

LogicalResult PadOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  ArrayRef<int64_t> padding = getPadding();
  int64_t rank = in.getRank();
  if ((int64_t)padding.size() != 2 * rank || out.getRank() != rank)
    return emitOpError("needs ") << 2 * rank << " padding values";
  // Negative padding crops: a roll is a periodic pad of k below and -k above.
  for (int64_t d = 0; d < rank; ++d) {
    if (!in.isDynamicDim(d) && padding[d] + padding[rank + d] < -in.getDimSize(d))
      return emitOpError("dim ") << d << " is cropped by more than its size";
    // A periodic halo wraps at most once around the domain.
    if (getMode() == Boundary::Periodic && !in.isDynamicDim(d) &&
        (std::abs(padding[d]) > in.getDimSize(d) || std::abs(padding[rank + d]) > in.getDimSize(d)))
      return emitOpError("periodic padding of dim ") << d << " exceeds its size "
                                                      << in.getDimSize(d);
    if (!in.isDynamicDim(d) && !out.isDynamicDim(d) &&
        out.getDimSize(d) != in.getDimSize(d) + padding[d] + padding[rank + d])
      return emitOpError("result dim ") << d << " must be input + padding";
  }
  return success();
}

FailureOr<std::array<std::string, 3>> EinsumOp::parseEquation() {
  StringRef eq = getEquation();
  std::array<std::string, 3> parts;
  size_t comma = eq.find(','), arrow = eq.find("->");
  if (comma == StringRef::npos || arrow == StringRef::npos || arrow < comma)
    return failure();
  parts[0] = eq.substr(0, comma).trim().str();
  parts[1] = eq.substr(comma + 1, arrow - comma - 1).trim().str();
  parts[2] = eq.substr(arrow + 2).trim().str();
  for (const std::string &p : parts)
    for (char c : p)
      if (c < 'a' || c > 'z')
        return failure();
  return parts;
}

LogicalResult EinsumOp::verify() {
  auto letters = parseEquation();
  if (failed(letters))
    return emitOpError("equation '") << getEquation()
                                     << "' must be 'lhs,rhs->result' in lowercase letters";
  auto [a, b, r] = *letters;
  std::array<RankedTensorType, 3> types{getLhs().getType(), getRhs().getType(),
                                        getResult().getType()};
  std::array<const std::string *, 3> names{&a, &b, &r};
  llvm::StringMap<int64_t> extent;
  for (int i = 0; i < 3; ++i) {
    if ((int64_t)names[i]->size() != types[i].getRank())
      return emitOpError("equation term '") << *names[i] << "' does not match rank "
                                            << types[i].getRank();
    for (auto [d, c] : llvm::enumerate(*names[i])) {
      if (llvm::count(*names[i], c) != 1)
        return emitOpError("letter '") << StringRef(&c, 1) << "' repeats within a term";
      int64_t size = types[i].getDimSize(d);
      auto [it, inserted] = extent.try_emplace(StringRef(&c, 1), size);
      if (!inserted && !dimsAgree(it->second, size))
        return emitOpError("letter '") << StringRef(&c, 1) << "' has extents " << it->second
                                       << " and " << size;
    }
  }
  for (char c : r)
    if (a.find(c) == std::string::npos && b.find(c) == std::string::npos)
      return emitOpError("result letter '") << StringRef(&c, 1) << "' is in no operand";
  for (const std::string *in : {&a, &b})
    for (char c : *in) {
      const std::string &other = in == &a ? b : a;
      if (other.find(c) == std::string::npos && r.find(c) == std::string::npos)
        return emitOpError("letter '") << StringRef(&c, 1)
                                       << "' is summed within one operand; not supported";
    }
  return success();
}

/// q [b..., Tq.., d], k [b..., Tk.., d], v [b..., Tk.., dv] -> [b..., Tq.., dv],
/// with `tokens` token dims each.
static LogicalResult verifyAttentionShapes(Operation *op, RankedTensorType q, RankedTensorType k,
                                           RankedTensorType v, RankedTensorType out,
                                           int64_t tokens) {
  int64_t rank = q.getRank();
  if (rank < tokens + 1 || k.getRank() != rank || v.getRank() != rank || out.getRank() != rank)
    return op->emitOpError("q, k, v and the result need one equal rank >= token_dims + 1 = ")
           << tokens + 1;
  int64_t firstToken = rank - 1 - tokens;
  for (int64_t d = 0; d < firstToken; ++d)
    if (!dimsAgree(q.getDimSize(d), k.getDimSize(d)) ||
        !dimsAgree(q.getDimSize(d), v.getDimSize(d)) ||
        !dimsAgree(q.getDimSize(d), out.getDimSize(d)))
      return op->emitOpError("batch dim ") << d << " differs between q, k, v and the result";
  if (!dimsAgree(q.getDimSize(rank - 1), k.getDimSize(rank - 1)))
    return op->emitOpError("q and k need the same feature size");
  for (int64_t d = firstToken; d < rank - 1; ++d) {
    if (!dimsAgree(k.getDimSize(d), v.getDimSize(d)))
      return op->emitOpError("k and v need the same tokens (dim ") << d << ")";
    if (!dimsAgree(out.getDimSize(d), q.getDimSize(d)))
      return op->emitOpError("result must be [batch..., Tq.., dv]");
  }
  if (!dimsAgree(out.getDimSize(rank - 1), v.getDimSize(rank - 1)))
    return op->emitOpError("result must be [batch..., Tq.., dv]");
  return success();
}

static SmallVector<StringRef> splitAxesOf(RankedTensorType type, int64_t dim);

/// Prefix keys [b..., Tp, d] and values [b..., Tp, dv]: both or neither.
/// Partitioned, every rank holds all prefix tokens and features, and the
/// queries' batch blocks.
static LogicalResult verifyAttentionPrefix(Operation *op, RankedTensorType q, RankedTensorType v,
                                           Value prefixK, Value prefixV, int64_t tokens) {
  if (!prefixK && !prefixV)
    return success();
  if (!prefixK || !prefixV)
    return op->emitOpError("needs both prefix keys and prefix values, or neither");
  auto pk = cast<RankedTensorType>(prefixK.getType()), pv = cast<RankedTensorType>(prefixV.getType());
  int64_t firstToken = q.getRank() - 1 - tokens;
  if (pk.getRank() != firstToken + 2 || pv.getRank() != firstToken + 2)
    return op->emitOpError("prefix keys and values need the batch dims, one token dim and "
                           "the features (rank ")
           << firstToken + 2 << ")";
  for (int64_t d = 0; d < firstToken; ++d)
    if (!dimsAgree(pk.getDimSize(d), q.getDimSize(d)) || !dimsAgree(pv.getDimSize(d), q.getDimSize(d)))
      return op->emitOpError("prefix batch dim ") << d << " differs from the queries'";
  if (!dimsAgree(pk.getDimSize(firstToken), pv.getDimSize(firstToken)) ||
      !dimsAgree(pk.getDimSize(firstToken + 1), q.getDimSize(q.getRank() - 1)) ||
      !dimsAgree(pv.getDimSize(firstToken + 1), v.getDimSize(v.getRank() - 1)))
    return op->emitOpError("prefix keys must be [batch..., Tp, d] and values [batch..., Tp, dv]");
  for (RankedTensorType prefix : {pk, pv}) {
    for (int64_t d : {firstToken, firstToken + 1})
      if (!splitAxesOf(prefix, d).empty())
        return op->emitOpError("prefix keys and values must be whole along tokens and features");
    for (int64_t d = 0; d < firstToken; ++d)
      if (splitAxesOf(prefix, d) != splitAxesOf(q, d))
        return op->emitOpError("prefix batch dim ") << d << " must be split as the queries'";
  }
  return success();
}

/// A bias [b..., Tq_1..Tq_n, Tk_1..Tk_n] added to the scores, each dim that
/// extent or 1. Partitioned, it is split as the queries along batch and Tq
/// dims and whole along Tk (every block's columns are at hand).
static LogicalResult verifyAttentionBias(Operation *op, RankedTensorType q, RankedTensorType k,
                                         Value bias, Value prefixK, int64_t tokens) {
  if (!bias)
    return success();
  if (prefixK)
    return op->emitOpError("takes a bias or prefix keys, not both");
  auto b = cast<RankedTensorType>(bias.getType());
  int64_t firstToken = q.getRank() - 1 - tokens;
  if (b.getRank() != firstToken + 2 * tokens)
    return op->emitOpError("bias must be [batch..., Tq.., Tk..] (rank ")
           << firstToken + 2 * tokens << ")";
  for (int64_t d = 0; d < b.getRank(); ++d) {
    bool key = d >= firstToken + tokens;
    RankedTensorType of = key ? k : q;
    int64_t dim = key ? d - tokens : d;
    int64_t extent = b.getDimSize(d);
    if (extent != 1 && !dimsAgree(extent, of.getDimSize(dim)))
      return op->emitOpError("bias dim ")
             << d << " is neither 1 nor the extent of " << (key ? "k" : "q") << " dim " << dim;
    SmallVector<StringRef> axes = splitAxesOf(b, d);
    if (key && !axes.empty())
      return op->emitOpError("bias must be whole along the key tokens");
    if (!key && extent != 1 && axes != splitAxesOf(q, dim))
      return op->emitOpError("bias dim ") << d << " must be split as the queries' dim " << dim;
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQ().getType(), getK().getType(), getV().getType(),
                                   getResult().getType(), getTokenDims())) ||
      failed(verifyAttentionPrefix(*this, getQ().getType(), getV().getType(), getPrefixK(),
                                   getPrefixV(), getTokenDims())))
    return failure();
  return verifyAttentionBias(*this, getQ().getType(), getK().getType(), getBias(), getPrefixK(),
                             getTokenDims());
}

LogicalResult RingAttentionOp::verify() {
  MeshOp mesh = lookupMesh(*this, getMeshAttr());
  if (!mesh)
    return failure();
  if (mesh.getAxisIndex(getAxis()) < 0)
    return emitOpError("mesh ") << getMeshAttr() << " has no axis \"" << getAxis() << "\"";
  if (failed(verifyAttentionShapes(*this, getQ().getType(), getK().getType(), getV().getType(),
                                   getResult().getType(), getTokenDims())) ||
      failed(verifyAttentionPrefix(*this, getQ().getType(), getV().getType(), getPrefixK(),
                                   getPrefixV(), getTokenDims())) ||
      failed(verifyAttentionBias(*this, getQ().getType(), getK().getType(), getBias(),
                                 getPrefixK(), getTokenDims())))
    return failure();
  // The ring runs over the owners of the keys' tokens, `axis` first.
  auto k = getK().getType();
  if (getLocalEncoding(k)) {
    SmallVector<StringRef> axes;
    for (int64_t d = k.getRank() - 1 - getTokenDims(); d < k.getRank() - 1; ++d) {
      if (splitAxesOf(getV().getType(), d) != splitAxesOf(k, d))
        return emitOpError("keys and values must be split alike along their tokens");
      llvm::append_range(axes, splitAxesOf(k, d));
    }
    if (axes.empty() || axes.front() != getAxis())
      return emitOpError("keys and values must be split along their tokens, first over \"")
             << getAxis() << "\"";
  }
  return success();
}

LogicalResult SelectOp::verify() {
  auto out = getResult().getType();
  for (Value v : {getCondition(), getLhs(), getRhs()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != out.getRank())
      return emitOpError("operands must have the result's rank ") << out.getRank();
    for (int64_t d = 0; d < out.getRank(); ++d)
      if (type.getDimSize(d) != 1 && !dimsAgree(type.getDimSize(d), out.getDimSize(d)))
        return emitOpError("operand dim ") << d << " neither matches the result nor is 1";
  }
  return success();
}

LogicalResult SliceOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  int64_t rank = in.getRank();
  if ((int64_t)getStarts().size() != rank || (int64_t)getSteps().size() != rank ||
      out.getRank() != rank)
    return emitOpError("needs one start and one step per dim");
  for (int64_t d = 0; d < rank; ++d) {
    int64_t start = getStarts()[d], step = getSteps()[d];
    if (start < 0 || step == 0)
      return emitOpError("starts must be non-negative and steps non-zero");
    if (in.isDynamicDim(d) || out.isDynamicDim(d) || out.getDimSize(d) == 0)
      continue;
    int64_t last = start + (out.getDimSize(d) - 1) * step;
    if (start >= in.getDimSize(d) || last < 0 || last >= in.getDimSize(d))
      return emitOpError("dim ") << d << " reads outside the input's " << in.getDimSize(d)
                                 << " positions";
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.hasStaticShape() && out.hasStaticShape() && in.getNumElements() != out.getNumElements())
    return emitOpError("changes the element count: ") << in.getNumElements() << " vs "
                                                      << out.getNumElements();
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  auto out = getResult().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= out.getRank())
    return emitOpError("axis ") << axis << " is out of range";
  int64_t total = 0;
  bool dynamic = false;
  for (Value v : getInputs()) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != out.getRank())
      return emitOpError("inputs must have the result's rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && !dimsAgree(t.getDimSize(d), out.getDimSize(d)))
        return emitOpError("inputs differ from the result in dim ") << d;
    dynamic |= t.isDynamicDim(axis);
    total += t.getDimSize(axis);
  }
  if (!dynamic && !out.isDynamicDim(axis) && total != out.getDimSize(axis))
    return emitOpError("result extent along the axis must be the sum of the inputs'");
  return success();
}

LogicalResult DftOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  int64_t rank = in.getRank(), axis = getAxis();
  if (rank < 2 || out.getRank() != rank)
    return emitOpError("needs input and result of equal rank >= 2 (signal dims, then a trailing "
                       "complex dim), got ")
           << rank << " and " << out.getRank();
  int64_t parts = in.getDimSize(rank - 1);
  if (parts != 1 && parts != 2)
    return emitOpError("input needs a trailing dim of 1 (real) or 2 (complex), got ") << parts;
  if (out.getDimSize(rank - 1) != 2)
    return emitOpError("result needs a trailing dim of 2 (complex), got ")
           << out.getDimSize(rank - 1);
  if (axis < 0 || axis >= rank - 1)
    return emitOpError("axis ") << axis << " must be a signal dim in [0, " << rank - 1 << ")";
  if (getOnesided() && (parts != 1 || getInverse()))
    return emitOpError("onesided needs a real input and a forward transform");
  for (int64_t d = 0; d < rank - 1; ++d) {
    int64_t n = in.getDimSize(d), expect = n;
    if (d == axis && getOnesided() && !ShapedType::isDynamic(n))
      expect = n / 2 + 1;
    if (!dimsAgree(out.getDimSize(d), expect))
      return emitOpError("result dim ") << d << " must be " << expect << ", got "
                                        << out.getDimSize(d);
  }
  if (LocalAttr local = getLocalEncoding(in);
      local && !cast<ArrayAttr>(local.getDims()[axis]).empty())
    return emitOpError("axis ") << axis << " must be whole on every rank, but it is split";
  return success();
}

/// Checks that `axis` is a dim of `in` and that `out` has `in`'s rank
/// (plus `extraDims`) and agrees with it on every dim but `axis`.
static LogicalResult verifyAlongAxis(Operation *op, int64_t axis, RankedTensorType in,
                                     RankedTensorType out, int64_t extraDims = 0) {
  if (axis < 0 || axis >= in.getRank())
    return op->emitOpError("axis ") << axis << " is out of range for rank " << in.getRank();
  if (out.getRank() != in.getRank() + extraDims)
    return op->emitOpError("result rank must be ") << in.getRank() + extraDims;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != axis && !dimsAgree(in.getDimSize(d), out.getDimSize(d)))
      return op->emitOpError("result dim ") << d << " must equal input dim " << d;
  return success();
}

LogicalResult ArgReduceOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (failed(verifyAlongAxis(*this, getAxis(), in, out)))
    return failure();
  if (out.getDimSize(getAxis()) != 1)
    return emitOpError("result keeps axis ") << getAxis() << " with extent 1";
  return success();
}

LogicalResult CumSumOp::verify() {
  auto in = getInput().getType();
  if (failed(verifyAlongAxis(*this, getAxis(), in, in)))
    return failure();
  if (getCarry() && failed(verifyAlongAxis(*this, getAxis(), in, getCarry().getType())))
    return emitOpError("carry must have the input's shape but along axis ") << getAxis();
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto in = getInput().getType(), indices = getIndices().getType(), out = getResult().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank " << in.getRank();
  if (indices.getRank() != in.getRank() || out.getRank() != in.getRank())
    return emitOpError("input, indices and result must have equal ranks");
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (!dimsAgree(out.getDimSize(d), indices.getDimSize(d)))
      return emitOpError("result must have the shape of the indices");
  return success();
}

LogicalResult ArgCandidatesOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (failed(verifyAlongAxis(*this, getAxis(), in, out, 1)))
    return failure();
  if (!dimsAgree(out.getDimSize(out.getRank() - 1), 2))
    return emitOpError("result needs a trailing dim of 2 (value, index)");
  return success();
}

LogicalResult ArgSelectOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= out.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank " << out.getRank();
  bool ok = in.getRank() == out.getRank() + 1 && dimsAgree(in.getDimSize(out.getRank()), 2);
  for (int64_t d = 0; ok && d < out.getRank(); ++d)
    ok = d == axis || dimsAgree(in.getDimSize(d), out.getDimSize(d));
  if (!ok)
    return emitOpError("input must have the result's dims (but along axis ")
           << axis << ") and a trailing dim of 2 (value, index)";
  if (out.getDimSize(axis) != 1)
    return emitOpError("result keeps axis ") << getAxis() << " with extent 1";
  return success();
}

LogicalResult BlockSumOp::verify() {
  return verifyAlongAxis(*this, getAxis(), getInput().getType(), getResult().getType());
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// Checks that `axis` is an axis of `mesh` and that `dim` is in range.
static LogicalResult verifyMeshAxisDim(Operation *op, FlatSymbolRefAttr meshName, StringRef axis,
                                       int64_t dim, RankedTensorType type) {
  MeshOp mesh = lookupMesh(op, meshName);
  if (!mesh)
    return failure();
  if (mesh.getAxisIndex(axis) < 0)
    return op->emitOpError("mesh ") << meshName << " has no axis \"" << axis << "\"";
  if (dim < 0 || dim >= type.getRank())
    return op->emitOpError("dim ") << dim << " is out of range for rank " << type.getRank();
  return success();
}

LogicalResult HaloExchangeOp::verify() {
  auto in = getInput().getType();
  if (failed(verifyMeshAxisDim(*this, getMeshAttr(), getAxis(), getDim(), in)))
    return failure();
  WindowAttr w = getWindow();
  if (w.getStride() < 1 || w.getDilation() < 1 || w.getKernel() < 1)
    return emitOpError("window stride, dilation and kernel must be positive");
  if (w.getScaleNum() < 1 || w.getScaleDen() < 1)
    return emitOpError("window scale must be a positive fraction");
  int64_t global = getGlobal(), globalOut = getGlobalOut();
  if (global < 1 || globalOut < 0)
    return emitOpError("global sizes must be positive");
  // A periodic halo wraps once at most: it must not reach past a neighbouring copy.
  Window window = w.toWindow(global, globalOut);
  Range all = neededInputRange(window, {0, globalOut});
  if (getBoundary() == Boundary::Periodic && globalOut > 0 &&
      (all.begin < -global || all.end > 2 * global))
    return emitOpError("periodic halo wider than the domain");
  auto out = getResult().getType();
  if (out.getRank() != in.getRank())
    return emitOpError("result rank must equal input rank");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != (int64_t)getDim() && !dimsAgree(in.getDimSize(d), out.getDimSize(d)))
      return emitOpError("only dim ") << getDim() << " may change extent";
  return success();
}

LogicalResult ReblockOp::verify() {
  if (!lookupMesh(*this, getMeshAttr()))
    return failure();
  auto in = getInput().getType(), out = getResult().getType();
  LocalAttr from = getLocalEncoding(in), to = getLocalEncoding(out);
  int64_t dim = getDim();
  if (!from || !to || from.getGlobal() != to.getGlobal() || dim < 0 || dim >= in.getRank())
    return emitOpError("needs local input and result of one global shape and a dim of them");
  if (splitAxesOf(in, dim).empty() || splitAxesOf(in, dim) != splitAxesOf(out, dim))
    return emitOpError("dim ") << dim << " must be split over the same mesh axes on both sides";
  if (from.getGranule(dim) == to.getGranule(dim))
    return emitOpError("dim ") << dim << " has granules of " << from.getGranule(dim)
                               << " on both sides: nothing to re-block";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (from.getHalo(d) || to.getHalo(d))
      return emitOpError("re-blocks plain blocks only (dim ") << d << " holds a halo)";
    if (d != dim && (splitAxesOf(in, d) != splitAxesOf(out, d) ||
                     from.getGranule(d) != to.getGranule(d) ||
                     !dimsAgree(in.getDimSize(d), out.getDimSize(d))))
      return emitOpError("only dim ") << dim << " may change its blocks";
  }
  return success();
}

/// The mesh axes splitting `dim` of a local type (empty for a global type).
static SmallVector<StringRef> splitAxesOf(RankedTensorType type, int64_t dim) {
  LocalAttr local = getLocalEncoding(type);
  if (!local)
    return {};
  SmallVector<StringRef> axes;
  for (Attribute a : cast<ArrayAttr>(local.getDims()[dim]))
    axes.push_back(cast<StringAttr>(a).getValue());
  return axes;
}

/// Checks that `axes` lists mesh axes of `mesh`, at least one, none twice.
static LogicalResult verifyAxisList(Operation *op, FlatSymbolRefAttr meshName, ArrayAttr axes) {
  MeshOp mesh = lookupMesh(op, meshName);
  if (!mesh)
    return failure();
  if (axes.empty())
    return op->emitOpError("needs at least one mesh axis");
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (mesh.getAxisIndex(cast<StringAttr>(a).getValue()) < 0)
      return op->emitOpError("mesh ") << meshName << " has no axis " << a;
    if (llvm::count(axes, a) != 1)
      return op->emitOpError("lists mesh axis ") << a << " twice";
  }
  return success();
}

/// Whether `all` is `major` followed by the names in `minor`.
static bool isSplitThen(ArrayRef<StringRef> all, ArrayRef<StringRef> major, ArrayAttr minor) {
  SmallVector<StringRef> want(major);
  for (StringRef name : minor.getAsValueRange<StringAttr>())
    want.push_back(name);
  return SmallVector<StringRef>(all) == want;
}

std::optional<CollectiveKind> quilt::collectiveKindOf(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<CollectiveKind>>(op)
      .Case([](AllReduceOp) { return CollectiveKind::AllReduce; })
      .Case([](AllGatherOp) { return CollectiveKind::AllGather; })
      .Case([](ReduceScatterOp) { return CollectiveKind::ReduceScatter; })
      .Case([](AllToAllOp) { return CollectiveKind::AllToAll; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<CollectiveAlgorithm> quilt::recordedCollectiveAlgorithm(Operation *op) {
  auto name = op->getAttrOfType<StringAttr>(kCollectiveAlgorithmAttr);
  CollectiveAlgorithm algorithm;
  if (!name || !parseCollectiveAlgorithm(name.data(), name.size(), algorithm))
    return std::nullopt;
  return algorithm;
}

static SmallVector<StringRef> axisNames(ArrayAttr axes) {
  return llvm::to_vector(axes.getAsValueRange<StringAttr>());
}

std::optional<int64_t> quilt::collectiveGroupSize(Operation *op) {
  auto group = llvm::TypeSwitch<Operation *,
                                std::optional<std::pair<FlatSymbolRefAttr, SmallVector<StringRef>>>>(op)
                   .Case([&](AllReduceOp o) { return std::make_pair(o.getMeshAttr(), axisNames(o.getAxes())); })
                   .Case([&](ReduceScatterOp o) {
                     return std::make_pair(o.getMeshAttr(), axisNames(o.getAxes()));
                   })
                   .Case([&](AllToAllOp o) { return std::make_pair(o.getMeshAttr(), axisNames(o.getAxes())); })
                   .Case([&](AllGatherOp o) {
                     return std::make_pair(o.getMeshAttr(), SmallVector<StringRef>{o.getAxis()});
                   })
                   .Default([](Operation *) { return std::nullopt; });
  if (!group)
    return std::nullopt;
  MeshOp mesh = lookupMesh(op, group->first);
  if (!mesh)
    return std::nullopt;
  int64_t members = 1;
  for (StringRef axis : group->second)
    members *= std::max<int64_t>(1, mesh.getAxisSize(axis));
  return members;
}

/// A collective's `algorithm`, if it names one, must be one the runtime runs
/// for `kind` over its group (collective_algorithms.h).
static LogicalResult verifyCollectiveAlgorithm(Operation *op, CollectiveKind kind) {
  auto name = op->getAttrOfType<StringAttr>(kCollectiveAlgorithmAttr);
  if (!name)
    return success();
  CollectiveAlgorithm algorithm;
  if (!parseCollectiveAlgorithm(name.data(), name.size(), algorithm))
    return op->emitOpError("has unknown algorithm ")
           << name << " (library, ring, recursive-doubling, rabenseifner, bruck, "
           << "recursive-halving or pairwise)";
  std::optional<int64_t> members = collectiveGroupSize(op);
  if (!members)
    return failure();
  if (!collectiveAlgorithmServes(kind, algorithm, *members))
    return op->emitOpError("algorithm ")
           << name << " is not one the runtime runs for " << collectiveKindName(kind)
           << " over " << *members << " ranks";
  return success();
}

/// Whether dim `dim` of a local type is a halo-free block of granule 1 (or whole).
static bool isPlainBlock(RankedTensorType type, int64_t dim) {
  LocalAttr local = getLocalEncoding(type);
  return !local || (!local.getHalo(dim) && local.getGranule(dim) == 1);
}

LogicalResult ReduceScatterOp::verify() {
  if (failed(verifyAxisList(*this, getMeshAttr(), getAxes())) ||
      failed(verifyCollectiveAlgorithm(*this, CollectiveKind::ReduceScatter)))
    return failure();
  auto in = getInput().getType(), out = getResult().getType();
  int64_t dim = getDim();
  if (dim < 0 || dim >= in.getRank() || out.getRank() != in.getRank())
    return emitOpError("dim ") << dim << " is out of range for rank " << in.getRank();
  LocalAttr inLocal = getLocalEncoding(in), outLocal = getLocalEncoding(out);
  if ((inLocal && inLocal.getHalo(dim)) || (outLocal && outLocal.getHalo(dim)))
    return emitOpError("dim ") << dim << " must be a block (no halo)";
  if (inLocal && outLocal && !splitAxesOf(in, dim).empty() &&
      inLocal.getGranule(dim) != outLocal.getGranule(dim))
    return emitOpError("input and result must split dim ") << dim << " in the same granules";
  if (getLocalEncoding(out) && !isSplitThen(splitAxesOf(out, dim), splitAxesOf(in, dim), getAxes()))
    return emitOpError("result must split dim ")
           << dim << " like the input, then over " << getAxes();
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != dim && !dimsAgree(in.getDimSize(d), out.getDimSize(d)))
      return emitOpError("only dim ") << dim << " may change extent";
  return success();
}

LogicalResult CollectivePermuteOp::verify() {
  MeshOp mesh = lookupMesh(*this, getMeshAttr());
  if (!mesh)
    return failure();
  if (mesh.getAxisIndex(getAxis()) < 0)
    return emitOpError("mesh ") << getMeshAttr() << " has no axis \"" << getAxis() << "\"";
  auto type = getInput().getType();
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (llvm::is_contained(splitAxesOf(type, d), getAxis()))
      return emitOpError("cannot permute along \"")
             << getAxis() << "\", which splits dim " << d << ": blocks may differ in size";
  return success();
}

LogicalResult AllReduceOp::verify() {
  MeshOp mesh = lookupMesh(*this, getMeshAttr());
  if (!mesh)
    return failure();
  if (getAxes().empty())
    return emitOpError("needs at least one mesh axis");
  for (Attribute a : getAxes())
    if (mesh.getAxisIndex(cast<StringAttr>(a).getValue()) < 0)
      return emitOpError("mesh ") << getMeshAttr() << " has no axis " << a;
  auto type = getInput().getType();
  if (getKind() == ReductionKind::Moments &&
      (type.getRank() == 0 || !dimsAgree(type.getDimSize(type.getRank() - 1), 3)))
    return emitOpError("of kind moments needs (count, mean, M2) triples in the last dim, got ")
           << type;
  return verifyCollectiveAlgorithm(*this, CollectiveKind::AllReduce);
}

template <typename OpT> static LogicalResult verifyGatherLike(OpT op) {
  auto in = op.getInput().getType(), out = op.getResult().getType();
  if (failed(verifyMeshAxisDim(op, op.getMeshAttr(), op.getAxis(), op.getDim(), in)))
    return failure();
  if (out.getRank() != in.getRank())
    return op.emitOpError("result rank must equal input rank");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != (int64_t)op.getDim() && !dimsAgree(in.getDimSize(d), out.getDimSize(d)))
      return op.emitOpError("only dim ") << op.getDim() << " may change extent";
  return success();
}
LogicalResult AllGatherOp::verify() {
  if (failed(verifyGatherLike(*this)))
    return failure();
  return verifyCollectiveAlgorithm(*this, CollectiveKind::AllGather);
}
LogicalResult ShardSliceOp::verify() { return verifyGatherLike(*this); }

LogicalResult AllToAllOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  int64_t from = getDim(), to = getToDim();
  if (failed(verifyAxisList(*this, getMeshAttr(), getAxes())) ||
      failed(verifyCollectiveAlgorithm(*this, CollectiveKind::AllToAll)))
    return failure();
  if (from < 0 || from >= in.getRank())
    return emitOpError("dim ") << from << " is out of range for rank " << in.getRank();
  if (to < 0 || to >= in.getRank() || to == from)
    return emitOpError("to ") << to << " must be a dim of rank " << in.getRank()
                              << " other than dim " << from;
  if (out.getRank() != in.getRank())
    return emitOpError("result rank must equal input rank");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != from && d != to && !dimsAgree(in.getDimSize(d), out.getDimSize(d)))
      return emitOpError("only dims ") << from << " and " << to << " may change extent";
  LocalAttr inLocal = getLocalEncoding(in), outLocal = getLocalEncoding(out);
  if (inLocal && outLocal && inLocal.getGlobal() != outLocal.getGlobal())
    return emitOpError("input and result must have the same global shape");
  // Global-typed (not yet partitioned) IR has no layouts to check.
  if (!inLocal && !outLocal)
    return success();
  if (!isSplitThen(splitAxesOf(in, from), splitAxesOf(out, from), getAxes()))
    return emitOpError("the input must split dim ")
           << from << " like the result, then over the moving axes " << getAxes();
  if (!isSplitThen(splitAxesOf(out, to), splitAxesOf(in, to), getAxes()))
    return emitOpError("the result must split dim ")
           << to << " like the input, then over the moving axes " << getAxes();
  for (RankedTensorType type : {in, out})
    for (int64_t d : {from, to})
      if (!isPlainBlock(type, d))
        return emitOpError("dims ") << from << " and " << to
                                    << " must be plain blocks (no halo, no granules)";
  return success();
}

// quilt.constant dense<...> : tensor<...>: the type is the value's own.
ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  TypedAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) || parser.parseAttribute(value))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return parser.emitError(parser.getCurrentLocation(), "expected an elements attribute");
  result.addAttribute(getValueAttrName(result.name), value);
  result.addTypes(value.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &p) {
  p.printOptionalAttrDict((*this)->getAttrs(), {getValueAttrName()});
  p << ' ';
  p.printAttribute(getValue());
}

//===----------------------------------------------------------------------===//
// ONNX value names
//===----------------------------------------------------------------------===//

void quilt::recordOnnxValueName(OpResult result, StringRef name) {
  Operation *op = result.getOwner();
  MLIRContext *ctx = op->getContext();
  Builder b(ctx);
  Location loc = op->getLoc();
  NamedAttrList names;
  // The op's own names, if an earlier name was recorded: extend them.
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (auto dict = dyn_cast_or_null<DictionaryAttr>(fused.getMetadata());
        dict && fused.getLocations().size() == 1) {
      names.append(dict.getValue());
      loc = fused.getLocations().front();
    }
  }
  names.set(name, b.getArrayAttr({b.getI64IntegerAttr(result.getResultNumber()),
                                  TypeAttr::get(result.getType())}));
  op->setLoc(FusedLoc::get(ctx, {loc}, names.getDictionary(ctx)));
}

Location quilt::withoutOnnxValueNames(Location loc) {
  auto fused = dyn_cast<FusedLoc>(loc);
  if (!fused)
    return loc;
  SmallVector<Location> inner;
  for (Location l : fused.getLocations())
    inner.push_back(withoutOnnxValueNames(l));
  Attribute metadata = fused.getMetadata();
  if (isa_and_nonnull<DictionaryAttr>(metadata))
    metadata = {};
  return FusedLoc::get(inner, metadata, loc.getContext());
}

void quilt::forEachOnnxValue(Operation *op, function_ref<void(StringRef, OpResult)> fn) {
  op->getLoc()->walk([&](Location loc) {
    auto fused = dyn_cast<FusedLoc>(loc);
    auto dict = fused ? dyn_cast_or_null<DictionaryAttr>(fused.getMetadata()) : DictionaryAttr();
    if (!dict)
      return WalkResult::advance();
    for (NamedAttribute entry : dict) {
      auto info = dyn_cast<ArrayAttr>(entry.getValue());
      if (!info || info.size() != 2)
        continue;
      auto index = dyn_cast<IntegerAttr>(info[0]);
      auto type = dyn_cast<TypeAttr>(info[1]);
      // A value an op fused in is gone unless the op computes it still.
      if (index && type && index.getInt() >= 0 && index.getInt() < op->getNumResults() &&
          op->getResult(index.getInt()).getType() == type.getValue())
        fn(entry.getName().getValue(), op->getResult(index.getInt()));
    }
    return WalkResult::advance();
  });
}

bool quilt::allowsTf32(Operation *op) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    module = op->getParentOfType<ModuleOp>();
  auto math = module ? module->getAttrOfType<StringAttr>(kMathAttr) : StringAttr();
  return math && math.getValue() == "tf32";
}
