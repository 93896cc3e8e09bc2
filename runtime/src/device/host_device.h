// The host device: the CPU backend's device, and the memory of the emulated
// CUDA device (emulated_cuda_device.cpp) which runs the CUDA backend's
// control flow on it.
#ifndef QUILT_RUNTIME_HOST_DEVICE_H
#define QUILT_RUNTIME_HOST_DEVICE_H

#include "device.h"

namespace quilt {

class HostDevice : public Device {
public:
  const char *name() const override { return "host"; }
  bool hostAddressable() const override { return true; }
  void *allocate(size_t bytes, size_t alignment) override;
  void release(void *memory) override;
  void copy(void *dst, const void *src, size_t bytes, CopyKind kind) override;
  void launch(const CopyBoxKernel &kernel) override;
  void launch(const FillBoxKernel &kernel) override;
  void launch(const MergeMomentsKernel &kernel) override;
  void commAfterCompute() override {}
  void computeAfterComm() override {}
  void synchronize() override {}
};

} // namespace quilt

#endif // QUILT_RUNTIME_HOST_DEVICE_H
