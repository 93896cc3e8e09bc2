// The elementwise, gemm, reduce and data-movement kernels against reference
// loops on whole tensors, plus reduce and shard_slice on simulated shards.
#include "kernels/fast_exp.h"
#include "moments.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace quilt::test {
namespace {


struct Fixture {
  SelfCommunicator comm;
  std::unique_ptr<quilt_rt_ctx> ctx = makeContext(comm, {}, {});
};

TEST(Unary, AllKinds) {
  Fixture f;
  Shape s{3, 17};
  std::vector<float> x = globalTensor(s, 1), y(x.size());
  for (float &v : x)
    v *= 3.f;
  // Every kind gets alpha = 0.7 and beta = 0.4 (ignored by kinds without parameters).
  const double alpha = 0.7, beta = 0.4;
  auto softplus = [](double v) { return std::log1p(std::exp(v)); };
  auto expect = [&](int kind, double v) -> double {
    switch (kind) {
    case QUILT_UNARY_RELU: return v > 0 ? v : 0;
    case QUILT_UNARY_LEAKY_RELU: return v >= 0 ? v : alpha * v;
    case QUILT_UNARY_SIGMOID: return 1 / (1 + std::exp(-v));
    case QUILT_UNARY_TANH: return std::tanh(v);
    case QUILT_UNARY_ERF: return std::erf(v);
    case QUILT_UNARY_GELU: return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
    case QUILT_UNARY_SQRT: return std::sqrt(std::fabs(v));
    case QUILT_UNARY_EXP: return std::exp(v);
    case QUILT_UNARY_LOG: return std::log(std::fabs(v));
    case QUILT_UNARY_NEG: return -v;
    case QUILT_UNARY_ABS: return std::fabs(v);
    case QUILT_UNARY_HARD_SIGMOID: return std::clamp(alpha * v + beta, 0.0, 1.0);
    case QUILT_UNARY_HARD_SWISH: return v * std::clamp(v / 6 + 0.5, 0.0, 1.0);
    case QUILT_UNARY_RECIPROCAL: return 1 / v;
    case QUILT_UNARY_SOFTPLUS: return softplus(v);
    case QUILT_UNARY_SOFTSIGN: return v / (1 + std::fabs(v));
    case QUILT_UNARY_ELU: return v >= 0 ? v : alpha * (std::exp(v) - 1);
    case QUILT_UNARY_SELU: return beta * (v > 0 ? v : alpha * (std::exp(v) - 1));
    case QUILT_UNARY_CELU:
      return std::max(0.0, v) + std::min(0.0, alpha * (std::exp(v / alpha) - 1));
    case QUILT_UNARY_MISH: return v * std::tanh(softplus(v));
    case QUILT_UNARY_THRESHOLDED_RELU: return v > alpha ? v : 0;
    case QUILT_UNARY_SIGN: return v > 0 ? 1 : v < 0 ? -1 : 0;
    case QUILT_UNARY_FLOOR: return std::floor(v);
    case QUILT_UNARY_CEIL: return std::ceil(v);
    case QUILT_UNARY_ROUND: return std::nearbyint(v); // the default mode: halves to even
    case QUILT_UNARY_SIN: return std::sin(v);
    case QUILT_UNARY_COS: return std::cos(v);
    case QUILT_UNARY_TAN: return std::tan(v);
    case QUILT_UNARY_ASIN: return std::asin(v);
    case QUILT_UNARY_ACOS: return std::acos(v);
    case QUILT_UNARY_ATAN: return std::atan(v);
    case QUILT_UNARY_SINH: return std::sinh(v);
    case QUILT_UNARY_COSH: return std::cosh(v);
    case QUILT_UNARY_ASINH: return std::asinh(v);
    case QUILT_UNARY_ACOSH: return std::acosh(v);
    case QUILT_UNARY_ATANH: return std::atanh(v);
    case QUILT_UNARY_IS_NAN: return std::isnan(v) ? 1 : 0;
    case QUILT_UNARY_IS_INF: return std::isinf(v) ? 1 : 0; // alpha, beta != 0: both signs
    case QUILT_UNARY_SHRINK: return v < -alpha ? v + beta : v > alpha ? v - beta : 0;
    default: return v;
    }
  };
  for (int kind = 0; kind <= QUILT_UNARY_SHRINK; ++kind) {
    // sqrt, log, acosh and the inverse sines read their domain, the others
    // x itself; the rounding kinds read multiples of 1/4 (exact ties at .5,
    // and zeros); the predicates read a NaN and both infinities too.
    std::vector<float> in = x;
    if (kind == QUILT_UNARY_SQRT || kind == QUILT_UNARY_LOG)
      for (float &v : in)
        v = std::fabs(v) + 0.01f;
    if (kind == QUILT_UNARY_ACOSH)
      for (float &v : in)
        v = std::fabs(v) + 1.f;
    if (kind == QUILT_UNARY_ASIN || kind == QUILT_UNARY_ACOS || kind == QUILT_UNARY_ATANH)
      for (float &v : in)
        v /= 3.2f;
    if (kind >= QUILT_UNARY_SIGN && kind <= QUILT_UNARY_ROUND)
      for (float &v : in)
        v = std::floor(v * 4.f) / 4.f;
    if (kind == QUILT_UNARY_IS_NAN || kind == QUILT_UNARY_IS_INF) {
      in[0] = NAN;
      in[1] = INFINITY;
      in[2] = -INFINITY;
    }
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(kind).attrDouble(alpha).attrDouble(beta);
    void *buffers[] = {in.data(), y.data()};
    quilt_rt_unary(f.ctx.get(), p.data(), buffers);
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_NEAR(y[i], expect(kind, in[i]), 1e-5 * std::max(1.f, std::fabs(y[i])))
          << "kind " << kind << " x " << in[i];
  }
}

TEST(Unary, IsInfDetectsTheSignsAskedFor) {
  Fixture f;
  Shape s{4};
  std::vector<float> x{-INFINITY, INFINITY, NAN, 1.f}, y(4);
  // alpha: detect_negative, beta: detect_positive.
  for (auto [alpha, beta] : {std::pair{1.0, 0.0}, std::pair{0.0, 1.0}, std::pair{0.0, 0.0}}) {
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(QUILT_UNARY_IS_INF).attrDouble(alpha)
        .attrDouble(beta);
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_unary(f.ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, (std::vector<float>{float(alpha), float(beta), 0, 0})) << alpha << " " << beta;
  }
}

TEST(Unary, ShrinkSoftAndHard) {
  Fixture f;
  Shape s{5};
  std::vector<float> x{-2.f, -0.5f, 0.f, 0.5f, 2.f}, y(5);
  for (double bias : {0.0, 1.5}) {
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(QUILT_UNARY_SHRINK).attrDouble(1.0)
        .attrDouble(bias);
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_unary(f.ctx.get(), p.data(), buffers);
    float b = float(bias);
    EXPECT_EQ(y, (std::vector<float>{-2.f + b, 0, 0, 0, 2.f - b})) << bias;
  }
}

TEST(Unary, RoundsHalvesToEven) {
  Fixture f;
  Shape s{8};
  std::vector<float> x{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 0.49999997f, -0.f}, y(8);
  Params p;
  p.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(QUILT_UNARY_ROUND).attrDouble(0).attrDouble(0);
  void *buffers[] = {x.data(), y.data()};
  quilt_rt_unary(f.ctx.get(), p.data(), buffers);
  EXPECT_EQ(y, (std::vector<float>{-2, -2, -0.f, 0, 2, 2, 0, -0.f}));
}

TEST(Binary, BroadcastingAllKinds) {
  Fixture f;
  Shape a{2, 3, 4, 5};
  std::vector<Shape> bShapes{{2, 3, 4, 5}, {1, 3, 1, 1}, {2, 1, 4, 1}, {1, 1, 1, 5}, {1, 1, 1, 1}};
  for (const Shape &bs : bShapes) {
    for (bool swap : {false, true}) {
      Shape s1 = swap ? bs : a, s2 = swap ? a : bs;
      std::vector<float> x1 = globalTensor(s1, 1), x2 = globalTensor(s2, 2);
      for (float &v : x2)
        v += 2.5f; // keep divisors away from zero
      for (int kind = 0; kind <= QUILT_BINARY_FMOD; ++kind) {
        if (kind >= QUILT_BINARY_LESS && kind <= QUILT_BINARY_EQUAL)
          continue; // ComparisonsGiveMasks
        // pow stays in its real domain: a positive base.
        std::vector<float> base = x1;
        if (kind == QUILT_BINARY_POW)
          for (float &v : base)
            v = std::fabs(v) + 0.1f;
        Shape ys;
        std::vector<float> ref = refBinary(base, s1, x2, s2, kind, ys), y(ref.size());
        Params p;
        p.tensor(wholeDims(s1)).tensor(wholeDims(s2)).tensor(wholeDims(ys)).attr(kind);
        void *buffers[] = {base.data(), x2.data(), y.data()};
        quilt_rt_binary(f.ctx.get(), p.data(), buffers);
        EXPECT_LT(maxAbsDiff(y, ref), 1e-4) << shapeString(s1) << " " << shapeString(s2)
                                             << " kind " << kind;
      }
    }
  }
}

TEST(Binary, ComparisonsGiveMasks) {
  Fixture f;
  // Ties, signs and a NaN (which compares false, even to itself), against a
  // broadcast row.
  Shape as{2, 4}, bs{1, 4};
  std::vector<float> a{-1, 0, 2, NAN, 3, 0, 1, 2}, b{0, 0, 1, NAN};
  for (int kind = QUILT_BINARY_LESS; kind <= QUILT_BINARY_EQUAL; ++kind) {
    Shape ys;
    std::vector<float> ref = refBinary(a, as, b, bs, kind, ys), y(ref.size(), -1.f);
    Params p;
    p.tensor(wholeDims(as)).tensor(wholeDims(bs)).tensor(wholeDims(ys)).attr(kind);
    void *buffers[] = {a.data(), b.data(), y.data()};
    quilt_rt_binary(f.ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, ref) << "kind " << kind;
  }
  // Spot values: 0 <= 0, 2 > 1, NaN == NaN is false.
  Shape ys;
  EXPECT_EQ(refBinary(a, as, b, bs, QUILT_BINARY_LESS_EQUAL, ys)[1], 1.f);
  EXPECT_EQ(refBinary(a, as, b, bs, QUILT_BINARY_GREATER, ys)[2], 1.f);
  EXPECT_EQ(refBinary(a, as, b, bs, QUILT_BINARY_EQUAL, ys)[3], 0.f);
}

TEST(Binary, ModTakesTheDivisorsSignFmodTheDividends) {
  Fixture f;
  // Integers carried in float32 (ONNX Mod on int64), and a float fmod.
  Shape s{6};
  std::vector<float> a{7, -7, 7, -7, 6, 5.5f}, b{3, 3, -3, -3, 3, 2}, y(6);
  std::vector<float> mod{1, 2, -2, -1, 0, 1.5f}, fmod{1, -1, 1, -1, 0, 1.5f};
  for (auto [kind, expected] :
       {std::pair{QUILT_BINARY_MOD, mod}, std::pair{QUILT_BINARY_FMOD, fmod}}) {
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(s)).tensor(wholeDims(s)).attr(kind);
    void *buffers[] = {a.data(), b.data(), y.data()};
    quilt_rt_binary(f.ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, expected) << "kind " << kind;
  }
}

