//===- QuiltOps.td - quilt operations --------------------------*- tablegen -*-===//
#ifndef QUILT_OPS_TD
#define QUILT_OPS_TD

include "Quilt/IR/QuiltBase.td"
include "Quilt/IR/QuiltInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class Quilt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Quilt_Dialect, mnemonic, traits>;

def Quilt_F32Tensor : RankedTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Mesh and annotations
//===----------------------------------------------------------------------===//

def Quilt_MeshOp : Quilt_Op<"mesh", [Symbol]> {
  let summary = "A named device mesh";
  let description = [{
    `quilt.mesh @mesh ["x" = 2, "y" = 4]` declares a logical mesh of 8 ranks
    with two named axes; rank r has row-major coordinates over the axes.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$axis_names,
                       DenseI64ArrayAttr:$shape);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of ranks along `axis`, or -1 when the mesh has no such axis.
    int64_t getAxisSize(::llvm::StringRef axis);
    /// Position of `axis` in the mesh, or -1.
    int64_t getAxisIndex(::llvm::StringRef axis);
    int64_t getNumRanks();
  }];
}

def Quilt_AnnotateOp : Quilt_Op<"annotate", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Pins the sharding of a value";
  let description = [{
    Returns its operand and states that it is split per `sharding`. User
    annotations (from `--shard` or hand-written IR) win over propagation.

    `priority` orders annotations that disagree (Shardy's p0, p1, ...): the
    smaller number is stronger; absent means 0. An input's default split
    has priority 1000, weaker than any user annotation (0 to 999). Where a
    stronger annotation and a weaker one ask for different layouts of the
    same values, propagation rewrites the weaker annotation to the stronger
    one's layout when it can reach it upstream through ops that produce
    that layout, so no reshard is left between them.
  }];
  let arguments = (ins AnyRankedTensor:$input, Quilt_ShardingAttr:$sharding,
                       OptionalAttr<I64Attr>:$priority);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute ops (global semantics before partitioning, local after)
//===----------------------------------------------------------------------===//

class Quilt_ComputeOp<string mnemonic, list<Trait> traits = []>
    : Quilt_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<Quilt_ShardingRuleOpInterface>])>;

def Quilt_ConstantOp : Quilt_Op<"constant", [Pure, ConstantLike]> {
  let summary = "A weight or constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let hasCustomAssemblyFormat = 1;
  let hasFolder = 1;
}

