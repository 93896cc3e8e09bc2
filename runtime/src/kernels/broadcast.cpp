#include "broadcast.h"
#include "error.h"

namespace quilt {
namespace {

/// `shape` with leading 1s up to `rank` dims.
std::vector<int64_t> rightAligned(const std::vector<int64_t> &shape, size_t rank) {
  if (shape.size() > rank)
    raise("operand rank ", shape.size(), " exceeds the output rank ", rank);
  std::vector<int64_t> out(rank - shape.size(), 1);
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

struct MergedDim {
  int64_t extent;
  bool fullA, fullB;
};

std::vector<MergedDim> mergeDims(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                                 const std::vector<int64_t> &out) {
  std::vector<MergedDim> dims;
  for (size_t i = 0; i < out.size(); ++i) {
    for (int64_t s : {a[i], b[i]})
      if (s != out[i] && s != 1)
        raise("cannot broadcast ", shapeString(a), " and ", shapeString(b), " to ",
              shapeString(out));
    if (out[i] == 1)
      continue; // size-1 dims change no offset
    MergedDim d{out[i], a[i] == out[i], b[i] == out[i]};
    if (!dims.empty() && dims.back().fullA == d.fullA && dims.back().fullB == d.fullB)
      dims.back().extent *= d.extent;
    else
      dims.push_back(d);
  }
  return dims;
}

std::vector<int64_t> operandStrides(const std::vector<MergedDim> &dims, bool MergedDim::*full) {
  std::vector<int64_t> strides(dims.size());
  int64_t s = 1;
  for (size_t i = dims.size(); i-- > 0;) {
    strides[i] = dims[i].*full ? s : 0;
    if (dims[i].*full)
      s *= dims[i].extent;
  }
  return strides;
}

} // namespace

BroadcastPlan planBroadcast(const std::vector<int64_t> &a, const std::vector<int64_t> &b,
                            const std::vector<int64_t> &out) {
  for (int64_t e : out)
    if (e == 0)
      return BroadcastPlan{{0}, {0}, {0}}; // nothing to compute
  std::vector<MergedDim> dims =
      mergeDims(rightAligned(a, out.size()), rightAligned(b, out.size()), out);
  BroadcastPlan plan;
  for (const MergedDim &d : dims)
    plan.extent.push_back(d.extent);
  plan.strideA = operandStrides(dims, &MergedDim::fullA);
  plan.strideB = operandStrides(dims, &MergedDim::fullB);
  return plan;
}

} // namespace quilt
