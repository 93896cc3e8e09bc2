// The emulated CUDA device: host memory the host may not touch directly.
// It runs the CUDA backend's control flow on a machine without a GPU, so
// that CI checks what does not need one: every transfer between host and
// device goes through copy() with the right direction (checked against the
// allocations), Quilt's kernels run element by element as a grid of thread
// blocks would (blocks in reverse order, so no kernel may depend on the
// order of its elements), and streams are sequential.
#ifndef QUILT_RUNTIME_EMULATED_CUDA_DEVICE_H
#define QUILT_RUNTIME_EMULATED_CUDA_DEVICE_H

#include "device.h"

#include <map>

namespace quilt {

class EmulatedCudaDevice : public Device {
public:
  ~EmulatedCudaDevice() override;
  const char *name() const override { return "emulated-cuda"; }
  bool hostAddressable() const override { return false; }
  void *allocate(size_t bytes, size_t alignment) override;
  void release(void *memory) override;
  void copy(void *dst, const void *src, size_t bytes, CopyKind kind) override;
#define QUILT_DECLARE_LAUNCH(Kernel) void launch(const Kernel &kernel) override;
  QUILT_DEVICE_KERNELS(QUILT_DECLARE_LAUNCH)
#undef QUILT_DECLARE_LAUNCH
  void commAfterCompute() override { ++events_; }
  void computeAfterComm() override { ++events_; }
  void synchronize() override {}

  /// Whether [p, p + bytes) lies inside one allocation of this device.
  bool owns(const void *p, size_t bytes) const;
  bool isDeviceMemory(const void *p, size_t bytes) const override { return owns(p, bytes); }
  /// Cross-stream waits recorded so far.
  uint64_t events() const { return events_; }

private:
  std::map<const char *, size_t> allocations_; // start -> bytes
  uint64_t events_ = 0;
};

} // namespace quilt

#endif // QUILT_RUNTIME_EMULATED_CUDA_DEVICE_H
