// Communication entry points under a real MPI job: halo exchange (uneven
// blocks, strides, dilations, asymmetric pads, halos wider than a block,
// periodic boundaries, two dims in a row), a distributed conv, the
// collectives by every algorithm that serves them, each checked against values
// computed from the global tensor; and Quilt's own collective schedules against
// the library's collectives. Convs read their weights from the mapped weights
// region and run several times.
// Runs on any number of ranks; tests use EXPECT only, so every rank reaches
// every collective even after a failure.
#include "quilt/comm_bytes.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>

namespace quilt::test {
namespace {

Communicator *gComm = nullptr;

std::vector<Shape> meshesOfWorld(int64_t world, size_t axes) {
  if (axes == 1)
    return {{world}};
  std::vector<Shape> meshes;
  for (int64_t a = 1; a <= world; ++a)
    if (world % a == 0)
      meshes.push_back({a, world / a});
  return meshes;
}

std::unique_ptr<quilt_rt_ctx> contextFor(const Shape &mesh) {
  gComm->setMesh(mesh);
  return makeContext(*gComm, mesh, {});
}

/// Runs a communication entry point and returns the bytes it recorded.
uint64_t bytesLogged(void (*entry)(quilt_rt_ctx *, const int64_t *, void **), quilt_rt_ctx &ctx,
                     const int64_t *params, void **buffers) {
  std::vector<OpTraffic> log;
  gComm->attachTrafficLog(&log);
  entry(&ctx, params, buffers);
  gComm->attachTrafficLog(nullptr);
  EXPECT_EQ(log.size(), 1u);
  return log.empty() ? 0 : log[0].bytes;
}

/// Ranks in a group of `axes` of `mesh`.
int64_t membersOf(const Shape &mesh, const AxisList &axes) {
  int64_t members = 1;
  for (int64_t a : axes)
    members *= mesh[a];
  return members;
}

struct HaloCase {
  int64_t n, k, s, d, lo, hi;
  bool periodic;
};

const std::vector<HaloCase> &haloCases() {
  static const std::vector<HaloCase> cases = {
      {10, 3, 1, 1, 1, 1, false}, // plain 3x3
      {11, 3, 2, 1, 1, 1, false}, // stride 2, uneven blocks
      {12, 3, 1, 2, 2, 2, false}, // dilation 2
      {9, 4, 1, 1, 0, 3, false},  // asymmetric pad
      {7, 7, 1, 1, 3, 3, false},  // halo wider than a neighbour's block
      {13, 5, 1, 2, 4, 4, false}, // dilated and wide
      {8, 3, 1, 1, 1, 1, true},   // periodic
      {5, 7, 1, 1, 3, 3, true},   // periodic, wider than some blocks
      {2, 3, 1, 1, 1, 1, false},  // fewer positions than ranks: empty blocks
  };
  return cases;
}

void checkHalo(const HaloCase &c, int dim, const Shape &mesh) {
  Shape shape{2, 3, 4, 5};
  shape[dim] = c.n;
  std::vector<float> global = globalTensor(shape, 11);
  int64_t out = windowOut(c.n, c.k, c.s, c.d, c.lo, c.hi);
  std::vector<Dim> xd, yd;
  for (int i = 0; i < 4; ++i) {
    xd.push_back(i == dim ? split(shape[i], 0) : whole(shape[i]));
    yd.push_back(i == dim ? halo(shape[i], 0, Window{c.s, c.d, c.k, c.lo}, out,
                                 c.periodic ? QUILT_BOUNDARY_PERIODIC : QUILT_BOUNDARY_ZERO)
                          : whole(shape[i]));
  }
  auto ctx = contextFor(mesh);
  std::vector<float> x = localPart(global, xd, mesh, ctx->coords);
  std::vector<float> expected = localPart(global, yd, mesh, ctx->coords);
  std::vector<float> y(expected.size(), -9.f);
  Params p;
  p.tensor(xd).tensor(yd).attr(dim);
  void *buffers[] = {x.data(), y.data()};
  for (int run = 0; run < 2; ++run) { // the second run reuses the cached plan
    quilt_rt_halo_exchange(ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, expected) << "n " << c.n << " k " << c.k << " s " << c.s << " d " << c.d
                           << " lo " << c.lo << " periodic " << c.periodic << " dim " << dim
                           << " rank " << gComm->rank();
  }
}

TEST(MpiHalo, OneDimAllCases) {
  for (const HaloCase &c : haloCases())
    for (int dim : {0, 2, 3}) // outermost (sent in place), middle and innermost (packed)
      checkHalo(c, dim, {gComm->size()});
}

TEST(MpiHalo, TwoDimsInARowFillCorners) {
  Shape shape{1, 2, 9, 7};
  std::vector<float> global = globalTensor(shape, 12);
  Window wh{1, 1, 3, 1}, ww{2, 1, 3, 1};
  int64_t outH = windowOut(9, 3, 1, 1, 1, 1), outW = windowOut(7, 3, 2, 1, 1, 1);
  std::vector<Dim> xd{whole(1), whole(2), split(9, 0), split(7, 1)};
  std::vector<Dim> md{whole(1), whole(2), halo(9, 0, wh, outH), split(7, 1)};
  std::vector<Dim> yd{whole(1), whole(2), halo(9, 0, wh, outH), halo(7, 1, ww, outW)};
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2)) {
    auto ctx = contextFor(mesh);
    std::vector<float> x = localPart(global, xd, mesh, ctx->coords);
    std::vector<float> m(localPart(global, md, mesh, ctx->coords).size());
    std::vector<float> expected = localPart(global, yd, mesh, ctx->coords), y(expected.size());
    Params first, second;
    first.tensor(xd).tensor(md).attr(2);
    second.tensor(md).tensor(yd).attr(3);
    void *b1[] = {x.data(), m.data()};
    void *b2[] = {m.data(), y.data()};
    quilt_rt_halo_exchange(ctx.get(), first.data(), b1);
    quilt_rt_halo_exchange(ctx.get(), second.data(), b2);
    EXPECT_EQ(y, expected) << "mesh " << shapeString(mesh) << " rank " << gComm->rank();
  }
}

