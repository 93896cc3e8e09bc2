// The groups of mesh axes every communicator splits the world into.
#include "communicator.h"
#include "error.h"

#include <algorithm>

namespace quilt {

GroupSplit groupSplit(const std::vector<int64_t> &mesh, int rank, const AxisList &axes) {
  std::vector<int64_t> coords(mesh.size());
  int64_t rest = rank;
  for (size_t i = mesh.size(); i-- > 0;) {
    coords[i] = rest % mesh[i];
    rest /= mesh[i];
  }
  GroupSplit split;
  for (int64_t a : axes) {
    if (a < 0 || a >= static_cast<int64_t>(mesh.size()))
      raise("mesh axis ", a, " of a mesh of ", mesh.size(), " axes");
    split.key = static_cast<int>(split.key * mesh[a] + coords[a]);
  }
  for (size_t i = 0; i < mesh.size(); ++i)
    if (std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) == axes.end())
      split.color = static_cast<int>(split.color * mesh[i] + coords[i]);
  return split;
}

AxisList axesOf(AxisMask mask, size_t meshAxes) {
  AxisList list;
  for (size_t i = 0; i < meshAxes; ++i)
    if (mask & (AxisMask(1) << i))
      list.push_back(static_cast<int64_t>(i));
  return list;
}

} // namespace quilt
