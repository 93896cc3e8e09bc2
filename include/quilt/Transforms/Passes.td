//===- Passes.td - quilt sharding and partitioning passes ---*- tablegen -*-===//
#ifndef QUILT_TRANSFORMS_PASSES_TD
#define QUILT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuiltDecompose : Pass<"quilt-decompose"> {
  let summary = "Lower the ops the importer states as ONNX does (batch_norm, logic, matmul) to compute ops";
  let description = [{
    The importer builds one op per ONNX node as ONNX states it; this pass,
    the last step of the import phase (quiltc runs it before printing
    `--compile-to=import`), lowers the three that have no sharding rule of
    their own, one small pattern each:

    * `quilt.batch_norm` becomes `quilt.mul` by a per-channel scale and
      `quilt.add` of a per-channel shift (`[1, C, 1, ...]`): `scale /
      sqrt(variance + epsilon)` and `bias - mean * that`. When all four
      parameters are constants they are folded in double and rounded to
      float32 once; otherwise quilt ops compute them (in float32) from the
      `[C]` values.
    * `quilt.logic` becomes mask arithmetic on floats of 0 and 1: `and` is
      `quilt.mul`, `or` `quilt.max`, `xor` `quilt.abs(quilt.sub)`, `not`
      `1 - x`.
    * `quilt.matmul` becomes `quilt.gemm` (2-D by 2-D; with a 1-D operand
      and no batch dims, between reshapes to a row or column and back) or
      a `quilt.einsum` (batch dims: one letter per result batch dim, an
      operand's broadcast batch dims of extent 1 reshaped away, a 1-D
      operand's missing row or column left out of the equation).

    The last op of each lowering keeps the op's location (the ONNX value
    names `--shard` finds); the others get its node without the names.
    Reshaped constants are re-typed, and constants left unused are erased.
    Patterns are applied in one walk: no folding and no dead-code removal,
    so the rest of the module is left as the importer built it.
  }];
  let dependentDialects = ["::quilt::QuiltDialect"];
}

def QuiltAnnotateInputs : Pass<"quilt-annotate-inputs", "mlir::ModuleOp"> {
  let summary = "Create the mesh and pin how inputs and named values are split";
  let description = [{
    Adds `quilt.mesh @mesh` with the given shape and a `quilt.annotate` on
    every tensor argument of the entry function. By default an input's largest
    spatial dims (dims 2 and up of an NC... tensor) are split, one per mesh
    axis, at priority 1000 (the weakest: propagation may rewrite it).
    `shard` names any value -- an input, an output or an intermediate ONNX
    value (the importer records value names in locations) -- with its split:
    `input:2` (dim 2 on axis 0), `x:2=0,3=1` (dim 2 on axis 0, dim 3 on
    axis 1), and an optional priority `x:2=0@p1` (p0, the default, is the
    strongest). A named intermediate value gets a `quilt.annotate` after its
    producer that all its uses read. Every annotation records the value's
    name in `quilt.name`. Mesh axes of size 1 split nothing, so a 1-rank
    program is the unsharded one.
  }];
  let options = [
    ListOption<"meshShape", "mesh-shape", "int64_t", "Ranks along each mesh axis, e.g. 4">,
    ListOption<"shard", "shard", "std::string",
               "Per value: NAME:DIM[=AXIS][@pN] (several dims: NAME:D0=A0,D1=A1 as separate items)">,
  ];
  let dependentDialects = ["::quilt::QuiltDialect"];
}

def QuiltFuseActivations : Pass<"quilt-fuse-activations"> {
  let summary = "Fold exported GELU and Mish into one op each, and activations into convolutions";
  let description = [{
    `x * (1 + erf(x / sqrt(2))) * 0.5`, as torch exports exact GELU (Div, Erf,
    Add, Mul, Mul with splat constants), becomes one `quilt.gelu`;
    `x * tanh(softplus(x))`, as torch exports Mish before opset 18 (Softplus,
    Tanh, Mul), one `quilt.mish`.
    A `quilt.relu` / `quilt.leaky_relu` whose operand is a `quilt.conv` used
    nowhere else becomes the conv's `activation`, which the runtime applies in
    the same pass over memory (a oneDNN post-op). Both ops are elementwise in
    the result, so the fused op shards exactly like the pair.
  }];
}

