//===- FuseActivations.cpp - fold activations into convolutions ------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTFUSEACTIVATIONS
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;
using namespace quilt;

namespace {

/// Folds `activation(conv)` into the conv when the conv has no other use.
static void fuse(Operation *activationOp, Activation kind, float alpha) {
  auto conv = activationOp->getOperand(0).getDefiningOp<ConvOp>();
  if (!conv || !conv->hasOneUse() || conv.getActivation() != Activation::None)
    return;
  conv.setActivation(kind);
  conv.setActivationAlpha(APFloat(alpha));
  conv->setLoc(FusedLoc::get(conv->getContext(), {conv->getLoc(), activationOp->getLoc()}));
  activationOp->getResult(0).replaceAllUsesWith(conv.getResult());
  activationOp->erase();
}

struct FuseActivations : quilt::impl::QuiltFuseActivationsBase<FuseActivations> {
  void runOnOperation() override {
    SmallVector<Operation *> activations;
    getOperation()->walk([&](Operation *op) {
      if (isa<ReluOp, LeakyReluOp>(op))
        activations.push_back(op);
    });
    for (Operation *op : activations) {
      if (auto leaky = dyn_cast<LeakyReluOp>(op))
        fuse(op, Activation::LeakyRelu, leaky.getAlpha().convertToFloat());
      else
        fuse(op, Activation::Relu, 0.0f);
    }
  }
};
} // namespace
