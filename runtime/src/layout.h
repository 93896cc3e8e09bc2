// Decoding of the params word arrays the compiler emits (see quilt/runtime.h):
// tensor layouts become local views (extent and global start of every dim)
// for this rank, attributes are read in order after them.
#ifndef QUILT_RUNTIME_LAYOUT_H
#define QUILT_RUNTIME_LAYOUT_H

#include "quilt/partition_math.h"
#include "quilt/runtime.h"

#include <cstdint>
#include <vector>

namespace quilt {

/// One dim of a tensor layout, as encoded (QUILT_LAYOUT_WORDS_PER_DIM words).
struct DimLayout {
  int64_t globalSize = 0;
  int64_t meshAxis = -1;
  Window window;          // stride 0: no halo on this dim
  int64_t globalOut = 0;  // size of the output dim the window serves
  int64_t boundary = QUILT_BOUNDARY_ZERO;
  int64_t granule = 1;    // split dims: blocks of whole granules
  /// Further mesh axes splitting the dim in nested blocks (-1: none).
  int64_t minorAxes[2] = {-1, -1};

  bool isSplit() const { return meshAxis >= 0; }
  /// Every mesh axis splitting the dim, major first.
  std::vector<int64_t> axes() const {
    std::vector<int64_t> all;
    for (int64_t a : {meshAxis, minorAxes[0], minorAxes[1]})
      if (a >= 0)
        all.push_back(a);
    return all;
  }
  /// Whether the dim is split by exactly the one mesh axis `axis`.
  bool splitByOnly(int64_t axis) const { return meshAxis == axis && minorAxes[0] < 0; }
  bool hasHalo() const { return isSplit() && window.stride != 0; }
  bool isPeriodic() const { return boundary == QUILT_BOUNDARY_PERIODIC; }
};

/// The global index range this rank's local dim holds, for a dim of a mesh
/// axis of `parts` ranks at coordinate `coord`. Halo dims may begin below 0
/// or end past the global size.
Range localRange(const DimLayout &dim, int64_t parts, int64_t coord);

/// This rank's view of one operand or result.
struct TensorView {
  std::vector<DimLayout> dims;
  std::vector<int64_t> extent; // local extent of each dim
  std::vector<int64_t> start;  // global position of local index 0

  int rank() const { return static_cast<int>(dims.size()); }
  int64_t numElements() const;
  bool isEmpty() const { return numElements() == 0; }
  /// Product of the extents of dims [begin, end).
  int64_t product(int begin, int end) const;
  std::vector<int64_t> globalShape() const;
};

/// Reads one layout at `words`; returns the number of words consumed.
size_t decodeLayout(const int64_t *words, std::vector<DimLayout> &dims);

/// Builds the view from a layout for a rank at `coords` of `mesh`.
TensorView makeView(const std::vector<DimLayout> &dims, const std::vector<int64_t> &mesh,
                    const std::vector<int64_t> &coords);

/// Attributes, read in order.
class AttrReader {
public:
  explicit AttrReader(const int64_t *words) : next_(words) {}
  int64_t next() { return *next_++; }
  double nextDouble();
  std::vector<int64_t> nextList(int64_t count);
  const int64_t *position() const { return next_; }

private:
  const int64_t *next_;
};

/// A decoded params array.
struct OpParams {
  std::vector<TensorView> tensors;
  AttrReader attrs{nullptr};
  /// Words from params[0] up to the first attribute.
  size_t layoutWords = 0;
};

OpParams decodeParams(const quilt_rt_ctx &ctx, const int64_t *params);

/// Throws unless the op has between `least` and `most` tensors.
/// The most tensors one op's params may list (a Concat's inputs and output).
constexpr int64_t kMaxOpTensors = 1 << 16;
void expectTensorCount(const OpParams &op, size_t least, size_t most);

/// Row-major element strides of a dense tensor of `extent`.
std::vector<int64_t> denseStrides(const std::vector<int64_t> &extent);

} // namespace quilt

#endif // QUILT_RUNTIME_LAYOUT_H
