//===- QuiltInterfaces.td - the sharding-rule interface -------*- tablegen -*-===//
#ifndef QUILT_INTERFACES_TD
#define QUILT_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Quilt_ShardingRuleOpInterface : OpInterface<"ShardingRuleOpInterface"> {
  let cppNamespace = "::quilt";
  let description = [{
    A compute op describes each dim of its operands and results as a factor
    shared between them (Shardy's idea). A factor is parallel, reduction,
    windowed (with its window) or whole. The same rule object drives
    propagation, partitioning and the cost model.
  }];
  let methods = [
    InterfaceMethod<"The op's sharding rule", "::quilt::ShardingRule",
                    "getShardingRule", (ins)>,
  ];
}

#endif // QUILT_INTERFACES_TD
