// Helpers shared by the runtime tests: params builders, deterministic global
// tensors, and cutting a rank's local (possibly halo'd) part out of a global
// tensor the way the runtime should have produced it.
#ifndef QUILT_RUNTIME_TEST_SUPPORT_H
#define QUILT_RUNTIME_TEST_SUPPORT_H

#include "communicator.h"
#include "context.h"
#include "error.h"
#include "layout.h"
#include "libraries/blas.h"
#include "libraries/dnn.h"
#include "quilt/partition_math.h"
#include "quilt/runtime.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

namespace quilt::test {

using Shape = std::vector<int64_t>;

inline int64_t numElements(const Shape &s) {
  int64_t n = 1;
  for (int64_t e : s)
    n *= e;
  return n;
}

/// Calls fn(index) for every multi-index of `shape`, row-major.
inline void forEachIndex(const Shape &shape, const std::function<void(const Shape &)> &fn) {
  if (numElements(shape) == 0)
    return;
  Shape index(shape.size(), 0);
  while (true) {
    fn(index);
    int d = static_cast<int>(shape.size()) - 1;
    for (; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
    if (d < 0)
      return;
  }
}

inline int64_t linearIndex(const Shape &shape, const Shape &index) {
  int64_t at = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    at = at * shape[i] + index[i];
  return at;
}

/// A value every rank can compute for any global element without talking.
inline float valueAt(int64_t i, int64_t seed) {
  return static_cast<float>(std::sin(0.37 * i + 1.3 * seed) + 0.001 * (i % 97));
}

inline std::vector<float> globalTensor(const Shape &shape, int64_t seed) {
  std::vector<float> t(numElements(shape));
  for (int64_t i = 0; i < static_cast<int64_t>(t.size()); ++i)
    t[i] = valueAt(i, seed);
  return t;
}

/// One dim of a layout, as the compiler would encode it.
struct Dim {
  int64_t size = 0;
  int64_t axis = -1;
  Window window{0, 1, 1, 0};
  int64_t globalOut = 0;
  int64_t boundary = QUILT_BOUNDARY_ZERO;
  int64_t granule = 1;
  /// Further mesh axes splitting the dim in nested blocks (-1: none).
  int64_t minor[2] = {-1, -1};
};

inline Dim whole(int64_t n) { return Dim{n}; }
/// Every dim whole (a tensor on one rank).
inline std::vector<Dim> wholeDims(const Shape &shape) {
  std::vector<Dim> dims;
  for (int64_t e : shape)
    dims.push_back(whole(e));
  return dims;
}
inline Dim split(int64_t n, int64_t axis) { return Dim{n, axis}; }
/// A dim split over `axes` (1 to 3, major first) in nested plain blocks.
inline Dim nested(int64_t n, const std::vector<int64_t> &axes) {
  Dim d{n, axes.empty() ? -1 : axes[0]};
  for (size_t i = 1; i < axes.size() && i < 3; ++i)
    d.minor[i - 1] = axes[i];
  return d;
}
inline Dim halo(int64_t n, int64_t axis, Window w, int64_t globalOut,
                int64_t boundary = QUILT_BOUNDARY_ZERO) {
  return Dim{n, axis, w, globalOut, boundary};
}

/// Output size of a window over a dim of `n` padded by lo and hi.
inline int64_t windowOut(int64_t n, int64_t k, int64_t s, int64_t d, int64_t lo, int64_t hi) {
  return (n + lo + hi - ((k - 1) * d + 1)) / s + 1;
}

class Params {
public:
  Params &tensor(const std::vector<Dim> &dims) {
    ++tensors_;
    words_.push_back(static_cast<int64_t>(dims.size()));
    for (const Dim &d : dims)
      words_.insert(words_.end(), {d.size, d.axis, d.window.stride, d.window.dilation,
                                   d.window.kernel, d.window.padLo, d.globalOut, d.boundary,
                                   static_cast<int64_t>(d.window.kind),
                                   static_cast<int64_t>(d.window.resizeCoord),
                                   static_cast<int64_t>(d.window.resizeSample), d.window.scaleNum,
                                   d.window.scaleDen, d.granule, d.minor[0], d.minor[1]});
    return *this;
  }
  Params &attr(int64_t v) {
    words_.push_back(v);
    return *this;
  }
  Params &attrDouble(double v) {
    int64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return attr(bits);
  }
  Params &attrs(const std::vector<int64_t> &vs) {
    words_.insert(words_.end(), vs.begin(), vs.end());
    return *this;
  }
  const int64_t *data() {
    words_[0] = tensors_;
    return words_.data();
  }

private:
  std::vector<int64_t> words_{0};
  int64_t tensors_ = 0;
};

/// The range a layout dim holds on the rank at `coords`.
inline Range rangeOf(const Dim &d, const Shape &mesh, const Shape &coords) {
  DimLayout l{d.size, d.axis, d.window, d.globalOut, d.boundary, d.granule};
  if (d.axis < 0)
    return Range{0, d.size};
  if (d.minor[0] < 0)
    return localRange(l, mesh[d.axis], coords[d.axis]);
  Shape parts, at; // nested plain blocks (no halo)
  for (int64_t a : {d.axis, d.minor[0], d.minor[1]})
    if (a >= 0) {
      parts.push_back(mesh[a]);
      at.push_back(coords[a]);
    }
  return nestedBlockRange(d.size, d.granule, parts.data(), at.data(), static_cast<int>(parts.size()));
}

/// The local buffer a rank at `coords` holds for a tensor of layout `dims`:
/// out-of-domain positions are 0, or wrapped on periodic dims.
inline std::vector<float> localPart(const std::vector<float> &global, const std::vector<Dim> &dims,
                                    const Shape &mesh, const Shape &coords) {
  Shape globalShape, extent, start;
  for (const Dim &d : dims) {
    Range r = rangeOf(d, mesh, coords);
    globalShape.push_back(d.size);
    extent.push_back(r.size());
    start.push_back(r.begin);
  }
  std::vector<float> local(numElements(extent), 0.f);
  forEachIndex(extent, [&](const Shape &i) {
    Shape g(i.size());
    for (size_t k = 0; k < i.size(); ++k) {
      g[k] = start[k] + i[k];
      if (dims[k].boundary == QUILT_BOUNDARY_PERIODIC)
        g[k] = ((g[k] % dims[k].size) + dims[k].size) % dims[k].size;
      if (g[k] < 0 || g[k] >= dims[k].size)
        return;
    }
    local[linearIndex(extent, i)] = global[linearIndex(globalShape, g)];
  });
  return local;
}

/// The word that ends a collective's attributes when the library runs it.
constexpr int64_t kLibrary = static_cast<int64_t>(CollectiveAlgorithm::Library);

/// A one-rank communicator, so kernels can run without MPI.
class SelfCommunicator : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int localSize() const override { return 1; }
  int localRank() const override { return 0; }
  void setMesh(const std::vector<int64_t> &) override {}
  void exchange(const std::vector<Message> &sends, const std::vector<Message> &recvs) override {
    if (!sends.empty() || !recvs.empty())
      raise("a one-rank communicator has no peers");
  }
  void allReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp,
                 AxisMask, CollectiveAlgorithm) override {
    if (send != recv)
      std::memcpy(recv, send, count * elemBytes(type));
  }
  void allGather(const void *send, size_t bytes, void *recv, const std::vector<size_t> &, int,
                 CollectiveAlgorithm) override {
    std::memcpy(recv, send, bytes);
  }
  void allToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                const std::vector<size_t> &, const AxisList &, CollectiveAlgorithm) override {
    std::memcpy(recv, send, sendBytes.empty() ? 0 : sendBytes[0]);
  }
  void reduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                     const AxisList &, CollectiveAlgorithm) override {
    std::memcpy(recv, send, (counts.empty() ? 0 : counts[0]) * sizeof(float));
  }
  void barrier() override {}
  void broadcastHost(void *, size_t, int) override {}
  uint64_t bytesSent() const override { return 0; }
  [[noreturn]] void abort(int) override { std::abort(); }
};

