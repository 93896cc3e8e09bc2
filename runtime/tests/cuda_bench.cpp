// The GPU check's micro-benchmarks (scripts/gpu-check.sh): Quilt's own
// kernels against the copy engine's bandwidth, and Quilt's GEMM entry point
// against the bare cuBLAS call on the same shape. Prints one table row per
// measurement (name, value, unit, reference, ratio). Without a GPU it fails
// at once with one line naming the CUDA error, as every CUDA program of
// Quilt does.
#include "cuda_device.h"
#include "kernels/unary_kernels.h"

#include <cublas_v2.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace quilt;

namespace {

/// Median of `repeats` timings (ms) of `work` on the compute stream, after
/// two warm-up runs.
double timeMs(CudaDevice &device, const std::function<void()> &work, int repeats = 10) {
  cudaEvent_t start, stop;
  checkCuda(cudaEventCreate(&start), "cudaEventCreate");
  checkCuda(cudaEventCreate(&stop), "cudaEventCreate");
  for (int i = 0; i < 2; ++i)
    work();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    checkCuda(cudaEventRecord(start, device.computeStream()), "cudaEventRecord");
    work();
    checkCuda(cudaEventRecord(stop, device.computeStream()), "cudaEventRecord");
    checkCuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float t = 0;
    checkCuda(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
    ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void row(const char *name, double value, const char *unit, double reference) {
  std::printf("%-44s %10.3f %-6s %10.3f %6.2f\n", name, value, unit, reference,
              reference > 0 ? value / reference : 0.0);
}

void checkCublas(cublasStatus_t status, const char *call) {
  if (status != CUBLAS_STATUS_SUCCESS)
    raise("cuBLAS ", call, ": ", cublasGetStatusString(status));
}

void run() {
  CudaDevice device(0);
  std::printf("device %s\n", device.name());
  std::printf("%-44s %10s %-6s %10s %6s\n", "measurement", "value", "unit", "reference", "ratio");
  const size_t n = size_t(1) << 28; // 1 GiB of floats
  DeviceBuffer a(device, n * 4), b(device, n * 4);
  double gb = 2.0 * n * 4 / 1e9; // read + write
  double copyMs = timeMs(device, [&] {
    checkCuda(cudaMemcpyAsync(b.data(), a.data(), n * 4, cudaMemcpyDeviceToDevice,
                              device.computeStream()),
              "cudaMemcpyAsync");
  });
  double copyTBs = gb / copyMs;
  row("cudaMemcpy device-to-device 1 GiB", copyTBs, "TB/s", 0);
  double reluMs = timeMs(device, [&] {
    device.launch(UnaryKernel{a.floats(), b.floats(), int64_t(n), QUILT_UNARY_RELU, 0.f});
  });
  row("elementwise relu 1 GiB (vs copy)", gb / reluMs, "TB/s", copyTBs);
  // Box geometries as boxGeometry() builds them (device/box_kernels.h).
  BoxGeometry whole;
  whole.dims = 1;
  whole.extent[0] = int64_t(n);
  whole.srcStride[0] = whole.dstStride[0] = 1;
  double boxMs = timeMs(device, [&] { device.launch(CopyBoxKernel{whole, a.floats(), b.floats()}); });
  row("box copy, contiguous 1 GiB (vs copy)", gb / boxMs, "TB/s", copyTBs);
  // A strided slab: rows 100..163 of every channel of a [256, 1024, 1024]
  // tensor, packed: 256 runs of 64K floats (a wide halo along H).
  BoxGeometry slab;
  slab.dims = 2;
  slab.extent[0] = 256;
  slab.extent[1] = 64 * 1024;
  slab.srcStride[0] = 1024 * 1024;
  slab.dstStride[0] = 64 * 1024;
  slab.srcStride[1] = slab.dstStride[1] = 1;
  slab.srcBase = 100 * 1024;
  double slabGb = 2.0 * 256 * 64 * 1024 * 4 / 1e9;
  double packMs = timeMs(device, [&] { device.launch(CopyBoxKernel{slab, a.floats(), b.floats()}); });
  row("slab pack, 64 rows x 256 channels (vs copy)", slabGb / packMs, "TB/s", copyTBs);

  // GEMM 4096^3: the bare cuBLAS call, FP32 (no TF32).
  const int64_t m = 4096;
  cublasHandle_t handle;
  checkCublas(cublasCreate(&handle), "cublasCreate");
  checkCublas(cublasSetStream(handle, device.computeStream()), "cublasSetStream");
  checkCublas(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  float one = 1, zero = 0;
  double gemmMs = timeMs(device, [&] {
    checkCublas(cublasSgemm_64(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, m, m, &one, a.floats(), m,
                               a.floats() + m * m, m, &zero, b.floats(), m),
                "cublasSgemm");
  });
  double tflops = 2.0 * m * m * m / gemmMs / 1e9;
  row("cuBLAS sgemm 4096^3 FP32 (vs 66.9 peak)", tflops, "TFLOP/s", 66.9);
  cublasDestroy(handle);
  device.synchronize();
}

} // namespace

int main() {
  try {
    run();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "quilt: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
