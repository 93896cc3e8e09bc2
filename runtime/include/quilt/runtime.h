/* Quilt runtime C ABI: what compiled models call, and what the runtime's
 * executable main expects a compiled model object to define.
 *
 * A compiled model object defines:
 *   const char quilt_model_info[];            NUL-terminated JSON, see docs/runtime-abi.md
 *   void quilt_model_init(quilt_rt_ctx *ctx); once, before the first run: the values
 *                                             that depend on the rank alone (a rank's
 *                                             block of a weight, a filled splat), into
 *                                             arena buffers no run writes over
 *   void quilt_model_run(quilt_rt_ctx *ctx);  one forward pass of this rank's program
 *
 * Every kernel and communication entry point has the same shape:
 *   void quilt_rt_<name>(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
 * `params` is a constant word array the compiler emits per op:
 *   params[0] = number of tensors T; then T tensor layouts (see below), in the
 *   order of `buffers` (operands, then results); then the op's attributes.
 * A tensor layout is: rank R, then for each dim 16 words:
 *   global_size, mesh_axis (-1: not split), win_stride (0: no halo on this dim),
 *   win_dilation, win_kernel, win_pad_lo, win_global_out, boundary,
 *   win_kind (quilt::WindowKind: conv, conv_transpose, resize), resize_coord,
 *   resize_sample, scale_num, scale_den (resize: quilt/partition_math.h),
 *   granule (a split dim is split in whole granules of this many positions:
 *   quilt::granularBlockRange; 1 for plain blocks), mesh_axis_2, mesh_axis_3
 *   (-1 unless the dim is split over several axes: nested blocks, major
 *   first, quilt::nestedBlockRange; halo dims use one axis)
 * A split dim without a window holds this rank's block of global_size
 * (quilt/partition_math.h). A dim with a window (the result of a halo exchange)
 * holds the input range that this rank's block of win_global_out needs,
 * including positions outside [0, global_size) filled per `boundary`.
 * Buffers are dense row-major float32 over the local extents.
 * Floating-point attributes are stored as the bit pattern of a double.
 */
#ifndef QUILT_RUNTIME_H
#define QUILT_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct quilt_rt_ctx quilt_rt_ctx;

enum {
  QUILT_LAYOUT_WORDS_PER_DIM = 16,
  QUILT_MAX_RANK = 8,
};

enum quilt_boundary {
  QUILT_BOUNDARY_ZERO = 0,
  QUILT_BOUNDARY_PERIODIC = 1,
  QUILT_BOUNDARY_REFLECT = 2, /* position -p reads p; n - 1 + p reads n - 1 - p */
  QUILT_BOUNDARY_EDGE = 3,    /* positions outside read the nearest edge */
};

enum quilt_unary_kind {
  QUILT_UNARY_RELU = 0,
  QUILT_UNARY_LEAKY_RELU = 1, /* attr: alpha */
  QUILT_UNARY_SIGMOID = 2,
  QUILT_UNARY_TANH = 3,
  QUILT_UNARY_ERF = 4,
  QUILT_UNARY_GELU = 5, /* exact: 0.5 x (1 + erf(x / sqrt 2)) */
  QUILT_UNARY_IDENTITY = 6,
  QUILT_UNARY_SQRT = 7,
  QUILT_UNARY_EXP = 8,
  QUILT_UNARY_LOG = 9,
  QUILT_UNARY_NEG = 10,
  QUILT_UNARY_ABS = 11,
  QUILT_UNARY_HARD_SIGMOID = 12, /* attrs: alpha, beta: max(0, min(1, alpha x + beta)) */
  QUILT_UNARY_HARD_SWISH = 13,   /* x max(0, min(1, x / 6 + 1 / 2)) */
  QUILT_UNARY_RECIPROCAL = 14,
  QUILT_UNARY_SOFTPLUS = 15, /* log(exp(x) + 1) */
  QUILT_UNARY_SOFTSIGN = 16, /* x / (1 + |x|) */
  QUILT_UNARY_ELU = 17,      /* attr: alpha */
  QUILT_UNARY_SELU = 18,     /* attrs: alpha, beta (ONNX's gamma) */
  QUILT_UNARY_CELU = 19,     /* attr: alpha */
  QUILT_UNARY_MISH = 20,     /* x tanh(softplus(x)) */
  QUILT_UNARY_THRESHOLDED_RELU = 21, /* attr: alpha: x > alpha ? x : 0 */
  QUILT_UNARY_SIGN = 22,
  QUILT_UNARY_FLOOR = 23,
  QUILT_UNARY_CEIL = 24,
  QUILT_UNARY_ROUND = 25, /* to nearest, halves to even */
  QUILT_UNARY_SIN = 26,
  QUILT_UNARY_COS = 27,
  QUILT_UNARY_TAN = 28,
  QUILT_UNARY_ASIN = 29,
  QUILT_UNARY_ACOS = 30,
  QUILT_UNARY_ATAN = 31,
  QUILT_UNARY_SINH = 32,
  QUILT_UNARY_COSH = 33,
  QUILT_UNARY_ASINH = 34,
  QUILT_UNARY_ACOSH = 35,
  QUILT_UNARY_ATANH = 36,
  QUILT_UNARY_IS_NAN = 37, /* 1.0 where x is NaN, else 0.0 */
  QUILT_UNARY_IS_INF = 38, /* attrs: alpha, beta: 1.0 where x is -inf and alpha != 0, or
                              +inf and beta != 0 (ONNX's detect_negative, detect_positive) */
  QUILT_UNARY_SHRINK = 39, /* attrs: alpha (lambd), beta (bias):
                              x < -alpha ? x + beta : x > alpha ? x - beta : 0 */
};

