// The device a rank computes on: its memory, copies between it and the host,
// the launch of Quilt's own kernels (box_kernels.h), and the order between
// compute and communication work. The host device (host_device.cpp) runs
// everything at once on the calling thread; the CUDA device (cuda/) queues it
// on a compute and a communication stream. Kernels and communication entry
// points only ever touch tensor data through this interface or a library
// call of the backend, so the NCCL path never reads device data on the host.
#ifndef QUILT_RUNTIME_DEVICE_H
#define QUILT_RUNTIME_DEVICE_H

#include "kernel_list.h"

#include <cstddef>
#include <cstdlib>
#include <new>
#include <cstdint>
#include <vector>

namespace quilt {

struct BoxRef;

enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };

class Device {
public:
  virtual ~Device() = default;

  /// For messages: "host", "cuda:0 (NVIDIA H200)", "emulated-cuda".
  virtual const char *name() const = 0;
  /// Whether the host may read and write device memory directly (the host
  /// device): slab IO and the MPI communicator need it, or a staging copy.
  virtual bool hostAddressable() const = 0;

  /// Whether [p, p + bytes) may be handed to the device's libraries and
  /// communicators as device memory. Devices that cannot tell say yes; the
  /// emulated CUDA device knows its allocations, so CI catches host buffers
  /// passed where a GPU would need device memory.
  virtual bool isDeviceMemory(const void *, size_t) const { return true; }

  /// `bytes` of zeroed device memory aligned to at least `alignment`
  /// (a power of two); never null, also for 0 bytes.
  virtual void *allocate(size_t bytes, size_t alignment) = 0;
  virtual void release(void *memory) = 0;
  /// Ordered after the compute work queued so far; a device-to-device copy
  /// may overlap (memmove semantics). Host pointers stay valid until it ends.
  virtual void copy(void *dst, const void *src, size_t bytes, CopyKind kind) = 0;

  /// Runs kernel(i) for every i < kernel.threads(), in any order and
  /// concurrently (kernel_list.h), queued on the compute stream.
#define QUILT_DECLARE_LAUNCH(Kernel) virtual void launch(const Kernel &kernel) = 0;
  QUILT_DEVICE_KERNELS(QUILT_DECLARE_LAUNCH)
#undef QUILT_DECLARE_LAUNCH

  /// Communication waits for the compute work queued so far (before packing
  /// or sending), and compute waits for the communication queued so far
  /// (before reading what arrived): events between the two streams.
  virtual void commAfterCompute() = 0;
  virtual void computeAfterComm() = 0;
  /// Waits for all queued work.
  virtual void synchronize() = 0;

  /// Host memory the device copies from and to at full speed (pinned on
  /// CUDA), for staging slabs; released with releaseHost.
  virtual void *allocateHost(size_t bytes) {
    void *memory = std::calloc(bytes ? bytes : 1, 1);
    if (!memory)
      throw std::bad_alloc();
    return memory;
  }
  virtual void releaseHost(void *memory) { std::free(memory); }

  /// Per-phase time on a device that runs asynchronously: host timers of an
  /// entry point see only the enqueueing, so such a device (CUDA) times
  /// each entry point's work itself, between beginPhase and endPhase, and
  /// takePhaseSeconds adds what it measured since the last call (waiting
  /// for the work) to seconds[phase] (the index of quilt::Phase).
  virtual bool timesPhases() const { return false; }
  virtual void beginPhase() {}
  virtual void endPhase(int) {}
  virtual void takePhaseSeconds(double *) {}

  /// Device memory held in DeviceBuffers (plans' scratch, library
  /// workspaces, the weights' copy), now and at most so far (--report).
  size_t bufferBytes() const { return bufferBytes_; }
  size_t peakBufferBytes() const { return peakBufferBytes_; }
  void noteBufferBytes(size_t added, size_t removed) {
    bufferBytes_ = bufferBytes_ + added - removed;
    peakBufferBytes_ = bufferBytes_ > peakBufferBytes_ ? bufferBytes_ : peakBufferBytes_;
  }

  /// Copies the box of extent `box` at src.offset in `src` to dst.offset in
  /// `dst` (device memory both).
  void copyBox(const float *src, const BoxRef &srcBox, float *dst, const BoxRef &dstBox,
               const std::vector<int64_t> &box);
  /// Sets the box of extent `box` at `at` in `dst` to `value`.
  void fillBox(float *dst, const BoxRef &at, const std::vector<int64_t> &box, float value);

private:
  size_t bufferBytes_ = 0, peakBufferBytes_ = 0;
};

/// The process's host device (what the CPU backend runs on).
Device &hostDevice();

/// Device memory owned by a plan or a context, released with it.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(Device &device, size_t bytes, size_t alignment = 256)
      : device_(&device), data_(device.allocate(bytes, alignment)), bytes_(bytes) {
    device.noteBufferBytes(bytes, 0);
  }
  DeviceBuffer(DeviceBuffer &&other) noexcept { swap(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
    swap(other);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() {
    if (device_ && data_) {
      device_->release(data_);
      device_->noteBufferBytes(0, bytes_);
    }
  }

  float *floats() const { return static_cast<float *>(data_); }
  void *data() const { return data_; }
  size_t bytes() const { return bytes_; }
  /// Reallocates (zeroed) when smaller than `bytes`.
  void reserve(Device &device, size_t bytes) {
    if (device_ == &device && bytes <= bytes_ && data_)
      return;
    *this = DeviceBuffer(device, bytes);
  }

private:
  void swap(DeviceBuffer &other) {
    std::swap(device_, other.device_);
    std::swap(data_, other.data_);
    std::swap(bytes_, other.bytes_);
  }
  Device *device_ = nullptr;
  void *data_ = nullptr;
  size_t bytes_ = 0;
};

} // namespace quilt

#endif // QUILT_RUNTIME_DEVICE_H
