// Efficiency per op class for quilt-calibrate: one representative kernel per
// class, run the way the runtime runs it (oneDNN primitives with the
// runtime's plain layouts, FFTW, OpenMP loops), timed against the node's
// roofline. FLOPs and bytes count the op's inputs and outputs once, as the
// plan cost model counts them; whatever more the kernel moves is what the
// efficiency absorbs.
#include "calibrate.h"
#include "kernels/attention_kernels.h"
#include "kernels/pool_kernels.h"

#include <dnnl.hpp>
#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

namespace quilt::calibrate {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

/// One class's kernel: its FLOPs and bytes under the cost model's counting,
/// the median time, and a line saying what ran.
struct ClassRun {
  double flops = 0, bytes = 0, seconds = 0;
  std::string what;
  /// Run on one thread, as the runtime runs its own loops: timed against
  /// one core's share of the node's roofline.
  bool oneThread = false;
  /// What the time is held against: the roofline (the class's efficiency
  /// times both its FLOPs and its bytes), its FLOPs alone (the efficiency of
  /// a class whose bytes have a memory efficiency of their own) or its bytes
  /// alone (that memory efficiency: device.memory_efficiency).
  enum class Against { Roofline, Flops, Bytes } against = Against::Roofline;
};

struct Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

memory filled(const memory::desc &desc, const dnnl::engine &engine, float value) {
  memory m(desc, engine);
  float *data = static_cast<float *>(m.get_data_handle());
  std::fill(data, data + desc.get_size() / sizeof(float), value);
  return m;
}

std::string format(const char *fmt, double a, double b = 0, double c = 0, double d = 0) {
  char line[256];
  std::snprintf(line, sizeof(line), fmt, a, b, c, d);
  return line;
}

/// A user tensor in the runtime's plain layout and, when the primitive
/// prefers another, its own copy with the reorder between them (as the
/// runtime's conv kernel does on every call).
struct Operand {
  memory user, inside;
  std::optional<dnnl::reorder> reorder;
  Operand(const memory::desc &plain, const memory::desc &wanted, Dnnl &d, bool toPlain)
      : user(filled(plain, d.engine, 0.01f)), inside(user) {
    if (wanted == plain)
      return;
    inside = memory(wanted, d.engine);
    reorder = toPlain ? dnnl::reorder(inside, user) : dnnl::reorder(user, inside);
  }
  void run(Dnnl &d) {
    if (reorder)
      reorder->execute(d.stream, user, inside);
  }
  void runBack(Dnnl &d) {
    if (reorder)
      reorder->execute(d.stream, inside, user);
  }
};

/// A 3x3 (2-D, class "conv") or 3x3x3 (3-D, class "conv3d") convolution,
/// pad 1, in the runtime's plain NCHW / NCDHW layouts with the reorders its
/// conv kernel runs on every call. The 3-D one has fewer channels, as the
/// volumetric nets Quilt runs do (oneDNN's 3-D kernels were 1.7-2.4x slower
/// per FLOP than the 2-D class on the 2-core VM).
ClassRun convRun(const Options &options, Dnnl &d, int spatial) {
  const bool volumetric = spatial == 3;
  const long n = 1, c = volumetric ? 8 : 32, k = c;
  const long side = volumetric ? (options.quick ? 24 : 48) : (options.quick ? 64 : 128);
  memory::dims src{n, c}, weights{k, c}, dst{n, k}, ones;
  for (int i = 0; i < spatial; ++i) {
    src.push_back(side), dst.push_back(side), weights.push_back(3);
    ones.push_back(1);
  }
  Tag data = volumetric ? Tag::ncdhw : Tag::nchw, filter = volumetric ? Tag::oidhw : Tag::oihw;
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      memory::desc(src, kF32, Tag::any), memory::desc(weights, kF32, Tag::any),
      memory::desc(dst, kF32, Tag::any), ones, ones, ones);
  dnnl::convolution_forward::primitive_desc pd(desc, d.engine);
  dnnl::convolution_forward conv(pd);
  Operand in({src, kF32, data}, pd.src_desc(), d, false);
  Operand w({weights, kF32, filter}, pd.weights_desc(), d, false);
  Operand out({dst, kF32, data}, pd.dst_desc(), d, true);
  w.run(d); // weights are reordered once, when a plan is built
  Timing t = timeKernel(
      [&] {
        in.run(d);
        conv.execute(d.stream, {{DNNL_ARG_SRC, in.inside},
                                {DNNL_ARG_WEIGHTS, w.inside},
                                {DNNL_ARG_DST, out.inside}});
        out.runBack(d);
        d.stream.wait();
      },
      kernelSeconds(options));
  double elems = std::pow(double(side), spatial), taps = std::pow(3.0, spatial);
  return {2 * elems * k * c * taps, 4 * (elems * c + k * c * taps + elems * k), t.median,
          volumetric ? format("oneDNN conv 3x3x3 pad 1, 1x%gx%gx%gx%g, NCDHW", c, side, side, side)
                     : format("oneDNN conv 3x3 pad 1, 1x%gx%gx%g -> %g channels, NCHW", c, side,
                              side, k)};
}

