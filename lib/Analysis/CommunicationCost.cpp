//===- CommunicationCost.cpp - bytes each rank sends per comm op -----------===//
//
// One function per communication op kind says what a rank sends. Each
// mirrors the runtime entry point it lowers to (runtime/src/comm/*.cpp): the
// same local extents, the same halo segments (quilt/halo_segments.h) and the
// same ring formulas (quilt/comm_bytes.h). A new kind adds one function and
// one Case below.
//
//===----------------------------------------------------------------------===//
#include "quilt/Analysis/CommunicationCost.h"
#include "Quilt/IR/LocalBuffers.h"
#include "quilt/comm_bytes.h"
#include "quilt/halo_segments.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <optional>

using namespace mlir;
using namespace quilt;

MeshGrid::MeshGrid(MeshOp mesh)
    : mesh_(mesh), names_(mesh.getAxisNames().getAsValueRange<StringAttr>()), shape_(mesh.getShape()) {
  for (int64_t s : shape_)
    numRanks_ *= s;
}

int64_t MeshGrid::axisIndex(StringRef name) const {
  auto found = llvm::find(names_, name);
  return found == names_.end() ? -1 : found - names_.begin();
}

SmallVector<int64_t> MeshGrid::coords(int64_t rank) const {
  SmallVector<int64_t> c(shape_.size());
  for (size_t i = shape_.size(); i-- > 0;) {
    c[i] = rank % shape_[i];
    rank /= shape_[i];
  }
  return c;
}

int64_t MeshGrid::rankOf(ArrayRef<int64_t> coords) const {
  int64_t rank = 0;
  for (size_t i = 0; i < shape_.size(); ++i)
    rank = rank * shape_[i] + coords[i];
  return rank;
}

/// The exchange halo'd dim `d` of `local` holds (nested over its mesh axes).
static HaloAxis haloAxisOf(HaloAttr halo, LocalAttr local, int64_t d, const MeshGrid &grid) {
  WindowAttr w = halo.getWindow();
  int64_t n = local.getGlobal()[d];
  HaloAxis axis{n, 1, w.toWindow(n, halo.getGlobalOut()), halo.getGlobalOut(),
                static_cast<HaloBoundary>(halo.getBoundary())};
  // Same-size windows keep the operand's granules on both sides.
  axis.granule = axis.outGranule = local.getGranule(d);
  for (Attribute a : cast<ArrayAttr>(local.getDims()[d])) {
    axis.levels.push_back(grid.axisSize(grid.axisIndex(cast<StringAttr>(a).getValue())));
    axis.parts *= axis.levels.back();
  }
  return axis;
}

/// This rank's owner index along dim `d` of `local`: its coordinates over the
/// dim's mesh axes, row-major (major axis first).
static int64_t ownerIndex(LocalAttr local, int64_t d, ArrayRef<int64_t> coords,
                          const MeshGrid &grid) {
  int64_t k = 0;
  for (Attribute a : cast<ArrayAttr>(local.getDims()[d])) {
    int64_t axis = grid.axisIndex(cast<StringAttr>(a).getValue());
    k = k * grid.axisSize(axis) + coords[axis];
  }
  return k;
}

/// The coordinates of owner `k` along dim `d` of `local` (over the dim's
/// mesh axes, row-major), written into `coords`.
static void setOwnerCoords(LocalAttr local, int64_t d, int64_t k, SmallVectorImpl<int64_t> &coords,
                           const MeshGrid &grid) {
  auto axes = cast<ArrayAttr>(local.getDims()[d]);
  for (size_t i = axes.size(); i-- > 0;) {
    int64_t axis = grid.axisIndex(cast<StringAttr>(axes[i]).getValue());
    coords[axis] = k % grid.axisSize(axis);
    k /= grid.axisSize(axis);
  }
}

