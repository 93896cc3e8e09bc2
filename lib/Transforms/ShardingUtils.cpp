//===- ShardingUtils.cpp - shardings as editable per-dim axis lists --------===//
#include "quilt/Transforms/ShardingUtils.h"
#include "quilt/halo_segments.h"
#include "quilt/partition_math.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <functional>
#include <optional>

using namespace mlir;
using namespace quilt;

AxisSplit AxisSplit::replicated(int64_t rank) {
  AxisSplit split;
  split.dims.resize(rank);
  return split;
}

AxisSplit AxisSplit::fromAttr(ShardingAttr attr, int64_t rank) {
  AxisSplit split = replicated(rank);
  if (!attr)
    return split;
  for (int64_t d = 0; d < rank; ++d)
    for (StringRef axis : attr.getDimAxes(d))
      split.dims[d].push_back(axis.str());
  for (StringRef axis : attr.getPartialAxes())
    split.partial.push_back(axis.str());
  if (attr.getGranules())
    split.granules.assign(attr.getGranules().asArrayRef().begin(),
                          attr.getGranules().asArrayRef().end());
  return split;
}

/// The granules attribute of `split`, or null when every split dim is plain.
static DenseI64ArrayAttr granulesAttr(MLIRContext *ctx, const AxisSplit &split) {
  SmallVector<int64_t> granules;
  bool any = false;
  for (size_t d = 0; d < split.dims.size(); ++d) {
    int64_t g = split.dims[d].empty() ? 1 : split.granule(d);
    any |= g != 1;
    granules.push_back(g);
  }
  return any ? DenseI64ArrayAttr::get(ctx, granules) : DenseI64ArrayAttr();
}

static ArrayAttr toArrayAttr(Builder &b, ArrayRef<std::string> names) {
  SmallVector<Attribute> attrs;
  for (const std::string &name : names)
    attrs.push_back(b.getStringAttr(name));
  return b.getArrayAttr(attrs);
}

ShardingAttr AxisSplit::toAttr(MLIRContext *ctx, FlatSymbolRefAttr mesh) const {
  Builder b(ctx);
  SmallVector<Attribute> dimAttrs;
  for (const auto &axes : dims)
    dimAttrs.push_back(toArrayAttr(b, axes));
  return ShardingAttr::get(ctx, mesh, b.getArrayAttr(dimAttrs),
                           partial.empty() ? ArrayAttr() : toArrayAttr(b, partial),
                           granulesAttr(ctx, *this));
}

bool AxisSplit::isSplit() const {
  return llvm::any_of(dims, [](const auto &axes) { return !axes.empty(); });
}

RankedTensorType quilt::localType(RankedTensorType global, const AxisSplit &split,
                                  FlatSymbolRefAttr mesh, ArrayAttr halos) {
  if (!split.isSplit())
    return RankedTensorType::get(global.getShape(), global.getElementType());
  SmallVector<int64_t> shape(global.getShape());
  for (auto [d, axes] : llvm::enumerate(split.dims))
    if (!axes.empty())
      shape[d] = ShapedType::kDynamic;
  AxisSplit whole = split;
  whole.partial.clear();
  MLIRContext *ctx = global.getContext();
  auto encoding = LocalAttr::get(ctx, mesh, global.getShape(), whole.toAttr(ctx, mesh).getDims(),
                                 halos, granulesAttr(ctx, whole));
  return RankedTensorType::get(shape, global.getElementType(), encoding);
}

AxisSplit quilt::getResultSplit(Operation *op, unsigned index) {
  auto rank = cast<RankedTensorType>(op->getResult(index).getType()).getRank();
  auto all = op->getAttrOfType<ArrayAttr>(kShardingsAttr);
  if (!all || index >= all.size())
    return AxisSplit::replicated(rank);
  return AxisSplit::fromAttr(dyn_cast<ShardingAttr>(all[index]), rank);
}

AxisSplit quilt::getValueSplit(Value value) {
  if (Operation *op = value.getDefiningOp())
    return getResultSplit(op, cast<OpResult>(value).getResultNumber());
  return AxisSplit::replicated(cast<RankedTensorType>(value.getType()).getRank());
}

int64_t quilt::annotationPriority(AnnotateOp annotate) {
  // A reshard carries the priority of the split it serves, if any.
  if (annotate->hasAttr(kReshardReasonAttr))
    return annotate.getPriority().value_or(kNoPriority);
  return annotate.getPriority().value_or(0);
}

