#include "signature.h"
#include "error.h"

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
      out += strCat("  ", i, " ", ios[i].name, ": ", ios[i].dtype, " ",
                    shapeString(ios[i].globalShape()), " ", splitDescription(ios[i], info), "\n");
  };
  list("inputs", info.inputs);
  list("outputs", info.outputs);
  return out;
}

} // namespace quilt
