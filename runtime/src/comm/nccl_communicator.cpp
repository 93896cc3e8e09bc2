// The NCCL implementation of quilt::Communicator: tensor data stays in
// device memory and moves by NCCL on the device's communication stream; MPI
// (the bootstrap communicator) only spreads the unique id and runs the job.
//
// Rules from NCCL's users' failures (../shared/research/cuda-backend.md, 6):
// every exchange is one group on every rank (ungrouped send/recv pairs
// deadlock); one communication stream and program order for every call, so
// the ranks of a group issue the same collectives in the same order; group
// communicators are split in program order too (ncclCommSplit is collective
// over the world). Same-peer messages of a group match in issue order, so
// messages are issued in tag order per peer.
//
// Bytes are counted with quilt/comm_bytes.h exactly as the MPI communicator
// counts them, so --report is identical on both.
#include "nccl_communicator.h"
#include "error.h"
#include "quilt/comm_bytes.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace quilt {
namespace {

void check(ncclResult_t result, const char *what) {
  if (result != ncclSuccess)
    raise("NCCL ", what, ": ", ncclGetErrorString(result),
          result == ncclUnhandledCudaError || result == ncclSystemError
              ? std::string(" (") + ncclGetLastError(nullptr) + ")"
              : std::string());
}

ncclDataType_t ncclType(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return ncclFloat32;
  case ElemType::F64:
    return ncclFloat64;
  case ElemType::I64:
    return ncclInt64;
  }
  raise("unknown element type");
}

ncclRedOp_t ncclOp(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return ncclSum;
  case ReduceOp::Max:
    return ncclMax;
  case ReduceOp::Min:
    return ncclMin;
  case ReduceOp::Prod:
    return ncclProd;
  case ReduceOp::Moments:
    break; // gathered and merged: see allReduce
  }
  raise("unknown reduction");
}

/// One ncclGroupStart/End around a scope; the end's error is reported.
class Group {
public:
  Group() { check(ncclGroupStart(), "group start"); }
  void end() {
    ended_ = true;
    check(ncclGroupEnd(), "group end");
  }
  ~Group() {
    if (!ended_)
      ncclGroupEnd();
  }

private:
  bool ended_ = false;
};

class NcclCommunicator final : public Communicator {
public:
  NcclCommunicator(Communicator &bootstrap, Device &device, cudaStream_t stream)
      : bootstrap_(bootstrap), device_(device), stream_(stream) {}

  ~NcclCommunicator() override { destroyComms(); }

  int rank() const override { return bootstrap_.rank(); }
  int size() const override { return bootstrap_.size(); }
  int localSize() const override { return bootstrap_.localSize(); }
  int localRank() const override { return bootstrap_.localRank(); }

  void setMesh(const std::vector<int64_t> &axisSizes) override {
    destroyComms();
    mesh_ = axisSizes;
    ncclUniqueId id{};
    if (rank() == 0)
      check(ncclGetUniqueId(&id), "unique id");
    bootstrap_.broadcastHost(&id, sizeof(id), 0);
    check(ncclCommInitRank(&world_, size(), id, rank()), "communicator init");
    // Every group of mesh axes in mesh order (what all-reduces and
    // all-gathers use), split now, in the same order on every rank; a group
    // whose axes a collective lists in another order is split at first use,
    // in program order (the same on every rank too).
    for (AxisMask mask = 1; mask < (AxisMask(1) << mesh_.size()); ++mask)
      group(axesOf(mask, mesh_.size()));
  }

  void exchange(const std::vector<Message> &sends, const std::vector<Message> &recvs) override {
    std::vector<Message> out = inIssueOrder(sends), in = inIssueOrder(recvs);
    for (const Message &m : out)
      expectDeviceMemory(m.data, m.bytes, "send");
    for (const Message &m : in)
      expectDeviceMemory(m.data, m.bytes, "recv");
    Group group;
    for (const Message &m : in)
      check(ncclRecv(m.data, m.bytes, ncclInt8, m.peer, world(), stream_), "recv");
    for (const Message &m : out) {
      check(ncclSend(m.data, m.bytes, ncclInt8, m.peer, world(), stream_), "send");
      bytesSent_ += m.bytes;
    }
    group.end();
  }