TEST(Binary, IncompatibleShapesAreAnError) {
  Fixture f;
  Params p;
  p.tensor(wholeDims({2, 3})).tensor(wholeDims({2, 2})).tensor(wholeDims({2, 3})).attr(0);
  std::vector<float> a(6), b(4), y(6);
  void *buffers[] = {a.data(), b.data(), y.data()};
  EXPECT_THROW(quilt_rt_binary(f.ctx.get(), p.data(), buffers), Error);
}

TEST(Gemm, TransposesBiasShapesAndScales) {
  Fixture f;
  int64_t m = 5, k = 7, n = 3;
  std::vector<Shape> cShapes{{}, {n}, {m, 1}, {m, n}, {1, n}};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int ci = -1; ci < static_cast<int>(cShapes.size()); ++ci) {
        Shape as = ta ? Shape{k, m} : Shape{m, k}, bs = tb ? Shape{n, k} : Shape{k, n};
        Shape cs = ci >= 0 ? cShapes[ci] : Shape{};
        std::vector<float> a = globalTensor(as, 1), b = globalTensor(bs, 2), c = globalTensor(cs, 3);
        Shape ys;
        std::vector<float> ref =
            refGemm(a, as, ta, b, bs, tb, ci >= 0 ? &c : nullptr, cs, 0.5, 2.0, ys);
        std::vector<float> y(ref.size(), 99.f);
        Params p;
        p.tensor(wholeDims(as)).tensor(wholeDims(bs));
        if (ci >= 0)
          p.tensor(wholeDims(cs));
        p.tensor(wholeDims(ys)).attr(ta).attr(tb).attrDouble(0.5).attrDouble(2.0).attr(ci >= 0);
        std::vector<void *> buffers{a.data(), b.data()};
        if (ci >= 0)
          buffers.push_back(c.data());
        buffers.push_back(y.data());
        quilt_rt_gemm(f.ctx.get(), p.data(), buffers.data());
        EXPECT_LT(maxAbsDiff(y, ref), 1e-4) << ta << tb << " c " << ci;
      }
}

