// quilt_rt_ctx: what every entry point gets. It holds the mesh, this rank's
// coordinates, the communicator, the arena, the mapped weights, per-phase
// timers and the per-op plans the kernels cache between iterations.
#ifndef QUILT_RUNTIME_CONTEXT_H
#define QUILT_RUNTIME_CONTEXT_H

#include "communicator.h"
#include "device.h"
#include "libraries/libraries.h"
#include "quilt/runtime.h"

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

namespace quilt {

/// Indices 0, 1, 2 (Device::takePhaseSeconds).
enum class Phase { Compute, Halo, Collectives };

/// One runtime entry point's share of the timed runs (--profile-ops).
struct OpProfile {
  double calls = 0, seconds = 0;
};

/// One communication op of the program (--profile-ops): the i-th
/// communication call of an iteration, which is op i of `quiltc --report`
/// and the i-th halo or collective op of `quiltc --simulate-json`.
struct CommOpProfile {
  std::string kind;
  double calls = 0, seconds = 0;
  uint64_t bytes = 0; // sent by this rank, over all calls
};

struct PhaseTimes {
  double compute = 0, halo = 0, collectives = 0; // seconds
  /// Under --sync-phases: the barriers before communication ops (a rank
  /// waiting there for slower peers), kept out of halo and collectives.
  double wait = 0;
};

/// What a kernel keeps between calls of the same op (a oneDNN primitive, a
/// halo transfer list, scratch buffers).
class KernelPlan {
public:
  virtual ~KernelPlan() = default;
  /// The params words the plan was built from: a plan is reused only when
  /// they match, so a reused params address cannot pick up a stale plan.
  std::vector<int64_t> key;
};

} // namespace quilt

struct quilt_rt_ctx {
  /// Coordinates come from the communicator's rank, row-major over `mesh`;
  /// the arena is device memory, zeroed.
  quilt_rt_ctx(quilt::Communicator &comm, std::vector<int64_t> mesh, size_t arenaBytes,
               size_t arenaAlignment, quilt::Device &device = quilt::hostDevice());
  ~quilt_rt_ctx();
  quilt_rt_ctx(const quilt_rt_ctx &) = delete;
  quilt_rt_ctx &operator=(const quilt_rt_ctx &) = delete;

  int64_t axisSize(int64_t axis) const;
  int64_t axisCoord(int64_t axis) const;
  /// The world rank at coordinate `coord` (taken modulo the axis size) along
  /// mesh axis `axis`, every other coordinate as this rank's.
  int rankAlong(int64_t axis, int64_t coord) const;
  /// Along a dim split over `axes` (nested blocks, major first): this rank's
  /// owner index (row-major over the axes), and the world rank of owner `k`.
  int64_t ownerIndex(const std::vector<int64_t> &axes) const;
  int ownerRank(const std::vector<int64_t> &axes, int64_t k) const;

  /// Reports an error from inside a model run: by default prints one line and
  /// aborts the job, since other ranks may be blocked in communication.
  [[noreturn]] void fail(const std::string &message);

  /// The cached plan of type T for `params` (`words` long), or null.
  template <class T> T *findPlan(const int64_t *params, size_t words) {
    auto found = plans.find(params);
    if (found == plans.end() || found->second->key.size() != words ||
        std::memcmp(found->second->key.data(), params, words * sizeof(int64_t)) != 0)
      return nullptr;
    return dynamic_cast<T *>(found->second.get());
  }
  template <class T> T &storePlan(const int64_t *params, size_t words, std::unique_ptr<T> plan) {
    plan->key.assign(params, params + words);
    T &ref = *plan;
    plans[params] = std::move(plan);
    return ref;
  }