  void allReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp op,
                 AxisMask axes, CollectiveAlgorithm algorithm) override {
    expectLibrary(algorithm);
    ncclComm_t comm = group(axes);
    int members = 0;
    check(ncclCommCount(comm, &members), "count");
    expectDeviceMemory(send, count * elemBytes(type), "all-reduce");
    expectDeviceMemory(recv, count * elemBytes(type), "all-reduce");
    if (op == ReduceOp::Moments) {
      if (type != ElemType::F32 || count % 3 != 0)
        raise("a moments all-reduce needs float triples, got ", count, " values");
      // NCCL has no user-defined reductions: gather every member's triples,
      // then merge them in member order on the device (the same bits on
      // every rank).
      gathered_.reserve(device_, count * members * sizeof(float));
      check(ncclAllGather(send, gathered_.data(), count, ncclFloat32, comm, stream_),
            "all-gather of moments");
      device_.computeAfterComm();
      device_.launch(MergeMomentsKernel{gathered_.floats(), static_cast<float *>(recv),
                                        static_cast<int64_t>(count / 3), members});
      device_.commAfterCompute();
    } else {
      check(ncclAllReduce(send, recv, count, ncclType(type), ncclOp(op), comm, stream_),
            "all-reduce");
    }
    bytesSent_ += ringAllReduceBytes(count * elemBytes(type), members);
  }

  void allGather(const void *send, size_t sendBytes, void *recv,
                 const std::vector<size_t> &recvBytes, int axis,
                 CollectiveAlgorithm algorithm) override {
    expectLibrary(algorithm);
    ncclComm_t comm = group(AxisList{axis});
    int members = 0, me = 0;
    check(ncclCommCount(comm, &members), "count");
    check(ncclCommUserRank(comm, &me), "rank");
    if (static_cast<size_t>(members) != recvBytes.size())
      raise("all-gather over ", members, " ranks given ", recvBytes.size(), " block sizes");
    size_t total = 0;
    for (size_t b : recvBytes)
      total += b;
    expectDeviceMemory(send, sendBytes, "all-gather");
    expectDeviceMemory(recv, total, "all-gather");
    bool equal = std::all_of(recvBytes.begin(), recvBytes.end(),
                             [&](size_t b) { return b == recvBytes[0]; });
    if (equal) {
      check(ncclAllGather(send, recv, sendBytes, ncclInt8, comm, stream_), "all-gather");
    } else {
      // Uneven blocks: every member sends its block to each other member
      // (ncclAllGather wants equal counts).
      Group group;
      size_t offset = 0;
      for (int c = 0; c < members; ++c) {
        char *at = static_cast<char *>(recv) + offset;
        if (c != me) {
          check(ncclRecv(at, recvBytes[c], ncclInt8, c, comm, stream_), "recv");
          check(ncclSend(send, sendBytes, ncclInt8, c, comm, stream_), "send");
        }
        offset += recvBytes[c];
      }
      group.end();
      size_t own = 0;
      for (int c = 0; c < me; ++c)
        own += recvBytes[c];
      device_.computeAfterComm();
      device_.copy(static_cast<char *>(recv) + own, send, sendBytes, CopyKind::DeviceToDevice);
      device_.commAfterCompute();
    }
    bytesSent_ += ringAllGatherBytes(total, sendBytes);
  }

  void allToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                const std::vector<size_t> &recvBytes, const AxisList &axes,
                CollectiveAlgorithm algorithm) override {
    expectLibrary(algorithm);
    ncclComm_t comm = group(axes);
    int members = 0, me = 0;
    check(ncclCommCount(comm, &members), "count");
    check(ncclCommUserRank(comm, &me), "rank");
    if (static_cast<size_t>(members) != sendBytes.size() ||
        static_cast<size_t>(members) != recvBytes.size())
      raise("all-to-all over ", members, " ranks given ", sendBytes.size(), " and ",
            recvBytes.size(), " block sizes");
    size_t sendTotal = 0, recvTotal = 0;
    for (int c = 0; c < members; ++c) {
      sendTotal += sendBytes[c];
      recvTotal += recvBytes[c];
    }
    expectDeviceMemory(send, sendTotal, "all-to-all");
    expectDeviceMemory(recv, recvTotal, "all-to-all");
    // Grouped send/recv (uneven blocks; what XLA and cuDecomp do); the own
    // block is a device copy.
    Group group;
    size_t sendOffset = 0, recvOffset = 0, ownSend = 0, ownRecv = 0, sent = 0;
    for (int c = 0; c < members; ++c) {
      if (c == me) {
        ownSend = sendOffset;
        ownRecv = recvOffset;
      } else {
        check(ncclRecv(static_cast<char *>(recv) + recvOffset, recvBytes[c], ncclInt8, c, comm,
                       stream_),
              "recv");
        check(ncclSend(static_cast<const char *>(send) + sendOffset, sendBytes[c], ncclInt8, c,
                       comm, stream_),
              "send");
        sent += sendBytes[c];
      }
      sendOffset += sendBytes[c];
      recvOffset += recvBytes[c];
    }
    group.end();
    if (sendBytes[me] != recvBytes[me])
      raise("all-to-all: this rank sends itself ", sendBytes[me], " bytes but expects ",
            recvBytes[me]);
    device_.computeAfterComm();
    device_.copy(static_cast<char *>(recv) + ownRecv, static_cast<const char *>(send) + ownSend,
                 sendBytes[me], CopyKind::DeviceToDevice);
    device_.commAfterCompute();
    bytesSent_ += sent;
  }

  void reduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                     const AxisList &axes, CollectiveAlgorithm algorithm) override {
    expectLibrary(algorithm);
    ncclComm_t comm = group(axes);
    int members = 0, me = 0;
    check(ncclCommCount(comm, &members), "count");
    check(ncclCommUserRank(comm, &me), "rank");
    if (static_cast<size_t>(members) != counts.size())
      raise("reduce-scatter over ", members, " ranks given ", counts.size(), " block sizes");
    size_t total = 0;
    for (size_t c : counts)
      total += c;
    expectDeviceMemory(send, total * sizeof(float), "reduce-scatter");
    expectDeviceMemory(recv, counts[me] * sizeof(float), "reduce-scatter");
    bool equal =
        std::all_of(counts.begin(), counts.end(), [&](size_t c) { return c == counts[0]; });
    if (equal) {
      check(ncclReduceScatter(send, recv, counts[0], ncclFloat32, ncclSum, comm, stream_),
            "reduce-scatter");
    } else {
      // ncclReduceScatter is MPI_Reduce_scatter_block (equal counts): one
      // reduce per member, rooted at it, fused in one group.
      Group group;
      size_t offset = 0;
      for (int c = 0; c < members; ++c) {
        check(ncclReduce(send + offset, c == me ? recv : nullptr, counts[c], ncclFloat32, ncclSum,
                         c, comm, stream_),
              "reduce");
        offset += counts[c];
      }
      group.end();
    }
    bytesSent_ += ringAllGatherBytes(total * sizeof(float), counts[me] * sizeof(float));
  }

  void barrier() override {
    device_.synchronize();
    bootstrap_.barrier();
  }

  void broadcastHost(void *data, size_t bytes, int root) override {
    bootstrap_.broadcastHost(data, bytes, root);
  }

  uint64_t bytesSent() const override { return bytesSent_; }

  [[noreturn]] void abort(int exitCode) override {
    if (world_)
      ncclCommAbort(world_);
    world_ = nullptr;
    bootstrap_.abort(exitCode);
    std::abort(); // not reached: the bootstrap's abort ends the job
  }

