#include "signature.h"
#include "error.h"

#include <algorithm>

namespace quilt {

std::string splitDescription(const IoSpec &io, const ModelInfo &info) {
  std::string out;
  for (size_t d = 0; d < io.layout.size(); ++d) {
    std::vector<int64_t> axes = io.layout[d].axes();
    for (size_t k = 0; k < axes.size(); ++k)
      out += strCat(k ? " then " : (out.empty() ? "split: " : ", "), k ? "" : strCat("dim ", d, " by "),
                    info.axisNames[axes[k]]);
  }
  return out.empty() ? "replicated" : out;
}

std::string signatureText(const ModelInfo &info) {
  std::string out = strCat("mesh '", info.meshName, "': ", info.meshString(), " (",
                           info.meshSize(), " ranks)\n");
  auto list = [&](const char *title, const std::vector<IoSpec> &ios) {
    out += strCat(title, ":\n");
    for (size_t i = 0; i < ios.size(); ++i)
      out += strCat("  ", i, " ", ios[i].name, ": ", dtypeName(ios[i].dtype), " ",
                    shapeString(ios[i].globalShape()), " ", splitDescription(ios[i], info), "\n");
  };
  list("inputs", info.inputs);
  list("outputs", info.outputs);
  if (info.tf32)
    out += "math: tf32 (convolutions and products on tensor cores, TF32 inputs)\n";
  out += placementText(info);
  return out;
}

std::string placementText(const ModelInfo &info) {
  // Row-major: the last axis varies fastest, so with ranks filled node by
  // node (mpirun --map-by core, the default) it is the one inside a node,
  // as the plan's cost model placed it (docs/user-guide.md, "Planning").
  int64_t ranks = info.meshSize(), stride = ranks;
  std::string out = "placement: world rank -> mesh coordinates, row-major (the last axis varies "
                    "fastest; fill nodes with consecutive ranks, mpirun --map-by core):";
  for (size_t i = 0; i < info.axisSizes.size(); ++i) {
    stride /= info.axisSizes[i];
    out += strCat(i ? "," : "", " ", info.axisNames[i], " = rank / ", stride, " % ",
                  info.axisSizes[i]);
  }
  out += "\n";
  constexpr int64_t kListed = 64;
  for (int64_t r = 0; r < std::min(ranks, kListed); ++r) {
    out += strCat("  rank ", r, ": (");
    int64_t rest = r, s = ranks;
    for (size_t i = 0; i < info.axisSizes.size(); ++i) {
      s /= info.axisSizes[i];
      out += strCat(i ? ", " : "", info.axisNames[i], "=", rest / s);
      rest %= s;
    }
    out += ")\n";
  }
  if (ranks > kListed)
    out += strCat("  ... (", ranks - kListed, " more ranks)\n");
  return out;
}

} // namespace quilt