def Quilt_ConvOp : Quilt_ComputeOp<"conv"> {
  let summary = "N-d grouped convolution (ONNX Conv)";
  let description = [{
    `pads` is `[lo_0, ..., lo_n-1, hi_0, ..., hi_n-1]` as in ONNX. `activation`
    (with `activation_alpha` for leaky_relu) is applied to the result: a ReLU
    that followed the convolution, fused by `quilt-fuse-activations`.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$filter, Optional<Quilt_F32Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, I64Attr:$group,
                       DefaultValuedAttr<Quilt_ActivationAttr, "::quilt::Activation::None">:$activation,
                       DefaultValuedAttr<F32Attr, "0.0f">:$activation_alpha);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? attr-dict `:` type(operands) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_ConvTransposeOp : Quilt_ComputeOp<"conv_transpose"> {
  let summary = "N-d grouped transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `filter` is `[C, M / group, kernel...]`. Input position `i` feeds output
    positions `i * stride - pads_lo + j * dilation`; `pads` is
    `[lo..., hi...]` and `output_padding` adds positions at the end, so each
    spatial output extent is
    `(in - 1) * stride - lo - hi + (kernel - 1) * dilation + 1 + output_padding`.

    Sharding: N parallel, C a reduction (whole when grouped), M parallel
    (whole when grouped), each spatial dim a windowed factor of mode
    `conv_transpose`: a split dim receives the input rows its output block
    needs, `[ceil((o0 + lo - (k-1) d) / s), floor((o1 - 1 + lo) / s)]`.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$filter, Optional<Quilt_F32Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$output_padding, I64Attr:$group);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter (`,` $bias^)? attr-dict `:` type(operands) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_ResizeOp : Quilt_ComputeOp<"resize"> {
  let summary = "Nearest or (multi-)linear resampling (ONNX Resize, opset 13 semantics)";
  let description = [{
    Along each dim `d`, output position `o` samples input coordinate `x(o)`
    (per `coordinate`, with scale `scale_nums[d] / scale_dens[d]`, output over
    input), rounded per `sampling` or interpolated linearly between the two
    nearest positions; coordinates clamp to the domain. A dim with scale 1 and
    equal extents is copied.

    Sharding: copied dims parallel; resampled dims windowed (mode `resize`):
    a split dim receives the input rows its output block samples.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_ResizeCoordinateAttr:$coordinate,
                       Quilt_ResizeSamplingAttr:$sampling, DenseI64ArrayAttr:$scale_nums,
                       DenseI64ArrayAttr:$scale_dens);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The window of dim `d` (mode resize), for global extents.
    ::quilt::Window getDimWindow(int64_t d);
    /// Whether dim `d` is copied unchanged.
    bool isCopiedDim(int64_t d);
  }];
}

class Quilt_PoolOp<string mnemonic> : Quilt_ComputeOp<mnemonic> {
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}
def Quilt_MaxPoolOp : Quilt_PoolOp<"max_pool"> {
  let summary = "N-d max pooling; padding never wins";
}
def Quilt_AvgPoolOp : Quilt_PoolOp<"avg_pool"> {
  let summary = "N-d average pooling; padding counts only with count_include_pad";
}

class Quilt_UnaryOp<string mnemonic, string what> : Quilt_ComputeOp<mnemonic,
    [AllTypesMatch<["input", "result"]>]> {
  let summary = what;
  let arguments = (ins Quilt_F32Tensor:$input);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}
def Quilt_ReluOp : Quilt_UnaryOp<"relu", "max(x, 0)">;
def Quilt_SigmoidOp : Quilt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Quilt_TanhOp : Quilt_UnaryOp<"tanh", "tanh(x)">;
def Quilt_ErfOp : Quilt_UnaryOp<"erf", "erf(x)">;
def Quilt_GeluOp : Quilt_UnaryOp<"gelu", "exact GELU: x * (1 + erf(x / sqrt(2))) / 2">;
def Quilt_SqrtOp : Quilt_UnaryOp<"sqrt", "sqrt(x)">;
def Quilt_ExpOp : Quilt_UnaryOp<"exp", "exp(x)">;
def Quilt_LogOp : Quilt_UnaryOp<"log", "natural log(x)">;
def Quilt_NegOp : Quilt_UnaryOp<"neg", "-x">;
def Quilt_AbsOp : Quilt_UnaryOp<"abs", "|x|">;
def Quilt_LeakyReluOp : Quilt_ComputeOp<"leaky_relu", [AllTypesMatch<["input", "result"]>]> {
  let summary = "x >= 0 ? x : alpha * x";
  let arguments = (ins Quilt_F32Tensor:$input, F32Attr:$alpha);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Quilt_BinaryOp<string mnemonic, string what> : Quilt_ComputeOp<mnemonic> {
  let summary = what # " with numpy broadcasting over equal ranks";
  let arguments = (ins Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}
def Quilt_AddOp : Quilt_BinaryOp<"add", "lhs + rhs">;
def Quilt_SubOp : Quilt_BinaryOp<"sub", "lhs - rhs">;
def Quilt_MulOp : Quilt_BinaryOp<"mul", "lhs * rhs">;
def Quilt_DivOp : Quilt_BinaryOp<"div", "lhs / rhs">;
def Quilt_PowOp : Quilt_BinaryOp<"pow", "lhs ^ rhs">;
def Quilt_MaxOp : Quilt_BinaryOp<"max", "max(lhs, rhs)">;
def Quilt_MinOp : Quilt_BinaryOp<"min", "min(lhs, rhs)">;

def Quilt_CompareOp : Quilt_ComputeOp<"compare"> {
  let summary = "lhs <predicate> rhs as a mask of 1.0 and 0.0, with numpy broadcasting over equal ranks";
  let description = [{
    ONNX's Less, LessOrEqual, Greater, GreaterOrEqual and Equal. Quilt
    computes in float32 only, so a bool tensor is a float mask of 0 and 1:
    the importer maps And to `quilt.mul`, Or to `quilt.max`, Xor to
    `quilt.abs` of `quilt.sub`, Not to `1 - x`, and a Cast to bool to
    `1 - (x == 0)`. A comparison with NaN is false. Every dim is parallel (as for
    the arithmetic binary ops).
  }];
  let arguments = (ins Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs,
                       Quilt_ComparePredicate:$predicate);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_SelectOp : Quilt_ComputeOp<"select"> {
  let summary = "condition != 0 ? lhs : rhs, with numpy broadcasting over equal ranks (ONNX Where)";
  let description = [{
    The condition is a float mask of 0 and 1 (ONNX's bool condition: a
    constant, or computed by `quilt.compare` and mask arithmetic). Every dim
    is parallel; a broadcast dim of extent 1 carries no factor.
  }];
  let arguments = (ins Quilt_F32Tensor:$condition, Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` type($condition) `,` type($lhs) `,` type($rhs)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_GemmOp : Quilt_ComputeOp<"gemm"> {
  let summary = "alpha * op(A) op(B) + beta * C (ONNX Gemm, and 2-D MatMul)";
  let arguments = (ins Quilt_F32Tensor:$a, Quilt_F32Tensor:$b, Optional<Quilt_F32Tensor>:$c,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$a `,` $b (`,` $c^)? attr-dict `:` type(operands) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_EinsumOp : Quilt_ComputeOp<"einsum"> {
  let summary = "Two-operand contraction (ONNX Einsum; batched MatMul)";
  let description = [{
    `equation` is `"ab..,cd..->ef.."` with one lowercase letter per dim,
    each at most once per operand; every result letter appears in an operand,
    and every operand letter appears in the other operand or the result.
    Letters in both operands and not in the result are summed over.

    Sharding (one factor per letter, as data): a result letter is parallel,
    a contracted letter is a reduction: a split contracted dim leaves partial
    sums, completed by one all-reduce.
  }];
  let arguments = (ins Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs, StrAttr:$equation);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The letters of the lhs, rhs and result, or failure when malformed.
    ::mlir::FailureOr<std::array<std::string, 3>> parseEquation();
  }];
}

def Quilt_AttentionOp : Quilt_ComputeOp<"attention"> {
  let summary = "softmax(q k^T) v over the last axis (the MatMul-Softmax-MatMul of attention)";
  let description = [{
    `q` is `[batch..., Tq, d]`, `k` is `[batch..., Tk, d]`, `v` is
    `[batch..., Tk, dv]`; the result is `[batch..., Tq, dv]`. Any scaling of
    the scores stays on `q` (exporters divide q before the MatMul).
    `quilt-fuse-attention` forms it from the exported MatMul, Softmax, MatMul.

    With `token_dims = n > 1` the tokens are a grid of `n` dims: `q` is
    `[batch..., Tq_1..Tq_n, d]`, `k` `[batch..., Tk_1..Tk_n, d]`, and the op
    is attention over the row-major flattened grids, the result keeping the
    query grid (`quilt-keep-token-grid` forms it, so tokens of an image stay
    split over H and W).

    Sharding: batch dims and the Tq dims parallel; d and dv whole; each Tk
    dim a statistic dim of k and v. When k and v are split along Tk dims the
    partitioner emits `quilt.ring_attention` (K/V blocks circulate between
    ranks; memory per rank stays O(local tokens)), or with
    `attention=all-gather` it gathers k and v (with a remark) and attends
    locally.
  }];
  let arguments = (ins Quilt_F32Tensor:$q, Quilt_F32Tensor:$k, Quilt_F32Tensor:$v,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>, "1">:$token_dims);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$q `,` $k `,` $v attr-dict `:` type($q) `,` type($k) `,` type($v) `->` type($result)";
  let hasVerifier = 1;
}

class Quilt_ReduceOp<string mnemonic, string what> : Quilt_ComputeOp<mnemonic> {
  let summary = what # " over `dims`, keeping them with extent 1";
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `dims` $dims attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}
def Quilt_ReduceSumOp : Quilt_ReduceOp<"reduce_sum", "Sum">;
def Quilt_ReduceMaxOp : Quilt_ReduceOp<"reduce_max", "Maximum">;
def Quilt_ReduceMeanOp : Quilt_ComputeOp<"reduce_mean"> {
  let summary = "Mean over `dims`, keeping them with extent 1";
  let description = [{
    Sum of the elements divided by `divisor`, which defaults to the number of
    reduced elements. After partitioning a split dim, each rank divides its
    local sum by the global count, so an all-reduce sum yields the mean.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$dims,
                       OptionalAttr<F64Attr>:$divisor);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `dims` $dims attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_SoftmaxOp : Quilt_ComputeOp<"softmax", [AllTypesMatch<["input", "result"]>]> {
  let summary = "exp(x) / sum(exp(x)) along `axis` (ONNX Softmax, opset 13 semantics)";
  let description = [{
    The axis is needed whole on every rank (a split axis is gathered, with a
    remark naming the ONNX node); every other dim passes its split through.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Quilt_GroupNormOp : Quilt_ComputeOp<"group_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Group normalization (ONNX InstanceNormalization; torch GroupNorm)";
  let description = [{
    `input` is `[N, C, spatial...]`. For each sample n and group g of the
    `groups` equal channel groups, the elements of channels
    `[g*C/groups, (g+1)*C/groups)` over all spatial positions are normalized
    to zero mean and unit variance (biased, plus `epsilon`), then scaled by
    `scale[g]` and shifted by `bias[g]`. InstanceNormalization is
    `groups = C`; torch's GroupNorm export (Reshape, InstanceNormalization,
    Reshape) is folded into one op by `quilt-fuse-normalizations`.

    Sharding: N passes through; C is needed whole; spatial dims are
    statistic dims: they stay split and the per-group (count, mean, M2) are
    merged over the split axes in one all-reduce.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$scale, Quilt_F32Tensor:$bias,
                       I64Attr:$groups, F32Attr:$epsilon);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $bias attr-dict `:` type($input) `,` type($scale) `,` type($bias)";
  let hasVerifier = 1;
}

def Quilt_LayerNormOp : Quilt_ComputeOp<"layer_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Layer normalization over dims `[axis, rank)` (ONNX LayerNormalization)";
  let description = [{
    Each row (one position of dims `[0, axis)`) is normalized over dims
    `[axis, rank)`, then multiplied by `scale` and shifted by `bias`, both of
    the normalized shape. Sharding: leading dims pass through; normalized
    dims are statistic dims (stay split; moments all-reduced).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$scale, Quilt_F32Tensor:$bias,
                       I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `,` $scale `,` $bias attr-dict `:` type($input) `,` type($scale) `,` type($bias)";
  let hasVerifier = 1;
}

def Quilt_TransposeOp : Quilt_ComputeOp<"transpose"> {
  let summary = "Permute dims: result dim k is input dim perm[k] (ONNX Transpose)";
  let description = [{
    Every dim keeps its split: the factor of input dim `perm[k]` becomes the
    factor of result dim `k`.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_PadOp : Quilt_ComputeOp<"pad"> {
  let summary = "Padding (ONNX Pad: constant, reflect, edge; and exact periodic wraps)";
  let description = [{
    `padding` is `[lo_0, ..., lo_r-1, hi_0, ..., hi_r-1]`. Output position `g`
    (global) reads input position `g - lo`; outside `[0, n)` it reads `value`
    (`mode = zero`, ONNX's constant mode), wraps around (`periodic`: the
    Slice+Concat circular padding exporters write, matched by
    `quilt-fuse-periodic-pads`), mirrors without repeating the edge
    (`reflect`) or repeats the edge (`edge`).

    Sharding: a padded dim is a windowed factor (kernel 1, stride 1, pad_lo):
    a split dim receives its halo, whose positions outside the domain hold
    `value` or the periodic wrap. Reflect and edge padding need the dim
    whole (an all-gather with a remark when it is split).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$padding, F32Attr:$value,
                       DefaultValuedAttr<Quilt_BoundaryAttr, "::quilt::Boundary::Zero">:$mode);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_SliceOp : Quilt_ComputeOp<"slice"> {
  let summary = "Strided slice (ONNX Slice and Split, positive steps)";
  let description = [{
    Result position `o` of dim `d` is input position `starts[d] + o * steps[d]`;
    the result type gives the extents. Sharding: an untouched dim is parallel;
    a sliced dim is a windowed factor (stride = step, pad_lo = -start): a
    split dim receives exactly the input rows its output block reads.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$steps);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_ReshapeOp : Quilt_ComputeOp<"reshape"> {
  let summary = "Reinterpret a tensor's shape (ONNX Reshape, Flatten, Squeeze)";
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_ConcatOp : Quilt_ComputeOp<"concat"> {
  let summary = "Concatenate along `axis`";
  let arguments = (ins Variadic<Quilt_F32Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_DftOp : Quilt_ComputeOp<"dft"> {
  let summary = "Discrete Fourier transform along one axis (ONNX DFT, opset 17)";
  let description = [{
    Complex values are float32 pairs in a trailing dim of 2 (real, imaginary),
    as ONNX writes them; a real input has a trailing dim of 1. Along `axis`
    (never the trailing dim), output bin `k` of a signal `x` of length `n` is
    `sum_j x[j] exp(-2 pi i j k / n)`, or with `inverse`
    `(1 / n) sum_j x[j] exp(+2 pi i j k / n)`. With `onesided` (real input,
    forward only) the output keeps bins `[0, n / 2]`. The result always has a
    trailing dim of 2.

    Sharding: every other dim parallel; the axis and the trailing dim whole.
    When the axis is split, the partitioner moves its mesh axis to another
    dim with a `quilt.all_to_all` (docs/user-guide.md, "DFT on a split axis")
    instead of gathering it, and the result keeps that layout.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$inverse,
                       DefaultValuedAttr<BoolAttr, "false">:$onesided);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization statistics (only after partitioning)
//===----------------------------------------------------------------------===//

def Quilt_MomentsOp : Quilt_Op<"moments", [Pure]> {
  let summary = "Per-row (count, mean, M2) of this rank's elements";
  let description = [{
    Rows are the positions of the input's dims `[0, row_dims)` times `groups`
    (the dim after them, when `groups > 1`, splits into `groups` equal
    chunks); each row's elements are contiguous. The result is
    `shape[0:row_dims] ++ [groups, 3]`: the element count, mean and sum of
    squared deviations of each row's local elements. An all-reduce of kind
    `moments` merges them across ranks without cancellation.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$row_dims, I64Attr:$groups);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_NormalizeOp : Quilt_Op<"normalize", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "(x - mean) / sqrt(M2 / count + epsilon) * scale + bias per row";
  let description = [{
    Rows as in `quilt.moments`, whose (merged) result is `moments`. With
    `per_group` the affine `scale`/`bias` have one value per group (row
    index modulo `groups`); otherwise they have the local shape of the dims
    after `row_dims` and apply elementwise within each row.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$moments, Quilt_F32Tensor:$scale,
                       Quilt_F32Tensor:$bias, I64Attr:$row_dims, I64Attr:$groups,
                       F32Attr:$epsilon, BoolAttr:$per_group);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $moments `,` $scale `,` $bias attr-dict `:` type($input) `,` type($moments) `,`
    type($scale) `,` type($bias)
  }];
}

//===----------------------------------------------------------------------===//
// Communication ops (only after partitioning)
//===----------------------------------------------------------------------===//

def Quilt_HaloExchangeOp : Quilt_Op<"halo_exchange"> {
  let summary = "Gather the halo'd range of a split dim from neighbouring ranks";
  let description = [{
    Input: this rank's block of dim `dim` (of global size `global`) split over
    mesh axis `axis`. Result: the input positions that this rank's block of an
    output dim of size `global_out` needs under `window`:
    `[o0*s - pad_lo, (o1-1)*s - pad_lo + (k-1)*d + 1)`. Positions owned by other
    ranks are received (from several ranks when the halo is wider than a
    neighbour's block); positions outside `[0, global)` get `boundary`.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       I64Attr:$dim, Quilt_WindowAttr:$window, I64Attr:$global,
                       I64Attr:$global_out, Quilt_BoundaryAttr:$boundary);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axis` $axis `dim` $dim `window` $window `global` `=` $global
    `->` `global_out` `=` $global_out `boundary` `=` `` $boundary attr-dict
    `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_RingAttentionOp : Quilt_Op<"ring_attention"> {
  let summary = "Attention over keys and values split along mesh axis `axis` (and more), by ring";
  let description = [{
    Same result as `quilt.attention` on the whole k and v, computed in
    `P = size(axis)` steps: each rank attends its local queries to the K/V
    block it holds, merging partial results with a running max and
    log-sum-exp (flash-attention style), then passes the block to the next
    rank of the axis and receives the previous rank's (a collective permute
    by +1). Peak memory per rank: the local queries' scores against one
    block, plus two K/V blocks.

    With `token_dims = n > 1` (see `quilt.attention`) the keys are a grid
    whose dims may each be split by their own mesh axes: the ring runs over
    the owners of every axis splitting a Tk dim (row-major, major dim's axes
    first; `axis` is the first of them), and a block is a rank's local tile.
  }];
  let arguments = (ins Quilt_F32Tensor:$q, Quilt_F32Tensor:$k, Quilt_F32Tensor:$v,
                       FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>, "1">:$token_dims);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v `on` $mesh `axis` $axis attr-dict `:` type($q) `,` type($k) `,` type($v)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_AllReduceOp : Quilt_Op<"all_reduce", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Combine partial values over mesh axes";
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       Quilt_ReductionKindAttr:$kind);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `on` $mesh `axes` $axes `kind` `=` `` $kind attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Quilt_AllGatherOp : Quilt_Op<"all_gather"> {
  let summary = "Make a split dim whole on every rank";
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axis` $axis `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_ShardSliceOp : Quilt_Op<"shard_slice", [Pure]> {
  let summary = "Take this rank's block of a replicated value (no communication)";
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axis` $axis `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_AllToAllOp : Quilt_Op<"all_to_all"> {
  let summary = "Move the split of mesh axes from one dim to another (a distributed transpose)";
  let description = [{
    The mesh axes `axes` (major first) are the minor-most axes splitting dim
    `dim` of the input; in the result they are the minor-most axes splitting
    dim `to_dim`, after the axes that split it already. The axes before them
    on `dim` stay, and both dims are plain blocks (no halo, no granules):
    `[["x", "y"], []]` moving `["y"]` from 0 to 1 gives `[["x"], ["y"]]`.
    The group of a rank is the ranks that differ only on `axes`, numbered
    row-major over `axes` as nested blocks number their owners. Member `c`
    sends member `j` the part of its block that lies in block `j` of its
    block of `to_dim`, and receives from every member its block of `dim`
    within block `c` of `to_dim` (one MPI_Alltoallv over the group). Other
    dims keep their layout. A DFT on a split axis uses it to make the axis
    local.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       I64Attr:$dim, I64Attr:$to_dim);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` $axes `dim` $dim `to` $to_dim attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_ReduceScatterOp : Quilt_Op<"reduce_scatter"> {
  let summary = "Sum partial values over mesh axes `axes`, each rank keeping its block of `dim`";
  let description = [{
    The input is a partial sum over `axes` holding its block of dim `dim`
    (the whole dim, or the block of the axes already splitting it); the
    result is this rank's nested block of that over `axes` (major first,
    after the axes already there) of the complete sum. It replaces an
    all-reduce whose only use slices the same dim by the same axes: a ring
    reduce-scatter over a group of `g` ranks sends `(g-1)/g` of the buffer,
    half of an all-reduce.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       I64Attr:$dim);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axes` $axes `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_CollectivePermuteOp : Quilt_Op<"collective_permute", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Every rank sends its buffer `shift` ranks forward along mesh axis `axis`";
  let description = [{
    Rank `c` of the axis sends its local tensor to rank `(c + shift) mod g` and
    receives rank `(c - shift) mod g`'s: a ring step. The tensor must not be
    split along `axis` (so every rank's buffer has the same shape); other
    axes may split it. `quilt.ring_attention` circulates its K/V blocks with
    the same runtime transfer.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       I64Attr:$shift);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `axis` $axis `shift` $shift attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

#endif // QUILT_OPS_TD