TEST(MpiHalo, CountsBytesSent) {
  auto ctx = contextFor({gComm->size()});
  uint64_t before = gComm->bytesSent();
  checkHalo(haloCases()[0], 2, {gComm->size()});
  if (gComm->size() > 1)
    EXPECT_GT(gComm->bytesSent(), before);
}

/// w and b copied into one buffer that the context treats as the mapped
/// weights region, so conv takes its reorder-weights-once path.
struct WeightsRegion {
  std::vector<float> data;
  float *w, *b;
  WeightsRegion(const std::vector<float> &wv, const std::vector<float> &bv, quilt_rt_ctx &ctx)
      : data(wv) {
    data.insert(data.end(), bv.begin(), bv.end());
    w = data.data();
    b = w + wv.size();
    ctx.weights = data.data();
    ctx.weightsBytes = data.size() * sizeof(float);
  }
};

/// Halo exchange then conv on every rank, against the global reference, with
/// the weights in the mapped weights region and the model run three times.
void checkDistributedConv(const Shape &mesh) {
  Shape xs{1, 3, 13, 11}, ws{4, 3, 3, 3};
  WindowSpec win{{3, 3}, {2, 1}, {1, 2}, {1, 2}, {1, 2}};
  std::vector<float> x = globalTensor(xs, 1), w = globalTensor(ws, 2), b = globalTensor({4}, 3);
  Shape ys;
  std::vector<float> ref = refConv(x, xs, w, ws, &b, win, 1, ys);
  Window wh{2, 1, 3, 1}, ww{1, 2, 3, 2};
  std::vector<Dim> xd{whole(1), whole(3), split(13, 0), split(11, 1)};
  std::vector<Dim> md{whole(1), whole(3), halo(13, 0, wh, ys[2]), split(11, 1)};
  std::vector<Dim> hd{whole(1), whole(3), halo(13, 0, wh, ys[2]), halo(11, 1, ww, ys[3])};
  std::vector<Dim> yd{whole(1), whole(4), split(ys[2], 0), split(ys[3], 1)};
  auto ctx = contextFor(mesh);
  WeightsRegion region(w, b, *ctx);
  std::vector<float> xl = localPart(x, xd, mesh, ctx->coords);
  std::vector<float> m(localPart(x, md, mesh, ctx->coords).size());
  std::vector<float> h(localPart(x, hd, mesh, ctx->coords).size());
  std::vector<float> expected = localPart(ref, yd, mesh, ctx->coords), y(expected.size());
  Params p1, p2, pc;
  p1.tensor(xd).tensor(md).attr(2);
  p2.tensor(md).tensor(hd).attr(3);
  pc.tensor(hd).tensor({whole(4), whole(3), whole(3), whole(3)}).tensor({whole(4)}).tensor(yd);
  pc.attrs({1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 2, QUILT_ACTIVATION_NONE, 0});
  void *b1[] = {xl.data(), m.data()};
  void *b2[] = {m.data(), h.data()};
  void *bc[] = {h.data(), region.w, region.b, y.data()};
  for (int iteration = 0; iteration < 3; ++iteration) {
    std::fill(y.begin(), y.end(), -5.f);
    quilt_rt_halo_exchange(ctx.get(), p1.data(), b1);
    quilt_rt_halo_exchange(ctx.get(), p2.data(), b2);
    quilt_rt_conv(ctx.get(), pc.data(), bc);
    EXPECT_LT(maxAbsDiff(y, expected), 1e-4)
        << "mesh " << shapeString(mesh) << " iteration " << iteration;
  }
}

TEST(MpiConv, HaloThenConvMatchesGlobal) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    checkDistributedConv(mesh);
}

