#include "staged_communicator.h"
#include "error.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>

namespace quilt {
namespace {

class StagedCommunicator final : public Communicator {
public:
  StagedCommunicator(Communicator &mpi, Device &device) : mpi_(mpi), device_(device) {}

  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }
  int localSize() const override { return mpi_.localSize(); }
  int localRank() const override { return mpi_.localRank(); }
  void setMesh(const std::vector<int64_t> &axisSizes) override {
    mesh_ = axisSizes;
    mpi_.setMesh(axisSizes);
  }

  void exchange(const std::vector<Message> &sends, const std::vector<Message> &recvs) override {
    size_t sendTotal = 0, recvTotal = 0;
    for (const Message &m : sends)
      sendTotal += m.bytes;
    for (const Message &m : recvs)
      recvTotal += m.bytes;
    char *host = stage(sendTotal + recvTotal);
    std::vector<Message> hostSends = sends, hostRecvs = recvs;
    size_t at = 0;
    for (Message &m : hostSends) {
      toHost(host + at, m.data, m.bytes);
      m.data = host + at;
      at += m.bytes;
    }
    for (Message &m : hostRecvs) {
      m.data = host + at;
      at += m.bytes;
    }
    device_.synchronize();
    counted([&] { mpi_.exchange(hostSends, hostRecvs); });
    for (size_t i = 0; i < recvs.size(); ++i)
      toDevice(recvs[i].data, hostRecvs[i].data, recvs[i].bytes);
  }

  void allReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp op,
                 AxisMask axes, CollectiveAlgorithm algorithm) override {
    size_t bytes = count * elemBytes(type);
    char *host = stage(bytes);
    toHost(host, send, bytes);
    device_.synchronize();
    counted([&] { mpi_.allReduceInPlace(host, count, type, op, axes, algorithm); });
    toDevice(recv, host, bytes);
  }

  void allGather(const void *send, size_t sendBytes, void *recv,
                 const std::vector<size_t> &recvBytes, int axis,
                 CollectiveAlgorithm algorithm) override {
    size_t total = std::accumulate(recvBytes.begin(), recvBytes.end(), size_t(0));
    char *host = stage(sendBytes + total);
    toHost(host, send, sendBytes);
    device_.synchronize();
    counted(
        [&] { mpi_.allGather(host, sendBytes, host + sendBytes, recvBytes, axis, algorithm); });
    toDevice(recv, host + sendBytes, total);
  }

  void allToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                const std::vector<size_t> &recvBytes, const AxisList &axes,
                CollectiveAlgorithm algorithm) override {
    size_t sendTotal = std::accumulate(sendBytes.begin(), sendBytes.end(), size_t(0));
    size_t recvTotal = std::accumulate(recvBytes.begin(), recvBytes.end(), size_t(0));
    char *host = stage(sendTotal + recvTotal);
    toHost(host, send, sendTotal);
    device_.synchronize();
    counted([&] {
      mpi_.allToAll(host, sendBytes, host + sendTotal, recvBytes, axes, algorithm);
    });
    toDevice(recv, host + sendTotal, recvTotal);
  }

  void reduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                     const AxisList &axes, CollectiveAlgorithm algorithm) override {
    size_t total = std::accumulate(counts.begin(), counts.end(), size_t(0));
    size_t own = ownCount(counts, axes);
    char *host = stage((total + own) * sizeof(float));
    auto *hostSend = reinterpret_cast<float *>(host);
    auto *hostRecv = hostSend + total;
    toHost(hostSend, send, total * sizeof(float));
    device_.synchronize();
    counted([&] { mpi_.reduceScatter(hostSend, hostRecv, counts, axes, algorithm); });
    toDevice(recv, hostRecv, own * sizeof(float));
  }

  void barrier() override {
    device_.synchronize();
    mpi_.barrier();
  }
  void broadcastHost(void *data, size_t bytes, int root) override {
    mpi_.broadcastHost(data, bytes, root);
  }
  uint64_t bytesSent() const override { return bytesSent_; }
  [[noreturn]] void abort(int exitCode) override {
    mpi_.abort(exitCode);
    std::abort(); // not reached: the MPI communicator's abort ends the job
  }

private:
  char *stage(size_t bytes) {
    if (host_.size() < bytes)
      host_.resize(bytes);
    return host_.data();
  }
  void toHost(void *host, const void *data, size_t bytes) {
    device_.copy(host, data, bytes, CopyKind::DeviceToHost);
  }
  void toDevice(void *data, const void *host, size_t bytes) {
    device_.copy(data, host, bytes, CopyKind::HostToDevice);
    // The host buffer is reused by the next call: finish the copy first.
    device_.synchronize();
  }
  /// Runs an MPI call and counts the bytes it counted.
  template <class Call> void counted(Call call) {
    uint64_t before = mpi_.bytesSent();
    call();
    bytesSent_ += mpi_.bytesSent() - before;
  }
  /// This rank's block of a reduce-scatter over `axes` (members numbered
  /// row-major over the axes, as the MPI communicator numbers them).
  size_t ownCount(const std::vector<size_t> &counts, const AxisList &axes) const {
    GroupSplit split = groupSplit(mesh_, rank(), axes);
    if (static_cast<size_t>(split.key) >= counts.size())
      raise("reduce-scatter over a group of ", counts.size(), " blocks, this rank is member ",
            split.key);
    return counts[split.key];
  }

  Communicator &mpi_;
  Device &device_;
  std::vector<char> host_;
  std::vector<int64_t> mesh_;
  uint64_t bytesSent_ = 0;
};

} // namespace

std::unique_ptr<Communicator> createStagedCommunicator(Communicator &mpi, Device &device) {
  return std::make_unique<StagedCommunicator>(mpi, device);
}

bool stagedCommunicatorRequested() {
  const char *value = std::getenv("QUILT_DATA_COMM");
  if (!value || !*value || std::string(value) == "nccl")
    return false;
  if (std::string(value) == "mpi-staged")
    return true;
  raise("QUILT_DATA_COMM='", value, "' is not nccl or mpi-staged");
}

} // namespace quilt
