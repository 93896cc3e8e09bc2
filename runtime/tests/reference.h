// Naive reference implementations over global tensors: the obviously-right
// loops the runtime's kernels are checked against.
#ifndef QUILT_RUNTIME_REFERENCE_H
#define QUILT_RUNTIME_REFERENCE_H

#include "test_support.h"

#include <limits>

namespace quilt::test {

struct WindowSpec {
  Shape kernel, strides, dilations, padsLo, padsHi;
  size_t spatial() const { return kernel.size(); }
  Shape outShape(const Shape &x, int64_t channels) const {
    Shape y{x[0], channels};
    for (size_t i = 0; i < spatial(); ++i)
      y.push_back(windowOut(x[2 + i], kernel[i], strides[i], dilations[i], padsLo[i], padsHi[i]));
    return y;
  }
};

/// y[n, oc, o...] = b[oc] + sum over c in oc's group, taps j: x[n, c, o*s - lo + j*d] w[oc, c', j]
inline std::vector<float> refConv(const std::vector<float> &x, const Shape &xs,
                                  const std::vector<float> &w, const Shape &ws,
                                  const std::vector<float> *b, const WindowSpec &win,
                                  int64_t group, Shape &ys) {
  ys = win.outShape(xs, ws[0]);
  std::vector<float> y(numElements(ys));
  int64_t icPerGroup = ws[1], ocPerGroup = ws[0] / group;
  Shape taps(ws.begin() + 2, ws.end());
  forEachIndex(ys, [&](const Shape &o) {
    double acc = b ? (*b)[o[1]] : 0.0;
    int64_t g = o[1] / ocPerGroup;
    for (int64_t ci = 0; ci < icPerGroup; ++ci) {
      forEachIndex(taps, [&](const Shape &j) {
        Shape xi{o[0], g * icPerGroup + ci};
        for (size_t i = 0; i < taps.size(); ++i) {
          int64_t p = o[2 + i] * win.strides[i] - win.padsLo[i] + j[i] * win.dilations[i];
          if (p < 0 || p >= xs[2 + i])
            return;
          xi.push_back(p);
        }
        Shape wi{o[1], ci};
        wi.insert(wi.end(), j.begin(), j.end());
        acc += double(x[linearIndex(xs, xi)]) * w[linearIndex(ws, wi)];
      });
    }
    y[linearIndex(ys, o)] = static_cast<float>(acc);
  });
  return y;
}

/// Max ignores padding; avg divides by the kernel size with count_include_pad,
/// else by the number of non-padding taps.
inline std::vector<float> refPool(const std::vector<float> &x, const Shape &xs, bool isMax,
                                  bool countIncludePad, const WindowSpec &win, Shape &ys) {
  ys = win.outShape(xs, xs[1]);
  std::vector<float> y(numElements(ys));
  forEachIndex(ys, [&](const Shape &o) {
    double sum = 0;
    float mx = -std::numeric_limits<float>::infinity();
    int64_t count = 0;
    forEachIndex(win.kernel, [&](const Shape &j) {
      Shape xi{o[0], o[1]};
      for (size_t i = 0; i < win.spatial(); ++i) {
        int64_t p = o[2 + i] * win.strides[i] - win.padsLo[i] + j[i] * win.dilations[i];
        if (p < 0 || p >= xs[2 + i])
          return;
        xi.push_back(p);
      }
      float v = x[linearIndex(xs, xi)];
      mx = std::max(mx, v);
      sum += v;
      ++count;
    });
    float avg = static_cast<float>(countIncludePad ? sum / numElements(win.kernel)
                                                   : (count ? sum / count : 0.0));
    y[linearIndex(ys, o)] = isMax ? mx : avg;
  });
  return y;
}

inline std::vector<float> refGemm(const std::vector<float> &a, const Shape &as, bool transA,
                                  const std::vector<float> &b, const Shape &bs, bool transB,
                                  const std::vector<float> *c, const Shape &cs, double alpha,
                                  double beta, Shape &ys) {
  int64_t m = transA ? as[1] : as[0], k = transA ? as[0] : as[1];
  int64_t n = transB ? bs[0] : bs[1];
  ys = {m, n};
  std::vector<float> y(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t l = 0; l < k; ++l)
        acc += double(transA ? a[l * m + i] : a[i * k + l]) * (transB ? b[j * k + l] : b[l * n + j]);
      double cv = 0;
      if (c) {
        // c right-aligned to [m, n], size-1 dims broadcast
        Shape c2(2 - cs.size(), 1);
        c2.insert(c2.end(), cs.begin(), cs.end());
        cv = (*c)[(c2[0] == 1 ? 0 : i) * c2[1] + (c2[1] == 1 ? 0 : j)];
      }
      y[i * n + j] = static_cast<float>(alpha * acc + beta * cv);
    }
  return y;
}

