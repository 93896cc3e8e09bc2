// e^x without a library call, for the softmax-like kernels (attention's
// online softmax, softmax): libm's expf is a call per element that the host
// compiler cannot vectorize (no -ffast-math, no vector libm), and it was half
// of a ViT's time on this CPU. One body on every device, so the host, the
// emulated device and a GPU round alike.
#ifndef QUILT_RUNTIME_FAST_EXP_H
#define QUILT_RUNTIME_FAST_EXP_H

#include "device/kernel_qualifiers.h"

#include <cstdint>
#include <cstring>

namespace quilt {

/// e^x within 2 ulp of the exact value for -87.3 <= x <= 88.3 (Cephes'
/// expf: x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial for e^r, 2^n
/// put in the exponent bits). Below -87.3 (where e^x is subnormal) it is
/// 0; above 88.3 it saturates at e^88.3 (the softmax kernels only take
/// e^(x - max) <= 1). NaN gives NaN. Branch-free: loops of it vectorize.
QUILT_HD inline float fastExp(float x) {
  constexpr float kLowest = -87.3f, kHighest = 88.3f;
  constexpr float kLog2e = 1.44269504088896341f;
  // ln 2 in two parts: n * kLn2Hi is exact for |n| < 2^9.
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  // Adding 1.5 * 2^23 rounds to an integer (round to nearest) held in the
  // low mantissa bits.
  constexpr float kRound = 12582912.f;
  float clamped = x < kLowest ? kLowest : x;
  clamped = clamped > kHighest ? kHighest : clamped;
  float shifted = clamped * kLog2e + kRound;
  float n = shifted - kRound;
  int32_t shiftedBits, roundBits;
  std::memcpy(&shiftedBits, &shifted, sizeof(float));
  std::memcpy(&roundBits, &kRound, sizeof(float));
  int32_t scaleBits = (shiftedBits - roundBits + 127) * (1 << 23);
  float scale;
  std::memcpy(&scale, &scaleBits, sizeof(float));
  float r = clamped - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float result = (p * r * r + r + 1.f) * scale;
  return x < kLowest ? 0.f : result;
}

} // namespace quilt

#endif // QUILT_RUNTIME_FAST_EXP_H
