// A communicator for tensor data in device memory that MPI cannot touch
// (Debian's Open MPI is not CUDA-aware): every message and collective buffer
// is copied to the host, moved by the MPI communicator, and copied back.
// Slower than NCCL, but it runs several ranks on one GPU, which NCCL refuses
// ("Duplicate GPU detected"): the GPU check uses it to verify multi-rank
// programs on a machine with a single GPU. QUILT_DATA_COMM=mpi-staged picks
// it in the CUDA backends.
#ifndef QUILT_RUNTIME_STAGED_COMMUNICATOR_H
#define QUILT_RUNTIME_STAGED_COMMUNICATOR_H

#include "communicator.h"
#include "device.h"

#include <memory>

namespace quilt {

/// `mpi` runs on host memory; `device` owns the buffers this communicator
/// is given. Bytes are counted as `mpi` counts them.
std::unique_ptr<Communicator> createStagedCommunicator(Communicator &mpi, Device &device);

/// Whether QUILT_DATA_COMM asks for it ("mpi-staged"); throws for an
/// unknown value (one line naming the variable).
bool stagedCommunicatorRequested();

} // namespace quilt

#endif // QUILT_RUNTIME_STAGED_COMMUNICATOR_H
