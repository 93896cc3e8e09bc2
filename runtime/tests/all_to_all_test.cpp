// The block math of quilt_rt_all_to_all (what each rank sends and receives),
// over one or several moving mesh axes, against a direct enumeration of the
// global tensor: every rank of a mesh is simulated in one process. And the
// one-line errors of quilt_rt_all_to_all and quilt_rt_reduce_scatter for
// layouts and axis lists they cannot serve.
#include "all_to_all_blocks.h"
#include "quilt/comm_bytes.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace quilt::test {
namespace {

/// `moving` leaves dim `from` (split by `stay` then `moving`) for dim `to`
/// (split by `before`, then `before` + `moving`).
struct Move {
  Shape mesh;
  int from, to;
  std::vector<int64_t> stay, moving, before;
};

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Shape coordsOf(const Shape &mesh, int64_t rank) {
  Shape c(mesh.size());
  for (size_t i = mesh.size(); i-- > 0;) {
    c[i] = rank % mesh[i];
    rank /= mesh[i];
  }
  return c;
}

int64_t rankOf(const Shape &mesh, const Shape &coords) { return linearIndex(mesh, coords); }

/// The owner index of `coords` over `axes` (row-major), and the coordinates
/// of owner `k` that agree with `coords` elsewhere.
int64_t ownerOf(const Shape &mesh, const std::vector<int64_t> &axes, const Shape &coords) {
  int64_t k = 0;
  for (int64_t a : axes)
    k = k * mesh[a] + coords[a];
  return k;
}
Shape withOwner(const Shape &mesh, const std::vector<int64_t> &axes, Shape coords, int64_t k) {
  for (size_t i = axes.size(); i-- > 0;) {
    coords[axes[i]] = k % mesh[axes[i]];
    k /= mesh[axes[i]];
  }
  return coords;
}

Shape extentOf(const std::vector<Dim> &dims, const Shape &mesh, const Shape &coords) {
  Shape e;
  for (const Dim &d : dims)
    e.push_back(rangeOf(d, mesh, coords).size());
  return e;
}

/// Every rank's send boxes, unpacked at every receiver, rebuild each
/// receiver's output block from the global tensor; bytes match allToAllBytes.
void checkBlocks(const Shape &global, const Move &m) {
  std::vector<float> g = globalTensor(global, 5);
  std::vector<Dim> xd = wholeDims(global), yd = wholeDims(global);
  xd[m.from] = nested(global[m.from], concat(m.stay, m.moving));
  yd[m.from] = nested(global[m.from], m.stay);
  xd[m.to] = nested(global[m.to], m.before);
  yd[m.to] = nested(global[m.to], concat(m.before, m.moving));
  std::vector<int64_t> parts;
  for (int64_t a : m.moving)
    parts.push_back(m.mesh[a]);
  int levels = static_cast<int>(parts.size());
  auto blocksAt = [&](const Shape &c) {
    return allToAllBlocks(extentOf(xd, m.mesh, c), m.from, m.to,
                          extentOf(yd, m.mesh, c)[m.from], parts.data(), levels,
                          ownerOf(m.mesh, m.moving, c));
  };
  std::string what = "mesh " + shapeString(m.mesh) + " " + std::to_string(m.from) + "->" +
                     std::to_string(m.to) + " global " + shapeString(global);
  for (int64_t r = 0; r < numElements(m.mesh); ++r) {
    Shape me = coordsOf(m.mesh, r), outShape = extentOf(yd, m.mesh, me);
    AllToAllBlocks mine = blocksAt(me);
    int64_t myOwner = ownerOf(m.mesh, m.moving, me);
    std::vector<float> out(numElements(outShape), NAN);
    for (size_t j = 0; j < mine.recvExtent.size(); ++j) {
      Shape peer = withOwner(m.mesh, m.moving, me, j), inShape = extentOf(xd, m.mesh, peer);
      std::vector<float> in = localPart(g, xd, m.mesh, peer);
      AllToAllBlocks sent = blocksAt(peer);
      // What `peer` sends `me` is the box `me` expects from `peer`.
      ASSERT_EQ(sent.sendExtent[myOwner], mine.recvExtent[j]) << what;
      forEachIndex(mine.recvExtent[j], [&](const Shape &i) {
        Shape src = i, dst = i;
        for (size_t d = 0; d < i.size(); ++d) {
          src[d] += sent.sendOffset[myOwner][d];
          dst[d] += mine.recvOffset[j][d];
        }
        out[linearIndex(outShape, dst)] = in[linearIndex(inShape, src)];
      });
    }
    EXPECT_EQ(out, localPart(g, yd, m.mesh, me)) << what << " rank " << r;
    // Bytes sent to others: the input minus the rank's own block of `to`.
    uint64_t bytes = 0;
    for (size_t j = 0; j < mine.sendExtent.size(); ++j)
      if (static_cast<int64_t>(j) != myOwner)
        bytes += boxElements(mine.sendExtent[j]) * sizeof(float);
    Shape inShape = extentOf(xd, m.mesh, me);
    uint64_t perPosition =
        inShape[m.to] ? numElements(inShape) / inShape[m.to] * sizeof(float) : 0;
    EXPECT_EQ(bytes, allToAllBytes(perPosition, inShape[m.to], parts.data(), levels, myOwner))
        << what << " rank " << r;
  }
}

TEST(AllToAllBlocks, OneAxisEvenUnevenAndEmptyBlocks) {
  for (int64_t parts : {1, 2, 3, 4, 7})
    for (auto [from, to] : {std::pair{1, 2}, std::pair{2, 1}, std::pair{0, 3}, std::pair{3, 0}})
      checkBlocks({5, 6, 9, 2}, Move{{parts}, from, to, {}, {0}, {}});
}

TEST(AllToAllBlocks, SeveralAxesMoveTogether) {
  // Both axes of a 2x3 or 3x2 mesh (in mesh order or not) leave H for W.
  for (Shape mesh : {Shape{2, 3}, Shape{3, 2}})
    for (std::vector<int64_t> moving : {std::vector<int64_t>{0, 1}, std::vector<int64_t>{1, 0}})
      for (Shape global : {Shape{1, 2, 7, 11}, Shape{2, 1, 5, 3}})
        for (auto [from, to] : {std::pair{2, 3}, std::pair{3, 2}, std::pair{1, 3}})
          checkBlocks(global, Move{mesh, from, to, {}, moving, {}});
}

TEST(AllToAllBlocks, MinorAxesMoveMajorAxesStay) {
  // H over (x, y) -> H over x, W over y; and on 2x2x2 H over (z, x, y) -> H
  // over z, W over (x, y).
  for (Shape global : {Shape{1, 2, 13, 7}, Shape{2, 1, 3, 5}}) {
    checkBlocks(global, Move{{3, 2}, 2, 3, {0}, {1}, {}});
    checkBlocks(global, Move{{2, 3}, 2, 3, {1}, {0}, {}});
    checkBlocks(global, Move{{2, 2, 2}, 2, 3, {2}, {0, 1}, {}});
  }
}

TEST(AllToAllBlocks, TargetAlreadySplitTakesThemMinor) {
  // C over y, W over x -> W over (x, y); and (z) -> (z, x, y) on 2x2x2.
  for (Shape global : {Shape{1, 5, 3, 11}, Shape{2, 7, 4, 2}}) {
    checkBlocks(global, Move{{3, 2}, 1, 3, {}, {1}, {0}});
    checkBlocks(global, Move{{2, 2, 2}, 2, 3, {}, {0, 1}, {2}});
    checkBlocks(global, Move{{2, 2, 2}, 2, 1, {1}, {2}, {0}});
  }
}

/// Layouts or axis lists the entry points cannot serve are one-line errors.
TEST(AllToAllEntry, BadLayoutsAndAxesAreErrors) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {1, 1}, {0, 0});
  Shape s{4, 6};
  std::vector<float> x(24), y(24);
  void *buffers[] = {x.data(), y.data()};
  auto call = [&](std::vector<Dim> xd, std::vector<Dim> yd, std::vector<int64_t> attrs) {
    Params p;
    p.tensor(xd).tensor(yd).attrs(attrs).attr(kLibrary);
    quilt_rt_all_to_all(ctx.get(), p.data(), buffers);
  };
  // Dim 0 over (0, 1): only the minor axis 1 may leave first.
  EXPECT_THROW(call({nested(4, {0, 1}), whole(6)}, {nested(4, {1}), nested(6, {0})}, {0, 1, 1, 0}),
               Error);
  // The moving axis lands before the target's own.
  EXPECT_THROW(call({nested(4, {0}), nested(6, {1})}, {whole(4), nested(6, {0, 1})}, {0, 1, 1, 0}),
               Error);
  EXPECT_THROW(call({nested(4, {0, 1}), whole(6)}, {whole(4), nested(6, {0, 1})}, {0, 1, 2, 0, 0}),
               Error); // an axis twice
  EXPECT_THROW(call({nested(4, {0}), whole(6)}, {whole(4), nested(6, {0})}, {0, 1, 1, 5}),
               Error); // no such axis
  EXPECT_THROW(call({nested(4, {0}), whole(6)}, {whole(4), nested(6, {0})}, {0, 1, 0}),
               Error); // no axis
  // The valid spelling of the same move runs.
  EXPECT_NO_THROW(call({nested(4, {0, 1}), whole(6)}, {whole(4), nested(6, {0, 1})}, {0, 1, 2, 0, 1}));
}

