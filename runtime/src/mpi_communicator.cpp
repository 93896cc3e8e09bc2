// The MPI implementation of quilt::Communicator: with mpi_peer_group.h, the
// only code that calls MPI.
#include "collective_schedules.h"
#include "communicator.h"
#include "error.h"
#include "mpi_peer_group.h"
#include "quilt/comm_bytes.h"
#include "moments.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <map>
#include <numeric>

namespace quilt {
namespace {

MPI_Datatype mpiType(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return MPI_FLOAT;
  case ElemType::F64:
    return MPI_DOUBLE;
  case ElemType::I64:
    return MPI_INT64_T;
  }
  raise("unknown element type");
}

MPI_Op mpiOp(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return MPI_SUM;
  case ReduceOp::Max:
    return MPI_MAX;
  case ReduceOp::Min:
    return MPI_MIN;
  case ReduceOp::Prod:
    return MPI_PROD;
  case ReduceOp::Moments:
    break; // needs its own datatype: see MpiCommunicator::allReduce
  }
  raise("unknown reduction");
}

/// MPI_User_function over triples of floats (the datatype is 3 contiguous floats).
void mergeMomentsOp(void *in, void *inout, int *len, MPI_Datatype *) {
  const float *a = static_cast<const float *>(in);
  float *b = static_cast<float *>(inout);
  for (int i = 0; i < *len; ++i)
    mergeMoments(b + 3 * i, a + 3 * i);
}

uint64_t sum(const std::vector<size_t> &values) {
  return std::accumulate(values.begin(), values.end(), uint64_t(0));
}

