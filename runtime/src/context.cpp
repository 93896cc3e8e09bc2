#include "context.h"
#include "error.h"
#include "quilt/comm_bytes.h"

#include <algorithm>
#include <cstdio>
#include <cstddef>
#include <cstdlib>

quilt_rt_ctx::quilt_rt_ctx(quilt::Communicator &comm, std::vector<int64_t> meshShape,
                           size_t arenaBytes, size_t arenaAlignment, quilt::Device &device)
    : comm(comm), device(device), mesh(std::move(meshShape)), coords(mesh.size()),
      arenaBytes(arenaBytes) {
  int64_t rest = comm.rank();
  for (size_t i = mesh.size(); i-- > 0;) {
    if (mesh[i] <= 0)
      quilt::raise("mesh axis ", i, " has size ", mesh[i]);
    coords[i] = rest % mesh[i];
    rest /= mesh[i];
  }
  // Zeroed so that padding a model never writes reads as zero, run after run.
  arena = device.allocate(arenaBytes, arenaAlignment);
}

quilt_rt_ctx::~quilt_rt_ctx() { device.release(arena); }

void quilt_rt_ctx::fixPackRegion(size_t bytes) {
  packRegion = bytes ? quilt::DeviceBuffer(device, bytes) : quilt::DeviceBuffer();
  packRegionFixed = true;
}

char *quilt_rt_ctx::packScratch(size_t bytes) {
  if (bytes > packRegion.bytes()) {
    if (packRegionFixed)
      quilt::raise("needs ", bytes, " bytes of the pack region, but the model was compiled with ",
                   packRegion.bytes(), " (quilt_model_info pack_scratch_bytes)");
    packRegion.reserve(device, bytes);
  }
  packBytesUsed = std::max(packBytesUsed, bytes);
  return static_cast<char *>(packRegion.data());
}

std::pair<float *, float *> quilt_rt_ctx::packSendsAndReceives(size_t sendBytes,
                                                              size_t receiveBytes) {
  char *region = packScratch(quilt::packRegionBytes(sendBytes, receiveBytes));
  return {reinterpret_cast<float *>(region),
          reinterpret_cast<float *>(region + quilt::packReceiveOffset(sendBytes))};
}

int64_t quilt_rt_ctx::axisSize(int64_t axis) const {
  if (axis < 0 || axis >= static_cast<int64_t>(mesh.size()))
    quilt::raise("mesh axis ", axis, " out of range for a mesh of ", mesh.size(), " axes");
  return mesh[axis];
}

int quilt_rt_ctx::rankAlong(int64_t axis, int64_t coord) const {
  int64_t parts = axisSize(axis);
  int64_t target = ((coord % parts) + parts) % parts;
  int64_t stride = 1;
  for (size_t i = axis + 1; i < mesh.size(); ++i)
    stride *= mesh[i];
  return static_cast<int>(comm.rank() + (target - coords[axis]) * stride);
}

int64_t quilt_rt_ctx::ownerIndex(const std::vector<int64_t> &axes) const {
  int64_t k = 0;
  for (int64_t a : axes)
    k = k * axisSize(a) + axisCoord(a);
  return k;
}

int quilt_rt_ctx::ownerRank(const std::vector<int64_t> &axes, int64_t k) const {
  std::vector<int64_t> at = coords;
  for (size_t i = axes.size(); i-- > 0;) {
    at[axes[i]] = k % axisSize(axes[i]);
    k /= axisSize(axes[i]);
  }
  int64_t rank = 0;
  for (size_t i = 0; i < mesh.size(); ++i)
    rank = rank * mesh[i] + at[i];
  return static_cast<int>(rank);
}

int64_t quilt_rt_ctx::axisCoord(int64_t axis) const {
  axisSize(axis);
  return coords[axis];
}

void quilt_rt_ctx::fail(const std::string &message) {
  if (onError)
    onError(message);
  std::fprintf(stderr, "quilt: error: rank %d: %s\n", comm.rank(), message.c_str());
  std::fflush(stderr);
  comm.abort(1);
  std::abort(); // not reached: abort() ends the job
}

namespace quilt {

PhaseScope::PhaseScope(quilt_rt_ctx *ctx, Phase phase)
    : ctx_(ctx), phase_(phase), start_(std::chrono::steady_clock::now()) {
  if (ctx_->device.timesPhases())
    ctx_->device.beginPhase();
}

PhaseScope::~PhaseScope() {
  // An asynchronous device times the work itself (takeDevicePhaseTimes).
  if (ctx_->device.timesPhases()) {
    ctx_->device.endPhase(static_cast<int>(phase_));
    return;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  switch (phase_) {
  case Phase::Compute:
    ctx_->times.compute += seconds;
    break;
  case Phase::Halo:
    ctx_->times.halo += seconds;
    break;
  case Phase::Collectives:
    ctx_->times.collectives += seconds;
    break;
  }
}

OpProfileScope::OpProfileScope(quilt_rt_ctx *ctx, const char *name) : ctx_(ctx), name_(name) {
  if (!ctx_->opProfile)
    return;
  ctx_->device.synchronize();
  start_ = std::chrono::steady_clock::now();
}

OpProfileScope::~OpProfileScope() {
  if (!ctx_->opProfile)
    return;
  ctx_->device.synchronize();
  OpProfile &line = (*ctx_->opProfile)[name_];
  line.calls += 1;
  ctx_->lastEntrySeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  line.seconds += ctx_->lastEntrySeconds;
}

void waitForEveryRank(quilt_rt_ctx &ctx) {
  // The device's phase timers close before the barrier, so an asynchronous
  // device does not count the wait as its work.
  ctx.device.synchronize();
  takeDevicePhaseTimes(ctx);
  auto start = std::chrono::steady_clock::now();
  ctx.comm.barrier();
  ctx.times.wait += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void takeDevicePhaseTimes(quilt_rt_ctx &ctx) {
  double seconds[3] = {0, 0, 0};
  ctx.device.takePhaseSeconds(seconds);
  ctx.times.compute += seconds[static_cast<int>(Phase::Compute)];
  ctx.times.halo += seconds[static_cast<int>(Phase::Halo)];
  ctx.times.collectives += seconds[static_cast<int>(Phase::Collectives)];
}

bool isWeight(const quilt_rt_ctx &ctx, const void *p) {
  auto *base = static_cast<const char *>(ctx.weights);
  auto *q = static_cast<const char *>(p);
  return base && q >= base && q < base + ctx.weightsBytes;
}

} // namespace quilt

extern "C" void *quilt_rt_arena(quilt_rt_ctx *ctx) { return ctx->arena; }
extern "C" const void *quilt_rt_weights(quilt_rt_ctx *ctx) { return ctx->weights; }