/// A model whose only op is a multi-channel conv after a halo exchange on H
/// (x [1, 2, 5, 4] split on H, halo window of the conv's kernel), weights in
/// the mapped region: the 1x1 case needs no neighbour data at all, yet its
/// input carries a window, so it runs the halo path of conv on every rank.
void checkHaloThenMultiChannelConv(int64_t k, int64_t pad) {
  Shape xs{1, 2, 5, 4}, ws{3, 2, k, k};
  WindowSpec win{{k, k}, {1, 1}, {1, 1}, {pad, pad}, {pad, pad}};
  std::vector<float> x = globalTensor(xs, 6), w = globalTensor(ws, 7);
  Shape ys;
  std::vector<float> ref = refConv(x, xs, w, ws, nullptr, win, 1, ys);
  Shape mesh{gComm->size()};
  std::vector<Dim> xd{whole(1), whole(2), split(5, 0), whole(4)};
  std::vector<Dim> hd{whole(1), whole(2), halo(5, 0, Window{1, 1, k, pad}, ys[2]), whole(4)};
  std::vector<Dim> yd{whole(1), whole(3), split(ys[2], 0), whole(ys[3])};
  auto ctx = contextFor(mesh);
  WeightsRegion region(w, {}, *ctx);
  std::vector<float> xl = localPart(x, xd, mesh, ctx->coords);
  std::vector<float> h(localPart(x, hd, mesh, ctx->coords).size(), -3.f);
  std::vector<float> expected = localPart(ref, yd, mesh, ctx->coords), y(expected.size());
  Params ph, pc;
  ph.tensor(xd).tensor(hd).attr(2);
  pc.tensor(hd).tensor({whole(3), whole(2), whole(k), whole(k)}).tensor(yd);
  pc.attrs({0, 2, 1, 1, 1, 1, 1, pad, pad, pad, pad, QUILT_ACTIVATION_NONE, 0});
  void *bh[] = {xl.data(), h.data()};
  void *bc[] = {h.data(), region.w, y.data()};
  for (int iteration = 0; iteration < 3; ++iteration) {
    std::fill(y.begin(), y.end(), -5.f);
    quilt_rt_halo_exchange(ctx.get(), ph.data(), bh);
    quilt_rt_conv(ctx.get(), pc.data(), bc);
    EXPECT_LT(maxAbsDiff(y, expected), 1e-4)
        << "kernel " << k << " rank " << gComm->rank() << " iteration " << iteration;
  }
}

TEST(MpiConv, HaloThenMultiChannelConvWithMappedWeights) {
  checkHaloThenMultiChannelConv(1, 0);
  checkHaloThenMultiChannelConv(3, 1);
}

/// Rank-dependent partial values: element i on the rank at `coords`.
float partialValue(const Shape &coords, int64_t i) {
  return static_cast<float>(coords[0] * 10 + coords[1] * 3 + 0.5 * i - (i % 3) * coords[0]);
}

void checkAllReduce(const Shape &mesh, AxisMask axes, int64_t kind) {
  auto ctx = contextFor(mesh);
  Shape shape{2, 5};
  std::vector<float> x(10), y(10), expected(10);
  for (int64_t i = 0; i < 10; ++i)
    x[i] = partialValue(ctx->coords, i);
  for (int64_t i = 0; i < 10; ++i) {
    bool first = true;
    forEachIndex(mesh, [&](const Shape &c) {
      for (size_t a = 0; a < mesh.size(); ++a)
        if (!(axes & (1u << a)) && c[a] != ctx->coords[a])
          return; // not in this rank's group
      float v = partialValue(c, i);
      expected[i] = first                       ? v
                    : kind == QUILT_REDUCE_SUM  ? expected[i] + v
                    : kind == QUILT_REDUCE_PROD ? expected[i] * v
                                                : std::max(expected[i], v);
      first = false;
    });
  }
  Shape axisList;
  for (int a = 0; a < 2; ++a)
    if (axes & (1u << a))
      axisList.push_back(a);
  for (CollectiveAlgorithm algorithm :
       collectiveAlgorithmsServing(CollectiveKind::AllReduce, membersOf(mesh, axisList))) {
    Params p;
    p.tensor({whole(2), whole(5)}).tensor({whole(2), whole(5)}).attr(kind);
    p.attr(static_cast<int64_t>(axisList.size())).attrs(axisList);
    p.attr(static_cast<int64_t>(algorithm));
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_all_reduce(ctx.get(), p.data(), buffers);
    std::string what = "mesh " + shapeString(mesh) + " axes " + std::to_string(axes) + " kind " +
                       std::to_string(kind) + " " + collectiveAlgorithmName(algorithm);
    if (kind == QUILT_REDUCE_PROD) { // products in another order may round differently
      for (int64_t i = 0; i < 10; ++i)
        EXPECT_NEAR(y[i], expected[i], 1e-6 * std::fabs(expected[i])) << what;
      continue;
    }
    EXPECT_EQ(y, expected) << what;
  }
}

TEST(MpiCollectives, AllReduceOverAxisGroups) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (AxisMask axes : {1u, 2u, 3u})
      for (int64_t kind : {QUILT_REDUCE_SUM, QUILT_REDUCE_MAX, QUILT_REDUCE_PROD})
        checkAllReduce(mesh, axes, kind);
}

