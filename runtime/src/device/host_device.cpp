// The host device: memory is host memory and kernels run at once on the
// calling thread, one contiguous run of a box per memcpy-sized loop.
#include "host_device.h"
#include "box.h"
#include "error.h"

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <type_traits>
#include <utility>

namespace quilt {

void *allocateZeroedHost(size_t bytes, size_t alignment, const char *deviceName,
                         size_t *allocatedBytes) {
  if (alignment < alignof(std::max_align_t))
    alignment = alignof(std::max_align_t);
  if (alignment & (alignment - 1))
    raise("device alignment ", alignment, " is not a power of two");
  // aligned_alloc wants a multiple of the alignment; one spare block also
  // makes a zero-byte allocation a valid pointer.
  size_t rounded = (bytes / alignment + 1) * alignment;
  void *memory = std::aligned_alloc(alignment, rounded);
  if (!memory)
    raise("cannot allocate ", bytes, " bytes of ", deviceName, " memory");
  std::memset(memory, 0, rounded);
  if (allocatedBytes)
    *allocatedBytes = rounded;
  return memory;
}

void *HostDevice::allocate(size_t bytes, size_t alignment) {
  return allocateZeroedHost(bytes, alignment, name(), nullptr);
}

void HostDevice::release(void *memory) { std::free(memory); }

void HostDevice::copy(void *dst, const void *src, size_t bytes, CopyKind) {
  if (bytes && dst != src)
    std::memmove(dst, src, bytes);
}

namespace {

/// The host's loop over a kernel's indices: in order, on the calling
/// thread; a kernel with a runtime switch in its body (a kind) has a
/// runOnHost() member that switches once and loops the same body.
template <class Kernel, class = void> struct HasHostLoop : std::false_type {};
template <class Kernel>
struct HasHostLoop<Kernel, std::void_t<decltype(std::declval<const Kernel &>().runOnHost())>>
    : std::true_type {};

template <class Kernel> void runOnHost(const Kernel &kernel) {
  if constexpr (HasHostLoop<Kernel>::value) {
    kernel.runOnHost();
  } else {
    int64_t n = kernel.threads();
    for (int64_t i = 0; i < n; ++i)
      kernel(i);
  }
}

/// Calls run(srcOffset, dstOffset, length) for each contiguous run of the
/// box, in row-major order, with the same element mapping as the box
/// kernels' operator(). The runs' offsets advance as an odometer: no
/// division per run (BoxGeometry::offsets' two per dim cost more than
/// copying a short run, and a W halo packs runs of one element).
template <class Run> void forEachRun(const BoxGeometry &g, Run run) {
  int64_t runs = g.runs(), length = g.runLength();
  int outer = g.dims - 1;
  int64_t index[kMaxBoxDims] = {};
  int64_t s = g.srcBase, d = g.dstBase;
  for (int64_t r = 0; r < runs; ++r) {
    run(s, d, length);
    for (int k = outer - 1; k >= 0; --k) {
      s += g.srcStride[k];
      d += g.dstStride[k];
      if (++index[k] < g.extent[k])
        break;
      s -= g.extent[k] * g.srcStride[k];
      d -= g.extent[k] * g.dstStride[k];
      index[k] = 0;
    }
  }
}

/// Box copies and fills move one contiguous run at a time.
void runOnHost(const CopyBoxKernel &kernel) {
  forEachRun(kernel.box, [&](int64_t s, int64_t d, int64_t length) {
    std::memcpy(kernel.dst + d, kernel.src + s, length * sizeof(float));
  });
}

void runOnHost(const FillBoxKernel &kernel) {
  forEachRun(kernel.box, [&](int64_t, int64_t d, int64_t length) {
    std::fill(kernel.dst + d, kernel.dst + d + length, kernel.value);
  });
}

} // namespace

#define QUILT_DEFINE_LAUNCH(Kernel)                                                              \
  void HostDevice::launch(const Kernel &kernel) { runOnHost(kernel); }
QUILT_DEVICE_KERNELS(QUILT_DEFINE_LAUNCH)
#undef QUILT_DEFINE_LAUNCH

void Device::copyBox(const float *src, const BoxRef &srcBox, float *dst, const BoxRef &dstBox,
                     const std::vector<int64_t> &box) {
  CopyBoxKernel kernel{boxGeometry(box, srcBox, &dstBox), src, dst};
  if (kernel.box.elements())
    launch(kernel);
}

void Device::fillBox(float *dst, const BoxRef &at, const std::vector<int64_t> &box,
                     float value) {
  FillBoxKernel kernel{boxGeometry(box, at, nullptr), dst, value};
  if (kernel.box.elements())
    launch(kernel);
}

Device &hostDevice() {
  static HostDevice device;
  return device;
}

} // namespace quilt
