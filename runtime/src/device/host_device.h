// The host device: the CPU backend's device, and the memory of the emulated
// CUDA device (emulated_cuda_device.cpp) which runs the CUDA backend's
// control flow on it.
#ifndef QUILT_RUNTIME_HOST_DEVICE_H
#define QUILT_RUNTIME_HOST_DEVICE_H

#include "device.h"

namespace quilt {

/// Zeroed host memory of at least `bytes` (a valid pointer also for 0),
/// aligned to `alignment` (a power of two); `allocatedBytes` gets the size
/// reserved. Errors name `deviceName`. Release with std::free.
void *allocateZeroedHost(size_t bytes, size_t alignment, const char *deviceName,
                         size_t *allocatedBytes);

class HostDevice : public Device {
public:
  const char *name() const override { return "host"; }
  bool hostAddressable() const override { return true; }
  void *allocate(size_t bytes, size_t alignment) override;
  void release(void *memory) override;
  void copy(void *dst, const void *src, size_t bytes, CopyKind kind) override;
#define QUILT_DECLARE_LAUNCH(Kernel) void launch(const Kernel &kernel) override;
  QUILT_DEVICE_KERNELS(QUILT_DECLARE_LAUNCH)
#undef QUILT_DECLARE_LAUNCH
  void commAfterCompute() override {}
  void computeAfterComm() override {}
  void synchronize() override {}
};

} // namespace quilt

#endif // QUILT_RUNTIME_HOST_DEVICE_H