void checkAllGather(const Shape &mesh, int dim, int64_t axis, int64_t n) {
  Shape shape{3, 4, 2};
  shape[dim] = n;
  std::vector<float> global = globalTensor(shape, 21);
  std::vector<Dim> xd{whole(shape[0]), whole(shape[1]), whole(shape[2])};
  xd[dim] = split(n, axis);
  std::vector<Dim> yd{whole(shape[0]), whole(shape[1]), whole(shape[2])};
  auto ctx = contextFor(mesh);
  std::vector<float> x = localPart(global, xd, mesh, ctx->coords);
  for (CollectiveAlgorithm algorithm : collectiveAlgorithmsServing(CollectiveKind::AllGather, mesh[axis])) {
    std::vector<float> y(global.size(), NAN);
    Params p;
    p.tensor(xd).tensor(yd).attr(dim).attr(axis).attr(static_cast<int64_t>(algorithm));
    void *buffers[] = {x.data(), y.data()};
    quilt_rt_all_gather(ctx.get(), p.data(), buffers);
    EXPECT_EQ(y, global) << "mesh " << shapeString(mesh) << " dim " << dim << " n " << n << " "
                         << collectiveAlgorithmName(algorithm);
  }
}

TEST(MpiCollectives, AllGatherUnevenBlocks) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (int dim : {0, 1, 2})
      for (int64_t axis : {0, 1})
        for (int64_t n : {7, 2, 1})
          checkAllGather(mesh, dim, axis, n);
}

/// quilt_rt_all_to_all moves `moving` from dim `from` (split by `stay`
/// then `moving`) to dim `to` (split by `before`, then `before` + `moving`);
/// mesh axis `batchAxis` (unless -1) splits dim 0 throughout.
void checkAllToAll(const Shape &mesh, int from, int to, const std::vector<int64_t> &stay,
                   const std::vector<int64_t> &moving, const std::vector<int64_t> &before,
                   const Shape &shape, int64_t batchAxis = -1) {
  std::vector<float> global = globalTensor(shape, 31);
  std::vector<Dim> xd = wholeDims(shape);
  if (batchAxis >= 0)
    xd[0] = split(shape[0], batchAxis);
  std::vector<Dim> yd = xd;
  std::vector<int64_t> all = stay, gained = before;
  all.insert(all.end(), moving.begin(), moving.end());
  gained.insert(gained.end(), moving.begin(), moving.end());
  xd[from] = nested(shape[from], all);
  yd[from] = nested(shape[from], stay);
  xd[to] = nested(shape[to], before);
  yd[to] = nested(shape[to], gained);
  auto ctx = contextFor(mesh);
  std::vector<float> x = localPart(global, xd, mesh, ctx->coords);
  std::vector<float> expect = localPart(global, yd, mesh, ctx->coords);
  for (CollectiveAlgorithm algorithm :
       collectiveAlgorithmsServing(CollectiveKind::AllToAll, membersOf(mesh, moving))) {
    std::vector<float> y(expect.size(), NAN);
    Params p;
    p.tensor(xd).tensor(yd).attr(from).attr(to).attr(moving.size()).attrs(moving);
    p.attr(static_cast<int64_t>(algorithm));
    void *buffers[] = {x.data(), y.data()};
    uint64_t sent = bytesLogged(quilt_rt_all_to_all, *ctx, p.data(), buffers);
    std::string what = "mesh " + shapeString(mesh) + " " + std::to_string(from) + "->" +
                       std::to_string(to) + " moving " + shapeString(moving) + " " +
                       collectiveAlgorithmName(algorithm);
    EXPECT_EQ(y, expect) << what;
    // Sent: everything but this rank's own nested block of `to`.
    Shape parts;
    for (int64_t a : moving)
      parts.push_back(mesh[a]);
    int64_t target = rangeOf(xd[to], mesh, ctx->coords).size();
    uint64_t perPosition = target ? x.size() / target * sizeof(float) : 0;
    EXPECT_EQ(sent, allToAllBytes(perPosition, target, parts.data(), parts.size(),
                                  ctx->ownerIndex(moving)))
        << what;
  }
}

TEST(MpiCollectives, AllToAllUnevenBlocks) {
  // One axis; the other mesh axis (when there is one) splits dim 0 throughout.
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (int64_t axis : {0, 1})
      for (auto [from, to] : {std::pair{2, 3}, std::pair{3, 2}, std::pair{1, 3}})
        for (Shape shape : {Shape{3, 5, 7, 2}, Shape{2, 1, 3, 9}})
          checkAllToAll(mesh, from, to, {}, {axis}, {}, shape, mesh.size() > 1 ? 1 - axis : -1);
}

TEST(MpiCollectives, AllToAllOverSeveralAxes) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (Shape shape : {Shape{2, 3, 7, 5}, Shape{1, 2, 3, 9}}) {
      // Both axes, in mesh order or not, from H to W and back.
      for (std::vector<int64_t> moving : {std::vector<int64_t>{0, 1}, std::vector<int64_t>{1, 0}})
        for (auto [from, to] : {std::pair{2, 3}, std::pair{3, 2}})
          checkAllToAll(mesh, from, to, {}, moving, {}, shape);
      // The minor axis leaves, the major one stays; or joins a split target.
      checkAllToAll(mesh, 2, 3, {0}, {1}, {}, shape);
      checkAllToAll(mesh, 2, 3, {1}, {0}, {}, shape);
      checkAllToAll(mesh, 1, 2, {}, {1}, {0}, shape);
    }
}

