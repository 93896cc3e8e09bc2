// Quilt's own collective algorithms (the non-library CollectiveAlgorithms),
// written once over a minimal transport: a communicator that runs them wraps
// its group in a PeerGroup. Host memory only. Every schedule leaves the same
// bits on every member (each reduced value is computed once and copied, or
// by both partners combining the lower-numbered member's partial first), so
// a plan's replicated tensors stay replicated.
#ifndef QUILT_RUNTIME_COLLECTIVE_SCHEDULES_H
#define QUILT_RUNTIME_COLLECTIVE_SCHEDULES_H

#include "communicator.h"

#include <cstddef>
#include <vector>

namespace quilt {

/// Buffers a communicator keeps for its schedules from call to call: fresh
/// pages on every call would cost a page fault and the kernel's zeroing per
/// 4 KiB each time (a 4 MiB ring all-reduce took 2.3 ms instead of 1).
/// Slot 0 holds a whole buffer (a reduce-scatter's working copy, Bruck's
/// row), slot 1 what one step receives.
class ScheduleScratch {
public:
  char *get(int slot, size_t bytes) {
    std::vector<char> &buffer = slots_[slot];
    if (buffer.size() < bytes)
      buffer.resize(bytes);
    return buffer.data();
  }

private:
  std::vector<char> slots_[2];
};

/// The group a collective runs over, as a schedule sees it: `members` ranks
/// numbered 0 .. members - 1 as the communicator's group numbers them, this
/// rank being `me`.
struct PeerGroup {
  explicit PeerGroup(ScheduleScratch &scratch) : scratch(scratch) {}

  int members = 1;
  int me = 0;
  ScheduleScratch &scratch;

  virtual ~PeerGroup() = default;
  /// Sends `sendBytes` at `send` to member `to` while receiving `recvBytes`
  /// into `recv` from member `from`; returns when both are done. Every call
  /// pairs with the peers' matching calls even when a side moves no bytes.
  virtual void sendRecv(const void *send, size_t sendBytes, int to, void *recv, size_t recvBytes,
                        int from) = 0;
};

/// Raises one line unless `algorithm` serves `kind` over `members` ranks.
void expectAlgorithmServes(CollectiveKind kind, CollectiveAlgorithm algorithm, int64_t members);

/// Communicator::allReduce by `algorithm`: ring, recursive doubling or
/// Rabenseifner; `send` may be `recv` (in place) and is otherwise only read.
void scheduleAllReduce(PeerGroup &group, const void *send, void *recv, size_t count,
                       ElemType type, ReduceOp op, CollectiveAlgorithm algorithm);

/// Communicator::allGather by `algorithm`: ring or Bruck.
void scheduleAllGather(PeerGroup &group, const void *send, size_t sendBytes, void *recv,
                       const std::vector<size_t> &recvBytes, CollectiveAlgorithm algorithm);

/// Communicator::reduceScatter by `algorithm`: ring or recursive halving.
void scheduleReduceScatter(PeerGroup &group, const float *send, float *recv,
                           const std::vector<size_t> &counts, CollectiveAlgorithm algorithm);

/// Communicator::allToAll by `algorithm`: pairwise.
void scheduleAllToAll(PeerGroup &group, const void *send, const std::vector<size_t> &sendBytes,
                      void *recv, const std::vector<size_t> &recvBytes,
                      CollectiveAlgorithm algorithm);

} // namespace quilt

#endif // QUILT_RUNTIME_COLLECTIVE_SCHEDULES_H