def QuiltFuseNormalizations : Pass<"quilt-fuse-normalizations"> {
  let summary = "Fold torch's GroupNorm export (Reshape, InstanceNormalization, Reshape) into one quilt.group_norm";
  let description = [{
    `reshape(group_norm(reshape(x : [N, C, S...] -> [N, G, R]) {groups = G}) -> [N, C, S...])`
    becomes `group_norm(x) {groups = G}` with the same scale and bias (one
    value per group). The reshapes merge the spatial dims, which no spatial
    split survives; the fused op keeps them, so they stay split and only
    per-group moments are all-reduced.
  }];
}

def QuiltFusePeriodicPads : Pass<"quilt-fuse-periodic-pads"> {
  let summary = "Turn exact Slice+Concat wraps (circular padding) into periodic quilt.pad";
  let description = [{
    `concat(slice(x, [n - lo, n) on d), x, slice(x, [0, hi) on d)) along d`
    (either slice may be absent) is `x` padded periodically by `lo` and `hi`
    on `d`: `quilt.pad {mode = periodic}`. A split `d` then gets a periodic
    halo exchange (ranks at the ends of the axis trade rows) and nothing is
    gathered.

    A roll (`torch.roll(x, k, d)`, exported as
    `concat(slice(x, [n - k, n) on d), slice(x, [0, n - k) on d))`) is a
    periodic pad of `k` below and `-k` above, written the short way round
    (`|k| <= n/2`): a split `d` gets a periodic shift exchange in which each
    rank receives the `|k|` rows its block reads, from as many ranks as `k`
    spans. Slices that do not wrap or rotate exactly, on any dim, keep their
    plain meaning (a split concat axis is then gathered, with a remark).
  }];
}