/// quilt_rt_reduce_scatter: every rank holds a partial (global * (owner + 1),
/// owner over `axes`) of its block of the dim (split by `stay`, or whole);
/// each keeps its nested block over `axes` of the sum.
void checkReduceScatter(const Shape &mesh, int dim, const std::vector<int64_t> &stay,
                        const std::vector<int64_t> &axes, const Shape &shape) {
  std::vector<float> global = globalTensor(shape, 41);
  auto ctx = contextFor(mesh);
  int64_t parts = 1;
  for (int64_t a : axes)
    parts *= mesh[a];
  int64_t owner = ctx->ownerIndex(axes);
  std::vector<Dim> xd = wholeDims(shape), yd = xd;
  std::vector<int64_t> all = stay;
  all.insert(all.end(), axes.begin(), axes.end());
  xd[dim] = nested(shape[dim], stay);
  yd[dim] = nested(shape[dim], all);
  std::vector<float> x = localPart(global, xd, mesh, ctx->coords);
  for (float &v : x)
    v *= float(owner + 1);
  std::vector<float> expect = localPart(global, yd, mesh, ctx->coords);
  float factor = float(parts * (parts + 1) / 2);
  for (float &v : expect)
    v *= factor;
  for (CollectiveAlgorithm algorithm : collectiveAlgorithmsServing(CollectiveKind::ReduceScatter, parts)) {
    std::vector<float> y(expect.size(), NAN);
    Params p;
    p.tensor(xd).tensor(yd).attr(dim).attr(axes.size()).attrs(axes);
    p.attr(static_cast<int64_t>(algorithm));
    void *buffers[] = {x.data(), y.data()};
    uint64_t sent = bytesLogged(quilt_rt_reduce_scatter, *ctx, p.data(), buffers);
    std::string what = "mesh " + shapeString(mesh) + " dim " + std::to_string(dim) + " axes " +
                       shapeString(axes) + " " + collectiveAlgorithmName(algorithm);
    size_t wrong = 0;
    for (size_t i = 0; i < y.size(); ++i)
      wrong += !(std::abs(y[i] - expect[i]) <= 1e-4 * (1 + std::abs(expect[i])));
    EXPECT_EQ(wrong, 0u) << what;
    uint64_t own = expect.size() * sizeof(float), total = x.size() * sizeof(float);
    EXPECT_EQ(sent, parts > 1 ? total - own : 0u) << what;
  }
}

TEST(MpiCollectives, ReduceScatterUnevenBlocks) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (int64_t axis = 0; axis < (int64_t)mesh.size(); ++axis)
      for (int dim : {0, 1, 2})
        for (Shape shape : {Shape{3, 7, 2}, Shape{5, 1, 4}})
          checkReduceScatter(mesh, dim, {}, {axis}, shape);
}

TEST(MpiCollectives, ReduceScatterOverSeveralAxes) {
  // Over both axes (nested blocks, in mesh order or not), and over the minor
  // axis of a dim the major one already splits.
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (int dim : {0, 1, 2})
      for (Shape shape : {Shape{3, 7, 2}, Shape{5, 1, 11}}) {
        checkReduceScatter(mesh, dim, {}, {0, 1}, shape);
        checkReduceScatter(mesh, dim, {}, {1, 0}, shape);
        checkReduceScatter(mesh, dim, {0}, {1}, shape);
      }
}

TEST(MpiCollectives, CollectivePermuteIsARingStep) {
  for (const Shape &mesh : meshesOfWorld(gComm->size(), 2))
    for (int64_t axis = 0; axis < (int64_t)mesh.size(); ++axis)
      for (int64_t shift : {1, -1, 2}) {
        auto ctx = contextFor(mesh);
        int64_t parts = mesh[axis], coord = ctx->coords[axis];
        std::vector<Dim> dims{whole(3), whole(4)};
        std::vector<float> x(12), y(12, NAN);
        for (size_t i = 0; i < x.size(); ++i)
          x[i] = float(coord * 100 + i);
        Params p;
        p.tensor(dims).tensor(dims).attr(axis).attr(shift);
        void *buffers[] = {x.data(), y.data()};
        quilt_rt_collective_permute(ctx.get(), p.data(), buffers);
        int64_t from = ((coord - shift) % parts + parts) % parts;
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_EQ(y[i], float(from * 100 + i)) << "mesh " << shapeString(mesh) << " shift "
                                                  << shift;
      }
}

// Quilt's own collective schedules (collective_schedules.h) against the
// library's collectives, called on the communicator directly: random data,
// uneven and empty blocks, fewer elements than ranks; each algorithm counts
// the library's bytes, and the replicated results are the same bits on
// every member.

/// A group to run collectives over: the ranks of `mesh` that differ only on
/// `axes` (members row-major over them); `mask` names the same ranks for
/// allReduce.
struct TestGroup {
  Shape mesh;
  AxisList axes;
  AxisMask mask;

  int64_t members() const { return membersOf(mesh, axes); }
  int me() const { return groupSplit(mesh, gComm->rank(), axes).key; }
  std::string name() const { return "mesh " + shapeString(mesh) + " axes " + shapeString(axes); }
};

