//===- QuiltBase.td - the quilt dialect, enums and attributes -*- tablegen -*-===//
#ifndef QUILT_BASE_TD
#define QUILT_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/IR/CommonAttrConstraints.td"

def Quilt_Dialect : Dialect {
  let name = "quilt";
  let cppNamespace = "::quilt";
  let summary = "Domain-parallel tensor programs: meshes, shardings, halos, collectives";
  let description = [{
    Quilt models a scientific-ML network over global tensors, annotates how
    each value is split over a device mesh, and partitions it into one SPMD
    program whose communication (halo exchanges, collectives) is explicit.
  }];
  let useDefaultAttributePrinterParser = 1;
  // The plan's discardable attributes (quilt.factor_axes, ...) are checked
  // where they appear.
  let hasOperationAttrVerify = 1;
}

def Quilt_Boundary : I32EnumAttr<"Boundary",
    "What a halo holds outside the global domain", [
  I32EnumAttrCase<"Zero", 0, "zero">,
  I32EnumAttrCase<"Periodic", 1, "periodic">,
  I32EnumAttrCase<"Reflect", 2, "reflect">,
  I32EnumAttrCase<"Edge", 3, "edge">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}
def Quilt_BoundaryAttr : EnumAttr<Quilt_Dialect, Quilt_Boundary, "boundary"> {
  let assemblyFormat = "$value";
}

def Quilt_ReductionKind : I32EnumAttr<"ReductionKind",
    "How partial values combine", [
  I32EnumAttrCase<"Sum", 0, "sum">,
  I32EnumAttrCase<"Max", 2, "max">,
  // (count, mean, M2) triples merged with Chan et al.'s pairwise update.
  I32EnumAttrCase<"Moments", 3, "moments">,
  I32EnumAttrCase<"Prod", 4, "prod">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}
def Quilt_ReductionKindAttr : EnumAttr<Quilt_Dialect, Quilt_ReductionKind, "reduction"> {
  let assemblyFormat = "$value";
}

def Quilt_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "How quilt.compare compares its operands", [
  I32EnumAttrCase<"Less", 0, "lt">,
  I32EnumAttrCase<"LessEqual", 1, "le">,
  I32EnumAttrCase<"Greater", 2, "gt">,
  I32EnumAttrCase<"GreaterEqual", 3, "ge">,
  I32EnumAttrCase<"Equal", 4, "eq">
]> {
  // Printed as a bare keyword, like arith.cmpf's predicate.
  let cppNamespace = "::quilt";
}

def Quilt_LogicKind : I32EnumAttr<"LogicKind",
    "Which ONNX logical op quilt.logic computes", [
  I32EnumAttrCase<"And", 0, "and">,
  I32EnumAttrCase<"Or", 1, "or">,
  I32EnumAttrCase<"Xor", 2, "xor">,
  I32EnumAttrCase<"Not", 3, "not">
]> {
  // Printed as a bare keyword, like quilt.compare's predicate.
  let cppNamespace = "::quilt";
}

def Quilt_Activation : I32EnumAttr<"Activation",
    "An activation a compute op applies to its result", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Relu", 1, "relu">,
  I32EnumAttrCase<"LeakyRelu", 2, "leaky_relu">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}
def Quilt_ActivationAttr : EnumAttr<Quilt_Dialect, Quilt_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