SmallVector<int64_t> MeshGrid::localExtents(RankedTensorType type, ArrayRef<int64_t> coords) const {
  LocalAttr local = getLocalEncoding(type);
  SmallVector<int64_t> extents;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    auto axes = local ? cast<ArrayAttr>(local.getDims()[d]) : ArrayAttr();
    if (!axes || axes.empty()) {
      extents.push_back(local ? local.getGlobal()[d] : type.getDimSize(d));
      continue;
    }
    // Like the lowering's layout words: nested blocks, major axis first.
    int64_t n = local.getGlobal()[d];
    if (HaloAttr halo = local.getHalo(d)) {
      extents.push_back(
          neededRange(haloAxisOf(halo, local, d, *this), ownerIndex(local, d, coords, *this))
              .size());
      continue;
    }
    SmallVector<int64_t> allParts, at;
    for (Attribute a : axes) {
      int64_t index = axisIndex(cast<StringAttr>(a).getValue());
      allParts.push_back(shape_[index]);
      at.push_back(coords[index]);
    }
    extents.push_back(nestedBlockRange(n, local.getGranule(d), allParts.data(), at.data(),
                                       allParts.size())
                          .size());
  }
  return extents;
}

/// The world ranks the rank at `coords` sends to in the exchange `axis` of
/// dim `dim` of `local`, and how many positions each.
static SmallVector<std::pair<int64_t, int64_t>>
haloSendsAt(const HaloAxis &axis, LocalAttr local, int64_t dim, ArrayRef<int64_t> coords,
            const MeshGrid &grid) {
  SmallVector<std::pair<int64_t, int64_t>> sends;
  for (const HaloPeer &peer : haloPeers(axis, ownerIndex(local, dim, coords, grid))) {
    SmallVector<int64_t> at(coords);
    setOwnerCoords(local, dim, peer.receiver, at, grid);
    sends.push_back({grid.rankOf(at), peer.positions});
  }
  return sends;
}

SmallVector<std::pair<int64_t, int64_t>> quilt::haloSends(HaloExchangeOp op, const MeshGrid &grid,
                                                          int64_t rank) {
  int64_t dim = op.getDim();
  LocalAttr local = getLocalEncoding(op.getResult().getType());
  HaloAttr halo = local ? local.getHalo(dim) : HaloAttr();
  if (!halo)
    return {};
  return haloSendsAt(haloAxisOf(halo, local, dim, grid), local, dim, grid.coords(rank), grid);
}