/// The whole world, a group of one, and each axis group of a 2-D mesh whose
/// axes both have several ranks (4 ranks: 2x2; its two axes listed minor
/// first too).
std::vector<TestGroup> testGroups() {
  int64_t p = gComm->size();
  std::vector<TestGroup> groups{{{p}, {0}, kAllRanks}, {{p, 1}, {1}, 2u}};
  for (const Shape &mesh : meshesOfWorld(p, 2))
    if (mesh[0] > 1 && mesh[1] > 1) {
      groups.push_back({mesh, {0}, 1u});
      groups.push_back({mesh, {1}, 2u});
      groups.push_back({mesh, {1, 0}, 3u});
    }
  return groups;
}

/// A generator that differs per rank and per case.
std::mt19937 randomFor(int64_t salt) {
  return std::mt19937(static_cast<uint32_t>(12345 + 7919 * gComm->rank() + 104729 * salt));
}

std::vector<char> randomBytes(size_t bytes, std::mt19937 &random) {
  std::vector<char> data(bytes);
  for (char &b : data)
    b = static_cast<char>(random());
  return data;
}

/// Whether every member of the group of `mask` holds the same bytes.
bool sameOnEveryMember(const std::vector<char> &data, AxisMask mask) {
  uint64_t hash = 14695981039346656037ull; // FNV-1a
  for (char b : data)
    hash = (hash ^ static_cast<unsigned char>(b)) * 1099511628211ull;
  int64_t most = static_cast<int64_t>(hash), least = most;
  gComm->allReduceInPlace(&most, 1, ElemType::I64, ReduceOp::Max, mask);
  gComm->allReduceInPlace(&least, 1, ElemType::I64, ReduceOp::Min, mask);
  return most == least;
}