std::string quilt::describePriority(int64_t priority) {
  if (priority == kNoPriority)
    return "no annotation";
  if (priority >= kDefaultSplitPriority)
    return "the default split";
  return "p" + std::to_string(priority);
}

std::string quilt::describeAxes(ArrayRef<std::string> axes) {
  std::string text = axes.size() == 1 ? "mesh axis " : "mesh axes ";
  for (auto [i, axis] : llvm::enumerate(axes))
    text += (i ? ", \"" : "\"") + axis + "\"";
  return text;
}

std::string quilt::onnxNodeName(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

std::string quilt::describeNode(Operation *op) {
  std::string name = onnxNodeName(op);
  if (name.empty())
    return op->getName().getStringRef().str();
  return "ONNX node '" + name + "' (" + op->getName().getStringRef().str() + ")";
}

/// Ranks along `axis` (1 for an axis the mesh lacks: it moves nothing).
static int64_t ranksOf(MeshOp mesh, StringRef axis) {
  int64_t size = mesh ? mesh.getAxisSize(axis) : -1;
  return size > 0 ? size : 1;
}

namespace {

/// Minor-most axes of dim `from` moving to dim `to` by one all-to-all.
struct Move {
  int64_t from, to;
  SmallVector<std::string, 1> axes;
};

/// The move planReshard can make of dim `d` from `cur` toward `want`: the
/// longest run of its minor-most axes that is also the minor-most run of
/// another dim `want` splits (both plain blocks). The last axis of a dim is
/// wanted on at most one dim, so a dim moves to one dim at most.
std::optional<Move> findMove(const AxisSplit &cur, const AxisSplit &want, int64_t d) {
  const auto &have = cur.dims[d];
  if (cur.sameDim(want, d) || have.empty() || cur.granule(d) != 1)
    return std::nullopt;
  for (int64_t t = 0; t < (int64_t)want.dims.size(); ++t) {
    const auto &wanted = want.dims[t];
    if (t == d || wanted.empty() || want.granule(t) != 1)
      continue;
    size_t n = 0;
    while (n < have.size() && n < wanted.size() &&
           have[have.size() - 1 - n] == wanted[wanted.size() - 1 - n])
      ++n;
    if (n > 0)
      return Move{d, t, {have.end() - n, have.end()}};
  }
  return std::nullopt;
}

/// planReshard's state: the layout reached so far, the steps that reach it,
/// and the moves still waiting for their target.
class ReshardPlanner {
public:
  ReshardPlanner(const AxisSplit &have, const AxisSplit &want, MeshOp mesh, bool allowAllToAll,
                 ArrayRef<int64_t> shape)
      : cur(have), want(want), mesh(mesh), allowAllToAll(allowAllToAll), shape(shape) {
    cur.partial.clear();
    cur.granules.resize(want.dims.size(), 1);
  }

  SmallVector<ReshardStep> plan() {
    for (int64_t d = 0; d < rank() && d < (int64_t)shape.size(); ++d) {
      if (cur.dims[d] != want.dims[d] || cur.dims[d].empty() ||
          cur.granule(d) == want.granule(d))
        continue;
      if (blocksFallOnGranules(cur, d, shape[d], want.granule(d), mesh)) {
        steps.push_back({Kind::Relabel, {}, d, -1, want.granule(d)});
        cur.granules[d] = want.granule(d);
      } else if (allowAllToAll && shape[d] > 0 && shape[d] % want.granule(d) == 0 &&
                 shape[d] % cur.granule(d) == 0) {
        // Same axes, other granules: the rows that change owner move
        // between neighbours (a re-block), not the whole dim.
        steps.push_back({Kind::Reblock, cur.dims[d], d, -1, want.granule(d), cur.granule(d)});
        cur.granules[d] = want.granule(d);
      }
    }
    for (int64_t d = 0; d < rank() && allowAllToAll; ++d)
      if (std::optional<Move> move = findMove(cur, want, d))
        pending.push_back(*move);
    // Before the gathers, which would make the transposed tensor larger.
    runReady();
    // Gather what no move serves (a gather may uncover a move), run what is
    // ready; axes trading dims wait on each other: gather the one over the
    // fewest ranks (the cheapest), then the rest can move. Every round
    // gathers an axis or ends, and ends with no move left behind.
    for (;;) {
      gatherAll();
      runReady();
      if (pending.empty()) {
        // A move may have landed axes `want` does not keep there.
        if (llvm::all_of(llvm::seq<int64_t>(0, rank()), [&](int64_t d) { return keepsPrefix(d); }))
          break;
        continue;
      }
      auto *cheapest = llvm::min_element(pending, [&](const Move &a, const Move &b) {
        return ranksOf(mesh, a.axes.back()) < ranksOf(mesh, b.axes.back());
      });
      gather(cheapest->from);
      pending.erase(cheapest);
      runReady();
    }
    for (int64_t d = 0; d < rank(); ++d)
      for (size_t k = cur.dims[d].size(); k < want.dims[d].size(); ++k)
        steps.push_back({Kind::Slice, {want.dims[d][k]}, d, -1, want.granule(d)});
    return std::move(steps);
  }

private:
  using Kind = ReshardStep::Kind;

  int64_t rank() const { return want.dims.size(); }

  void gather(int64_t d) {
    steps.push_back({Kind::Gather, {cur.dims[d].back()}, d});
    cur.dims[d].pop_back();
    if (cur.dims[d].empty())
      cur.granules[d] = 1;
  }

  bool inUse(const std::string &axis) const {
    return llvm::any_of(cur.dims, [&](const auto &axes) { return llvm::is_contained(axes, axis); });
  }

  /// Nested blocks: gathering the minor-most axes leaves the major axes'
  /// blocks, so only axes past the longest prefix `want` shares are gathered.
  bool keepsPrefix(int64_t d) const {
    const auto &c = cur.dims[d], &w = want.dims[d];
    return c.empty() || (c.size() <= w.size() && std::equal(c.begin(), c.end(), w.begin()) &&
                         cur.granule(d) == want.granule(d));
  }

  /// Whether move `m` can run: its target holds the axes `want` puts before
  /// the moving ones; missing ones that no dim holds are sliced first (local,
  /// and the transpose then carries less).
  bool makeReady(const Move &m) {
    auto &target = cur.dims[m.to];
    const auto &wanted = want.dims[m.to];
    size_t major = wanted.size() - m.axes.size();
    if (target.size() > major || !std::equal(target.begin(), target.end(), wanted.begin()) ||
        (!target.empty() && cur.granule(m.to) != 1))
      return false;
    for (size_t k = target.size(); k < major; ++k)
      if (inUse(wanted[k]))
        return false;
    for (size_t k = target.size(); k < major; ++k) {
      steps.push_back({Kind::Slice, {wanted[k]}, m.to, -1, 1});
      target.push_back(wanted[k]);
    }
    return true;
  }

  /// Runs the moves that are ready, until none is (one move may free the
  /// target of another).
  void runReady() {
    for (auto *it = pending.begin(); it != pending.end();) {
      if (!makeReady(*it)) {
        ++it;
        continue;
      }
      steps.push_back({Kind::AllToAll, it->axes, it->from, it->to});
      llvm::append_range(cur.dims[it->to], it->axes);
      cur.dims[it->from].resize(cur.dims[it->from].size() - it->axes.size());
      if (cur.dims[it->from].empty())
        cur.granules[it->from] = 1;
      cur.granules[it->to] = 1;
      pending.erase(it);
      it = pending.begin();
    }
  }

  /// Gathers each dim down to what `want` keeps of it, or until its minor
  /// axes left can move instead.
  void gatherAll() {
    for (int64_t d = 0; d < rank(); ++d) {
      bool moving = llvm::any_of(pending, [&](const Move &m) { return m.from == d; });
      while (!moving && !keepsPrefix(d)) {
        gather(d);
        std::optional<Move> move = allowAllToAll ? findMove(cur, want, d) : std::nullopt;
        if ((moving = move.has_value()))
          pending.push_back(*move);
      }
    }
  }

  AxisSplit cur;
  const AxisSplit &want;
  MeshOp mesh;
  bool allowAllToAll;
  ArrayRef<int64_t> shape;
  SmallVector<ReshardStep> steps;
  SmallVector<Move> pending;
};

} // namespace

SmallVector<ReshardStep> quilt::planReshard(const AxisSplit &have, const AxisSplit &want,
                                           MeshOp mesh, bool allowAllToAll,
                                           ArrayRef<int64_t> shape) {
  return ReshardPlanner(have, want, mesh, allowAllToAll, shape).plan();
}

/// Bytes of one rank's part of a `global` tensor split per `split` (even blocks).
static double localBytes(RankedTensorType global, const AxisSplit &split, MeshOp mesh) {
  Type element = global.getElementType();
  double bytes = global.getNumElements() *
                 (element.isIntOrFloat() ? std::max(element.getIntOrFloatBitWidth() / 8, 1u) : 4);
  for (const auto &axes : split.dims)
    for (const std::string &axis : axes)
      bytes /= ranksOf(mesh, axis);
  return bytes;
}

uint64_t quilt::reshardBytes(ArrayRef<ReshardStep> steps, const AxisSplit &have,
                             RankedTensorType global, MeshOp mesh) {
  double local = localBytes(global, have, mesh), sent = 0;
  for (const ReshardStep &step : steps) {
    double parts = 1;
    for (const std::string &axis : step.axes)
      parts *= ranksOf(mesh, axis);
    switch (step.kind) {
    case ReshardStep::Kind::Gather:
      local *= parts;
      sent += local * (parts - 1) / parts;
      break;
    case ReshardStep::Kind::AllToAll:
      sent += local * (parts - 1) / parts;
      break;
    case ReshardStep::Kind::Slice:
      local /= parts;
      break;
    case ReshardStep::Kind::Relabel:
      break;
    case ReshardStep::Kind::Reblock: {
      // The positions the busiest owner sends (the exchange quilt.reblock
      // runs), times a slab of the other dims.
      int64_t n = global.getDimSize(step.dim);
      std::vector<int64_t> levels;
      for (const std::string &axis : step.axes)
        levels.push_back(ranksOf(mesh, axis));
      HaloAxis axis = reblockAxis(n, levels, step.fromGranule, step.granule);
      int64_t most = 0;
      for (int64_t owner = 0; owner < axis.parts; ++owner)
        most = std::max(most, haloPositionsSent(axis, owner));
      sent += local / std::max<double>(1.0, double(n) / parts) * most;
      break;
    }
    }
  }
  return static_cast<uint64_t>(std::llround(sent));
}

namespace {

/// One split operand dim offering its axes to its factor.
struct Proposal {
  size_t operand, dim;
  int64_t factor;
  /// Index into the factor's distinct choices.
  size_t choice;
};

/// A distinct split a factor may take, and the first proposal offering it.
struct Choice {
  SmallVector<std::string, 1> axes;
  int64_t base;
  size_t proposal;
};

/// One assignment: per factor a choice index or -1 (not split), and what it costs.
struct Candidate {
  SmallVector<int64_t> chosen;
  /// Per priority level, strongest first: how many of its operands move.
  /// (Counts, not bytes: between splits of equal priority bytes decide.)
  SmallVector<int64_t> movedByPriority;
  uint64_t bytes = 0;
  int64_t axesUsed = 0;
  /// Per proposal: whether the assignment keeps it.
  SmallVector<bool> kept;
  bool valid = false;
};

/// The order factorAxes documents: fewest annotated bytes moved, most mesh
/// axes, fewest bytes, then the earliest proposals kept.
bool better(const Candidate &a, const Candidate &b) {
  if (!b.valid)
    return a.valid;
  if (!a.valid)
    return false;
  if (a.movedByPriority != b.movedByPriority)
    return std::lexicographical_compare(a.movedByPriority.begin(), a.movedByPriority.end(),
                                        b.movedByPriority.begin(), b.movedByPriority.end());
  if (a.axesUsed != b.axesUsed)
    return a.axesUsed > b.axesUsed;
  if (a.bytes != b.bytes)
    return a.bytes < b.bytes;
  for (size_t p = 0; p < a.kept.size(); ++p)
    if (a.kept[p] != b.kept[p])
      return a.kept[p];
  return false;
}

bool overlaps(ArrayRef<std::string> a, ArrayRef<std::string> b) {
  return llvm::any_of(a, [&](const std::string &x) { return llvm::is_contained(b, x); });
}

} // namespace

bool quilt::blocksFallOnGranules(const AxisSplit &split, size_t dim, int64_t size,
                                 int64_t granule, MeshOp mesh) {
  const auto &axes = split.dims[dim];
  int64_t have = split.granule(dim);
  if (axes.empty() || granule <= 0 || have <= 0 || size % granule != 0 || size % have != 0)
    return false;
  SmallVector<int64_t> levels;
  int64_t owners = 1;
  for (const std::string &axis : axes) {
    levels.push_back(ranksOf(mesh, axis));
    owners *= levels.back();
  }
  for (int64_t r = 0; r < owners; ++r) {
    Range a = nestedOwnerBlock(size, have, levels.data(), (int)levels.size(), r);
    Range b = nestedOwnerBlock(size, granule, levels.data(), (int)levels.size(), r);
    if (a.begin != b.begin || a.end != b.end)
      return false;
  }
  return true;
}

SmallVector<RankedTensorType> quilt::resultTypes(Operation *op) {
  SmallVector<RankedTensorType> results;
  for (Type type : op->getResultTypes())
    results.push_back(dyn_cast<RankedTensorType>(type));
  return results;
}

FactorAssignment quilt::factorAxes(const ShardingRule &rule, ArrayRef<OperandLayout> operands,
                                   ArrayRef<RankedTensorType> results, MeshOp mesh) {
  size_t numFactors = rule.factors.size();
  FactorAssignment out;
  out.changes.resize(operands.size());
  // Proposals in operand, then dim order; splits no factor can take are noted.
  SmallVector<Proposal> proposals;
  SmallVector<SmallVector<Choice>> choices(numFactors);
  DenseMap<std::pair<size_t, size_t>, size_t> proposalAt;
  for (auto [i, operand] : llvm::enumerate(operands)) {
    out.changes[i].resize(operand.split.dims.size());
    for (auto [d, factor] : llvm::enumerate(rule.operandFactors[i])) {
      const auto &axes = operand.split.dims[d];
      if (axes.empty())
        continue;
      if (factor == kNoFactor || rule.factors[factor].kind == FactorKind::Whole) {
        out.changes[i][d] = "it needs that dim whole";
        continue;
      }
      // The split must fall on whole positions of the factor: a dim spanning
      // `m` positions per factor position needs granules that are multiples of m.
      // Blocks that cut granules of m are re-blocked into whole ones (only
      // the positions that change owner move; a relabel when they already
      // fall on them), as long as m divides the dim.
      int64_t m = rule.operandMultiplier(i, d), g = operand.split.granule(d);
      int64_t size = operand.global.getDimSize(d);
      if (g % m != 0 && size > 0 && size % m == 0 && size % g == 0) {
        if (!blocksFallOnGranules(operand.split, d, size, m, mesh))
          out.changes[i][d] = "a reshape needs whole granules of " + std::to_string(m) +
                              " positions on each rank";
        g = m;
      }
      if (g % m != 0) {
        out.changes[i][d] = "it is split inside the positions a reshape merges";
        continue;
      }
      // Halos run over plain blocks, except those of same-size stride-1
      // windows (a roll): a windowed factor keeps the operand's axes but
      // re-lays whole granules (a pixel shuffle's rows) out plainly.
      const Factor &kind = rule.factors[factor];
      int64_t base = kind.needsHalo() && !kind.haloKeepsGranules() ? 1 : g / m;
      if (base != g / m)
        out.changes[i][d] = "its window's halo needs plain blocks, not granules of " +
                            std::to_string(g);
      auto &options = choices[factor];
      auto same = llvm::find_if(options, [&](const Choice &c) {
        return c.axes == axes && c.base == base;
      });
      size_t choice = same - options.begin();
      if (same == options.end())
        options.push_back({axes, base, proposals.size()});
      proposalAt[{i, d}] = proposals.size();
      proposals.push_back({i, d, factor, choice});
    }
  }

  // The priority levels of annotated operands, strongest first.
  SmallVector<int64_t> levels;
  for (const OperandLayout &operand : operands)
    if (operand.priority != kNoPriority)
      levels.push_back(operand.priority);
  llvm::sort(levels);
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());

  auto evaluate = [&](ArrayRef<int64_t> chosen) {
    Candidate c;
    c.valid = true;
    c.movedByPriority.assign(levels.size(), 0);
    c.chosen.assign(chosen.begin(), chosen.end());
    SmallVector<SmallVector<std::string, 1>> axes(numFactors);
    SmallVector<int64_t> bases(numFactors, 1);
    for (size_t f = 0; f < numFactors; ++f) {
      if (chosen[f] < 0)
        continue;
      axes[f] = choices[f][chosen[f]].axes;
      bases[f] = choices[f][chosen[f]].base;
      c.axesUsed += axes[f].size();
    }
    for (auto [i, operand] : llvm::enumerate(operands)) {
      AxisSplit want = splitForOperand(rule, i, axes, bases);
      uint64_t bytes =
          reshardBytes(planReshard(operand.split, want, mesh, /*allowAllToAll=*/true,
                                   operand.global.getShape()),
                       operand.split, operand.global, mesh);
      c.bytes += bytes;
      if (operand.priority != kNoPriority && bytes > 0)
        ++c.movedByPriority[llvm::lower_bound(levels, operand.priority) - levels.begin()];
    }
    // A split reduction leaves partial results: one ring all-reduce each.
    for (auto [r, type] : llvm::enumerate(results)) {
      AxisSplit split = splitForResult(rule, r, axes, bases);
      if (split.partial.empty() || !type)
        continue;
      double group = 1;
      for (const std::string &axis : split.partial)
        group *= ranksOf(mesh, axis);
      c.bytes += static_cast<uint64_t>(
          std::llround(2 * localBytes(type, split, mesh) * (group - 1) / group));
    }
    for (const Proposal &p : proposals)
      c.kept.push_back(chosen[p.factor] == (int64_t)p.choice);
    return c;
  };

  // Every assignment of disjoint axes to the factors some operand splits:
  // a handful, since each mesh axis serves one factor.
  SmallVector<int64_t> active;
  for (size_t f = 0; f < numFactors; ++f)
    if (!choices[f].empty())
      active.push_back(f);
  SmallVector<int64_t> chosen(numFactors, -1);
  SmallVector<std::string> used;
  Candidate best;
  // Per factor and choice: the best assignment that keeps that choice.
  SmallVector<SmallVector<Candidate>> bestWith(numFactors);
  for (size_t f = 0; f < numFactors; ++f)
    bestWith[f].resize(choices[f].size());
  std::function<void(size_t)> search = [&](size_t k) {
    if (k == active.size()) {
      Candidate c = evaluate(chosen);
      for (size_t f = 0; f < numFactors; ++f)
        if (chosen[f] >= 0 && better(c, bestWith[f][chosen[f]]))
          bestWith[f][chosen[f]] = c;
      if (better(c, best))
        best = std::move(c);
      return;
    }
    int64_t f = active[k];
    chosen[f] = -1;
    search(k + 1);
    for (auto [index, choice] : llvm::enumerate(choices[f])) {
      if (overlaps(choice.axes, used))
        continue;
      chosen[f] = index;
      llvm::append_range(used, choice.axes);
      search(k + 1);
      used.resize(used.size() - choice.axes.size());
    }
    chosen[f] = -1;
  };
  search(0);

  out.axes.resize(numFactors);
  out.baseGranules.assign(numFactors, 1);
  for (size_t f = 0; f < numFactors; ++f) {
    if (best.chosen[f] < 0)
      continue;
    out.axes[f] = choices[f][best.chosen[f]].axes;
    out.baseGranules[f] = choices[f][best.chosen[f]].base;
  }
  out.bytes = best.bytes;

  // Explanations: each choice no operand keeps is charged to the kept choice
  // of its factor, or else to the kept choice that took one of its axes.
  auto where = [&](size_t p) {
    return ("operand " + Twine(proposals[p].operand) + " dim " + Twine(proposals[p].dim)).str();
  };
  auto winnerOf = [&](int64_t f) -> std::optional<size_t> {
    if (best.chosen[f] < 0)
      return std::nullopt;
    return choices[f][best.chosen[f]].proposal;
  };
  auto compare = [&](const Candidate &alternative) -> std::string {
    std::string n = std::to_string(best.bytes), m = std::to_string(alternative.bytes);
    std::string bytes = best.bytes == alternative.bytes
                            ? "moves " + n + " bytes per rank either way"
                            : "moves " + n + " bytes per rank instead of " + m;
    if (best.bytes < alternative.bytes)
      return bytes;
    if (best.movedByPriority != alternative.movedByPriority)
      return bytes + ", and a stronger annotation stays in place";
    if (best.axesUsed > alternative.axesUsed)
      return bytes + ", and more mesh axes stay in use";
    return bytes + ", and the earlier operand wins";
  };
  DenseMap<size_t, std::string> suffixes; // winning proposal -> what it was chosen over
  SmallVector<std::string> orphans;       // not kept, though nothing took its place
  for (size_t f = 0; f < numFactors; ++f) {
    for (auto [index, choice] : llvm::enumerate(choices[f])) {
      if (best.chosen[f] == (int64_t)index)
        continue;
      std::optional<size_t> winner = winnerOf(f);
      for (size_t g = 0; g < numFactors && !winner; ++g)
        if (best.chosen[g] >= 0 && overlaps(choices[g][best.chosen[g]].axes, choice.axes))
          winner = winnerOf(g);
      std::string detail = compare(bestWith[f][index]);
      if (winner) {
        std::string &suffix = suffixes[*winner];
        suffix += (suffix.empty() ? ", chosen over " : ", and over ") + where(choice.proposal) +
                  "'s split: " + detail;
      } else {
        orphans.push_back(where(choice.proposal) + "'s split is not kept: " + detail);
      }
      for (const Proposal &p : proposals)
        if (p.factor == (int64_t)f && p.choice == index)
          out.changes[p.operand][p.dim] =
              "its operands are split differently" +
              (winner ? " and " + where(*winner) + "'s split is kept: " + detail : "");
    }
  }

  // The origin: one sentence per split operand dim that decided something.
  auto note = [&](size_t operand, size_t dim, StringRef what) {
    out.origin += (out.origin.empty() ? "" : "; ") +
                  ("operand " + Twine(operand) + " dim " + Twine(dim) + " " + what).str();
  };
  for (auto [i, operand] : llvm::enumerate(operands)) {
    for (auto [d, factor] : llvm::enumerate(rule.operandFactors[i])) {
      if (operand.split.dims[d].empty())
        continue;
      auto at = proposalAt.find({i, d});
      if (factor == kNoFactor)
        continue;
      if (at == proposalAt.end()) {
        note(i, d,
             rule.factors[factor].kind == FactorKind::Whole
                 ? "is needed whole"
                 : "is split inside the positions a reshape merges");
        continue;
      }
      const Proposal &p = proposals[at->second];
      if (!best.kept[at->second] || choices[p.factor][p.choice].proposal != at->second)
        continue;
      note(i, d,
           ("(" + Twine(stringifyFactorKind(rule.factors[factor].kind)) + ")" +
            suffixes.lookup(at->second))
               .str());
    }
  }
  for (const std::string &orphan : orphans)
    out.origin += (out.origin.empty() ? "" : "; ") + orphan;
  return out;
}

