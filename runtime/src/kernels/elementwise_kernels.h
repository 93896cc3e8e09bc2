// Elementwise ops with numpy broadcasting (binary, select): one body for
// every device (device/kernel_list.h). The broadcast is planned once on the
// host (broadcast.h) into a BroadcastIndex: the output's dims with runs of
// dims that broadcast alike merged, and each operand's element strides (0
// where it broadcasts). A thread computes one output element; the host
// device walks the innermost merged dim as runs whose common stride
// patterns get loops the compiler vectorizes.
#ifndef QUILT_RUNTIME_ELEMENTWISE_KERNELS_H
#define QUILT_RUNTIME_ELEMENTWISE_KERNELS_H

#include "device/kernel_qualifiers.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace quilt {

/// A dense row-major output of `dims` merged dims read by N operands with
/// element strides `stride[k]` (0 where operand k broadcasts).
template <int N> struct BroadcastIndex {
  int dims = 0;
  int64_t extent[QUILT_MAX_RANK] = {};
  int64_t stride[N][QUILT_MAX_RANK] = {};

  /// Output elements: 1 for no dims (a scalar), 0 when a dim is empty.
  QUILT_HD int64_t elements() const {
    int64_t n = 1;
    for (int d = 0; d < dims; ++d)
      n *= extent[d];
    return n;
  }

  /// Each operand's offset for output element i < elements(). The
  /// outermost dim takes what is left of i without a division, so a
  /// one-dim index (equal shapes, or a scalar operand) divides nothing.
  QUILT_HD void offsets(int64_t i, int64_t (&off)[N]) const {
    for (int k = 0; k < N; ++k)
      off[k] = 0;
    for (int d = dims - 1; d > 0; --d) {
      int64_t q = i / extent[d], c = i - q * extent[d];
      i = q;
      for (int k = 0; k < N; ++k)
        off[k] += c * stride[k][d];
    }
    if (dims > 0)
      for (int k = 0; k < N; ++k)
        off[k] += i * stride[k][0];
  }

  /// Host: run(off, outOffset, n, innerStride) for each run of the
  /// innermost merged dim, in row-major order: n output elements from
  /// outOffset, operand k read from off[k] in steps of innerStride[k].
  template <class Run> void forEachRun(Run run) const {
    int64_t off[N] = {};
    if (dims == 0) {
      int64_t none[N] = {};
      run(off, int64_t(0), int64_t(1), none);
      return;
    }
    if (elements() == 0)
      return;
    int last = dims - 1;
    int64_t inner[N];
    for (int k = 0; k < N; ++k)
      inner[k] = stride[k][last];
    int64_t index[QUILT_MAX_RANK] = {};
    int64_t outOffset = 0;
    while (true) {
      run(off, outOffset, extent[last], inner);
      outOffset += extent[last];
      int d = last - 1;
      for (; d >= 0; --d) {
        for (int k = 0; k < N; ++k)
          off[k] += stride[k][d];
        if (++index[d] < extent[d])
          break;
        for (int k = 0; k < N; ++k)
          off[k] -= stride[k][d] * extent[d];
        index[d] = 0;
      }
      if (d < 0)
        return;
    }
  }
};

/// u mod v with the sign of v (Python's %, ONNX Mod with fmod = 0): exact
/// for integers carried in float32.
QUILT_HD inline float floorMod(float u, float v) {
  float r = fmodf(u, v);
  return r != 0.f && ((r < 0.f) != (v < 0.f)) ? r + v : r;
}

/// The binary kinds, each with its body: X(kind, expression of u and v).
#define QUILT_BINARY_KINDS(X)                                                                    \
  X(QUILT_BINARY_ADD, u + v)                                                                     \
  X(QUILT_BINARY_SUB, u - v)                                                                     \
  X(QUILT_BINARY_MUL, u * v)                                                                     \
  X(QUILT_BINARY_DIV, u / v)                                                                     \
  X(QUILT_BINARY_POW, powf(u, v))                                                                \
  X(QUILT_BINARY_MAX, fmaxf(u, v))                                                               \
  X(QUILT_BINARY_MIN, fminf(u, v))                                                               \
  X(QUILT_BINARY_LESS, u < v ? 1.f : 0.f)                                                        \
  X(QUILT_BINARY_LESS_EQUAL, u <= v ? 1.f : 0.f)                                                 \
  X(QUILT_BINARY_GREATER, u > v ? 1.f : 0.f)                                                     \
  X(QUILT_BINARY_GREATER_EQUAL, u >= v ? 1.f : 0.f)                                              \
  X(QUILT_BINARY_EQUAL, u == v ? 1.f : 0.f)                                                     \
  X(QUILT_BINARY_PRELU, u < 0.f ? v * u : u)                                                    \
  X(QUILT_BINARY_MOD, floorMod(u, v))                                                            \
  X(QUILT_BINARY_FMOD, fmodf(u, v))

/// y = f(a, b) for the binary `kind` (quilt_binary_kind), a and b
/// broadcast to y by `index`; y is dense.
struct BinaryKernel {
  BroadcastIndex<2> index;
  const float *a;
  const float *b;
  float *y;
  int64_t kind;

