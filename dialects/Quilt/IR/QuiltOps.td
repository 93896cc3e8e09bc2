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
  let summary = "Nearest, (multi-)linear or cubic resampling (ONNX Resize, opset 13 semantics)";
  let description = [{
    Along each dim `d`, output position `o` samples input coordinate `x(o)`
    (per `coordinate`, with scale `scale_nums[d] / scale_dens[d]`, output over
    input), rounded per `sampling`, interpolated linearly between the two
    nearest positions, or (`cubic`) blended from the four positions around it
    with Keys' cubic weights of coefficient `cubic_coeff_a`; positions outside
    the domain read its edge, or with `exclude_outside` (cubic) weigh nothing,
    the other weights renormalized. A dim with scale 1 and equal extents is
    copied.

    Sharding: copied dims parallel; resampled dims windowed (mode `resize`):
    a split dim receives the input rows its output block samples (for cubic,
    up to two rows beyond the nearest ones on each side).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_ResizeCoordinateAttr:$coordinate,
                       Quilt_ResizeSamplingAttr:$sampling, DenseI64ArrayAttr:$scale_nums,
                       DenseI64ArrayAttr:$scale_dens,
                       DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside);
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

// One op per entry of the runtime's unary table (quilt/runtime.h): `kind` is
// its quilt_unary_kind and `params` its float attributes, passed to the kernel
// in this order (alpha, then beta). Every dim is parallel. Adding such an op is
// one def here, one kind with its body in the table the runtime's kernel and
// the constant evaluator share (runtime/include/quilt/unary_functions.h) and
// one importer table entry.
class Quilt_UnaryOp<string mnemonic, string what, string kind, list<string> params = []>
    : Quilt_ComputeOp<mnemonic, [AllTypesMatch<["input", "result"]>,
        DeclareOpInterfaceMethods<Quilt_ElementwiseKernelOpInterface>]> {
  let summary = what;
  let arguments = !con((ins Quilt_F32Tensor:$input),
                       !dag(ins, !listsplat(F32Attr, !size(params)), params));
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDefinition = [{
    ::quilt::ShardingRule $cppClass::getShardingRule() { return ::quilt::elementwiseRule(*this); }
    int64_t $cppClass::getKernelKind() { return }] # kind # [{; }
    ::llvm::SmallVector<double, 2> $cppClass::getKernelParams() {
      return {}] # !interleave(!foreach(p, params, "getProperties()." # p # ".getValueAsDouble()"),
                               ", ") # [{};
    }
  }];
}
def Quilt_ReluOp : Quilt_UnaryOp<"relu", "max(x, 0)", "QUILT_UNARY_RELU">;
def Quilt_SigmoidOp : Quilt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))", "QUILT_UNARY_SIGMOID">;
def Quilt_TanhOp : Quilt_UnaryOp<"tanh", "tanh(x)", "QUILT_UNARY_TANH">;
def Quilt_ErfOp : Quilt_UnaryOp<"erf", "erf(x)", "QUILT_UNARY_ERF">;
def Quilt_GeluOp : Quilt_UnaryOp<"gelu", "exact GELU: x * (1 + erf(x / sqrt(2))) / 2",
                                 "QUILT_UNARY_GELU">;
def Quilt_SqrtOp : Quilt_UnaryOp<"sqrt", "sqrt(x)", "QUILT_UNARY_SQRT">;
def Quilt_ExpOp : Quilt_UnaryOp<"exp", "exp(x)", "QUILT_UNARY_EXP">;
def Quilt_LogOp : Quilt_UnaryOp<"log", "natural log(x)", "QUILT_UNARY_LOG">;
def Quilt_NegOp : Quilt_UnaryOp<"neg", "-x", "QUILT_UNARY_NEG">;
def Quilt_AbsOp : Quilt_UnaryOp<"abs", "|x|", "QUILT_UNARY_ABS">;
def Quilt_LeakyReluOp : Quilt_UnaryOp<"leaky_relu", "x >= 0 ? x : alpha * x",
                                      "QUILT_UNARY_LEAKY_RELU", ["alpha"]>;
