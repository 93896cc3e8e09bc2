// The schedules of collective_schedules.h (Thakur, Rabenseifner and Gropp
// 2005). Each says how many steps it takes and what one step moves, for n
// bytes of data over p members: the terms the cost model
// (lib/Analysis/CostFormulas.cpp) times. Steps are paired sendRecv calls;
// the reducing ones read the caller's input and combine into its output
// (which may be the input), so no step copies the input first.
#include "collective_schedules.h"

#include "error.h"
#include "moments.h"
#include "quilt/partition_math.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace quilt {
namespace {

/// memcpy, which may not be given a null pointer even for no bytes (an
/// empty block's buffer may be null).
void copyBytes(void *to, const void *from, size_t bytes) {
  if (bytes)
    std::memcpy(to, from, bytes);
}

int wrap(int member, int members) { return ((member % members) + members) % members; }

/// The one algorithm that serves every kind yet has no schedule here.
[[noreturn]] void libraryHasNoSchedule(CollectiveKind kind) {
  raise("the library ", collectiveKindName(kind),
        " is the communicator's own collective, not one of Quilt's schedules");
}

template <class T> void combineValues(const T *first, const T *second, T *out, size_t n,
                                      ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    for (size_t i = 0; i < n; ++i)
      out[i] = first[i] + second[i];
    return;
  case ReduceOp::Prod:
    for (size_t i = 0; i < n; ++i)
      out[i] = first[i] * second[i];
    return;
  case ReduceOp::Max:
    for (size_t i = 0; i < n; ++i)
      out[i] = std::max(first[i], second[i]);
    return;
  case ReduceOp::Min:
    for (size_t i = 0; i < n; ++i)
      out[i] = std::min(first[i], second[i]);
    return;
  case ReduceOp::Moments:
    break;
  }
  raise("no elementwise reduction for moments");
}

/// What an all-reduce combines: values of `type`, or for moments (count,
/// mean, M2) float triples, one element each.
struct Reduction {
  ElemType type;
  ReduceOp op;

  size_t elementBytes() const {
    return op == ReduceOp::Moments ? 3 * sizeof(float) : elemBytes(type);
  }

  /// `out` = `first` combined with `second` (in that order: merging moments
  /// is not symmetric), `bytes` of elements each; `out` may be either.
  void combine(const void *first, const void *second, void *out, size_t bytes) const {
    size_t n = bytes / elementBytes();
    if (op == ReduceOp::Moments) {
      auto *a = static_cast<const float *>(first), *b = static_cast<const float *>(second);
      auto *o = static_cast<float *>(out);
      for (size_t i = 0; i < n; ++i) {
        float merged[3] = {a[3 * i], a[3 * i + 1], a[3 * i + 2]};
        mergeMoments(merged, b + 3 * i);
        std::memcpy(o + 3 * i, merged, sizeof merged);
      }
      return;
    }
    switch (type) {
    case ElemType::F32:
      return combineValues(static_cast<const float *>(first), static_cast<const float *>(second),
                           static_cast<float *>(out), n, op);
    case ElemType::F64:
      return combineValues(static_cast<const double *>(first),
                           static_cast<const double *>(second), static_cast<double *>(out), n,
                           op);
    case ElemType::I64:
      return combineValues(static_cast<const int64_t *>(first),
                           static_cast<const int64_t *>(second), static_cast<int64_t *>(out), n,
                           op);
    }
    raise("unknown element type");
  }
};

/// A buffer cut into one block per member, in member order.
class Blocks {
public:
  /// Blocks of `bytes[c]` bytes each.
  static Blocks packed(const std::vector<size_t> &bytes) {
    Blocks blocks;
    for (size_t b : bytes)
      blocks.offsets_.push_back(blocks.offsets_.back() + b);
    return blocks;
  }
  /// `parts` blocks of `elements` elements split as blockRange splits a dim
  /// (sizes differ by at most one element; some are empty when elements <
  /// parts), `elementBytes` each.
  static Blocks even(size_t elements, int parts, size_t elementBytes) {
    Blocks blocks;
    for (int c = 1; c <= parts; ++c)
      blocks.offsets_.push_back(
          static_cast<size_t>(blockStart(static_cast<int64_t>(elements), parts, c)) * elementBytes);
    return blocks;
  }

