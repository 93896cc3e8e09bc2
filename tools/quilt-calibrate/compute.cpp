// The node's roofline for quilt-calibrate: peak f32 FLOP/s (an FMA-bound
// kernel in the widest vector ISA the CPU has), STREAM triad memory
// bandwidth, the strided pack of a W halo, and one kernel's fixed cost.
// Measured on rank 0 with every core of the node while the other ranks
// sleep in a barrier: the topology file holds the node's figures, which the
// ranks on it share.
#include "calibrate.h"

#include <dnnl.hpp>
#include <immintrin.h>
#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace quilt::calibrate {

Timing timeKernel(const std::function<void()> &kernel, double seconds) {
  kernel();
  std::vector<double> times;
  double start = now();
  while (times.size() < 10000 && (times.size() < 3 || now() - start < seconds)) {
    double t0 = now();
    kernel();
    times.push_back(now() - t0);
  }
  Timing timing;
  timing.median = median(times);
  timing.best = *std::min_element(times.begin(), times.end());
  timing.reps = static_cast<int>(times.size());
  return timing;
}

namespace {

// Independent FMA chains per thread: enough to cover the FMA latency times
// the FMA ports of current cores, few enough to stay in registers.
constexpr int kChains = 12;

__attribute__((target("avx512f"))) float fmaChains512(long iters) {
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j)
    acc[j] = _mm512_set1_ps(float(j));
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j)
      acc[j] = _mm512_fmadd_ps(acc[j], m, c);
  }
  float lanes[16];
  __m512 sum = acc[0];
  for (int j = 1; j < kChains; ++j)
    sum = _mm512_add_ps(sum, acc[j]);
  _mm512_storeu_ps(lanes, sum);
  return lanes[0] + lanes[15];
}

__attribute__((target("avx2,fma"))) float fmaChains256(long iters) {
  __m256 acc[kChains];
  for (int j = 0; j < kChains; ++j)
    acc[j] = _mm256_set1_ps(float(j));
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j)
      acc[j] = _mm256_fmadd_ps(acc[j], m, c);
  }
  float lanes[8];
  __m256 sum = acc[0];
  for (int j = 1; j < kChains; ++j)
    sum = _mm256_add_ps(sum, acc[j]);
  _mm256_storeu_ps(lanes, sum);
  return lanes[0] + lanes[7];
}

/// Baseline x86-64: a multiply and an add, two flops in two instructions.
float mulAddChains128(long iters) {
  __m128 acc[kChains];
  for (int j = 0; j < kChains; ++j)
    acc[j] = _mm_set1_ps(float(j));
  const __m128 m = _mm_set1_ps(0.999999f), c = _mm_set1_ps(1e-7f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < kChains; ++j)
      acc[j] = _mm_add_ps(_mm_mul_ps(acc[j], m), c);
  }
  float lanes[4];
  _mm_storeu_ps(lanes, acc[0]);
  return lanes[0] + lanes[3];
}

struct FmaKernel {
  const char *isa;
  int lanes;
  float (*run)(long);
};

FmaKernel widestFmaKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512f", 16, fmaChains512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2+fma", 8, fmaChains256};
  return {"sse2 (mul+add)", 4, mulAddChains128};
}

/// GFLOP/s of all threads running FMA chains at once, best of a few runs.
double measurePeak(const Options &options, std::string &isa) {
  FmaKernel kernel = widestFmaKernel();
  isa = kernel.isa;
  double flopsPerIter = 2.0 * kernel.lanes * kChains;
  volatile float sink = 0;
  auto runAll = [&](long iters) {
    double start = now();
#pragma omp parallel
    {
      float r = kernel.run(iters);
#pragma omp atomic
      sink += r;
    }
    return now() - start;
  };
  // Size the run to ~0.1 s (quick: 0.03 s) from a short probe.
  long iters = 1 << 16;
  double probe = runAll(iters);
  iters = std::max<long>(iters, long(iters * (options.quick ? 0.03 : 0.1) / probe));
  double best = 1e30;
  for (int r = 0; r < (options.quick ? 2 : 5); ++r)
    best = std::min(best, runAll(iters));
  return flopsPerIter * iters * omp_get_max_threads() / best / 1e9;
}

/// STREAM triad a = b + s c, best of repetitions, counted as STREAM does:
/// 12 bytes per element (no write-allocate traffic).
long triadElements(const Options &options) { return options.quick ? (16L << 20) : (32L << 20); }