def Quilt_HardSigmoidOp : Quilt_UnaryOp<"hard_sigmoid", "max(0, min(1, alpha * x + beta))",
                                        "QUILT_UNARY_HARD_SIGMOID", ["alpha", "beta"]>;
def Quilt_HardSwishOp : Quilt_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))",
                                      "QUILT_UNARY_HARD_SWISH">;
def Quilt_ReciprocalOp : Quilt_UnaryOp<"reciprocal", "1 / x", "QUILT_UNARY_RECIPROCAL">;
def Quilt_SoftplusOp : Quilt_UnaryOp<"softplus", "log(exp(x) + 1)", "QUILT_UNARY_SOFTPLUS">;
def Quilt_SoftsignOp : Quilt_UnaryOp<"softsign", "x / (1 + |x|)", "QUILT_UNARY_SOFTSIGN">;
def Quilt_EluOp : Quilt_UnaryOp<"elu", "x >= 0 ? x : alpha * (exp(x) - 1)", "QUILT_UNARY_ELU",
                                ["alpha"]>;
def Quilt_SeluOp : Quilt_UnaryOp<"selu", "gamma * (x > 0 ? x : alpha * (exp(x) - 1))",
                                 "QUILT_UNARY_SELU", ["alpha", "gamma"]>;
def Quilt_CeluOp : Quilt_UnaryOp<"celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
                                 "QUILT_UNARY_CELU", ["alpha"]>;
def Quilt_MishOp : Quilt_UnaryOp<"mish", "x * tanh(log(exp(x) + 1))", "QUILT_UNARY_MISH">;
def Quilt_ThresholdedReluOp : Quilt_UnaryOp<"thresholded_relu", "x > alpha ? x : 0",
                                            "QUILT_UNARY_THRESHOLDED_RELU", ["alpha"]>;
def Quilt_SignOp : Quilt_UnaryOp<"sign", "-1, 0 or 1 by the sign of x", "QUILT_UNARY_SIGN">;
def Quilt_FloorOp : Quilt_UnaryOp<"floor", "floor(x)", "QUILT_UNARY_FLOOR">;
def Quilt_CeilOp : Quilt_UnaryOp<"ceil", "ceil(x)", "QUILT_UNARY_CEIL">;
def Quilt_RoundOp : Quilt_UnaryOp<"round", "x rounded to the nearest integer, halves to even",
                                  "QUILT_UNARY_ROUND">;
def Quilt_SinOp : Quilt_UnaryOp<"sin", "sin(x)", "QUILT_UNARY_SIN">;
def Quilt_CosOp : Quilt_UnaryOp<"cos", "cos(x)", "QUILT_UNARY_COS">;
def Quilt_TanOp : Quilt_UnaryOp<"tan", "tan(x)", "QUILT_UNARY_TAN">;
def Quilt_AsinOp : Quilt_UnaryOp<"asin", "asin(x)", "QUILT_UNARY_ASIN">;
def Quilt_AcosOp : Quilt_UnaryOp<"acos", "acos(x)", "QUILT_UNARY_ACOS">;
def Quilt_AtanOp : Quilt_UnaryOp<"atan", "atan(x)", "QUILT_UNARY_ATAN">;
def Quilt_SinhOp : Quilt_UnaryOp<"sinh", "sinh(x)", "QUILT_UNARY_SINH">;
def Quilt_CoshOp : Quilt_UnaryOp<"cosh", "cosh(x)", "QUILT_UNARY_COSH">;
def Quilt_AsinhOp : Quilt_UnaryOp<"asinh", "asinh(x)", "QUILT_UNARY_ASINH">;
def Quilt_AcoshOp : Quilt_UnaryOp<"acosh", "acosh(x)", "QUILT_UNARY_ACOSH">;
def Quilt_AtanhOp : Quilt_UnaryOp<"atanh", "atanh(x)", "QUILT_UNARY_ATANH">;
// The predicates give a bool mask of 1.0 and 0.0 (ONNX IsNaN, IsInf).
def Quilt_IsNanOp : Quilt_UnaryOp<"is_nan", "1 where x is NaN, else 0", "QUILT_UNARY_IS_NAN">;
def Quilt_IsInfOp : Quilt_UnaryOp<"is_inf",
    "1 where x is -inf and detect_negative != 0 or +inf and detect_positive != 0, else 0",
    "QUILT_UNARY_IS_INF", ["detect_negative", "detect_positive"]>;