static AxisSplit splitFor(ArrayRef<int64_t> factors, llvm::function_ref<int64_t(size_t)> multiplier,
                          ArrayRef<SmallVector<std::string, 1>> axes,
                          ArrayRef<int64_t> baseGranules, bool dropReductions,
                          const ShardingRule &rule) {
  AxisSplit split = AxisSplit::replicated(factors.size());
  split.granules.assign(factors.size(), 1);
  for (auto [d, f] : llvm::enumerate(factors)) {
    if (f == kNoFactor || (dropReductions && rule.factors[f].kind == FactorKind::Reduction))
      continue;
    split.dims[d] = axes[f];
    if (!axes[f].empty())
      split.granules[d] = (f < (int64_t)baseGranules.size() ? baseGranules[f] : 1) * multiplier(d);
  }
  return split;
}

AxisSplit quilt::splitForOperand(const ShardingRule &rule, size_t operand,
                                 ArrayRef<SmallVector<std::string, 1>> axes,
                                 ArrayRef<int64_t> baseGranules) {
  return splitFor(rule.operandFactors[operand],
                  [&](size_t d) { return rule.operandMultiplier(operand, d); }, axes,
                  baseGranules, /*dropReductions=*/false, rule);
}

AxisSplit quilt::splitForResult(const ShardingRule &rule, size_t result,
                                ArrayRef<SmallVector<std::string, 1>> axes,
                                ArrayRef<int64_t> baseGranules) {
  AxisSplit split = splitFor(rule.resultFactors[result],
                             [&](size_t d) { return rule.resultMultiplier(result, d); }, axes,
                             baseGranules, /*dropReductions=*/true, rule);
  for (auto [f, factor] : llvm::enumerate(rule.factors))
    if (factor.kind == FactorKind::Reduction)
      llvm::append_range(split.partial, axes[f]);
  return split;
}


