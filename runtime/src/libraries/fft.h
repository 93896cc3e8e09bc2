// The FFT library of a backend (libraries.h): FFTW on the host devices
// (host_fft.cpp), cuFFT on the CUDA device (cuda/cufft_fft.cpp). One plan per
// op shape, made once and executed on device pointers on the device's
// compute stream. The transforms are the libraries' own: single precision,
// unnormalized (no 1/n), a real input giving the half spectrum; quilt_rt_dft
// (kernels/dft.cpp) completes the spectrum and scales with Quilt's kernels
// (kernels/dft_kernels.h).
#ifndef QUILT_RUNTIME_FFT_H
#define QUILT_RUNTIME_FFT_H

#include <cstdint>
#include <memory>

namespace quilt {

class Device;

/// A batch of 1-D transforms along the middle dim of dense row-major arrays
/// [outer, n, inner] (input) and [outer, outN, inner] (output). Complex
/// values are (real, imaginary) float pairs.
struct FftShape {
  int64_t outer = 1, n = 1, inner = 1;
  /// The output's extent along the transform dim: n for a complex input; at
  /// least n / 2 + 1 for a real one (the rest of the dim is left as it is).
  int64_t outN = 1;
  /// Real input (r2c, forward): output bins 0..n/2 of each signal; false:
  /// complex to complex.
  bool realInput = false;
  /// Complex input only: the backward transform (sign +1), unnormalized.
  bool inverse = false;
};

/// One planned shape on one device.
class FftPlan {
public:
  virtual ~FftPlan() = default;
  /// Queues the transform of `in` into `out` (device memory; they must not
  /// overlap; `in` is left unchanged) on the device's compute stream.
  virtual void execute(const float *in, float *out) = 0;
};

class Fft {
public:
  virtual ~Fft() = default;
  /// Plans `shape` for `device` (the device the context runs on); throws
  /// Error with one line when the library cannot.
  virtual std::unique_ptr<FftPlan> plan(Device &device, const FftShape &shape) = 0;
};

/// FFTW (host_fft.cpp): the host device and the emulated CUDA device, whose
/// memory the host computes on directly.
std::shared_ptr<Fft> createHostFft();

/// cuFFT (cuda/cufft_fft.cpp): the CUDA device only.
std::shared_ptr<Fft> createCufftFft();

} // namespace quilt

#endif // QUILT_RUNTIME_FFT_H
