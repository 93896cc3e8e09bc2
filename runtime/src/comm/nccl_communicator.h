// The NCCL communicator (nccl_communicator.cpp), for the CUDA backends. The
// emulated one links it against the NCCL-over-MPI shim (emulation/), the
// real one against libnccl: the same source either way.
#ifndef QUILT_RUNTIME_NCCL_COMMUNICATOR_H
#define QUILT_RUNTIME_NCCL_COMMUNICATOR_H

#include "communicator.h"
#include "device.h"

#include <nccl.h>

#include <memory>

namespace quilt {

/// Tensor data in `device`'s memory moves on `stream` (the device's
/// communication stream); `bootstrap` (MPI) spreads NCCL's unique id and
/// runs barriers and aborts. The world communicator is created by setMesh.
std::unique_ptr<Communicator> createNcclCommunicator(Communicator &bootstrap, Device &device,
                                                     cudaStream_t stream);

} // namespace quilt

#endif // QUILT_RUNTIME_NCCL_COMMUNICATOR_H
