// The mesh axes a collective runs over (its group: members numbered row-major
// over the axes, as nested blocks number their owners) and checks of how they
// split a dim.
#ifndef QUILT_RUNTIME_AXIS_GROUP_H
#define QUILT_RUNTIME_AXIS_GROUP_H

#include "context.h"
#include "error.h"
#include "layout.h"

#include <algorithm>

namespace quilt {

/// Reads `count` then `count` mesh axes: at least one, each of the mesh, none twice.
inline AxisList readAxes(AttrReader &attrs, const quilt_rt_ctx &ctx) {
  int64_t count = attrs.next();
  if (count < 1 || count > static_cast<int64_t>(ctx.mesh.size()))
    raise("needs 1 to ", ctx.mesh.size(), " mesh axes, got ", count);
  AxisList axes = attrs.nextList(count);
  for (size_t i = 0; i < axes.size(); ++i) {
    ctx.axisSize(axes[i]);
    if (std::count(axes.begin(), axes.end(), axes[i]) != 1)
      raise("mesh axis ", axes[i], " is listed twice");
  }
  return axes;
}

/// Ranks along each of `axes`.
inline std::vector<int64_t> axisSizes(const quilt_rt_ctx &ctx, const AxisList &axes) {
  std::vector<int64_t> sizes;
  for (int64_t a : axes)
    sizes.push_back(ctx.axisSize(a));
  return sizes;
}

/// Ranks in a group of `axes`.
inline int64_t groupSize(const quilt_rt_ctx &ctx, const AxisList &axes) {
  int64_t members = 1;
  for (int64_t a : axes)
    members *= ctx.axisSize(a);
  return members;
}

/// Whether a plain (halo-free) dim is split by `major` then `minor`, in nested blocks.
inline bool splitByThen(const DimLayout &dim, const AxisList &major, const AxisList &minor) {
  AxisList want = major;
  want.insert(want.end(), minor.begin(), minor.end());
  return dim.axes() == want && !dim.hasHalo();
}

} // namespace quilt

#endif // QUILT_RUNTIME_AXIS_GROUP_H
