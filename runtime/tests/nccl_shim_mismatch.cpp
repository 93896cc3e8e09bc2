// Sends and receives that do not pair up, which NCCL turns into a hang or
// corrupt data: the shim must abort the job with its one-line message. Run
// with `mpirun -n 2 quilt_nccl_shim_mismatch short|long|self`; ctest passes on
// the message, not on the exit code.
#include <nccl.h>

#include <mpi.h>

#include <cstdio>
#include <cstring>
#include <vector>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const char *mismatch = argc > 1 ? argv[1] : "short";
  ncclUniqueId id{};
  if (rank == 0)
    ncclGetUniqueId(&id);
  MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
  ncclComm_t comm = nullptr;
  if (size != 2 || ncclCommInitRank(&comm, size, id, rank) != ncclSuccess) {
    std::fprintf(stderr, "rank %d: needs two ranks and a communicator\n", rank);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  // Rank 0 sends 4 values; rank 1 posts 8 ("short"), or 2 ("long", which MPI
  // reports as truncation). "self": each rank sends itself 4 and posts 8.
  std::vector<float> data(8, 1.f);
  size_t posted = std::strcmp(mismatch, "long") == 0 ? 2 : 8;
  ncclGroupStart();
  if (std::strcmp(mismatch, "self") == 0) {
    ncclSend(data.data(), 4, ncclFloat32, rank, comm, nullptr);
    ncclRecv(data.data() + 4, posted, ncclFloat32, rank, comm, nullptr);
  } else if (rank == 0) {
    ncclSend(data.data(), 4, ncclFloat32, 1, comm, nullptr);
  } else {
    ncclRecv(data.data(), posted, ncclFloat32, 0, comm, nullptr);
  }
  ncclGroupEnd();
  // The detecting rank aborts the job; the other one must not report first.
  MPI_Barrier(MPI_COMM_WORLD);
  std::fprintf(stderr, "rank %d: the %s mismatch was not detected\n", rank, mismatch);
  ncclCommDestroy(comm);
  MPI_Finalize();
  return 1;
}
