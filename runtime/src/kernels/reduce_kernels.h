// Sum, mean, max and product over dims: one body for every device (device/kernel_list.h).
#ifndef QUILT_RUNTIME_REDUCE_KERNELS_H
#define QUILT_RUNTIME_REDUCE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace quilt {

/// Dims with an extent and a stride each (row-major: dim 0 outermost).
struct StridedDims {
  int count = 0;
  int64_t extent[QUILT_MAX_RANK] = {};
  int64_t stride[QUILT_MAX_RANK] = {};
};

/// y (dense, extent 1 on reduced dims) = the reduction of x (dense) over
/// some dims, by kind (QUILT_REDUCE_SUM, _MEAN, _MAX, _PROD); mean divides the sum
/// by `divisor`. One output element per index, accumulating in float over
/// its reduced positions in x's row-major order (the order the host's
/// streaming loop adds them in, so both give the same bits). The dims are
/// folded on the host: extent 1 dropped, neighbours alike merged.
struct ReduceDimsKernel {
  const float *x;
  float *y;
  int64_t kind;
  double divisor;
  int64_t outputs;    // elements of y
  StridedDims kept;   // y's dims: extent and x stride
  StridedDims reduced; // reduced dims: extent and x stride
  StridedDims all;    // x's dims in order: extent and y stride (0: reduced)

  template <int64_t Kind> QUILT_HD static float identity() {
    if constexpr (Kind == QUILT_REDUCE_MAX)
      return -INFINITY; // an empty shard's max: the identity of the max all-reduce
    else if constexpr (Kind == QUILT_REDUCE_PROD)
      return 1.f;
    else
      return 0.f;
  }
  template <int64_t Kind> QUILT_HD static float combine(float acc, float v) {
    if constexpr (Kind == QUILT_REDUCE_MAX)
      return acc < v ? v : acc; // std::max(acc, v)
    else if constexpr (Kind == QUILT_REDUCE_PROD)
      return acc * v;
    else
      return acc + v;
  }
  template <int64_t Kind> QUILT_HD float finish(float acc) const {
    if constexpr (Kind == QUILT_REDUCE_MEAN)
      return static_cast<float>(acc / divisor);
    else
      return acc;
  }

  /// Calls body(std::integral_constant<int64_t, kind>{}) and returns true,
  /// or returns false for an unknown kind.
  template <class Body> QUILT_HD bool withKind(Body body) const {
    switch (kind) {
    case QUILT_REDUCE_SUM:
      body(std::integral_constant<int64_t, QUILT_REDUCE_SUM>{});
      return true;
    case QUILT_REDUCE_MEAN:
      body(std::integral_constant<int64_t, QUILT_REDUCE_MEAN>{});
      return true;
    case QUILT_REDUCE_MAX:
      body(std::integral_constant<int64_t, QUILT_REDUCE_MAX>{});
      return true;
    case QUILT_REDUCE_PROD:
      body(std::integral_constant<int64_t, QUILT_REDUCE_PROD>{});
      return true;
    }
    return false;
  }

  template <int64_t Kind> QUILT_HD void element(int64_t i) const {
    int64_t at = i, base = 0;
    for (int d = kept.count - 1; d >= 0; --d) {
      int64_t c = at % kept.extent[d];
      at /= kept.extent[d];
      base += c * kept.stride[d];
    }
    // The innermost reduced dim is a run; the others by division per run.
    int last = reduced.count - 1;
    int64_t run = last >= 0 ? reduced.extent[last] : 1;
    int64_t step = last >= 0 ? reduced.stride[last] : 0;
    int64_t runs = 1;
    for (int d = 0; d < last; ++d)
      runs *= reduced.extent[d];
    float acc = identity<Kind>();
    for (int64_t r = 0; r < runs; ++r) {
      int64_t left = r, offset = base;
      for (int d = last - 1; d >= 0; --d) {
        int64_t c = left % reduced.extent[d];
        left /= reduced.extent[d];
        offset += c * reduced.stride[d];
      }
      const float *xs = x + offset;
      for (int64_t k = 0; k < run; ++k)
        acc = combine<Kind>(acc, xs[k * step]);
    }
    y[i] = finish<Kind>(acc);
  }

  QUILT_HD int64_t threads() const { return outputs; }
  QUILT_HD void operator()(int64_t i) const {
    withKind([&](auto k) { element<decltype(k)::value>(i); });
  }

  /// The host's loop: y set to the identity, then x streamed once in order,
  /// each innermost run added into y (a contiguous run of y, or one element
  /// of y when the run is reduced), then the mean's division.
  template <int64_t Kind> void streamOnHost() const {
    for (int64_t i = 0; i < outputs; ++i)
      y[i] = identity<Kind>();
    int64_t total = all.count > 0 ? 1 : 0;
    for (int d = 0; d < all.count; ++d)
      total *= all.extent[d];
    if (all.count == 0 && outputs > 0) // every dim of extent 1
      total = 1;
    if (total > 0) {
      int last = all.count - 1;
      int64_t run = last >= 0 ? all.extent[last] : 1;
      bool runReduced = last >= 0 && all.stride[last] == 0;
      int64_t index[QUILT_MAX_RANK] = {};
      int64_t yAt = 0;
      for (int64_t at = 0; at < total; at += run) {
        const float *xs = x + at;
        if (runReduced) {
          float acc = y[yAt];
          for (int64_t k = 0; k < run; ++k)
            acc = combine<Kind>(acc, xs[k]);
          y[yAt] = acc;
        } else {
          float *ys = y + yAt;
          for (int64_t k = 0; k < run; ++k)
            ys[k] = combine<Kind>(ys[k], xs[k]);
        }
        for (int d = last - 1; d >= 0; --d) {
          yAt += all.stride[d];
          if (++index[d] < all.extent[d])
            break;
          yAt -= all.stride[d] * all.extent[d];
          index[d] = 0;
        }
      }
    }
    if constexpr (Kind == QUILT_REDUCE_MEAN)
      for (int64_t i = 0; i < outputs; ++i)
        y[i] = finish<Kind>(y[i]);
  }
  /// The kind switched once (not through withKind: nvcc rejects a host
  /// lambda called from its __host__ __device__ body).
  void runOnHost() const {
    switch (kind) {
    case QUILT_REDUCE_SUM:
      return streamOnHost<QUILT_REDUCE_SUM>();
    case QUILT_REDUCE_MEAN:
      return streamOnHost<QUILT_REDUCE_MEAN>();
    case QUILT_REDUCE_MAX:
      return streamOnHost<QUILT_REDUCE_MAX>();
    case QUILT_REDUCE_PROD:
      return streamOnHost<QUILT_REDUCE_PROD>();
    }
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_REDUCE_KERNELS_H
