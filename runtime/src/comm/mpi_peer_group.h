// An MPI communicator as Quilt's collective schedules see it (a PeerGroup):
// the transport MpiCommunicator runs them over, and the one quilt-calibrate
// times them over, so a measured schedule is the schedule the runtime runs.
#ifndef QUILT_RUNTIME_MPI_PEER_GROUP_H
#define QUILT_RUNTIME_MPI_PEER_GROUP_H

#include "collective_schedules.h"

#include <mpi.h>

#include <algorithm>
#include <vector>

namespace quilt {

class MpiPeerGroup final : public PeerGroup {
public:
  MpiPeerGroup(MPI_Comm comm, ScheduleScratch &scratch) : PeerGroup(scratch), comm_(comm) {
    MPI_Comm_size(comm, &members);
    MPI_Comm_rank(comm, &me);
  }

  /// Each direction is cut into messages of at most kMessageBytes (MPI
  /// counts are ints) and sends one empty message when it has no bytes, so
  /// sender and receiver agree on the messages from the byte count alone.
  void sendRecv(const void *send, size_t sendBytes, int to, void *recv, size_t recvBytes,
                int from) override {
    std::vector<MPI_Request> requests;
    auto *in = static_cast<char *>(recv);
    for (size_t at = 0; at == 0 || at < recvBytes; at += kMessageBytes) {
      requests.emplace_back();
      MPI_Irecv(in + at, static_cast<int>(std::min(kMessageBytes, recvBytes - at)), MPI_BYTE, from,
                kTag, comm_, &requests.back());
    }
    auto *out = static_cast<const char *>(send);
    for (size_t at = 0; at == 0 || at < sendBytes; at += kMessageBytes) {
      requests.emplace_back();
      MPI_Isend(out + at, static_cast<int>(std::min(kMessageBytes, sendBytes - at)), MPI_BYTE, to,
                kTag, comm_, &requests.back());
    }
    MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
  }

private:
  static constexpr size_t kMessageBytes = size_t(1) << 30;
  // Apart from the halo messages' tags, which share MPI_COMM_WORLD when a
  // collective runs over every rank.
  static constexpr int kTag = 0x7175;
  MPI_Comm comm_;
};

} // namespace quilt

#endif // QUILT_RUNTIME_MPI_PEER_GROUP_H