TEST(ReduceScatterEntry, BadLayoutsAndAxesAreErrors) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {1, 1}, {0, 0});
  std::vector<float> x(24), y(24);
  void *buffers[] = {x.data(), y.data()};
  auto call = [&](std::vector<Dim> xd, std::vector<Dim> yd, std::vector<int64_t> attrs) {
    Params p;
    p.tensor(xd).tensor(yd).attrs(attrs).attr(kLibrary);
    quilt_rt_reduce_scatter(ctx.get(), p.data(), buffers);
  };
  // The result must split the dim like the input, then by the summed axes in order.
  EXPECT_THROW(call({whole(4), whole(6)}, {whole(4), nested(6, {1, 0})}, {1, 2, 0, 1}), Error);
  EXPECT_THROW(call({whole(4), nested(6, {1})}, {whole(4), nested(6, {0, 1})}, {1, 1, 0}), Error);
  EXPECT_THROW(call({whole(4), whole(6)}, {whole(4), nested(6, {0})}, {1, 1, 2}), Error);
  EXPECT_NO_THROW(call({whole(4), nested(6, {1})}, {whole(4), nested(6, {1, 0})}, {1, 1, 0}));
}

/// The last attribute word names an algorithm that serves the collective.
TEST(CollectiveEntry, AlgorithmWordIsChecked) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {1, 1}, {0, 0});
  std::vector<float> x(24), y(24);
  void *buffers[] = {x.data(), y.data()};
  auto message = [&](int64_t algorithm) -> std::string {
    Params p;
    p.tensor({nested(4, {0}), whole(6)}).tensor({whole(4), nested(6, {0})}).attrs({0, 1, 1, 0});
    p.attr(algorithm);
    try {
      quilt_rt_all_to_all(ctx.get(), p.data(), buffers);
    } catch (const Error &e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(message(9), "all_to_all: algorithm 9 (expected 0..6)");
  EXPECT_EQ(message(-1), "all_to_all: algorithm -1 (expected 0..6)");
  EXPECT_EQ(message(static_cast<int64_t>(CollectiveAlgorithm::Bruck)),
            "all_to_all: bruck is no all_to_all algorithm (expected one of library, pairwise)");
  EXPECT_EQ(message(static_cast<int64_t>(CollectiveAlgorithm::Pairwise)), "");
}

/// A compiled model's pack region is fixed: an op uses it from the start
/// (its sends, then its receives at the next 256 bytes) and one that needs
/// more stops in one line instead of growing it.
TEST(PackRegion, AnOpNeedingMoreThanTheCompiledRegionIsOneLine) {
  SelfCommunicator comm;
  auto ctx = makeContext(comm, {1, 1}, {0, 0});
  std::vector<float> x(24, 1.f), y(24, 0.f);
  void *buffers[] = {x.data(), y.data()};
  Params p;
  p.tensor({nested(4, {0}), whole(6)}).tensor({whole(4), nested(6, {0})}).attrs({0, 1, 1, 0});
  p.attr(kLibrary);
  // 4 x 6 floats packed (96 bytes), received at 256: 352 bytes.
  ASSERT_EQ(packRegionBytes(96, 96), 352u);
  ctx->fixPackRegion(352);
  EXPECT_NO_THROW(quilt_rt_all_to_all(ctx.get(), p.data(), buffers));
  EXPECT_EQ(ctx->packBytesUsed, 352u);
  EXPECT_EQ(y, x);
  ctx->fixPackRegion(351);
  try {
    quilt_rt_all_to_all(ctx.get(), p.data(), buffers);
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_STREQ(e.what(), "all_to_all: needs 352 bytes of the pack region, but the model was "
                           "compiled with 351 (quilt_model_info pack_scratch_bytes)");
  }
  // A context without a compiled model (a test's) grows the region.
  auto grown = makeContext(comm, {1, 1}, {0, 0});
  EXPECT_NO_THROW(quilt_rt_all_to_all(grown.get(), p.data(), buffers));
  EXPECT_GE(grown->packRegion.bytes(), 352u);
}

} // namespace
} // namespace quilt::test
