// The emulated CUDA backend (quiltc --target=cuda-emulated): the CUDA
// backend's control flow (device memory apart from the host's, staged slab IO
// and weights, Quilt's kernels launched as grids, NCCL for every byte of
// tensor data) on a machine without a GPU. The NCCL calls go to the
// NCCL-over-MPI shim; the library kernels (convolution, GEMM, DFT) are the
// CPU backend's, standing in for cuDNN, cuBLAS and cuFFT.
#include "backend.h"
#include "error.h"
#include "libraries/blas.h"
#include "libraries/dnn.h"
#include "libraries/fft.h"
#include "emulated_cuda_device.h"
#include "nccl_communicator.h"
#include "staged_communicator.h"

namespace quilt {

const char *backendTarget() { return "cuda-emulated"; }

const char *backendDescription() {
  return "emulated CUDA device (host memory, NCCL over MPI) with MPI bootstrap";
}

std::unique_ptr<Backend> createBackend(Communicator &bootstrap, const std::vector<int64_t> &mesh,
                                       bool tf32) {
  // oneDNN stands in for cuDNN and cuBLAS here, in float32 only.
  if (tf32)
    raise("the model was compiled with --tf32, which the emulated device cannot run");
  auto backend = std::make_unique<Backend>();
  backend->ownedDevice = std::make_unique<EmulatedCudaDevice>();
  backend->device = backend->ownedDevice.get();
  backend->setLibraries(createHostBlas(*backend->device), createHostFft(), createHostDnn());
  backend->dataComm = stagedCommunicatorRequested()
                          ? createStagedCommunicator(bootstrap, *backend->device)
                          : createNcclCommunicator(bootstrap, *backend->device, /*stream=*/nullptr);
  backend->dataComm->setMesh(mesh);
  return backend;
}

} // namespace quilt