template <class T> std::vector<char> asBytes(const std::vector<T> &values) {
  std::vector<char> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <class T> std::vector<T> fromBytes(const std::vector<char> &bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

struct ReduceCase {
  ElemType type;
  ReduceOp op;
};

/// `count` elements for `reduce`: values of its type (near 1 for products,
/// so four of them neither overflow nor vanish), or moments triples (some
/// empty).
std::vector<char> randomReduceInput(ReduceCase reduce, size_t count, std::mt19937 &random) {
  std::uniform_real_distribution<double> unit(-1, 1);
  bool product = reduce.op == ReduceOp::Prod;
  if (reduce.op == ReduceOp::Moments) {
    std::vector<float> triples;
    for (size_t i = 0; i < count; ++i) {
      float n = static_cast<float>(random() % 4);
      triples.insert(triples.end(), {n, n ? float(10 * unit(random)) : 0.f,
                                     n > 1 ? float(5 * std::fabs(unit(random))) : 0.f});
    }
    return asBytes(triples);
  }
  std::vector<double> values;
  for (size_t i = 0; i < count; ++i)
    values.push_back(product ? 1 + 0.5 * unit(random) : unit(random));
  switch (reduce.type) {
  case ElemType::F32:
    return asBytes(std::vector<float>(values.begin(), values.end()));
  case ElemType::F64:
    return asBytes(values);
  case ElemType::I64: {
    std::vector<int64_t> integers;
    for (double v : values)
      integers.push_back(product ? static_cast<int64_t>(random() % 5) - 2
                                 : static_cast<int64_t>(1000 * v));
    return asBytes(integers);
  }
  }
  return {};
}

/// Elements of `got` and `want` that differ by more than rounding: integers
/// and max/min exactly, floating-point sums, products and moments within
/// 1e-5 relative.
size_t reducedMismatches(const std::vector<char> &got, const std::vector<char> &want,
                         ReduceCase reduce) {
  if (got.size() != want.size())
    return std::max(got.size(), want.size());
  std::vector<double> a, b;
  if (reduce.type == ElemType::I64)
    return got == want ? 0 : got.size();
  if (reduce.type == ElemType::F64) {
    a = fromBytes<double>(got);
    b = fromBytes<double>(want);
  } else {
    std::vector<float> fa = fromBytes<float>(got), fb = fromBytes<float>(want);
    a.assign(fa.begin(), fa.end());
    b.assign(fb.begin(), fb.end());
  }
  bool exact = reduce.op == ReduceOp::Max || reduce.op == ReduceOp::Min;
  size_t wrong = 0;
  for (size_t i = 0; i < a.size(); ++i)
    wrong += exact ? a[i] != b[i] : !(std::fabs(a[i] - b[i]) <= 1e-5 * std::max(1.0, std::fabs(b[i])));
  return wrong;
}

/// Runs a collective over `group` by every algorithm that serves `kind`
/// (`run(algorithm)` returns this rank's result) and expects each to
/// `match` the library's result and to count the library's bytes; a
/// `replicated` result must be the same bits on every member.
template <class Run, class Match>
void expectLikeTheLibrary(CollectiveKind kind, const TestGroup &group, const std::string &what,
                          bool replicated, Run run, Match match) {
  std::vector<char> library;
  uint64_t libraryBytes = 0;
  for (CollectiveAlgorithm algorithm : collectiveAlgorithmsServing(kind, group.members())) {
    uint64_t before = gComm->bytesSent();
    std::vector<char> got = run(algorithm);
    uint64_t sent = gComm->bytesSent() - before;
    if (algorithm == CollectiveAlgorithm::Library) {
      library = got;
      libraryBytes = sent;
      continue;
    }
    std::string where = group.name() + " " + what + " " + collectiveAlgorithmName(algorithm);
    EXPECT_TRUE(match(got, library)) << where;
    EXPECT_EQ(sent, libraryBytes) << where;
    if (replicated)
      EXPECT_TRUE(sameOnEveryMember(got, group.mask)) << where;
  }
}

TEST(MpiSchedules, AllReduceMatchesTheLibrary) {
  using E = ElemType;
  using R = ReduceOp;
  const std::vector<ReduceCase> cases{
      {E::F32, R::Sum}, {E::F32, R::Max}, {E::F32, R::Min},  {E::F32, R::Prod},
      {E::F64, R::Sum}, {E::F64, R::Max}, {E::F64, R::Prod}, {E::I64, R::Sum},
      {E::I64, R::Min}, {E::I64, R::Prod}, {E::F32, R::Moments}};
  int64_t salt = 0;
  for (const TestGroup &group : testGroups()) {
    gComm->setMesh(group.mesh);
    for (ReduceCase reduce : cases)
      for (size_t count : {0, 1, 3, 38, 1001}) {
        std::mt19937 random = randomFor(++salt);
        std::vector<char> input = randomReduceInput(reduce, count, random);
        size_t values = reduce.op == ReduceOp::Moments ? 3 * count : count;
        // In place on odd counts; otherwise into a separate result, the
        // input left as it was.
        bool inPlace = count % 2 == 1;
        std::string what = "type " + std::to_string(int(reduce.type)) + " op " +
                           std::to_string(int(reduce.op)) + " count " + std::to_string(count) +
                           (inPlace ? " in place" : " out of place");
        expectLikeTheLibrary(
            CollectiveKind::AllReduce, group, what, /*replicated=*/true,
            [&](CollectiveAlgorithm algorithm) {
              std::vector<char> send = input, result(input.size(), 0);
              char *recv = inPlace ? send.data() : result.data();
              gComm->allReduce(send.data(), recv, values, reduce.type, reduce.op, group.mask,
                               algorithm);
              if (inPlace)
                return send;
              EXPECT_EQ(send, input) << what << " " << collectiveAlgorithmName(algorithm)
                                     << " wrote its input";
              return result;
            },
            [&](const std::vector<char> &got, const std::vector<char> &library) {
              return reducedMismatches(got, library, reduce) == 0;
            });
      }
  }
}

/// Block sizes of a collective over `members` ranks: even, uneven, some
/// empty, all empty, and large enough that the library switches algorithm.
std::vector<std::vector<size_t>> blockPatterns(int64_t members) {
  std::vector<std::vector<size_t>> patterns(5);
  for (int64_t c = 0; c < members; ++c) {
    patterns[0].push_back(8);
    patterns[1].push_back(5 * c + 1);
    patterns[2].push_back(c % 2 ? 3 * c + 1 : 0);
    patterns[3].push_back(0);
    patterns[4].push_back(70001 + 13 * c);
  }
  return patterns;
}

size_t sum(const std::vector<size_t> &values) {
  return std::accumulate(values.begin(), values.end(), size_t(0));
}

TEST(MpiSchedules, AllGatherMatchesTheLibrary) {
  int64_t salt = 1000;
  for (const TestGroup &group : testGroups()) {
    if (group.axes.size() != 1)
      continue; // allGather runs along one axis
    gComm->setMesh(group.mesh);
    int me = group.me();
    for (const std::vector<size_t> &blocks : blockPatterns(group.members())) {
      std::mt19937 random = randomFor(++salt);
      std::vector<char> own = randomBytes(blocks[me], random);
      size_t at = std::accumulate(blocks.begin(), blocks.begin() + me, size_t(0));
      expectLikeTheLibrary(
          CollectiveKind::AllGather, group, "blocks " + std::to_string(blocks.back()),
          /*replicated=*/true,
          [&](CollectiveAlgorithm algorithm) {
            std::vector<char> gathered(sum(blocks), 'x');
            gComm->allGather(own.data(), own.size(), gathered.data(), blocks,
                             static_cast<int>(group.axes[0]), algorithm);
            EXPECT_TRUE(std::equal(own.begin(), own.end(), gathered.begin() + at));
            return gathered;
          },
          std::equal_to<>());
    }
  }
}

TEST(MpiSchedules, ReduceScatterMatchesTheLibrary) {
  const ReduceCase floatSum{ElemType::F32, ReduceOp::Sum};
  int64_t salt = 2000;
  for (const TestGroup &group : testGroups()) {
    gComm->setMesh(group.mesh);
    int me = group.me();
    std::vector<std::vector<size_t>> patterns = blockPatterns(group.members());
    // Fewer elements than ranks: member 0's block alone.
    patterns.push_back(std::vector<size_t>(group.members(), 0));
    patterns.back()[0] = 1;
    for (const std::vector<size_t> &counts : patterns) {
      std::mt19937 random = randomFor(++salt);
      std::vector<char> input = randomReduceInput(floatSum, sum(counts), random);
      expectLikeTheLibrary(
          CollectiveKind::ReduceScatter, group, "counts " + std::to_string(counts.back()),
          /*replicated=*/false,
          [&](CollectiveAlgorithm algorithm) {
            std::vector<float> own(counts[me], NAN);
            gComm->reduceScatter(reinterpret_cast<const float *>(input.data()), own.data(),
                                 counts, group.axes, algorithm);
            return asBytes(own);
          },
          [&](const std::vector<char> &got, const std::vector<char> &library) {
            return reducedMismatches(got, library, floatSum) == 0;
          });
    }
  }
}

TEST(MpiSchedules, AllToAllMatchesTheLibrary) {
  // Bytes member `from` sends member `to`: some empty, uneven, large.
  const std::vector<std::function<size_t(int64_t, int64_t)>> patterns{
      [](int64_t from, int64_t to) { return size_t((3 * from + 5 * to) % 7); },
      [](int64_t from, int64_t to) { return size_t(1 + from + 2 * to); },
      [](int64_t from, int64_t to) { return size_t(40000 * (from + 1) + to); }};
  int64_t salt = 3000;
  for (const TestGroup &group : testGroups()) {
    gComm->setMesh(group.mesh);
    int me = group.me();
    for (const auto &bytesFromTo : patterns) {
      std::vector<size_t> sendBytes, recvBytes;
      for (int64_t c = 0; c < group.members(); ++c) {
        sendBytes.push_back(bytesFromTo(me, c));
        recvBytes.push_back(bytesFromTo(c, me));
      }
      std::mt19937 random = randomFor(++salt);
      std::vector<char> send = randomBytes(sum(sendBytes), random);
      expectLikeTheLibrary(
          CollectiveKind::AllToAll, group, "sends " + std::to_string(sendBytes.back()),
          /*replicated=*/false,
          [&](CollectiveAlgorithm algorithm) {
            std::vector<char> received(sum(recvBytes), 'x');
            gComm->allToAll(send.data(), sendBytes, received.data(), recvBytes, group.axes,
                            algorithm);
            return received;
          },
          std::equal_to<>());
    }
  }
}

/// An algorithm word out of range, or one that does not serve the kind or
/// the group, fails on every rank before anything is sent.
TEST(MpiSchedules, UnservedAlgorithmsAreOneLineErrors) {
  int64_t p = gComm->size();
  auto ctx = contextFor({p});
  std::vector<float> x(6), y(6);
  void *buffers[] = {x.data(), y.data()};
  auto failure = [&](auto entry, const std::vector<Dim> &yd, const std::vector<int64_t> &attrs) {
    Params params;
    params.tensor({whole(6)}).tensor(yd).attrs(attrs);
    try {
      entry(ctx.get(), params.data(), buffers);
    } catch (const Error &e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(failure(quilt_rt_reduce_scatter, {nested(6, {0})}, {0, 1, 0, 9}),
            "reduce_scatter: algorithm 9 (expected 0..6)");
  EXPECT_EQ(failure(quilt_rt_all_reduce, {whole(6)}, {QUILT_REDUCE_SUM, 1, 0, 4}),
            "all_reduce: bruck is no all_reduce algorithm (expected one of library, ring, "
            "recursive-doubling, rabenseifner)");
  if ((p & (p - 1)) == 0)
    return; // recursive halving serves a power-of-two group
  std::string needs = "the recursive-halving reduce_scatter needs a power-of-two group, got " +
                      std::to_string(p) + " ranks";
  EXPECT_EQ(failure(quilt_rt_reduce_scatter, {nested(6, {0})}, {0, 1, 0, 5}),
            "reduce_scatter: " + needs);
  std::vector<size_t> counts(p, 2);
  std::vector<float> all(2 * p), own(2);
  try {
    gComm->reduceScatter(all.data(), own.data(), counts, {0},
                         CollectiveAlgorithm::RecursiveHalving);
    ADD_FAILURE() << "recursive halving ran on " << p << " ranks";
  } catch (const Error &e) {
    EXPECT_EQ(e.what(), needs);
  }
}

/// On ranks other than 0: print only failed assertions, tagged with the rank.
class RankFailurePrinter : public testing::EmptyTestEventListener {
  void OnTestPartResult(const testing::TestPartResult &r) override {
    if (r.failed())
      std::fprintf(stderr, "rank %d: %s:%d: %s\n", gComm->rank(),
                   r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
  }
};

} // namespace
} // namespace quilt::test

int main(int argc, char **argv) {
  std::unique_ptr<quilt::Communicator> comm = quilt::createMpiCommunicator(&argc, &argv);
  quilt::test::gComm = comm.get();
  testing::InitGoogleTest(&argc, argv);
  testing::TestEventListeners &listeners = testing::UnitTest::GetInstance()->listeners();
  if (comm->rank() != 0) { // one full report, from rank 0
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new quilt::test::RankFailurePrinter);
  }
  int64_t failed = RUN_ALL_TESTS();
  comm->allReduceInPlace(&failed, 1, quilt::ElemType::I64, quilt::ReduceOp::Max, quilt::kAllRanks);
  if (failed && comm->rank() == 0)
    std::fprintf(stderr, "some rank failed a test\n");
  return failed ? 1 : 0;
}
