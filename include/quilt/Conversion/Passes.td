//===- Passes.td - quilt lowering passes --------------------*- tablegen -*-===//
#ifndef QUILT_CONVERSION_PASSES_TD
#define QUILT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuiltLowerToRuntime : Pass<"quilt-lower-to-runtime", "mlir::ModuleOp"> {
  let summary = "Bufferize into one arena, plan memory and lower ops to runtime calls";
  let description = [{
    Input: the partitioned SPMD module. Every local tensor gets an arena slot
    sized by its largest per-rank extent (ceil block plus halos); slots are
    reused once a value is dead (first-fit on the lifetime intervals), and an
    elementwise op or a reshape writes its result over an operand of the same
    size that dies there (a reshape then moves no data).
    Constants go to the weights blob. Each op becomes a call
    `quilt_rt_<op>(ctx, params, buffers)` with a constant `params` word array
    (tensor layouts, then attributes, see docs/runtime-abi.md). The ops whose
    result depends on the rank alone (a shard_slice of a constant: a weight
    split with the tensor it meets; a splat of more than 1024 elements filled
    at run time) go into `quilt_model_init`, which the executable runs once
    before the first step, and their slots live as long as the program;
    every other op into `quilt_model_run`, one step. Output: LLVM dialect
    defining `quilt_model_init`, `quilt_model_run` and `quilt_model_info`,
    plus module attributes `quilt.arena_bytes`, `quilt.pack_scratch_bytes` (the
    pack region: the most any communication op packs on any rank, by
    CommunicationCost's packBytesPerRank) and `quilt.weights_bytes`.
    `weights-file`, when set, receives the weights blob. `target` and
    `alignment` are the runtime target's (quiltc's target registry): the
    model info records the target, which the runtime checks it was linked
    for, and every slot and the weights blob are aligned to `alignment`.
  }];
  let options = [
    Option<"weightsFile", "weights-file", "std::string", "\"\"",
           "Write the weights blob (Quilt weights format) to this path">,
    Option<"target", "target", "std::string", "\"cpu\"",
           "The runtime target recorded in the model info (quiltc --target)">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Byte alignment of arena slots and weights (the target's)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // QUILT_CONVERSION_PASSES_TD
