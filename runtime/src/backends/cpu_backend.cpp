// The CPU backend: the host device; MPI carries the model's data.
#include "backend.h"
#include "error.h"
#include "libraries/blas.h"
#include "libraries/dnn.h"
#include "libraries/fft.h"

namespace quilt {

const char *backendTarget() { return "cpu"; }

const char *backendDescription() { return "CPU (oneDNN, FFTW) with MPI"; }

std::unique_ptr<Backend> createBackend(Communicator &, const std::vector<int64_t> &, bool tf32) {
  if (tf32)
    raise("the model was compiled with --tf32, which the CPU runtime cannot run");
  auto backend = std::make_unique<Backend>();
  backend->device = &hostDevice();
  backend->setLibraries(createHostBlas(*backend->device), createHostFft(), createHostDnn());
  return backend;
}

} // namespace quilt