enum quilt_binary_kind {
  QUILT_BINARY_ADD = 0,
  QUILT_BINARY_SUB = 1,
  QUILT_BINARY_MUL = 2,
  QUILT_BINARY_DIV = 3,
  QUILT_BINARY_POW = 4,
  QUILT_BINARY_MAX = 5,
  QUILT_BINARY_MIN = 6,
  /* Comparisons: 1.0 where true, 0.0 where false (NaN compares false). */
  QUILT_BINARY_LESS = 7,
  QUILT_BINARY_LESS_EQUAL = 8,
  QUILT_BINARY_GREATER = 9,
  QUILT_BINARY_GREATER_EQUAL = 10,
  QUILT_BINARY_EQUAL = 11,
  QUILT_BINARY_PRELU = 12, /* a < 0 ? b a : a (b: the slope) */
  QUILT_BINARY_MOD = 13,   /* fmod(a, b), plus b where that is nonzero and of the other
                              sign: the remainder takes b's sign (ONNX Mod, fmod = 0) */
  QUILT_BINARY_FMOD = 14,  /* fmod(a, b): the remainder takes a's sign (ONNX Mod, fmod = 1) */
};

enum quilt_activation_kind {
  QUILT_ACTIVATION_NONE = 0,
  QUILT_ACTIVATION_RELU = 1,
  QUILT_ACTIVATION_LEAKY_RELU = 2, /* attr: alpha */
};

enum quilt_pool_kind { QUILT_POOL_MAX = 0, QUILT_POOL_AVG = 1 };
enum quilt_reduce_kind {
  QUILT_REDUCE_SUM = 0,
  QUILT_REDUCE_MEAN = 1,
  QUILT_REDUCE_MAX = 2,
  QUILT_REDUCE_MOMENTS = 3, /* all_reduce only: (count, mean, M2) triples */
  QUILT_REDUCE_PROD = 4,
};
/* What arg_reduce reads and writes (ArgMax/ArgMin, whole or over a split axis). */
enum quilt_arg_mode {
  QUILT_ARG_INDEX = 0,      /* x -> the winner's index along the axis */
  QUILT_ARG_CANDIDATES = 1, /* x's block -> (value, global index) pairs in a trailing dim */
  QUILT_ARG_SELECT = 2,     /* every block's pairs (rank order) -> the winner's index */
};

/* Base addresses the compiled code offsets into. */
void *quilt_rt_arena(quilt_rt_ctx *ctx);
const void *quilt_rt_weights(quilt_rt_ctx *ctx);

