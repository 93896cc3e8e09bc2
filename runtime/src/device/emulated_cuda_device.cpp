#include "emulated_cuda_device.h"
#include "error.h"
#include "host_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace quilt {
namespace {

/// Threads per block of the grids the CUDA launcher uses (cuda/launch.cuh).
constexpr int64_t kBlockThreads = 256;

const char *directionName(CopyKind kind) {
  switch (kind) {
  case CopyKind::HostToDevice:
    return "host-to-device";
  case CopyKind::DeviceToHost:
    return "device-to-host";
  case CopyKind::DeviceToDevice:
    return "device-to-device";
  }
  return "?";
}

} // namespace

EmulatedCudaDevice::~EmulatedCudaDevice() {
  for (auto &entry : allocations_)
    std::free(const_cast<char *>(entry.first));
}

void *EmulatedCudaDevice::allocate(size_t bytes, size_t alignment) {
  size_t allocated = 0;
  // 256 bytes at least: cudaMalloc's guarantee.
  void *memory = allocateZeroedHost(bytes, std::max<size_t>(alignment, 256), name(), &allocated);
  allocations_[static_cast<const char *>(memory)] = allocated;
  return memory;
}

void EmulatedCudaDevice::release(void *memory) {
  auto found = allocations_.find(static_cast<const char *>(memory));
  if (found == allocations_.end())
    raise(name(), ": release of memory it did not allocate");
  allocations_.erase(found);
  std::free(memory);
}

bool EmulatedCudaDevice::owns(const void *p, size_t bytes) const {
  auto *at = static_cast<const char *>(p);
  auto next = allocations_.upper_bound(at);
  if (next == allocations_.begin())
    return false;
  --next;
  return at + bytes <= next->first + next->second;
}

void EmulatedCudaDevice::copy(void *dst, const void *src, size_t bytes, CopyKind kind) {
  if (bytes == 0)
    return;
  bool dstOnDevice = kind != CopyKind::DeviceToHost, srcOnDevice = kind != CopyKind::HostToDevice;
  if (owns(dst, bytes) != dstOnDevice || owns(src, bytes) != srcOnDevice)
    raise(name(), ": a ", directionName(kind), " copy of ", bytes,
          " bytes whose pointers are not on the sides it names");
  if (dst != src)
    std::memmove(dst, src, bytes);
}

namespace {

/// A grid of kBlockThreads-thread blocks, the blocks in reverse order: a
/// kernel whose result depends on the order of its indices fails here.
template <class Kernel> void runGrid(const Kernel &kernel) {
  int64_t threads = kernel.threads();
  int64_t blocks = (threads + kBlockThreads - 1) / kBlockThreads;
  for (int64_t b = blocks; b-- > 0;)
    for (int64_t t = 0; t < kBlockThreads; ++t) {
      int64_t i = b * kBlockThreads + t;
      if (i < threads)
        kernel(i);
    }
}

} // namespace

#define QUILT_DEFINE_LAUNCH(Kernel)                                                              \
  void EmulatedCudaDevice::launch(const Kernel &kernel) { runGrid(kernel); }
QUILT_DEVICE_KERNELS(QUILT_DEFINE_LAUNCH)
#undef QUILT_DEFINE_LAUNCH

} // namespace quilt