void checkReduce(int kind, const Shape &xs, const Shape &dims, double divisor) {
  Fixture f;
  std::vector<float> x = globalTensor(xs, 4);
  Shape ys;
  std::vector<float> ref = refReduce(x, xs, dims, kind, ys), y(ref.size());
  Params p;
  p.tensor(wholeDims(xs)).tensor(wholeDims(ys)).attr(kind).attrDouble(divisor);
  p.attr(static_cast<int64_t>(dims.size())).attrs(dims);
  void *buffers[] = {x.data(), y.data()};
  quilt_rt_reduce(f.ctx.get(), p.data(), buffers);
  EXPECT_LT(maxAbsDiff(y, ref), 1e-4) << "kind " << kind << " dims " << shapeString(dims);
}

TEST(Reduce, SumMeanMaxProdOverDims) {
  Shape xs{2, 3, 4, 5};
  for (int kind : {QUILT_REDUCE_SUM, QUILT_REDUCE_MEAN, QUILT_REDUCE_MAX, QUILT_REDUCE_PROD})
    for (const Shape &dims : std::vector<Shape>{{2, 3}, {1}, {0, 3}, {3}, {0, 1, 2, 3}, {}}) {
      double count = 1;
      for (int64_t d : dims)
        count *= xs[d];
      checkReduce(kind, xs, dims, 0.0);   // default divisor: the global count
      checkReduce(kind, xs, dims, count); // explicit divisor
    }
}

