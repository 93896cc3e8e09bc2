// The CUDA device (cuda_device.h). Compiled by nvcc for sm_90 with spills
// and every nvcc/ptxas warning as errors (cmake/QuiltCuda.cmake).
#include "cuda_device.h"
#include "launch.cuh"

#include <cuda_runtime.h>

namespace quilt {
namespace {

/// cudaMalloc's alignment guarantee.
constexpr size_t kCudaMallocAlignment = 256;

cudaMemcpyKind cudaKindOf(CopyKind kind) {
  switch (kind) {
  case CopyKind::HostToDevice:
    return cudaMemcpyHostToDevice;
  case CopyKind::DeviceToHost:
    return cudaMemcpyDeviceToHost;
  case CopyKind::DeviceToDevice:
    return cudaMemcpyDeviceToDevice;
  }
  raise("unknown copy kind ", static_cast<int>(kind));
}

bool rangesOverlap(const void *a, const void *b, size_t bytes) {
  auto *x = static_cast<const char *>(a), *y = static_cast<const char *>(b);
  return x < y + bytes && y < x + bytes;
}

} // namespace

CudaDevice::CudaDevice(int localRank) {
  try {
    // On error the runtime leaves the count unwritten (measured): start from
    // a value no success can produce.
    int count = -1;
    checkCuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (count <= 0)
      raise("CUDA cudaGetDeviceCount: no CUDA device visible (count ", count, ")");
    if (localRank < 0)
      raise("CUDA device for local rank ", localRank, ": the rank is negative");
    ordinal_ = localRank % count;
    checkCuda(cudaSetDevice(ordinal_), "cudaSetDevice");
    cudaDeviceProp properties{};
    checkCuda(cudaGetDeviceProperties(&properties, ordinal_), "cudaGetDeviceProperties");
    name_ = strCat("cuda:", ordinal_, " (", properties.name, ")");

    // Non-blocking: no implicit sync with the legacy default stream, so the
    // two streams are ordered only by this class's events (libraries must be
    // handed computeStream(), never left on stream 0). Communication gets the
    // highest priority so a halo exchange is not queued behind a long
    // interior kernel (the overlap split of the research note, section 3).
    int leastPriority = 0, greatestPriority = 0;
    checkCuda(cudaDeviceGetStreamPriorityRange(&leastPriority, &greatestPriority),
              "cudaDeviceGetStreamPriorityRange");
    checkCuda(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking),
              "cudaStreamCreateWithFlags");
    checkCuda(cudaStreamCreateWithPriority(&comm_, cudaStreamNonBlocking, greatestPriority),
              "cudaStreamCreateWithPriority");
  } catch (...) {
    // A throwing constructor runs no destructor.
    destroyQuietly();
    throw;
  }
}

CudaDevice::~CudaDevice() { destroyQuietly(); }

void CudaDevice::destroyQuietly() {
  // Errors are dropped: this runs while unwinding from the error that is
  // being reported, or at exit when the work has been synchronized already.
  for (cudaStream_t stream : {compute_, comm_})
    if (stream)
      cudaStreamSynchronize(stream);
  for (cudaEvent_t event : events_)
    cudaEventDestroy(event);
  events_.clear();
  eventsInUse_ = 0;
  for (cudaEvent_t event : timingEvents_)
    cudaEventDestroy(event);
  timingEvents_.clear();
  phaseMarks_.clear();
  for (cudaStream_t *stream : {&compute_, &comm_})
    if (*stream) {
      cudaStreamDestroy(*stream);
      *stream = nullptr;
    }
}

void *CudaDevice::allocate(size_t bytes, size_t alignment) {
  if (alignment & (alignment - 1))
    raise("device alignment ", alignment, " is not a power of two");
  if (alignment > kCudaMallocAlignment)
    raise(name(), ": device alignment ", alignment, " exceeds cudaMalloc's ", kCudaMallocAlignment);
  // One byte at least: cudaMalloc gives null for 0 bytes, and the interface
  // promises a valid pointer.
  size_t allocated = bytes ? bytes : 1;
  void *memory = nullptr;
  checkCuda(cudaMalloc(&memory, allocated), "cudaMalloc");
  checkCuda(cudaMemsetAsync(memory, 0, allocated, compute_), "cudaMemsetAsync");
  // The communicator may allocate a receive buffer and hand it to NCCL on
  // the communication stream at once: that work must see the zeros.
  commAfterCompute();
  return memory;
}

void CudaDevice::release(void *memory) {
  if (!memory)
    return;
  // Only DeviceBuffer's destructor calls this, also while unwinding from a
  // CUDA error: throwing here would terminate the process instead of
  // reporting that error, so errors are dropped. Queued work may still use
  // the memory: wait for both streams first.
  cudaStreamSynchronize(compute_);
  cudaStreamSynchronize(comm_);
  cudaFree(memory);
}

