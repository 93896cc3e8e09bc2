// The body of every communication entry point: quilt::runEntry, plus one
// record of the bytes the call sent while a traffic log is attached
// (--report). Program order of the calls is program order of the
// communication ops in the compiled IR, so record i is op i of
// `quiltc --report`.
#ifndef QUILT_RUNTIME_COMM_ENTRY_H
#define QUILT_RUNTIME_COMM_ENTRY_H

#include "context.h"

namespace quilt {

/// `kind` is the entry point's name without quilt_rt_, as the compiler's
/// report names the op.
template <class Body>
void runCommEntry(quilt_rt_ctx *ctx, Phase phase, const char *kind, Body body) {
  if (ctx->syncPhases)
    waitForEveryRank(*ctx);
  uint64_t before = ctx->comm.bytesSent();
  runEntry(ctx, phase, kind, body);
  if (std::vector<OpTraffic> *log = ctx->comm.trafficLog())
    log->push_back({kind, ctx->comm.bytesSent() - before});
}

} // namespace quilt

#endif // QUILT_RUNTIME_COMM_ENTRY_H