/* Compute kernels. Attributes after the layouts:
 * conv     buffers {x, w, [b], y}; attrs: has_bias, n (spatial rank), group,
 *          strides[n], dilations[n], pads_lo[n], pads_hi[n], activation (applied
 *          to the result, quilt_activation_kind), alpha(double bits)
 * unary    buffers {x, y}; attrs: kind, alpha, beta (double bits; the kind's parameters)
 * binary   buffers {a, b, y} (same rank; numpy broadcasting of local extents); attrs: kind
 * pool     buffers {x, y}; attrs: kind, count_include_pad, n, kernel[n], strides[n],
 *          dilations[n], pads_lo[n], pads_hi[n]. Positions of a halo dim that
 *          lie outside [0, global_size) are padding: skipped by max, and by
 *          avg unless count_include_pad.
 * gemm     buffers {a, b, [c], y}; attrs: trans_a, trans_b, alpha, beta (double bits), has_c
 *          (c broadcasts numpy-style to y)
 * reduce   buffers {x, y}; attrs: kind (sum, mean, max, prod), divisor(double bits;
 *          mean = sum / divisor), ndims, dims[ndims]; y keeps reduced dims with extent 1
 * concat   buffers {x0..xk-1, y}; attrs: axis
 * copy     buffers {x, y}: same element count, y = x (reshape, identity)
 * softmax  buffers {x, y}; attrs: axis (whole on every rank), log (1: log-softmax)
 * transpose buffers {x, y}; attrs: rank, perm[rank] (y dim k is x dim perm[k])
 * pad      buffers {x, y}; attrs: rank, pads_lo[rank], value(double bits), mode
 *          (quilt_boundary): output position g (global) reads input position
 *          g - pad_lo; outside [0, n): value (zero mode), the wrapped,
 *          mirrored or edge position (periodic, reflect, edge)
 * slice    buffers {x, y}; attrs: rank, starts[rank], steps[rank]: output
 *          position o (global) reads input position start + o * step
 * conv_transpose buffers {x, w, [b], y}; attrs: has_bias, n, group, strides[n],
 *          dilations[n], pads_lo[n]; global input position i feeds output
 *          i * stride - pad_lo + j * dilation (w is [C, M / group, k...])
 * resize   buffers {x, y}; attrs: rank, coordinate (quilt::ResizeCoord),
 *          sampling (quilt::ResizeSample), scale_num[rank], scale_den[rank],
 *          cubic_coeff_a (double bits), exclude_outside (cubic only)
 * arg_reduce buffers {x, y}; attrs: axis, min (ArgMin), select_last, mode
 *          (quilt_arg_mode). The winner is the largest (min: smallest) value,
 *          a NaN before any number; ties go to the lowest index (select_last:
 *          the highest). Indices are floats; candidates of an empty block have
 *          index -1 and never win
 * cumsum   buffers {x, [carry], y}; attrs: axis, exclusive, reverse, has_carry:
 *          y = the running sum of x along the local axis (reverse: from its
 *          end; exclusive: without the position itself) plus carry (extent 1
 *          along the axis, broadcast along it)
 * gather_elements buffers {x, indices, y}; attrs: axis. y has the indices'
 *          shape; y at global position p reads x at p with p[axis] replaced by
 *          indices[p] (below 0: from the end); x's axis is whole on every rank;
 *          an index outside [-n, n) gives NaN
 * einsum   buffers {a, b, y}; attrs: na, letters_a[na], nb, letters_b[nb], ny,
 *          letters_y[ny] (letters as 0..25): a two-operand contraction
 * select   buffers {c, a, b, y} (same rank; numpy broadcasting of local extents):
 *          y = c != 0 ? a : b
 * attention buffers {q, k, v, [pk, pv | bias,] y}; attrs: token_dims: y = softmax(q k^T) v
 *          over the last axis (q [b..., Tq, d], k [b..., Tk, d], v [b..., Tk, dv], all local;
 *          Tq and Tk are the last token_dims dims before the features, flattened);
 *          with pk [b..., Tp, d] and pv [b..., Tp, dv] the keys also include those
 *          Tp prefix tokens (a class token's); with bias [b..., Tq_1.., Tk_1..] (each
 *          dim the queries' local extent, all keys, or 1 to broadcast; five buffers)
 *          y = softmax(q k^T + bias) v
 * dft      buffers {x, y}; attrs: axis, inverse, onesided. x is [..., 1] (real) or
 *          [..., 2] (complex: real, imaginary), y is [..., 2]; the axis (whole on
 *          every rank) is transformed, forward exp(-2 pi i jk/n) or inverse
 *          exp(+2 pi i jk/n) / n; onesided (real forward) keeps bins [0, n/2]
 * moments  buffers {x, m}; attrs: row_dims, groups. Rows: the local positions of
 *          x's dims [0, row_dims), each cut into `groups` contiguous chunks; m
 *          holds (count, mean, M2) per row
 * normalize buffers {x, m, scale, bias, y}; attrs: row_dims, groups,
 *          epsilon(double bits), per_group: y = (x - mean) / sqrt(M2 / count +
 *          epsilon) * scale + bias; scale/bias indexed by row % groups when
 *          per_group, else by the position within the row (local extents)
 */
