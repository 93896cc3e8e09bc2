// The byte formulas behind quiltc --report: halo positions sent
// (quilt/halo_segments.h) against brute force over the global index space, the
// ring formulas (quilt/comm_bytes.h), and the per-rank costs of a hand-written
// partitioned program with a periodic halo, which the partitioner does not
// produce yet and the end-to-end tests therefore do not cover.
#include "quilt/Analysis/CommunicationCost.h"
#include "quilt/comm_bytes.h"
#include "quilt/halo_segments.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <map>

using namespace quilt;

namespace {

/// Positions of `receiver`'s halo'd range that another rank owns, by brute
/// force: each position (wrapped when periodic) inside the domain and outside
/// the receiver's own block.
int64_t receivedByBruteForce(const HaloAxis &axis, int64_t receiver) {
  Range need = neededRange(axis, receiver);
  Range own = blockRange(axis.n, axis.parts, receiver);
  int64_t count = 0;
  for (int64_t p = need.begin; p < need.end; ++p) {
    int64_t q = axis.periodic() ? ((p % axis.n) + axis.n) % axis.n : p;
    count += q >= 0 && q < axis.n && (q < own.begin || q >= own.end);
  }
  return count;
}

TEST(HaloPositionsSent, EveryReceivedPositionIsSentOnce) {
  int cases = 0;
  for (int64_t n : {1, 2, 5, 7, 10, 16})
    for (int64_t parts : {1, 2, 3, 4, 7})
      for (int64_t k : {1, 3, 5, 9})
        for (int64_t s : {1, 2})
          for (int64_t lo : {0, 1, 4})
            for (bool periodic : {false, true}) {
              int64_t out = (n + 2 * lo - k) / s + 1;
              Window w{s, 1, k, lo};
              // A periodic halo may wrap once at most (the op verifier's rule).
              Range all = neededInputRange(w, {0, out});
              if (out < 1 || (periodic && (all.begin < -n || all.end > 2 * n)))
                continue;
              HaloAxis axis{n, parts, w, out, periodic ? HaloBoundary::Periodic : HaloBoundary::Zero};
              int64_t sent = 0, received = 0;
              for (int64_t r = 0; r < parts; ++r) {
                int64_t fromOthers = 0;
                for (int64_t q = 0; q < parts; ++q)
                  fromOthers += haloPositionsSent(axis, q, r);
                ASSERT_EQ(fromOthers, receivedByBruteForce(axis, r))
                    << "n " << n << " parts " << parts << " k " << k << " s " << s << " lo " << lo
                    << " periodic " << periodic << " rank " << r;
                if (!periodic) {
                  EXPECT_EQ(fromOthers, haloReceiveCount(w, n, out, parts, r));
                }
                sent += haloPositionsSent(axis, r);
                received += fromOthers;
                ++cases;
              }
              EXPECT_EQ(sent, received);
            }
  EXPECT_GT(cases, 500);
}

TEST(RingBytes, AsTheCommunicatorCounts) {
  EXPECT_EQ(ringAllReduceBytes(12, 1), 0u);
  EXPECT_EQ(ringAllReduceBytes(12, 2), 12u);
  EXPECT_EQ(ringAllReduceBytes(12, 3), 16u);
  EXPECT_EQ(ringAllReduceBytes(12, 4), 18u);
  // Rounds down, like the integer formula it replaced.
  EXPECT_EQ(ringAllReduceBytes(8, 3), 10u);
  EXPECT_EQ(ringAllGatherBytes(560, 240), 320u);
  EXPECT_EQ(ringAllGatherBytes(560, 560), 0u);
}

constexpr const char *kPeriodicHalo = R"mlir(
quilt.mesh @mesh ["x" = 3, "y" = 2]
func.func @main(%x: tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 5], [[], ["x"], ["y"]]>>)
    -> tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 5], [[], ["x"], ["y"]], halos = [#quilt.halo<dim = 1, window = <stride = 1, dilation = 1, kernel = 3, pad_lo = 1>, global_out = 10, boundary = periodic>]>> {
  %h = quilt.halo_exchange %x on @mesh axis "x" dim 1 window <stride = 1, dilation = 1, kernel = 3, pad_lo = 1> global = 10 -> global_out = 10 boundary = periodic
      : tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 5], [[], ["x"], ["y"]]>>
     -> tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 5], [[], ["x"], ["y"]], halos = [#quilt.halo<dim = 1, window = <stride = 1, dilation = 1, kernel = 3, pad_lo = 1>, global_out = 10, boundary = periodic>]>>
  return %h : tensor<1x?x?xf32, #quilt.local<@mesh, [1, 10, 5], [[], ["x"], ["y"]], halos = [#quilt.halo<dim = 1, window = <stride = 1, dilation = 1, kernel = 3, pad_lo = 1>, global_out = 10, boundary = periodic>]>>
}
)mlir";