/// A context whose kernel errors throw, at `coords` of `mesh`.
/// The host's convolution library (the CPU backend's), one per process.
inline Dnn *hostDnn() {
  static std::shared_ptr<Dnn> dnn = createHostDnn();
  return dnn.get();
}

/// The host's dense-product library (the CPU backend's), one per process.
inline Blas *hostBlas() {
  static std::shared_ptr<Blas> blas = createHostBlas(hostDevice());
  return blas.get();
}

inline std::unique_ptr<quilt_rt_ctx> makeContext(Communicator &comm, const Shape &mesh,
                                                 const Shape &coords) {
  auto ctx = std::make_unique<quilt_rt_ctx>(comm, mesh, 0, 64);
  if (!coords.empty())
    ctx->coords = coords;
  ctx->onError = [](const std::string &m) { throw Error(m); };
  ctx->libraries.dnn = hostDnn();
  ctx->libraries.blas = hostBlas();
  return ctx;
}

/// Largest |a - b| over matching elements, or infinity if sizes differ.
inline double maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b) {
  if (a.size() != b.size())
    return INFINITY;
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::isnan(a[i]) != std::isnan(b[i]) ? INFINITY
                                                         : std::fabs(double(a[i]) - b[i]));
  return m;
}

} // namespace quilt::test

#endif // QUILT_RUNTIME_TEST_SUPPORT_H