/// The runtime's own pooling loop (kernels/pool_kernels.h, run on the host
/// device's one thread), counted as the cost model counts a pool (one FLOP
/// per tap, input and output bytes once). A pool's FLOPs and bytes are timed
/// apart (one efficiency cannot fit a 2x2 pool and a 3x3x3 one): a max over
/// `kernel` taps per dim, stride `stride`, pad kernel / 2, over `channels`
/// planes of `side` per dim.
ClassRun poolRun(const Options &options, int spatial, long channels, long side, long kernel,
                 long stride, ClassRun::Against against) {
  const long plane = long(std::pow(double(side), spatial));
  const long outSide = (side + 2 * (kernel / 2) - kernel) / stride + 1;
  const long outPlane = long(std::pow(double(outSide), spatial));
  std::vector<float> x(channels * plane), y(channels * outPlane);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i % 89) * 0.01f;
  PoolKernel pool{};
  pool.x = x.data();
  pool.y = y.data();
  pool.planes = channels;
  pool.xPlane = plane;
  pool.yPlane = outPlane;
  pool.kind = QUILT_POOL_MAX;
  pool.kernelSize = 1;
  pool.spatial = spatial;
  long elemStride = plane;
  for (int i = 0; i < spatial; ++i) {
    elemStride /= side;
    PoolDim &dim = pool.dim[i];
    dim.outExtent = outSide;
    dim.first = -(kernel / 2); // the pad before output 0's first tap
    dim.stride = stride;
    dim.kernel = kernel;
    dim.validLo = 0;
    dim.validHi = side;
    dim.elemStride = dim.tapStep = elemStride;
    pool.kernelSize *= kernel;
  }
  Timing t = timeKernel([&] { pool.runOnHost(); }, kernelSeconds(options));
  double outputs = double(channels) * outPlane;
  std::string window = spatial == 3 ? format("%gx%gx%g", kernel, kernel, kernel)
                                    : format("%gx%g", kernel, kernel);
  std::string shape = spatial == 3 ? format("1x%gx%gx%gx%g", channels, side, side, side)
                                   : format("1x%gx%gx%g", channels, side, side);
  ClassRun run{outputs * pool.kernelSize, 4 * (double(channels) * plane + outputs), t.median,
               "the runtime's max pool (PoolKernel) " + window + format(" stride %g", stride) +
                   " over " + shape + ", one thread, against its " +
                   (against == ClassRun::Against::Bytes ? "bytes" : "FLOPs")};
  run.oneThread = true;
  run.against = against;
  return run;
}

/// C = A B, row-major M x K by K x N; `bTransposed`: B stored N x K.
dnnl::matmul matmulOf(long m, long k, long n, bool bTransposed, Dnnl &d) {
  memory::desc a({m, k}, kF32, Tag::ab), b({k, n}, kF32, bTransposed ? Tag::ba : Tag::ab),
      c({m, n}, kF32, Tag::ab);
  return dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), d.engine));
}