TEST(CommunicationCosts, PeriodicHaloOnAMeshOfTwoAxes) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<QuiltDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kPeriodicHalo, &ctx);
  ASSERT_TRUE(module);
  auto func = *module->getOps<mlir::func::FuncOp>().begin();
  MeshOp mesh = *module->getOps<MeshOp>().begin();

  MeshGrid grid(mesh);
  EXPECT_EQ(grid.numRanks(), 6);
  EXPECT_EQ(grid.coords(3), (llvm::SmallVector<int64_t>{1, 1}));
  auto halo = llvm::cast<mlir::RankedTensorType>(func.getResultTypes()[0]);
  // Rank 5 is (2, 1): rows [7, 10) widened to [6, 11), columns [3, 5).
  EXPECT_EQ(grid.localExtents(halo, grid.coords(5)), (llvm::SmallVector<int64_t>{1, 5, 2}));

  auto costs = communicationCosts(func, mesh);
  ASSERT_TRUE(mlir::succeeded(costs));
  ASSERT_EQ(costs->size(), 1u);
  EXPECT_EQ((*costs)[0].kind, "halo_exchange");
  // Rows [0,4) [4,7) [7,10) need [-1,5) [3,8) [6,11): every rank sends one row
  // up and one down, row 9 wrapping to rank 0 and row 0 to rank 2. A row is
  // the rank's 3 or 2 columns (y = 0 or 1) of 4 bytes.
  EXPECT_EQ((*costs)[0].bytesSentPerRank, (llvm::SmallVector<uint64_t>{24, 16, 24, 16, 24, 16}));
  // Each rank copies its own rows (4, 3, 3 of them; 3 or 2 columns) into
  // the halo'd result.
  EXPECT_EQ((*costs)[0].bytesCopiedPerRank,
            (llvm::SmallVector<uint64_t>{48, 32, 36, 24, 36, 24}));
  // In one run per position of the dims before the rows: one.
  EXPECT_EQ((*costs)[0].copyRunsPerRank, (llvm::SmallVector<uint64_t>{1, 1, 1, 1, 1, 1}));
}

// What the runtime's collectives copy besides what they send: the
// all-reduce its input into its output only over a group of one (over more,
// the communicator reads the input in place); the all-to-all its whole
// input into the send buffer and its whole result out of the receive buffer.
constexpr const char *kCollectives = R"mlir(
quilt.mesh @mesh ["x" = 2, "y" = 1]
func.func @main(%x: tensor<1x4x?x7xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], ["x"], []]>>)
    -> tensor<1x4x9x?xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], [], ["x"]]>> {
  %alone = quilt.all_reduce %x on @mesh axes ["y"] kind = sum : tensor<1x4x?x7xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], ["x"], []]>>
  %s = quilt.all_reduce %alone on @mesh axes ["x"] kind = sum : tensor<1x4x?x7xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], ["x"], []]>>
  %t = quilt.all_to_all %s on @mesh axes ["x"] dim 2 to 3 : tensor<1x4x?x7xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], ["x"], []]>> -> tensor<1x4x9x?xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], [], ["x"]]>>
  return %t : tensor<1x4x9x?xf32, #quilt.local<@mesh, [1, 4, 9, 7], [[], [], [], ["x"]]>>
}
)mlir";