namespace {

constexpr uint64_t kElementBytes = sizeof(float);

/// What every rank sends in one op (CommunicationCost without the op).
struct Traffic {
  SmallVector<uint64_t> bytes, messages;
  /// Bytes each rank copies from its own block (point-to-point ops), and the
  /// contiguous runs of those copies.
  SmallVector<uint64_t> copied, copiedRuns;
  /// Bytes of each rank's pack region the op uses (CommunicationCost).
  SmallVector<uint64_t> packed;
  SmallVector<int64_t> groupAxes;
  SmallVector<SmallVector<int64_t, 2>> peers;
};
using Bytes = FailureOr<Traffic>;

/// Point-to-point traffic: nothing sent yet, no peers, on every rank.
Traffic pointToPoint(const MeshGrid &grid) {
  Traffic t;
  t.bytes.assign(grid.numRanks(), 0);
  t.messages.assign(grid.numRanks(), 0);
  t.copied.assign(grid.numRanks(), 0);
  t.copiedRuns.assign(grid.numRanks(), 0);
  t.packed.assign(grid.numRanks(), 0);
  t.peers.resize(grid.numRanks());
  return t;
}

/// A collective over `groupAxes` whose ranks send `bytes` in `messages` ring
/// steps each.
Traffic collective(SmallVector<uint64_t> bytes, uint64_t messages,
                   SmallVector<int64_t> groupAxes) {
  Traffic t;
  t.messages.assign(bytes.size(), messages);
  t.bytes = std::move(bytes);
  t.groupAxes = std::move(groupAxes);
  return t;
}

/// `perRank(coords)` for each of `ranks`, at its world rank's index (the
/// ranks not evaluated send 0).
SmallVector<uint64_t> forEachRank(const MeshGrid &grid, ArrayRef<int64_t> ranks,
                                  llvm::function_ref<uint64_t(ArrayRef<int64_t>)> perRank) {
  SmallVector<uint64_t> bytes(grid.numRanks(), 0);
  for (int64_t r : ranks)
    bytes[r] = perRank(grid.coords(r));
  return bytes;
}

/// Elements of `value`'s local tensor on the rank at `coords`.
uint64_t localElements(Value value, const MeshGrid &grid, ArrayRef<int64_t> coords) {
  uint64_t n = 1;
  for (int64_t e : grid.localExtents(cast<RankedTensorType>(value.getType()), coords))
    n *= e;
  return n;
}

/// Positions of the local tensor's dims before `dim` on the rank at
/// `coords`: the runs a block of `dim` makes (blocks are contiguous, one run,
/// only when it is 1).
uint64_t positionsBefore(Value value, int64_t dim, const MeshGrid &grid, ArrayRef<int64_t> coords) {
  SmallVector<int64_t> extents = grid.localExtents(cast<RankedTensorType>(value.getType()), coords);
  return static_cast<uint64_t>(llvm::product_of(ArrayRef<int64_t>(extents).take_front(dim)));
}

/// Elements of the local tensor per position along `dim`: one slab.
uint64_t slabElements(ArrayRef<int64_t> extents, int64_t dim) {
  uint64_t n = 1;
  for (auto [d, e] : llvm::enumerate(extents))
    if ((int64_t)d != dim)
      n *= e;
  return n;
}

/// The point-to-point traffic of `exchange` along dim `dim` of `local`
/// (halo_segments.h, as the runtime's halo exchange and re-block run it):
/// each slab of its block of `input` another rank needs is one message.
Traffic exchangeTraffic(const HaloAxis &exchange, LocalAttr local, int64_t dim,
                        RankedTensorType input, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  Traffic t = pointToPoint(grid);
  for (int64_t r : ranks) {
    SmallVector<int64_t> coords = grid.coords(r);
    uint64_t slab = slabElements(grid.localExtents(input, coords), dim);
    uint64_t positions = 0;
    auto &peers = t.peers[r];
    for (auto [peer, sent] : haloSendsAt(exchange, local, dim, coords, grid)) {
      positions += sent;
      peers.push_back(peer);
    }
    t.bytes[r] = positions * slab * kElementBytes;
    t.messages[r] = peers.size();
    int64_t owner = ownerIndex(local, dim, coords, grid);
    int64_t kept = haloPositionsKept(exchange, owner);
    t.copied[r] = kept * slab * kElementBytes;
    // The kept positions go into the halo'd result in one run per position
    // of the dims before `dim` (the dims after it are whole in both).
    SmallVector<int64_t> extents = grid.localExtents(input, coords);
    int64_t outer = llvm::product_of(ArrayRef<int64_t>(extents).take_front(dim));
    t.copiedRuns[r] = kept > 0 ? outer : 0;
    // Slabs of a dim after a non-trivial one are strided: the runtime packs
    // what it sends and receives (halo_exchange.cpp's HaloPlan).
    if (outer > 1)
      t.packed[r] = packRegionBytes(
          t.bytes[r], haloPositionsReceived(exchange, owner) * slab * kElementBytes);
  }
  return t;
}

/// quilt_rt_halo_exchange: each slab of its block another rank's halo'd range
/// needs is one message, so a rank sends its positions sent times a slab.
Bytes haloExchangeBytes(HaloExchangeOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  int64_t dim = op.getDim();
  // The runtime reads the exchange from the result's layout.
  LocalAttr local = getLocalEncoding(op.getResult().getType());
  HaloAttr halo = local ? local.getHalo(dim) : HaloAttr();
  int64_t axis = grid.axisIndex(op.getAxis());
  if (!halo || axis < 0)
    return op.emitOpError("has no halo on dim ")
           << dim << " of its result or no mesh axis " << op.getAxis();
  HaloAxis exchange = haloAxisOf(halo, local, dim, grid);
  return exchangeTraffic(exchange, local, dim, op.getInput().getType(), grid, ranks);
}

/// quilt_rt_reblock: the exchange of halo_segments.h's reblockAxis (an
/// identity window from the input's blocks to the result's): each slab of
/// its block that another rank's new block holds is one message.
Bytes reblockBytes(ReblockOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  int64_t dim = op.getDim();
  LocalAttr from = getLocalEncoding(op.getInput().getType());
  LocalAttr to = getLocalEncoding(op.getResult().getType());
  if (!from || !to)
    return op.emitOpError("re-blocks a value that is not split");
  std::vector<int64_t> levels;
  for (Attribute a : cast<ArrayAttr>(from.getDims()[dim]))
    levels.push_back(grid.axisSize(grid.axisIndex(cast<StringAttr>(a).getValue())));
  HaloAxis exchange =
      reblockAxis(from.getGlobal()[dim], levels, from.getGranule(dim), to.getGranule(dim));
  return exchangeTraffic(exchange, from, dim, op.getInput().getType(), grid, ranks);
}

/// quilt_rt_all_reduce: a ring all-reduce of the local buffer over the group
/// of ranks that differ only on the op's axes.
Bytes allReduceBytes(AllReduceOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  llvm::SmallSetVector<int64_t, 3> axes;
  for (Attribute a : op.getAxes())
    axes.insert(grid.axisIndex(cast<StringAttr>(a).getValue()));
  int64_t members = 1;
  for (int64_t axis : axes) {
    if (axis < 0)
      return op.emitOpError("names an axis its mesh does not have");
    members *= grid.axisSize(axis);
  }
  return collective(forEachRank(grid, ranks,
                                [&](ArrayRef<int64_t> coords) {
                                  return ringAllReduceBytes(
                                      localElements(op.getInput(), grid, coords) * kElementBytes,
                                      members);
                                }),
                    2 * (members - 1), SmallVector<int64_t>(axes.begin(), axes.end()));
}

/// The mesh axes of a collective's group, major first: indices and rank counts.
struct AxisGroup {
  SmallVector<int64_t> axes, parts;
  /// This rank's owner index over the axes (row-major).
  int64_t ownerAt(ArrayRef<int64_t> coords) const {
    int64_t k = 0;
    for (auto [axis, p] : llvm::zip(axes, parts))
      k = k * p + coords[axis];
    return k;
  }
};

/// The group of the mesh axes `names`, or an error on `op` naming one its
/// mesh lacks.
FailureOr<AxisGroup> axisGroup(Operation *op, ArrayRef<StringRef> names, const MeshGrid &grid) {
  AxisGroup group;
  for (StringRef name : names) {
    int64_t axis = grid.axisIndex(name);
    if (axis < 0)
      return op->emitOpError("names mesh axis ") << name << ", which its mesh does not have";
    group.axes.push_back(axis);
    group.parts.push_back(grid.axisSize(axis));
  }
  return group;
}

SmallVector<StringRef> axisNames(ArrayAttr axes) {
  return llvm::to_vector(axes.getAsValueRange<StringAttr>());
}

/// A ring collective between a tensor holding its block of `dim` (`whole`:
/// the whole dim, or the block of the axes already splitting it) and the
/// nested blocks of that over `axisNames` (`blocked`, whose layout gives the
/// granule): every block but the rank's own travels (an all-gather or a
/// reduce-scatter).
Bytes ringBlockBytes(Operation *op, RankedTensorType whole, RankedTensorType blocked, int64_t dim,
                     ArrayRef<StringRef> axisNames, const MeshGrid &grid,
                     ArrayRef<int64_t> ranks) {
  FailureOr<AxisGroup> group = axisGroup(op, axisNames, grid);
  LocalAttr local = getLocalEncoding(blocked);
  if (failed(group))
    return failure();
  if (!local)
    return op->emitOpError("moves blocks of a tensor that is not split");
  int64_t members = 1;
  for (int64_t p : group->parts)
    members *= p;
  return collective(
      forEachRank(grid, ranks,
                  [&](ArrayRef<int64_t> coords) {
                    SmallVector<int64_t> wholeExtents = grid.localExtents(whole, coords);
                    int64_t n = wholeExtents[dim];
                    uint64_t slab = slabElements(wholeExtents, dim);
                    Range own = nestedOwnerBlock(n, local.getGranule(dim), group->parts.data(),
                                                 group->parts.size(), group->ownerAt(coords));
                    return ringAllGatherBytes(n * slab * kElementBytes,
                                              own.size() * slab * kElementBytes);
                  }),
      members - 1, group->axes);
}

/// quilt_rt_all_gather: a ring all-gather of the blocks along the op's axis.
Bytes allGatherBytes(AllGatherOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  return ringBlockBytes(op, op.getResult().getType(), op.getInput().getType(), op.getDim(),
                        {op.getAxis()}, grid, ranks);
}

/// quilt_rt_shard_slice copies a local block: nothing moves between ranks.
Bytes shardSliceBytes(ShardSliceOp, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  return collective(SmallVector<uint64_t>(grid.numRanks(), 0), 0, {});
}

/// quilt_rt_ring_attention: over the owners of the keys' tiles (every axis
/// splitting a token dim, row-major, the major dim's first), P - 1 steps,
/// each forwarding the K/V block the rank holds (owner c - step's) as one
/// message.
Bytes ringAttentionBytes(RingAttentionOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  LocalAttr local = getLocalEncoding(op.getK().getType());
  int64_t rank = op.getK().getType().getRank(), first = rank - 1 - op.getTokenDims();
  if (!local || grid.axisIndex(op.getAxis()) < 0)
    return op.emitOpError("attends keys that are not split on mesh axis ") << op.getAxis();
  SmallVector<int64_t> n, granules, levels, parts, axes;
  int64_t owners = 1;
  for (int64_t t = first; t < rank - 1; ++t) {
    auto dimAxes = cast<ArrayAttr>(local.getDims()[t]);
    for (Attribute a : dimAxes) {
      axes.push_back(grid.axisIndex(cast<StringAttr>(a).getValue()));
      parts.push_back(grid.axisSize(axes.back()));
      owners *= parts.back();
    }
    n.push_back(local.getGlobal()[t]);
    granules.push_back(local.getGranule(t));
    levels.push_back(dimAxes.size());
  }
  auto blockOf = [&](int64_t owner) {
    return tileOwnerSize(n.data(), granules.data(), levels.data(), n.size(), parts.data(), owner);
  };
  // The runtime holds a block and receives the next in the pack region,
  // each sized for the largest block of keys and values.
  uint64_t mostTokens = static_cast<uint64_t>(
      tileMaxSize(n.data(), granules.data(), levels.data(), n.size(), parts.data()));
  SmallVector<uint64_t> packed(grid.numRanks(), 0);
  Traffic t = collective(forEachRank(grid, ranks, [&](ArrayRef<int64_t> coords) {
    SmallVector<int64_t> k = grid.localExtents(op.getK().getType(), coords);
    SmallVector<int64_t> v = grid.localExtents(op.getV().getType(), coords);
    uint64_t batch = 1;
    for (int64_t d = 0; d < first; ++d)
      batch *= k[d];
    uint64_t perToken = batch * (k[rank - 1] + v[rank - 1]);
    uint64_t blockBytes = mostTokens * perToken * kElementBytes;
    packed[grid.rankOf(coords)] = packRegionBytes(blockBytes, blockBytes);
    int64_t me = 0;
    for (auto [i, axis] : llvm::enumerate(axes))
      me = me * parts[i] + coords[axis];
    uint64_t bytes = 0;
    for (int64_t step = 0; step + 1 < owners; ++step)
      bytes += blockOf(((me - step) % owners + owners) % owners) * perToken * kElementBytes;
    return bytes;
  }), owners - 1, axes);
  t.packed = std::move(packed);
  return t;
}

/// quilt_rt_all_to_all: one message per other member of the group of the
/// moving axes, holding the rank's block of `dim` within that member's
/// nested block of its block of `to_dim`.
Bytes allToAllOpBytes(AllToAllOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  int64_t to = op.getToDim();
  FailureOr<AxisGroup> group = axisGroup(op, axisNames(op.getAxes()), grid);
  if (failed(group))
    return failure();
  int64_t members = 1;
  for (int64_t p : group->parts)
    members *= p;
  return collective(forEachRank(grid, ranks,
                                [&](ArrayRef<int64_t> coords) {
                                  SmallVector<int64_t> extents =
                                      grid.localExtents(op.getInput().getType(), coords);
                                  uint64_t perPosition =
                                      slabElements(extents, to) * kElementBytes;
                                  return allToAllBytes(perPosition, extents[to],
                                                       group->parts.data(),
                                                       group->parts.size(),
                                                       group->ownerAt(coords));
                                }),
                    members - 1, group->axes);
}

/// quilt_rt_reduce_scatter: a ring reduce-scatter sends every block of the
/// summed buffer but the rank's own.
Bytes reduceScatterBytes(ReduceScatterOp op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  return ringBlockBytes(op, op.getInput().getType(), op.getResult().getType(), op.getDim(),
                        axisNames(op.getAxes()), grid, ranks);
}

/// quilt_rt_collective_permute: the whole local buffer to one peer, unless
/// the shift is a whole turn.
Bytes collectivePermuteBytes(CollectivePermuteOp op, const MeshGrid &grid,
                             ArrayRef<int64_t> ranks) {
  int64_t axis = grid.axisIndex(op.getAxis());
  if (axis < 0)
    return op.emitOpError("names an axis its mesh does not have");
  int64_t parts = grid.axisSize(axis);
  int64_t shift = ((op.getShift() % parts) + parts) % parts;
  Traffic t = pointToPoint(grid);
  for (int64_t r : ranks) {
    SmallVector<int64_t> coords = grid.coords(r);
    uint64_t elements = localElements(op.getInput(), grid, coords);
    auto &peers = t.peers[r];
    if (shift != 0) {
      coords[axis] = (coords[axis] + shift) % parts;
      peers.push_back(grid.rankOf(coords));
    }
    t.bytes[r] = shift != 0 ? elements * kElementBytes : 0;
    t.messages[r] = peers.size();
  }
  return t;
}

/// Bytes the runtime's entry point for a collective copies within the rank's
/// own memory, besides what the communicator moves (runtime/src/comm): the
/// all-reduce's input into its output over a group of one rank (over more
/// the communicator reads the input where it is), the packing of blocks not along the
/// outermost non-trivial dim (all-gather's result, reduce-scatter's input),
/// the all-to-all's pack of its input and unpack of its result, a permute
/// by a whole turn.
uint64_t collectiveCopyBytes(Operation &op, const MeshGrid &grid, ArrayRef<int64_t> coords) {
  auto localBytes = [&](Value v) { return localElements(v, grid, coords) * kElementBytes; };
  // Blocks of `dim` are contiguous when every dim before it has one position.
  auto packed = [&](Value v, int64_t dim) { return positionsBefore(v, dim, grid, coords) != 1; };
  return llvm::TypeSwitch<Operation *, uint64_t>(&op)
      .Case([&](AllReduceOp o) -> uint64_t {
        return collectiveGroupSize(o).value_or(1) > 1 ? 0 : localBytes(o.getInput());
      })
      .Case([&](AllGatherOp o) {
        return packed(o.getInput(), o.getDim()) ? localBytes(o.getResult()) : 0;
      })
      .Case([&](ReduceScatterOp o) {
        return packed(o.getInput(), o.getDim()) ? localBytes(o.getInput()) : 0;
      })
      .Case([&](AllToAllOp o) { return localBytes(o.getInput()) + localBytes(o.getResult()); })
      .Case([&](CollectivePermuteOp o) -> uint64_t {
        int64_t parts = grid.axisSize(grid.axisIndex(o.getAxis()));
        return parts > 0 && o.getShift() % parts == 0 ? localBytes(o.getInput()) : 0;
      })
      .Default([](Operation *) { return 0; });
}

/// Bytes of the pack region the runtime's entry point for a collective uses
/// (runtime/src/comm): an all-gather's result and a reduce-scatter's input
/// packed in member order when their blocks are strided, an all-to-all's
/// packed input and its result before unpacking.
uint64_t collectivePackBytes(Operation &op, const MeshGrid &grid, ArrayRef<int64_t> coords) {
  auto localBytes = [&](Value v) { return localElements(v, grid, coords) * kElementBytes; };
  return llvm::TypeSwitch<Operation *, uint64_t>(&op)
      // The blocks collectiveCopyBytes counts pass through the region.
      .Case<AllGatherOp, ReduceScatterOp>(
          [&](Operation *o) { return collectiveCopyBytes(*o, grid, coords); })
      .Case([&](AllToAllOp o) {
        return packRegionBytes(localBytes(o.getInput()), localBytes(o.getResult()));
      })
      .Default([](Operation *) { return 0; });
}

/// The contiguous runs of collectiveCopyBytes' copies, for an op that
/// copies some (quilt::boxRuns, as the runtime's box copies make them): a
/// block of `dim` copied between a dense buffer and the tensor is one run per
/// position of the dims before `dim`.
uint64_t collectiveCopyRuns(Operation &op, const MeshGrid &grid, ArrayRef<int64_t> coords) {
  auto before = [&](Value v, int64_t dim) { return positionsBefore(v, dim, grid, coords); };
  uint64_t members = static_cast<uint64_t>(collectiveGroupSize(&op).value_or(1));
  return llvm::TypeSwitch<Operation *, uint64_t>(&op)
      // One block per member, packed or unpacked.
      .Case([&](AllGatherOp o) { return members * before(o.getInput(), o.getDim()); })
      .Case([&](ReduceScatterOp o) { return members * before(o.getInput(), o.getDim()); })
      // The input packed by blocks of `to_dim`, the result unpacked by
      // blocks of `dim`.
      .Case([&](AllToAllOp o) {
        return members * (before(o.getInput(), o.getToDim()) + before(o.getResult(), o.getDim()));
      })
      // A whole local copy.
      .Default([](Operation *) { return 1; });
}

/// What each rank sends in `op`, or nullopt for an op that computes locally.
std::optional<Bytes> bytesSent(Operation &op, const MeshGrid &grid, ArrayRef<int64_t> ranks) {
  return llvm::TypeSwitch<Operation *, std::optional<Bytes>>(&op)
      .Case([&](HaloExchangeOp o) { return haloExchangeBytes(o, grid, ranks); })
      .Case([&](ReblockOp o) { return reblockBytes(o, grid, ranks); })
      .Case([&](AllReduceOp o) { return allReduceBytes(o, grid, ranks); })
      .Case([&](AllGatherOp o) { return allGatherBytes(o, grid, ranks); })
      .Case([&](ShardSliceOp o) { return shardSliceBytes(o, grid, ranks); })
      .Case([&](AllToAllOp o) { return allToAllOpBytes(o, grid, ranks); })
      .Case([&](RingAttentionOp o) { return ringAttentionBytes(o, grid, ranks); })
      .Case([&](ReduceScatterOp o) { return reduceScatterBytes(o, grid, ranks); })
      .Case([&](CollectivePermuteOp o) { return collectivePermuteBytes(o, grid, ranks); })
      .Default([](Operation *other) -> std::optional<Bytes> {
        // Communication has side effects: a quilt op with none is local, and
        // one with some must not be skipped silently.
        if (!isa_and_nonnull<QuiltDialect>(other->getDialect()) || isMemoryEffectFree(other))
          return std::nullopt;
        return Bytes(
            other->emitOpError("has no byte formula in lib/Analysis/CommunicationCost.cpp"));
      });
}

} // namespace