int64_t quilt::derivedPriority(const ShardingRule &rule, const FactorAssignment &assignment,
                               ArrayRef<OperandLayout> operands) {
  int64_t priority = kNoPriority;
  for (auto [i, operand] : llvm::enumerate(operands)) {
    if (operand.priority >= priority)
      continue;
    AxisSplit want = splitForOperand(rule, i, assignment.axes, assignment.baseGranules);
    for (size_t d = 0; d < operand.split.dims.size(); ++d)
      if (!operand.split.dims[d].empty() && operand.split.sameDim(want, d)) {
        priority = operand.priority;
        break;
      }
  }
  return priority;
}

void quilt::recordPlan(Operation *op, const FactorAssignment &assignment) {
  Builder b(op->getContext());
  SmallVector<Attribute> factors;
  for (const auto &axes : assignment.axes)
    factors.push_back(toArrayAttr(b, axes));
  op->setAttr(kFactorAxesAttr, b.getArrayAttr(factors));
  if (llvm::any_of(assignment.baseGranules, [](int64_t g) { return g != 1; }))
    op->setAttr(kFactorGranulesAttr, b.getDenseI64ArrayAttr(assignment.baseGranules));
  else
    op->removeAttr(kFactorGranulesAttr);
  bool anyReason = llvm::any_of(assignment.changes, [](const auto &dims) {
    return llvm::any_of(dims, [](const std::string &why) { return !why.empty(); });
  });
  if (!anyReason) {
    op->removeAttr(kReshardWhyAttr);
    return;
  }
  SmallVector<Attribute> operands;
  for (const auto &dims : assignment.changes)
    operands.push_back(toArrayAttr(b, dims));
  op->setAttr(kReshardWhyAttr, b.getArrayAttr(operands));
}

