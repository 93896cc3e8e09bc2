//===- ReportHalos.cpp - per-rank halo and re-block ranges as remarks ------===//
#include "quilt/Transforms/Passes.h"
#include "quilt/halo_segments.h"

#include "llvm/Support/raw_ostream.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTREPORTHALOS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// "N from ranks [a, b]": the positions moved between `me` and each other
/// rank, in either direction, and the ranks that move any.
std::string positionsAndPeers(const HaloAxis &axis, int64_t me, bool sending) {
  int64_t total = 0;
  std::string peers;
  for (int64_t q = 0; q < axis.parts; ++q) {
    int64_t n = sending ? haloPositionsSent(axis, me, q) : haloPositionsSent(axis, q, me);
    if (n == 0)
      continue;
    total += n;
    peers += (peers.empty() ? "" : ", ") + std::to_string(q);
  }
  return std::to_string(total) + (sending ? " to ranks [" : " from ranks [") + peers + "]";
}

struct ReportHalos : quilt::impl::QuiltReportHalosBase<ReportHalos> {
  void runOnOperation() override {
    getOperation()->walk([](HaloExchangeOp op) {
      MeshOp mesh = lookupMesh(op, op.getMeshAttr());
      if (!mesh)
        return;
      WindowAttr wa = op.getWindow();
      HaloAxis axis{op.getGlobal(), mesh.getAxisSize(op.getAxis()),
                    wa.toWindow(op.getGlobal(), op.getGlobalOut()),
                    op.getGlobalOut(), static_cast<HaloBoundary>(op.getBoundary())};
      if (LocalAttr local = getLocalEncoding(op.getResult().getType()))
        axis.granule = axis.outGranule = local.getGranule(op.getDim());
      for (int64_t r = 0; r < axis.parts; ++r) {
        Range own = axis.ownBlock(r);
        Range need = neededRange(axis, r);
        int64_t pads = 0;
        for (Range padding : zeroPaddingRanges(axis, r))
          pads += padding.size();
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "rank " << r << " owns [" << own.begin << ", " << own.end << ") needs [" << need.begin
           << ", " << need.end << ") receives " << positionsAndPeers(axis, r, false) << " pads "
           << pads << " sends " << positionsAndPeers(axis, r, true);
        op.emitRemark(text);
      }
    });
    // A re-block: each owner's old and new block of the dim (nested owners
    // numbered row-major over the dim's axes), and what moves.
    getOperation()->walk([](ReblockOp op) {
      MeshOp mesh = lookupMesh(op, op.getMeshAttr());
      LocalAttr from = getLocalEncoding(op.getInput().getType());
      LocalAttr to = getLocalEncoding(op.getResult().getType());
      if (!mesh || !from || !to)
        return;
      int64_t dim = op.getDim();
      std::vector<int64_t> levels;
      for (Attribute a : cast<ArrayAttr>(from.getDims()[dim]))
        levels.push_back(mesh.getAxisSize(cast<StringAttr>(a).getValue()));
      HaloAxis axis =
          reblockAxis(from.getGlobal()[dim], levels, from.getGranule(dim), to.getGranule(dim));
      for (int64_t r = 0; r < axis.parts; ++r) {
        Range own = axis.ownBlock(r), mine = axis.outBlock(r);
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "owner " << r << " held [" << own.begin << ", " << own.end << ") holds ["
           << mine.begin << ", " << mine.end << ") receives " << positionsAndPeers(axis, r, false)
           << " sends " << positionsAndPeers(axis, r, true);
        op.emitRemark(text);
      }
    });
  }
};
} // namespace
