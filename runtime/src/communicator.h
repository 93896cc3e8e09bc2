// The one interface every collective and point-to-point transfer goes
// through. MpiCommunicator implements it; a NCCL implementation can replace it
// without touching the kernels, the halo exchange or the driver.
#ifndef QUILT_RUNTIME_COMMUNICATOR_H
#define QUILT_RUNTIME_COMMUNICATOR_H

#include "quilt/collective_algorithms.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace quilt {

/// Moments: float (count, mean, M2) triples, merged pairwise (moments.h).
enum class ReduceOp { Sum, Max, Min, Moments, Prod };
enum class ElemType { F32, F64, I64 };
inline size_t elemBytes(ElemType type) { return type == ElemType::F32 ? 4 : 8; }

/// A set of mesh axes, bit i for axis i. A group is the ranks whose
/// coordinates agree on every axis outside the set.
using AxisMask = uint32_t;
/// Every rank of the job, whatever the mesh.
constexpr AxisMask kAllRanks = ~AxisMask(0);
/// Mesh axes in a chosen order: a group whose members are numbered row-major
/// over them (the first axis major).
using AxisList = std::vector<int64_t>;

/// The bytes one communication entry point sent in one call (--report).
struct OpTraffic {
  const char *kind = ""; // the entry point's name without quilt_rt_
  uint64_t bytes = 0;
};

/// One point-to-point transfer: `bytes` at `data` to or from world rank `peer`.
struct Message {
  int peer = 0;
  void *data = nullptr;
  size_t bytes = 0;
  int tag = 0;
};

/// How a communicator library splits the world into this rank's group for
/// `axes` of `mesh`: ranks of one group share `color` (the coordinates off
/// the axes), `key` numbers them row-major over `axes` in the order given.
struct GroupSplit {
  int color = 0;
  int key = 0;
};
GroupSplit groupSplit(const std::vector<int64_t> &mesh, int rank, const AxisList &axes);
/// The axes of a mask, in mesh order (kAllRanks: every axis).
AxisList axesOf(AxisMask mask, size_t meshAxes);

class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Ranks sharing this rank's node (and so its cores), and this rank's
  /// index among them.
  virtual int localSize() const = 0;
  virtual int localRank() const = 0;

  /// The mesh the axis groups refer to; ranks map to coordinates row-major.
  virtual void setMesh(const std::vector<int64_t> &axisSizes) = 0;

  /// Posts every receive and send at once and returns when all completed.
  virtual void exchange(const std::vector<Message> &sends, const std::vector<Message> &recvs) = 0;

  // The collectives run by `algorithm`: Library leaves it to the
  // communicator's library, the others are Quilt's own schedules
  // (collective_schedules.h), which a communicator may refuse. Whatever runs,
  // bytes are counted as the ring algorithm sends them (quilt/comm_bytes.h),
  // the numbers the compiler predicts. The default serves the runtime's own
  // bookkeeping (the driver's reductions); kernels pass the plan's choice.

  /// `count` values at `send` combined over the group of `axes` into `recv`.
  /// `send` may be `recv` (in place); otherwise it is only read, and a
  /// kernel's output needs no copy into the result first (for the schedules
  /// that copy would be 2 bytes of memory traffic per byte reduced).
  virtual void allReduce(const void *send, void *recv, size_t count, ElemType type, ReduceOp op,
                         AxisMask axes,
                         CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) = 0;
  /// allReduce of `data` in place.
  void allReduceInPlace(void *data, size_t count, ElemType type, ReduceOp op, AxisMask axes,
                        CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) {
    allReduce(data, data, count, type, op, axes, algorithm);
  }

  /// Concatenates each group member's bytes, in coordinate order along mesh
  /// axis `axis`, into `recv`; `recvBytes[c]` is member c's contribution.
  virtual void allGather(const void *send, size_t sendBytes, void *recv,
                         const std::vector<size_t> &recvBytes, int axis,
                         CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) = 0;

  /// Over the group of mesh axes `axes`, its members numbered row-major over
  /// `axes` in the order given (the owners of nested blocks): sends
  /// `sendBytes[c]` bytes (packed in member order from `send`) to member c and
  /// receives `recvBytes[c]` from it (packed in member order into `recv`).
  /// Counts the bytes sent to members other than this rank.
  virtual void allToAll(const void *send, const std::vector<size_t> &sendBytes, void *recv,
                        const std::vector<size_t> &recvBytes, const AxisList &axes,
                        CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) = 0;

  /// Over the group of `axes`, members numbered as in allToAll: sums member
  /// order blocks of float `send` (member c's block is `counts[c]` floats,
  /// packed in member order) across the group and leaves this rank's block in
  /// `recv`. Counts the bytes of a ring reduce-scatter: every block but this
  /// rank's own.
  virtual void reduceScatter(const float *send, float *recv, const std::vector<size_t> &counts,
                             const AxisList &axes,
                             CollectiveAlgorithm algorithm = CollectiveAlgorithm::Library) = 0;

  virtual void barrier() = 0;

  /// Host memory: `bytes` at `data` on world rank `root` to every rank (job
  /// control and bootstrapping, e.g. NCCL's unique id; never tensor data).
  virtual void broadcastHost(void *data, size_t bytes, int root) = 0;

  /// Bytes this rank has sent so far (collectives counted as ring
  /// algorithms, whichever algorithm ran).
  virtual uint64_t bytesSent() const = 0;

  /// While a log is attached, every communication entry point appends what it
  /// sent, one record per call in call order (comm/comm_entry.h).
  void attachTrafficLog(std::vector<OpTraffic> *log) { trafficLog_ = log; }
  std::vector<OpTraffic> *trafficLog() const { return trafficLog_; }

  /// Ends the whole job: for errors the other ranks cannot know about.
  [[noreturn]] virtual void abort(int exitCode) = 0;

private:
  std::vector<OpTraffic> *trafficLog_ = nullptr;
};

/// Initializes MPI (if nobody did) and finalizes it on destruction.
std::unique_ptr<Communicator> createMpiCommunicator(int *argc, char ***argv);

} // namespace quilt

#endif // QUILT_RUNTIME_COMMUNICATOR_H