ClassRun gemmRun(const Options &options, Dnnl &d) {
  const long s = options.quick ? 256 : 512;
  dnnl::matmul mm = matmulOf(s, s, s, false, d);
  memory::desc square({s, s}, kF32, Tag::ab);
  memory a = filled(square, d.engine, 0.01f), b = filled(square, d.engine, 0.01f),
         c = filled(square, d.engine, 0);
  Timing t = timeKernel(
      [&] {
        mm.execute(d.stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
        d.stream.wait();
      },
      kernelSeconds(options));
  double sd = double(s);
  return {2 * sd * sd * sd, 4 * 3 * sd * sd, t.median,
          format("oneDNN matmul %gx%gx%g", sd, sd, sd)};
}

/// Attention's two products as the runtime runs them (libraries/blas.h on
/// oneDNN): scores = Q K^T, then P V; its online softmax between them is the
/// "softmax" class (softmaxRun).
ClassRun attentionRun(const Options &options, Dnnl &d) {
  const long tokens = options.quick ? 512 : 1024, dim = 64;
  dnnl::matmul scores = matmulOf(tokens, dim, tokens, true, d);
  dnnl::matmul mix = matmulOf(tokens, tokens, dim, false, d);
  memory::desc tokenDesc({tokens, dim}, kF32, Tag::ab), keyT({dim, tokens}, kF32, Tag::ba),
      scoreDesc({tokens, tokens}, kF32, Tag::ab);
  memory q = filled(tokenDesc, d.engine, 0.01f), k = filled(keyT, d.engine, 0.01f),
         v = filled(tokenDesc, d.engine, 0.01f), o = filled(tokenDesc, d.engine, 0),
         s = filled(scoreDesc, d.engine, 0);
  Timing t = timeKernel(
      [&] {
        scores.execute(d.stream, {{DNNL_ARG_SRC, q}, {DNNL_ARG_WEIGHTS, k}, {DNNL_ARG_DST, s}});
        mix.execute(d.stream, {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, v}, {DNNL_ARG_DST, o}});
        d.stream.wait();
      },
      kernelSeconds(options));
  double td = double(tokens), dd = double(dim);
  return {4 * td * td * dd, 4 * 4 * td * dd, t.median,
          format("Q K^T and P V, two oneDNN matmuls, %g tokens x %g", td, dd)};
}

/// The runtime's own online-softmax step (kernels/attention_kernels.h, the
/// very kernel attention runs between its products), on one thread as the
/// runtime's host device runs it: two blocks of 1024 x 1024 scores merged
/// into (max, sum, output) state. Counted as the cost model counts the
/// "softmax" class (kSoftmaxFlopsPerElement, kSoftmaxBytesPerScore).
ClassRun softmaxRun(const Options &options) {
  const long rows = options.quick ? 256 : 1024, keys = 1024, dv = 64;
  std::vector<float> scores(rows * keys), rowMax(rows), rowSum(rows), acc(rows * dv, 1.f);
  std::vector<float> pattern(rows * keys);
  for (long i = 0; i < rows * keys; ++i)
    pattern[i] = float(i % 97) * 0.01f;
  Timing t = timeKernel(
      [&] {
        for (long r = 0; r < rows; ++r)
          rowMax[r] = -INFINITY, rowSum[r] = 0.f;
        for (int block = 0; block < 2; ++block) {
          std::copy(pattern.begin(), pattern.end(), scores.begin());
          AttentionMergeKernel merge{scores.data(), rowMax.data(), rowSum.data(), acc.data(),
                                     rows, keys, dv, block == 0};
          for (long r = 0; r < rows; ++r)
            merge(r);
        }
      },
      kernelSeconds(options));
  // The refill of the scores (a copy: one write per score) is timed too;
  // the runtime's product writes them, and the cost model counts that
  // write in kSoftmaxBytesPerScore.
  double n = 2.0 * rows * keys;
  ClassRun run{24 * n, 12 * n, t.median,
               format("the runtime's online-softmax merge (AttentionMergeKernel) of 2 blocks of "
                      "%g x %g scores, one thread", double(rows), double(keys))};
  run.oneThread = true;
  return run;
}

/// Batched 1-D complex FFTs as the runtime plans them (libraries/
/// host_fft.cpp: one guru64 plan per op, its flags, one thread), 5 N log2 N
/// flops per transform of N = 256 points, the same 16384 transforms (4096
/// --quick) along the middle axis of [rows, 256, inner] for inner = 1
/// (contiguous: class "fft"), 2, 4, ..., 256 (planes of 256 x inner complex
/// points, 2 KiB to 512 KiB; the widest is class "fft_strided"): where the
/// time per transform jumps is the cache bound of the plane
/// (cachedPlaneBytes, device.fft_cached_plane_bytes).
struct FftSweep {
  ClassRun contiguous, strided;
  std::vector<Point> planes; // (plane bytes, us per transform)
};

