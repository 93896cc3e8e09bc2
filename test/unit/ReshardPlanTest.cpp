// planReshard over every pair of layouts of a 4-D tensor on a 3x2x2 mesh
// (each mesh axis on one of three dims or none, in every order): each step is
// legal where it runs (a gather pops the minor-most axis, an all-to-all moves
// the minor-most axes of a dim to the minor end of another, a slice takes an
// axis no dim holds), the steps reach the wanted layout, a single move is a
// single all-to-all, and all-to-alls never send more than gathering does.
#include "quilt/Transforms/ShardingUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace quilt;

namespace {

using Dims = llvm::SmallVector<llvm::SmallVector<std::string, 1>>;

std::string show(const Dims &dims) {
  std::string s;
  for (const auto &axes : dims) {
    s += "[";
    for (const std::string &a : axes)
      s += a;
    s += "]";
  }
  return s;
}

/// Every layout of mesh axes x, y, z over dims 1..3 of a rank-4 tensor.
std::vector<Dims> allLayouts() {
  const char *names[] = {"x", "y", "z"};
  std::vector<Dims> layouts;
  for (int code = 0; code < 64; ++code) {
    // Axis i goes to dim (code >> 2i) & 3 (0: not used); then every order
    // of the axes sharing a dim.
    Dims base(4);
    for (int i = 0; i < 3; ++i)
      if (int d = (code >> (2 * i)) & 3)
        base[d].push_back(names[i]);
    std::vector<Dims> variants{base};
    for (int d = 1; d < 4; ++d) {
      std::vector<Dims> next;
      for (Dims v : variants) {
        std::sort(v[d].begin(), v[d].end());
        do
          next.push_back(v);
        while (std::next_permutation(v[d].begin(), v[d].end()));
      }
      variants = next;
    }
    layouts.insert(layouts.end(), variants.begin(), variants.end());
  }
  return layouts;
}

bool inUse(const Dims &dims, const std::string &axis) {
  return llvm::any_of(dims, [&](const auto &axes) { return llvm::is_contained(axes, axis); });
}

/// Applies `steps` to `have`, failing the test on an illegal step.
Dims apply(Dims cur, llvm::ArrayRef<ReshardStep> steps, const std::string &what) {
  for (const ReshardStep &s : steps) {
    auto &from = cur[s.dim];
    switch (s.kind) {
    case ReshardStep::Kind::Gather:
      EXPECT_TRUE(!from.empty() && from.back() == s.axes[0]) << what;
      if (!from.empty())
        from.pop_back();
      break;
    case ReshardStep::Kind::AllToAll: {
      bool suffix = from.size() >= s.axes.size() &&
                    std::equal(s.axes.begin(), s.axes.end(), from.end() - s.axes.size());
      EXPECT_TRUE(suffix && s.toDim != s.dim) << what;
      if (!suffix)
        return cur;
      from.resize(from.size() - s.axes.size());
      llvm::append_range(cur[s.toDim], s.axes);
      break;
    }
    case ReshardStep::Kind::Slice:
      EXPECT_FALSE(inUse(cur, s.axes[0])) << what;
      from.push_back(s.axes[0]);
      break;
    case ReshardStep::Kind::Relabel:
      ADD_FAILURE() << "a relabel without the value's shape: " << what;
      break;
    case ReshardStep::Kind::Reblock:
      ADD_FAILURE() << "a re-block without granules: " << what;
      break;
    }
  }
  return cur;
}

class ReshardPlan : public ::testing::Test {
protected:
  void SetUp() override {
    ctx.loadDialect<QuiltDialect, mlir::func::FuncDialect>();
    module = mlir::parseSourceString<mlir::ModuleOp>(
        "quilt.mesh @mesh [\"x\" = 3, \"y\" = 2, \"z\" = 2]", &ctx);
    ASSERT_TRUE(module);
    mesh = *module->getOps<MeshOp>().begin();
    global = mlir::RankedTensorType::get({2, 12, 12, 12}, mlir::Float32Type::get(&ctx));
  }
  AxisSplit split(const Dims &dims) {
    AxisSplit s = AxisSplit::replicated(4);
    s.dims = dims;
    return s;
  }

  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  MeshOp mesh;
  mlir::RankedTensorType global;
};

TEST_F(ReshardPlan, EveryPairReachesItsTargetWithLegalSteps) {
  std::vector<Dims> layouts = allLayouts();
  ASSERT_EQ(layouts.size(), 106u); // 1 + 3*3 + 3*2*6 + 6*10 by axes in use
  for (const Dims &have : layouts)
    for (const Dims &want : layouts) {
      std::string what = show(have) + " -> " + show(want);
      auto steps = planReshard(split(have), split(want), mesh);
      EXPECT_EQ(show(apply(have, steps, what)), show(want)) << what;
      auto gathering = planReshard(split(have), split(want), mesh, /*allowAllToAll=*/false);
      EXPECT_EQ(show(apply(have, gathering, what)), show(want)) << what;
      EXPECT_LE(reshardBytes(steps, split(have), global, mesh),
                reshardBytes(gathering, split(have), global, mesh))
          << what;
    }
}

// A plain split whose blocks fall on the granules wanted is relabelled (no
// data moves, 0 bytes); one whose blocks cut a granule is re-blocked (only
// the positions that change owner move; without a re-block, as for a halo'd
// value, gathered and sliced in granules). 12 positions in granules of 3:
// over y (2 ranks) plain blocks 6, 6 are whole granules; over x (3 ranks)
// plain 4, 4, 4 are not (granular blocks are 6, 3, 3: owner 1 sends 2
// positions to owner 0, owner 2 sends 1 to owner 1).
TEST_F(ReshardPlan, BlocksOnGranulesAreRelabelled) {
  AxisSplit plainY = split({{}, {"y"}, {}, {}}), plainX = split({{}, {"x"}, {}, {}});
  AxisSplit granularY = plainY, granularX = plainX;
  granularY.granules = {1, 3, 1, 1};
  granularX.granules = {1, 3, 1, 1};
  auto relabel = planReshard(plainY, granularY, mesh, true, global.getShape());
  ASSERT_EQ(relabel.size(), 1u);
  EXPECT_EQ(relabel[0].kind, ReshardStep::Kind::Relabel);
  EXPECT_EQ(relabel[0].granule, 3);
  EXPECT_EQ(reshardBytes(relabel, plainY, global, mesh), 0u);
  // Back to plain blocks: the same relabel the other way.
  auto back = planReshard(granularY, plainY, mesh, true, global.getShape());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].kind, ReshardStep::Kind::Relabel);
  auto cut = planReshard(plainX, granularX, mesh, true, global.getShape());
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].kind, ReshardStep::Kind::Reblock);
  EXPECT_EQ(cut[0].fromGranule, 1);
  EXPECT_EQ(cut[0].granule, 3);
  // The busiest owner sends 2 of its 4 positions: half its 2x4x12x12
  // floats (4608 bytes).
  EXPECT_EQ(reshardBytes(cut, plainX, global, mesh), 2304u);
  auto gathered = planReshard(plainX, granularX, mesh, /*allowAllToAll=*/false, global.getShape());
  ASSERT_EQ(gathered.size(), 2u);
  EXPECT_EQ(gathered[0].kind, ReshardStep::Kind::Gather);
  EXPECT_EQ(gathered[1].kind, ReshardStep::Kind::Slice);
  EXPECT_GT(reshardBytes(gathered, plainX, global, mesh), reshardBytes(cut, plainX, global, mesh));
}

TEST_F(ReshardPlan, OneMoveIsOneAllToAll) {
  int moves = 0;
  for (const Dims &have : allLayouts())
    for (int d = 1; d < 4; ++d)
      for (size_t n = 1; n <= have[d].size(); ++n)
        for (int t = 1; t < 4; ++t) {
          if (t == d)
            continue;
          Dims want = have;
          llvm::SmallVector<std::string, 1> tail(want[d].end() - n, want[d].end());
          want[d].resize(want[d].size() - n);
          llvm::append_range(want[t], tail);
          auto steps = planReshard(split(have), split(want), mesh);
          ASSERT_EQ(steps.size(), 1u) << show(have) << " -> " << show(want);
          EXPECT_EQ(steps[0].kind, ReshardStep::Kind::AllToAll);
          EXPECT_EQ(steps[0].axes, tail);
          ++moves;
        }
  EXPECT_GT(moves, 100);
}

} // namespace