TEST(Reduce, PartialMeansOnShardsSumToTheMean) {
  // Each shard divides its local sum by the global count; the all-reduce sum
  // the compiler adds then yields the mean.
  Shape xs{1, 2, 10, 3}, mesh{4};
  std::vector<float> x = globalTensor(xs, 6);
  Shape ys;
  std::vector<float> ref = refReduce(x, xs, {2, 3}, QUILT_REDUCE_MEAN, ys);
  std::vector<Dim> xd{whole(1), whole(2), split(10, 0), whole(3)};
  Params p;
  p.tensor(xd).tensor(wholeDims(ys)).attr(QUILT_REDUCE_MEAN).attrDouble(30.0).attr(2).attrs({2, 3});
  std::vector<float> total(ref.size(), 0.f);
  SelfCommunicator comm;
  for (int64_t r = 0; r < 4; ++r) {
    auto ctx = makeContext(comm, mesh, {r});
    std::vector<float> xl = localPart(x, xd, mesh, {r}), y(ref.size());
    void *buffers[] = {xl.data(), y.data()};
    quilt_rt_reduce(ctx.get(), p.data(), buffers);
    for (size_t i = 0; i < y.size(); ++i)
      total[i] += y[i];
  }
  EXPECT_LT(maxAbsDiff(total, ref), 1e-5);
}

TEST(Concat, AlongEachAxis) {
  Fixture f;
  for (int axis = 0; axis < 3; ++axis) {
    std::vector<Shape> parts{{2, 3, 4}, {2, 3, 4}, {2, 3, 4}};
    parts[1][axis] = 1;
    parts[2][axis] = 5;
    Shape ys = parts[0];
    ys[axis] = parts[0][axis] + 1 + 5;
    std::vector<std::vector<float>> xs;
    Params p;
    for (size_t i = 0; i < parts.size(); ++i) {
      xs.push_back(globalTensor(parts[i], i));
      p.tensor(wholeDims(parts[i]));
    }
    std::vector<float> y(numElements(ys));
    p.tensor(wholeDims(ys)).attr(axis);
    void *buffers[] = {xs[0].data(), xs[1].data(), xs[2].data(), y.data()};
    quilt_rt_concat(f.ctx.get(), p.data(), buffers);
    forEachIndex(ys, [&](const Shape &i) {
      Shape j = i;
      size_t part = 0;
      while (j[axis] >= parts[part][axis])
        j[axis] -= parts[part++][axis];
      EXPECT_EQ(y[linearIndex(ys, i)], xs[part][linearIndex(parts[part], j)]);
    });
  }
}

TEST(Copy, ReshapeKeepsElements) {
  Fixture f;
  std::vector<float> x = globalTensor({6, 4}, 1), y(24);
  Params p;
  p.tensor(wholeDims({6, 4})).tensor(wholeDims({2, 12}));
  void *buffers[] = {x.data(), y.data()};
  quilt_rt_copy(f.ctx.get(), p.data(), buffers);
  EXPECT_EQ(x, y);
}

TEST(Fill, EveryLocalElement) {
  Fixture f;
  std::vector<float> y(5 * 7 * 3, -1.f);
  Params p;
  p.tensor(wholeDims({5, 7, 3})).attrDouble(2.5);
  void *buffers[] = {y.data()};
  quilt_rt_fill(f.ctx.get(), p.data(), buffers);
  EXPECT_EQ(y, std::vector<float>(y.size(), 2.5f));
}

TEST(ShardSlice, BlocksOfTwoAxes) {
  Shape xs{7, 5, 3}, mesh{3, 2};
  std::vector<float> x = globalTensor(xs, 2);
  std::vector<Dim> yd{split(7, 0), split(5, 1), whole(3)};
  Params p;
  p.tensor(wholeDims(xs)).tensor(yd);
  SelfCommunicator comm;
  forEachIndex(mesh, [&](const Shape &coords) {
    auto ctx = makeContext(comm, mesh, coords);
    std::vector<float> expected = localPart(x, yd, mesh, coords), y(expected.size());
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_shard_slice(ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, expected) << shapeString(coords);
  });
}

// fast_exp.h: within 2 ulp of e^x over the whole normal range, on a grid
// and at the edges; 0 where e^x is subnormal (and for -inf); NaN stays NaN.
TEST(FastExp, WithinTwoUlpOverTheNormalRange) {
  double worst = 0;
  for (int i = 0; i <= 2000000; ++i) {
    float x = -87.3f + (88.3f + 87.3f) * float(i) / 2000000.f;
    double exact = std::exp(double(x));
    double error = std::fabs(fastExp(x) - exact) / exact;
    worst = std::max(worst, error);
  }
  EXPECT_LT(worst, 2.4e-7); // 2 ulp of a float (2^-22)
  for (float x : {0.f, -0.f, 1.f, -1.f, 1e-20f, -1e-20f, 0.5f * 0.6931472f})
    EXPECT_NEAR(fastExp(x), std::exp(x), 2.4e-7 * std::exp(x)) << x;
  EXPECT_EQ(fastExp(0.f), 1.f);
  EXPECT_EQ(fastExp(-88.f), 0.f);
  EXPECT_EQ(fastExp(-INFINITY), 0.f);
  EXPECT_TRUE(std::isnan(fastExp(NAN)));
}