FftSweep fftSweep(const Options &options) {
  const long n = 256, transforms = options.quick ? 4096 : 16384;
  fftwf_complex *in = fftwf_alloc_complex(transforms * n), *out = fftwf_alloc_complex(transforms * n);
  std::fill(reinterpret_cast<float *>(in), reinterpret_cast<float *>(in + transforms * n), 0.5f);
  const unsigned flags = FFTW_ESTIMATE | FFTW_UNALIGNED | FFTW_PRESERVE_INPUT;
  FftSweep sweep;
  Timing first, widest;
  for (long inner = 1; inner <= n; inner *= 2) {
    long rows = transforms / inner;
    fftwf_iodim64 along{n, inner, inner};
    fftwf_iodim64 loops[2] = {{rows, n * inner, n * inner}, {inner, 1, 1}};
    fftwf_plan plan = fftwf_plan_guru64_dft(1, &along, inner > 1 ? 2 : 1, loops, in, out,
                                            FFTW_FORWARD, flags);
    Timing t = timeKernel([&] { fftwf_execute_dft(plan, in, out); }, kernelSeconds(options));
    fftwf_destroy_plan(plan);
    sweep.planes.push_back({double(n * inner * 8), t.median * 1e6 / transforms});
    if (inner == 1)
      first = t;
    widest = t;
  }
  fftwf_free(in);
  fftwf_free(out);
  double flops = double(transforms) * 5.0 * n * std::log2(double(n));
  double bytes = double(transforms) * n * 16.0;
  sweep.contiguous = {flops, bytes, first.median,
                      format("FFTW c2c 1-D of 256 points, %g along the contiguous last axis, "
                             "planned as the runtime plans, one thread",
                             double(transforms))};
  sweep.strided = {flops, bytes, widest.median,
                   format("FFTW c2c 1-D of 256 points, %g along the middle axis of [%g, 256, "
                          "256] (stride 256, planes of 512 KiB), planned as the runtime plans, "
                          "one thread",
                          double(transforms), double(transforms / n))};
  sweep.contiguous.oneThread = sweep.strided.oneThread = true;
  return sweep;
}

long streamElems(const Options &options) { return options.quick ? (4L << 20) : (16L << 20); }

ClassRun elementwiseRun(const Options &options) {
  const long n = streamElems(options);
  std::vector<float> x(n, -0.5f), y(n);
  const float a = 1.5f, b = 0.25f;
  Timing t = timeKernel(
      [&] {
        const float *xs = x.data();
        float *ys = y.data();
        // By value, as the runtime's lambdas: std::max on references
        // keeps GCC from vectorizing.
#pragma omp parallel for simd schedule(static)
        for (long i = 0; i < n; ++i) {
          float v = xs[i];
          ys[i] = (v > 0.f ? v : 0.f) * a + b;
        }
      },
      kernelSeconds(options));
  return {double(n), 8.0 * n, t.median, format("y = max(x, 0) a + b over %.0f floats", n)};
}

ClassRun reductionRun(const Options &options) {
  const long n = streamElems(options);
  std::vector<float> x(n, 1e-3f);
  volatile float sink = 0;
  Timing t = timeKernel(
      [&] {
        const float *xs = x.data();
        float sum = 0;
#pragma omp parallel for simd reduction(+ : sum) schedule(static)
        for (long i = 0; i < n; ++i)
          sum += xs[i];
        sink = sum;
      },
      kernelSeconds(options));
  return {double(n), 4.0 * n, t.median, format("sum over %.0f floats", n)};
}

/// Group-norm-like: per group, mean and variance in one pass, then
/// (x - mean) rstd gamma + beta in a second; 12 bytes and ~5 flops an element.
ClassRun normalizationRun(const Options &options) {
  const long n = streamElems(options), groups = 4, size = n / groups;
  std::vector<float> x(n, 0.5f), y(n);
  const float gamma = 1.1f, beta = 0.1f;
  Timing t = timeKernel(
      [&] {
        for (long g = 0; g < groups; ++g) {
          const float *xs = x.data() + g * size;
          float *ys = y.data() + g * size;
          double sum = 0, squares = 0;
#pragma omp parallel for simd reduction(+ : sum, squares) schedule(static)
          for (long i = 0; i < size; ++i) {
            sum += xs[i];
            squares += double(xs[i]) * xs[i];
          }
          float mean = float(sum / size);
          float scale = gamma / std::sqrt(float(squares / size) - mean * mean + 1e-5f);
#pragma omp parallel for simd schedule(static)
          for (long i = 0; i < size; ++i)
            ys[i] = (xs[i] - mean) * scale + beta;
        }
      },
      kernelSeconds(options));
  return {5.0 * n, 12.0 * n, t.median,
          format("two-pass normalization, %g groups of %.0f floats", groups, size)};
}

