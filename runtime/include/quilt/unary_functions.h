/* The bodies of the unary kinds (quilt_unary_kind), shared by the runtime's
 * unary kernel (kernels/unary_kernels.h: the host loop and the CUDA device)
 * and the compiler's constant evaluator (lib/Import/ConstantEvaluator.cpp),
 * so that a value folded at import is the value the kernel computes.
 *
 * Dependency-free: the C math library and the kind numbers of quilt/runtime.h
 * (which stays the ABI alone). Each body is a template over float (the
 * kernels, and the evaluator's float32 values) and double (the evaluator's
 * float64 values), written with the C math functions through the overloads
 * below: on the device they are the CUDA math library's.
 */
#ifndef QUILT_UNARY_FUNCTIONS_H
#define QUILT_UNARY_FUNCTIONS_H

#include "quilt/runtime.h"

#include <math.h>
#include <stdint.h>

#include <type_traits>

/* What host and device both compile (also in the runtime's
 * device/kernel_qualifiers.h, identically). */
#ifndef QUILT_HD
#if defined(__CUDACC__)
#define QUILT_HD __host__ __device__
#else
#define QUILT_HD
#endif
#endif

namespace quilt {
namespace unary_math {

/* name(float) calls the C library's name##f, name(double) its name. */
#define QUILT_UNARY_MATH_OVERLOAD(name)                                                          \
  QUILT_HD inline float name(float v) { return ::name##f(v); }                                   \
  QUILT_HD inline double name(double v) { return ::name(v); }
QUILT_UNARY_MATH_OVERLOAD(tanh)
QUILT_UNARY_MATH_OVERLOAD(erf)
QUILT_UNARY_MATH_OVERLOAD(sqrt)
QUILT_UNARY_MATH_OVERLOAD(exp)
QUILT_UNARY_MATH_OVERLOAD(expm1)
QUILT_UNARY_MATH_OVERLOAD(log)
QUILT_UNARY_MATH_OVERLOAD(log1p)
QUILT_UNARY_MATH_OVERLOAD(fabs)
QUILT_UNARY_MATH_OVERLOAD(floor)
QUILT_UNARY_MATH_OVERLOAD(ceil)
QUILT_UNARY_MATH_OVERLOAD(rint)
QUILT_UNARY_MATH_OVERLOAD(sin)
QUILT_UNARY_MATH_OVERLOAD(cos)
QUILT_UNARY_MATH_OVERLOAD(tan)
QUILT_UNARY_MATH_OVERLOAD(asin)
QUILT_UNARY_MATH_OVERLOAD(acos)
QUILT_UNARY_MATH_OVERLOAD(atan)
QUILT_UNARY_MATH_OVERLOAD(sinh)
QUILT_UNARY_MATH_OVERLOAD(cosh)
QUILT_UNARY_MATH_OVERLOAD(asinh)
QUILT_UNARY_MATH_OVERLOAD(acosh)
QUILT_UNARY_MATH_OVERLOAD(atanh)
#undef QUILT_UNARY_MATH_OVERLOAD
QUILT_HD inline float fmax(float a, float b) { return ::fmaxf(a, b); }
QUILT_HD inline double fmax(double a, double b) { return ::fmax(a, b); }
QUILT_HD inline float fmin(float a, float b) { return ::fminf(a, b); }
QUILT_HD inline double fmin(double a, double b) { return ::fmin(a, b); }

/* log(exp(v) + 1) without overflow for large v. */
template <class T> QUILT_HD inline T softplus(T v) {
  return v > T(0) ? v + log1p(exp(-v)) : log1p(exp(v));
}

/* The kinds, each with its body: X(kind, expression of v, alpha and beta, all
 * of type T). Only functions valid in __host__ __device__ code (nvcc compiles
 * these). The predicates (is_nan, is_inf) give 1 or 0: a bool mask. */
#define QUILT_UNARY_KINDS(X)                                                                     \
  X(QUILT_UNARY_RELU, v > T(0) ? v : T(0))                                                       \
  X(QUILT_UNARY_LEAKY_RELU, v >= T(0) ? v : alpha * v)                                           \
  X(QUILT_UNARY_SIGMOID, T(1) / (T(1) + exp(-v)))                                                \
  X(QUILT_UNARY_TANH, tanh(v))                                                                   \
  X(QUILT_UNARY_ERF, erf(v))                                                                     \
  X(QUILT_UNARY_GELU, T(0.5) * v * (T(1) + erf(v * T(0.70710678118654752))))                     \
  X(QUILT_UNARY_IDENTITY, v)                                                                     \
  X(QUILT_UNARY_SQRT, sqrt(v))                                                                   \
  X(QUILT_UNARY_EXP, exp(v))                                                                     \
  X(QUILT_UNARY_LOG, log(v))                                                                     \
  X(QUILT_UNARY_NEG, -v)                                                                         \
  X(QUILT_UNARY_ABS, fabs(v))                                                                    \
  X(QUILT_UNARY_HARD_SIGMOID, fmax(T(0), fmin(T(1), alpha * v + beta)))                          \
  X(QUILT_UNARY_HARD_SWISH, v * fmax(T(0), fmin(T(1), v * (T(1) / T(6)) + T(0.5))))              \
  X(QUILT_UNARY_RECIPROCAL, T(1) / v)                                                            \
  X(QUILT_UNARY_SOFTPLUS, softplus(v))                                                           \
  X(QUILT_UNARY_SOFTSIGN, v / (T(1) + fabs(v)))                                                  \
  X(QUILT_UNARY_ELU, v >= T(0) ? v : alpha * expm1(v))                                           \
  X(QUILT_UNARY_SELU, v > T(0) ? beta * v : beta * alpha * expm1(v))                             \
  X(QUILT_UNARY_CELU, fmax(T(0), v) + fmin(T(0), alpha * expm1(v / alpha)))                      \
  X(QUILT_UNARY_MISH, v * tanh(softplus(v)))                                                     \
  X(QUILT_UNARY_THRESHOLDED_RELU, v > alpha ? v : T(0))                                          \
  X(QUILT_UNARY_SIGN, v > T(0) ? T(1) : v < T(0) ? T(-1) : v)                                    \
  X(QUILT_UNARY_FLOOR, floor(v))                                                                 \
  X(QUILT_UNARY_CEIL, ceil(v))                                                                   \
  X(QUILT_UNARY_ROUND, rint(v))                                                                  \
  X(QUILT_UNARY_SIN, sin(v))                                                                     \
  X(QUILT_UNARY_COS, cos(v))                                                                     \
  X(QUILT_UNARY_TAN, tan(v))                                                                     \
  X(QUILT_UNARY_ASIN, asin(v))                                                                   \
  X(QUILT_UNARY_ACOS, acos(v))                                                                   \
  X(QUILT_UNARY_ATAN, atan(v))                                                                   \
  X(QUILT_UNARY_SINH, sinh(v))                                                                   \
  X(QUILT_UNARY_COSH, cosh(v))                                                                   \
  X(QUILT_UNARY_ASINH, asinh(v))                                                                 \
  X(QUILT_UNARY_ACOSH, acosh(v))                                                                 \
  X(QUILT_UNARY_ATANH, atanh(v))                                                                 \
  X(QUILT_UNARY_IS_NAN, v != v ? T(1) : T(0))                                                    \
  X(QUILT_UNARY_IS_INF,                                                                          \
    (v == T(INFINITY) && beta != T(0)) || (v == -T(INFINITY) && alpha != T(0)) ? T(1) : T(0))    \
  X(QUILT_UNARY_SHRINK, v < -alpha ? v + beta : v > alpha ? v - beta : T(0))

/* f(v) for the unary kind `Kind`, known at compile time; alpha and beta are
 * the kind's parameters (quilt_unary_kind), ignored by kinds without. */
template <int64_t Kind, class T> QUILT_HD inline T apply(T v, T alpha, T beta) {
#define QUILT_UNARY_CASE(K, expr)                                                                \
  if constexpr (Kind == K)                                                                       \
    return expr;
  QUILT_UNARY_KINDS(QUILT_UNARY_CASE)
#undef QUILT_UNARY_CASE
  (void)alpha;
  (void)beta;
  return v;
}

/* Calls body(std::integral_constant<int64_t, kind>{}) and returns true, or
 * returns false for an unknown kind: a loop switches once, not per element. */
template <class Body> QUILT_HD inline bool withKind(int64_t kind, Body body) {
  switch (kind) {
#define QUILT_UNARY_CASE(K, expr)                                                                \
  case K:                                                                                        \
    body(std::integral_constant<int64_t, K>{});                                                  \
    return true;
    QUILT_UNARY_KINDS(QUILT_UNARY_CASE)
#undef QUILT_UNARY_CASE
  }
  return false;
}

} // namespace unary_math
} // namespace quilt

#endif /* QUILT_UNARY_FUNCTIONS_H */