def QuiltFuseAttention : Pass<"quilt-fuse-attention"> {
  let summary = "Fold MatMul(Softmax(MatMul(q, kT)), v) into quilt.attention";
  let description = [{
    Batched MatMuls (einsums `P m x, P x n -> P m n`) around a last-axis
    Softmax, each used once, become `quilt.attention(q, k, v)` with
    `k = kT` with its last two dims swapped (folded into the transpose that
    produced `kT`, when there is one). Scaling of the scores stays on `q`.

    An Add between the scores MatMul and the Softmax, of the scores (alone
    in reading them) and a value broadcast to their shape, becomes the
    attention's `bias`: Swin's relative position bias
    `Softmax(q kT + B) v`. Split tokens then stay split (a ring adds each
    block's columns of `B`) where the MatMuls would gather keys and values.
    A mask added through a reshape (Swin's shifted windows) stays unfused.
  }];
}

def QuiltKeepTokenGrid : Pass<"quilt-keep-token-grid"> {
  let summary = "Keep the dims a reshape merges into tokens (H, W -> H*W) apart through the ops that follow";
  let description = [{
    A reshape that merges consecutive dims, `[.., H, W, ..] -> [.., H*W, ..]`
    (an image flattened into tokens), can keep only the major dim's split: a
    block of `H*W` is a run of whole rows. This pass moves each such merge
    downstream, one op at a time, rewriting the op to compute the same
    function on the unmerged dims:

    * elementwise ops (broadcast operands of extent 1 get a 1 per part;
      constants with the merged extent, e.g. positional embeddings, are
      reshaped),
    * transposes (the parts move together), slices keeping the merged dim,
      layer_norm and softmax over other dims (axes renumbered),
    * einsums keeping the merged letter (one letter per part), gemms whose
      rows are merged (an einsum plus the bias),
    * reshapes of other dims (the merge follows),
    * reductions (sum, mean, max): one over the merged dim reduces over all
      its parts (a mean over the tokens is a mean over the grid), others are
      renumbered, and
    * `quilt.attention` whose q, k and v tokens are merged (`token_dims`;
      a bias `[.., Tq, Tk]` is reshaped to both grids), or whose q, k and v
      are merged alike in a batch dim (Swin's grid of windows; a bias
      broadcast over the windows gets unit dims).

    A reshape merging several groups at once, or dropping or adding unit
    dims beside a merge (Swin's window partition `(1, H/w, W/w, w, w, C) ->
    (H/w * W/w, w*w, C)`), is first rewritten as a chain: the unit dims,
    then one merge per group, the most major outermost. Its merges then move
    like any other, so the window counts of an image split over H and W stay
    apart, and each rank's windows stay on it.

    A merge that meets the reshape splitting `H*W` back into `H, W` cancels
    with it; one that meets any other op stays in front of it. quiltc runs it
    before sharding, so an image split over H and W keeps its tiles through
    a transformer over its patches (ring attention over every rank). Like any
    greedy rewrite it also erases ops whose results are unused.
  }];
}

def QuiltSplitExtraTokens : Pass<"quilt-split-extra-tokens"> {
  let summary = "Keep extra tokens (a class token) apart from the patch tokens they are concatenated to";
  let description = [{
    A concat of a few tokens (at most 16: a class token, a distillation
    token, registers) with many along the token dim would gather the many
    where they are split (several few pieces before or after the many are
    grouped into one first). This pass moves such a concat downstream one op at
    a time, computing the op on each piece: any op whose sharding rule makes
    the token dim a parallel factor (elementwise ops, where a positional
    embedding is sliced alike, transposes, layer_norm and softmax over other
    dims, einsums and gemms whose rows are the tokens: the rule says which
    operand dims are cut, so the pass lists no ops), reshapes keeping the
    token dim, slices (one within a piece becomes a slice of that piece: a
    ViT head's token 0 is the class stream), and `quilt.attention`: the queries
    of each stream attend to the many keys plus the few as `prefix` keys,
    which every rank holds. The few tokens are then computed on every rank,
    the many stay split (ring attention with the prefix merged first), and
    `quilt-keep-token-grid`, which quiltc runs next, keeps their grid. A
    concat meeting any other op stays in front of it.
  }];
}

def QuiltPrintShardingRules : Pass<"quilt-print-sharding-rules"> {
  let summary = "Attach each compute op's sharding rule as a `quilt.rule` string (for tests)";
}

def QuiltPropagateSharding : Pass<"quilt-propagate-sharding", "mlir::ModuleOp"> {
  let summary = "Give every value a sharding, starting from quilt.annotate";
  let description = [{
    Runs each function to a fixed point, forward and backward, with
    priorities (Shardy's p0, p1, ...; the smaller is stronger).

    Forward, in program order: an op's result dims take the split of the
    operand dims that share their factor (parallel, windowed or statistic);
    a split reduction factor makes the result partial over that axis; a split
    factor the op needs whole is dropped (the partitioner gathers it and
    remarks which ONNX node forced it). Where operands split a factor
    differently, or put one mesh axis on different factors, the assignment
    chosen is the one that moves the fewest operands of the strongest
    priority, then of the next, ...; then the one using the most mesh axes;
    then the one whose reshards move the fewest bytes per rank (estimated
    from global shapes and mesh axis sizes, counting the all-reduce a split
    contraction leaves); ties keep the earlier operand's split. A result
    carries the strongest priority among the operands whose splits it keeps.

    Backward: where a split meets a weaker one -- a `quilt.annotate` whose
    input is laid out otherwise, or an op that would reshard a weaker
    operand -- the weaker annotation is rewritten (`quilt.rewrite_reason`)
    when that removes the reshard: an annotation downstream takes its
    stronger input's layout; one upstream takes the layout that ops between
    them (parallel, windowed, statistic factors) turn into the stronger one.
    An input's default split has priority 1000, so annotating any value
    pulls the inputs' layouts after it.

    A reshard that stays then moves upstream while that moves fewer bytes
    (through single-use results of ops that can produce the wanted layout
    from their operands'): a `quilt.annotate` with `quilt.reshard_reason` is
    placed there. Every rewrite makes an annotation strictly stronger and
    every move strictly cheaper, so the iteration ends. Each op gets
    `quilt.shardings` (one per result); `quilt.sharding_origin` records why,
    with the bytes of the choice and of the split it was chosen over.

    The plan it leaves is all the partitioner reads: on every op with a rule
    its factor-to-axes assignment (`quilt.factor_axes`, and
    `quilt.factor_granules`), on a DFT that moves its axis the move
    (`quilt.axis_move`), why an operand is resharded (`quilt.reshard_why`),
    and on every `quilt.attention` its algorithm
    (`quilt.attention_algorithm`, from the `attention` option).
  }];
  let options = [
    Option<"explain", "explain", "bool", "false",
           "Emit a remark per value saying where its sharding came from">,
    Option<"attention", "attention", "std::string", "\"ring\"",
           "The algorithm recorded for attention with split keys: ring or all-gather">,
  ];
}

def QuiltReplicateNarrowBlocks : Pass<"quilt-replicate-narrow-blocks", "mlir::ModuleOp"> {
  let summary = "Rewrite the plan: compute ops whose spatial blocks are narrow on every rank";
  let description = [{
    A plan rewrite between propagation and partitioning (halo exchange or
    gather, per region). At the coarse levels of a U-Net a split spatial dim
    leaves each rank a few rows, and every windowed op there exchanges a halo
    as wide as its block; gathering once and computing those ops whole on
    every rank can cost less. For every op with a plan, a spatial factor
    (a result dim 2 and up of an NC... tensor) split into blocks of fewer than
    `min-block` positions loses its mesh axes in `quilt.factor_axes` (and its
    results' `quilt.shardings` follow); the partitioner then gathers what
    enters such a region (with a remark) and slices, locally, what leaves it.
    Whether it pays, and from which level on, is the cost model's call: the
    plan search (`quiltc --mesh=auto`) evaluates each candidate without it
    and with `min-block` = 4, 8, 16 and 32, keeping the cheapest.
    `min-block=0` (the default) changes nothing.
  }];
  let options = [
    Option<"minBlock", "min-block", "int64_t", "0",
           "Replicate spatial factors whose blocks have fewer positions than this (0: off)">,
  ];
}

def QuiltDistributeFlattenContraction
    : Pass<"quilt-distribute-flatten-contraction", "mlir::ModuleOp"> {
  let summary = "Contract a flattened split tensor without gathering it";
  let description = [{
    Runs after `quilt-propagate-sharding`. A `gemm(reshape(x: [N, d1..dk] ->
    [N, K]), B)` whose `x` is split on one of `d1..dk` would need `x` whole
    (a block of a merged dim is not a block of its parts). When `B` is a
    constant, the contraction is rewritten over the unmerged dims:
    `reduce_sum(mul(x[N, d.., 1], B'[1, d.., M]), d..)`, reshaped to `[N, M]`,
    plus the bias. Each rank then contracts its own block against the
    matching rows of `B` and an all-reduce sums the partials. Re-run
    propagation afterwards (quiltc does).
  }];
  let dependentDialects = ["::quilt::QuiltDialect"];
}

def QuiltShrinkSpectralTransposes : Pass<"quilt-shrink-spectral-transposes"> {
  let summary = "Slice Fourier modes before, and zero-fill them after, the all-to-all of a DFT";
  let description = [{
    A DFT on a split axis moves that axis's mesh axis to another dim with an
    all-to-all (`quilt-partition`). Three rewrites on global tensors make it
    move only what the model keeps:

    * A DFT whose users are all `quilt.slice`s: each other dim is sliced
      before the DFT to the range the slices keep (a DFT along one axis
      commutes with slicing another), e.g. the W modes a Fourier layer keeps
      are cut before the DFT along a split H.
    * A DFT of a zero `quilt.pad` of other dims: the DFT runs first and the
      padding follows (the transform of zeros is zero), so the zero-fill of
      the W modes comes after the inverse DFT along H.
    * A `quilt.pad` or `quilt.concat` whose only user is a DFT along the dim
      it pads or concatenates gets `quilt.transpose_for_dft`: a split of that
      dim moves by all-to-all before it (not after), so the zero-fill happens
      locally and the transpose carries the unpadded modes.

    `quiltc --shrink-spectral-transposes=false` skips this pass (to measure it).
  }];
}

def QuiltPartition : Pass<"quilt-partition", "mlir::ModuleOp"> {
  let summary = "Rewrite the global program into one SPMD program of local tensors";
  let description = [{
    Turns every value's global type into its per-rank local type
    (`tensor<..x?x..xf32, #quilt.local<...>>`) and inserts the communication
    that keeps results exact: `quilt.halo_exchange` before windowed ops on
    split dims (the op keeps its attributes, padding included, and reads the
    halo'd range in global coordinates),
    `quilt.all_reduce` where a split reduction leaves partial sums (a
    `quilt.reduce_scatter` over the axes a consumer slices the sum by),
    `quilt.all_to_all` where mesh axes move from one dim to another (the
    minor-most axes of a dim become the minor-most axes the op wants on
    another dim, both in plain blocks; one collective over all of them),
    `quilt.reblock` where a dim keeps its axes but needs blocks of whole
    granules of another size (Swin windows from plain rows, with a remark:
    only the positions that change owner move),
    `quilt.all_gather` where an op needs a
    split dim whole or an axis cannot move (each with a remark naming the
    ONNX node and why) and `quilt.shard_slice` where a replicated value
    meets a split one. Operands split differently are laid out per the
    assignment propagation chose (the fewest bytes moved). Function results
    are returned with the sharding their producers have. Softmax and
    normalizations over split dims merge their statistics in all-reduces;
    `quilt.attention` with split keys becomes `quilt.ring_attention`, or,
    where its plan says `quilt.attention_algorithm = "all-gather"`, gathers
    keys and values (with a remark) and attends locally. Every op with a rule
    must carry its plan (`quilt.factor_axes`): the partitioner decides nothing.
  }];
  let options = [
    Option<"attention", "attention", "std::string", "\"ring\"",
           "The algorithm of attention with split keys where the plan records none: ring "
           "(K/V blocks circulate) or all-gather">
  ];
  let dependentDialects = ["::quilt::QuiltDialect"];
}

def QuiltShareHalos : Pass<"quilt-share-halos", "mlir::ModuleOp"> {
  let summary = "One halo exchange for all the windowed ops reading a value along a dim";
  let description = [{
    Runs after `quilt-partition`, which gives every windowed op its own
    `quilt.halo_exchange`. Exchanges of the same value, dim, mesh axis and
    boundary serving the same output dim become one: equal windows merge as
    they are, and conv-like windows of one stride (convolutions and pools of
    different kernels, dilations or pads, pads, slices) merge into the window
    whose range is, on every rank, the hull of theirs: the widest reader's
    window when it is widest on both sides, else a dense window (dilation 1)
    spanning the hull. Each reader then reads its own sub-range of the wider
    halo'd buffer in global coordinates. Exchanges of a further dim of the
    merged ones (2-D splits) then share an input and merge in turn. A
    different boundary (zero, periodic, reflect, edge), stride or output size
    never merges. The merged exchange sits where the first one was and its
    location fuses the readers'. DeepLabV3's atrous pyramid (dilations 12,
    24, 36 on one 2048-channel tensor) sends its widest halo once instead of
    three halos. `quiltc --share-halos=false` skips the pass (to measure it).
  }];
  let dependentDialects = ["::quilt::QuiltDialect"];
}

def QuiltReportHalos : Pass<"quilt-report-halos"> {
  let summary = "Remark, per halo exchange and per rank, what each rank owns, needs and receives";
  let description = [{
    For every `quilt.halo_exchange`, emits one remark per rank of its mesh axis:
    `rank R owns [a, b) needs [c, d) receives N from ranks [...] pads P sends M to ranks [...]`,
    counted in positions along the split dim. The numbers come from
    quilt/halo_segments.h, the same code the runtime's halo exchange uses, so
    tests can check halo widths rank by rank. `quiltc --report` turns the
    positions sent into bytes per rank. For every `quilt.reblock`, one per
    owner of the dim: `owner R held [a, b) holds [c, d) receives N from
    ranks [...] sends M to ranks [...]`.
  }];
}

#endif // QUILT_TRANSFORMS_PASSES_TD
