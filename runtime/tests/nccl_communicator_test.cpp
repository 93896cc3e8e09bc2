// The NCCL communicator (on the NCCL-over-MPI shim and the emulated CUDA
// device) against the MPI communicator, under mpirun: the same messages and
// collectives on the same data give the same results and count the same
// bytes. Uneven blocks everywhere; on 2 ranks both halo neighbours are one
// peer (two messages to it, matched in order).
#include "communicator.h"
#include "emulated_cuda_device.h"
#include "error.h"
#include "nccl_communicator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace quilt::test {
namespace {

Communicator *gMpi = nullptr;

/// Runs `body(comm, device)` once on the MPI communicator over host memory
/// and once on the NCCL one over the emulated device; `body` returns what
/// it received (host copies) so the two runs can be compared.
template <class Body> void expectSameOnBoth(Body body) {
  std::vector<int64_t> mesh{gMpi->size()};
  if (gMpi->size() == 4)
    mesh = {2, 2};
  gMpi->setMesh(mesh);
  uint64_t mpiBefore = gMpi->bytesSent();
  std::vector<float> viaMpi = body(*gMpi, hostDevice());
  uint64_t mpiBytes = gMpi->bytesSent() - mpiBefore;

  EmulatedCudaDevice device;
  std::unique_ptr<Communicator> nccl = createNcclCommunicator(*gMpi, device, nullptr);
  nccl->setMesh(mesh);
  std::vector<float> viaNccl = body(*nccl, device);
  // Equal up to the order of a floating-point merge (MPI reduces moments in
  // its tree's order, the NCCL communicator in member order).
  ASSERT_EQ(viaNccl.size(), viaMpi.size());
  for (size_t i = 0; i < viaMpi.size(); ++i)
    EXPECT_NEAR(viaNccl[i], viaMpi[i], 1e-6 * std::max(1.f, std::fabs(viaMpi[i]))) << "value " << i;
  EXPECT_EQ(nccl->bytesSent(), mpiBytes);
}

/// Host data in `device` memory, and back.
struct Staged {
  Staged(Device &device, const std::vector<float> &host) : device(device), memory(device, host.size() * 4 + 4) {
    device.copy(memory.data(), host.data(), host.size() * 4, CopyKind::HostToDevice);
  }
  std::vector<float> read(size_t count) {
    std::vector<float> host(count);
    device.copy(host.data(), memory.data(), count * 4, CopyKind::DeviceToHost);
    return host;
  }
  Device &device;
  DeviceBuffer memory;
};

std::vector<float> iota(size_t n, float base) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = base + float(i);
  return v;
}

TEST(NcclCommunicator, RingExchangeWithTwoMessagesPerNeighbour) {
  expectSameOnBoth([](Communicator &comm, Device &device) {
    int p = comm.size(), me = comm.rank(), left = (me + p - 1) % p, right = (me + 1) % p;
    // To each neighbour: a message of me+1 floats and one of 2 floats, tags 0
    // and 1; on 2 ranks the neighbours are one peer, which gets four.
    Staged send(device, iota(16, 100.f * me)), recv(device, std::vector<float>(16, -1.f));
    float *s = send.memory.floats(), *r = recv.memory.floats();
    auto n = [](int rank) { return size_t(rank + 1) * 4; };
    std::vector<Message> sends{{left, s, n(me), 0}, {left, s + 4, 8, 1},
                               {right, s + 6, n(me), p == 2 ? 2 : 0},
                               {right, s + 10, 8, p == 2 ? 3 : 1}};
    std::vector<Message> recvs{{right, r, n(right), 0}, {right, r + 4, 8, 1},
                               {left, r + 6, n(left), p == 2 ? 2 : 0},
                               {left, r + 10, 8, p == 2 ? 3 : 1}};
    if (p == 1)
      return std::vector<float>{};
    comm.exchange(sends, recvs);
    return recv.read(16);
  });
}

TEST(NcclCommunicator, AllReduceSumAndMomentsPerAxisGroup) {
  for (AxisMask axes : {AxisMask(1), kAllRanks})
    expectSameOnBoth([&](Communicator &comm, Device &device) {
      Staged sum(device, iota(5, float(comm.rank())));
      comm.allReduceInPlace(sum.memory.data(), 5, ElemType::F32, ReduceOp::Sum, axes);
      // (count, mean, M2) triples, one empty member.
      float count = comm.rank() == 1 ? 0.f : float(comm.rank() + 2);
      Staged moments(device, {count, 1.5f * comm.rank(), 0.25f * comm.rank(), 3.f, 2.f, 1.f});
      comm.allReduceInPlace(moments.memory.data(), 6, ElemType::F32, ReduceOp::Moments, axes);
      std::vector<float> out = sum.read(5), m = moments.read(6);
      out.insert(out.end(), m.begin(), m.end());
      return out;
    });
}