  int count() const { return static_cast<int>(offsets_.size()) - 1; }
  size_t offset(int block) const { return offsets_[block]; }
  size_t bytes(int block) const { return span(block, block + 1); }
  /// Blocks [first, last), contiguous.
  size_t span(int first, int last) const { return offsets_[last] - offsets_[first]; }
  size_t total() const { return offsets_.back(); }
  size_t largest() const {
    size_t most = 0;
    for (int b = 0; b < count(); ++b)
      most = std::max(most, bytes(b));
    return most;
  }
  /// `count` blocks from `first` on, wrapping past the last to block 0.
  size_t wrappedSpan(int first, int count) const {
    int end = first + count, blocks = this->count();
    return end <= blocks ? span(first, end) : span(first, blocks) + span(0, end - blocks);
  }

private:
  std::vector<size_t> offsets_{0};
};

/// Ring reduce-scatter: block c of every member's `in` combined into member
/// c's `out` (`in` may be `out`). p - 1 steps, each passing one block (n/p)
/// to the right neighbour; block b starts at member b + 1 and gathers the
/// members in ring order, each adding its own after what arrived. The first
/// step sends a block of `in`; the later ones forward what the step before
/// combined into `out`.
void ringReduceScatter(PeerGroup &group, const char *in, char *out, const Blocks &blocks,
                       const Reduction &reduction) {
  int p = group.members, me = group.me;
  char *arriving = group.scratch.get(1, blocks.largest());
  for (int step = 0; step < p - 1; ++step) {
    int sent = wrap(me - step - 1, p), received = wrap(me - step - 2, p);
    group.sendRecv((step == 0 ? in : out) + blocks.offset(sent), blocks.bytes(sent),
                   wrap(me + 1, p), arriving, blocks.bytes(received), wrap(me - 1, p));
    reduction.combine(arriving, in + blocks.offset(received), out + blocks.offset(received),
                      blocks.bytes(received));
  }
}

/// Ring all-gather in place: member c's block c of `data` to every member.
/// p - 1 steps, each passing one block (n/p) to the right neighbour; runs
/// steps firstStep .. p - 2 (the caller ran the earlier ones).
void ringAllGatherInPlace(PeerGroup &group, char *data, const Blocks &blocks,
                          int firstStep = 0) {
  int p = group.members, me = group.me;
  for (int step = firstStep; step < p - 1; ++step) {
    int sent = wrap(me - step, p), received = wrap(me - step - 1, p);
    group.sendRecv(data + blocks.offset(sent), blocks.bytes(sent), wrap(me + 1, p),
                   data + blocks.offset(received), blocks.bytes(received), wrap(me - 1, p));
  }
}

/// Recursive-halving reduce-scatter over a power-of-two group, from `in`
/// into `out` (`in` may be `out`): lg p steps; in each, partners `distance`
/// apart split the blocks they still reduce, each sending the half the other
/// keeps (n/2, n/4, ..., n/p) and combining into `out` the half it keeps.
/// Member c ends with block c (its bits, major first, chose the halves).
void halvingReduceScatter(PeerGroup &group, const char *in, char *out, const Blocks &blocks,
                          const Reduction &reduction) {
  int p = group.members, me = group.me;
  if (p == 1)
    return;
  char *arriving = group.scratch.get(1, std::max(blocks.span(0, p / 2), blocks.span(p / 2, p)));
  int first = 0, last = p; // the blocks this member still reduces
  const char *partial = in; // where they are: `in` until the first step combines them
  for (int distance = p / 2; distance >= 1; distance /= 2) {
    int partner = me ^ distance, middle = first + distance;
    bool lower = (me & distance) == 0;
    int keptFirst = lower ? first : middle, keptLast = lower ? middle : last;
    int sentFirst = lower ? middle : first, sentLast = lower ? last : middle;
    size_t keptBytes = blocks.span(keptFirst, keptLast);
    group.sendRecv(partial + blocks.offset(sentFirst), blocks.span(sentFirst, sentLast), partner,
                   arriving, keptBytes, partner);
    const char *kept = partial + blocks.offset(keptFirst);
    char *combined = out + blocks.offset(keptFirst);
    if (lower)
      reduction.combine(kept, arriving, combined, keptBytes);
    else
      reduction.combine(arriving, kept, combined, keptBytes);
    partial = out;
    first = keptFirst;
    last = keptLast;
  }
}

