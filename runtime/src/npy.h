// Slab I/O of .npy files: each rank reads and writes only its own block of a
// split tensor, with pread/pwrite per contiguous run, so no rank ever holds a
// whole sharded tensor.
#ifndef QUILT_RUNTIME_NPY_H
#define QUILT_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace quilt {

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

/// The header bytes of a float32 C-order array of `shape`, padded so the
/// data starts 64-byte aligned (as numpy writes it).
std::string encodeNpyHeader(const std::vector<int64_t> &shape);

/// Reads `slab` of the float32 array in `path` (whose header is `header`)
/// into `dst`, dense row-major over the slab's extents.
void readNpySlab(const std::string &path, const NpyHeader &header, const Slab &slab, float *dst);

/// Creates or truncates `path` and writes the header of a float32 array.
void createNpyFile(const std::string &path, const std::vector<int64_t> &shape);

/// Writes `src` (dense over the slab's extents) into `slab` of the float32
/// array of `shape` in the existing file `path`.
void writeNpySlab(const std::string &path, const std::vector<int64_t> &shape, const Slab &slab,
                  const float *src);

} // namespace quilt

#endif // QUILT_RUNTIME_NPY_H
