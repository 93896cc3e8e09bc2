// A hand-written stand-in for a compiled model, linked with the runtime like
// one: input [1, 2, 11, 9] split along H over a mesh of 3 ranks; halo
// exchange, 3x3 stride-(2, 1) conv with bias, relu (output 0, split), then a
// global mean over H and W via a partial reduce and an all-reduce (output 1,
// replicated). The layouts and arena offsets are what the compiler would emit.
#include "quilt/runtime.h"

#include <cstdint>

// Dim layout words: global_size, mesh_axis, stride, dilation, kernel, pad_lo,
// global_out, boundary, window kind, resize coordinate, resize sampling,
// scale num, scale den, granule, minor mesh axes.
#define WHOLE(n) n, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1
#define SPLIT(n) n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1
#define HALO_H 11, 0, 2, 1, 3, 1, 6, QUILT_BOUNDARY_ZERO, 0, 0, 0, 1, 1, 1, -1, -1

extern "C" const char quilt_model_info[] = R"({
  "version": 1,
  "mesh": {"name": "mesh", "axes": [{"name": "x", "size": 3}]},
  "arena_bytes": 1472, "arena_alignment": 64,
  "pack_scratch_bytes": 328,
  "weights": {"bytes": 336, "checksum": "dc1d1faa7931c80f"},
  "inputs": [{"name": "input", "dtype": "float32", "arena_offset": 0,
              "layout": [4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 2, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 9, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1]}],
  "outputs": [{"name": "relu", "dtype": "float32", "arena_offset": 1024,
               "layout": [4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 9, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1]},
              {"name": "mean", "dtype": "float32", "arena_offset": 1408,
               "layout": [4, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 4, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, -1, -1]}]
})";

namespace {

// Arena offsets (bytes), each sized for the largest rank's local extents.
constexpr int64_t kX = 0, kXHalo = 320, kConv = 704, kRelu = 1024, kPartial = 1344, kMean = 1408;
// Weights offsets (bytes).
constexpr int64_t kW = 0, kB = 320;

const int64_t kHaloParams[] = {2, 4, WHOLE(1), WHOLE(2), SPLIT(11), WHOLE(9),
                               4, WHOLE(1), WHOLE(2), HALO_H, WHOLE(9), /*dim*/ 2};
const int64_t kConvParams[] = {4,
                               4, WHOLE(1), WHOLE(2), HALO_H, WHOLE(9),
                               4, WHOLE(4), WHOLE(2), WHOLE(3), WHOLE(3),
                               1, WHOLE(4),
                               4, WHOLE(1), WHOLE(4), SPLIT(6), WHOLE(9),
                               /*has_bias*/ 1, /*n*/ 2, /*group*/ 1, /*strides*/ 2, 1,
                               /*dilations*/ 1, 1, /*pads_lo*/ 1, 1, /*pads_hi*/ 1, 1,
                               /*activation*/ QUILT_ACTIVATION_NONE, 0};
const int64_t kReluParams[] = {2, 4, WHOLE(1), WHOLE(4), SPLIT(6), WHOLE(9),
                               4, WHOLE(1), WHOLE(4), SPLIT(6), WHOLE(9), QUILT_UNARY_RELU, 0, 0};
const int64_t kMeanDivisorBits = 0x404b000000000000; // 54.0: the global H * W
const int64_t kReduceParams[] = {2, 4, WHOLE(1), WHOLE(4), SPLIT(6), WHOLE(9),
                                 4, WHOLE(1), WHOLE(4), WHOLE(1), WHOLE(1),
                                 QUILT_REDUCE_MEAN, kMeanDivisorBits, 2, 2, 3};
const int64_t kAllReduceParams[] = {2, 4, WHOLE(1), WHOLE(4), WHOLE(1), WHOLE(1),
                                    4, WHOLE(1), WHOLE(4), WHOLE(1), WHOLE(1),
                                    QUILT_REDUCE_SUM, 1, 0, /*algorithm: library*/ 0};

char *at(void *base, int64_t offset) { return static_cast<char *>(base) + offset; }

} // namespace

// Nothing depends on the rank alone.
extern "C" void quilt_model_init(quilt_rt_ctx *) {}

extern "C" void quilt_model_run(quilt_rt_ctx *ctx) {
  void *arena = quilt_rt_arena(ctx);
  void *weights = const_cast<void *>(quilt_rt_weights(ctx));
  void *halo[] = {at(arena, kX), at(arena, kXHalo)};
  quilt_rt_halo_exchange(ctx, kHaloParams, halo);
  void *conv[] = {at(arena, kXHalo), at(weights, kW), at(weights, kB), at(arena, kConv)};
  quilt_rt_conv(ctx, kConvParams, conv);
  void *relu[] = {at(arena, kConv), at(arena, kRelu)};
  quilt_rt_unary(ctx, kReluParams, relu);
  void *reduce[] = {at(arena, kRelu), at(arena, kPartial)};
  quilt_rt_reduce(ctx, kReduceParams, reduce);
  void *allReduce[] = {at(arena, kPartial), at(arena, kMean)};
  quilt_rt_all_reduce(ctx, kAllReduceParams, allReduce);
}
