// The NCCL-over-MPI shim under a real MPI job, driven the way the NCCL
// communicator drives NCCL: a unique id broadcast over MPI, grouped sends and
// receives (a periodic ring halo, an uneven all-to-all, sends to self), row and
// column communicators split from a mesh, the collectives, and the error
// returns. Runs on any number of ranks; tests use EXPECT only, so every rank
// reaches every collective even after a failure.
#include <nccl.h>

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

extern "C" uint64_t quiltNcclShimMessages(void);

namespace {

int gRank = 0, gSize = 1;
ncclComm_t gWorld = nullptr;

// Rank 0 makes the id and broadcasts it, as an MPI-launched NCCL program does.
ncclUniqueId broadcastUniqueId(int root = 0) {
  ncclUniqueId id{};
  if (gRank == root)
    ncclGetUniqueId(&id);
  MPI_Bcast(&id, sizeof id, MPI_BYTE, root, MPI_COMM_WORLD);
  return id;
}

TEST(NcclShim, InitFromBroadcastUniqueId) {
  ncclComm_t comm = nullptr;
  ASSERT_EQ(ncclCommInitRank(&comm, gSize, broadcastUniqueId(), gRank), ncclSuccess);
  int count = -1, rank = -1, device = -1;
  ncclResult_t asyncError = ncclInternalError;
  EXPECT_EQ(ncclCommCount(comm, &count), ncclSuccess);
  EXPECT_EQ(ncclCommUserRank(comm, &rank), ncclSuccess);
  EXPECT_EQ(ncclCommCuDevice(comm, &device), ncclSuccess);
  EXPECT_EQ(ncclCommGetAsyncError(comm, &asyncError), ncclSuccess);
  EXPECT_EQ(count, gSize);
  EXPECT_EQ(rank, gRank);
  EXPECT_EQ(device, 0);
  EXPECT_EQ(asyncError, ncclSuccess);
  int version = 0;
  EXPECT_EQ(ncclGetVersion(&version), ncclSuccess);
  EXPECT_EQ(version, NCCL_VERSION_CODE);
  EXPECT_EQ(ncclCommFinalize(comm), ncclSuccess);
  EXPECT_EQ(ncclCommDestroy(comm), ncclSuccess);
}

TEST(NcclShim, ConcurrentInitsWithTwoIdsMakeTwoCommunicators) {
  // Even and odd world ranks, each with the id of its lowest member.
  ncclUniqueId even = broadcastUniqueId(0), odd = gSize > 1 ? broadcastUniqueId(1) : even;
  int parity = gRank % 2, members = (gSize + 1 - parity) / 2;
  ncclComm_t comm = nullptr;
  ASSERT_EQ(ncclCommInitRank(&comm, members, parity ? odd : even, gRank / 2), ncclSuccess);
  int count = -1, sum = 0, one = 1;
  EXPECT_EQ(ncclCommCount(comm, &count), ncclSuccess);
  EXPECT_EQ(count, members);
  EXPECT_EQ(ncclAllReduce(&one, &sum, 1, ncclInt32, ncclSum, comm, nullptr), ncclSuccess);
  EXPECT_EQ(sum, members);
  EXPECT_EQ(ncclCommDestroy(comm), ncclSuccess);
}

TEST(NcclShim, InitWithWrongRankCountFailsOnEveryRank) {
  ncclComm_t comm = nullptr;
  EXPECT_EQ(ncclCommInitRank(&comm, gSize + 1, broadcastUniqueId(), gRank), ncclInvalidArgument);
  EXPECT_EQ(comm, nullptr);
}

// A periodic halo of width 2 on a ring of blocks of 5: [lo halo | block | hi halo].
constexpr int kWidth = 2, kBlock = 5;

std::vector<float> ringBlock() {
  std::vector<float> x(kBlock + 2 * kWidth, -1.f);
  for (int i = 0; i < kBlock; ++i)
    x[kWidth + i] = float(gRank * kBlock + i);
  return x;
}

std::vector<float> expectedRingHalo() {
  std::vector<float> expected = ringBlock();
  int total = gSize * kBlock;
  for (int i = 0; i < kWidth; ++i) {
    expected[i] = float((gRank * kBlock - kWidth + i + total) % total);
    expected[kWidth + kBlock + i] = float(((gRank + 1) * kBlock + i) % total);
  }
  return expected;
}

TEST(NcclShim, PeriodicHaloOnRing) {
  // The k-th receive from a peer gets that peer's k-th send to this rank, so the
  // sends mirror the receives: the receive from the left pairs with the left
  // rank's send to the right. That still holds when left == right (P <= 2).
  int left = (gRank + gSize - 1) % gSize, right = (gRank + 1) % gSize;
  std::vector<float> x = ringBlock();
  uint64_t messagesBefore = quiltNcclShimMessages();
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  EXPECT_EQ(ncclRecv(x.data(), kWidth, ncclFloat32, left, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclRecv(x.data() + kWidth + kBlock, kWidth, ncclFloat32, right, gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(ncclSend(x.data() + kBlock, kWidth, ncclFloat32, right, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclSend(x.data() + kWidth, kWidth, ncclFloat32, left, gWorld, nullptr), ncclSuccess);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  EXPECT_EQ(x, expectedRingHalo()) << "rank " << gRank;
  EXPECT_EQ(quiltNcclShimMessages() - messagesBefore, 2u);
}

TEST(NcclShim, TwoMessagesToOnePeerArriveInIssueOrder) {
  // group{recv left, recv right, send left, send right}: with P <= 2 left and
  // right are one rank, and the two messages between them match in issue order,
  // so the low halo gets the neighbour's low end (as under NCCL): swapped halos.
  int left = (gRank + gSize - 1) % gSize, right = (gRank + 1) % gSize;
  std::vector<float> x = ringBlock();
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  ncclRecv(x.data(), kWidth, ncclFloat32, left, gWorld, nullptr);
  ncclRecv(x.data() + kWidth + kBlock, kWidth, ncclFloat32, right, gWorld, nullptr);
  ncclSend(x.data() + kWidth, kWidth, ncclFloat32, left, gWorld, nullptr);
  ncclSend(x.data() + kBlock, kWidth, ncclFloat32, right, gWorld, nullptr);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  std::vector<float> expected = expectedRingHalo();
  if (gSize <= 2) {
    for (int i = 0; i < kWidth; ++i)
      expected[i] = float(left * kBlock + i);
    for (int i = 0; i < kWidth; ++i)
      expected[kWidth + kBlock + i] = float(right * kBlock + kBlock - kWidth + i);
  }
  EXPECT_EQ(x, expected) << "rank " << gRank;
}

TEST(NcclShim, MeshRowAndColumnCommunicators) {
  // A row-major rows x cols mesh (2 x 2 on four ranks).
  int rows = gSize % 2 == 0 ? 2 : 1, cols = gSize / rows;
  int row = gRank / cols, col = gRank % cols;
  ncclComm_t rowComm = nullptr, colComm = nullptr;
  ASSERT_EQ(ncclCommSplit(gWorld, row, col, &rowComm, nullptr), ncclSuccess);
  ASSERT_EQ(ncclCommSplit(gWorld, col, row, &colComm, nullptr), ncclSuccess);
  int count = 0, rank = -1;
  EXPECT_EQ(ncclCommCount(rowComm, &count), ncclSuccess);
  EXPECT_EQ(ncclCommUserRank(rowComm, &rank), ncclSuccess);
  EXPECT_EQ(count, cols);
  EXPECT_EQ(rank, col);
  EXPECT_EQ(ncclCommCount(colComm, &count), ncclSuccess);
  EXPECT_EQ(ncclCommUserRank(colComm, &rank), ncclSuccess);
  EXPECT_EQ(count, rows);
  EXPECT_EQ(rank, row);

  std::vector<float> rowSum = {float(gRank), float(2 * gRank + 1)};
  EXPECT_EQ(ncclAllReduce(rowSum.data(), rowSum.data(), 2, ncclFloat32, ncclSum, rowComm, nullptr),
            ncclSuccess);
  float expectedSum = 0, expectedSum2 = 0;
  for (int c = 0; c < cols; ++c) {
    expectedSum += float(row * cols + c);
    expectedSum2 += float(2 * (row * cols + c) + 1);
  }
  EXPECT_EQ(rowSum, (std::vector<float>{expectedSum, expectedSum2}));

  int64_t mine = 100 - gRank, colMax = 0;
  EXPECT_EQ(ncclAllReduce(&mine, &colMax, 1, ncclInt64, ncclMax, colComm, nullptr), ncclSuccess);
  EXPECT_EQ(colMax, 100 - col); // row 0 holds the largest value
  double factor = 2.0, product = 0;
  EXPECT_EQ(ncclAllReduce(&factor, &product, 1, ncclFloat64, ncclProd, gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(product, double(1 << gSize));
  int32_t lowest = 0, rankValue = gRank + 7;
  EXPECT_EQ(ncclAllReduce(&rankValue, &lowest, 1, ncclInt32, ncclMin, gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(lowest, 7);
  EXPECT_EQ(ncclCommDestroy(rowComm), ncclSuccess);
  EXPECT_EQ(ncclCommDestroy(colComm), ncclSuccess);
}

TEST(NcclShim, SplitWithNoColorGivesNull) {
  ncclComm_t rest = nullptr;
  ASSERT_EQ(ncclCommSplit(gWorld, gRank == 0 ? NCCL_SPLIT_NOCOLOR : 3, -gRank, &rest, nullptr),
            ncclSuccess);
  if (gRank == 0) {
    EXPECT_EQ(rest, nullptr);
    return;
  }
  int count = 0, rank = -1;
  EXPECT_EQ(ncclCommCount(rest, &count), ncclSuccess);
  EXPECT_EQ(ncclCommUserRank(rest, &rank), ncclSuccess);
  EXPECT_EQ(count, gSize - 1);
  EXPECT_EQ(rank, gSize - 1 - gRank); // key -rank reverses the order
  EXPECT_EQ(ncclCommDestroy(rest), ncclSuccess);
}

TEST(NcclShim, AllGather) {
  std::vector<int64_t> mine = {gRank * 10, gRank * 10 + 1, gRank * 10 + 2}, expected;
  for (int r = 0; r < gSize; ++r)
    expected.insert(expected.end(), {r * 10, r * 10 + 1, r * 10 + 2});
  std::vector<int64_t> gathered(3 * gSize, -1);
  EXPECT_EQ(ncclAllGather(mine.data(), gathered.data(), 3, ncclInt64, gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(gathered, expected);
  std::vector<int64_t> inPlace(3 * gSize, -1);
  std::copy(mine.begin(), mine.end(), inPlace.begin() + 3 * gRank);
  EXPECT_EQ(
      ncclAllGather(inPlace.data() + 3 * gRank, inPlace.data(), 3, ncclInt64, gWorld, nullptr),
      ncclSuccess);
  EXPECT_EQ(inPlace, expected);
  std::vector<int8_t> bytes(gSize, 0);
  int8_t myByte = int8_t(gRank - 3);
  EXPECT_EQ(ncclAllGather(&myByte, bytes.data(), 1, ncclInt8, gWorld, nullptr), ncclSuccess);
  for (int r = 0; r < gSize; ++r)
    EXPECT_EQ(bytes[r], int8_t(r - 3));
}

TEST(NcclShim, ReduceScatter) {
  // Block b of rank r holds r + b + k; the sum over ranks lands on rank b.
  std::vector<double> input(2 * gSize);
  for (int b = 0; b < gSize; ++b)
    for (int k = 0; k < 2; ++k)
      input[2 * b + k] = gRank + b + k;
  auto expectedAt = [](int k) { return double(gSize * (gSize - 1) / 2 + gSize * (gRank + k)); };
  std::vector<double> out(2, -1);
  EXPECT_EQ(ncclReduceScatter(input.data(), out.data(), 2, ncclFloat64, ncclSum, gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(out, (std::vector<double>{expectedAt(0), expectedAt(1)}));
  EXPECT_EQ(ncclReduceScatter(input.data(), input.data() + 2 * gRank, 2, ncclFloat64, ncclSum,
                              gWorld, nullptr),
            ncclSuccess);
  EXPECT_EQ(input[2 * gRank], expectedAt(0));
  EXPECT_EQ(input[2 * gRank + 1], expectedAt(1));
}

TEST(NcclShim, BroadcastAndReduceFromEveryRoot) {
  for (int root = 0; root < gSize; ++root) {
    std::vector<int32_t> source = {root, -root, 42}, out(3, -1);
    EXPECT_EQ(ncclBroadcast(gRank == root ? source.data() : nullptr, out.data(), 3, ncclInt32, root,
                            gWorld, nullptr),
              ncclSuccess);
    EXPECT_EQ(out, source);
    std::vector<int32_t> inPlace = gRank == root ? source : std::vector<int32_t>(3, 0);
    EXPECT_EQ(ncclBroadcast(inPlace.data(), inPlace.data(), 3, ncclInt32, root, gWorld, nullptr),
              ncclSuccess);
    EXPECT_EQ(inPlace, source);

    float value = float(gRank * 3 % 5), largest = -1;
    EXPECT_EQ(ncclReduce(&value, gRank == root ? &largest : nullptr, 1, ncclFloat32, ncclMax, root,
                         gWorld, nullptr),
              ncclSuccess);
    float expected = 0;
    for (int r = 0; r < gSize; ++r)
      expected = std::max(expected, float(r * 3 % 5));
    if (gRank == root) {
      EXPECT_EQ(largest, expected);
    }
  }
}

TEST(NcclShim, AlltoAll) {
  // Block d of rank s is s * 100 + d * 10 + k.
  std::vector<int32_t> send(2 * gSize), expected(2 * gSize), out(2 * gSize, -1);
  for (int d = 0; d < gSize; ++d)
    for (int k = 0; k < 2; ++k) {
      send[2 * d + k] = gRank * 100 + d * 10 + k;
      expected[2 * d + k] = d * 100 + gRank * 10 + k;
    }
  EXPECT_EQ(ncclAlltoAll(send.data(), out.data(), 2, ncclInt32, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(ncclAlltoAll(send.data(), send.data(), 2, ncclInt32, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(send, expected);
}

TEST(NcclShim, UnevenGroupedAllToAll) {
  // Rank s sends 1 + s + 2d values to rank d, itself included.
  auto countFrom = [](int s, int d) { return size_t(1 + s + 2 * d); };
  std::vector<std::vector<double>> outgoing(gSize), incoming(gSize);
  for (int p = 0; p < gSize; ++p) {
    for (size_t k = 0; k < countFrom(gRank, p); ++k)
      outgoing[p].push_back(gRank * 1000 + p * 100 + double(k));
    incoming[p].assign(countFrom(p, gRank), -1);
  }
  uint64_t messagesBefore = quiltNcclShimMessages();
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  for (int p = 0; p < gSize; ++p)
    EXPECT_EQ(ncclRecv(incoming[p].data(), incoming[p].size(), ncclFloat64, p, gWorld, nullptr),
              ncclSuccess);
  for (int p = 0; p < gSize; ++p)
    EXPECT_EQ(ncclSend(outgoing[p].data(), outgoing[p].size(), ncclFloat64, p, gWorld, nullptr),
              ncclSuccess);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  EXPECT_EQ(quiltNcclShimMessages() - messagesBefore, uint64_t(gSize));
  for (int p = 0; p < gSize; ++p)
    for (size_t k = 0; k < incoming[p].size(); ++k)
      EXPECT_EQ(incoming[p][k], p * 1000 + gRank * 100 + double(k)) << "from " << p;
}

TEST(NcclShim, SelfSendsMatchSelfReceivesInOrder) {
  std::vector<uint8_t> first = {1, 2, 3}, second = {4, 5}, gotFirst(3, 0), gotSecond(2, 0);
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  EXPECT_EQ(ncclSend(first.data(), 3, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclRecv(gotFirst.data(), 3, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclSend(second.data(), 2, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclSend(nullptr, 0, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclRecv(gotSecond.data(), 2, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclRecv(nullptr, 0, ncclUint8, gRank, gWorld, nullptr), ncclSuccess);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  EXPECT_EQ(gotFirst, first);
  EXPECT_EQ(gotSecond, second);
}

TEST(NcclShim, NestedGroupsRunAtTheOutermostEnd) {
  int right = (gRank + 1) % gSize, left = (gRank + gSize - 1) % gSize;
  int32_t mine = gRank, fromLeft = -1, total = 0;
  uint64_t messagesBefore = quiltNcclShimMessages();
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  EXPECT_EQ(ncclSend(&mine, 1, ncclInt32, right, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclAllReduce(&mine, &total, 1, ncclInt32, ncclSum, gWorld, nullptr), ncclSuccess);
  EXPECT_EQ(ncclRecv(&fromLeft, 1, ncclInt32, left, gWorld, nullptr), ncclSuccess);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  EXPECT_EQ(fromLeft, -1); // still queued
  EXPECT_EQ(total, 0);
  EXPECT_EQ(quiltNcclShimMessages(), messagesBefore);
  ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  EXPECT_EQ(fromLeft, left);
  EXPECT_EQ(total, gSize * (gSize - 1) / 2);
  EXPECT_EQ(quiltNcclShimMessages() - messagesBefore, 1u);
}

TEST(NcclShim, GroupedSendProgressesWhileItsRankRunsACollective) {
  // Rank 1 fuses a large send (past MPI's eager limit) with an all-reduce;
  // rank 0 receives before it joins the all-reduce. NCCL runs both at once; the
  // shim posts the send before the collective starts, so it completes too.
  if (gSize < 2)
    return;
  std::vector<float> big(1 << 18, float(gRank));
  int32_t one = 1, sum = 0;
  if (gRank == 1) {
    ASSERT_EQ(ncclGroupStart(), ncclSuccess);
    EXPECT_EQ(ncclSend(big.data(), big.size(), ncclFloat32, 0, gWorld, nullptr), ncclSuccess);
  } else if (gRank == 0) {
    EXPECT_EQ(ncclRecv(big.data(), big.size(), ncclFloat32, 1, gWorld, nullptr), ncclSuccess);
  }
  EXPECT_EQ(ncclAllReduce(&one, &sum, 1, ncclInt32, ncclSum, gWorld, nullptr), ncclSuccess);
  if (gRank == 1) {
    ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
  }
  EXPECT_EQ(sum, gSize);
  EXPECT_EQ(big.front(), gRank == 0 ? 1.f : float(gRank));
  EXPECT_EQ(big.back(), gRank == 0 ? 1.f : float(gRank));
}

TEST(NcclShim, ErrorReturns) {
  float x[4] = {};
  EXPECT_EQ(ncclSend(x, 1, ncclFloat32, 0, nullptr, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclAllReduce(x, x, 1, ncclFloat32, ncclSum, nullptr, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclCommSplit(nullptr, 0, 0, nullptr, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclCommDestroy(nullptr), ncclInvalidArgument);
  int count = 0;
  EXPECT_EQ(ncclCommCount(nullptr, &count), ncclInvalidArgument);
  EXPECT_EQ(ncclAllReduce(x, x, 1, ncclFloat16, ncclSum, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclAllGather(x, x, 1, ncclUint64, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclAllReduce(x, x, 1, ncclFloat32, ncclAvg, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclSend(x, 1, ncclFloat32, gSize, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclRecv(x, 1, ncclFloat32, -1, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclRecv(nullptr, 2, ncclFloat32, 0, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclBroadcast(x, x, 1, ncclFloat32, gSize, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_STRNE(ncclGetLastError(gWorld), "");
  EXPECT_EQ(ncclGroupEnd(), ncclInvalidUsage);
  EXPECT_STREQ(ncclGetErrorString(ncclInvalidUsage), "invalid usage");
  // A rejected call inside a group is not queued: the group still completes.
  ASSERT_EQ(ncclGroupStart(), ncclSuccess);
  EXPECT_EQ(ncclSend(x, 1, ncclFloat32, gSize, gWorld, nullptr), ncclInvalidArgument);
  EXPECT_EQ(ncclGroupEnd(), ncclSuccess);
}

/// On ranks other than 0: print only failed assertions, tagged with the rank.
class RankFailurePrinter : public testing::EmptyTestEventListener {
  void OnTestPartResult(const testing::TestPartResult &r) override {
    if (r.failed())
      std::fprintf(stderr, "rank %d: %s:%d: %s\n", gRank, r.file_name() ? r.file_name() : "?",
                   r.line_number(), r.summary());
  }
};

} // namespace

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &gRank);
  MPI_Comm_size(MPI_COMM_WORLD, &gSize);
  if (ncclCommInitRank(&gWorld, gSize, broadcastUniqueId(), gRank) != ncclSuccess) {
    std::fprintf(stderr, "rank %d: ncclCommInitRank failed: %s\n", gRank,
                 ncclGetLastError(nullptr));
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  testing::InitGoogleTest(&argc, argv);
  testing::TestEventListeners &listeners = testing::UnitTest::GetInstance()->listeners();
  if (gRank != 0) { // one full report, from rank 0
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter);
  }
  int failed = RUN_ALL_TESTS();
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (failed && gRank == 0)
    std::fprintf(stderr, "some rank failed a test\n");
  ncclCommDestroy(gWorld);
  MPI_Finalize();
  return failed ? 1 : 0;
}
