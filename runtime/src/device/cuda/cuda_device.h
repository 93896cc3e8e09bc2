// The CUDA device: one GPU per rank (the node-local rank modulo the GPUs
// visible), memory from cudaMalloc, Quilt's kernels on a compute stream and
// the communicator's work (NCCL) on a higher-priority communication stream,
// ordered against each other by events. Host code (a backend file compiled
// by the host compiler) may include this header; only cuda_device.cu needs
// nvcc.
#ifndef QUILT_RUNTIME_CUDA_DEVICE_H
#define QUILT_RUNTIME_CUDA_DEVICE_H

#include "device.h"
#include "error.h"

#include <cuda_runtime_api.h>

#include <string>
#include <vector>

namespace quilt {

/// Throws Error with one line naming the call and CUDA's error name and
/// text, e.g. "CUDA cudaGetDeviceCount: cudaErrorInsufficientDriver (CUDA
/// driver version is insufficient for CUDA runtime version)".
inline void checkCuda(cudaError_t status, const char *call) {
  if (status != cudaSuccess)
    raise("CUDA ", call, ": ", cudaGetErrorName(status), " (", cudaGetErrorString(status), ")");
}

class CudaDevice final : public Device {
public:
  /// Selects GPU localRank % (GPUs visible) for the calling thread and
  /// creates the streams. `localRank` is the rank within its node
  /// (MPI_Comm_split_type SHARED), not the global rank: NCCL refuses two
  /// ranks on one GPU. Throws the first CUDA error (no GPU, no driver).
  explicit CudaDevice(int localRank);
  ~CudaDevice() override;
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;

  const char *name() const override { return name_.c_str(); }
  bool hostAddressable() const override { return false; }
  void *allocate(size_t bytes, size_t alignment) override;
  void release(void *memory) override;
  void copy(void *dst, const void *src, size_t bytes, CopyKind kind) override;
  /// Every kernel of QUILT_DEVICE_KERNELS (kernel_list.h) as runKernel
  /// (launch.cuh) over kernel.threads() indices on the compute stream.
#define QUILT_DECLARE_LAUNCH(Kernel) void launch(const Kernel &kernel) override;
  QUILT_DEVICE_KERNELS(QUILT_DECLARE_LAUNCH)
#undef QUILT_DECLARE_LAUNCH
  void commAfterCompute() override;
  void computeAfterComm() override;
  void synchronize() override;
  /// Pinned host memory (cudaMallocHost).
  void *allocateHost(size_t bytes) override;
  void releaseHost(void *memory) override;
  /// Each entry point's work is timed by a pair of events on the compute
  /// stream (host timers would see only the enqueueing).
  bool timesPhases() const override { return true; }
  void beginPhase() override;
  void endPhase(int phase) override;
  void takePhaseSeconds(double *seconds) override;

  /// The GPU's ordinal (what cudaSetDevice got).
  int ordinal() const { return ordinal_; }
  /// Quilt's kernels and library calls (cuDNN, cuBLAS, cuFFT) go here.
  cudaStream_t computeStream() const { return compute_; }
  /// The only stream that issues NCCL calls (one stream keeps NCCL's
  /// operations in program order on every rank).
  cudaStream_t commStream() const { return comm_; }

private:
  /// Records a fresh event on `first` and makes `then` wait on it.
  void order(cudaStream_t first, cudaStream_t then);
  /// Streams and events, without throwing (destructor, failed constructor).
  void destroyQuietly();

  int ordinal_ = -1;
  std::string name_;
  cudaStream_t compute_ = nullptr;
  cudaStream_t comm_ = nullptr;
  /// Events of the cross-stream waits since the last synchronize(): each
  /// wait gets its own, so none is re-recorded while a wait on it may still
  /// be pending; synchronize() makes them all reusable.
  std::vector<cudaEvent_t> events_;
  size_t eventsInUse_ = 0;
  /// Timing events, two per entry point since takePhaseSeconds (start,
  /// stop), and the phase of each pair; reused after it.
  cudaEvent_t timingEvent(size_t index);
  std::vector<cudaEvent_t> timingEvents_;
  std::vector<int> phaseMarks_;
  bool phaseOpen_ = false;
};

} // namespace quilt

#endif // QUILT_RUNTIME_CUDA_DEVICE_H