def Quilt_ShrinkOp : Quilt_UnaryOp<"shrink",
    "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)", "QUILT_UNARY_SHRINK",
    ["lambd", "bias"]>;

// One op per entry of the runtime's binary table (quilt_binary_kind), like
// the unary ops above.
class Quilt_BinaryOp<string mnemonic, string what, string kind> : Quilt_ComputeOp<mnemonic,
    [DeclareOpInterfaceMethods<Quilt_ElementwiseKernelOpInterface>]> {
  let summary = what # " with numpy broadcasting over equal ranks";
  let arguments = (ins Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() { return ::quilt::verifyBroadcastOperands(*this); }
    ::quilt::ShardingRule $cppClass::getShardingRule() { return ::quilt::elementwiseRule(*this); }
    int64_t $cppClass::getKernelKind() { return }] # kind # [{; }
    ::llvm::SmallVector<double, 2> $cppClass::getKernelParams() { return {}; }
  }];
}
def Quilt_AddOp : Quilt_BinaryOp<"add", "lhs + rhs", "QUILT_BINARY_ADD">;
def Quilt_SubOp : Quilt_BinaryOp<"sub", "lhs - rhs", "QUILT_BINARY_SUB">;
def Quilt_MulOp : Quilt_BinaryOp<"mul", "lhs * rhs", "QUILT_BINARY_MUL">;
def Quilt_DivOp : Quilt_BinaryOp<"div", "lhs / rhs", "QUILT_BINARY_DIV">;
def Quilt_PowOp : Quilt_BinaryOp<"pow", "lhs ^ rhs", "QUILT_BINARY_POW">;
def Quilt_MaxOp : Quilt_BinaryOp<"max", "max(lhs, rhs)", "QUILT_BINARY_MAX">;
def Quilt_MinOp : Quilt_BinaryOp<"min", "min(lhs, rhs)", "QUILT_BINARY_MIN">;
def Quilt_PReluOp : Quilt_BinaryOp<"prelu", "lhs < 0 ? rhs * lhs : lhs (ONNX PRelu, rhs the slope)",
                                   "QUILT_BINARY_PRELU">;
def Quilt_ModOp : Quilt_BinaryOp<"mod",
    "lhs mod rhs taking the sign of rhs (ONNX Mod with fmod = 0, on integers)", "QUILT_BINARY_MOD">;
def Quilt_FmodOp : Quilt_BinaryOp<"fmod",
    "C's fmod(lhs, rhs), taking the sign of lhs (ONNX Mod with fmod = 1)", "QUILT_BINARY_FMOD">;