TEST(CommunicationCosts, CollectivesCountTheirLocalCopies) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<QuiltDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kCollectives, &ctx);
  ASSERT_TRUE(module);
  auto func = *module->getOps<mlir::func::FuncOp>().begin();
  auto costs = communicationCosts(func, *module->getOps<MeshOp>().begin());
  ASSERT_TRUE(mlir::succeeded(costs));
  ASSERT_EQ(costs->size(), 3u);
  // Rows 9 over 2 ranks: 5 and 4; x is 4 x rows x 7 floats.
  EXPECT_EQ((*costs)[0].kind, "all_reduce");
  EXPECT_EQ((*costs)[0].bytesCopiedPerRank, (llvm::SmallVector<uint64_t>{560, 448}));
  EXPECT_EQ((*costs)[1].kind, "all_reduce");
  EXPECT_EQ((*costs)[1].bytesCopiedPerRank, (llvm::SmallVector<uint64_t>{0, 0}));
  // Columns 7 over 2: 4 and 3; the result is 4 x 9 x columns floats.
  EXPECT_EQ((*costs)[2].kind, "all_to_all");
  EXPECT_EQ((*costs)[2].bytesCopiedPerRank,
            (llvm::SmallVector<uint64_t>{560 + 576, 448 + 432}));
  // Runs: the group-of-one all-reduce copies its input whole (1), the
  // other copies nothing (0). The all-to-all packs the input (1x4xrowsx7)
  // by blocks of its last dim: a run per row and channel, rows x 4 for each
  // of the 2 members; it unpacks the result (1x4x9xcolumns) by blocks of
  // rows: a run per channel, 4 for each member.
  EXPECT_EQ((*costs)[0].copyRunsPerRank, (llvm::SmallVector<uint64_t>{1, 1}));
  EXPECT_EQ((*costs)[1].copyRunsPerRank, (llvm::SmallVector<uint64_t>{0, 0}));
  EXPECT_EQ((*costs)[2].copyRunsPerRank,
            (llvm::SmallVector<uint64_t>{2 * 5 * 4 + 2 * 4, 2 * 4 * 4 + 2 * 4}));
  // The pack region: the all-reduces pack nothing; the all-to-all packs its
  // input (560 or 448 bytes), then its result at the next 256 bytes (576 or
  // 432): 768 + 576 and 512 + 432. The region is the most per rank.
  EXPECT_EQ((*costs)[0].packBytesPerRank, (llvm::SmallVector<uint64_t>{0, 0}));
  EXPECT_EQ((*costs)[1].packBytesPerRank, (llvm::SmallVector<uint64_t>{0, 0}));
  EXPECT_EQ((*costs)[2].packBytesPerRank, (llvm::SmallVector<uint64_t>{768 + 576, 512 + 432}));
  EXPECT_EQ(packScratchBytesPerRank(*costs, 2), (llvm::SmallVector<uint64_t>{1344, 944}));
  EXPECT_EQ(packRegionBytes(0, 96), 96u);
  EXPECT_EQ(packRegionBytes(48, 0), 48u);
  EXPECT_EQ(packRegionBytes(256, 8), 264u);
  EXPECT_EQ(packReceiveOffset(257), 512u);
}

} // namespace

// Nested owners (a dim over two mesh axes): every needed in-domain position
// arrives exactly once, from the owner that holds it.
TEST(HaloSegments, NestedOwnersDeliverEveryNeededPositionOnce) {
  for (int64_t n : {5, 11, 16})
    for (auto [major, minor] : {std::pair<int64_t, int64_t>{2, 2}, {3, 2}, {2, 3}})
      for (int64_t k : {1, 3, 5}) {
        Window w{1, 1, k, k / 2};
        HaloAxis axis{n, major * minor, w, n, HaloBoundary::Zero, {major, minor}};
        for (int64_t receiver = 0; receiver < axis.parts; ++receiver) {
          Range need = intersect(neededRange(axis, receiver), {0, n});
          std::vector<int> hits(n, 0);
          for (int64_t sender = 0; sender < axis.parts; ++sender)
            for (const HaloSegment &s : haloSegments(axis, sender, receiver)) {
              Range own = axis.ownBlock(sender);
              for (int64_t i = 0; i < s.length; ++i)
                ++hits[own.begin + s.srcBegin + i];
            }
          for (int64_t p = 0; p < n; ++p)
            EXPECT_EQ(hits[p], p >= need.begin && p < need.end ? 1 : 0)
                << "n=" << n << " " << major << "x" << minor << " k=" << k << " receiver "
                << receiver << " position " << p;
        }
      }
}

// What an owner keeps of its own block (the copy the cost model times) and
// what the others send it fill its halo'd range inside the domain: kept +
// received = the needed range, and kept = its block where the block lies
// inside that range (uneven blocks, windows wider than a block).
TEST(HaloSegments, KeptPlusReceivedIsTheNeededRange) {
  for (int64_t n : {5, 11, 16})
    for (int64_t parts : {2, 3, 4})
      for (int64_t k : {1, 3, 7}) {
        HaloAxis axis{n, parts, Window{1, 1, k, k / 2}, n, HaloBoundary::Zero, {parts}};
        for (int64_t owner = 0; owner < parts; ++owner) {
          Range need = intersect(neededRange(axis, owner), {0, n});
          int64_t received = 0;
          for (int64_t sender = 0; sender < parts; ++sender)
            received += haloPositionsSent(axis, sender, owner);
          EXPECT_EQ(haloPositionsKept(axis, owner) + received, need.size())
              << "n=" << n << " parts=" << parts << " k=" << k << " owner " << owner;
          EXPECT_EQ(haloPositionsKept(axis, owner), intersect(need, axis.ownBlock(owner)).size());
        }
      }
}

