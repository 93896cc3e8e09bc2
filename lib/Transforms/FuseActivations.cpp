//===- FuseActivations.cpp - fold activations into convolutions ------------===//
#include "quilt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <cmath>

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
  // The conv now computes the activation's value: the conv's own is gone.
  conv->setLoc(FusedLoc::get(conv->getContext(),
                             {withoutOnnxValueNames(conv->getLoc()), activationOp->getLoc()}));
  activationOp->getResult(0).replaceAllUsesWith(conv.getResult());
  activationOp->erase();
}

/// True when `value` is a constant whose every element is `expected`.
static bool isSplat(Value value, float expected) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue()) : nullptr;
  if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
    return false;
  return std::abs(dense.getSplatValue<float>() - expected) <= 1e-6f * std::abs(expected);
}

/// The operand of a binary op other than `one`, or null when `one` is not an operand.
static Value otherOperand(Operation *op, Value one) {
  if (op->getOperand(0) == one)
    return op->getOperand(1);
  if (op->getOperand(1) == one)
    return op->getOperand(0);
  return {};
}

template <typename OpT> static OpT soleUser(Value value) {
  return value.hasOneUse() ? dyn_cast<OpT>(*value.getUsers().begin()) : OpT();
}

/// Exact GELU as exporters write it, x * (1 + erf(x / sqrt 2)) * 0.5, becomes
/// one quilt.gelu (with the types of the final product, which broadcasting
/// cannot change since every constant is a splat of the same rank).
static void fuseGelu(ErfOp erf) {
  auto div = erf.getInput().getDefiningOp<DivOp>();
  if (!div || !div->hasOneUse() || !isSplat(div.getRhs(), std::sqrt(2.0f)))
    return;
  Value x = div.getLhs();
  auto add = soleUser<AddOp>(erf.getResult());
  if (!add || !isSplat(otherOperand(add, erf.getResult()), 1.0f))
    return;
  auto times = soleUser<MulOp>(add.getResult());
  if (!times || otherOperand(times, add.getResult()) != x)
    return;
  auto half = soleUser<MulOp>(times.getResult());
  if (!half || !isSplat(otherOperand(half, times.getResult()), 0.5f) ||
      half.getResult().getType() != x.getType())
    return;
  OpBuilder builder(half);
  // Only the last multiply's value survives (as the GELU's).
  Location loc = FusedLoc::get(
      erf->getContext(),
      {withoutOnnxValueNames(div->getLoc()), withoutOnnxValueNames(erf->getLoc()),
       withoutOnnxValueNames(add->getLoc()), withoutOnnxValueNames(times->getLoc()),
       half->getLoc()});
  Value gelu = GeluOp::create(builder, loc, x);
  half.getResult().replaceAllUsesWith(gelu);
  SmallVector<Operation *> constants{otherOperand(half, times.getResult()).getDefiningOp(),
                                     otherOperand(add, erf.getResult()).getDefiningOp(),
                                     div.getRhs().getDefiningOp()};
  for (Operation *dead : {half.getOperation(), times.getOperation(), add.getOperation(),
                          erf.getOperation(), div.getOperation()})
    dead->erase();
  // The pattern's constants are dead unless something else shares them.
  for (Operation *constant : constants)
    if (constant->use_empty())
      constant->erase();
}

/// Mish as exporters before opset 18 write it, x * tanh(softplus(x)),
/// becomes one quilt.mish.
static void fuseMish(SoftplusOp softplus) {
  Value x = softplus.getInput();
  auto tanh = soleUser<TanhOp>(softplus.getResult());
  if (!tanh)
    return;
  auto times = soleUser<MulOp>(tanh.getResult());
  if (!times || otherOperand(times, tanh.getResult()) != x ||
      times.getResult().getType() != x.getType())
    return;
  OpBuilder builder(times);
  Location loc = FusedLoc::get(softplus->getContext(),
                               {withoutOnnxValueNames(softplus->getLoc()),
                                withoutOnnxValueNames(tanh->getLoc()), times->getLoc()});
  Value mish = MishOp::create(builder, loc, x);
  times.getResult().replaceAllUsesWith(mish);
  times->erase();
  tanh->erase();
  softplus->erase();
}

struct FuseActivations : quilt::impl::QuiltFuseActivationsBase<FuseActivations> {
  void runOnOperation() override {
    SmallVector<ErfOp> erfs;
    getOperation()->walk([&](ErfOp erf) { erfs.push_back(erf); });
    for (ErfOp erf : erfs)
      fuseGelu(erf);
    SmallVector<SoftplusOp> softpluses;
    getOperation()->walk([&](SoftplusOp softplus) { softpluses.push_back(softplus); });
    for (SoftplusOp softplus : softpluses)
      fuseMish(softplus);
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