double measureTriad(const Options &options) {
  long n = triadElements(options);
  float *a = static_cast<float *>(std::aligned_alloc(64, n * 4));
  float *b = static_cast<float *>(std::aligned_alloc(64, n * 4));
  float *c = static_cast<float *>(std::aligned_alloc(64, n * 4));
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    a[i] = 0;
    b[i] = 1;
    c[i] = 2;
  }
  const float s = 3;
  Timing t = timeKernel(
      [&] {
#pragma omp parallel for simd schedule(static)
        for (long i = 0; i < n; ++i)
          a[i] = b[i] + s * c[i];
      },
      kernelSeconds(options));
  std::free(a);
  std::free(b);
  std::free(c);
  return 12.0 * n / t.best / 1e9;
}

/// The W halo of a 3x3 conv: a one-column box of an NCHW tensor packed into
/// a dense slab, one memcpy per row as the runtime's copyBox does. Payload
/// bytes per second, median; the column moves one cache line per run so
/// that the rows it reads are not already in cache.
double measurePack(const Options &options) {
  const long c = 32, h = options.quick ? 256 : 512, w = 512, halo = 1;
  std::vector<float> tensor(c * h * w, 1.0f), slab(c * h * halo);
  long run = 0;
  Timing t = timeKernel(
      [&] {
        long column = (16 * run++) % (w - halo);
        const float *from = tensor.data() + column;
        float *to = slab.data();
#pragma omp parallel for schedule(static)
        for (long row = 0; row < c * h; ++row)
          std::memcpy(to + row * halo, from + row * w, halo * sizeof(float));
      },
      kernelSeconds(options));
  return c * h * halo * sizeof(float) / t.median / 1e9;
}

/// One oneDNN eltwise primitive on 16 floats, executed and waited for:
/// the fixed cost of a kernel (dispatch plus the parallel region).
double measureLaunch(const Options &options) {
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  dnnl::memory::desc desc({16}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference,
                                  dnnl::algorithm::eltwise_relu, desc),
      engine);
  dnnl::eltwise_forward relu(pd);
  dnnl::memory src(desc, engine), dst(desc, engine);
  std::memset(src.get_data_handle(), 0, 16 * sizeof(float));
  Timing t = timeKernel(
      [&] {
        relu.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
        stream.wait();
      },
      options.quick ? 0.02 : 0.1);
  return t.median * 1e6;
}

/// An empty OpenMP parallel region, for comparison with the launch cost.
double measureParallelRegion(const Options &options) {
  Timing t = timeKernel(
      [] {
#pragma omp parallel
        { asm volatile(""); }
      },
      options.quick ? 0.02 : 0.1);
  return t.median * 1e6;
}

/// Lets this rank's threads run on every CPU of the node: mpirun binds a
/// rank to one core, and OpenMP threads inherit the binding.
void useAllCores(int cores) {
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    CPU_SET(cpu, &all);
  sched_setaffinity(0, sizeof(all), &all);
  omp_set_num_threads(cores);
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

double memTotalGB() {
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("MemTotal:", 0) == 0) {
      std::istringstream fields(line.substr(9));
      double kib = 0;
      fields >> kib;
      return kib * 1024 / 1e9;
    }
  return 0;
}

} // namespace

DeviceMeasurement measureDevice(const Options &options) {
  DeviceMeasurement device;
  device.cores = std::max(1u, std::thread::hardware_concurrency());
  useAllCores(device.cores);
  device.cpuName = cpuModel();
  device.memoryGB = memTotalGB();
  device.peakGflops = measurePeak(options, device.isa);
  device.memoryBandwidthGBps = measureTriad(options);
  device.packBandwidthGBps = measurePack(options);
  device.launchUs = measureLaunch(options);
  auto &detail = device.rooflineDetail;
  detail["peak"] = device.isa + ": " + std::to_string(kChains) +
                   " independent FMA chains per thread, best of repeated runs";
  detail["memory_bandwidth"] = "STREAM triad a = b + s c over 3 arrays of " +
                               std::to_string(triadElements(options) >> 20) +
                               "Mi floats, best of repeated runs";
  char region[160];
  std::snprintf(region, sizeof(region),
                "oneDNN eltwise (relu) on 16 floats, executed and waited for, median; an empty "
                "OpenMP parallel region takes %.3g us",
                measureParallelRegion(options));
  detail["launch"] = region;
  detail["pack"] = "one-column W halo (a 3x3 conv's) of a 1x32x" +
                   std::string(options.quick ? "256" : "512") +
                   "x512 f32 NCHW tensor into a dense slab, one memcpy per row as the "
                   "runtime's copyBox, rows split over the threads; payload bytes / median time";
  measureOpClasses(options, device);
  return device;
}

} // namespace quilt::calibrate