/// u mod v with the divisor's sign (Python's %): the C remainder, moved by
/// v when it has the other sign.
inline float floorMod(float u, float v) {
  float r = std::fmod(u, v);
  return r != 0 && ((r < 0) != (v < 0)) ? r + v : r;
}

inline std::vector<float> refBinary(const std::vector<float> &a, const Shape &as,
                                    const std::vector<float> &b, const Shape &bs, int kind,
                                    Shape &ys) {
  ys.clear();
  for (size_t i = 0; i < as.size(); ++i)
    ys.push_back(std::max(as[i], bs[i]));
  std::vector<float> y(numElements(ys));
  forEachIndex(ys, [&](const Shape &i) {
    Shape ia(i), ib(i);
    for (size_t d = 0; d < i.size(); ++d) {
      if (as[d] == 1)
        ia[d] = 0;
      if (bs[d] == 1)
        ib[d] = 0;
    }
    float u = a[linearIndex(as, ia)], v = b[linearIndex(bs, ib)];
    float r = kind == 0   ? u + v
              : kind == 1 ? u - v
              : kind == 2 ? u * v
              : kind == 3 ? u / v
              : kind == 4 ? std::pow(u, v)
              : kind == 5 ? std::max(u, v)
              : kind == 6 ? std::min(u, v)
              : kind == 7 ? float(u < v)
              : kind == 8 ? float(u <= v)
              : kind == 9 ? float(u > v)
              : kind == 10 ? float(u >= v)
              : kind == 11 ? float(u == v)
              : kind == 12 ? (u < 0 ? v * u : u)        // PRelu
              : kind == 13 ? floorMod(u, v)             // Mod: the divisor's sign
                           : std::fmod(u, v);           // 14: Fmod
    y[linearIndex(ys, i)] = r;
  });
  return y;
}

/// kind 0 sum, 1 mean (over the reduced count), 2 max.
inline std::vector<float> refReduce(const std::vector<float> &x, const Shape &xs,
                                    const Shape &dims, int kind, Shape &ys) {
  ys = xs;
  int64_t count = 1;
  for (int64_t d : dims) {
    ys[d] = 1;
    count *= xs[d];
  }
  // Kinds: 0 sum, 1 mean, 2 max, 4 prod.
  std::vector<double> acc(numElements(ys), kind == 2   ? -std::numeric_limits<double>::infinity()
                                           : kind == 4 ? 1.0
                                                       : 0.0);
  forEachIndex(xs, [&](const Shape &i) {
    Shape o(i);
    for (int64_t d : dims)
      o[d] = 0;
    double &a = acc[linearIndex(ys, o)];
    double v = x[linearIndex(xs, i)];
    a = kind == 2 ? std::max(a, v) : kind == 4 ? a * v : a + v;
  });
  std::vector<float> y;
  for (double a : acc)
    y.push_back(static_cast<float>(kind == 1 ? a / count : a));
  return y;
}

} // namespace quilt::test

#endif // QUILT_RUNTIME_REFERENCE_H