  quilt::Communicator &comm;
  quilt::Device &device;
  /// The backend's vendor libraries (libraries/libraries.h).
  quilt::Libraries libraries;
  std::vector<int64_t> mesh;
  std::vector<int64_t> coords;
  void *arena = nullptr;
  size_t arenaBytes = 0;
  const void *weights = nullptr;
  size_t weightsBytes = 0;
  /// The weights' copy on a device the host cannot address (`weights` then
  /// points into it).
  quilt::DeviceBuffer deviceWeights;
  /// The pack region (quilt/comm_bytes.h): one buffer every communication op
  /// packs into in turn, sized by the compiler (quilt_model_info's
  /// pack_scratch_bytes) and allocated once by the driver (fixPackRegion).
  /// A context without a compiled model (a test's) grows it on demand.
  quilt::DeviceBuffer packRegion;
  bool packRegionFixed = false;
  /// The most of the region any op has used (--report's
  /// pack_scratch_bytes_per_rank, which the compiler's report predicts).
  size_t packBytesUsed = 0;
  /// Allocates the compiler's pack region of `bytes` (zeroed).
  void fixPackRegion(size_t bytes);
  /// `bytes` of the pack region for the op being run (valid until the next
  /// op asks): raises when the compiled region is smaller, which means the
  /// compiler's CommunicationCost::packBytesPerRank and the runtime's
  /// packing disagree.
  char *packScratch(size_t bytes);
  /// For an op that packs what it sends and what it receives: the two parts
  /// of the pack region in quilt::packRegionBytes' layout (the receives at
  /// the next 256 bytes).
  std::pair<float *, float *> packSendsAndReceives(size_t sendBytes, size_t receiveBytes);
  quilt::PhaseTimes times;
  /// --sync-phases: every communication entry first waits at a timed
  /// barrier of all ranks (runCommEntry), so its phase holds no wait for a
  /// slower peer. Off outside --iterations' timed runs.
  bool syncPhases = false;
  /// --profile-ops: per runtime entry point (conv, halo_exchange, ...), the
  /// calls and seconds of the timed runs. Null when not profiling.
  std::map<std::string, quilt::OpProfile> *opProfile = nullptr;
  /// --profile-ops: per communication op in program order; commCallIndex is
  /// the next call's index, reset by the driver before every run.
  std::vector<quilt::CommOpProfile> *commProfile = nullptr;
  size_t commCallIndex = 0;
  /// --profile-ops: the seconds of the last entry point OpProfileScope timed.
  double lastEntrySeconds = 0;
  std::unordered_map<const int64_t *, std::unique_ptr<quilt::KernelPlan>> plans;
  /// Replaced by tests to turn kernel errors into exceptions.
  std::function<void(const std::string &)> onError;
};

namespace quilt {

/// --profile-ops: adds the lifetime of the scope (the device's work
/// finished) to the entry point's line of ctx.opProfile; nothing otherwise.
class OpProfileScope {
public:
  OpProfileScope(quilt_rt_ctx *ctx, const char *name);
  ~OpProfileScope();

private:
  quilt_rt_ctx *ctx_;
  const char *name_;
  std::chrono::steady_clock::time_point start_;
};

/// Adds the lifetime of the scope to one phase's timer.
class PhaseScope {
public:
  PhaseScope(quilt_rt_ctx *ctx, Phase phase);
  ~PhaseScope();

private:
  quilt_rt_ctx *ctx_;
  Phase phase_;
  std::chrono::steady_clock::time_point start_;
};

/// The body of every C entry point: times it and turns an exception into
/// ctx->fail with the entry point's name.
template <class Body> void runEntry(quilt_rt_ctx *ctx, Phase phase, const char *name, Body body) {
  OpProfileScope profile(ctx, name);
  PhaseScope scope(ctx, phase);
  try {
    body();
  } catch (const std::exception &e) {
    ctx->fail(std::string(name) + ": " + e.what());
  }
}

/// Adds what an asynchronous device timed per phase since the last call
/// (it waits for the device's work) to ctx.times.
void takeDevicePhaseTimes(quilt_rt_ctx &ctx);

/// --sync-phases: the device's queued work finished, then a barrier of all
/// ranks, its time added to ctx.times.wait (the communication after it then
/// starts on every rank at once).
void waitForEveryRank(quilt_rt_ctx &ctx);

/// True when `p` points into the mapped weights (constant for the whole run).
bool isWeight(const quilt_rt_ctx &ctx, const void *p);

} // namespace quilt

#endif // QUILT_RUNTIME_CONTEXT_H