// A re-block (plain blocks to blocks of whole granules, back, or between two
// granules; one axis or nested over two): each owner's new block arrives
// exactly once, every position from the owner that held it (itself
// included), and haloPeers finds exactly the owners that send something.
TEST(HaloSegments, ReblockDeliversEachNewBlockFromItsOldOwners) {
  int moved = 0;
  for (int64_t n : {0, 12, 16, 24, 48})
    for (auto [from, to] : {std::pair<int64_t, int64_t>{1, 4}, {4, 1}, {2, 3}, {3, 2}, {1, 1}})
      for (std::vector<int64_t> levels : std::vector<std::vector<int64_t>>{
               {2}, {3}, {5}, {7}, {2, 2}, {3, 2}}) {
        if (n % from != 0 || n % to != 0)
          continue;
        HaloAxis axis = reblockAxis(n, levels, from, to);
        for (int64_t receiver = 0; receiver < axis.parts; ++receiver) {
          Range mine = axis.outBlock(receiver);
          std::vector<int> hits(n, 0);
          for (int64_t sender = 0; sender < axis.parts; ++sender) {
            Range own = axis.ownBlock(sender);
            for (const HaloSegment &s : haloSegments(axis, sender, receiver))
              for (int64_t i = 0; i < s.length; ++i) {
                int64_t p = own.begin + s.srcBegin + i;
                ++hits[p];
                EXPECT_EQ(p, mine.begin + s.dstBegin + i) << "lands where it belongs";
              }
            if (sender != receiver)
              moved += haloPositionsSent(axis, sender, receiver) > 0;
          }
          for (int64_t p = 0; p < n; ++p)
            EXPECT_EQ(hits[p], p >= mine.begin && p < mine.end ? 1 : 0)
                << "n=" << n << " granules " << from << "->" << to << " receiver " << receiver
                << " position " << p;
          EXPECT_TRUE(zeroPaddingRanges(axis, receiver).empty());
        }
        for (int64_t sender = 0; sender < axis.parts; ++sender) {
          std::vector<HaloPeer> peers = haloPeers(axis, sender);
          int64_t total = 0;
          for (const HaloPeer &peer : peers) {
            EXPECT_EQ(peer.positions, haloPositionsSent(axis, sender, peer.receiver));
            total += peer.positions;
          }
          EXPECT_EQ(total, haloPositionsSent(axis, sender));
        }
      }
  EXPECT_GT(moved, 0); // not vacuous: blocks do change owners
}

// haloPeers walks outward from the sender and stops early; it must find
// exactly the receivers (and positions) that asking every rank finds, for
// every boundary, uneven and empty blocks, wide windows and nested owners.
TEST(HaloPeers, EqualToAskingEveryRank) {
  int cases = 0;
  for (int64_t n : {1, 3, 7, 10, 16, 33})
    for (int64_t parts : {1, 2, 3, 5, 8, 12})
      for (int64_t k : {1, 3, 7})
        for (int64_t s : {1, 2})
          for (int64_t lo : {0, 1, 3})
            for (auto boundary : {HaloBoundary::Zero, HaloBoundary::Periodic,
                                  HaloBoundary::Reflect, HaloBoundary::Edge})
              for (bool nested : {false, true}) {
                int64_t out = (n + 2 * lo - k) / s + 1;
                if (out < 1 || (nested && parts % 2 != 0))
                  continue;
                Window w{s, 1, k, lo};
                Range all = neededInputRange(w, {0, out});
                if (boundary == HaloBoundary::Periodic && (all.begin < -n || all.end > 2 * n))
                  continue;
                if ((boundary == HaloBoundary::Reflect || boundary == HaloBoundary::Edge) &&
                    (all.begin < -(n - 1) || all.end > 2 * n - 1))
                  continue;
                HaloAxis axis{n, parts, w, out, boundary};
                if (nested)
                  axis.levels = {2, parts / 2};
                for (int64_t sender = 0; sender < parts; ++sender) {
                  std::map<int64_t, int64_t> expected, found;
                  for (int64_t q = 0; q < parts; ++q)
                    if (int64_t p = haloPositionsSent(axis, sender, q))
                      expected[q] = p;
                  for (const HaloPeer &peer : haloPeers(axis, sender))
                    found[peer.receiver] += peer.positions;
                  ASSERT_EQ(found, expected)
                      << "n " << n << " parts " << parts << " k " << k << " s " << s << " lo "
                      << lo << " boundary " << int(boundary) << " nested " << nested
                      << " sender " << sender;
                  // As receiver: haloPositionsReceived's closed form (the
                  // pack region's size) against every sender's segments.
                  int64_t received = 0;
                  for (int64_t q = 0; q < parts; ++q)
                    received += haloPositionsSent(axis, q, sender);
                  ASSERT_EQ(haloPositionsReceived(axis, sender), received)
                      << "n " << n << " parts " << parts << " k " << k << " s " << s << " lo "
                      << lo << " boundary " << int(boundary) << " nested " << nested
                      << " receiver " << sender;
                  ++cases;
                }
              }
  EXPECT_GT(cases, 1000);
}