int checkedInt(size_t value, const char *what) {
  if (value > static_cast<size_t>(INT_MAX))
    raise(what, " of ", value, " bytes exceeds what one MPI call can move");
  return static_cast<int>(value);
}

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator(int *argc, char ***argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      MPI_Init(argc, argv);
      ownsMpi_ = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  ~MpiCommunicator() override {
    if (momentsType_ != MPI_DATATYPE_NULL) {
      MPI_Type_free(&momentsType_);
      MPI_Op_free(&momentsOp_);
    }
    for (auto &entry : groups_)
      MPI_Comm_free(&entry.second);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (ownsMpi_ && !finalized)
      MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int localSize() const override { return nodeQuery(MPI_Comm_size); }
  int localRank() const override { return nodeQuery(MPI_Comm_rank); }

  void setMesh(const std::vector<int64_t> &axisSizes) override {
    int64_t product = 1;
    for (int64_t s : axisSizes)
      product *= s;
    if (product != size_)
      raise("mesh of ", product, " ranks on a job of ", size_, " ranks");
    for (auto &entry : groups_)
      MPI_Comm_free(&entry.second);
    groups_.clear();
    mesh_ = axisSizes;
  }

  void exchange(const std::vector<Message> &sends, const std::vector<Message> &recvs) override {
    std::vector<MPI_Request> requests;
    requests.reserve(sends.size() + recvs.size());
    // Receives first so that eager sends find a posted buffer.
    for (const Message &m : recvs) {
      requests.emplace_back();
      MPI_Irecv(m.data, checkedInt(m.bytes, "a halo message"), MPI_BYTE, m.peer, m.tag,
                MPI_COMM_WORLD, &requests.back());
    }
    for (const Message &m : sends) {
      requests.emplace_back();
      MPI_Isend(m.data, checkedInt(m.bytes, "a halo message"), MPI_BYTE, m.peer, m.tag,
                MPI_COMM_WORLD, &requests.back());
      bytesSent_ += m.bytes;
    }
    MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  }

  void allReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp op,
                 AxisMask axes, CollectiveAlgorithm algorithm) override {
    MPI_Comm comm = group(axes);
    MpiPeerGroup peers(comm, scheduleScratch_);
    if (algorithm == CollectiveAlgorithm::Library)
      libraryAllReduce(send, recv, count, type, op, comm);
    else
      scheduleAllReduce(peers, send, recv, count, type, op, algorithm);
    bytesSent_ += ringAllReduceBytes(count * elemBytes(type), peers.members);
  }

  void allGather(const void *send, size_t sendBytes, void *recv,
                 const std::vector<size_t> &recvBytes, int axis,
                 CollectiveAlgorithm algorithm) override {
    MPI_Comm comm = group(AxisList{axis});
    MpiPeerGroup peers(comm, scheduleScratch_);
    if (static_cast<size_t>(peers.members) != recvBytes.size())
      raise("all-gather over ", peers.members, " ranks given ", recvBytes.size(), " block sizes");
    if (algorithm == CollectiveAlgorithm::Library)
      libraryAllGather(send, sendBytes, recv, recvBytes, comm);
    else
      scheduleAllGather(peers, send, sendBytes, recv, recvBytes, algorithm);
    bytesSent_ += ringAllGatherBytes(sum(recvBytes), sendBytes);
  }

  void allToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                const std::vector<size_t> &recvBytes, const AxisList &axes,
                CollectiveAlgorithm algorithm) override {
    MPI_Comm comm = group(axes);
    MpiPeerGroup peers(comm, scheduleScratch_);
    if (static_cast<size_t>(peers.members) != sendBytes.size() ||
        static_cast<size_t>(peers.members) != recvBytes.size())
      raise("all-to-all over ", peers.members, " ranks given ", sendBytes.size(), " and ",
            recvBytes.size(), " block sizes");
    if (algorithm == CollectiveAlgorithm::Library)
      libraryAllToAll(send, sendBytes, recv, recvBytes, comm);
    else
      scheduleAllToAll(peers, send, sendBytes, recv, recvBytes, algorithm);
    bytesSent_ += sum(sendBytes) - sendBytes[peers.me];
  }

  void reduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                     const AxisList &axes, CollectiveAlgorithm algorithm) override {
    MPI_Comm comm = group(axes);
    MpiPeerGroup peers(comm, scheduleScratch_);
    if (static_cast<size_t>(peers.members) != counts.size())
      raise("reduce-scatter over ", peers.members, " ranks given ", counts.size(), " block sizes");
    if (algorithm == CollectiveAlgorithm::Library)
      libraryReduceScatter(send, recv, counts, comm);
    else
      scheduleReduceScatter(peers, send, recv, counts, algorithm);
    bytesSent_ += ringAllGatherBytes(sum(counts) * sizeof(float), counts[peers.me] * sizeof(float));
  }

  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }

  void broadcastHost(void *data, size_t bytes, int root) override {
    MPI_Bcast(data, checkedInt(bytes, "a broadcast"), MPI_BYTE, root, MPI_COMM_WORLD);
  }

  uint64_t bytesSent() const override { return bytesSent_; }

  [[noreturn]] void abort(int exitCode) override {
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode);
  }