/// Recursive-doubling all-gather in place over a power-of-two group, the
/// halving reversed: lg p steps; partners `distance` apart swap the
/// `distance` blocks each holds (n/p, 2n/p, ..., n/2).
void doublingAllGatherInPlace(PeerGroup &group, char *data, const Blocks &blocks) {
  int p = group.members, me = group.me;
  for (int distance = 1; distance < p; distance *= 2) {
    int partner = me ^ distance;
    int mine = me & ~(distance - 1), theirs = partner & ~(distance - 1);
    group.sendRecv(data + blocks.offset(mine), blocks.span(mine, mine + distance), partner,
                   data + blocks.offset(theirs), blocks.span(theirs, theirs + distance), partner);
  }
}

/// The recursive all-reduces on any group size: the largest power of two
/// q <= p of its members run the schedule, numbered 0 .. q - 1 in group
/// order. Of the first 2 (p - q) members, each even one hands its buffer to
/// the odd one above (fold) and waits for the result (unfold); the odd ones
/// and the members above take part. Folding and unfolding add one step of n
/// bytes each.
class PowerOfTwoCore final : public PeerGroup {
public:
  explicit PowerOfTwoCore(PeerGroup &group) : PeerGroup(group.scratch), group_(group) {
    while (members * 2 <= group.members)
      members *= 2;
    extra_ = group.members - members;
    if (group.me >= 2 * extra_)
      me = group.me - extra_;
    else
      me = group.me % 2 == 1 ? group.me / 2 : -1;
  }

  bool takesPart() const { return me >= 0; }

  void sendRecv(const void *send, size_t sendBytes, int to, void *recv, size_t recvBytes,
                int from) override {
    group_.sendRecv(send, sendBytes, groupMember(to), recv, recvBytes, groupMember(from));
  }

  /// A waiting member's `in` combined into its partner's, the result in the
  /// partner's `out` (the waiting, lower-numbered member's first). Returns
  /// where this member's partial now is: `out` where it combined, else `in`.
  const char *fold(const char *in, char *out, size_t bytes, const Reduction &reduction) {
    if (group_.me >= 2 * extra_)
      return in;
    if (!takesPart()) {
      group_.sendRecv(in, bytes, group_.me + 1, nullptr, 0, group_.me + 1);
      return in;
    }
    char *arriving = group_.scratch.get(1, bytes);
    group_.sendRecv(nullptr, 0, group_.me - 1, arriving, bytes, group_.me - 1);
    reduction.combine(arriving, in, out, bytes);
    return out;
  }

  /// The result back to each waiting member.
  void unfold(char *data, size_t bytes) {
    if (group_.me >= 2 * extra_)
      return;
    if (takesPart())
      group_.sendRecv(data, bytes, group_.me - 1, nullptr, 0, group_.me - 1);
    else
      group_.sendRecv(nullptr, 0, group_.me + 1, data, bytes, group_.me + 1);
  }

private:
  int groupMember(int coreMember) const {
    return coreMember < extra_ ? 2 * coreMember + 1 : coreMember + extra_;
  }

  PeerGroup &group_;
  int extra_ = 0;
};

/// Ring all-reduce: a ring reduce-scatter then a ring all-gather of p
/// nearly equal blocks: 2 (p - 1) steps of n/p.
void ringAllReduce(PeerGroup &group, const char *in, char *out, size_t elements,
                   const Reduction &reduction) {
  Blocks blocks = Blocks::even(elements, group.members, reduction.elementBytes());
  ringReduceScatter(group, in, out, blocks, reduction);
  ringAllGatherInPlace(group, out, blocks);
}

/// Recursive doubling: lg q steps in which partners `distance` apart swap
/// the whole buffer and both combine the lower-numbered member's first
/// (the same bits on both); lg p steps of n for a power of two p, else
/// floor(lg p) + 2 with the fold.
void recursiveDoublingAllReduce(PeerGroup &group, const char *in, char *out, size_t bytes,
                                const Reduction &reduction) {
  PowerOfTwoCore core(group);
  const char *partial = core.fold(in, out, bytes, reduction);
  if (core.takesPart()) {
    char *arriving = core.scratch.get(1, bytes);
    for (int distance = 1; distance < core.members; distance *= 2) {
      int partner = core.me ^ distance;
      core.sendRecv(partial, bytes, partner, arriving, bytes, partner);
      if (core.me < partner)
        reduction.combine(partial, arriving, out, bytes);
      else
        reduction.combine(arriving, partial, out, bytes);
      partial = out;
    }
  }
  core.unfold(out, bytes);
}

