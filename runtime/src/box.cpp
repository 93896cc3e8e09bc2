#include "box.h"
#include "layout.h"

#include <algorithm>
#include <cstring>

namespace quilt {
namespace {

/// The box as (outer dims, contiguous run): trailing dims that the box covers
/// whole in both tensors fold into one run.
struct RunPlan {
  int outerDims = 0;      // dims iterated one index at a time
  int64_t runLength = 1;  // elements per memcpy
};

RunPlan planRuns(const std::vector<int64_t> &box, const BoxRef &a, const BoxRef *b) {
  int rank = static_cast<int>(box.size());
  RunPlan plan;
  int d = rank - 1;
  auto whole = [&](int i) {
    bool ok = (*a.shape)[i] == box[i] && a.offset[i] == 0;
    if (b)
      ok = ok && (*b->shape)[i] == box[i] && b->offset[i] == 0;
    return ok;
  };
  while (d >= 0 && whole(d)) {
    plan.runLength *= box[d];
    --d;
  }
  if (d >= 0)
    plan.runLength *= box[d];
  plan.outerDims = std::max(d, 0);
  return plan;
}

int64_t linearOffset(const std::vector<int64_t> &strides, const std::vector<int64_t> &offset,
                     const std::vector<int64_t> &index) {
  int64_t at = 0;
  for (size_t i = 0; i < strides.size(); ++i)
    at += (offset[i] + index[i]) * strides[i];
  return at;
}

/// Calls `run(srcAt, dstAt)` for each contiguous run, in row-major order.
template <class Fn>
void forEachRun(const std::vector<int64_t> &box, const BoxRef &a, const BoxRef *b,
                RunPlan plan, Fn run) {
  for (int64_t e : box)
    if (e == 0)
      return;
  std::vector<int64_t> aStrides = denseStrides(*a.shape);
  std::vector<int64_t> bStrides = b ? denseStrides(*b->shape) : aStrides;
  std::vector<int64_t> index(box.size(), 0);
  while (true) {
    run(linearOffset(aStrides, a.offset, index),
        b ? linearOffset(bStrides, b->offset, index) : 0);
    int d = plan.outerDims - 1;
    for (; d >= 0; --d) {
      if (++index[d] < box[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

} // namespace

void copyBox(const float *src, const BoxRef &srcBox, float *dst, const BoxRef &dstBox,
             const std::vector<int64_t> &box) {
  RunPlan plan = planRuns(box, srcBox, &dstBox);
  forEachRun(box, srcBox, &dstBox, plan, [&](int64_t s, int64_t d) {
    std::memcpy(dst + d, src + s, plan.runLength * sizeof(float));
  });
}

void fillBox(float *dst, const BoxRef &at, const std::vector<int64_t> &box, float value) {
  RunPlan plan = planRuns(box, at, nullptr);
  forEachRun(box, at, nullptr, plan, [&](int64_t d, int64_t) {
    std::fill(dst + d, dst + d + plan.runLength, value);
  });
}

std::vector<int64_t> withDim(std::vector<int64_t> shape, int dim, int64_t extent) {
  shape[dim] = extent;
  return shape;
}

std::vector<int64_t> offsetAt(size_t rank, int dim, int64_t value) {
  std::vector<int64_t> offset(rank, 0);
  offset[dim] = value;
  return offset;
}

} // namespace quilt