private:
  /// Quilt's own schedules run on host memory through MPI; here NCCL picks
  /// the algorithm.
  static void expectLibrary(CollectiveAlgorithm algorithm) {
    if (algorithm != CollectiveAlgorithm::Library)
      raise("the NCCL communicator runs collectives as NCCL's tuner chooses; the plan names ",
            collectiveAlgorithmName(algorithm),
            " (compile with --target=cpu to run Quilt's own schedules)");
  }

  /// NCCL reads and writes device memory only.
  void expectDeviceMemory(const void *p, size_t bytes, const char *what) const {
    if (bytes && !device_.isDeviceMemory(p, bytes))
      raise("NCCL ", what, ": a buffer of ", bytes, " bytes is not ", device_.name(), " memory");
  }

  ncclComm_t world() const {
    if (!world_)
      raise("the NCCL communicator has no mesh yet");
    return world_;
  }

  ncclComm_t group(AxisMask axes) {
    if (axes == kAllRanks)
      return world();
    return group(axesOf(axes, mesh_.size()));
  }

  /// The groups in mesh order are split by setMesh; others on first use
  /// (every rank reaches the same collectives in the same order, so the
  /// splits are collective in order).
  ncclComm_t group(const AxisList &axes) {
    auto found = groups_.find(axes);
    if (found != groups_.end())
      return found->second;
    GroupSplit split = groupSplit(mesh_, rank(), axes);
    ncclComm_t comm = nullptr;
    check(ncclCommSplit(world(), split.color, split.key, &comm, nullptr), "communicator split");
    groups_[axes] = comm;
    return comm;
  }

  /// Messages per peer in tag order (NCCL matches same-peer messages of a
  /// group in issue order; MPI matches by tag).
  static std::vector<Message> inIssueOrder(std::vector<Message> messages) {
    std::stable_sort(messages.begin(), messages.end(), [](const Message &a, const Message &b) {
      return a.peer != b.peer ? a.peer < b.peer : a.tag < b.tag;
    });
    return messages;
  }

  void destroyComms() {
    for (auto &entry : groups_)
      ncclCommDestroy(entry.second);
    groups_.clear();
    if (world_)
      ncclCommDestroy(world_);
    world_ = nullptr;
  }

  Communicator &bootstrap_;
  Device &device_;
  cudaStream_t stream_;
  std::vector<int64_t> mesh_;
  ncclComm_t world_ = nullptr;
  std::map<AxisList, ncclComm_t> groups_;
  DeviceBuffer gathered_;
  uint64_t bytesSent_ = 0;
};

} // namespace

std::unique_ptr<Communicator> createNcclCommunicator(Communicator &bootstrap, Device &device,
                                                     cudaStream_t stream) {
  return std::make_unique<NcclCommunicator>(bootstrap, device, stream);
}

} // namespace quilt