/// The runtime's data movement: a transpose (32x32 tiles; a side that is
/// not a power of two, whose strides would alias in cache) and a plain copy
/// of the same floats, 8 bytes an element each, pooled.
ClassRun dataMovementRun(const Options &options) {
  const long side = options.quick ? 1500 : 3000, tile = 32, n = side * side;
  std::vector<float> x(n, 1.0f), y(n);
  Timing transpose = timeKernel(
      [&] {
        const float *xs = x.data();
        float *ys = y.data();
#pragma omp parallel for collapse(2) schedule(static)
        for (long i0 = 0; i0 < side; i0 += tile)
          for (long j0 = 0; j0 < side; j0 += tile)
            for (long i = i0; i < std::min(i0 + tile, side); ++i)
              for (long j = j0; j < std::min(j0 + tile, side); ++j)
                ys[j * side + i] = xs[i * side + j];
      },
      kernelSeconds(options));
  Timing copy = timeKernel(
      [&] {
#pragma omp parallel
        {
          long threads = omp_get_num_threads(), t = omp_get_thread_num();
          long lo = n * t / threads, hi = n * (t + 1) / threads;
          std::memcpy(y.data() + lo, x.data() + lo, (hi - lo) * sizeof(float));
        }
      },
      kernelSeconds(options));
  return {0, 2 * 8.0 * n, transpose.median + copy.median,
          format("transpose of %gx%g floats (%.4g us) and a memcpy of as many (%.4g us)", side,
                 side, transpose.median * 1e6, copy.median * 1e6)};
}

} // namespace

void measureOpClasses(const Options &options, DeviceMeasurement &device) {
  Dnnl d;
  std::vector<std::pair<std::string, ClassRun>> runs;
  runs.emplace_back("conv", convRun(options, d, 2));
  runs.emplace_back("conv3d", convRun(options, d, 3));
  runs.emplace_back("gemm", gemmRun(options, d));
  FftSweep sweep = fftSweep(options);
  runs.emplace_back("fft", sweep.contiguous);
  runs.emplace_back("fft_strided", sweep.strided);
  device.fftPlanes = sweep.planes;
  device.fftCachedPlaneBytes = cachedPlaneBytes(sweep.planes);
  runs.emplace_back("elementwise", elementwiseRun(options));
  runs.emplace_back("reduction", reductionRun(options));
  runs.emplace_back("normalization", normalizationRun(options));
  runs.emplace_back("attention", attentionRun(options, d));
  runs.emplace_back("softmax", softmaxRun(options));
  runs.emplace_back("data_movement", dataMovementRun(options));
  // Pools bound by their taps (3x3 and 3x3x3, stride 1) give the
  // efficiency; one bound by its bytes (2x2 stride 2) the memory efficiency,
  // which 3-D pools share (baseOpClass).
  const long poolSide = options.quick ? 128 : 256, pool3dSide = options.quick ? 24 : 48;
  runs.emplace_back("pool", poolRun(options, 2, 16, poolSide, 3, 1, ClassRun::Against::Flops));
  runs.emplace_back("pool3d",
                    poolRun(options, 3, 8, pool3dSide, 3, 1, ClassRun::Against::Flops));
  runs.emplace_back("pool", poolRun(options, 2, 16, poolSide, 2, 2, ClassRun::Against::Bytes));
  for (auto &[opClass, run] : runs) {
    double share = run.oneThread && device.cores > 0 ? 1.0 / device.cores : 1.0;
    double flopsTime = run.flops / (device.peakGflops * share * 1e9);
    double bytesTime = run.bytes / (device.memoryBandwidthGBps * share * 1e9);
    using Against = ClassRun::Against;
    double roofline = run.against == Against::Flops   ? flopsTime
                      : run.against == Against::Bytes ? bytesTime
                                                      : std::max(flopsTime, bytesTime);
    double efficiency = std::clamp(roofline / run.seconds, 1e-4, 1.0);
    bool memory = run.against == Against::Bytes;
    (memory ? device.memoryEfficiency : device.efficiency)[opClass] = efficiency;
    (memory ? device.memoryEfficiencyDetail : device.efficiencyDetail)[opClass] =
        run.what + format(": %.4g us median, roofline %.4g us (%.4g GFLOP/s, %.4g GB/s)",
                          run.seconds * 1e6, roofline * 1e6, run.flops / run.seconds / 1e9,
                          run.bytes / run.seconds / 1e9);
  }
}

} // namespace quilt::calibrate