TEST(NcclCommunicator, UnevenAllGatherAllToAllReduceScatter) {
  expectSameOnBoth([](Communicator &comm, Device &device) {
    int p = comm.size(), me = comm.rank();
    std::vector<float> out;
    // All-gather over the whole job (axis 0 of a 1-D mesh, or the 2x2's x):
    // member c brings c + 1 floats.
    int axis = 0;
    int64_t members = p == 4 ? 2 : p, coord = p == 4 ? me / 2 : me;
    std::vector<size_t> blocks;
    size_t total = 0;
    for (int64_t c = 0; c < members; ++c) {
      blocks.push_back((c + 1) * 4);
      total += blocks.back();
    }
    Staged own(device, iota(coord + 1, 10.f * me)), all(device, std::vector<float>(total / 4));
    comm.allGather(own.memory.data(), blocks[coord], all.memory.data(), blocks, axis);
    out = all.read(total / 4);
    // All-to-all over every axis: c + me + 1 floats to member c.
    AxisList every = p == 4 ? AxisList{0, 1} : AxisList{0};
    std::vector<size_t> sendBytes, recvBytes;
    size_t sendTotal = 0, recvTotal = 0;
    for (int c = 0; c < p; ++c) {
      sendBytes.push_back(size_t(c + me + 1) * 4);
      recvBytes.push_back(size_t(me + c + 1) * 4);
      sendTotal += sendBytes.back();
      recvTotal += recvBytes.back();
    }
    Staged a2aSend(device, iota(sendTotal / 4, 100.f * me)),
        a2aRecv(device, std::vector<float>(recvTotal / 4));
    comm.allToAll(a2aSend.memory.data(), sendBytes, a2aRecv.memory.data(), recvBytes, every);
    std::vector<float> got = a2aRecv.read(recvTotal / 4);
    out.insert(out.end(), got.begin(), got.end());
    // Reduce-scatter: member c keeps c + 2 floats of the sum.
    std::vector<size_t> counts;
    size_t sum = 0;
    for (int c = 0; c < p; ++c) {
      counts.push_back(c + 2);
      sum += c + 2;
    }
    Staged rsSend(device, iota(sum, float(me))), rsRecv(device, std::vector<float>(me + 2));
    comm.reduceScatter(rsSend.memory.floats(), rsRecv.memory.floats(), counts, every);
    got = rsRecv.read(me + 2);
    out.insert(out.end(), got.begin(), got.end());
    return out;
  });
}

/// Quilt's own schedules run on host memory over MPI; NCCL picks its own.
TEST(NcclCommunicator, RefusesQuiltsOwnSchedules) {
  gMpi->setMesh({gMpi->size()});
  EmulatedCudaDevice device;
  std::unique_ptr<Communicator> nccl = createNcclCommunicator(*gMpi, device, nullptr);
  nccl->setMesh({gMpi->size()});
  Staged data(device, iota(4, 0.f));
  try {
    nccl->allReduceInPlace(data.memory.data(), 4, ElemType::F32, ReduceOp::Sum, kAllRanks,
                    CollectiveAlgorithm::Ring);
    ADD_FAILURE() << "the NCCL communicator ran a ring all-reduce";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()),
              "the NCCL communicator runs collectives as NCCL's tuner chooses; the plan names "
              "ring (compile with --target=cpu to run Quilt's own schedules)");
  }
}

class RankFailurePrinter : public testing::EmptyTestEventListener {
  void OnTestPartResult(const testing::TestPartResult &r) override {
    if (r.failed())
      std::fprintf(stderr, "rank %d: %s:%d: %s\n", gMpi->rank(),
                   r.file_name() ? r.file_name() : "?", r.line_number(), r.summary());
  }
};

} // namespace
} // namespace quilt::test

int main(int argc, char **argv) {
  std::unique_ptr<quilt::Communicator> comm = quilt::createMpiCommunicator(&argc, &argv);
  quilt::test::gMpi = comm.get();
  testing::InitGoogleTest(&argc, argv);
  testing::TestEventListeners &listeners = testing::UnitTest::GetInstance()->listeners();
  if (comm->rank() != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new quilt::test::RankFailurePrinter);
  }
  int64_t failed = RUN_ALL_TESTS();
  comm->allReduceInPlace(&failed, 1, quilt::ElemType::I64, quilt::ReduceOp::Max, quilt::kAllRanks);
  return failed ? 1 : 0;
}
