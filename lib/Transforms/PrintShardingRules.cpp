//===- PrintShardingRules.cpp - expose sharding rules to FileCheck ---------===//
#include "quilt/Transforms/Passes.h"

namespace quilt {
#define GEN_PASS_DEF_QUILTPRINTSHARDINGRULES
#include "quilt/Transforms/Passes.h.inc"
} // namespace quilt

using namespace mlir;

namespace {
struct PrintShardingRules
    : quilt::impl::QuiltPrintShardingRulesBase<PrintShardingRules> {
  void runOnOperation() override {
    getOperation()->walk([](quilt::ShardingRuleOpInterface op) {
      op->setAttr("quilt.rule", StringAttr::get(op->getContext(), op.getShardingRule().str()));
    });
  }
};
} // namespace
