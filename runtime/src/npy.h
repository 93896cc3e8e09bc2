// Slab I/O of .npy files: each rank reads and writes only its own block of a
// split tensor, with pread/pwrite per contiguous run, so no rank ever holds a
// whole sharded tensor.
#ifndef QUILT_RUNTIME_NPY_H
#define QUILT_RUNTIME_NPY_H

#include "quilt/dtypes.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quilt {

// NpyDtype, its names, descrs and sizes: quilt/dtypes.h (shared with the
// compiler). Quilt computes in float32; the edges convert (integers and bools
// exactly up to 2^24 in magnitude, float64 and float16 rounded to nearest).

struct NpyHeader {
  std::string descr;          // e.g. "<f4"
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  size_t dataOffset = 0;      // bytes before the data
};

/// A box of a global tensor: start and extent per dim.
struct Slab {
  std::vector<int64_t> start;
  std::vector<int64_t> extent;
};

/// Parses the header of `path` (format versions 1 to 3).
NpyHeader readNpyHeader(const std::string &path);

/// The header bytes of a C-order array of `shape`, padded so the data
/// starts 64-byte aligned (as numpy writes it).
std::string encodeNpyHeader(const std::vector<int64_t> &shape,
                            NpyDtype dtype = NpyDtype::Float32);

/// Reads `slab` of the array of `dtype` in `path` (whose header is `header`)
/// into `dst` as float32, dense row-major over the slab's extents. An
/// integer that float32 cannot hold exactly (beyond 2^24 in magnitude) is an
/// error naming `path`; float64 rounds to nearest, float16 widens exactly.
void readNpySlab(const std::string &path, const NpyHeader &header, const Slab &slab, float *dst,
                 NpyDtype dtype = NpyDtype::Float32);

/// Creates or truncates `path` and writes the header of an array.
void createNpyFile(const std::string &path, const std::vector<int64_t> &shape,
                   NpyDtype dtype = NpyDtype::Float32);

/// Writes `src` (float32, dense over the slab's extents) into `slab` of the
/// array of `shape` and `dtype` in the existing file `path`, each value as
/// storeAs() converts it.
void writeNpySlab(const std::string &path, const std::vector<int64_t> &shape, const Slab &slab,
                  const float *src, NpyDtype dtype = NpyDtype::Float32);

/// What writeNpySlab stores for `value` in `dtype`, read back as float32
/// (with no 2^24 check): float32 itself; float64 the same value; float16
/// rounded to nearest even (overflow to inf, subnormals, NaN kept); bool
/// value != 0 (NaN is true); integers the value rounded to the nearest
/// integer (ties to even) and wrapped modulo 2^bits into the type, as a C
/// conversion from int64 does, so uint8 300 is 44 and -1 is 255 (what ONNX's
/// wrapping integer arithmetic gives); NaN and inf are 0.
float storeAs(NpyDtype dtype, float value);

} // namespace quilt

#endif // QUILT_RUNTIME_NPY_H