/// Rabenseifner: a recursive-halving reduce-scatter, then a
/// recursive-doubling all-gather, of q nearly equal blocks: 2 lg p steps
/// moving 2 (p - 1)/p n for a power of two p, two steps of n more with the
/// fold.
void rabenseifnerAllReduce(PeerGroup &group, const char *in, char *out, size_t elements,
                           const Reduction &reduction) {
  PowerOfTwoCore core(group);
  size_t bytes = elements * reduction.elementBytes();
  const char *partial = core.fold(in, out, bytes, reduction);
  if (core.takesPart()) {
    Blocks blocks = Blocks::even(elements, core.members, reduction.elementBytes());
    halvingReduceScatter(core, partial, out, blocks, reduction);
    doublingAllGatherInPlace(core, out, blocks);
  }
  core.unfold(out, bytes);
}

/// Bruck all-gather, any p: ceil(lg p) steps. The member holds blocks me,
/// me + 1, ... (mod p) in a row; step k sends the first min(2^k, p - 2^k)
/// of them to member me - 2^k and appends as many from me + 2^k; at the end
/// the row is rotated into member order. Moves (p - 1)/p n in all.
void bruckAllGather(PeerGroup &group, const void *send, void *recv, const Blocks &blocks) {
  int p = group.members, me = group.me;
  char *row = group.scratch.get(0, blocks.total());
  size_t held = blocks.bytes(me);
  for (int distance = 1; distance < p; distance *= 2) {
    int count = std::min(distance, p - distance);
    int source = wrap(me + distance, p);
    size_t incoming = blocks.wrappedSpan(source, count);
    // The first step sends only this rank's block: straight from `send`, as
    // the ring does (see scheduleAllGather), copied into the row after.
    group.sendRecv(distance == 1 ? send : row, blocks.wrappedSpan(me, count),
                   wrap(me - distance, p), row + held, incoming, source);
    if (distance == 1)
      copyBytes(row, send, blocks.bytes(me));
    held += incoming;
  }
  if (p == 1)
    copyBytes(row, send, blocks.bytes(me));
  size_t fromMe = blocks.total() - blocks.offset(me); // blocks me .. p - 1
  char *out = static_cast<char *>(recv);
  copyBytes(out + blocks.offset(me), row, fromMe);
  copyBytes(out, row + fromMe, blocks.offset(me));
}

void expectBlockCount(CollectiveKind kind, const PeerGroup &group, size_t blocks) {
  if (blocks != static_cast<size_t>(group.members))
    raise(collectiveKindName(kind), " over ", group.members, " ranks given ", blocks,
          " block sizes");
}

} // namespace

void expectAlgorithmServes(CollectiveKind kind, CollectiveAlgorithm algorithm, int64_t members) {
  if (collectiveAlgorithmServes(kind, algorithm, members))
    return;
  const char *kindName = collectiveKindName(kind), *name = collectiveAlgorithmName(algorithm);
  // A power of two is the one condition collectiveAlgorithmServes puts on
  // the group: an algorithm of the kind serves a group of one.
  if (collectiveAlgorithmServes(kind, algorithm, 1))
    raise("the ", name, " ", kindName, " needs a power-of-two group, got ", members, " ranks");
  std::string served;
  for (CollectiveAlgorithm serving : collectiveAlgorithmsServing(kind, 1))
    served = served + (served.empty() ? "" : ", ") + collectiveAlgorithmName(serving);
  raise(name, " is no ", kindName, " algorithm (expected one of ", served, ")");
}

void scheduleAllReduce(PeerGroup &group, const void *send, void *recv, size_t count,
                       ElemType type, ReduceOp op, CollectiveAlgorithm algorithm) {
  expectAlgorithmServes(CollectiveKind::AllReduce, algorithm, group.members);
  if (op == ReduceOp::Moments && (type != ElemType::F32 || count % 3 != 0))
    raise("a moments all-reduce needs float triples, got ", count, " values");
  Reduction reduction{type, op};
  size_t elements = op == ReduceOp::Moments ? count / 3 : count;
  const char *in = static_cast<const char *>(send);
  char *out = static_cast<char *>(recv);
  if (group.members == 1) { // no step writes `out`
    if (in != out)
      copyBytes(out, in, elements * reduction.elementBytes());
    return;
  }
  switch (algorithm) {
  case CollectiveAlgorithm::Ring:
    return ringAllReduce(group, in, out, elements, reduction);
  case CollectiveAlgorithm::RecursiveDoubling:
    return recursiveDoublingAllReduce(group, in, out, elements * reduction.elementBytes(),
                                      reduction);
  case CollectiveAlgorithm::Rabenseifner:
    return rabenseifnerAllReduce(group, in, out, elements, reduction);
  default:
    libraryHasNoSchedule(CollectiveKind::AllReduce);
  }
}

