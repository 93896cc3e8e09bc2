// The body of every communication entry point: quilt::runEntry, plus one
// record of the bytes the call sent while a traffic log is attached
// (--report). Program order of the calls is program order of the
// communication ops in the compiled IR, so record i is op i of
// `quiltc --report`.
#ifndef QUILT_RUNTIME_COMM_ENTRY_H
#define QUILT_RUNTIME_COMM_ENTRY_H

#include "collective_schedules.h"
#include "context.h"
#include "error.h"
#include "layout.h"
#include "quilt/comm_bytes.h"

namespace quilt {

/// `kind` is the entry point's name without quilt_rt_, as the compiler's
/// report names the op.
template <class Body>
void runCommEntry(quilt_rt_ctx *ctx, Phase phase, const char *kind, Body body) {
  if (ctx->syncPhases)
    waitForEveryRank(*ctx);
  uint64_t before = ctx->comm.bytesSent();
  runEntry(ctx, phase, kind, body);
  uint64_t sent = ctx->comm.bytesSent() - before;
  // runEntry's OpProfileScope timed the call (the device synchronized).
  if (std::vector<CommOpProfile> *profile = ctx->commProfile) {
    size_t index = ctx->commCallIndex++;
    if (profile->size() <= index)
      profile->resize(index + 1);
    CommOpProfile &line = (*profile)[index];
    line.kind = kind;
    line.calls += 1;
    line.bytes += sent;
    line.seconds += ctx->lastEntrySeconds;
  }
  if (std::vector<OpTraffic> *log = ctx->comm.trafficLog())
    log->push_back({kind, sent});
}

/// The word that ends a collective's attributes: the algorithm the plan
/// chose (quilt/collective_algorithms.h). Raises one line unless it is one
/// that serves `kind` over a group of `members` ranks.
inline CollectiveAlgorithm readAlgorithm(AttrReader &attrs, CollectiveKind kind,
                                         int64_t members) {
  int64_t word = attrs.next();
  constexpr int64_t last = static_cast<int64_t>(CollectiveAlgorithm::Pairwise);
  if (word < 0 || word > last)
    raise("algorithm ", word, " (expected 0..", last, ")"); // runEntry prefixes the kind
  auto algorithm = static_cast<CollectiveAlgorithm>(word);
  expectAlgorithmServes(kind, algorithm, members);
  return algorithm;
}

} // namespace quilt

#endif // QUILT_RUNTIME_COMM_ENTRY_H