FailureOr<FactorAssignment> quilt::readPlan(Operation *op, const ShardingRule &rule,
                                            MeshOp mesh) {
  auto factors = op->getAttrOfType<ArrayAttr>(kFactorAxesAttr);
  if (!factors)
    return op->emitOpError("has no plan: no ")
           << kFactorAxesAttr << " (run quilt-propagate-sharding, or write the plan by hand)";
  size_t numFactors = rule.factors.size();
  if (factors.size() != numFactors)
    return op->emitOpError() << kFactorAxesAttr << " lists " << factors.size()
                             << " factors; the op's sharding rule has " << numFactors;
  FactorAssignment plan;
  plan.baseGranules.assign(numFactors, 1);
  if (auto granules = op->getAttrOfType<DenseI64ArrayAttr>(kFactorGranulesAttr)) {
    if (granules.size() != (int64_t)numFactors)
      return op->emitOpError() << kFactorGranulesAttr << " lists " << granules.size()
                               << " factors; the op's sharding rule has " << numFactors;
    plan.baseGranules.assign(granules.asArrayRef().begin(), granules.asArrayRef().end());
  }
  llvm::StringSet<> used;
  for (auto [f, entry] : llvm::enumerate(factors)) {
    auto axes = dyn_cast<ArrayAttr>(entry);
    if (!axes)
      return op->emitOpError() << kFactorAxesAttr << "[" << f << "] is not a list of mesh axes";
    if (plan.baseGranules[f] < 1)
      return op->emitOpError() << kFactorGranulesAttr << "[" << f << "] is not positive";
    auto &names = plan.axes.emplace_back();
    for (Attribute a : axes) {
      auto name = dyn_cast<StringAttr>(a);
      if (!name || mesh.getAxisSize(name.getValue()) < 1)
        return op->emitOpError() << kFactorAxesAttr << "[" << f << "] names " << a
                                 << ", which is not an axis of mesh @" << mesh.getSymName();
      if (!used.insert(name.getValue()).second)
        return op->emitOpError() << kFactorAxesAttr << " uses mesh axis " << name
                                 << " for two factors";
      names.push_back(name.str());
    }
    if (!names.empty() && rule.factors[f].kind == FactorKind::Whole)
      return op->emitOpError() << kFactorAxesAttr << "[" << f
                               << "] splits a factor the op needs whole";
  }
  plan.changes.resize(rule.operandFactors.size());
  for (auto [i, dims] : llvm::enumerate(rule.operandFactors))
    plan.changes[i].resize(dims.size());
  if (auto why = op->getAttrOfType<ArrayAttr>(kReshardWhyAttr))
    for (auto [i, dims] : llvm::enumerate(why))
      if (auto list = dyn_cast<ArrayAttr>(dims); list && i < plan.changes.size())
        for (auto [d, text] : llvm::enumerate(list))
          if (auto s = dyn_cast<StringAttr>(text); s && d < plan.changes[i].size())
            plan.changes[i][d] = s.str();
  return plan;
}

void quilt::erasePlan(Operation *op) {
  op->removeAttr(kFactorAxesAttr);
  op->removeAttr(kFactorGranulesAttr);
  op->removeAttr(kReshardWhyAttr);
}
