// Slab I/O of .npy files: each rank reads and writes only its own block of a
// split tensor, with pread/pwrite per contiguous run, so no rank ever holds a
// whole sharded tensor.
#ifndef QUILT_RUNTIME_NPY_H
#define QUILT_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace quilt {

/// The element types a model's inputs and outputs may have in their .npy
/// files. Quilt computes in float32; the edges convert (integers and bools
/// exactly up to 2^24 in magnitude, float64 rounded to nearest).
enum class NpyDtype { Float32, Float64, Int64, Int32, Bool };

/// "float32", "int64", ...: the names the model info uses.
bool parseDtypeName(const std::string &name, NpyDtype &dtype);
const char *dtypeName(NpyDtype dtype);
/// numpy's descr ("<f4", "<i8", "|b1", ...) and element size.
const char *npyDescr(NpyDtype dtype);
size_t dtypeBytes(NpyDtype dtype);

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
/// integer that float32 cannot hold exactly is an error naming `path`.
void readNpySlab(const std::string &path, const NpyHeader &header, const Slab &slab, float *dst,
                 NpyDtype dtype = NpyDtype::Float32);

/// Creates or truncates `path` and writes the header of an array.
void createNpyFile(const std::string &path, const std::vector<int64_t> &shape,
                   NpyDtype dtype = NpyDtype::Float32);

/// Writes `src` (float32, dense over the slab's extents) into `slab` of the
/// array of `shape` and `dtype` in the existing file `path`; integers round
/// to nearest, bools are src != 0.
void writeNpySlab(const std::string &path, const std::vector<int64_t> &shape, const Slab &slab,
                  const float *src, NpyDtype dtype = NpyDtype::Float32);

} // namespace quilt

#endif // QUILT_RUNTIME_NPY_H