def Quilt_CompareOp : Quilt_ComputeOp<"compare"> {
  let summary = "lhs <predicate> rhs as a mask of 1.0 and 0.0, with numpy broadcasting over equal ranks";
  let description = [{
    ONNX's Less, LessOrEqual, Greater, GreaterOrEqual and Equal. Quilt
    computes in float32 only, so a bool tensor is a float mask of 0 and 1:
    And, Or, Xor and Not are `quilt.logic` (mask arithmetic once
    `quilt-decompose` has run), and the importer maps a Cast to bool to
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

def Quilt_AttentionOp : Quilt_ComputeOp<"attention", [AttrSizedOperandSegments]> {
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

    With `prefix_k` `[batch..., Tp, d]` and `prefix_v` `[batch..., Tp, dv]`
    the keys are the `Tp` prefix tokens followed by `k`'s (the order does not
    matter to attention): extra tokens such as a class token, which
    `quilt-split-extra-tokens` keeps apart from the patch tokens so that those
    stay split. The prefix is replicated on every rank that splits the keys.

    With `bias` `[batch..., Tq_1..Tq_n, Tk_1..Tk_n]` (each dim that extent or
    1, broadcast) the scores are `q k^T + bias` before the softmax: a relative
    position bias (Swin) that `quilt-fuse-attention` finds as an Add between
    the MatMul and the Softmax. Sharding: the bias follows the queries' batch
    and Tq splits and is whole along Tk (a ring adds the columns of each
    block's keys). A bias and prefix keys do not go together.
  }];
  let arguments = (ins Quilt_F32Tensor:$q, Quilt_F32Tensor:$k, Quilt_F32Tensor:$v,
                       Optional<Quilt_F32Tensor>:$prefix_k, Optional<Quilt_F32Tensor>:$prefix_v,
                       Optional<Quilt_F32Tensor>:$bias,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>, "1">:$token_dims);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`prefix` $prefix_k^ `,` $prefix_v)? (`bias` $bias^)? attr-dict `:`
    type($q) `,` type($k) `,` type($v) (`,` type($prefix_k)^ `,` type($prefix_v))?
    (`bias` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "mlir::Type":$result, "mlir::Value":$q, "mlir::Value":$k, "mlir::Value":$v,
                   "int64_t":$token_dims), [{
      build($_builder, $_state, result, q, k, v, mlir::Value(), mlir::Value(), mlir::Value(),
            token_dims);
    }]>,
    OpBuilder<(ins "mlir::Type":$result, "mlir::Value":$q, "mlir::Value":$k, "mlir::Value":$v,
                   "mlir::Value":$prefix_k, "mlir::Value":$prefix_v, "int64_t":$token_dims), [{
      build($_builder, $_state, result, q, k, v, prefix_k, prefix_v, mlir::Value(), token_dims);
    }]>
  ];
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
def Quilt_ReduceProdOp : Quilt_ReduceOp<"reduce_prod", "Product">;
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

