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

def Quilt_ElementwiseKernelOpInterface : OpInterface<"ElementwiseKernelOpInterface"> {
  let cppNamespace = "::quilt";
  let description = [{
    An op computed element by element by one entry of the runtime's kernel
    tables (quilt/runtime.h): with one operand `quilt_rt_unary` and a
    `quilt_unary_kind`, with two (numpy broadcasting over equal ranks)
    `quilt_rt_binary` and a `quilt_binary_kind`. Every dim is parallel, and
    the result may overwrite an operand of its size. Lowering, rules and the
    passes that move elementwise ops treat every such op alike.
  }];
  let methods = [
    InterfaceMethod<"The kind in the runtime's unary or binary table", "int64_t",
                    "getKernelKind", (ins)>,
    InterfaceMethod<"The kind's float parameters, in the kernel's order (alpha, beta)",
                    "::llvm::SmallVector<double, 2>", "getKernelParams", (ins)>,
  ];
}

#endif // QUILT_INTERFACES_TD