TEST(Softmax, EachAxis) {
  Fixture f;
  Shape s{2, 3, 4, 5};
  std::vector<float> x = globalTensor(s, 7), y(x.size());
  for (float &v : x)
    v *= 20.f; // large logits: the max subtraction must keep exp finite
  for (int axis = 0; axis < 4; ++axis) {
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(axis).attr(0);
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_softmax(f.ctx.get(), p.data(), buffers);
    std::vector<float> logY(x.size());
    Params logP;
    logP.tensor(wholeDims(s)).tensor(wholeDims(s)).attr(axis).attr(1);
    void *logBuffers[] = {x.data(), logY.data()};
    quilt_rt_softmax(f.ctx.get(), logP.data(), logBuffers);
    int64_t inner = 1;
    for (int d = axis + 1; d < 4; ++d)
      inner *= s[d];
    int64_t n = s[axis], outer = static_cast<int64_t>(x.size()) / (n * inner);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double top = -1e30, sum = 0;
        for (int64_t k = 0; k < n; ++k)
          top = std::max<double>(top, x[(o * n + k) * inner + i]);
        for (int64_t k = 0; k < n; ++k)
          sum += std::exp(x[(o * n + k) * inner + i] - top);
        for (int64_t k = 0; k < n; ++k) {
          size_t at = (o * n + k) * inner + i;
          EXPECT_NEAR(y[at], std::exp(x[at] - top) / sum, 1e-6) << "axis " << axis;
          // Log-softmax stays exact where softmax underflows to 0.
          EXPECT_NEAR(logY[at], x[at] - top - std::log(sum), 1e-4) << "axis " << axis;
        }
      }
  }
}

TEST(Transpose, Permutations) {
  Fixture f;
  Shape s{2, 3, 4, 5};
  std::vector<float> x = globalTensor(s, 3);
  for (Shape perm : {Shape{0, 2, 3, 1}, Shape{3, 2, 1, 0}, Shape{1, 0, 2, 3}, Shape{0, 1, 2, 3}}) {
    Shape ys{s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
    std::vector<float> y(x.size());
    Params p;
    p.tensor(wholeDims(s)).tensor(wholeDims(ys)).attr(4).attrs(perm);
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_transpose(f.ctx.get(), p.data(), buffers);
    // y[j0, j1, j2, j3] = x[i] with i[perm[k]] = j[k].
    Shape j(4), i(4);
    for (j[0] = 0; j[0] < ys[0]; ++j[0])
      for (j[1] = 0; j[1] < ys[1]; ++j[1])
        for (j[2] = 0; j[2] < ys[2]; ++j[2])
          for (j[3] = 0; j[3] < ys[3]; ++j[3]) {
            for (int k = 0; k < 4; ++k)
              i[perm[k]] = j[k];
            int64_t xi = ((i[0] * s[1] + i[1]) * s[2] + i[2]) * s[3] + i[3];
            int64_t yi = ((j[0] * ys[1] + j[1]) * ys[2] + j[2]) * ys[3] + j[3];
            ASSERT_EQ(y[yi], x[xi]) << shapeString(perm);
          }
  }
}

TEST(Pad, ConstantOnWholeTensors) {
  Fixture f;
  Shape s{2, 3, 4}, lo{0, 1, 2}, hi{1, 0, 3};
  Shape ys{s[0] + lo[0] + hi[0], s[1] + lo[1] + hi[1], s[2] + lo[2] + hi[2]};
  std::vector<float> x = globalTensor(s, 5), y(ys[0] * ys[1] * ys[2]);
  Params p;
  p.tensor(wholeDims(s)).tensor(wholeDims(ys)).attr(3).attrs(lo).attrDouble(-7.5)
      .attr(QUILT_BOUNDARY_ZERO);
  void *buffers[] = {x.data(), y.data()};
  quilt_rt_pad(f.ctx.get(), p.data(), buffers);
  for (int64_t a = 0; a < ys[0]; ++a)
    for (int64_t b = 0; b < ys[1]; ++b)
      for (int64_t c = 0; c < ys[2]; ++c) {
        int64_t i = a - lo[0], j = b - lo[1], k = c - lo[2];
        bool inside = i >= 0 && i < s[0] && j >= 0 && j < s[1] && k >= 0 && k < s[2];
        float expect = inside ? x[(i * s[1] + j) * s[2] + k] : -7.5f;
        ASSERT_EQ(y[(a * ys[1] + b) * ys[2] + c], expect);
      }
}

TEST(Moments, MergeEqualsWholeSetEvenWithALargeOffset) {
  // Values near 1e4 with spread ~1: summing squares in float would lose the variance.
  std::vector<double> values;
  for (int i = 0; i < 50; ++i)
    values.push_back(1e4 + std::sin(0.7 * i));
  auto stats = [](const std::vector<double> &v, size_t begin, size_t end) {
    double mean = 0, m2 = 0;
    for (size_t i = begin; i < end; ++i)
      mean += v[i];
    mean /= double(end - begin);
    for (size_t i = begin; i < end; ++i)
      m2 += (v[i] - mean) * (v[i] - mean);
    return std::vector<float>{float(end - begin), float(mean), float(m2)};
  };
  std::vector<float> whole = stats(values, 0, 50), merged = stats(values, 0, 17);
  std::vector<float> rest = stats(values, 17, 50), empty{0, 0, 0};
  mergeMoments(merged.data(), rest.data());
  mergeMoments(merged.data(), empty.data());
  EXPECT_EQ(merged[0], 50);
  EXPECT_NEAR(merged[1], whole[1], 1e-3);
  EXPECT_NEAR(merged[2] / whole[2], 1.0, 1e-4);
  std::vector<float> fromEmpty{0, 0, 0};
  mergeMoments(fromEmpty.data(), whole.data());
  EXPECT_EQ(fromEmpty, whole);
}

TEST(Normalize, GroupNormMatchesDirectFormula) {
  Fixture f;
  Shape s{2, 6, 3, 4}, ms{2, 3, 3};
  const int64_t groups = 3, per = 6 / groups * 3 * 4;
  std::vector<float> x = globalTensor(s, 3), m(numElements(ms)), y(x.size());
  for (float &v : x)
    v = 100.f + 0.01f * v; // a large mean next to a small spread
  std::vector<float> scale{1.5f, -2.f, 0.5f}, bias{0.25f, 1.f, -3.f};
  Params pm;
  pm.tensor(wholeDims(s)).tensor(wholeDims(ms)).attr(1).attr(groups);
  void *mb[] = {x.data(), m.data()};
  quilt_rt_moments(f.ctx.get(), pm.data(), mb);
  Params pn;
  pn.tensor(wholeDims(s)).tensor(wholeDims(ms)).tensor(wholeDims({groups}))
      .tensor(wholeDims({groups})).tensor(wholeDims(s)).attr(1).attr(groups).attrDouble(1e-5).attr(1);
  void *nb[] = {x.data(), m.data(), scale.data(), bias.data(), y.data()};
  quilt_rt_normalize(f.ctx.get(), pn.data(), nb);
  for (int64_t row = 0; row < 2 * groups; ++row) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < per; ++i)
      mean += x[row * per + i];
    mean /= per;
    for (int64_t i = 0; i < per; ++i)
      var += (x[row * per + i] - mean) * (x[row * per + i] - mean);
    var /= per;
    for (int64_t i = 0; i < per; ++i) {
      double expect = (x[row * per + i] - mean) / std::sqrt(var + 1e-5) * scale[row % groups] +
                      bias[row % groups];
      ASSERT_NEAR(y[row * per + i], expect, 2e-3 * (1 + std::abs(expect))) << "row " << row;
    }
  }
}