void quilt_rt_conv(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_unary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_binary(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_pool(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_gemm(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_concat(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_copy(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
/* fill: buffers {y}; attrs: value(double bits). Every local element of y (a
 * splat, or a rank's block of one: the shard_slice of it). */
void quilt_rt_fill(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_softmax(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_pad(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_conv_transpose(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_resize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_einsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_select(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_attention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_dft(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_moments(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_normalize(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_arg_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_cumsum(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_gather_elements(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);

/* Communication. Attributes after the layouts. The four collectives
 * (all_reduce, all_gather, all_to_all, reduce_scatter) end with one more word,
 * `algorithm`: a quilt::CollectiveAlgorithm (quilt/collective_algorithms.h:
 * 0 library, 1 ring, 2 recursive-doubling, 3 rabenseifner, 4 bruck,
 * 5 recursive-halving, 6 pairwise) that serves the kind and the group's size,
 * else the call fails with one line. 0 leaves the algorithm to the
 * communicator's library (MPI's, NCCL's); the others run Quilt's own
 * point-to-point schedules (CPU runtime; the NCCL communicator refuses them).
 * Bytes are counted as the ring sends them, whichever algorithm runs.
 * halo_exchange  buffers {x, y}; attrs: dim. x's dim is a plain block of mesh_axis;
 *                y's dim carries the window. Every needed position owned by
 *                another rank is received (from as many ranks as it spans);
 *                positions outside [0, global_size) get the boundary value
 *                (zero) or wrap (periodic). All sends/receives posted at once.
 * reblock        buffers {x, y}; attrs: dim. x and y split dim over the same mesh
 *                axes in blocks of different granules (layout words); y's block
 *                is filled from the ranks whose x blocks hold parts of it
 *                (halo_segments.h reblockAxis), all sends/receives posted at once.
 * all_reduce     buffers {x, y}; attrs: kind (sum, max, moments or prod), naxes, axes[naxes],
 *                algorithm (library, ring, recursive-doubling or rabenseifner)
 * all_gather     buffers {x, y}; attrs: dim, axis, algorithm (library, ring or bruck):
 *                x split on dim by axis, y whole
 * shard_slice    buffers {x, y}: y = this rank's block of replicated x (no communication)
 * all_to_all     buffers {x, y}; attrs: dim, to_dim, naxes, axes[naxes], algorithm
 *                (library or pairwise): the moving axes are the minor-most axes
 *                splitting x on dim (y keeps the others) and become the minor-most
 *                splitting y on to_dim (after x's axes there); plain blocks; other
 *                dims alike; one all-to-all over the group of the axes (members
 *                row-major over them, as nested blocks number their owners)
 * reduce_scatter buffers {x, y}; attrs: dim, naxes, axes[naxes], algorithm (library,
 *                ring, or recursive-halving on a power-of-two group): x holds its
 *                block of dim (a partial sum over the axes), y is its nested block
 *                over the axes of the sum (one reduce-scatter over their group)
 * collective_permute buffers {x, y}; attrs: axis, shift: send x to coordinate
 *                c + shift, receive y from c - shift (x not split along axis)
 * ring_attention buffers {q, k, v, [pk, pv | bias,] y}; attrs: axis, token_dims. k and v are split
 *                along their token dims, first over mesh axis `axis` (nested blocks over
 *                further axes, and further token dims over their own axes: the ring runs
 *                over the owners of all those axes, row-major, a block being the owner's
 *                tile of tokens); P steps, each merging the held K/V block
 *                into running (max, sum, output) state and then passing it to
 *                coordinate + 1 while receiving coordinate - 1's (a collective
 *                permute of one packed K/V block, P - 1 transfers per rank); the
 *                prefix keys pk, pv (every rank holds them) are merged once first; a
 *                bias (split as q, whole along the keys) adds each block's columns
 */
void quilt_rt_halo_exchange(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_reblock(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_all_reduce(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_all_gather(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_shard_slice(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_all_to_all(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_reduce_scatter(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_collective_permute(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);
void quilt_rt_ring_attention(quilt_rt_ctx *ctx, const int64_t *params, void **buffers);

/* Defined by the compiled model. */
extern const char quilt_model_info[];
void quilt_model_init(quilt_rt_ctx *ctx);
void quilt_model_run(quilt_rt_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* QUILT_RUNTIME_H */