void CudaDevice::copy(void *dst, const void *src, size_t bytes, CopyKind kind) {
  if (bytes == 0 || dst == src)
    return;
  if (kind == CopyKind::DeviceToDevice && rangesOverlap(dst, src, bytes)) {
    // cudaMemcpy* forbids overlapping ranges, and a parallel copy kernel
    // would race (a thread may overwrite a source element before another
    // reads it). Overlaps are rare (in-place reshapes are skipped above), so
    // bounce through stream-ordered pool memory: two copies, no host wait.
    void *staging = nullptr;
    checkCuda(cudaMallocAsync(&staging, bytes, compute_), "cudaMallocAsync");
    checkCuda(cudaMemcpyAsync(staging, src, bytes, cudaMemcpyDeviceToDevice, compute_),
              "cudaMemcpyAsync");
    checkCuda(cudaMemcpyAsync(dst, staging, bytes, cudaMemcpyDeviceToDevice, compute_),
              "cudaMemcpyAsync");
    checkCuda(cudaFreeAsync(staging, compute_), "cudaFreeAsync");
    return;
  }
  checkCuda(cudaMemcpyAsync(dst, src, bytes, cudaKindOf(kind), compute_), "cudaMemcpyAsync");
}

#define QUILT_DEFINE_LAUNCH(Kernel)                                                                \
  void CudaDevice::launch(const Kernel &kernel) {                                                  \
    launchKernel(kernel, kernel.threads(), compute_);                                              \
  }
QUILT_DEVICE_KERNELS(QUILT_DEFINE_LAUNCH)
#undef QUILT_DEFINE_LAUNCH

void CudaDevice::order(cudaStream_t first, cudaStream_t then) {
  if (eventsInUse_ == events_.size()) {
    cudaEvent_t event = nullptr;
    // No timing: these events only order streams, and timing ones are slower.
    checkCuda(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    events_.push_back(event);
  }
  cudaEvent_t event = events_[eventsInUse_++];
  checkCuda(cudaEventRecord(event, first), "cudaEventRecord");
  checkCuda(cudaStreamWaitEvent(then, event, 0), "cudaStreamWaitEvent");
}

void CudaDevice::commAfterCompute() { order(compute_, comm_); }

void CudaDevice::computeAfterComm() { order(comm_, compute_); }

void CudaDevice::synchronize() {
  checkCuda(cudaStreamSynchronize(compute_), "cudaStreamSynchronize");
  checkCuda(cudaStreamSynchronize(comm_), "cudaStreamSynchronize");
  // Every wait queued so far has completed: the events may be recorded again.
  eventsInUse_ = 0;
}

void *CudaDevice::allocateHost(size_t bytes) {
  void *memory = nullptr;
  // Pinned: copies to and from the device run at full speed and async.
  checkCuda(cudaMallocHost(&memory, bytes ? bytes : 1), "cudaMallocHost");
  return memory;
}

void CudaDevice::releaseHost(void *memory) { cudaFreeHost(memory); }

cudaEvent_t CudaDevice::timingEvent(size_t index) {
  while (timingEvents_.size() <= index) {
    cudaEvent_t event = nullptr;
    checkCuda(cudaEventCreate(&event), "cudaEventCreate");
    timingEvents_.push_back(event);
  }
  return timingEvents_[index];
}

void CudaDevice::beginPhase() {
  // Entry points do not nest; a begin without its end is recorded again.
  checkCuda(cudaEventRecord(timingEvent(2 * phaseMarks_.size()), compute_), "cudaEventRecord");
  phaseOpen_ = true;
}

void CudaDevice::endPhase(int phase) {
  if (!phaseOpen_)
    return;
  // Communication entry points end with the compute stream waiting for the
  // communication stream, so an event on the compute stream closes both.
  checkCuda(cudaEventRecord(timingEvent(2 * phaseMarks_.size() + 1), compute_),
            "cudaEventRecord");
  phaseMarks_.push_back(phase);
  phaseOpen_ = false;
}

void CudaDevice::takePhaseSeconds(double *seconds) {
  if (phaseMarks_.empty())
    return;
  checkCuda(cudaStreamSynchronize(compute_), "cudaStreamSynchronize");
  for (size_t i = 0; i < phaseMarks_.size(); ++i) {
    float ms = 0;
    checkCuda(cudaEventElapsedTime(&ms, timingEvents_[2 * i], timingEvents_[2 * i + 1]),
              "cudaEventElapsedTime");
    if (phaseMarks_[i] >= 0 && phaseMarks_[i] < 3)
      seconds[phaseMarks_[i]] += ms * 1e-3;
  }
  phaseMarks_.clear();
}

} // namespace quilt