TEST(Normalize, LayerNormScalesEachPosition) {
  Fixture f;
  Shape s{3, 2, 5}, ms{3, 1, 3}, as{2, 5};
  std::vector<float> x = globalTensor(s, 9), m(numElements(ms)), y(x.size());
  std::vector<float> scale = globalTensor(as, 4), bias = globalTensor(as, 5);
  Params pm;
  pm.tensor(wholeDims(s)).tensor(wholeDims(ms)).attr(1).attr(1);
  void *mb[] = {x.data(), m.data()};
  quilt_rt_moments(f.ctx.get(), pm.data(), mb);
  Params pn;
  pn.tensor(wholeDims(s)).tensor(wholeDims(ms)).tensor(wholeDims(as)).tensor(wholeDims(as))
      .tensor(wholeDims(s)).attr(1).attr(1).attrDouble(1e-5).attr(0);
  void *nb[] = {x.data(), m.data(), scale.data(), bias.data(), y.data()};
  quilt_rt_normalize(f.ctx.get(), pn.data(), nb);
  for (int64_t row = 0; row < 3; ++row) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < 10; ++i)
      mean += x[row * 10 + i] / 10.0;
    for (int64_t i = 0; i < 10; ++i)
      var += (x[row * 10 + i] - mean) * (x[row * 10 + i] - mean) / 10.0;
    for (int64_t i = 0; i < 10; ++i)
      ASSERT_NEAR(y[row * 10 + i],
                  (x[row * 10 + i] - mean) / std::sqrt(var + 1e-5) * scale[i] + bias[i], 1e-4);
  }
}

TEST(Pad, PeriodicReflectEdgeOnWholeTensors) {
  Fixture f;
  const int64_t n = 4, lo = 5, hi = 3, m = n + lo + hi;
  std::vector<float> x{1.f, 2.f, 3.f, 4.f}, y(m);
  // Expected sources of every output position, per mode.
  const int64_t periodic[] = {3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2};
  const int64_t reflect[] = {1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0};
  const int64_t edge[] = {0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3};
  for (auto [mode, expect] : {std::pair{int64_t(QUILT_BOUNDARY_PERIODIC), periodic},
                              std::pair{int64_t(QUILT_BOUNDARY_REFLECT), reflect},
                              std::pair{int64_t(QUILT_BOUNDARY_EDGE), edge}}) {
    Params p;
    p.tensor(wholeDims({n})).tensor(wholeDims({m})).attr(1).attr(lo).attrDouble(0).attr(mode);
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_pad(f.ctx.get(), p.data(), buffers);
    for (int64_t o = 0; o < m; ++o)
      ASSERT_EQ(y[o], x[expect[o]]) << "mode " << mode << " position " << o;
  }
}

