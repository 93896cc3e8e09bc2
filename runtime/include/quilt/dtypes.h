// The element types a model's inputs and outputs may have at its edges (the
// .npy files the executable reads and writes): their names, numpy descrs and
// sizes, and the float16 <-> float32 conversions. Header-only and shared by
// the compiler (the importer names an edge's dtype in `quilt.dtype`, which
// the model info carries) and the runtime (model info, .npy slab I/O,
// --print-signature), so both sides use one list of names.
//
// Quilt computes in float32: integers and bools ride exactly up to 2^24 in
// magnitude, float64 and float16 convert at the edges.
#ifndef QUILT_DTYPES_H
#define QUILT_DTYPES_H

#include <cstdint>
#include <cstring>
#include <string>

namespace quilt {

enum class NpyDtype : uint8_t {
  Float32, Float64, Int64, Int32, Bool, UInt8, Int8, UInt16, Int16, UInt32, UInt64, Float16
};

struct NpyDtypeInfo {
  NpyDtype dtype;
  const char *name;  ///< numpy's name, and the model info's: "float32", "uint8", ...
  const char *descr; ///< numpy's descr: "<f4", "|u1", ...
  unsigned bytes;
  bool isFloat; ///< float32, float64, float16
};

/// Every edge dtype, in the order of NpyDtype.
inline constexpr NpyDtypeInfo kNpyDtypes[] = {
    {NpyDtype::Float32, "float32", "<f4", 4, true},
    {NpyDtype::Float64, "float64", "<f8", 8, true},
    {NpyDtype::Int64, "int64", "<i8", 8, false},
    {NpyDtype::Int32, "int32", "<i4", 4, false},
    {NpyDtype::Bool, "bool", "|b1", 1, false},
    {NpyDtype::UInt8, "uint8", "|u1", 1, false},
    {NpyDtype::Int8, "int8", "|i1", 1, false},
    {NpyDtype::UInt16, "uint16", "<u2", 2, false},
    {NpyDtype::Int16, "int16", "<i2", 2, false},
    {NpyDtype::UInt32, "uint32", "<u4", 4, false},
    {NpyDtype::UInt64, "uint64", "<u8", 8, false},
    {NpyDtype::Float16, "float16", "<f2", 2, true},
};
inline constexpr size_t kNumNpyDtypes = sizeof(kNpyDtypes) / sizeof(kNpyDtypes[0]);
constexpr bool npyDtypesInOrder() {
  for (size_t i = 0; i < kNumNpyDtypes; ++i)
    if (static_cast<size_t>(kNpyDtypes[i].dtype) != i)
      return false;
  return true;
}
static_assert(npyDtypesInOrder(), "kNpyDtypes lists the dtypes in the order of NpyDtype");

inline const NpyDtypeInfo &npyDtypeInfo(NpyDtype dtype) {
  size_t i = static_cast<size_t>(dtype);
  return kNpyDtypes[i < kNumNpyDtypes ? i : 0];
}
inline const char *dtypeName(NpyDtype dtype) { return npyDtypeInfo(dtype).name; }
inline const char *npyDescr(NpyDtype dtype) { return npyDtypeInfo(dtype).descr; }
inline size_t dtypeBytes(NpyDtype dtype) { return npyDtypeInfo(dtype).bytes; }
/// Integers, not bool and not the floats.
inline bool isIntegerDtype(NpyDtype dtype) {
  return !npyDtypeInfo(dtype).isFloat && dtype != NpyDtype::Bool;
}

/// "float32" -> NpyDtype::Float32; false for a name that is no edge dtype.
inline bool parseDtypeName(const std::string &name, NpyDtype &dtype) {
  for (const NpyDtypeInfo &d : kNpyDtypes)
    if (name == d.name) {
      dtype = d.dtype;
      return true;
    }
  return false;
}

/// "float32, float64, ..., uint64 or float16" (`lastJoin` "or" or "and"),
/// for messages that say which dtypes an edge may have.
inline std::string dtypeNameList(const char *lastJoin = "or") {
  std::string out;
  for (size_t i = 0; i < kNumNpyDtypes; ++i) {
    if (i > 0)
      out += i + 1 < kNumNpyDtypes ? std::string(", ") : std::string(" ") + lastJoin + " ";
    out += kNpyDtypes[i].name;
  }
  return out;
}

/// IEEE binary16 bits to float32 (exact: subnormals normalize, inf and NaN
/// keep their sign and payload).
inline float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13); // inf, nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: normalize
    uint32_t shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | (113 - shift) << 23 | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// float32 to IEEE binary16 bits, rounded to nearest even: values from
/// 65520 up become inf, below 2^-14 subnormals (below 2^-25 zero, keeping
/// the sign), NaN stays a quiet NaN with the top of its payload.
inline uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) // NaN
    return static_cast<uint16_t>(sign | 0x7e00 | ((abs >> 13) & 0x3ff));
  if (abs >= 0x477ff000u) // >= 65520 (halfway above 65504, ties to even): inf
    return static_cast<uint16_t>(sign | 0x7c00);
  if (abs >= 0x38800000u) { // >= 2^-14: normal
    uint32_t h = ((abs >> 23) - 112) << 10 | ((abs >> 13) & 0x3ff);
    uint32_t rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
      ++h; // a carry into the exponent is still right
    return static_cast<uint16_t>(sign | h);
  }
  if (abs <= 0x33000000u) // <= 2^-25 (the halfway point ties to zero)
    return sign;
  // Subnormal: the value in units of 2^-24.
  uint32_t mantissa = (abs & 0x7fffff) | 0x800000, shift = 126 - (abs >> 23);
  uint32_t h = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1)))
    ++h; // may become the smallest normal, 0x400: right too
  return static_cast<uint16_t>(sign | h);
}

} // namespace quilt

#endif // QUILT_DTYPES_H