FailureOr<SmallVector<CommunicationCost, 0>>
quilt::communicationCosts(func::FuncOp func, MeshOp mesh, RankSelection select) {
  MeshGrid grid(mesh);
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, grid.numRanks()));
  SmallVector<CommunicationCost, 0> costs;
  for (Operation &op : func.getBody().getOps()) {
    // A rank's block of a constant is sliced once at start-up, outside the
    // steps whose communication this lists (and the runtime records).
    if (computedOnceAtStart(&op))
      continue;
    SmallVector<int64_t> ranks = select ? select(&op) : all;
    std::optional<Bytes> bytes = bytesSent(op, grid, ranks);
    if (!bytes)
      continue;
    if (failed(*bytes))
      return failure();
    StringRef name = op.getName().getStringRef();
    name.consume_front("quilt.");
    Traffic &t = **bytes;
    if (t.copied.empty()) {
      t.copied.assign(grid.numRanks(), 0);
      t.copiedRuns.assign(grid.numRanks(), 0);
    }
    if (t.packed.empty())
      t.packed.assign(grid.numRanks(), 0);
    for (int64_t r : ranks) {
      SmallVector<int64_t> coords = grid.coords(r);
      if (uint64_t copied = collectiveCopyBytes(op, grid, coords)) {
        t.copied[r] += copied;
        t.copiedRuns[r] += collectiveCopyRuns(op, grid, coords);
      }
      t.packed[r] += collectivePackBytes(op, grid, coords);
    }
    costs.push_back({&op, name.str(), std::move(t.bytes), std::move(t.messages),
                     std::move(t.groupAxes), std::move(t.peers), std::move(ranks),
                     std::move(t.copied), std::move(t.copiedRuns), std::move(t.packed)});
  }
  return costs;
}

SmallVector<uint64_t> quilt::packScratchBytesPerRank(ArrayRef<CommunicationCost> costs,
                                                     int64_t numRanks) {
  SmallVector<uint64_t> most(numRanks, 0);
  for (const CommunicationCost &cost : costs)
    for (auto [r, bytes] : llvm::enumerate(cost.packBytesPerRank))
      most[r] = std::max(most[r], bytes);
  return most;
}
