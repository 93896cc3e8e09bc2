// What a runtime archive runs a compiled model on. Each archive links exactly
// one backend file (backends/*.cpp) that defines these: the CPU archive runs
// on the host device with the job's MPI communicator carrying the data; the
// CUDA archives (real, or emulated on the host for CI) run on a CUDA device
// with a NCCL communicator, MPI only bootstrapping it.
#ifndef QUILT_RUNTIME_BACKEND_H
#define QUILT_RUNTIME_BACKEND_H

#include "communicator.h"
#include "device.h"
#include "libraries/libraries.h"

#include <memory>

namespace quilt {

struct Backend {
  /// Owned device, when not the host's (declared first: destroyed last).
  std::unique_ptr<Device> ownedDevice;
  /// The device of this rank.
  Device *device = nullptr;
  /// The communicator of the model's data (halos, collectives); null when
  /// the job's MPI communicator is it.
  std::unique_ptr<Communicator> dataComm;
  /// The vendor libraries (the context gets their pointers), owned here
  /// (shared_ptr: destroyed where their types are unknown).
  Libraries libraries;
  std::shared_ptr<Blas> ownedBlas;
  std::shared_ptr<Fft> ownedFft;
  std::shared_ptr<Dnn> ownedDnn;

  /// Takes the backend's libraries and hands their pointers to contexts.
  void setLibraries(std::shared_ptr<Blas> blas, std::shared_ptr<Fft> fft,
                    std::shared_ptr<Dnn> dnn) {
    ownedBlas = std::move(blas);
    ownedFft = std::move(fft);
    ownedDnn = std::move(dnn);
    libraries = {ownedBlas.get(), ownedFft.get(), ownedDnn.get()};
  }
};

/// The --target the archive was built for: "cpu", "cuda" or "cuda-emulated".
const char *backendTarget();

/// One line for --help and errors: what this archive runs on.
const char *backendDescription();

/// Picks this rank's device and builds the data communicator over the mesh
/// (collective over `bootstrap`: every rank calls it), with the libraries
/// allowed TF32 when `tf32` (quiltc --tf32; the CUDA backend only). Throws
/// Error with one line naming what failed (e.g. the CUDA error).
std::unique_ptr<Backend> createBackend(Communicator &bootstrap, const std::vector<int64_t> &mesh,
                                       bool tf32);

} // namespace quilt

#endif // QUILT_RUNTIME_BACKEND_H
