// The CUDA backend (quiltc --target=cuda): one GPU per rank (chosen by the
// node-local rank), Quilt's kernels on the CUDA device, cuDNN convolutions,
// cuBLAS products, cuFFT transforms, NCCL for every byte of tensor data on the device's communication stream;
// MPI bootstraps NCCL and runs the job.
#include "backend.h"
#include "libraries/blas.h"
#include "libraries/dnn.h"
#include "libraries/fft.h"
#include "cuda_device.h"
#include "nccl_communicator.h"
#include "staged_communicator.h"

namespace quilt {

const char *backendTarget() { return "cuda"; }

const char *backendDescription() { return "CUDA (cuDNN, cuBLAS, cuFFT, NCCL) with MPI bootstrap"; }

std::unique_ptr<Backend> createBackend(Communicator &bootstrap, const std::vector<int64_t> &mesh,
                                       bool tf32) {
  auto backend = std::make_unique<Backend>();
  // Before any NCCL call: the device it uses is the current one.
  auto device = std::make_unique<CudaDevice>(bootstrap.localRank());
  cudaStream_t comm = device->commStream();
  backend->device = device.get();
  backend->ownedDevice = std::move(device);
  backend->setLibraries(createCublasBlas(static_cast<CudaDevice &>(*backend->device), tf32),
                        createCufftFft(), createCudnnDnn(tf32));
  // NCCL, or (QUILT_DATA_COMM=mpi-staged) MPI through host copies: several
  // ranks on one GPU, which NCCL refuses.
  backend->dataComm = stagedCommunicatorRequested()
                          ? createStagedCommunicator(bootstrap, *backend->device)
                          : createNcclCommunicator(bootstrap, *backend->device, comm);
  backend->dataComm->setMesh(mesh);
  return backend;
}

} // namespace quilt
