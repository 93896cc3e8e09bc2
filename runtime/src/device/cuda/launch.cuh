// The CUDA launcher of Quilt's kernel bodies (box_kernels.h, moments.h): a
// functor whose operator()(i) does the work of index i runs as a grid-stride
// loop, so one capped grid covers any element count and the bodies stay
// plain QUILT_HD code the host device also runs and CI tests on the CPU.
#ifndef QUILT_RUNTIME_CUDA_LAUNCH_CUH
#define QUILT_RUNTIME_CUDA_LAUNCH_CUH

#include "cuda_device.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace quilt {

/// Threads per block; the emulated CUDA device emulates grids of this size.
constexpr int64_t kCudaBlockThreads = 256;
/// Blocks of one launch: 65535 x 256 = 16.7M threads is ~60x what an H200
/// keeps resident (132 SMs x 2048), so larger counts just loop; the cap also
/// keeps the grid far below gridDim.x's 2^31 - 1 limit.
constexpr int64_t kCudaMaxBlocks = 65535;

/// k(i) for every i < n. Indices are 64-bit: tensors may exceed 2^31
/// elements, and gridDim.x * blockDim.x must not wrap in 32 bits.
template <class Kernel> __global__ void runKernel(Kernel k, int64_t n) {
  int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    k(i);
}

/// Queues `kernel` over n indices on `stream`; nothing for n == 0 (a launch
/// with zero blocks is an error). Launch errors (and earlier asynchronous
/// faults the runtime reports here) throw one line.
template <class Kernel> void launchKernel(const Kernel &kernel, int64_t n, cudaStream_t stream) {
  if (n <= 0)
    return;
  int64_t blocks = std::min((n + kCudaBlockThreads - 1) / kCudaBlockThreads, kCudaMaxBlocks);
  runKernel<Kernel>
      <<<static_cast<unsigned>(blocks), static_cast<unsigned>(kCudaBlockThreads), 0, stream>>>(
          kernel, n);
  checkCuda(cudaGetLastError(), "kernel launch");
}

} // namespace quilt

#endif // QUILT_RUNTIME_CUDA_LAUNCH_CUH