  /// f for a kind known at compile time.
  template <int64_t Kind> QUILT_HD static float apply(float u, float v) {
#define QUILT_BINARY_CASE(K, expr)                                                               \
  if constexpr (Kind == K)                                                                       \
    return expr;
    QUILT_BINARY_KINDS(QUILT_BINARY_CASE)
#undef QUILT_BINARY_CASE
    (void)v;
    return u;
  }

  /// Calls body(std::integral_constant<int64_t, kind>{}) and returns true,
  /// or returns false for an unknown kind.
  template <class Body> QUILT_HD bool withKind(Body body) const {
    switch (kind) {
#define QUILT_BINARY_CASE(K, expr)                                                               \
  case K:                                                                                        \
    body(std::integral_constant<int64_t, K>{});                                                  \
    return true;
      QUILT_BINARY_KINDS(QUILT_BINARY_CASE)
#undef QUILT_BINARY_CASE
    }
    return false;
  }

  QUILT_HD int64_t threads() const { return index.elements(); }
  QUILT_HD void operator()(int64_t i) const {
    int64_t off[2];
    index.offsets(i, off);
    withKind([&](auto k) { y[i] = apply<decltype(k)::value>(a[off[0]], b[off[1]]); });
  }

  /// n elements of one run, operands in steps sa and sb: separate loops
  /// for the common stride patterns let the compiler vectorize.
  template <int64_t Kind>
  static void run(const float *pa, const float *pb, float *py, int64_t n, int64_t sa,
                  int64_t sb) {
    if (sa == 1 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        py[i] = apply<Kind>(pa[i], pb[i]);
    else if (sa == 1 && sb == 0)
      for (int64_t i = 0; i < n; ++i)
        py[i] = apply<Kind>(pa[i], *pb);
    else if (sa == 0 && sb == 1)
      for (int64_t i = 0; i < n; ++i)
        py[i] = apply<Kind>(*pa, pb[i]);
    else
      for (int64_t i = 0; i < n; ++i)
        py[i] = apply<Kind>(pa[i * sa], pb[i * sb]);
  }
  /// The host's loop: the kind switched once, then runs of the innermost dim.
  void runOnHost() const {
    withKind([&](auto k) {
      index.forEachRun([&](const int64_t *off, int64_t oy, int64_t n, const int64_t *s) {
        run<decltype(k)::value>(a + off[0], b + off[1], y + oy, n, s[0], s[1]);
      });
    });
  }
};

/// y = c != 0 ? a : b, the three operands broadcast to y by `index`
/// (operands 0, 1, 2: c, a, b); y is dense.
struct SelectKernel {
  BroadcastIndex<3> index;
  const float *c;
  const float *a;
  const float *b;
  float *y;

  QUILT_HD int64_t threads() const { return index.elements(); }
  QUILT_HD void operator()(int64_t i) const {
    int64_t off[3];
    index.offsets(i, off);
    y[i] = c[off[0]] != 0.f ? a[off[1]] : b[off[2]];
  }

  /// n elements of one run with steps SC, SA, SB known at compile time
  /// (0 or 1: vectorizable), or the runtime steps sc, sa, sb for SC < 0.
  template <int SC, int SA, int SB>
  static void run(const float *pc, const float *pa, const float *pb, float *py, int64_t n,
                  int64_t sc, int64_t sa, int64_t sb) {
    // Both values load unconditionally, so the choice is a blend.
    if constexpr (SC < 0)
      for (int64_t i = 0; i < n; ++i) {
        float u = pa[i * sa], v = pb[i * sb];
        py[i] = pc[i * sc] != 0.f ? u : v;
      }
    else
      for (int64_t i = 0; i < n; ++i) {
        float u = pa[i * SA], v = pb[i * SB];
        py[i] = pc[i * SC] != 0.f ? u : v;
      }
  }
  /// The host's loop: runs of the innermost dim, a loop per stride pattern.
  void runOnHost() const {
    index.forEachRun([&](const int64_t *off, int64_t oy, int64_t n, const int64_t *s) {
      const float *pc = c + off[0], *pa = a + off[1], *pb = b + off[2];
      float *py = y + oy;
      auto unit = [](int64_t v) { return v == 0 || v == 1; };
      if (!unit(s[0]) || !unit(s[1]) || !unit(s[2]))
        return run<-1, -1, -1>(pc, pa, pb, py, n, s[0], s[1], s[2]);
      switch (s[0] * 4 + s[1] * 2 + s[2]) {
      case 0: return run<0, 0, 0>(pc, pa, pb, py, n, 0, 0, 0);
      case 1: return run<0, 0, 1>(pc, pa, pb, py, n, 0, 0, 1);
      case 2: return run<0, 1, 0>(pc, pa, pb, py, n, 0, 1, 0);
      case 3: return run<0, 1, 1>(pc, pa, pb, py, n, 0, 1, 1);
      case 4: return run<1, 0, 0>(pc, pa, pb, py, n, 1, 0, 0);
      case 5: return run<1, 0, 1>(pc, pa, pb, py, n, 1, 0, 1);
      case 6: return run<1, 1, 0>(pc, pa, pb, py, n, 1, 1, 0);
      default: return run<1, 1, 1>(pc, pa, pb, py, n, 1, 1, 1);
      }
    });
  }
};

} // namespace quilt

#endif // QUILT_RUNTIME_ELEMENTWISE_KERNELS_H