TEST(Slice, StridedOnWholeTensors) {
  Fixture f;
  Shape s{3, 10}, ys{2, 3};
  std::vector<float> x = globalTensor(s, 2), y(6);
  Params p;
  p.tensor(wholeDims(s)).tensor(wholeDims(ys)).attr(2).attrs({1, 2}).attrs({1, 3});
  void *buffers[] = {x.data(), y.data()};
  quilt_rt_slice(f.ctx.get(), p.data(), buffers);
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t b = 0; b < 3; ++b)
      ASSERT_EQ(y[a * 3 + b], x[(1 + a) * 10 + 2 + 3 * b]);
}

TEST(Einsum, PermutedBatchedContraction) {
  Fixture f;
  // "kbq,bkd->dbq" style: letters in scrambled orders on every operand.
  Shape as{4, 2, 3}, bs{2, 4, 5}, ys{5, 2, 3};
  std::vector<float> a = globalTensor(as, 1), b = globalTensor(bs, 2), y(numElements(ys));
  Params p;
  p.tensor(wholeDims(as)).tensor(wholeDims(bs)).tensor(wholeDims(ys));
  p.attr(3).attrs({10, 1, 16}).attr(3).attrs({1, 10, 3}).attr(3).attrs({3, 1, 16});
  void *buffers[] = {a.data(), b.data(), y.data()};
  quilt_rt_einsum(f.ctx.get(), p.data(), buffers);
  for (int64_t d = 0; d < 5; ++d)
    for (int64_t bb = 0; bb < 2; ++bb)
      for (int64_t q = 0; q < 3; ++q) {
        double expect = 0;
        for (int64_t k = 0; k < 4; ++k)
          expect += a[(k * 2 + bb) * 3 + q] * b[(bb * 4 + k) * 5 + d];
        ASSERT_NEAR(y[(d * 2 + bb) * 3 + q], expect, 1e-5) << d << " " << bb << " " << q;
      }
}

TEST(Attention, MatchesSoftmaxOfScores) {
  Fixture f;
  Shape qs{2, 3, 4}, ks{2, 5, 4}, vs{2, 5, 6}, ys{2, 3, 6};
  std::vector<float> q = globalTensor(qs, 3), k = globalTensor(ks, 4), v = globalTensor(vs, 5),
                     y(numElements(ys));
  for (float &x : q)
    x *= 4.f; // sharp softmax: the running max matters
  Params p;
  p.tensor(wholeDims(qs)).tensor(wholeDims(ks)).tensor(wholeDims(vs)).tensor(wholeDims(ys));
  p.attr(1); // token_dims
  void *buffers[] = {q.data(), k.data(), v.data(), y.data()};
  quilt_rt_attention(f.ctx.get(), p.data(), buffers);
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 3; ++i) {
      std::vector<double> s(5);
      double top = -1e30, sum = 0;
      for (int64_t j = 0; j < 5; ++j) {
        for (int64_t d = 0; d < 4; ++d)
          s[j] += q[(b * 3 + i) * 4 + d] * k[(b * 5 + j) * 4 + d];
        top = std::max(top, s[j]);
      }
      for (double &x : s)
        sum += (x = std::exp(x - top));
      for (int64_t c = 0; c < 6; ++c) {
        double expect = 0;
        for (int64_t j = 0; j < 5; ++j)
          expect += s[j] / sum * v[(b * 5 + j) * 6 + c];
        ASSERT_NEAR(y[(b * 3 + i) * 6 + c], expect, 1e-5);
      }
    }
}

// A grid of tokens (token_dims = 2) is attention over its row-major
// flattening: the same buffers read as [b, T, d] give the same result.
TEST(Attention, TokenGridIsTheFlattenedGrid) {
  Fixture f;
  Shape qGrid{2, 3, 2, 4}, kGrid{2, 2, 3, 4}, vGrid{2, 2, 3, 5}, yGrid{2, 3, 2, 5};
  Shape qFlat{2, 6, 4}, kFlat{2, 6, 4}, vFlat{2, 6, 5}, yFlat{2, 6, 5};
  std::vector<float> q = globalTensor(qGrid, 6), k = globalTensor(kGrid, 7),
                     v = globalTensor(vGrid, 8), grid(numElements(yGrid)), flat(numElements(yFlat));
  Params pg, pf;
  pg.tensor(wholeDims(qGrid)).tensor(wholeDims(kGrid)).tensor(wholeDims(vGrid));
  pg.tensor(wholeDims(yGrid)).attr(2);
  pf.tensor(wholeDims(qFlat)).tensor(wholeDims(kFlat)).tensor(wholeDims(vFlat));
  pf.tensor(wholeDims(yFlat)).attr(1);
  void *gridBuffers[] = {q.data(), k.data(), v.data(), grid.data()};
  void *flatBuffers[] = {q.data(), k.data(), v.data(), flat.data()};
  quilt_rt_attention(f.ctx.get(), pg.data(), gridBuffers);
  quilt_rt_attention(f.ctx.get(), pf.data(), flatBuffers);
  for (size_t i = 0; i < flat.size(); ++i)
    ASSERT_EQ(grid[i], flat[i]) << i;
  // Not trivially equal: every output differs from the value rows it averages.
  EXPECT_NE(grid[0], v[0]);
}