// Softmax and LogSoftmax along one axis (ONNX opset 13 semantics).
class Quilt_SoftmaxOpBase<string mnemonic, string what> : Quilt_ComputeOp<mnemonic,
    [AllTypesMatch<["input", "result"]>]> {
  let summary = what # " along `axis`";
  let description = [{
    Sharding: every other dim passes its split through; the axis is a
    statistic. A split axis stays split: the partitioner computes each
    rank's max and sum of exponentials and merges them with an all-reduce
    of max and one of sums (`quilt-partition`).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}
def Quilt_SoftmaxOp : Quilt_SoftmaxOpBase<"softmax", "exp(x) / sum(exp(x)) (ONNX Softmax)">;
def Quilt_LogSoftmaxOp : Quilt_SoftmaxOpBase<"log_softmax",
    "x - max - log(sum(exp(x - max))) (ONNX LogSoftmax)">;

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
    (`reflect`) or repeats the edge (`edge`). Negative padding crops: a
    periodic pad of `k` below and `-k` above is a roll by `k` (torch.roll's
    Slice+Concat export, matched by `quilt-fuse-periodic-pads`).

    Sharding: a padded dim is a windowed factor (kernel 1, stride 1, pad_lo):
    a split dim receives its halo, whose positions outside the domain hold
    `value`, the periodic wrap, or the mirrored rows (reflect, edge). A
    roll's halo is the shift: each rank receives the `|k|` rows its block
    reads from the blocks before (or after) it, across as many ranks as `k`
    spans.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, DenseI64ArrayAttr:$padding, F32Attr:$value,
                       DefaultValuedAttr<Quilt_BoundaryAttr, "::quilt::Boundary::Zero">:$mode);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_SliceOp : Quilt_ComputeOp<"slice"> {
  let summary = "Strided slice (ONNX Slice and Split)";
  let description = [{
    Result position `o` of dim `d` is input position `starts[d] + o * steps[d]`;
    the result type gives the extents (which may be 0). A negative step walks
    the dim backwards from `starts[d]`. Sharding: an untouched dim is
    parallel; a dim sliced with a positive step is a windowed factor (stride =
    step, pad_lo = -start): a split dim receives exactly the input rows its
    output block reads; a dim sliced with a negative step is whole.
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
// Index selection and scans along one axis
//===----------------------------------------------------------------------===//

def Quilt_ArgReduceOp : Quilt_ComputeOp<"arg_reduce"> {
  let summary = "Index of the largest or smallest element along `axis` (ONNX ArgMax, ArgMin)";
  let description = [{
    The result is the input's shape with `axis` of extent 1; each position
    holds the index along `axis` of the largest element (`min`: the
    smallest), as a float (exact up to 2^24). Ties go to the lowest index,
    or with `select_last` to the highest; a NaN wins over every number, as
    in numpy.

    Sharding: every other dim parallel; the axis a statistic. A split axis
    stays split: each rank proposes its best (value, global index) pair
    (`quilt.arg_candidates`), the pairs of the ranks along the axis are
    all-gathered, and every rank picks the winner (`quilt.arg_select`).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$min,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_CumSumOp : Quilt_ComputeOp<"cumsum", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Cumulative sum along `axis` (ONNX CumSum)";
  let description = [{
    Position `i` of `axis` sums the input's positions `j <= i` (`j < i` with
    `exclusive`; `j >= i` or `j > i` with `reverse`). `carry`, present only
    after partitioning, has extent 1 along `axis` on every rank and is added
    to every position: the total of the blocks before this rank's (after it,
    with `reverse`).

    Sharding: every other dim parallel; the axis a statistic. A split axis
    stays split: each rank scans its block, the blocks' totals
    (`quilt.block_sum`) are all-gathered along the axis, and every rank
    scans them (exclusive, in rank order) and keeps its own as the carry.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Optional<Quilt_F32Tensor>:$carry, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input (`,` $carry^)? attr-dict `:` type($input) (`,` type($carry)^)?";
  let hasVerifier = 1;
}

def Quilt_GatherElementsOp : Quilt_ComputeOp<"gather_elements"> {
  let summary = "y[.., i, ..] = input[.., indices[.., i, ..], ..] along `axis` (ONNX GatherElements)";
  let description = [{
    The result has the shape of `indices`, which hold integers as floats; an
    index below 0 counts from the end of `axis`. Along every other dim the
    result reads the input at its own position. An index outside
    `[-n, n)` gives NaN.

    Sharding: the input's `axis` whole; the dims of `indices` and the result
    parallel, each shared with the input's dim of the same extent (other
    input dims whole). A split input `axis` is gathered (with a remark); the
    other dims stay split when the input and the indices are split alike.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$indices, I64Attr:$axis);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` type($input) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ONNX ops as ONNX states them (only between the importer and quilt-decompose)
//===----------------------------------------------------------------------===//

// The importer builds these; quilt-decompose, the last step of the import
// phase, lowers them to the compute ops above. They never reach annotation,
// propagation or partitioning, so they have no sharding rule.
class Quilt_DecomposedOp<string mnemonic, list<Trait> traits = []>
    : Quilt_Op<mnemonic, !listconcat(traits, [Pure])>;

def Quilt_BatchNormOp : Quilt_DecomposedOp<"batch_norm", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Inference batch normalization per channel (ONNX BatchNormalization)";
  let description = [{
    `input` is `[N, C, ...]`; `scale`, `bias`, `mean` and `variance` are `[C]`.
    Each channel c computes `(x - mean[c]) / sqrt(variance[c] + epsilon) *
    scale[c] + bias[c]`.

    `quilt-decompose` lowers it to `quilt.mul` by a per-channel scale and
    `quilt.add` of a per-channel shift, both `[1, C, 1, ...]`: `scale /
    sqrt(variance + epsilon)` and `bias - mean * that`, folded in double and
    rounded to float32 once when all four are constants, else computed by
    quilt ops. It exists only between the importer and `quilt-decompose`
    (which quiltc runs before any pass that shards), so it has no sharding
    rule.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, Quilt_F32Tensor:$scale, Quilt_F32Tensor:$bias,
                       Quilt_F32Tensor:$mean, Quilt_F32Tensor:$variance, F32Attr:$epsilon);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` type($input) `,`
    type($scale) `,` type($bias) `,` type($mean) `,` type($variance)
  }];
  let hasVerifier = 1;
}

def Quilt_LogicOp : Quilt_DecomposedOp<"logic"> {
  let summary = "And, Or, Xor of two masks or Not of one, with numpy broadcasting over equal ranks";
  let description = [{
    ONNX's And, Or, Xor and Not on Quilt's bool tensors, float masks of 0.0
    and 1.0: `kind` is `and`, `or` or `xor` with two operands that broadcast
    to the result (equal ranks; the importer inserts the reshapes for rank
    broadcasting), or `not` with one operand of the result's type.

    `quilt-decompose` lowers it to mask arithmetic: `and` is `quilt.mul`,
    `or` `quilt.max`, `xor` `quilt.abs` of `quilt.sub`, `not` `1 - x`. It
    exists only between the importer and `quilt-decompose` (which quiltc
    runs before any pass that shards), so it has no sharding rule.
  }];
  let arguments = (ins Quilt_LogicKind:$kind, Variadic<Quilt_F32Tensor>:$operands);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$kind `,` $operands attr-dict `:` type($operands) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_MatMulOp : Quilt_DecomposedOp<"matmul"> {
  let summary = "Matrix product with numpy matmul semantics (ONNX MatMul)";
  let description = [{
    `lhs [..., M, K] x rhs [..., K, N] -> [..., M, N]`, the batch dims
    broadcasting numpy-style (aligned from the back, an extent of 1 against
    any). A 1-D `lhs [K]` is a row `[1, K]` and a 1-D `rhs [K]` a column
    `[K, 1]`, whose added dim the result drops (1-D by 1-D is a scalar,
    rank 0).

    `quilt-decompose` lowers it: 2-D by 2-D to `quilt.gemm`; with a 1-D
    operand and no batch dims, to a `quilt.gemm` between `quilt.reshape`s;
    otherwise to a `quilt.einsum` with one letter per result batch dim, an
    operand's broadcast batch dims of extent 1 reshaped away and a 1-D
    operand's missing row or column left out of the equation. It exists only
    between the importer and `quilt-decompose` (which quiltc runs before any
    pass that shards), so it has no sharding rule.
  }];
  let arguments = (ins Quilt_F32Tensor:$lhs, Quilt_F32Tensor:$rhs);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
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
// Per-block partials of index selection and scans (only after partitioning)
//===----------------------------------------------------------------------===//

def Quilt_ArgCandidatesOp : Quilt_Op<"arg_candidates", [Pure]> {
  let summary = "This rank's best (value, global index) pair along a split `axis`";
  let description = [{
    The input is this rank's block of `axis`. The result's global shape is the
    input's with `axis` of extent P, the number of blocks (one position per
    rank of the axis, split like the input), and a trailing dim of 2: the
    best element of the block as `quilt.arg_reduce` chooses it and its index
    in the whole axis (an empty block proposes index -1, which never wins).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis, BoolAttr:$min, BoolAttr:$select_last);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_ArgSelectOp : Quilt_Op<"arg_select", [Pure]> {
  let summary = "The index of the winning (value, index) candidate along `axis`";
  let description = [{
    The input holds every block's candidate (`quilt.arg_candidates`,
    all-gathered: blocks in rank order, so in order of their indices) and a
    trailing dim of 2; the result has `axis` of extent 1 and no trailing dim.
    Candidates compare as `quilt.arg_reduce` compares elements, ties to the
    first (with `select_last`, the last); index -1 marks an empty block.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis, BoolAttr:$min, BoolAttr:$select_last);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Quilt_BlockSumOp : Quilt_Op<"block_sum", [Pure]> {
  let summary = "The sum of this rank's block along a split `axis`";
  let description = [{
    The result's global shape is the input's with `axis` of extent P, the
    number of blocks: one position per rank of the axis, split like the
    input, holding the sum of the rank's block (0 for an empty one).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
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

def Quilt_ReblockOp : Quilt_Op<"reblock"> {
  let summary = "Move a split dim from blocks in one granule to blocks in another";
  let description = [{
    Input and result split dim `dim` over the same mesh axes, in blocks of
    whole granules of different sizes (their local encodings say which): a
    plain block of rows becomes a block of whole windows of `w` rows, which a
    Swin window partition needs when plain blocks cut windows (16 rows in
    windows of 4 over 3 ranks: 6, 5, 5 rows become 8, 4, 4), or back. Each
    rank receives the rows of its new block that other ranks own, as a halo
    exchange with an identity window does (`quilt/halo_segments.h`,
    `reblockAxis`): only the rows that change owner move, never a gather.
    Other dims keep their layout.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, I64Attr:$dim);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `on` $mesh `dim` $dim attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_RingAttentionOp : Quilt_Op<"ring_attention", [AttrSizedOperandSegments]> {
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

    A `bias` (see `quilt.attention`) is split as the queries along batch and
    Tq dims and whole along Tk: each step adds the columns of the block's
    keys (their global positions) to its scores.
  }];
  let arguments = (ins Quilt_F32Tensor:$q, Quilt_F32Tensor:$k, Quilt_F32Tensor:$v,
                       Optional<Quilt_F32Tensor>:$prefix_k, Optional<Quilt_F32Tensor>:$prefix_v,
                       Optional<Quilt_F32Tensor>:$bias,
                       FlatSymbolRefAttr:$mesh, StrAttr:$axis,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>]>, "1">:$token_dims);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`prefix` $prefix_k^ `,` $prefix_v)? (`bias` $bias^)? `on` $mesh `axis`
    $axis attr-dict `:` type($q) `,` type($k) `,` type($v)
    (`,` type($prefix_k)^ `,` type($prefix_v))? (`bias` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Quilt_AllReduceOp : Quilt_Op<"all_reduce", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Combine partial values over mesh axes";
  let description = [{
    Every rank of a group (the ranks that differ only on `axes`) ends with
    the combination of the group's inputs, the same bits on every rank.

    `algorithm`, recorded by `quilt-choose-collective-algorithms` (the cost
    model's cheapest for the machine) and honoured by the runtime, says how
    the data moves: `library` (the communicator's own collective: MPI's
    tuned choice, NCCL's tuner) or one of Quilt's point-to-point schedules:
    here `ring` (2(p-1) steps of 1/p of the buffer), `recursive-doubling`
    (lg p exchanges of the whole buffer) or `rabenseifner` (recursive
    halving, then doubling). Without it the runtime uses `library`.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       Quilt_ReductionKindAttr:$kind, OptionalAttr<StrAttr>:$algorithm);
  let results = (outs Quilt_F32Tensor:$result);
  let assemblyFormat = "$input `on` $mesh `axes` $axes `kind` `=` `` $kind attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Quilt_AllGatherOp : Quilt_Op<"all_gather"> {
  let summary = "Make a split dim whole on every rank";
  let description = [{
    See `quilt.all_reduce` for `algorithm` (here: `library`, `ring` or
    `bruck`).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrAttr:$axis, I64Attr:$dim,
                       OptionalAttr<StrAttr>:$algorithm);
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
    within block `c` of `to_dim` (one all-to-all over the group, `algorithm`
    `library` or `pairwise`: see `quilt.all_reduce`). Other
    dims keep their layout. A DFT on a split axis uses it to make the axis
    local.
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       I64Attr:$dim, I64Attr:$to_dim, OptionalAttr<StrAttr>:$algorithm);
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
    half of an all-reduce. `algorithm` (see `quilt.all_reduce`): `library`,
    `ring` or `recursive-halving` (a power-of-two group).
  }];
  let arguments = (ins Quilt_F32Tensor:$input, FlatSymbolRefAttr:$mesh, StrArrayAttr:$axes,
                       I64Attr:$dim, OptionalAttr<StrAttr>:$algorithm);
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