class Quilt_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Quilt_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Quilt_ShardingAttr : Quilt_Attr<"Sharding", "sharding"> {
  let summary = "How a tensor is split over a mesh";
  let description = [{
    For each tensor dim, the mesh axes that split it (major to minor), plus
    the axes over which the value is still an unreduced partial sum:
    `#quilt.sharding<@mesh, [[], [], ["x"], []], partial = ["y"]>`.
    Splits are block distributions (quilt/partition_math.h); with `granules`,
    a split dim is split in whole granules of that many positions (the
    merged dim of a reshape whose major part was split: tokens of an image
    split by rows), `granules = [1, 6, 1]`.
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    "::mlir::ArrayAttr":$dims,
    OptionalParameter<"::mlir::ArrayAttr">:$partial,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$granules);
  let assemblyFormat = [{
    `<` $mesh `,` $dims (`,` `partial` `=` $partial^)? (`,` `granules` `=` $granules^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The mesh axes splitting tensor dim `dim` (empty when whole).
    ::llvm::SmallVector<::llvm::StringRef> getDimAxes(unsigned dim) const;
    /// The partial axes, empty when none.
    ::llvm::SmallVector<::llvm::StringRef> getPartialAxes() const;
    /// The granule of `dim` (1 unless `granules` says otherwise).
    int64_t getGranule(unsigned dim) const;
  }];
}

def Quilt_WindowMode : I32EnumAttr<"WindowMode",
    "How output positions read input positions along one dim", [
  I32EnumAttrCase<"Conv", 0, "conv">,
  I32EnumAttrCase<"ConvTranspose", 1, "conv_transpose">,
  I32EnumAttrCase<"Resize", 2, "resize">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}
def Quilt_ResizeCoordinate : I32EnumAttr<"ResizeCoordinate",
    "ONNX Resize coordinate_transformation_mode", [
  I32EnumAttrCase<"HalfPixel", 0, "half_pixel">,
  I32EnumAttrCase<"Asymmetric", 1, "asymmetric">,
  I32EnumAttrCase<"AlignCorners", 2, "align_corners">,
  I32EnumAttrCase<"PytorchHalfPixel", 3, "pytorch_half_pixel">,
  I32EnumAttrCase<"TfHalfPixelForNn", 4, "tf_half_pixel_for_nn">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}
def Quilt_ResizeSampling : I32EnumAttr<"ResizeSampling",
    "ONNX Resize nearest_mode, or linear or cubic interpolation", [
  I32EnumAttrCase<"RoundPreferFloor", 0, "round_prefer_floor">,
  I32EnumAttrCase<"RoundPreferCeil", 1, "round_prefer_ceil">,
  I32EnumAttrCase<"Floor", 2, "floor">,
  I32EnumAttrCase<"Ceil", 3, "ceil">,
  I32EnumAttrCase<"Linear", 4, "linear">,
  I32EnumAttrCase<"Cubic", 5, "cubic">
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quilt";
}

def Quilt_ResizeCoordinateAttr : EnumAttr<Quilt_Dialect, Quilt_ResizeCoordinate, "coordinate"> {
  let assemblyFormat = "$value";
}
def Quilt_ResizeSamplingAttr : EnumAttr<Quilt_Dialect, Quilt_ResizeSampling, "sampling"> {
  let assemblyFormat = "$value";
}

def Quilt_WindowAttr : Quilt_Attr<"Window", "window"> {
  let summary = "How output positions read input positions along one dim";
  let description = [{
    `mode = conv` (the default): output `o` reads input positions
    `o * stride - pad_lo + j * dilation` for `j` in `[0, kernel)`.
    `mode = conv_transpose`: input `i` feeds outputs `i * stride - pad_lo + j * dilation`.
    `mode = resize`: output `o` reads the input around coordinate `x(o)` per
    `coordinate` and `sampling` (ONNX Resize), with scale `scale_num / scale_den`
    (output over input); the other fields are unused (1, 1, 1, 0).
  }];
  let parameters = (ins "int64_t":$stride, "int64_t":$dilation, "int64_t":$kernel,
                        "int64_t":$pad_lo,
                        DefaultValuedParameter<"WindowMode", "WindowMode::Conv">:$mode,
                        DefaultValuedParameter<"ResizeCoordinate", "ResizeCoordinate::HalfPixel">:$coordinate,
                        DefaultValuedParameter<"ResizeSampling", "ResizeSampling::Linear">:$sampling,
                        DefaultValuedParameter<"int64_t", "1">:$scale_num,
                        DefaultValuedParameter<"int64_t", "1">:$scale_den);
  let builders = [
    AttrBuilder<(ins "int64_t":$stride, "int64_t":$dilation, "int64_t":$kernel,
                     "int64_t":$pad_lo), [{
      return $_get($_ctxt, stride, dilation, kernel, pad_lo, WindowMode::Conv,
                   ResizeCoordinate::HalfPixel, ResizeSampling::Linear, 1, 1);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The shared halo-math form, for an input dim of `inSize` read by an
    /// output dim of `outSize`.
    ::quilt::Window toWindow(int64_t inSize, int64_t outSize) const;
    static WindowAttr fromWindow(::mlir::MLIRContext *ctx, const ::quilt::Window &w);
  }];
  let assemblyFormat = "`<` struct(params) `>`";
}

def Quilt_HaloAttr : Quilt_Attr<"Halo", "halo"> {
  let summary = "A dim of a local tensor that holds a halo'd range";
  let description = [{
    Dim `dim` holds the input range that this rank's block of an output dim
    of size `global_out` needs under `window`, including positions outside the
    global domain, filled per `boundary`.
  }];
  let parameters = (ins "int64_t":$dim, "WindowAttr":$window, "int64_t":$global_out,
                        "Boundary":$boundary);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Quilt_LocalAttr : Quilt_Attr<"Local", "local"> {
  let summary = "Encoding of a per-rank local tensor after partitioning";
  let description = [{
    Attached as the encoding of a ranked tensor after `quilt-partition`: the
    tensor is this rank's part of a global tensor of shape `global` split per
    `dims` (as in `#quilt.sharding`); dims listed in `halos` hold a halo'd
    range instead of a plain block; `granules` as in `#quilt.sharding`. Split
    dims are dynamic in the type since their extent depends on the rank.
  }];
  let parameters = (ins
    "::mlir::FlatSymbolRefAttr":$mesh,
    ArrayRefParameter<"int64_t">:$global,
    "::mlir::ArrayAttr":$dims,
    OptionalParameter<"::mlir::ArrayAttr">:$halos,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$granules);
  // `, halos = [...]` and `, granules = [...]`, each optional: one custom
  // directive reads the comma and then the keyword, so granules without
  // halos parse (two optional groups that both start with a comma do not).
  let assemblyFormat = [{
    `<` $mesh `,` `[` $global `]` `,` $dims `` custom<HalosAndGranules>($halos, $granules) `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The halo on `dim`, or null.
    HaloAttr getHalo(int64_t dim) const;
    /// The granule of `dim` (1 unless `granules` says otherwise).
    int64_t getGranule(int64_t dim) const;
    /// Checks the encoding against the tensor type it is attached to.
    ::mlir::LogicalResult verifyFor(::mlir::Operation *op, ::mlir::RankedTensorType type) const;
  }];
}

#endif // QUILT_BASE_TD