// Prefix keys and values (a class token's) are more keys: attending to k
// with prefix pk equals attending to the concatenation [pk; k].
TEST(Attention, PrefixKeysAreMoreKeys) {
  Fixture f;
  Shape qs{2, 3, 4}, ks{2, 5, 4}, vs{2, 5, 6}, pks{2, 2, 4}, pvs{2, 2, 6}, ys{2, 3, 6};
  Shape allK{2, 7, 4}, allV{2, 7, 6};
  std::vector<float> q = globalTensor(qs, 11), k = globalTensor(ks, 12), v = globalTensor(vs, 13),
                     pk = globalTensor(pks, 14), pv = globalTensor(pvs, 15);
  for (float &x : q)
    x *= 4.f;
  std::vector<float> catK, catV;
  for (int64_t b = 0; b < 2; ++b) {
    catK.insert(catK.end(), pk.begin() + b * 8, pk.begin() + (b + 1) * 8);
    catK.insert(catK.end(), k.begin() + b * 20, k.begin() + (b + 1) * 20);
    catV.insert(catV.end(), pv.begin() + b * 12, pv.begin() + (b + 1) * 12);
    catV.insert(catV.end(), v.begin() + b * 30, v.begin() + (b + 1) * 30);
  }
  std::vector<float> withPrefix(numElements(ys)), concatenated(numElements(ys));
  Params pp, pc;
  pp.tensor(wholeDims(qs)).tensor(wholeDims(ks)).tensor(wholeDims(vs)).tensor(wholeDims(pks));
  pp.tensor(wholeDims(pvs)).tensor(wholeDims(ys)).attr(1);
  pc.tensor(wholeDims(qs)).tensor(wholeDims(allK)).tensor(wholeDims(allV));
  pc.tensor(wholeDims(ys)).attr(1);
  void *prefixBuffers[] = {q.data(), k.data(), v.data(), pk.data(), pv.data(), withPrefix.data()};
  void *catBuffers[] = {q.data(), catK.data(), catV.data(), concatenated.data()};
  quilt_rt_attention(f.ctx.get(), pp.data(), prefixBuffers);
  quilt_rt_attention(f.ctx.get(), pc.data(), catBuffers);
  for (size_t i = 0; i < concatenated.size(); ++i)
    ASSERT_NEAR(withPrefix[i], concatenated[i], 1e-5) << i;
}

// A bias [b, Tq_1, Tq_2, Tk_1, Tk_2] (broadcast over the batch: Swin's
// relative position bias over windows) is added to the scores of the grids
// before the softmax: checked against the softmax of q k^T + bias computed
// here on the flattened grids.
TEST(Attention, BiasIsAddedToTheScores) {
  Fixture f;
  Shape qs{2, 2, 3, 4}, ks{2, 3, 2, 4}, vs{2, 3, 2, 5}, ys{2, 2, 3, 5}, bs{1, 2, 3, 3, 2};
  std::vector<float> q = globalTensor(qs, 21), k = globalTensor(ks, 22), v = globalTensor(vs, 23),
                     bias = globalTensor(bs, 24), y(numElements(ys));
  for (float &x : bias)
    x *= 8.f; // large next to the scores: a missed or misplaced bias shows
  Params p;
  p.tensor(wholeDims(qs)).tensor(wholeDims(ks)).tensor(wholeDims(vs)).tensor(wholeDims(bs));
  p.tensor(wholeDims(ys)).attr(2);
  void *buffers[] = {q.data(), k.data(), v.data(), bias.data(), y.data()};
  quilt_rt_attention(f.ctx.get(), p.data(), buffers);
  const int64_t tq = 6, tk = 6, d = 4, dv = 5;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < tq; ++i) {
      std::vector<double> s(tk);
      double top = -1e30, sum = 0;
      for (int64_t j = 0; j < tk; ++j) {
        for (int64_t c = 0; c < d; ++c)
          s[j] += q[(b * tq + i) * d + c] * k[(b * tk + j) * d + c];
        s[j] += bias[i * tk + j];
        top = std::max(top, s[j]);
      }
      for (double &x : s)
        sum += (x = std::exp(x - top));
      for (int64_t c = 0; c < dv; ++c) {
        double expect = 0;
        for (int64_t j = 0; j < tk; ++j)
          expect += s[j] / sum * v[(b * tk + j) * dv + c];
        ASSERT_NEAR(y[(b * tq + i) * dv + c], expect, 1e-5) << b << " " << i << " " << c;
      }
    }
}

} // namespace
} // namespace quilt::test