void scheduleAllGather(PeerGroup &group, const void *send, size_t sendBytes, void *recv,
                       const std::vector<size_t> &recvBytes, CollectiveAlgorithm algorithm) {
  expectAlgorithmServes(CollectiveKind::AllGather, algorithm, group.members);
  expectBlockCount(CollectiveKind::AllGather, group, recvBytes.size());
  if (sendBytes != recvBytes[group.me])
    raise("all_gather: this rank brings ", sendBytes, " bytes for a block of ",
          recvBytes[group.me]);
  Blocks blocks = Blocks::packed(recvBytes);
  switch (algorithm) {
  case CollectiveAlgorithm::Ring: {
    // The first step sends this rank's block straight from `send` and the
    // copy into place follows: a block sent right after this core copied it
    // is read out of this core's cache by the peer (over shared memory on
    // the 2-core VM, 1 MiB took 270 us that way against 95 us).
    char *out = static_cast<char *>(recv);
    int p = group.members, me = group.me;
    if (p > 1) {
      int from = wrap(me - 1, p);
      group.sendRecv(send, sendBytes, wrap(me + 1, p), out + blocks.offset(from),
                     blocks.bytes(from), from);
    }
    copyBytes(out + blocks.offset(me), send, sendBytes);
    return ringAllGatherInPlace(group, out, blocks, /*firstStep=*/1);
  }
  case CollectiveAlgorithm::Bruck:
    return bruckAllGather(group, send, recv, blocks);
  default:
    libraryHasNoSchedule(CollectiveKind::AllGather);
  }
}

void scheduleReduceScatter(PeerGroup &group, const float *send, float *recv,
                           const std::vector<size_t> &counts, CollectiveAlgorithm algorithm) {
  expectAlgorithmServes(CollectiveKind::ReduceScatter, algorithm, group.members);
  expectBlockCount(CollectiveKind::ReduceScatter, group, counts.size());
  std::vector<size_t> bytes;
  for (size_t c : counts)
    bytes.push_back(c * sizeof(float));
  Blocks blocks = Blocks::packed(bytes);
  // The schedules combine into a working buffer as big as `send` (the
  // blocks they forward), reading `send` without writing it.
  char *work = group.scratch.get(0, blocks.total());
  const char *in = reinterpret_cast<const char *>(send);
  Reduction sum{ElemType::F32, ReduceOp::Sum};
  switch (algorithm) {
  case CollectiveAlgorithm::Ring:
    ringReduceScatter(group, in, work, blocks, sum);
    break;
  case CollectiveAlgorithm::RecursiveHalving:
    halvingReduceScatter(group, in, work, blocks, sum);
    break;
  default:
    libraryHasNoSchedule(CollectiveKind::ReduceScatter);
  }
  const char *reduced = group.members == 1 ? in : work; // one member: no step wrote `work`
  copyBytes(recv, reduced + blocks.offset(group.me), blocks.bytes(group.me));
}

void scheduleAllToAll(PeerGroup &group, const void *send, const std::vector<size_t> &sendBytes,
                      void *recv, const std::vector<size_t> &recvBytes,
                      CollectiveAlgorithm algorithm) {
  expectAlgorithmServes(CollectiveKind::AllToAll, algorithm, group.members);
  expectBlockCount(CollectiveKind::AllToAll, group, sendBytes.size());
  expectBlockCount(CollectiveKind::AllToAll, group, recvBytes.size());
  if (algorithm != CollectiveAlgorithm::Pairwise)
    libraryHasNoSchedule(CollectiveKind::AllToAll);
  int p = group.members, me = group.me;
  if (sendBytes[me] != recvBytes[me])
    raise("all_to_all: this rank sends itself ", sendBytes[me], " bytes but expects ",
          recvBytes[me]);
  Blocks out = Blocks::packed(sendBytes), in = Blocks::packed(recvBytes);
  const char *from = static_cast<const char *>(send);
  char *into = static_cast<char *>(recv);
  // Pairwise exchange: the own block is a copy, then p - 1 steps; step s
  // sends member me + s its block and receives member me - s's (the
  // sent bytes in all, one block a step).
  copyBytes(into + in.offset(me), from + out.offset(me), sendBytes[me]);
  for (int step = 1; step < p; ++step) {
    int to = wrap(me + step, p), source = wrap(me - step, p);
    group.sendRecv(from + out.offset(to), out.bytes(to), to, into + in.offset(source),
                   in.bytes(source), source);
  }
}

} // namespace quilt