private:
  // The collectives as MPI's own (tuned) implementations run them.

  void libraryAllReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp op,
                        MPI_Comm comm) {
    // Chunks keep each call's count within an int.
    const size_t chunk = size_t(1) << 28;
    auto *out = static_cast<char *>(recv);
    auto *in = static_cast<const char *>(send);
    // MPI wants MPI_IN_PLACE, not the same buffer twice.
    auto input = [&](size_t offset) -> const void * {
      return send == recv ? MPI_IN_PLACE : in + offset;
    };
    if (op == ReduceOp::Moments) {
      if (type != ElemType::F32 || count % 3 != 0)
        raise("a moments all-reduce needs float triples, got ", count, " values");
      if (momentsType_ == MPI_DATATYPE_NULL) {
        MPI_Type_contiguous(3, MPI_FLOAT, &momentsType_);
        MPI_Type_commit(&momentsType_);
        MPI_Op_create(&mergeMomentsOp, /*commute=*/1, &momentsOp_);
      }
      for (size_t done = 0; done < count / 3; done += chunk)
        MPI_Allreduce(input(done * 3 * sizeof(float)), out + done * 3 * sizeof(float),
                      static_cast<int>(std::min(chunk, count / 3 - done)), momentsType_,
                      momentsOp_, comm);
    }
    for (size_t done = 0; op != ReduceOp::Moments && done < count; done += chunk) {
      int n = static_cast<int>(std::min(chunk, count - done));
      MPI_Allreduce(input(done * elemBytes(type)), out + done * elemBytes(type), n, mpiType(type),
                    mpiOp(op), comm);
    }
  }

  void libraryAllGather(const void *send, size_t sendBytes, void *recv,
                        const std::vector<size_t> &recvBytes, MPI_Comm comm) {
    int members = static_cast<int>(recvBytes.size());
    std::vector<int> counts(members), displs(members);
    size_t offset = 0;
    for (int i = 0; i < members; ++i) {
      counts[i] = checkedInt(recvBytes[i], "an all-gather block");
      displs[i] = checkedInt(offset, "an all-gather result");
      offset += recvBytes[i];
    }
    MPI_Allgatherv(send, checkedInt(sendBytes, "an all-gather block"), MPI_BYTE, recv,
                   counts.data(), displs.data(), MPI_BYTE, comm);
  }

  void libraryAllToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                       const std::vector<size_t> &recvBytes, MPI_Comm comm) {
    int members = static_cast<int>(sendBytes.size());
    std::vector<int> sendCounts(members), sendDispls(members), recvCounts(members),
        recvDispls(members);
    size_t sendOffset = 0, recvOffset = 0;
    for (int i = 0; i < members; ++i) {
      sendCounts[i] = checkedInt(sendBytes[i], "an all-to-all block");
      sendDispls[i] = checkedInt(sendOffset, "an all-to-all send buffer");
      recvCounts[i] = checkedInt(recvBytes[i], "an all-to-all block");
      recvDispls[i] = checkedInt(recvOffset, "an all-to-all receive buffer");
      sendOffset += sendBytes[i];
      recvOffset += recvBytes[i];
    }
    MPI_Alltoallv(send, sendCounts.data(), sendDispls.data(), MPI_BYTE, recv, recvCounts.data(),
                  recvDispls.data(), MPI_BYTE, comm);
  }

  void libraryReduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                            MPI_Comm comm) {
    std::vector<int> intCounts;
    for (size_t c : counts)
      intCounts.push_back(checkedInt(c, "a reduce-scatter block"));
    MPI_Reduce_scatter(send, recv, intCounts.data(), MPI_FLOAT, MPI_SUM, comm);
  }

  /// `query` (size or rank) of the communicator of this rank's node.
  int nodeQuery(int (*query)(MPI_Comm, int *)) const {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    int value = 0;
    query(node, &value);
    MPI_Comm_free(&node);
    return value;
  }
  /// The communicator of this rank's group for `axes` (members numbered
  /// row-major over the axes in mesh order).
  MPI_Comm group(AxisMask axes) {
    if (axes == kAllRanks)
      return MPI_COMM_WORLD;
    return group(axesOf(axes, mesh_.size()));
  }

  /// The communicator of this rank's group for `axes` (members numbered
  /// row-major over `axes` in the order given), created on first use
  /// (MPI_Comm_split is collective, so every rank asks in the same order).
  MPI_Comm group(const AxisList &axes) {
    auto found = groups_.find(axes);
    if (found != groups_.end())
      return found->second;
    GroupSplit split = groupSplit(mesh_, rank_, axes);
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, split.color, split.key, &comm);
    groups_[axes] = comm;
    return comm;
  }

  int rank_ = 0;
  int size_ = 1;
  bool ownsMpi_ = false;
  std::vector<int64_t> mesh_;
  std::map<AxisList, MPI_Comm> groups_;
  uint64_t bytesSent_ = 0;
  ScheduleScratch scheduleScratch_;
  MPI_Datatype momentsType_ = MPI_DATATYPE_NULL;
  MPI_Op momentsOp_ = MPI_OP_NULL;
};

} // namespace

std::unique_ptr<Communicator> createMpiCommunicator(int *argc, char ***argv) {
  return std::make_unique<MpiCommunicator>(argc, argv);
}

} // namespace quilt
