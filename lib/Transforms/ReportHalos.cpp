//===- ReportHalos.cpp - per-rank halo ranges as remarks -------------------===//
#include "quilt/Transforms/Passes.h"

#include "llvm/Support/raw_ostream.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTREPORTHALOS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {
struct ReportHalos : quilt::impl::QuiltReportHalosBase<ReportHalos> {
  void runOnOperation() override {
    getOperation()->walk([](HaloExchangeOp op) {
      MeshOp mesh = lookupMesh(op, op.getMeshAttr());
      if (!mesh)
        return;
      int64_t parts = mesh.getAxisSize(op.getAxis());
      WindowAttr wa = op.getWindow();
      Window w{wa.getStride(), wa.getDilation(), wa.getKernel(), wa.getPadLo()};
      int64_t n = op.getGlobal();
      for (int64_t r = 0; r < parts; ++r) {
        Range own = blockRange(n, parts, r);
        Range need = haloInputRange(w, op.getGlobalOut(), parts, r);
        Range inside = intersect(need, {0, n});
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "rank " << r << " owns [" << own.begin << ", " << own.end << ") needs ["
           << need.begin << ", " << need.end << ") receives "
           << haloReceiveCount(w, n, op.getGlobalOut(), parts, r) << " from ranks [";
        bool first = true;
        for (int64_t q = 0; q < parts; ++q) {
          if (q == r || intersect(inside, blockRange(n, parts, q)).empty())
            continue;
          os << (first ? "" : ", ") << q;
          first = false;
        }
        os << "] pads " << need.size() - inside.size();
        op.emitRemark(text);
      }
    });
  }
};
} // namespace
